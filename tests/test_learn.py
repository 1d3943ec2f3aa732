"""/learn: nothing from the articles is lost by a journey that teaches only an owner's risks."""

from __future__ import annotations

import pytest

from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import DAILY_SHOP, walk

ARTICLES = (
    "Les 4 erreurs à ne pas commettre",
    "12 Erreurs Social Media",
    "5 idées préconçues",
    "Patrons de PME",
    "3 prérequis indispensables",
)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_one_of_the_29_topics_opens_through_learn_with_its_source(app, clock, language) -> None:
    chat = OwnerChat(app.engine, clock, f"test:learner-{language}", language=language)
    chat.say("/start")
    seen_titles = set()
    cited = set()
    for number in range(1, 30):
        text = chat.say(f"/learn {number}")[0].text
        title = text.splitlines()[0]
        seen_titles.add(title)
        assert "Source" in text, number
        cited |= {article for article in ARTICLES if article in text}
        assert ".txt" not in text
    assert len(seen_titles) == 29, "29 different topics"
    assert cited == set(ARTICLES)
    assert chat.step == "business_name", "the question the owner was on comes back after a lesson"


def test_learn_lists_the_topics_by_module_with_this_owners_status(ana: OwnerChat) -> None:
    ana.say("/start")
    walk(ana, DAILY_SHOP)
    listing = ana.say("/learn")[0].text
    for module in ("Prérequis", "Idées reçues", "Erreurs à éviter"):
        assert module in listing
    lines = [line for line in listing.splitlines() if line[:1].isdigit()]
    assert len(lines) == 29
    status = {line.split(" ", 2)[2]: line.split(" ", 2)[1] for line in lines}
    assert status["Répondre à chaque demande"] == "✓", "taught in the journey"
    assert status["Ni faux abonnés ni faux avis"] == "○", "fine for this shop"
    assert "!" in status.values() or "✓" in status.values()


def test_learn_finds_a_topic_by_its_name_in_either_language(ana: OwnerChat) -> None:
    ana.say("/start")
    assert "Le temps a un prix" in ana.say("/learn le temps a un prix")[0].text
    assert "Le temps a un prix" in ana.say("/learn time has a price")[0].text
    assert "Tapez /learn" in ana.say("/learn licornes")[0].text


def test_a_topic_opened_with_learn_counts_as_taught(ana: OwnerChat) -> None:
    ana.say("/start")
    ana.say("/learn not_transparent")
    assert "not_transparent" in ana.record().taught
