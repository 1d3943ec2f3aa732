"""The owner's plan, read from their answers, and the values their texts can quote.

The plan's fields are the flow steps marked `plan_field`; how a value reads depends on the
step's kind and unit, so adding a field to the plan is a change to the flows only.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any

from bot.flows import Flows, Step
from bot.i18n import Translator

REVIEW_MONTHS = 3
DEFAULT_CURRENCY = "EUR"
WEEKS_PER_MONTH = 52 / 12
TOP_RISKS = 3


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has fewer days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def currency(answers: dict[str, Any], flows: Flows) -> str:
    """The owner's currency: the plan's currency field, or EUR."""
    step = flows.plan_step("currency")
    value = answers.get(step.id) if step else None
    return value if isinstance(value, str) else DEFAULT_CURRENCY


def monthly_cost(answers: dict[str, Any], flows: Flows) -> float | None:
    """Hours per week times the hourly rate, over an average month; None until both are known."""
    hours_step, rate_step = flows.plan_step("hours"), flows.plan_step("hourly_rate")
    if hours_step is None or rate_step is None:
        return None
    hours, rate = answers.get(hours_step.id), answers.get(rate_step.id)
    if not isinstance(hours, int | float) or not isinstance(rate, int | float):
        return None
    return round(hours * rate * WEEKS_PER_MONTH, 2)


def review_date(completed_at: str | None, now: datetime) -> date:
    """Three months after the plan was finished (or after now, while it is being built)."""
    start = datetime.fromisoformat(completed_at).date() if completed_at else now.date()
    return add_months(start, REVIEW_MONTHS)


def placeholders(
    flows: Flows, answers: dict[str, Any], t: Translator, completed_at: str | None, now: datetime
) -> dict[str, str]:
    """The values flow texts may quote, formatted for the owner's language."""
    values = {
        "name": answers.get("business_name") or t.tr("plan.fallback_name"),
        "review_date": t.date(review_date(completed_at, now)),
    }
    for key, step_id in (("hours", "hours_available"), ("posts", "posts_per_month_now")):
        if isinstance(answers.get(step_id), int | float):
            values[key] = t.number(answers[step_id])
    for step in flows.plan_steps():
        value = answers.get(step.id)
        if step.plan_field == "cadence" and value is not None:
            values["cadence"] = t.number(value)
        elif step.plan_field == "promo_share" and value is not None:
            values["promo_share"] = t.percent(value)
    cost = monthly_cost(answers, flows)
    if cost is not None:
        values["cost"] = t.money(cost, currency(answers, flows))
    return values


def format_answer(step: Step, value: Any, t: Translator, money_currency: str) -> str:
    """How an answer reads back to the owner."""
    if step.kind in ("single", "yesno"):
        choice = step.choice(value)
        return t.tr(choice.label) if choice else str(value)
    if step.kind == "multiple":
        return ", ".join(t.tr(c.label) for c in step.choices if c.id in value)
    if step.kind == "number":
        unit_keys = {
            "posts_per_week": ("plan.value.cadence", "count"),
            "hours": ("plan.value.hours", "hours"),
        }
        if step.unit == "percent":
            return t.tr("plan.value.promo_share", percent=t.percent(value))
        if step.unit == "money":
            return t.money(value, money_currency)
        if step.unit in unit_keys:
            key, name = unit_keys[step.unit]
            return t.tr(key, **{name: t.number(value)})
        return t.number(value)
    return str(value)


def render(
    flows: Flows, answers: dict[str, Any], t: Translator, completed_at: str | None, now: datetime
) -> str:
    """The plan as text: one line per field, then the monthly cost and the review date."""
    money = currency(answers, flows)
    name = answers.get("business_name") or t.tr("plan.fallback_name")
    lines = [t.tr("plan.header", name=name), ""]
    for step in flows.plan_steps():
        if step.plan_field == "currency":
            continue
        value = answers.get(step.id)
        shown = format_answer(step, value, t, money) if value not in (None, []) else t.tr("plan.missing")
        lines.append(t.tr("plan.line", label=t.tr("plan." + str(step.plan_field)), value=shown))
    cost = monthly_cost(answers, flows)
    cost_text = (
        t.tr("plan.value.cost", cost=t.money(cost, money)) if cost is not None else t.tr("plan.missing")
    )
    review = t.tr("plan.value.review", date=t.date(review_date(completed_at, now)))
    lines.append(t.tr("plan.line", label=t.tr("plan.cost"), value=cost_text))
    lines.append(t.tr("plan.line", label=t.tr("plan.review"), value=review))
    return "\n".join(lines)


def top_risks(flows: Flows, answers: dict[str, Any]) -> list[Step]:
    """The self-check steps whose answers carry the most risk, at most three, in flow order."""
    scored = []
    for index, step_id in enumerate(flows.order):
        step = flows.steps[step_id]
        choice = step.choice(str(answers.get(step_id))) if step.risk_label else None
        if choice is not None and choice.risk > 0:
            scored.append((-choice.risk, index, step))
    return [step for _, _, step in sorted(scored, key=lambda s: (s[0], s[1]))[:TOP_RISKS]]
