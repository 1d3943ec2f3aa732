"""What a nudge says: one message in the owner's language, whatever is due at that moment.

The weekly memo is the week against the plan, the streak, one next action drawn from the
owner's own numbers, a tip that fits, and the check-ins as buttons of the same message.
Reminders between memos (posting, replies) go out bundled. Each kind has several wordings,
used in turn, so the same text never comes twice in a row (Yancey & Settles, KDD 2020: a
message seen recently loses its effect).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_time

from bot import diagnosis, workload
from bot.events import Choice, Reply
from bot.facts import plan_fit, plan_values
from bot.flows import Flows
from bot.i18n import Translator
from bot.nudges import review, streaks
from bot.nudges.prefs import Prefs
from bot.nudges.rules import CADENCE, FAREWELL, PAUSED, REPLIES, REVIEW, WEEKLY, last_post_at, targets
from bot.pictures import replies as pictures
from bot.pictures.caption import caption_length
from bot.store.base import OwnerRecord, Post

WORDINGS = 3
"""Wordings per reminder kind and language (`nudge.<kind>.1` … `.3`)."""
WORDED = ("cadence", "slot", "replies", "weekly", "paused")
PROMO_TOPICS = ("all_commercial", "social_for_selling")
DEFAULT_CEILING = 10
WAITING_BUCKETS = ("none", "few", "many")
CAPTION_MAX = 1024
"""The longest text that goes with a picture as one message (Telegram's caption limit, counted
as Telegram counts: UTF-16 code units). The memo carries its chart, so its text is fitted to it."""
NAME_SHORT = 24
"""Characters of the business's name kept in the memo's greeting when the text must be shortened."""


def _cite(flows: Flows, t: Translator, topic: str) -> str:
    source = flows.sources[flows.topics[topic].source[0]]
    return t.tr("source.cite", title=source.title, author=t.tr(source.author))


def wording(record: OwnerRecord, kind: str) -> str:
    """The key of the next wording of `kind` for this owner (never the one used last time)."""
    last = record.nudges.wordings.get(kind, 0)
    chosen = last % WORDINGS + 1
    record.nudges.wordings[kind] = chosen
    return f"nudge.{kind}.{chosen}"


# --- the owner's numbers -------------------------------------------------------------------------


def ceiling(flows: Flows, record: OwnerRecord) -> float:
    """The plan's self-promotion ceiling, in percent."""
    step = flows.plan_step("promo_share")
    value = record.answers.get(step.id, DEFAULT_CEILING) if step else DEFAULT_CEILING
    return float(value) if isinstance(value, int | float) else DEFAULT_CEILING


def recent_posts(record: OwnerRecord, now: datetime, days: int = 7) -> list[Post]:
    """The posts logged in the `days` before `now`."""
    start = now - timedelta(days=days)
    return [p for p in record.posts if start <= p.moment <= now]


def waiting_hours(record: OwnerRecord, now: datetime) -> float:
    """How long the oldest comment or message has waited for a reply (0: none waiting)."""
    if not record.waiting.count or not record.waiting.since:
        return 0.0
    return (now - datetime.fromisoformat(record.waiting.since)).total_seconds() / 3600


def over_ceiling(record: OwnerRecord, flows: Flows, now: datetime) -> bool:
    """More self-promotion over the last two weeks than the plan's ceiling (two posts at least)."""
    posts = recent_posts(record, now, 14)
    promo = sum(1 for p in posts if p.promo)
    return promo >= 2 and 100 * promo / len(posts) > ceiling(flows, record)


def replies_late(record: OwnerRecord, flows: Flows, now: datetime) -> bool:
    """Comments or messages waiting longer than the plan's reply target."""
    _, reply_hours = targets(flows, record)
    return reply_hours is not None and record.waiting.count > 0 and waiting_hours(record, now) > reply_hours


def irregular_week(record: OwnerRecord, flows: Flows, now: datetime) -> bool:
    """The last seven days fell short of the cadence, or bunched every post on one day."""
    cadence, _ = targets(flows, record)
    if not cadence or not record.completed_at:
        return False
    if now - datetime.fromisoformat(record.completed_at) < timedelta(days=7):
        return False
    posts = recent_posts(record, now)
    days = {p.moment.date() for p in posts}
    return len(posts) < cadence or (cadence >= 2 and len(days) == 1)


def data_calls(record: OwnerRecord, flows: Flows, now: datetime) -> list[str]:
    """The topics the owner's own numbers call for, most pressing first."""
    called: list[str] = []
    if over_ceiling(record, flows, now):
        called += PROMO_TOPICS
    if replies_late(record, flows, now):
        called.append("unanswered_users")
    if irregular_week(record, flows, now):
        called.append("irregular_posting")
    return [topic for topic in called if topic in flows.topics]


# --- the tip -------------------------------------------------------------------------------------


def tip_order(record: OwnerRecord, flows: Flows) -> list[str]:
    """Every topic for this owner: risks (most harmful first), then those to watch, then the rest."""
    risky = [a.topic.id for a in diagnosis.risks(flows, record.answers)]
    watch = [a.topic.id for a in diagnosis.assess(flows, record.answers) if a.status == diagnosis.WATCH]
    return risky + [t for t in watch if t not in risky] + [t for t in flows.topics if t not in risky + watch]


def times_given(record: OwnerRecord, topic: str) -> int:
    """How many times a topic was given as a tip (an older record only knows when: once)."""
    return record.nudges.tip_counts.get(topic, 1 if topic in record.nudges.tips else 0)


def pick_tip(record: OwnerRecord, flows: Flows, now: datetime) -> str | None:
    """The tip for this owner now, or None when there is no topic.

    Among the topics given least often (so none repeats before all were given): the one the
    data calls for, else the most harmful risk, else the next in `tip_order`.
    """
    ordered = tip_order(record, flows)
    if not ordered:
        return None
    least = min(times_given(record, topic) for topic in ordered)
    fresh = [topic for topic in ordered if times_given(record, topic) == least]
    called = [topic for topic in data_calls(record, flows, now) if topic in fresh]
    return (called or fresh)[0]


def give_tip(record: OwnerRecord, topic: str, now: datetime) -> None:
    """Note that `topic` was given as a tip at `now`."""
    record.nudges.tip_counts[topic] = times_given(record, topic) + 1
    record.nudges.tips[topic] = now.isoformat()


def tip_text(flows: Flows, topic: str, t: Translator) -> str:
    """The stand-alone tip of a topic, written to be read out of any context, with its source."""
    return t.tr(f"tip.{topic}") + "\n" + _cite(flows, t, topic)


# --- the memo ------------------------------------------------------------------------------------


def week_lines(record: OwnerRecord, flows: Flows, t: Translator, now: datetime) -> list[str]:
    """The last seven days against the plan: posts, self-promotion, replies, streak."""
    cadence, _ = targets(flows, record)
    posts = recent_posts(record, now)
    top = ceiling(flows, record)
    lines = [
        t.tr("memo.title"),
        t.tr("week.posts", count=t.number(len(posts)), cadence=t.number(cadence or 0)),
    ]
    if posts:
        share = 100 * sum(1 for p in posts if p.promo) / len(posts)
        lines.append(t.tr("week.promo", share=t.percent(share), ceiling=t.percent(top)))
    else:
        lines.append(t.tr("week.promo_none", ceiling=t.percent(top)))
    lines += hours_line(record, t, len(posts))
    if record.waiting.count:
        lines.append(
            t.count("memo.waiting", record.waiting.count, age=t.days_or_hours(waiting_hours(record, now)))
        )
    else:
        lines.append(t.tr("week.waiting_none"))
    prefs = Prefs.of(record.prefs, record.language)
    streak = streaks.streak(record, flows, prefs, now)
    lines.append(t.count("memo.streak", streak.weeks))
    if streak.frozen:
        lines.append(t.count("memo.frozen", len(streak.frozen)))
    return lines


def hours_line(record: OwnerRecord, t: Translator, posts: int) -> list[str]:
    """The time the week's posts took against the plan's posting time, both the coach's estimates."""
    checked = plan_fit(record.answers)
    if checked is None or not posts:  # no post: the memo's count says it, "about 0 min" would not
        return []
    each = workload.minutes_per_post(len(plan_values(record.answers)["networks"]))
    return [
        t.tr(
            "week.hours",
            spent=t.minutes(posts * each),
            planned=t.minutes(checked.needed.posting),
            each=t.minutes(each),
        )
    ]


def next_action(record: OwnerRecord, flows: Flows, t: Translator, now: datetime) -> str:
    """One small thing to do this week, from the owner's own numbers."""
    cadence, _ = targets(flows, record)
    posts = recent_posts(record, now)
    if replies_late(record, flows, now):
        return t.count("memo.next.replies", record.waiting.count)
    if over_ceiling(record, flows, now):
        two_weeks = recent_posts(record, now, 14)
        promo = sum(1 for p in two_weeks if p.promo)
        return t.tr(
            "memo.next.promo",
            promo=t.number(promo),
            posts=t.number(len(two_weeks)),
            ceiling=t.percent(ceiling(flows, record)),
        )
    if cadence and len(posts) < cadence:
        return t.count("memo.next.posts", round(cadence - len(posts)), cadence=t.number(cadence))
    return t.tr("memo.next.keep")


def memo_choices(record: OwnerRecord, t: Translator) -> tuple[Choice, ...]:
    """The check-ins of the memo, as buttons of the memo itself (its chart is in it)."""
    choices = [Choice("checkin:posted:yes", t.tr("memo.button.posted"))]
    choices += [Choice("checkin:waiting:" + b, t.tr("memo.button.waiting." + b)) for b in WAITING_BUCKETS]
    if not record.prefs.post_days:
        choices.append(Choice("posting:ask", t.tr("posting.button")))
    return tuple(choices)


def _shortened(name: str) -> str:
    return name if len(name) <= NAME_SHORT else name[: NAME_SHORT - 1].rstrip() + "…"


def fitted(
    greeting: str, short_greeting: str, body: list[str], tip: tuple[str, str] | None, closing: str
) -> tuple[str, bool]:
    """The memo's text within CAPTION_MAX, so that it goes out with its chart; and whether the tip is in it.

    Whole, if it fits; else with the business's name shortened in the greeting; else with the
    tip's source by its title alone (`tip`: the tip with its whole source, and with its title);
    else without the closing line too (the buttons under it say the same); else, rarely (see
    `benchmarks/pictures.py captions`), without the tip, which then comes another week. Were
    even that too long, it would go as it is: the channel sends the chart and the text apart.
    """
    whole, short = ([tip[0]], [tip[1]]) if tip else ([], [])
    for text, with_tip in (
        ("\n\n".join([greeting, *body, *whole, closing]), True),
        ("\n\n".join([short_greeting, *body, *whole, closing]), True),
        ("\n\n".join([short_greeting, *body, *short, closing]), True),
        ("\n\n".join([short_greeting, *body, *short]), True),
        ("\n\n".join([short_greeting, *body, closing]), False),
    ):
        if caption_length(text) <= CAPTION_MAX:
            return text, with_tip and tip is not None
    return text, False


def memo(record: OwnerRecord, flows: Flows, t: Translator, now: datetime) -> Reply:
    """The weekly memo: one message, its chart with its text and its check-in buttons."""
    name = str(record.answers.get("business_name") or t.tr("plan.fallback_name"))
    greeting = wording(record, WEEKLY)
    body = [
        "\n".join(week_lines(record, flows, t, now)),
        t.tr("memo.next") + "\n" + next_action(record, flows, t, now),
    ]
    topic = pick_tip(record, flows, now)
    tip = None
    if topic:
        title = flows.sources[flows.topics[topic].source[0]].title
        tip = (
            t.tr("nudge.tip") + "\n" + tip_text(flows, topic, t),
            t.tr("nudge.tip") + "\n" + t.tr(f"tip.{topic}") + "\n" + t.tr("source.cite_title", title=title),
        )
    text, tipped = fitted(
        t.tr(greeting, name=name), t.tr(greeting, name=_shortened(name)), body, tip, t.tr("memo.checkin")
    )
    if topic and tipped:
        give_tip(record, topic, now)
    chart = pictures.weekly_chart(record, flows, t, now)
    return Reply(text, choices=memo_choices(record, t), step="@checkin", attachment=chart)


# --- reminders between memos ---------------------------------------------------------------------


def _cadence_text(record: OwnerRecord, flows: Flows, t: Translator, now: datetime) -> str:
    cadence, _ = targets(flows, record)
    prefs = Prefs.of(record.prefs, record.language)
    slot = prefs.latest_post_slot(now)
    if prefs.post_time is not None and slot is not None:
        clock = format_time(prefs.local(slot).time(), format="short", locale=t.locale)
        text = t.tr(wording(record, "slot"), time=clock)
    else:
        last = last_post_at(record) or now
        text = t.count(wording(record, CADENCE), (now - last).days, cadence=t.number(cadence or 0))
    return text + "\n" + _cite(flows, t, "irregular_posting")


def _replies_text(record: OwnerRecord, flows: Flows, t: Translator) -> str:
    text = t.count(wording(record, REPLIES), record.waiting.count)
    return text + "\n" + _cite(flows, t, "unanswered_users")


def compose(kinds: list[str], record: OwnerRecord, flows: Flows, t: Translator, now: datetime) -> list[Reply]:
    """The one message for what is due at `now` (`kinds`); the memo carries the rest."""
    if PAUSED in kinds:
        return [
            Reply(
                t.tr(wording(record, PAUSED)),
                choices=(Choice("settings:resume", t.tr("settings.button.resume")),),
                step="@settings",
            )
        ]
    if FAREWELL in kinds:
        return [
            Reply(
                t.tr("nudge.farewell"),
                choices=(Choice("settings:resume", t.tr("nudge.farewell.resume")),),
                step="@settings",
            )
        ]
    if REVIEW in kinds:
        return [review.message(record, flows, t, now)]
    if WEEKLY in kinds:
        return [memo(record, flows, t, now)]
    parts, choices = [], []
    if CADENCE in kinds:
        parts.append(_cadence_text(record, flows, t, now))
        choices.append(Choice("checkin:posted:yes", t.tr("memo.button.posted")))
    if REPLIES in kinds:
        parts.append(_replies_text(record, flows, t))
        choices.append(Choice("checkin:replied:all", t.tr("checkin.replied.all")))
    if not parts:
        raise ValueError(f"nothing to say for {kinds!r}")
    return [Reply("\n\n".join(parts), choices=tuple(choices), step="@checkin")]
