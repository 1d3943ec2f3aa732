"""Bad input gets a short, kind answer, the question again, and changes nothing stored."""

from __future__ import annotations

import pytest

from bot.events import InboundEvent
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import LOCAL_BAKERY, walk


def _reach(chat: OwnerChat, step: str) -> None:
    chat.say("/start")
    while chat.step != step:
        walk(chat, LOCAL_BAKERY, limit=1)


def _unchanged(chat: OwnerChat, send) -> list:
    before = chat.record().to_doc()
    step = chat.step
    replies = send()
    after = chat.record().to_doc()
    for volatile in ("updated_at", "seen_events"):
        before.pop(volatile), after.pop(volatile)
    assert after == before, "bad input must not change what is stored"
    assert replies[-1].step == step, "the same question is asked again"
    # One message: a kind word on what to fix, then the question again.
    assert len(replies) == 1 and "\n\n" in replies[0].text
    return replies


@pytest.mark.parametrize("text", ["", "   ", "\n", "x" * 10_000, "🥐🥐🥐", "مرحبا بالعالم", "8", "0", "-1"])
def test_a_choice_question_shrugs_off_what_is_not_an_option(ana: OwnerChat, text: str) -> None:
    _reach(ana, "sector")
    _unchanged(ana, lambda: ana.say(text))


@pytest.mark.parametrize("text", ["", "beaucoup", "12abc", "1e400", "nan", "inf", "301", "-5", "x" * 10_000])
def test_a_number_question_wants_a_number_in_bounds(ana: OwnerChat, text: str) -> None:
    _reach(ana, "posts_per_month_now")
    replies = _unchanged(ana, lambda: ana.say(text))
    if text in ("301", "-5"):
        assert "300" in replies[0].text


def test_a_number_can_be_typed_the_french_way(ana: OwnerChat) -> None:
    _reach(ana, "hours_available")
    ana.say("2,5")
    assert ana.record().answers["hours_available"] == 2.5


def test_a_name_of_10000_characters_is_refused_kindly(ana: OwnerChat) -> None:
    _reach(ana, "business_name")
    replies = _unchanged(ana, lambda: ana.say("B" * 10_000))
    assert "80" in replies[0].text


def test_emoji_and_right_to_left_names_are_kept_and_controls_dropped(ana: OwnerChat) -> None:
    _reach(ana, "business_name")
    ana.say("Pâtisserie 🥐 مخبز\u202e\x07 ")
    assert ana.record().answers["business_name"] == "Pâtisserie 🥐 مخبز"


@pytest.mark.parametrize("command", ["/frobnicate", "/PLAN2", "/" + "x" * 5000])
def test_an_unknown_command_is_named_and_the_question_comes_again(ana: OwnerChat, command: str) -> None:
    _reach(ana, "market")
    replies = _unchanged(ana, lambda: ana.say(command))
    assert "/help" in replies[0].text


def test_a_forged_choice_is_refused(ana: OwnerChat) -> None:
    _reach(ana, "market")
    _unchanged(ana, lambda: ana.tap("no_such_choice"))
    _unchanged(ana, lambda: ana.tap("local", "national"))


def test_a_button_from_an_earlier_question_is_recognised(ana: OwnerChat) -> None:
    _reach(ana, "market")
    replies = _unchanged(ana, lambda: ana.tap("retail", step="sector"))
    assert replies[-1].step == "market"


def test_meta_buttons_out_of_place_change_nothing(ana: OwnerChat) -> None:
    _reach(ana, "market")
    _unchanged(ana, lambda: ana.tap("restart:yes", step="@restart"))
    _unchanged(ana, lambda: ana.tap("edit:plan_cadence", step="@plan_edit"))


def test_none_cannot_be_combined_with_a_network(ana: OwnerChat) -> None:
    _reach(ana, "networks_now")
    _unchanged(ana, lambda: ana.tap("none", "facebook"))


def test_the_english_owner_is_answered_in_english(bob: OwnerChat) -> None:
    _reach(bob, "posts_per_month_now")
    bob.tap("en", step="language")
    replies = bob.say("lots")
    assert "number" in replies[0].text.lower()


def test_a_broken_record_gets_an_apology_not_a_stack_trace(app, clock) -> None:
    chat = OwnerChat(app.engine, clock, "test:broken", language="fr")
    chat.say("/start")
    record = chat.record()
    record.state = "no_such_step"
    app.store.put(record)
    replies = chat.say("hello")
    assert len(replies) == 1 and "Traceback" not in replies[0].text
    assert app.store.get("test:broken").state == "no_such_step"


def test_an_event_with_nothing_in_it_is_an_empty_answer(ana: OwnerChat) -> None:
    _reach(ana, "market")
    _unchanged(ana, lambda: ana.engine.handle(InboundEvent("test:ana", "test", ana.clock.now())))
