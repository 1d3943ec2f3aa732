"""Answers as people type them: an option's name or a word of it, numbers with words and units,
yes and no as people say them; what could mean two things is asked back, never guessed.

These read the parsing functions with steps made here (the journey's questions may change);
one short terminal story checks the README's own examples end to end.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answers import Invalid, match_choice, parse_answer
from bot.config import ROOT
from bot.flows import YESNO_CHOICES, ChoiceSpec, Step
from bot.i18n import Translator
from bot.quantities import Quantity, Unclear, read_quantity
from tests.fakes.processes import run_coach

FR = Translator("fr", ROOT / "locales")
EN = Translator("en", ROOT / "locales")
BOTH = [FR, EN]


def number_step(unit: str | None, low: float = 0, high: float = 100, default: float | None = None) -> Step:
    return Step("n", "number", "n.text", "m", "f.yaml", min=low, max=high, unit=unit, default=default)


SECTOR = Step(
    "sector",
    "single",
    "sector.text",
    "m",
    "f.yaml",
    choices=(
        ChoiceSpec("food", "sector.food"),
        ChoiceSpec("retail", "sector.retail"),
        ChoiceSpec("crafts", "sector.crafts"),
    ),
)
YESNO = Step("q", "yesno", "q.text", "m", "f.yaml", choices=tuple(ChoiceSpec(i, k) for i, k in YESNO_CHOICES))


@pytest.mark.parametrize(
    ("typed", "unit", "value"),
    [
        ("environ 4", None, 4),
        ("à peu près 4", None, 4),
        ("about 4", None, 4),
        ("~4", None, 4),
        ("3 heures", "hours", 3),
        ("3 h", "hours", 3),
        ("3h", "hours", 3),
        ("1h30", "hours", 1.5),
        ("une heure et demie", "hours", 1.5),
        ("une demi-heure", "hours", 0.5),
        ("30 minutes", "hours", 0.5),
        ("5 heures par semaine", "hours", 5),
        ("4,5", "hours", 4.5),
        ("4.5", "hours", 4.5),
        ("25 CHF", "money", 25),
        ("CHF 25.-", "money", 25),
        ("25 €", "money", 25),
        ("€25", "money", 25),
        ("25 € de l'heure", "money", 25),
        ("1 200", "money", 1200),
        ("10 %", "percent", 10),
        ("10%", "percent", 10),
        ("10 pour cent", "percent", 10),
        ("deux", "posts_per_week", 2),
        ("three", "posts_per_week", 3),
        ("3 fois par semaine", "posts_per_week", 3),
        ("3 posts a week", "posts_per_week", 3),
        ("12 par mois", None, 12),
    ],
)
def test_numbers_with_words_and_units_are_read(typed: str, unit: str | None, value: float) -> None:
    for t in BOTH:
        assert read_quantity(typed, unit, t) == Quantity(value), (typed, t.language)


@pytest.mark.parametrize(
    ("typed", "unit", "why"),
    [
        ("3h", "percent", "other_unit"),
        ("3h", None, "other_unit"),
        ("15h30", "percent", "other_unit"),
        ("25 CHF", "hours", "other_unit"),
        ("10 %", "money", "other_unit"),
        ("3 ou 4", "posts_per_week", "two"),
        ("2-3", "posts_per_week", "two"),
        ("entre 2 et 3", "hours", "two"),
        ("3 chats", None, "none"),
        ("beaucoup", "hours", "none"),
        ("1e9", "hours", "none"),
        ("nan", "hours", "none"),
    ],
)
def test_what_could_mean_two_things_is_not_guessed(typed: str, unit: str | None, why: str) -> None:
    reading = read_quantity(typed, unit, FR)
    assert isinstance(reading, Unclear) and reading.why == why, reading


def test_an_hours_answer_on_a_percentage_question_is_asked_back() -> None:
    step = number_step("percent", 0, 100, default=10)
    asked = parse_answer(step, "3h", [], FR, BOTH)
    assert isinstance(asked, Invalid) and asked.key == "input.which_unit"
    text = FR.tr(asked.key, **asked.values)
    assert "3h" in text and "%" in text and text.rstrip().endswith("?")
    english = parse_answer(step, "3h", [], EN, BOTH)
    assert isinstance(english, Invalid) and "percentage" in EN.tr(english.key, **english.values)


def test_two_numbers_are_asked_back_as_one() -> None:
    asked = parse_answer(number_step("posts_per_week", 1, 14), "3 ou 4", [], FR, BOTH)
    assert isinstance(asked, Invalid) and asked.key == "input.one_number"
    assert FR.tr(asked.key, **asked.values).startswith("3 ou 4 ?")


def test_a_read_number_still_has_to_be_in_bounds() -> None:
    assert parse_answer(number_step("hours", 0.5, 60), "environ 4", [], FR, BOTH) == 4
    assert parse_answer(number_step("hours", 0.5, 60), "1h30", [], FR, BOTH) == 1.5
    out = parse_answer(number_step("hours", 0.5, 60), "70 heures", [], FR, BOTH)
    assert isinstance(out, Invalid) and out.key == "input.out_of_range"


def test_an_option_is_found_by_a_word_of_its_name_or_its_start() -> None:
    assert parse_answer(SECTOR, "Boulangerie", [], FR, BOTH) == "food"
    assert parse_answer(SECTOR, "boulang", [], FR, BOTH) == "food"
    assert parse_answer(SECTOR, "Alimentation", [], FR, BOTH) == "food"
    assert parse_answer(SECTOR, "2", [], FR, BOTH) == "retail"
    labels = [["Services aux entreprises"], ["Services à la personne"]]
    assert match_choice("services", labels) is None, "a word two options share is not a guess"
    assert match_choice("personne", labels) == 1


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("oui", "yes"), ("Ouais", "yes"), ("si", "yes"), ("yes", "yes"), ("yep", "yes"), ("OK", "yes"),
        ("bien sûr", "yes"), ("non", "no"), ("nan", "no"), ("nope", "no"), ("no", "no"),
        ("pas vraiment", "no"), ("non merci", "no"), ("1", "yes"), ("2", "no"),
    ],
)
def test_yes_and_no_as_people_say_them(typed: str, said: str) -> None:
    assert parse_answer(YESNO, typed, [], FR, BOTH) == said


def test_the_readme_examples_work_in_the_terminal(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"COACH_DATA_DIR": str(data), "COACH_FSYNC": "0"}
    told = run_coach(["chat", "--user", "readme"], env, "/start\n1\nFournil\nBoulangerie\n")
    assert told.returncode == 0, told.stderr
    exported = run_coach(["export", "--owner", "terminal:readme"], env)
    answers = json.loads(exported.stdout)["owner"]["answers"]
    assert "food" in answers.values(), "the README's `Boulangerie` chose the food sector"
