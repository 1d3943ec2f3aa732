"""Reading what an owner typed or tapped as the answer to one step, or saying kindly why not."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot.flows import Step
from bot.i18n import Translator
from bot.quantities import Unclear, read_quantity

# Bidirectional controls can make an echoed name display as something else; they are dropped.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}
_SEPARATORS = re.compile(r"\s*[,;/+]\s*|\s+(?:et|and|&)\s+", re.IGNORECASE)
_NUMBERED = re.compile(r"^(\d{1,3})[.)]?$")
MAX_INPUT = 4096
"""Longer input is not read as a choice (it is refused, kindly)."""
MAX_NUMBER_INPUT = 80
"""Longer input is not read as a number."""
YES = frozenset(
    {"oui", "o", "ouais", "ouai", "si", "yes", "y", "yeah", "yep", "yup", "ok", "okay", "d accord",
     "bien sur", "absolument", "tout a fait", "exactement", "certainement", "sure", "of course",
     "certainly", "absolutely", "oui oui", "yes please", "oui merci"}
)
NO = frozenset(
    {"non", "n", "nan", "nope", "no", "nah", "non merci", "no thanks", "pas du tout", "pas vraiment",
     "not really", "jamais", "never", "absolument pas", "not at all", "non non"}
)
"""How people say yes and no, in French and English (folded: lowercase, no accents)."""


@dataclass(frozen=True)
class Invalid:
    """Why an answer was not accepted: a catalog key and its values."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


def sanitise_text(text: str) -> str:
    """Drop control and bidi-override characters, fold runs of blanks, trim."""
    kept = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text if ch not in _BIDI_CONTROLS)
    return " ".join(kept.split())


@lru_cache(maxsize=4096)
def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", sanitise_text(text).casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^\w%]+", " ", bare).strip()


def match_choice(text: str, labels: Sequence[Sequence[str]]) -> int | None:
    """Find which option `text` names: by number (1-based), by label, or by a unique prefix."""
    number = _NUMBERED.match(sanitise_text(text))
    if number:
        index = int(number.group(1)) - 1
        return index if 0 <= index < len(labels) else None
    folded = _fold(text)
    if not folded:
        return None
    for index, names in enumerate(labels):
        if any(_fold(name) == folded for name in names):
            return index
    if len(folded) >= 3:
        hits = {i for i, names in enumerate(labels) for name in names if _fold(name).startswith(folded)}
        if not hits:  # a word of the label, or its start: "Boulangerie" for "Alimentation (boulangerie…)"
            hits = {
                i for i, names in enumerate(labels) for name in names if f" {folded}" in f" {_fold(name)}"
            }
        if len(hits) == 1:
            return hits.pop()
    return None


def parse_answer(
    step: Step,
    text: str | None,
    choices: Sequence[str],
    t: Translator,
    all_translators: Sequence[Translator],
) -> Any:
    """Return the value to store for this step, or an `Invalid` saying what to fix."""
    if step.kind in ("single", "yesno", "multiple"):
        return _parse_choice(step, text, choices, t, all_translators)
    if choices:
        return Invalid("input.not_now")
    raw = text or ""
    if not raw.strip():
        return Invalid("input.empty")
    if step.kind == "number":
        return _parse_number(step, raw, t)
    cleaned = sanitise_text(raw)
    if not cleaned:
        return Invalid("input.empty")
    if step.max_length is not None and len(cleaned) > step.max_length:
        return Invalid("input.too_long", {"max": t.number(step.max_length)})
    return cleaned


def _parse_number(step: Step, raw: str, t: Translator) -> Any:
    """A number as people type it (see `bot.quantities`); what could mean two things is asked."""
    low, high = step.min if step.min is not None else 0, step.max if step.max is not None else 0
    example = step.default if isinstance(step.default, int | float) else max(low, min(high, 3))
    reading = read_quantity(raw, step.unit, t) if len(raw) <= MAX_NUMBER_INPUT else Unclear("none")
    if isinstance(reading, Unclear):
        if reading.why == "other_unit":
            expected = t.tr(f"input.expects.{step.unit or 'number'}", example=t.number(example))
            return Invalid("input.which_unit", {"answer": sanitise_text(raw)[:40], "expected": expected})
        if reading.why == "two":
            shown = sorted(reading.numbers)[:: len(reading.numbers) - 1]
            return Invalid("input.one_number", {"low": t.number(shown[0]), "high": t.number(shown[-1])})
        return Invalid("input.not_a_number", {"example": t.number(example)})
    value = reading.value
    if not low <= value <= high:
        return Invalid("input.out_of_range", {"min": t.number(low), "max": t.number(high)})
    return int(value) if float(value).is_integer() else round(value, 2)


def _parse_choice(
    step: Step, text: str | None, tapped: Sequence[str], t: Translator, translators: Sequence[Translator]
) -> Any:
    multiple = step.kind == "multiple"
    picky = Invalid("input.pick_many" if multiple else "input.pick_one")
    if tapped:
        ids = list(dict.fromkeys(tapped))
        if not all(step.choice(i) for i in ids) or (not multiple and len(ids) != 1):
            return picky
    else:
        raw = text or ""
        if not raw.strip():
            return Invalid("input.empty")
        if len(raw) > MAX_INPUT:
            return picky
        labels = [[tr.tr(c.label) for tr in translators] + [c.id] for c in step.choices]
        if step.kind == "yesno":
            said = _fold(raw)
            if said in YES or said in NO:
                return "yes" if said in YES else "no"
        parts = [raw]
        if multiple:
            parts = [p for p in _SEPARATORS.split(raw.strip()) if p]
            if len(parts) == 1 and all(p.isdigit() for p in raw.split()):
                parts = raw.split()
        ids = []
        for part in parts:
            index = match_choice(part, labels)
            if index is None:
                return picky
            ids.append(step.choices[index].id)
        ids = list(dict.fromkeys(ids))
    if not multiple:
        return ids[0]
    exclusive = [i for i in ids if step.choice(i) and step.choice(i).exclusive]  # type: ignore[union-attr]
    if exclusive and len(ids) > 1:
        label = step.choice(exclusive[0]).label  # type: ignore[union-attr]
        return Invalid("input.exclusive", {"label": t.tr(label)})
    return ids
