"""The catalog template: every text key the flows and the code use, written to messages.pot.

Run `python -m bot.catalog` (or `make i18n`) after changing a flow or a UI text, then
`pybabel update` and `pybabel compile` (the Makefile does all three).
"""

from __future__ import annotations

import io
import sys
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot import flows as flow_files
from bot.commands import COMMANDS
from bot.feeds.command import KEYS as FEED_KEYS

PLURAL_KEYS = (
    "review.replies",
    "nudge.cadence.1",
    "nudge.cadence.2",
    "nudge.cadence.3",
    "nudge.replies.1",
    "nudge.replies.2",
    "nudge.replies.3",
    "memo.waiting",
    "memo.streak",
    "memo.frozen",
    "memo.next.replies",
    "memo.next.posts",
    "diagnosis.fine",
    "diagnosis.work",
    "plan.value.cadence",
    "track.pending",
    "track.replied",
    "unit.days",
    "unit.hours",
    "unit.minutes",
    "week.waiting",
)
"""Keys shown with `Translator.count`: the catalogs hold one form per plural (gettext's rules)."""
UI_KEYS = (
    "back.at_start",
    "chart.subtitle",
    "chart.this_week",
    "chart.posts",
    "chart.posts.other",
    "chart.posts.promo",
    "chart.cadence",
    "chart.promo",
    "chart.replies",
    "chart.replies.key",
    "chart.caption.title",
    "chart.caption.posts",
    "chart.caption.pace",
    "chart.caption.promo",
    "chart.caption.promo_none",
    "chart.caption.replies",
    "card.title",
    "card.made",
    "card.themes",
    "card.figures",
    "card.figure",
    "card.figure_new",
    "card.budget",
    "card.per_week",
    "card.review",
    "card.footer",
    "card.ready",
    "card.pdf",
    "card.not_finished",
    "checkin.replied.all",
    "checkin.thanks",
    "delete.cancelled",
    "delete.confirm",
    "delete.done",
    "delete.no",
    "delete.yes",
    "diagnosis.learn",
    "diagnosis.nothing_urgent",
    "done.idle",
    "done.thanks",
    "done.hello",
    "error.internal",
    "export.ready",
    "figure.posts",
    "figure.replies",
    "help.text",
    "input.empty",
    "input.exclusive",
    "input.expects.hours",
    "input.expects.money",
    "input.expects.number",
    "input.expects.percent",
    "input.expects.posts_per_week",
    "input.not_a_number",
    "input.not_now",
    "input.one_number",
    "input.out_of_range",
    "input.pick_many",
    "input.pick_one",
    "input.stale_choice",
    "input.too_long",
    "input.unknown_command",
    "intent.cancelled",
    "intent.did_you_mean",
    "intent.no",
    "intent.yes",
    "input.which_unit",
    "language.changed",
    "learn.habit",
    "learn.how",
    "learn.legend",
    "learn.title",
    "learn.unknown",
    "lesson.head",
    "lesson.head_more",
    "multiple.done",
    "multiple.hint",
    "nudge.tip",
    "review.title",
    "review.posts",
    "review.goal",
    "review.propose",
    "review.on_track",
    "review.ask_goal",
    "review.goal.below",
    "review.goal.way",
    "review.goal.reached",
    "review.goal_noted.below",
    "review.goal_noted.way",
    "review.goal_noted.reached",
    "review.adjust",
    "review.keep",
    "review.kept",
    "nudge.slot.1",
    "nudge.slot.2",
    "nudge.slot.3",
    "nudge.weekly.1",
    "nudge.weekly.2",
    "nudge.weekly.3",
    "nudge.paused.1",
    "nudge.paused.2",
    "nudge.paused.3",
    "nudge.farewell",
    "nudge.farewell.resume",
    "memo.title",
    "memo.next",
    "memo.next.promo",
    "memo.next.keep",
    "memo.checkin",
    "memo.button.posted",
    "memo.button.waiting.none",
    "memo.button.waiting.few",
    "memo.button.waiting.many",
    "posting.button",
    "posting.ask",
    "posting.set",
    "city.ask",
    "city.set",
    "city.unknown",
    "city.which",
    "settings.budget_line",
    "settings.budget_set",
    "settings.budget_bad",
    "settings.posting_line",
    "settings.posting_none",
    "settings.posting_bad",
    "plan.budget",
    "plan.cost",
    "plan.edit_prompt",
    "plan.fallback_name",
    "plan.figures",
    "plan.header",
    "plan.hours",
    "plan.left_out",
    "plan.line",
    "plan.missing",
    "plan.not_finished",
    "plan.promo_share",
    "plan.risk_line",
    "plan.risks",
    "plan.risks_start",
    "plan.themes",
    "plan.updated",
    "plan.value.budget",
    "plan.value.budget_none",
    "plan.value.cost",
    "plan.value.cost_unpriced",
    "plan.value.hours_fit",
    "plan.value.hours_over",
    "plan.value.networks",
    "plan.value.promo_high",
    "plan.value.promo_ok",
    "plan.value.promo_share",
    "plan_fit.change.cadence",
    "plan_fit.change.hours",
    "plan_fit.change.networks",
    "plan_fit.text",
    "progress.module",
    "restart.cancelled",
    "restart.confirm",
    "restart.no",
    "restart.yes",
    "settings.button.pause",
    "settings.button.resume",
    "settings.button.stop",
    "settings.checkin_bad",
    "settings.checkin_line",
    "settings.checkin_set",
    "settings.holiday_bad",
    "settings.holiday_line",
    "settings.holiday_set",
    "settings.paused",
    "settings.quiet_bad",
    "settings.quiet_line",
    "settings.quiet_set",
    "settings.resumed",
    "settings.status_on",
    "settings.status_paused",
    "settings.status_stopped",
    "settings.stopped",
    "settings.timezone_line",
    "settings.timezone_set",
    "settings.timezone_unknown",
    "settings.title",
    "settings.usage",
    "skip.default",
    "skip.nothing",
    "skip.ok",
    "slack.dm_notice",
    "slack.edited",
    "slack.home.begin",
    "slack.home.continue",
    "slack.home.help",
    "slack.home.plan",
    "slack.home.progress",
    "slack.home.title",
    "slack.home.welcome",
    "slack.unsupported",
    "source.cite",
    "source.cite_title",
    "start.already_done",
    "start.welcome_back",
    "telegram.description",
    "telegram.edited",
    "telegram.private_only",
    "telegram.short_description",
    "telegram.unsupported",
    "terminal.bye",
    "terminal.hint",
    "terminal.nudges",
    "terminal.saved",
    "track.pending_none",
    "track.posted",
    "track.promo",
    "track.replied_all",
    "track.usage_pending",
    "track.usage_posted",
    "track.usage_replied",
    "unit.hours_minutes",
    "week.no_plan",
    "week.posts",
    "week.hours",
    "week.promo",
    "week.promo_none",
    "week.streak",
    "week.title",
    "week.waiting_none",
    *FEED_KEYS,
    *PLURAL_KEYS,
)
"""Keys the code shows; `tests/test_catalogs.py` checks every `tr("…")` in `bot/` is listed."""
EXAMPLES = ("behind_scenes", "useful_tip", "question", "contest_prize")
THEMES = 4
GOALS = ("awareness", "traffic", "sales", "leads", "customer_care")
PLAN_FIT_CHANGES = ("networks", "cadence", "hours", "reply_time", "listening")
TOPIC_MODULES = ("prerequisites", "misconceptions", "mistakes")


def template_keys(journey: flow_files.Flows) -> dict[str, str]:
    """Every key with where it is used, for the translator's comment."""
    keys = {key: f"{file}: {step}" for key, (file, step) in journey.text_keys().items()}
    for step in journey.plan_steps():
        keys.setdefault(f"plan.{step.plan_field}", f"plan field of {step.id}")
    for name in COMMANDS:
        keys.setdefault(f"command.{name}", f"description of /{name}")
    sector = journey.steps.get("sector")
    for choice in sector.choices if sector else ():
        for example in EXAMPLES:
            keys.setdefault(f"example.{example}.{choice.id}", f"example for {choice.id}")
        for n in range(1, THEMES + 1):
            keys.setdefault(f"theme.{choice.id}.{n}", f"content theme for {choice.id}")
    for goal in GOALS:
        keys.setdefault(f"figure.{goal}", "figure to track")
    for figure in (*GOALS, "posts", "replies"):
        keys.setdefault(f"figure_name.{figure}", "name of a figure to track, on the plan card")
    for change in PLAN_FIT_CHANGES:
        keys.setdefault(f"plan_fit.change.{change}", "lighter plan")
    for module in TOPIC_MODULES:
        keys.setdefault(f"learn.module.{module}", "/learn")
    for key in UI_KEYS:
        keys.setdefault(key, "bot/")
    return keys


def _render(keys: dict[str, str], created: datetime | None) -> bytes:
    catalog = Catalog(project="coach", version="1", charset="utf-8", creation_date=created)
    for key, where in sorted(keys.items()):
        catalog.add((key, key) if key in PLURAL_KEYS else key, auto_comments=[where])
    out = io.BytesIO()
    write_po(out, catalog, omit_header=False, width=100, no_location=True, sort_output=True)
    return out.getvalue()


def write_template(root: Path) -> Path:
    """Write `locales/messages.pot` from the flows and the code's keys, only if they changed.

    The template keeps its creation date while its keys stay the same, so `make i18n` with
    nothing new changes no file (pybabel copies that date into each `.po`).
    """
    keys = template_keys(flow_files.load(root / "flows"))
    target = root / "locales" / "messages.pot"
    if target.exists():
        with target.open("rb") as handle:
            before = read_po(handle).creation_date
        if isinstance(before, datetime) and _render(keys, before) == target.read_bytes():
            return target
    target.write_bytes(_render(keys, None))
    return target


if __name__ == "__main__":
    print(write_template(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()))
