"""Both catalogs hold every text key, translated, not fuzzy, with the same placeholders."""

from __future__ import annotations

import gettext
import string

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.catalog import UI_KEYS, template_keys
from bot.config import ROOT
from bot.flows import Flows
from bot.i18n import LANGUAGES

LOCALES = ROOT / "locales"
# Values the engine offers to flow texts (bot.plan.placeholders).
FLOW_PLACEHOLDERS = {
    "name",
    "hours",
    "posts",
    "cadence",
    "promo_share",
    "cost",
    "review_date",
    "networks",
    "suggested_cadence",
    "example_behind_scenes",
    "example_useful_tip",
    "example_question",
    "example_contest_prize",
}


def _po(language: str):
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def _fields(text: str | tuple[str, ...]) -> set[str]:
    texts = text if isinstance(text, tuple) else (text,)
    return {name for t in texts for _, name, _, _ in string.Formatter().parse(t) if name is not None}


def _key(message) -> str:
    """A message's key (a plural message's id is its singular and plural keys)."""
    return message.id if isinstance(message.id, str) else message.id[0]


def _texts(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_is_translated_and_not_fuzzy(journey: Flows, language: str) -> None:
    catalog = _po(language)
    wanted = template_keys(journey)
    problems = []
    for key, where in sorted(wanted.items()):
        message = catalog.get(key)
        if message is None:
            problems.append(f"{key} ({where}): missing")
        elif not all(_texts(message)):
            problems.append(f"{key} ({where}): empty")
        elif message.fuzzy:
            problems.append(f"{key} ({where}): fuzzy")
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_catalog_keeps_keys_nobody_uses(journey: Flows, language: str) -> None:
    wanted = set(template_keys(journey))
    kept = {_key(m) for m in _po(language) if m.id}
    assert kept - wanted == set()


def test_placeholders_are_the_same_in_both_languages() -> None:
    french, english = _po("fr"), _po("en")
    different = [
        (_key(m), _fields(m.string), _fields(english[_key(m)].string))
        for m in french
        if m.id and english.get(_key(m)) and _fields(m.string) != _fields(english[_key(m)].string)
    ]
    assert different == []


# The plan-fit question is written by the engine with its own figures (bot.conversation.fit_text).
RENDERED = {"plan_fit.text"}


def test_flow_texts_use_only_the_values_the_engine_offers(journey: Flows) -> None:
    flow_keys = set(journey.text_keys()) - RENDERED
    catalog = _po("fr")
    unknown = {
        key: _fields(catalog[key].string) - FLOW_PLACEHOLDERS
        for key in flow_keys
        if catalog.get(key) and _fields(catalog[key].string) - FLOW_PLACEHOLDERS
    }
    assert unknown == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_matches_the_po_file(language: str) -> None:
    with (LOCALES / language / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    source = {_key(m): _texts(m) for m in _po(language) if m.id}
    found = {
        k: tuple(compiled.ngettext(k, k, n) for n in (1, 2)) if len(v) > 1 else (compiled.gettext(k),)
        for k, v in source.items()
    }
    assert found == source, "run `make i18n` to recompile"


def test_every_key_the_code_shows_is_in_the_template() -> None:
    used = {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(ROOT / "bot"), method_map=[("**.py", "python")], keywords={"tr": None, "count": None}
        )
        if isinstance(message, str) and not message.endswith(".")  # a dynamic key's prefix
    }
    assert used - set(UI_KEYS) == set()


def test_the_committed_template_lists_every_key(journey: Flows) -> None:
    with (LOCALES / "messages.pot").open("rb") as handle:
        template = {_key(m) for m in read_po(handle) if m.id}
    assert template == set(template_keys(journey)), "run `make i18n`"


def test_texts_stay_short_enough_for_a_phone(journey: Flows) -> None:
    labels = {c.label for step in journey.steps.values() for c in step.choices}
    too_long = [
        (language, key)
        for language in LANGUAGES
        for key in journey.text_keys()
        if max(map(len, _texts(_po(language)[key]))) > (40 if key in labels else 500)
    ]
    assert too_long == []


def test_no_text_is_left_as_its_key() -> None:
    for language in LANGUAGES:
        for message in _po(language):
            if message.id:
                assert _key(message) not in _texts(message), (language, message.id)


def test_locales_folder_has_one_catalog_per_language() -> None:
    assert sorted(p.name for p in LOCALES.iterdir() if p.is_dir()) == sorted(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_itself_is_not_fuzzy_so_pybabel_compiles_it(language: str) -> None:
    assert not _po(language).fuzzy
