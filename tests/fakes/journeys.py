"""Owners' answers for whole journeys, and a walker that gives them step by step."""

from __future__ import annotations

from typing import Any

from tests.fakes.chat import OwnerChat

# A bakery that sells locally, on Facebook already, with a team and some time; posts irregularly.
LOCAL_BAKERY: dict[str, Any] = {
    "language": "fr",
    "business_name": "Boulangerie Dupain",
    "sector": "food",
    "market": "local",
    "team_size": "small",
    "social_owner_now": "me",
    "networks_now": ["facebook"],
    "posts_per_month_now": 4,
    "hours_available": 10,
    "beliefs": ["no_time", "criticism"],
    "habits": ["gaps", "unanswered", "promo"],
    "plan_objectives": ["awareness", "customer_care"],
    "plan_networks": ["facebook", "instagram"],
    "plan_cadence": 3,
    "plan_reply_time": "same_day",
    "plan_fit": "lighter",
    "plan_responsible": "employee",
    "plan_hourly_rate": 25,
    "plan_own_hour": 30,
    "plan_budget": 0,
    "plan_baseline": 120,
}

# A consultancy selling nationally to businesses, alone, not on social media yet, with one hour a
# week: its plan does not fit and it takes the lighter one.
BUSY_CONSULTANT: dict[str, Any] = {
    "language": "en",
    "business_name": "Smith Advisory",
    "sector": "business_services",
    "market": "national",
    "team_size": "solo",
    "social_owner_now": "nobody",
    "networks_now": ["none"],
    "hours_available": 1,
    "beliefs": ["fast"],
    "plan_objectives": ["leads"],
    "plan_networks": ["linkedin"],
    "plan_cadence": 2,
    "plan_fit": "lighter",
    "plan_hourly_rate": 80,
    "plan_own_hour": 80,
    "plan_budget": 50,
    "plan_baseline": 0,
}


# A baker alone, one hour a week, no account yet: the smallest plan, no staff, no replies asked.
SOLO_BAKER: dict[str, Any] = {
    "language": "fr",
    "business_name": "Atelier Zéro",
    "sector": "food",
    "market": "local",
    "team_size": "solo",
    "social_owner_now": "nobody",
    "networks_now": ["none"],
    "hours_available": 1,
    "beliefs": ["no_time", "free", "content_hard"],
    "plan_objectives": ["awareness"],
    "plan_networks": ["instagram", "google_business"],
    "plan_cadence": 3,
    "plan_fit": "lighter",
    "plan_hourly_rate": 0,
    "plan_own_hour": 20,
    "plan_budget": 0,
}

# A 20-person firm selling to businesses, with a marketing employee, on three networks.
B2B_FIRM: dict[str, Any] = {
    "language": "en",
    "business_name": "Orbit Accounting",
    "sector": "business_services",
    "market": "national",
    "team_size": "medium",
    "social_owner_now": "employee",
    "networks_now": ["linkedin", "facebook", "x"],
    "posts_per_month_now": 12,
    "hours_available": 8,
    "beliefs": ["none"],
    "habits": ["one_way"],
    "plan_objectives": ["leads"],
    "plan_networks": ["linkedin"],
    "plan_cadence": 3,
    "plan_reply_time": "within_24h",
    "plan_fit": "keep",
    "plan_responsible": "employee",
    "plan_hourly_rate": 45,
    "plan_budget": 200,
    "plan_baseline": 5,
}

# A shop that posts every day, mostly offers, and never replies.
DAILY_SHOP: dict[str, Any] = {
    "language": "fr",
    "business_name": "Boutique Lila",
    "sector": "retail",
    "market": "local",
    "team_size": "small",
    "social_owner_now": "me",
    "networks_now": ["instagram", "facebook"],
    "posts_per_month_now": 30,
    "hours_available": 6,
    "beliefs": ["selling"],
    "habits": ["unanswered", "promo", "canned"],
    "plan_objectives": ["sales"],
    "plan_networks": ["instagram", "facebook"],
    "plan_cadence": 5,
    "plan_reply_time": "same_day",
    "plan_fit": "lighter",
    "plan_responsible": "self",
    "plan_hourly_rate": 30,
    "plan_budget": 20,
    "plan_baseline": 4,
}


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
