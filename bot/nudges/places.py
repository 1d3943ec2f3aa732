"""Where an owner is: a time zone from what they type (a city or a country, French or English).

Telegram does not tell a bot its user's time zone, so the coach asks once, at the end of the
plan, offering the likely places for the owner's language; Slack's `users.info` gives it. Names
come from the IANA database and from Babel's localized city and country names, so "Londres",
"Suisse" and "new york" all work; a country with several zones needs its city.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from zoneinfo import available_timezones

from babel import Locale
from babel.core import get_global

from bot.events import Choice, Reply
from bot.i18n import Translator
from bot.intents import fold
from bot.store.base import OwnerRecord

DEFAULT_TIMEZONES = {"fr": "Europe/Paris", "en": "Europe/London"}
LIKELY = {
    "fr": ("Europe/Paris", "Europe/Brussels", "Europe/Zurich", "America/Toronto", "Africa/Casablanca"),
    "en": ("Europe/London", "Europe/Dublin", "America/New_York", "America/Toronto"),
}
"""The places offered in one tap, by the owner's language, the default first."""
LANGUAGES = ("fr", "en")
PLACE_LIKE = re.compile(r"[^\W\d_][\w'’ ./()-]{1,60}")
OFFSET = re.compile(r"\s*(?:utc|gmt)\s*([+\-−])\s*(\d{1,2})(?:[:h]00)?\s*", re.IGNORECASE)
"""An offset typed as owners write it: "UTC+1", "GMT -5", "utc+02:00"."""
PROMPT = "city"
"""The prompt kind (`OwnerRecord.prompt`) while the question waits for a tap or a typed place."""


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def _names() -> dict[str, str | None]:
    """Every name a place is known by, folded → its zone (None: a country with several zones)."""
    # `Etc/GMT+1` is UTC−1 (POSIX signs), and folding drops the sign: offsets are read apart.
    zones = sorted(zone for zone in _zones() if not zone.startswith("Etc/"))
    found: dict[str, str | None] = {fold(zone): zone for zone in zones}  # `America/Montreal`
    for zone in zones:  # the city of each zone, as IANA spells it
        found.setdefault(fold(zone.rsplit("/", 1)[-1]), zone)
    territories: Mapping[str, list[str]] = get_global("territory_zones")
    for language in LANGUAGES:
        locale = Locale.parse(language)
        for zone, names in locale.time_zones.items():  # "Londres", "Bruxelles"
            city = names.get("city")
            if city and zone in _zones():
                found.setdefault(fold(city), zone)
        for code, name in locale.territories.items():  # "Suisse", "Belgium"
            own = [zone for zone in territories.get(code, []) if zone in _zones()]
            if own:
                found.setdefault(fold(name), own[0] if len(own) == 1 else None)
    return found


def find_timezone(name: str) -> str | None:
    """The IANA zone `name` designates, or None (unknown, or a country of several zones).

    A zone (`America/Montreal`), its city (`montréal`), a localized city (`Londres`) or a
    one-zone country (`Suisse`); `Canada` is None: which city?
    """
    if name in _zones():
        return name  # an exact IANA id, as Slack gives it
    offset = OFFSET.fullmatch(name)
    if offset:
        sign, hours = offset.groups()
        zone = f"Etc/GMT{'+' if sign in '-−' else '-'}{int(hours)}" if int(hours) else "Etc/UTC"
        return zone if zone in _zones() else None
    wanted = fold(name)
    return _names().get(wanted) if wanted else None


def looks_like_place(text: str) -> bool:
    """Whether typed text could be a place's name (a few words, no sentence punctuation)."""
    return bool(PLACE_LIKE.fullmatch(text.strip()))


def is_country_of_many_zones(name: str) -> bool:
    """Whether `name` is a country spanning several time zones (then the city is needed)."""
    wanted = fold(name)
    return bool(wanted) and wanted in _names() and _names()[wanted] is None


ALIAS_CITIES = {"America/Montreal": {"fr": "Montréal", "en": "Montreal"}}
"""Cities of zones that CLDR keeps only as aliases (Montreal is Toronto's), so Babel has no name
for them, but that French-speaking owners choose by typing their city."""


def city(zone: str, language: str) -> str:
    """The city a zone is named after, in the owner's language: `Europe/London` → `Londres`."""
    if zone.startswith("Etc/GMT") and zone[7:]:  # POSIX signs: Etc/GMT-1 is UTC+1
        hours = -int(zone[7:])
        return f"UTC{'+' if hours > 0 else '−'}{abs(hours)}"
    names = Locale.parse(language).time_zones.get(zone, {})
    alias = ALIAS_CITIES.get(zone, {}).get(language)
    return str(names.get("city") or alias or zone.rsplit("/", 1)[-1].replace("_", " "))


def place(zone: str, language: str) -> str:
    """How a zone is offered: its country, with the city when the country has several zones."""
    locale = Locale.parse(language)
    territory: str | None = get_global("zone_territories").get(zone)
    if zone.startswith("Etc/"):
        territory = None  # an offset, not a place: "UTC+1"
    name = locale.territories.get(territory) if territory else None
    if territory is None or name is None:
        return city(zone, language)
    many = len(get_global("territory_zones").get(territory, [])) > 1
    return f"{name} ({city(zone, language)})" if many else str(name)


def default_timezone(language: str) -> str:
    """The zone assumed until the owner says otherwise."""
    return DEFAULT_TIMEZONES.get(language, DEFAULT_TIMEZONES["fr"])


def ask(record: OwnerRecord, t: Translator) -> Reply:
    """Where is the owner? Asked once: the language's zone is kept meanwhile, and stays if unanswered."""
    zone = default_timezone(record.language)
    record.prefs.timezone = zone
    record.prompt = PROMPT
    return Reply(t.tr("city.ask", city=city(zone, t.language)), choices=choices(t), step="@" + PROMPT)


def choices(t: Translator) -> tuple[Choice, ...]:
    """The likely places for the owner's language, in one tap each."""
    return tuple(Choice(f"{PROMPT}:{zone}", place(zone, t.language)) for zone in LIKELY[t.language])


def answer(record: OwnerRecord, typed: str, value: str, t: Translator) -> tuple[str, bool]:
    """Keep the zone tapped (`value`) or typed; the confirmation, and whether it was understood.

    Not understood, the question stays open with a hint: a country of several zones needs the
    city, an unknown place its country.
    """
    zone = value if value in _zones() else find_timezone(typed)
    if zone is None:
        record.prompt = PROMPT
        shown = " ".join(typed.split())[:64] or "?"
        key = "city.which" if is_country_of_many_zones(typed) else "city.unknown"
        return t.tr(key, place=shown), False
    record.prefs.timezone = zone
    words = " ".join(typed.split())
    said = (words.title() if words.islower() else words) if words and not value else place(zone, t.language)
    return t.tr("city.set", place=said[:64]), True
