"""The commands owners use mid-journey, the same words on every channel."""

from __future__ import annotations

from bot.flows import DONE
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import LOCAL_BAKERY, walk


def _reach(chat: OwnerChat, step: str) -> None:
    chat.say("/start")
    while chat.step != step:
        assert walk(chat, LOCAL_BAKERY, limit=1), f"{step} was never asked"


def test_help_lists_every_command_and_asks_the_question_again(ana: OwnerChat) -> None:
    _reach(ana, "sector")
    ana.say("/help")
    for command in ("/start", "/help", "/plan", "/progress", "/back", "/skip", "/restart", "/language"):
        assert command in ana.last[0].text
    assert ana.step == "sector"


def test_progress_says_which_module_and_step(ana: OwnerChat) -> None:
    _reach(ana, "habits")
    ana.say("/progress")
    # the diagnosis is module 2 of 3; habits is its 3rd step of 4.
    assert "2" in ana.last[0].text and "3" in ana.last[0].text and "4" in ana.last[0].text
    assert ana.step == "habits"


def test_progress_in_english_reads_module_n_of_3(bob: OwnerChat) -> None:
    _reach(bob, "beliefs")
    bob.say("/progress")
    assert "Module 2 of 3" in bob.last[0].text
    assert "step 2 of 4" in bob.last[0].text


def test_back_returns_to_the_previous_question_keeping_the_answer(ana: OwnerChat) -> None:
    _reach(ana, "market")
    ana.say("/back")
    assert ana.step == "sector"
    assert ana.record().answers["sector"] == "food"
    ana.tap("retail")
    assert ana.step == "market"
    assert ana.record().answers["sector"] == "retail"


def test_back_at_the_first_question_says_so_kindly(ana: OwnerChat) -> None:
    ana.say("/start")
    ana.say("/back")
    assert ana.step == "business_name"
    assert len(ana.last) == 1 and ana.last[0].text.count("\n\n") >= 1


def test_skip_uses_the_default_when_there_is_one(ana: OwnerChat) -> None:
    _reach(ana, "plan_cadence")
    ana.say("/skip")
    # The coach's suggestion for 10 hours a week on two networks: 3 posts to begin with.
    assert ana.record().answers["plan_cadence"] == 3
    assert ana.step == "plan_reply_time"


def test_skip_without_default_moves_on_and_leaves_the_field_open(ana: OwnerChat) -> None:
    _reach(ana, "business_name")
    ana.say("/skip")
    assert ana.step == "sector"
    assert "business_name" not in ana.record().answers


def test_restart_asks_first_and_can_be_cancelled(ana: OwnerChat) -> None:
    _reach(ana, "market")
    ana.say("/restart")
    assert [c.id for c in ana.question.choices] == ["restart:yes", "restart:no"]
    ana.tap("restart:no", step="@restart")
    assert ana.step == "market"
    assert ana.record().answers["sector"] == "food"


def test_restart_confirmed_starts_from_scratch_in_the_same_language(bob: OwnerChat) -> None:
    _reach(bob, "market")
    bob.say("/restart")
    bob.say("1")
    assert bob.step == "business_name", "the language is kept: no need to ask it again"
    assert bob.record().answers == {"language": "en"}
    assert bob.record().language == "en"


def test_language_switches_and_the_question_comes_again_in_the_new_one(ana: OwnerChat) -> None:
    _reach(ana, "market")
    french = ana.question.text
    ana.say("/language en")
    assert ana.record().language == "en"
    assert ana.step == "market"
    assert ana.question.text != french


def test_language_without_argument_offers_the_choice(ana: OwnerChat) -> None:
    _reach(ana, "market")
    ana.say("/language")
    assert [c.id for c in ana.question.choices] == ["lang:fr", "lang:en"]
    ana.say("English")
    assert ana.record().language == "en"
    assert ana.step == "market"


def test_plan_before_the_end_shows_what_is_decided_so_far(ana: OwnerChat) -> None:
    _reach(ana, "plan_reply_time")
    ana.say("/plan")
    assert "3 publications par semaine" in ana.last[0].text  # the cadence chosen
    assert ana.step == "plan_reply_time"


def test_changing_one_plan_field_keeps_the_rest(ana: OwnerChat) -> None:
    ana.say("/start")
    walk(ana, LOCAL_BAKERY)
    before = dict(ana.record().answers)
    ana.say("/plan")
    assert ana.step == "@plan_edit"
    assert len(ana.last) == 1, "the plan and the choice of the part to change come as one message"
    assert "Plan réseaux sociaux de Boulangerie Dupain" in ana.last[0].text and ana.last[0].choices
    ana.tap("edit:plan_cadence", step="@plan_edit")
    assert ana.step == "plan_cadence"
    ana.say("5")
    record = ana.record()
    assert record.state == DONE
    assert record.answers["plan_cadence"] == 5
    assert {k: v for k, v in record.answers.items() if k != "plan_cadence"} == {
        k: v for k, v in before.items() if k != "plan_cadence"
    }
    assert "5" in ana.last[-1].text


def test_start_after_the_end_says_the_plan_is_ready(ana: OwnerChat) -> None:
    ana.say("/start")
    walk(ana, LOCAL_BAKERY)
    ana.say("/start")
    assert ana.step is None
    ana.say("bonjour")
    assert ana.step is None and len(ana.last) == 1


def test_a_redelivered_event_is_handled_once(ana: OwnerChat) -> None:
    ana.say("/start")
    ana.tap("fr")
    ana.say("Boulangerie Dupain", event_id="u-1")
    step_after = ana.step
    assert ana.say("Boulangerie Dupain", event_id="u-1") == []
    assert ana.record().state == step_after
