"""The owner's last weeks as plain figures (`WeekSeries`), read from what they logged.

A week runs Monday to Sunday on the owner's wall clock. Weeks before the plan was finished are
left out (nothing was tracked then), so a new plan shows one week, and an old one the last
`weeks`. Replies are judged per week by the waits that ended in it (or still run at its end):
late when one lasted longer than the plan's reply target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.flows import Flows
from bot.nudges.prefs import Prefs
from bot.nudges.rules import targets
from bot.store.base import OwnerRecord
from bot.tracking import reply_waits

DEFAULT_WEEKS = 8
MAX_WEEKS = 12
DEFAULT_CEILING = 10.0
ON_TIME, LATE, NONE = "on_time", "late", "none"
"""How a week's replies went: every wait within the target, one longer, or nothing waited."""


@dataclass(frozen=True)
class Week:
    """One week's figures: posts (promotional among them) and how replies went."""

    start: date
    posts: int
    promo: int
    replies: str = NONE
    complete: bool = True

    @property
    def promo_share(self) -> float | None:
        """Promotional posts in percent of the week's posts; None without posts."""
        return 100 * self.promo / self.posts if self.posts else None


@dataclass(frozen=True)
class WeekSeries:
    """What the chart draws: the weeks in order, and the plan they are held against."""

    business: str
    weeks: tuple[Week, ...]
    cadence: float | None
    promo_ceiling: float
    reply_target_hours: float | None
    reply_target: str = ""

    @property
    def planned(self) -> float:
        """Posts the plan asked for over the weeks shown (a week in progress counts whole)."""
        return (self.cadence or 0) * len(self.weeks)

    @property
    def posted(self) -> int:
        """Posts logged over the weeks shown."""
        return sum(w.posts for w in self.weeks)

    @property
    def weeks_on_cadence(self) -> int:
        """Weeks with at least the planned number of posts."""
        return sum(1 for w in self.weeks if self.cadence and w.posts >= self.cadence)

    @property
    def promo_share(self) -> float | None:
        """Promotional posts in percent of all the posts shown; None without posts."""
        posted = self.posted
        return 100 * sum(w.promo for w in self.weeks) / posted if posted else None

    def replies(self, status: str) -> int:
        """How many weeks had their replies go `status` (ON_TIME, LATE or NONE)."""
        return sum(1 for w in self.weeks if w.replies == status)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_series(
    record: OwnerRecord, flows: Flows, end: date, business: str, reply_target: str = "", weeks: int = 0
) -> WeekSeries:
    """The owner's weeks up to the one holding `end` (their local date), the last included to its end.

    `business` and `reply_target` are the names shown (in the owner's language); `weeks` how
    many at most (DEFAULT_WEEKS when 0, never more than MAX_WEEKS).
    """
    count = min(weeks or DEFAULT_WEEKS, MAX_WEEKS)
    prefs = Prefs.of(record.prefs, record.language)
    cadence, reply_hours = targets(flows, record)
    ceiling_step = flows.plan_step("promo_share")
    ceiling = record.answers.get(ceiling_step.id) if ceiling_step else None
    last = _monday(end)
    first = last - timedelta(weeks=count - 1)
    if record.completed_at:
        plan_week = _monday(prefs.local(datetime.fromisoformat(record.completed_at)).date())
        first = min(max(first, plan_week), last)  # at least the last week, even one before the plan
    cutoff = prefs.at_local(end + timedelta(days=1), time(0))
    starts = [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]
    posts: dict[date, list[bool]] = {start: [] for start in starts}
    for post in record.posts:
        moment = post.moment
        if moment < cutoff:
            week = _monday(prefs.local(moment).date())
            if week in posts:
                posts[week].append(post.promo)
    verdicts: dict[date, str] = {}
    for since, until in reply_waits(record):
        if since >= cutoff:
            continue
        finished = until if until is not None and until < cutoff else cutoff
        week = _monday(prefs.local(finished - timedelta(microseconds=1)).date())
        if week not in posts or reply_hours is None:
            continue
        late = finished - since > timedelta(hours=reply_hours)
        verdicts[week] = LATE if late or verdicts.get(week) == LATE else ON_TIME
    return WeekSeries(
        business=business,
        weeks=tuple(
            Week(
                start,
                len(posts[start]),
                sum(posts[start]),
                verdicts.get(start, NONE),
                complete=start + timedelta(days=6) <= end,
            )
            for start in starts
        ),
        cadence=cadence,
        promo_ceiling=float(ceiling) if isinstance(ceiling, int | float) else DEFAULT_CEILING,
        reply_target_hours=reply_hours,
        reply_target=reply_target,
    )
