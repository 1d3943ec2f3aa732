"""Free text after the plan is read as what the owner wants, in French and in English."""

from __future__ import annotations

import pytest

from bot.intents import Intent, match
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import LOCAL_BAKERY, walk


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("j'ai publié sur insta", Intent("posted", "instagram")),
        ("J'ai posté une promo sur Facebook", Intent("posted", "facebook promo")),
        ("I posted on Instagram", Intent("posted", "instagram")),
        ("3 commentaires en attente", Intent("pending", "3")),
        ("5 messages waiting", Intent("pending", "5")),
        ("des commentaires en attente", Intent("pending", "", sure=False)),
        ("j'ai répondu à tout le monde", Intent("replied", "")),
        ("Bonjour, je voudrais changer mes réseaux", Intent("plan", "networks")),
        ("can I change my posting pace?", Intent("plan", "cadence")),
        ("modifier mon budget", Intent("plan", "budget")),
        ("où j'en suis ?", Intent("progress")),
        ("aide", Intent("help")),
        ("je veux supprimer mes données", Intent("delete", sure=False)),
        ("start over", Intent("restart", sure=False)),
        ("insta", Intent("posted", "instagram", sure=False)),
        ("Bonjour !", None),
        ("", None),
    ],
)
def test_what_an_owner_types_is_matched_to_a_command(text: str, expected: Intent | None) -> None:
    assert match(text) == expected


@pytest.fixture
def planned(ana: OwnerChat) -> OwnerChat:
    ana.say("/start")
    walk(ana, LOCAL_BAKERY)
    ana.tap("city:Europe/Paris")
    return ana


def test_i_want_to_change_my_networks_opens_the_plans_networks(planned: OwnerChat) -> None:
    planned.say("Bonjour, je voudrais changer mes réseaux")
    assert planned.step == "plan_networks"
    planned.tap("instagram")
    assert planned.record().answers["plan_networks"] == ["instagram"]
    assert planned.step is None


def test_i_posted_on_insta_logs_a_post_on_instagram(planned: OwnerChat) -> None:
    planned.say("j'ai publié sur insta")
    assert [p.network for p in planned.record().posts] == ["instagram"]


def test_three_comments_waiting_is_pending_three(planned: OwnerChat) -> None:
    planned.say("3 commentaires en attente")
    assert planned.record().waiting.count == 3
    assert "3 messages en attente" in planned.text


def test_a_destructive_wish_is_asked_first_and_can_be_declined(planned: OwnerChat) -> None:
    planned.say("je veux supprimer mes données")
    assert planned.step == "@intent"
    assert "/delete" in planned.text
    planned.tap("intent:-", step="@intent")
    assert planned.record() is not None


def test_did_you_mean_runs_the_command_once_confirmed(planned: OwnerChat) -> None:
    planned.say("insta")
    assert planned.step == "@intent"
    planned.tap(planned.question.choices[0].id, step="@intent")
    assert [p.network for p in planned.record().posts] == ["instagram"]


def test_words_the_coach_does_not_know_get_examples_of_what_it_understands(planned: OwnerChat) -> None:
    planned.say("Quelle journée, les croissants sont partis")
    assert "Je n'ai pas compris" in planned.text
    assert "j'ai publié sur Instagram" in planned.text


def test_a_thank_you_or_a_hello_gets_a_kind_word_not_a_misunderstanding(planned: OwnerChat) -> None:
    for said in ("merci !", "Merci pour le plan", "👍"):
        planned.say(said)
        assert planned.text.startswith("Avec plaisir"), said
    planned.say("Bonjour")
    assert planned.text.startswith("Bonjour")
    assert "Je n'ai pas compris" not in planned.text
    planned.say("merci, 3 commentaires en attente")
    assert planned.record().waiting.count == 3, "politeness around a request does not hide it"


def test_a_sign_that_is_not_a_thank_you_is_not_thanked(planned: OwnerChat) -> None:
    for said in ("?", "...", "😡", "👎"):
        planned.say(said)
        assert not planned.text.startswith("Avec plaisir"), said
        assert "j'ai publié sur Instagram" in planned.text, "what the coach understands, as for any text"
    planned.say("🙏🏽")
    assert planned.text.startswith("Avec plaisir")
