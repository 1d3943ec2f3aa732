"""An owner who stops at any step resumes there, with every earlier answer, after a restart."""

from __future__ import annotations

from bot.app import build_app
from bot.clock import FixedClock
from bot.config import Settings
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import LOCAL_BAKERY, walk


def test_an_owner_who_stops_mid_plan_resumes_at_the_same_step(settings: Settings, clock: FixedClock) -> None:
    first = build_app(settings, clock=clock)
    chat = OwnerChat(first.engine, clock, "terminal:ana", language="fr")
    chat.say("/start")
    while chat.step != "plan_reply_time":
        walk(chat, LOCAL_BAKERY, limit=1)
    answers = dict(chat.record().answers)
    first.close()

    second = build_app(settings, clock=clock)
    again = OwnerChat(second.engine, clock, "terminal:ana", language="fr")
    again.say("/start")
    assert again.step == "plan_reply_time"
    assert again.record().answers == answers
    walk(again, LOCAL_BAKERY)
    assert again.record().state == "done"
    second.close()


def test_every_step_can_be_resumed(settings: Settings, clock: FixedClock) -> None:
    app = build_app(settings, clock=clock)
    chat = OwnerChat(app.engine, clock, "terminal:bob", language="en")
    chat.say("/start")
    while chat.step and not chat.step.startswith("@"):  # after the plan, "when will you post?" is an offer
        step = chat.step
        resumed = OwnerChat(app.engine, clock, "terminal:bob", language="en")
        resumed.say("/start")
        assert resumed.step == step
        walk(chat, LOCAL_BAKERY, limit=1)
    app.close()
