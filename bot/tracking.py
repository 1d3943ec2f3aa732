"""Tracking the plan: posts published, replies owed, and how this week compares with the plan."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.answers import match_choice
from bot.feeds import counting
from bot.flows import Flows
from bot.i18n import Translator
from bot.nudges import streaks
from bot.nudges.prefs import Prefs
from bot.nudges.rules import targets
from bot.store.base import OwnerRecord, Post, ReplyWait, Waiting

MAX_WAITING = 9999
MAX_REPLY_WAITS = 200
"""Finished waits for a reply kept per owner: a year of weekly charts and more."""
PROMO_WORDS = {"promo", "promotion", "promotional", "promotionnel", "promotionnelle", "pub", "ad", "advert"}
WAITING_BUCKETS = {"none": (0, 0), "few": (1, 5), "many": (6, MAX_WAITING)}
"""The one-tap answers to "comments waiting?": the count they stand for, at least and at most."""


def log_post(record: OwnerRecord, at: datetime, network: str | None, promo: bool) -> Post | None:
    """Note one published post, unless a feed or a link counted it already (returned then)."""
    return counting.add_typed(record, at, network, promo)


def set_waiting(record: OwnerRecord, count: int, at: datetime) -> None:
    """Note how many comments or messages await a reply; the oldest keeps its age."""
    if count <= 0:
        if record.waiting.since:  # every reply sent: the wait is over, kept for the charts
            record.reply_waits.append(ReplyWait(record.waiting.since, at.isoformat()))
            del record.reply_waits[:-MAX_REPLY_WAITS]
        record.waiting = Waiting()
    elif not record.waiting.count:
        record.waiting = Waiting(count, at.isoformat())
    else:
        record.waiting.count = count


def reply_waits(record: OwnerRecord) -> list[tuple[datetime, datetime | None]]:
    """Each wait for a reply, from the first comment waiting to the last answered (None: still on)."""
    waits: list[tuple[datetime, datetime | None]] = [
        (datetime.fromisoformat(w.since), datetime.fromisoformat(w.until)) for w in record.reply_waits
    ]
    if record.waiting.count and record.waiting.since:
        waits.append((datetime.fromisoformat(record.waiting.since), None))
    return waits


def parse_posted(args: str, flows: Flows, translators: list[Translator]) -> tuple[str | None, bool] | None:
    """Read `/posted [network] [promo]`; None when a word is neither."""
    network_step = flows.plan_step("networks")
    choices = network_step.choices if network_step else ()
    labels = [[t.tr(c.label) for t in translators] + [c.id] for c in choices]
    network, promo = None, False
    for word in args.split():
        if word.casefold().strip(".,!") in PROMO_WORDS:
            promo = True
            continue
        index = match_choice(word, labels)
        if index is None or network is not None:
            return None
        network = choices[index].id
    return network, promo


def network_label(flows: Flows, network: str, t: Translator) -> str:
    """The name of a network in the owner's language."""
    step = flows.plan_step("networks")
    choice = step.choice(network) if step else None
    return t.tr(choice.label) if choice else network


def _week_start(prefs: Prefs, now: datetime) -> datetime:
    local = prefs.local(now)
    return prefs.at_local(local.date() - timedelta(days=local.weekday()), time(0))


def _posts_between(record: OwnerRecord, start: datetime, end: datetime) -> list[Post]:
    return [p for p in record.posts if start <= p.moment < end]


def streak(record: OwnerRecord, flows: Flows, prefs: Prefs, now: datetime) -> int:
    """Weeks in a row with at least the planned number of posts (freezes and holidays keep it)."""
    return streaks.streak(record, flows, prefs, now).weeks


def week_view(record: OwnerRecord, flows: Flows, t: Translator, now: datetime) -> str:
    """This week against the plan: posts, self-promotion, oldest reply owed, streak."""
    cadence, reply_hours = targets(flows, record)
    if cadence is None:
        return t.tr("week.no_plan")
    prefs = Prefs.of(record.prefs, record.language)
    posts = _posts_between(record, _week_start(prefs, now), now + timedelta(seconds=1))
    lines = [t.tr("week.title"), t.tr("week.posts", count=t.number(len(posts)), cadence=t.number(cadence))]
    ceiling_step = flows.plan_step("promo_share")
    ceiling = record.answers.get(ceiling_step.id, 10) if ceiling_step else 10
    if posts:
        promo = sum(1 for p in posts if p.promo)
        lines.append(
            t.tr("week.promo", share=t.percent(100 * promo / len(posts)), ceiling=t.percent(ceiling))
        )
    else:
        lines.append(t.tr("week.promo_none", ceiling=t.percent(ceiling)))
    waiting = record.waiting
    if waiting.count and waiting.since:
        age_hours = (now - datetime.fromisoformat(waiting.since)).total_seconds() / 3600
        reply_step = flows.plan_step("reply_time")
        choice = reply_step.choice(str(record.answers.get(reply_step.id))) if reply_step else None
        lines.append(
            t.count(
                "week.waiting",
                waiting.count,
                age=t.days_or_hours(age_hours),
                target=t.tr(choice.label) if choice else t.number(reply_hours or 0),
            )
        )
    else:
        lines.append(t.tr("week.waiting_none"))
    kept = streaks.streak(record, flows, prefs, now)
    lines.append(t.tr("week.streak", weeks=t.number(kept.weeks)))
    if kept.frozen:
        lines.append(t.count("memo.frozen", len(kept.frozen)))
    return "\n".join(lines)
