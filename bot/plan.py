"""The owner's plan, read from their answers, as a coach writes it; and the values texts can quote.

The plan's fields are the flow steps marked `plan_field`. Beyond them the plan says whether it
fits the owner's hours (`bot.workload`), what it costs (time and money), the sector's content
themes, 2-3 figures to track with today's value and a target for the review, the owner's risks
each with a weekly habit, and what to do with the accounts left out.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot import diagnosis
from bot.facts import plan_fit, suggested_cadence
from bot.flows import Flows, Step
from bot.i18n import Translator

REVIEW_MONTHS = 3
DEFAULT_CURRENCY = "EUR"
WEEKS_PER_MONTH = 52 / 12
PROMO_CEILING = 10
"""The articles' ceiling on self-promotion: 5 to 10 % of posts."""
THEMES = 4
GOAL_TARGETS = {
    # goal: (growth factor, least gain) over three months: the coach's own, modest, estimates.
    "awareness": (1.2, 20),
    "traffic": (1.3, 10),
    "sales": (1.2, 2),
    "leads": (1.3, 2),
}
EXAMPLES = ("behind_scenes", "useful_tip", "question", "contest_prize")


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has fewer days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def currency(answers: Mapping[str, Any], flows: Flows) -> str:
    """The owner's currency: the plan's currency field, or EUR."""
    step = flows.plan_step("currency")
    value = answers.get(step.id) if step else None
    return value if isinstance(value, str) else DEFAULT_CURRENCY


def hour_value(answers: Mapping[str, Any]) -> float | None:
    """What an hour of the plan's work costs: the rate given, or the owner's own hour when 0."""
    rate = answers.get("plan_hourly_rate")
    if not isinstance(rate, int | float):
        return None
    own = answers.get("plan_own_hour")
    return float(own) if rate == 0 and isinstance(own, int | float) else float(rate)


def weekly_minutes(answers: Mapping[str, Any]) -> float | None:
    """The minutes a week the plan takes (the coach's estimate), else the hours set aside for it."""
    checked = plan_fit(answers)
    if checked is not None:
        return float(checked.needed.total)
    hours = answers.get("plan_hours")
    return hours * 60.0 if isinstance(hours, int | float) else None


def monthly_cost(answers: Mapping[str, Any], flows: Flows) -> float | None:
    """The plan's time each week at the hour's value, over an average month; None until both are known.

    The time the plan takes, not the hours the owner could give: ten hours free for a plan of
    three is three hours' cost.
    """
    minutes, rate = weekly_minutes(answers), hour_value(answers)
    if minutes is None or rate is None:
        return None
    return round(minutes / 60 * rate * WEEKS_PER_MONTH, 2)


def review_date(completed_at: str | None, now: datetime) -> date:
    """Three months after the plan was finished (or after now, while it is being built)."""
    start = datetime.fromisoformat(completed_at).date() if completed_at else now.date()
    return add_months(start, REVIEW_MONTHS)


def labels(step: Step | None, value: Any, t: Translator) -> str:
    """The labels of the options picked, joined."""
    if step is None or value in (None, []):
        return t.tr("plan.missing")
    ids = value if isinstance(value, list) else [value]
    return ", ".join(t.tr(c.label) for c in step.choices if c.id in ids)


def placeholders(
    flows: Flows, answers: Mapping[str, Any], t: Translator, completed_at: str | None, now: datetime
) -> dict[str, str]:
    """The values flow texts may quote, formatted for the owner's language."""
    values = {
        "name": answers.get("business_name") or t.tr("plan.fallback_name"),
        "review_date": t.date(review_date(completed_at, now)),
        "suggested_cadence": t.number(suggested_cadence(answers)),
    }
    hours = answers.get("plan_hours", answers.get("hours_available"))
    if isinstance(hours, int | float):
        values["hours"] = t.hours(hours)
    if isinstance(answers.get("posts_per_month_now"), int | float):
        values["posts"] = t.number(answers["posts_per_month_now"])
    if answers.get("plan_networks"):
        values["networks"] = labels(flows.plan_step("networks"), answers["plan_networks"], t)
    if isinstance(answers.get("plan_cadence"), int | float):
        values["cadence"] = t.number(answers["plan_cadence"])
    if isinstance(answers.get("plan_promo_share"), int | float):
        values["promo_share"] = t.percent(answers["plan_promo_share"])
    cost = monthly_cost(answers, flows)
    if cost is not None:
        values["cost"] = t.money(cost, currency(answers, flows))
    sector = str(answers.get("sector") or "other")
    for example in EXAMPLES:
        values["example_" + example] = t.tr(f"example.{example}.{sector}")
    return values


def format_answer(step: Step, value: Any, t: Translator, money_currency: str) -> str:
    """How an answer reads back to the owner."""
    if step.kind in ("single", "yesno", "multiple"):
        return labels(step, value, t)
    if step.kind == "number":
        if step.unit == "percent":
            return t.tr("plan.value.promo_share", percent=t.percent(value))
        if step.unit == "money":
            return t.money(value, money_currency)
        if step.unit == "posts_per_week":
            return t.count("plan.value.cadence", value)
        if step.unit == "hours":
            return t.hours(value)
        return t.number(value)
    return str(value)


def themes(answers: Mapping[str, Any], t: Translator) -> list[str]:
    """The sector's content themes."""
    sector = str(answers.get("sector") or "other")
    return [t.tr(f"theme.{sector}.{n}") for n in range(1, THEMES + 1)]


def _line(t: Translator, label_key: str, value: str) -> str:
    return t.tr("plan.line", label=t.tr(label_key), value=value)


def _field(flows: Flows, answers: Mapping[str, Any], name: str) -> tuple[Step | None, Any]:
    step = flows.plan_step(name)
    return step, answers.get(step.id) if step else None


def render(
    flows: Flows, answers: Mapping[str, Any], t: Translator, completed_at: str | None, now: datetime
) -> str:
    """The plan as text: what, where, how often, who, how long, what it costs, how it is measured."""
    money = currency(answers, flows)
    name = answers.get("business_name") or t.tr("plan.fallback_name")
    lines = [t.tr("plan.header", name=name), ""]
    for field in ("objectives", "audience"):
        step, value = _field(flows, answers, field)
        lines.append(_line(t, "plan." + field, labels(step, value, t)))
    networks_step, networks = _field(flows, answers, "networks")
    cadence = answers.get("plan_cadence")
    shown = labels(networks_step, networks, t)
    if isinstance(cadence, int | float):
        shown = t.tr("plan.value.networks", networks=shown, cadence=t.count("plan.value.cadence", cadence))
    lines.append(_line(t, "plan.networks", shown))
    lines.append(_line(t, "plan.themes", " · ".join(themes(answers, t))))
    promo = answers.get("plan_promo_share")
    if isinstance(promo, int | float):
        key = "plan.value.promo_high" if promo > PROMO_CEILING else "plan.value.promo_ok"
        lines.append(_line(t, "plan.promo_share", t.tr(key, percent=t.percent(promo))))
    for field in ("reply_time", "listening", "responsible"):
        step, value = _field(flows, answers, field)
        lines.append(_line(t, "plan." + field, labels(step, value, t)))
    lines += _time_lines(answers, t)
    lines += _money_lines(flows, answers, t, money)
    lines += ["", t.tr("plan.figures", date=t.date(review_date(completed_at, now)))]
    lines += [f"• {figure}" for figure in figures(answers, t)]
    risk_lines = [
        t.tr("plan.risk_line", n=n, title=t.tr(f"topic.{a.topic.id}"), habit=t.tr(f"habit.{a.topic.id}"))
        for n, a in enumerate(diagnosis.risks(flows, answers), 1)
    ]
    if risk_lines:
        lines += ["", t.tr("plan.risks"), *risk_lines]
    if len(risk_lines) > HABITS_TO_START:  # all at once would be none at all
        lines.append(t.tr("plan.risks_start", count=t.number(HABITS_TO_START)))
    left_out = [n for n in answers.get("networks_now") or [] if n != "none" and n not in (networks or [])]
    if left_out and networks:
        lines += [
            "",
            t.tr(
                "plan.left_out",
                accounts=labels(flows.steps["networks_now"], left_out, t),
                networks=labels(networks_step, networks, t),
            ),
        ]
    return "\n".join(lines)


def _time_lines(answers: Mapping[str, Any], t: Translator) -> list[str]:
    hours = answers.get("plan_hours")
    if not isinstance(hours, int | float):
        return [_line(t, "plan.hours", t.tr("plan.missing"))]
    checked = plan_fit(answers)
    if checked is None:
        return [_line(t, "plan.hours", t.hours(hours))]
    key = "plan.value.hours_fit" if checked.fits else "plan.value.hours_over"
    return [_line(t, "plan.hours", t.tr(key, hours=t.hours(hours), needed=t.minutes(checked.needed.total)))]


def _money_lines(flows: Flows, answers: Mapping[str, Any], t: Translator, money: str) -> list[str]:
    lines = []
    cost, rate = monthly_cost(answers, flows), hour_value(answers)
    if cost is None:
        lines.append(_line(t, "plan.cost", t.tr("plan.missing")))
    elif rate == 0:
        lines.append(_line(t, "plan.cost", t.tr("plan.value.cost_unpriced")))
    else:
        lines.append(
            _line(
                t,
                "plan.cost",
                t.tr(
                    "plan.value.cost",
                    cost=t.money(cost, money),
                    hours=t.minutes(weekly_minutes(answers) or 0),
                    rate=t.money(rate or 0, money),
                ),
            )
        )
    budget = answers.get("plan_budget")
    if isinstance(budget, int | float):
        key = "plan.value.budget_none" if budget == 0 else "plan.value.budget"
        lines.append(_line(t, "plan.budget", t.tr(key, budget=t.money(budget, money))))
    return lines


HABITS_TO_START = 3
"""Habits to begin with when the plan lists more; the weekly memo's tips bring the others."""


@dataclass(frozen=True)
class Figure:
    """A figure to track: which (`figure.<key>` in the catalogs), today's value and the target."""

    key: str
    baseline: float | None
    target: float | None


def tracked(answers: Mapping[str, Any]) -> list[Figure]:
    """The figures to track: posts a week, the first objective's figure, replies on time."""
    found = []
    cadence = answers.get("plan_cadence")
    if isinstance(cadence, int | float):
        now_posts = round(float(answers.get("posts_per_month_now") or 0) / WEEKS_PER_MONTH, 1)
        found.append(Figure("posts", now_posts, cadence))
    goal = (answers.get("plan_objectives") or ["awareness"])[0]
    baseline = answers.get("plan_baseline")
    if isinstance(baseline, int | float):
        if goal in GOAL_TARGETS:
            factor, least = GOAL_TARGETS[goal]
            found.append(Figure(goal, baseline, max(baseline + least, math.ceil(baseline * factor))))
        else:
            found.append(Figure(goal, baseline, 10))
    if answers.get("plan_reply_time"):
        found.append(Figure("replies", None, 0))
    return found


def figures(answers: Mapping[str, Any], t: Translator) -> list[str]:
    """The figures to track, each as a line of the plan."""
    lines = []
    for figure in tracked(answers):
        if figure.key == "replies":
            reply = str(answers.get("plan_reply_time"))
            lines.append(t.tr("figure.replies", target=t.tr(f"plan_reply_time.{reply}").lower()))
        else:
            baseline, target = t.number(figure.baseline or 0), t.number(figure.target or 0)
            lines.append(t.tr(f"figure.{figure.key}", baseline=baseline, target=target))
    return lines
