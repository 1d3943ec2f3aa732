"""The 3-month review: the tracked figures against their start and target, and what to adjust.

On the plan's review date (`bot.plan.review_date`, at the memo's hour) the coach sends one
message: each figure of `bot.plan.tracked` with its value at the start, its target, and today's
value — measured where the coach can (posts a week over the last four weeks, replies late now),
asked in one tap where only the owner knows (the objective's figure: below the start, on the
way, reached). From those numbers it proposes which parts of the plan to adjust; each is one tap
(`edit:<step>`, as `/plan <part>`), keeping the plan is one tap too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import plan
from bot.events import Choice, Reply
from bot.flows import Flows
from bot.i18n import Translator
from bot.nudges.prefs import Prefs
from bot.store.base import OwnerRecord

WINDOW_WEEKS = 4
"""Posts a week today: the average of the last four weeks."""
GOAL_ANSWERS = ("below", "way", "reached")
SHORT = 0.75
"""Posts below this share of the target: propose a cadence that fits."""
PARTS = {"posts": "cadence", "replies": "reply_time", "goal": "objectives"}
"""The part of the plan to adjust when a figure falls short."""


def due_at(record: OwnerRecord, prefs: Prefs) -> datetime | None:
    """When the review is due: its date at the memo's hour (None before the plan exists)."""
    if record.completed_at is None:
        return None
    day = plan.review_date(record.completed_at, datetime.fromisoformat(record.completed_at))
    return prefs.at_local(day, prefs.checkin_time)


def period(record: OwnerRecord) -> str:
    """The review's period key: one review per plan."""
    return "review " + str(record.completed_at)


def posts_a_week(record: OwnerRecord, now: datetime) -> float:
    """Posts a week over the last four weeks."""
    start = now - timedelta(weeks=WINDOW_WEEKS)
    return round(sum(1 for p in record.posts if start <= p.moment <= now) / WINDOW_WEEKS, 1)


def _step_for(flows: Flows, field: str) -> str | None:
    step = flows.plan_step(field)
    return step.id if step else None


def short_parts(record: OwnerRecord, flows: Flows, now: datetime, goal: str | None) -> list[str]:
    """The plan fields the numbers say to adjust."""
    parts = []
    for figure in plan.tracked(record.answers):
        if figure.key == "posts" and figure.target and posts_a_week(record, now) < SHORT * figure.target:
            parts.append(PARTS["posts"])
        elif figure.key == "replies" and record.waiting.count:
            parts.append(PARTS["replies"])
    if goal == "below":
        parts.append(PARTS["goal"])
    return [p for p in parts if _step_for(flows, p)]


def _adjust_choices(flows: Flows, t: Translator, parts: list[str]) -> tuple[Choice, ...]:
    adjust = tuple(
        Choice("edit:" + str(_step_for(flows, part)), t.tr("review.adjust", part=t.tr("plan." + part)))
        for part in parts
    )
    return (*adjust, Choice("review:keep", t.tr("review.keep")))


def message(record: OwnerRecord, flows: Flows, t: Translator, now: datetime) -> Reply:
    """The review: figures, today's values, what to adjust; the objective's figure asked in one tap."""
    name = record.answers.get("business_name") or t.tr("plan.fallback_name")
    lines = [t.tr("review.title", name=name), ""]
    goal_figure = None
    for figure in plan.tracked(record.answers):
        if figure.key == "posts":
            lines.append(
                t.tr(
                    "review.posts",
                    baseline=t.number(figure.baseline or 0),
                    target=t.number(figure.target or 0),
                    now=t.number(posts_a_week(record, now)),
                )
            )
        elif figure.key == "replies":
            lines.append(t.count("review.replies", record.waiting.count))
        else:
            goal_figure = figure
            lines.append(
                t.tr(
                    "review.goal",
                    figure=t.tr("figure_name." + figure.key),
                    baseline=t.number(figure.baseline or 0),
                    target=t.number(figure.target or 0),
                )
            )
    parts = short_parts(record, flows, now, None)
    lines += ["", t.tr("review.propose") if parts else t.tr("review.on_track")]
    choices = _adjust_choices(flows, t, parts)
    if goal_figure is not None:
        lines += ["", t.tr("review.ask_goal")]
        choices = (
            *(Choice("review:goal:" + a, t.tr("review.goal." + a)) for a in GOAL_ANSWERS),
            *choices,
        )
    return Reply("\n".join(lines), choices=choices, step="@review")


def answer(record: OwnerRecord, flows: Flows, t: Translator, value: str, now: datetime) -> list[Reply]:
    """A tap on the review: today's objective figure (then what to adjust), or keep the plan."""
    if value == "keep":
        return [Reply(t.tr("review.kept"))]
    kind, _, bucket = value.partition(":")
    if kind != "goal" or bucket not in GOAL_ANSWERS:
        return [Reply(t.tr("input.stale_choice"))]
    parts = short_parts(record, flows, now, bucket)
    text = t.tr("review.goal_noted." + bucket) + "\n\n"
    text += t.tr("review.propose") if parts else t.tr("review.on_track")
    return [Reply(text, choices=_adjust_choices(flows, t, parts), step="@review")]
