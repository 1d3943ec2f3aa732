"""Money, numbers and dates read the owner's way; typed numbers are understood both ways."""

from __future__ import annotations

from datetime import date

import pytest

from bot.config import ROOT
from bot.i18n import Translator, normalise_language
from bot.plan import add_months

FR = Translator("fr", ROOT / "locales")
EN = Translator("en", ROOT / "locales")


def test_money_in_french_and_in_english() -> None:
    # A whole amount reads without cents; cents are kept when there are some.
    assert FR.money(1200, "EUR") == "1\u202f200\xa0€"
    assert EN.money(1200, "EUR") == "€1,200"
    assert FR.money(1200, "CHF") == "1\u202f200\xa0CHF"
    assert FR.money(1083.33, "EUR") == "1\u202f083,33\xa0€"
    assert EN.money(1083.33, "EUR") == "€1,083.33"


def test_dates_and_percents() -> None:
    assert FR.date(date(2027, 2, 23)) == "23 février 2027"
    assert EN.date(date(2027, 2, 23)) == "23 February 2027"
    assert FR.date(date(2027, 3, 1)) == "1er mars 2027", "French writes the first of the month as an ordinal"
    assert EN.date(date(2027, 3, 1)) == "1 March 2027"
    assert FR.percent(10) == "10\xa0%"
    assert EN.percent(10) == "10%"


@pytest.mark.parametrize(
    ("translator", "typed", "value"),
    [
        (FR, "2,5", 2.5),
        (FR, "2.5", 2.5),
        (FR, "1 200", 1200),
        (FR, "10 h", 10),
        (FR, "10%", 10),
        (EN, "2.5", 2.5),
        (EN, "1,200", 1200),
        (EN, "25€", 25),
        (FR, "abc", None),
        (FR, "nan", None),
        (FR, "", None),
        (EN, "1e400", None),
        (FR, "-3", -3),
    ],
)
def test_typed_numbers(translator: Translator, typed: str, value: float | None) -> None:
    assert translator.parse_number(typed) == value


def test_three_months_later_stays_in_the_month() -> None:
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 15), 3) == date(2026, 4, 15)


@pytest.mark.parametrize(
    ("code", "language"),
    [("fr-CA", "fr"), ("en_US", "en"), ("EN", "en"), ("de", None), ("", None), (None, None)],
)
def test_channel_language_codes(code: str | None, language: str | None) -> None:
    assert normalise_language(code) == language
