"""Whole journeys, told as owners live them: from /start to a finished plan, in both languages."""

from __future__ import annotations

from bot.flows import DONE
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import BUSY_CONSULTANT, LOCAL_BAKERY, walk


def test_a_local_bakery_goes_from_start_to_a_plan_in_french_by_buttons(ana: OwnerChat) -> None:
    ana.say("/start")
    assert ana.step == "language"
    asked = walk(ana, LOCAL_BAKERY)
    record = ana.record()
    assert record.state == DONE
    assert record.language == "fr"
    assert "local_only" in asked, "an owner who sells locally is asked about local selling"
    assert "no_time" in asked and "no_time_little" not in asked
    plan = ana.last[-1].text
    assert "Boulangerie Dupain" in plan
    # 10 h a week at 25 € an hour over an average month (52/12 weeks).
    assert "1\u202f083,33\xa0€" in plan


def test_a_busy_consultant_goes_through_in_english_by_typing(bob: OwnerChat) -> None:
    bob.say("/start")
    asked = walk(bob, BUSY_CONSULTANT, typed=True)
    record = bob.record()
    assert record.state == DONE
    assert record.language == "en"
    assert "local_only" not in asked, "a national seller is not asked about local selling"
    assert "posts_per_month_now" not in asked, "no networks yet: no posting count to ask"
    assert "no_time" not in asked
    plan = bob.last[-1].text
    assert "Smith Advisory" in plan
    assert "€693.33" in plan  # 2 h × 80 € × 52/12
    assert record.answers["plan_networks"] == ["linkedin"]


def test_typing_and_tapping_lead_to_the_same_answers(app, clock) -> None:
    tapper = OwnerChat(app.engine, clock, "test:tap", language="fr")
    typist = OwnerChat(app.engine, clock, "test:type", language="fr")
    for chat, typed in ((tapper, False), (typist, True)):
        chat.say("/start")
        walk(chat, LOCAL_BAKERY, typed=typed)
    assert tapper.record().answers == typist.record().answers


def test_every_topic_message_cites_its_article_by_title(ana: OwnerChat) -> None:
    ana.say("/start")
    transcript = []
    while ana.step:
        transcript.append(ana.text)
        walk(ana, LOCAL_BAKERY, limit=1)
    transcript.append(ana.text)
    text = "\n".join(transcript)
    for title in (
        "Les 4 erreurs à ne pas commettre",
        "12 Erreurs Social Media",
        "5 idées préconçues",
        "Patrons de PME",
        "3 prérequis indispensables",
    ):
        assert title in text
    assert ".txt" not in text


def test_the_self_check_ends_with_the_three_biggest_risks(ana: OwnerChat) -> None:
    ana.say("/start")
    answers = dict(LOCAL_BAKERY)
    while ana.step != "plan_objectives":
        walk(ana, answers, limit=1)
    risks = next(r.text for r in ana.last if "1." in r.text and "3." in r.text)
    assert risks.count("\n1. ") == 1 and "\n4. " not in risks


def test_switching_language_at_the_first_question_speaks_english_from_then_on(ana: OwnerChat) -> None:
    ana.say("/start")
    ana.tap("en")
    assert ana.record().language == "en"
    assert ana.step == "business_name"
    french_question = OwnerChat(ana.engine, ana.clock, "test:other", language="fr")
    french_question.say("/start")
    french_question.tap("fr")
    assert french_question.question.text != ana.question.text
