"""Where the owner is: asked once at the end of the plan when the platform does not say."""

from __future__ import annotations

from bot.events import InboundEvent
from bot.nudges.places import find_timezone, place
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import BUSY_CONSULTANT, LOCAL_BAKERY, walk


def finish(chat: OwnerChat, answers: dict[str, object]) -> None:
    chat.say("/start")
    walk(chat, answers)


def test_a_telegram_owner_is_asked_where_they_are_once_with_paris_assumed_meanwhile(ana: OwnerChat) -> None:
    finish(ana, LOCAL_BAKERY)
    assert ana.step == "@city"
    assert "heure de Paris" in ana.question.text
    assert [c.label for c in ana.question.choices][:3] == ["France", "Belgique", "Suisse"]
    assert ana.record().prefs.timezone == "Europe/Paris"  # reminders go on Paris time if unanswered

    ana.tap("city:Europe/Brussels")
    assert ana.record().prefs.timezone == "Europe/Brussels"
    assert ana.step == "@posting"  # then: when will you post?
    assert ana.text.startswith("C'est noté\xa0: Belgique.")
    assert len(ana.last) == 1

    ana.say("/restart")
    ana.tap("restart:yes")
    walk(ana, LOCAL_BAKERY)
    assert ana.step == "@posting"  # not asked twice
    assert ana.record().prefs.timezone == "Europe/Brussels"


def test_an_owner_types_their_city_or_country_and_gets_a_hint_when_it_is_unknown(ana: OwnerChat) -> None:
    finish(ana, LOCAL_BAKERY)
    ana.say("Genève")
    assert ana.step == "@city"
    assert "Je ne trouve pas «\xa0Genève\xa0»" in ana.text
    ana.say("Canada")
    assert ana.step == "@city"
    assert "plusieurs fuseaux horaires" in ana.text
    assert ana.record().prefs.timezone == "Europe/Paris"
    ana.say("montréal")
    assert ana.record().prefs.timezone == "America/Montreal"
    assert ana.text.startswith("C'est noté\xa0: Montréal.")
    assert ana.step == "@posting"
    assert "heure de Montréal" in ana.question.text, "Babel names no city for this alias of Toronto"


def test_a_country_typed_in_either_language_finds_its_zone(bob: OwnerChat) -> None:
    finish(bob, BUSY_CONSULTANT)
    assert "London time" in bob.question.text
    assert "Ireland" in [c.label for c in bob.question.choices]
    bob.say("Suisse")
    assert bob.record().prefs.timezone == "Europe/Zurich"


def test_an_owner_who_says_ok_or_thanks_keeps_the_zone_assumed_and_goes_on(
    ana: OwnerChat, bob: OwnerChat
) -> None:
    for chat, answers, said in ((ana, LOCAL_BAKERY, "merci !"), (bob, BUSY_CONSULTANT, "ok")):
        finish(chat, answers)
        assumed = chat.record().prefs.timezone
        chat.say(said)
        assert chat.step == "@posting", f"{said!r} is not a place to look for"
        assert chat.record().prefs.timezone == assumed
    assert ana.text.startswith("C'est noté\xa0: France.")


def test_a_greeting_at_the_question_is_a_greeting_not_a_place(ana: OwnerChat) -> None:
    finish(ana, LOCAL_BAKERY)
    ana.say("Bonjour")
    assert "Je ne trouve pas" not in ana.text and ana.text.startswith("Bonjour")
    assert ana.record().prefs.timezone == "Europe/Paris"


def test_something_else_typed_at_the_question_is_understood_as_itself(ana: OwnerChat) -> None:
    finish(ana, LOCAL_BAKERY)
    ana.say("Bonjour !")
    assert "j'ai publié sur Instagram" in ana.text  # not a place: what the coach understands
    ana.say("j'ai publié sur instagram")
    assert ana.record().posts  # the post is noted; the question is dropped, Paris stays
    assert ana.record().prompt is None
    assert ana.record().prefs.timezone == "Europe/Paris"


def test_an_owner_whose_platform_gives_the_zone_is_not_asked(ana: OwnerChat) -> None:
    told = InboundEvent(
        ana.owner_id, "slack", ana.clock.now(), command="start", language="fr", timezone="America/Chicago"
    )
    ana.engine.handle(told)
    ana.say("/start")
    walk(ana, LOCAL_BAKERY)
    assert ana.step == "@posting"
    assert "heure de Chicago" in ana.question.text
    assert ana.record().prefs.timezone == "America/Chicago"


def test_settings_take_a_country_too(ana: OwnerChat) -> None:
    finish(ana, LOCAL_BAKERY)
    ana.say("/settings fuseau Maroc")
    assert ana.record().prefs.timezone == "Africa/Casablanca"


def test_places_are_named_in_the_owner_language() -> None:
    assert find_timezone("Londres") == find_timezone("london") == "Europe/London"
    assert find_timezone("Belgium") == find_timezone("Belgique") == "Europe/Brussels"
    assert find_timezone("Lyon") is None
    assert place("America/Toronto", "fr") == "Canada (Toronto)"
    assert place("Europe/Zurich", "en") == "Switzerland"


def test_an_offset_typed_like_utc_plus_one_is_one_hour_ahead_of_utc() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    noon = datetime(2027, 1, 15, 12, tzinfo=UTC)
    for typed, hours in (("GMT+1", 1), ("utc-5", -5), ("UTC +02:00", 2), ("UTC−3", -3)):
        zone = find_timezone(typed)
        assert zone is not None, typed
        assert noon.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() == hours * 3600, typed
        assert place(zone, "fr") == f"UTC{'+' if hours > 0 else '−'}{abs(hours)}"
    assert find_timezone("Etc/GMT+5") == "Etc/GMT+5", "an exact IANA id, as Slack gives it, is kept"
    assert find_timezone("UTC+15") is None
