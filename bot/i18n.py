"""Translations and locale-aware formatting, one `Translator` per owner's language.

Catalog msgids are stable keys (`plan_cadence.text`); the French and English texts live in
`locales/<lang>/LC_MESSAGES/messages.po`. Never `gettext.install()`: owners differ in language.
"""

from __future__ import annotations

import gettext
import math
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.numbers import (
    NumberFormatError,
    format_currency,
    format_decimal,
    format_percent,
    parse_decimal,
)

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
DOMAIN = "messages"
# Digits with at most the usual separators: no exponents, no "nan" or "inf".
_PLAIN_NUMBER = re.compile(r"^-?[\d.,']{1,32}$")
NUMBER_WORDS: dict[str, float] = {
    **dict.fromkeys(("zero", "aucun", "aucune", "none"), 0.0),
    **dict.fromkeys(("un", "une", "one"), 1.0),
    **{
        word: float(n)
        for n, words in enumerate(
            (
                (),
                (),
                ("deux", "two"),
                ("trois", "three"),
                ("quatre", "four"),
                ("cinq", "five"),
                ("six",),
                ("sept", "seven"),
                ("huit", "eight"),
                ("neuf", "nine"),
                ("dix", "ten"),
                ("onze", "eleven"),
                ("douze", "twelve"),
                ("treize", "thirteen"),
                ("quatorze", "fourteen"),
                ("quinze", "fifteen"),
                ("seize", "sixteen"),
            )
        )
        for word in words
    },
    **dict.fromkeys(("vingt", "twenty"), 20.0),
    **dict.fromkeys(("trente", "thirty"), 30.0),
    **dict.fromkeys(("quarante", "forty"), 40.0),
    **dict.fromkeys(("cinquante", "fifty"), 50.0),
    **dict.fromkeys(("cent", "hundred"), 100.0),
}
"""Numbers written as one word, in French and English, accent-free and lowercase (as folded)."""


class _Blank(dict[str, Any]):
    """Formatting values where a missing name shows as an ellipsis rather than failing."""

    def __missing__(self, key: str) -> str:
        return "…"


@lru_cache(maxsize=4096)
def _decimal(value: float, locale: str) -> str:
    # Reminders format the same few counts for thousands of owners: babel's work, once each.
    return format_decimal(value, locale=locale)


def normalise_language(code: str | None) -> str | None:
    """Map a channel's language code (`fr-CA`, `en_US`, `EN`) to one we speak, if any."""
    if not code:
        return None
    base = code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGUAGES else None


@cache
def _catalog(localedir: str, language: str) -> gettext.GNUTranslations:
    return gettext.translation(DOMAIN, localedir, languages=[language])


class Translator:
    """Texts and formats in one language."""

    def __init__(self, language: str, localedir: Path) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        self.language = language
        self.locale = Locale.parse(LOCALES[language])
        self._catalog = _catalog(str(localedir), language)

    def tr(self, key: str, **values: Any) -> str:
        """Return the text for `key`, with `{placeholders}` filled from `values`."""
        return self._fill(self._catalog.gettext(key), values)

    def count(self, key: str, n: float, **values: Any) -> str:
        """The text for `key` in the plural form that `n` takes (`{count}` is `n`, formatted).

        Plural forms come from the catalog (`msgid_plural`): French takes the singular for 0
        and 1, English for 1 only; a decimal count takes the plural.
        """
        whole = int(n) if float(n).is_integer() else 2
        text = self._catalog.ngettext(key, key, whole)
        return self._fill(text, {"count": self.number(n), **values})

    def hours(self, value: float) -> str:
        """A number of hours (`3 h`, `1 hour`)."""
        return self.count("unit.hours", value)

    def minutes(self, total: float) -> str:
        """A duration given in minutes, in hours and minutes (`2 h 40`)."""
        hours, minutes = divmod(round(total), 60)
        if not hours:
            return self.count("unit.minutes", minutes)
        if not minutes:
            return self.hours(hours)
        return self.tr("unit.hours_minutes", hours=self.number(hours), minutes=f"{minutes:02d}")

    def days_or_hours(self, hours: float) -> str:
        """A time span the way people say it: hours up to 48, then days."""
        if hours <= 48:
            return self.hours(round(hours))
        return self.count("unit.days", math.floor(hours / 24))

    def _fill(self, text: str, values: dict[str, Any]) -> str:
        if "{" not in text:
            return text
        if self.language == "fr":
            text = _elide(text, values)
        return text.format_map(_Blank(values))

    def has_placeholders(self, key: str) -> bool:
        """Whether the text for `key` quotes any `{value}`."""
        return "{" in self._catalog.gettext(key)

    def has(self, key: str) -> bool:
        """Whether the catalog holds a translation for `key`."""
        return self._catalog.gettext(key) != key

    def number(self, value: float) -> str:
        """Format a number the owner's way (`2,5` in French)."""
        return _decimal(value, str(self.locale))

    def percent(self, value: float) -> str:
        """Format a share given in percent (10 → `10 %` in French)."""
        return format_percent(value / 100, locale=self.locale)

    def money(self, amount: float, currency: str) -> str:
        """Format an amount of money (`1 200,50 €` in French; a whole amount without cents: `25 €`)."""
        if float(amount).is_integer():
            pattern = self.locale.currency_formats["standard"].pattern.split(";")[0].replace(".00", "")
            return format_currency(
                amount, currency, format=pattern, locale=self.locale, currency_digits=False
            )
        return format_currency(amount, currency, locale=self.locale)

    def date(self, day: date) -> str:
        """Format a date in words (`22 février 2027`; French writes the first `1er mars`)."""
        from babel.dates import format_date

        if self.language == "fr" and day.day == 1:  # CLDR has no ordinal day; French typography does
            return format_date(day, "d'er' MMMM y", locale=self.locale)
        return format_date(day, format="long", locale=self.locale)

    def parse_number(self, text: str) -> float | None:
        """Read a number typed by the owner, in their locale or the other common way."""
        cleaned = text.strip().rstrip("%€$£hH ").strip()
        cleaned = cleaned.replace("\u202f", "").replace("\xa0", "").replace(" ", "")
        if not _PLAIN_NUMBER.match(cleaned):
            return None
        for locale in (self.locale, Locale.parse("en") if self.language != "en" else Locale.parse("fr")):
            try:
                value = parse_decimal(cleaned, locale=locale, strict=True)
            except NumberFormatError:
                continue
            return _finite(value)
        try:
            return _finite(Decimal(cleaned.replace(",", ".")))
        except InvalidOperation:
            return None


_ELIDED = {"de": "d’", "que": "qu’", "le": "l’", "la": "l’"}
_BEFORE_PLACEHOLDER = re.compile(r"\b(de|que|le|la) \{(\w+)\}")


def _elide(text: str, values: dict[str, Any]) -> str:
    """French elision before a quoted value that starts with a vowel: `de {name}` → `d’Atelier`."""

    def fix(match: re.Match[str]) -> str:
        value = str(values.get(match.group(2), ""))
        starts = unicodedata.normalize("NFKD", value[:1]).casefold()[:1]
        if starts and starts in "aeiouy":
            return _ELIDED[match.group(1)] + "{" + match.group(2) + "}"
        return match.group(0)

    return _BEFORE_PLACEHOLDER.sub(fix, text)


def _finite(value: Decimal) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None
