"""What the coach knows of an owner beyond their answers, for the flows' conditions and presets.

Facts are derived from answers (never stored), so they follow every change of an answer: `solo`
(no staff), `has_accounts` (already on a network), `b2b` (sells to businesses), `goal` (the first
objective), `plan_fits` (the plan's hours against the owner's, see `bot.workload`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import workload

FACT_NAMES = ("solo", "has_accounts", "b2b", "goal", "plan_fits")
DERIVED_NAMES = ("audience", "listening", "reply_time", "responsible", "cadence")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def plan_values(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The plan's parts that make its workload, read from the answers."""
    return {
        "networks": answers.get("plan_networks") or [],
        "cadence": answers.get("plan_cadence"),
        "reply_time": answers.get("plan_reply_time"),
        "listening": answers.get("plan_listening"),
    }


def plan_fit(answers: Mapping[str, Any]) -> workload.Fit | None:
    """The plan's fit in the owner's hours, once networks, cadence and hours are known."""
    hours = answers.get("plan_hours")
    values = plan_values(answers)
    if not isinstance(hours, int | float) or not values["networks"] or values["cadence"] is None:
        return None
    return workload.fit(values, float(hours))


def facts(answers: Mapping[str, Any]) -> dict[str, str]:
    """Every fact known from these answers (a fact not yet known is absent)."""
    found: dict[str, str] = {}
    if "team_size" in answers:
        found["solo"] = _yes(answers["team_size"] == "solo")
    if "networks_now" in answers:
        found["has_accounts"] = _yes("none" not in (answers["networks_now"] or ["none"]))
    if "sector" in answers:
        found["b2b"] = _yes(answers["sector"] == "business_services")
    objectives = answers.get("plan_objectives")
    if objectives:
        found["goal"] = str(objectives[0])
    checked = plan_fit(answers)
    if checked is not None:
        found["plan_fits"] = _yes(checked.fits)
    return found


def with_facts(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers with the facts beside them, for conditions."""
    return {**answers, **facts(answers)}


def suggested_cadence(answers: Mapping[str, Any]) -> int:
    """Posts a week that fit the owner's hours with the networks chosen: 1 to 3 to begin with."""
    hours = answers.get("plan_hours") or answers.get("hours_available") or 0
    networks = len(answers.get("plan_networks") or []) or 1
    spare = hours * 60 - workload.workload(networks, 0, "same_day", "weekly").total
    per_post = workload.workload(networks, 1, None, None).posting
    return max(1, min(3, int(spare // per_post)))


def derive(name: str, answers: Mapping[str, Any]) -> Any:
    """A plan value worked out from earlier answers, for a step the coach does not ask."""
    if name == "audience":
        objectives = set(answers.get("plan_objectives") or [])
        audience = []
        if objectives & {"customer_care", "sales"} or not objectives & {"awareness", "leads"}:
            audience.append("current_customers")
        if objectives & {"awareness", "leads", "traffic", "sales"}:
            audience.append("new_customers")
        if answers.get("market") == "local":
            audience.append("local_area")
        return audience
    if name == "listening":
        hours = answers.get("plan_hours") or answers.get("hours_available") or 0
        return "twice_weekly" if hours >= 4 else "weekly"
    if name == "reply_time":
        return "same_day"
    if name == "responsible":
        return "self"
    if name == "cadence":
        return suggested_cadence(answers)
    raise ValueError(f"unknown derived value {name!r}")
