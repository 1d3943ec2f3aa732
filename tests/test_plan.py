"""The plan reads right in both languages, and changing it after the fact keeps the reminders."""

from __future__ import annotations

from datetime import timedelta

from bot.nudges.compose import compose
from bot.nudges.prefs import Prefs
from bot.nudges.rules import eligible
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import LOCAL_BAKERY, SOLO_BAKER, walk


def _planned(chat: OwnerChat, answers) -> OwnerChat:
    chat.say("/start")
    walk(chat, answers)
    return chat


def test_back_after_the_plan_reopens_its_last_part_and_keeps_the_reminders(ana: OwnerChat) -> None:
    _planned(ana, LOCAL_BAKERY)
    ana.say("/back")
    assert ana.step == "plan_baseline", "the last part of the plan answered"
    record = ana.record()
    assert eligible(record, Prefs.of(record.prefs, record.language)), "reminders go on while editing"
    assert record.next_check_at is not None
    ana.say("150")
    assert ana.step is None and ana.record().answers["plan_baseline"] == 150
    assert "150 aujourd'hui" in ana.text


def test_a_part_of_the_plan_can_be_named_with_plan(ana: OwnerChat) -> None:
    _planned(ana, LOCAL_BAKERY)
    ana.say("/plan réseaux")
    assert ana.step == "plan_networks"


def test_one_post_a_week_is_singular_and_the_name_is_elided(ana: OwnerChat) -> None:
    _planned(ana, SOLO_BAKER)
    plan = ana.text
    assert "1 publication par semaine" in plan and "1 publications" not in plan
    assert "Plan réseaux sociaux d\u2019Atelier Zéro" in plan


def test_a_raised_self_promotion_share_is_discussed_and_shown_above_the_ceiling(ana: OwnerChat) -> None:
    _planned(ana, LOCAL_BAKERY)
    ana.say("/plan autopromotion")
    ana.say("30")
    assert "5 à 10" in ana.text and "Source" in ana.text
    assert "30\xa0%, au-dessus du plafond de 10\xa0% conseillé" in ana.text


def test_a_rate_typed_with_its_currency_sets_the_plans_currency(ana: OwnerChat) -> None:
    answers = {**LOCAL_BAKERY, "plan_hourly_rate": "25 CHF"}
    ana.say("/start")
    walk(ana, answers, typed=True)
    assert ana.record().answers["plan_currency"] == "CHF"
    assert "CHF" in ana.text


def test_reminders_count_in_words_with_the_right_plural(app, ana: OwnerChat) -> None:
    _planned(ana, LOCAL_BAKERY)
    record = ana.record()
    t = app.engine.translators["fr"]
    now = ana.clock.now() + timedelta(days=1)
    text = compose("cadence", record, app.engine.flows, t, now)[0].text
    assert "Cela fait 1 jour sans publication" in text
    ana.say("/pending 1")
    record = ana.record()
    text = compose("replies", record, app.engine.flows, t, now)[0].text
    assert text.startswith("1 message attend")


def test_a_reply_waiting_for_days_is_said_in_days(ana: OwnerChat) -> None:
    _planned(ana, LOCAL_BAKERY)
    ana.say("/pending 2")
    ana.clock.advance(timedelta(days=10))
    ana.say("/progress")
    assert "depuis 10 jours" in ana.text and "240" not in ana.text
