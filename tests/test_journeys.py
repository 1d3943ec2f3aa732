"""Whole journeys, told as owners live them: a diagnosis, the lessons this owner needs, a plan
that holds together, in both languages, by buttons or by typing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.flows import DONE
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import (
    B2B_FIRM,
    BUSY_CONSULTANT,
    DAILY_SHOP,
    LOCAL_BAKERY,
    SOLO_BAKER,
    walk,
)

MAX_ANSWERS, MAX_MESSAGES = 20, 40


class Transcript:
    """Everything an owner answered and read, from /start to the plan."""

    def __init__(self, chat: OwnerChat, answers: dict[str, Any], typed: bool = False) -> None:
        self.messages = list(chat.say("/start"))
        self.asked: list[str] = []
        while chat.step and not chat.step.startswith("@"):
            self.asked += walk(chat, answers, typed=typed, limit=1)
            self.messages += chat.last
        self.text = "\n\n".join(r.text for r in self.messages)
        self.plan = chat.last[-1].text
        self.record = chat.record()

    @property
    def taught(self) -> list[str]:
        return self.record.taught


def test_a_solo_baker_with_one_hour_and_no_account_gets_a_short_plan_that_fits(ana: OwnerChat) -> None:
    journey = Transcript(ana, SOLO_BAKER)
    assert journey.record.state == DONE
    assert len(journey.asked) <= MAX_ANSWERS and len(journey.messages) <= MAX_MESSAGES
    # No account: no posting count, no habits, no reply-time question; alone: nobody else to name.
    for never in ("posts_per_month_now", "habits", "plan_reply_time", "plan_responsible", "plan_baseline"):
        assert never not in journey.asked
    assert "salarié" not in journey.text.lower() and "vos employés" not in journey.text
    # What the owner believed is taught; what the articles say of time and money is there.
    assert {"no_time", "free_myth", "content_capacity"} <= set(journey.taught)
    # One hour cannot hold 3 posts on two networks: the coach says so and the lighter plan is taken.
    assert "plan_fit" in journey.asked
    answers = journey.record.answers
    assert answers["plan_networks"] == ["instagram"] and answers["plan_cadence"] == 1
    assert "Plan réseaux sociaux d\u2019Atelier Zéro" in journey.plan
    assert "1 publication par semaine" in journey.plan
    # An hour at 0 led to the owner's own hour: the cost is counted, never "0 € par mois".
    assert "plan_own_hour" in journey.asked
    assert "0\xa0€ par mois" not in journey.plan and "20\xa0€ l'heure" in journey.plan
    assert "0\xa0€\xa0: ni publicité ni outil payant" in journey.plan


def test_a_b2b_firm_with_a_marketing_employee_gets_b2b_advice_in_english_by_typing(bob: OwnerChat) -> None:
    journey = Transcript(bob, B2B_FIRM, typed=True)
    assert journey.record.state == DONE and journey.record.language == "en"
    assert len(journey.asked) <= MAX_ANSWERS and len(journey.messages) <= MAX_MESSAGES
    assert "LinkedIn comes first" in journey.text
    for bakery_word in ("bread", "croissant", "bakery", "oven"):
        assert bakery_word not in journey.text.lower()
    # Three networks today: being everywhere is this firm's risk, taught with the networks question.
    assert "be_everywhere" in journey.taught
    assert "no_engagement" in journey.taught
    # The accounts left out of the plan are not forgotten.
    assert "Outside the plan: Facebook, X (formerly Twitter)" in journey.plan
    assert "Orbit Accounting" in journey.plan
    assert "New contacts from social media, a month: 5 → 7" in journey.plan
    assert "€200 a month" in journey.plan


def test_a_shop_that_posts_daily_and_never_replies_is_taught_replies_not_regularity(ana: OwnerChat) -> None:
    journey = Transcript(ana, DAILY_SHOP, typed=True)
    assert len(journey.asked) <= MAX_ANSWERS and len(journey.messages) <= MAX_MESSAGES
    assert {"unanswered_users", "all_commercial", "inauthentic", "social_for_selling"} <= set(journey.taught)
    assert "irregular_posting" not in journey.taught
    # The lesson on unanswered requests comes with the reply-time question.
    reply_question = next(r.text for r in journey.messages if r.step == "plan_reply_time")
    assert "21\xa0%" in reply_question
    # Self-promotion is held to the articles' ceiling, and the plan shows it.
    assert "10\xa0% au plus (les articles conseillent 5 à 10\xa0%)" in journey.plan


def test_an_owner_who_skips_everything_still_gets_a_plan_and_no_crash(ana: OwnerChat) -> None:
    ana.say("/start")
    answers = 0
    while ana.step and not ana.step.startswith("@") and answers < 40:
        ana.say("/skip")
        answers += 1
    assert ana.record().state == DONE
    assert answers <= MAX_ANSWERS
    assert "Plan réseaux sociaux" in ana.text and "…" not in ana.text


def test_two_contrasting_owners_get_visibly_different_journeys(app, clock) -> None:
    baker = Transcript(OwnerChat(app.engine, clock, "test:baker", language="fr"), SOLO_BAKER)
    shop = Transcript(OwnerChat(app.engine, clock, "test:shop", language="fr"), DAILY_SHOP)
    assert set(baker.taught).isdisjoint({"unanswered_users", "inauthentic"})
    lines = lambda t: {line for line in t.text.splitlines() if line.strip()}  # noqa: E731
    shared = lines(baker) & lines(shop)
    assert len(shared) < len(lines(baker)) / 2


@pytest.mark.parametrize("profile", [LOCAL_BAKERY, BUSY_CONSULTANT, SOLO_BAKER, B2B_FIRM, DAILY_SHOP])
def test_typing_and_tapping_lead_to_the_same_answers(app, clock, profile) -> None:
    language = profile["language"]
    tapper = OwnerChat(app.engine, clock, "test:tap", language=language)
    typist = OwnerChat(app.engine, clock, "test:type", language=language)
    tapped = Transcript(tapper, profile)
    typed = Transcript(typist, profile, typed=True)
    assert tapped.record.answers == typed.record.answers
    assert len(tapped.asked) <= MAX_ANSWERS


def test_every_lesson_cites_its_article_by_title_once(ana: OwnerChat) -> None:
    journey = Transcript(ana, DAILY_SHOP)
    for message in journey.messages:
        assert message.text.count("Source\xa0:") <= 1
    assert "12 Erreurs Social Media que les Marques Commettent" in journey.text
    assert ".txt" not in journey.text


def test_the_coachs_own_estimates_are_not_cited_to_the_articles(ana: OwnerChat) -> None:
    journey = Transcript(ana, SOLO_BAKER)
    fit = next(r.text for r in journey.messages if r.step == "plan_fit")
    assert "mes estimations" in fit and "Source" not in fit.split("Soyons honnêtes")[-1]


def test_a_plan_that_needs_more_hours_says_them_as_it_says_its_total(ana: OwnerChat) -> None:
    journey = Transcript(ana, {**SOLO_BAKER, "hours_available": 0.5})
    fit = next(r.text for r in journey.messages if r.step == "plan_fit").replace("\xa0", " ")
    assert "tient en 2 h 10" in fit and "prévoir 2 h 30 par semaine" in fit, fit


def test_the_plan_lists_every_risk_most_serious_first_legal_ones_first(ana: OwnerChat) -> None:
    habits = ["bought", "gaps", "unanswered", "promo", "canned", "faceless", "one_way"]
    answers = {**DAILY_SHOP, "habits": habits}
    answers = {**DAILY_SHOP, "habits": habits}
    journey = Transcript(ana, answers)
    risks = journey.plan.split("Vos risques")[1]
    first = risks.splitlines()[1]
    assert first.startswith("1. Ni faux abonnés ni faux avis")
    assert risks.count("\n") >= 7, "as many risks as there are, not three"
    assert "Chaque" in first or "Une fois" in first


def test_no_language_question_when_the_channel_says_which(ana: OwnerChat) -> None:
    ana.say("/start")
    assert ana.step == "business_name"


def test_without_a_language_from_the_channel_the_first_question_asks_it(app, clock) -> None:
    chat = OwnerChat(app.engine, clock, "test:terminal")
    chat.say("/start")
    assert chat.step == "language"
    chat.tap("en")
    assert chat.record().language == "en" and chat.step == "business_name"
    assert "business called" in chat.question.text


def test_no_question_is_negative(journey) -> None:
    # "Pensez-vous que … ne … pas ?" invites a "si"; the coach asks statements to tick instead.
    from bot.config import ROOT
    from bot.i18n import Translator

    t = Translator("fr", ROOT / "locales")
    for step in journey.steps.values():
        if step.is_question:
            text = t.tr(step.text)
            assert not (" ne " in text and " pas " in text), step.id


def test_each_point_keeps_the_number_the_diagnosis_gave_it_and_a_new_one_comes_as_one_more(
    ana: OwnerChat,
) -> None:
    journey = Transcript(ana, LOCAL_BAKERY)  # a budget of 0, answered in the plan, raises one point
    heads = [line for line in journey.text.splitlines() if line.startswith(("Point ", "Un point de plus"))]
    counted = [head for head in heads if head.startswith("Point ")]
    named = re.search(r"(\d+) points à travailler[^\n]*\n((?:\d+\. .*\n)+)", journey.text)
    assert named, "the diagnosis lists its points"
    listed = [line.split(". ", 1)[1] for line in named.group(2).splitlines()]
    assert len(listed) == int(named.group(1)) == len(counted)
    for head in counted:  # "Point 3 sur 9 · « Pas le temps »": the third of the list
        number, total, title = re.fullmatch(r"Point (\d+) sur (\d+) · (.*)", head).groups()
        assert int(total) == len(listed) and listed[int(number) - 1] == title, head
    assert sorted(int(head.split()[1]) for head in counted) == list(range(1, len(listed) + 1))
    assert any(head.startswith("Un point de plus") and "budget" in head for head in heads)


def test_a_plan_with_many_risks_says_to_start_with_three_habits(ana: OwnerChat) -> None:
    journey = Transcript(ana, LOCAL_BAKERY)
    assert "commencez par les 3 premières habitudes" in journey.plan
    few = Transcript(OwnerChat(ana.engine, ana.clock, "test:orbit", language="en"), B2B_FIRM)
    assert "start with the first" not in few.plan


@pytest.mark.parametrize("answers", [LOCAL_BAKERY, BUSY_CONSULTANT, SOLO_BAKER, B2B_FIRM, DAILY_SHOP])
def test_one_of_anything_is_singular_in_every_journey(app, clock, answers: dict[str, Any]) -> None:
    chat = OwnerChat(app.engine, clock, "test:one", language=answers["language"])
    text = Transcript(chat, answers).text
    wrong = re.findall(
        r"\b1 (?:hours|posts|minutes|messages|days|weeks|publications|heures|jours|semaines)\b", text
    )
    assert not wrong


@pytest.mark.parametrize("answers", [LOCAL_BAKERY, SOLO_BAKER, B2B_FIRM, DAILY_SHOP, BUSY_CONSULTANT])
def test_a_journey_sends_little_more_than_one_message_per_answer(
    ana: OwnerChat, answers: dict[str, Any]
) -> None:
    """Each message is latency for every other owner: a lesson rides with the next question,
    the diagnosis with the first plan question; only the plan comes apart from the last lesson."""
    journey = Transcript(ana, answers)
    answered = len(journey.asked) + 1  # and /start
    assert len(journey.messages) <= answered + 1, [r.text[:40] for r in journey.messages]
