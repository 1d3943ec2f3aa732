"""Owners' answers for whole journeys, and a walker that gives them step by step."""

from __future__ import annotations

from typing import Any

from tests.fakes.chat import OwnerChat

# A bakery that sells locally, on Facebook already, with a little time.
LOCAL_BAKERY: dict[str, Any] = {
    "language": "fr",
    "business_name": "Boulangerie Dupain",
    "sector": "food",
    "market": "local",
    "team_size": "small",
    "social_owner_now": "me",
    "networks_now": ["facebook"],
    "posts_per_month_now": 4,
    "hours_available": 3,
    "why_social": "customers_are_there",
    "action_plan": "no",
    "accept_loss_of_control": "yes",
    "content_capacity": "hard",
    "no_budget": "no",
    "reputation_fear": "yes",
    "no_time": "yes",
    "no_results": "yes",
    "local_only": "yes",
    "word_of_mouth": "yes",
    "social_for_selling": "yes",
    "self_promotion": "no",
    "be_everywhere": "no",
    "big_brand_envy": "yes",
    "free_myth": "yes",
    "check_irregular_posting": "no",
    "check_unanswered_users": "sometimes",
    "check_no_reply_comments": "yes",
    "check_criticism_ignored": "no",
    "check_no_listening": "no",
    "check_no_engagement": "yes",
    "check_inauthentic": "yes",
    "check_no_value": "yes",
    "check_impersonal": "yes",
    "check_all_commercial": "no",
    "check_not_transparent": "no",
    "check_expect_fast_results": "sometimes",
    "plan_objectives": ["awareness", "customer_care"],
    "plan_audience": ["current_customers", "local_area"],
    "plan_networks": ["facebook", "instagram"],
    "plan_cadence": 3,
    "plan_promo_share": 10,
    "plan_reply_time": "same_day",
    "plan_hours": 10,
    "plan_currency": "EUR",
    "plan_hourly_rate": 25,
    "plan_responsible": "employee",
    "plan_listening": "twice_weekly",
}

# A consultancy selling nationally, not on social media yet, with almost no time.
BUSY_CONSULTANT: dict[str, Any] = {
    **LOCAL_BAKERY,
    "language": "en",
    "business_name": "Smith Advisory",
    "sector": "business_services",
    "market": "national",
    "team_size": "solo",
    "social_owner_now": "nobody",
    "networks_now": ["none"],
    "hours_available": 1,
    "plan_networks": ["linkedin"],
    "plan_hours": 2,
    "plan_hourly_rate": 80,
    "plan_responsible": "self",
    "plan_audience": ["new_customers"],
    "plan_objectives": ["leads"],
}
for _never_asked in ("posts_per_month_now", "local_only", "no_time"):
    BUSY_CONSULTANT.pop(_never_asked)


def walk(chat: OwnerChat, answers: dict[str, Any], typed: bool = False, limit: int = 200) -> list[str]:
    """Answer every question until the coach stops asking; return the steps asked, in order."""
    asked = []
    while chat.step and not chat.step.startswith("@") and len(asked) < limit:
        step = chat.step
        asked.append(step)
        value = chat.language if step == "language" and chat.language else answers[step]
        reply = chat.question
        if not reply.choices:
            chat.say(str(value).replace(".", ",") if chat.language == "fr" and typed else str(value))
        elif not typed:
            chat.tap(*(value if isinstance(value, list) else [value]))
        else:
            ids = [c.id for c in reply.choices]
            wanted = value if isinstance(value, list) else [value]
            # Type labels for single choices, numbers for multiple ones: both are how people answer.
            if reply.multiple:
                chat.say(", ".join(str(ids.index(v) + 1) for v in wanted))
            else:
                chat.say(next(c.label for c in reply.choices if c.id == wanted[0]))
    return asked
