"""What a nudge says: short texts in the owner's language, each citing the topic behind it."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import diagnosis
from bot.events import Choice, Reply
from bot.flows import Flows
from bot.i18n import Translator
from bot.nudges.rules import CADENCE, PAUSED, REPLIES, WEEKLY, last_post_at, targets
from bot.pictures.replies import weekly_chart
from bot.store.base import OwnerRecord
from bot.tracking import week_view

TIP_REST = timedelta(weeks=8)
"""A topic given as tip of the week is not given again for this long."""


def checkin_questions(t: Translator) -> list[Reply]:
    """The one-tap check-in: posted since last time? comments waiting?"""
    return [
        Reply(
            t.tr("checkin.posted"),
            choices=(
                Choice("checkin:posted:yes", t.tr("checkin.posted.yes")),
                Choice("checkin:posted:no", t.tr("checkin.posted.no")),
            ),
            step="@checkin",
        ),
        Reply(
            t.tr("checkin.waiting"),
            choices=tuple(
                Choice("checkin:waiting:" + bucket, t.tr("checkin.waiting." + bucket))
                for bucket in ("none", "few", "many")
            ),
            step="@checkin",
        ),
    ]


def _cite(flows: Flows, t: Translator, topic: str) -> str:
    source = flows.sources[flows.topics[topic].source[0]]
    return t.tr("source.cite", title=source.title, author=t.tr(source.author))


def pick_tip(record: OwnerRecord, flows: Flows, now: datetime) -> str | None:
    """A topic not given lately: the owner's risks first (most harmful first), then the least recent."""
    shown = record.nudges.tips
    risky = [a.topic.id for a in diagnosis.risks(flows, record.answers)]
    ordered = risky + [t for t in flows.topics if t not in risky]
    fresh = [t for t in ordered if t not in shown or now - datetime.fromisoformat(shown[t]) >= TIP_REST]
    candidates = fresh or sorted(ordered, key=lambda t: shown.get(t, ""))
    return candidates[0] if candidates else None


def tip_text(flows: Flows, topic: str, t: Translator) -> str:
    """The stand-alone tip of a topic, written to be read out of any context."""
    return t.tr(f"tip.{topic}")


def compose(kind: str, record: OwnerRecord, flows: Flows, t: Translator, now: datetime) -> list[Reply]:
    """The messages of one nudge; the weekly one also notes which tip it gave."""
    cadence, _ = targets(flows, record)
    if kind == CADENCE:
        last = last_post_at(record) or now
        text = t.count("nudge.cadence", (now - last).days, cadence=t.number(cadence or 0))
        return [Reply(text + "\n\n" + _cite(flows, t, "irregular_posting")), checkin_questions(t)[0]]
    if kind == REPLIES:
        text = t.count("nudge.replies", record.waiting.count)
        return [
            Reply(
                text + "\n\n" + _cite(flows, t, "unanswered_users"),
                choices=(Choice("checkin:replied:all", t.tr("checkin.replied.all")),),
                step="@checkin",
            )
        ]
    if kind == WEEKLY:
        name = record.answers.get("business_name") or t.tr("plan.fallback_name")
        text = t.tr("nudge.weekly", name=name) + "\n\n" + week_view(record, flows, t, now)
        topic = pick_tip(record, flows, now)
        if topic:
            record.nudges.tips[topic] = now.isoformat()
            text += (
                "\n\n"
                + t.tr("nudge.tip")
                + "\n"
                + tip_text(flows, topic, t)
                + "\n\n"
                + _cite(flows, t, topic)
            )
        return [Reply(text), weekly_chart(record, flows, t, now), *checkin_questions(t)]
    if kind == PAUSED:
        return [
            Reply(
                t.tr("nudge.paused"),
                choices=(Choice("settings:resume", t.tr("settings.button.resume")),),
                step="@settings",
            )
        ]
    raise ValueError(f"unknown nudge kind {kind!r}")
