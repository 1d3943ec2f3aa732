"""Reading a quantity as people type it: "environ 4", "3 heures", "25 CHF", "4,5", "1h30", "deux".

The number itself is read by the owner's `Translator` (French or English separators); around it,
words that hedge ("environ", "about"), that name the step's unit ("heures", "CHF", "%", "posts")
or its period ("par semaine", "de l'heure" for a rate) are accepted. A unit of another kind
("3h" where a percentage is asked) or two numbers ("3 ou 4") are not guessed: the owner is
asked which they mean. Words in French and English are accepted whatever the owner's language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.i18n import NUMBER_WORDS, Translator

# A number as typed: digits, groups of three after a space ("1 200"), decimals or groups after
# a comma, point or apostrophe ("4,5", "1,200.50", "1'000").
# A sign only where it cannot be a dash between two numbers ("2-3").
_NUMBER = re.compile(r"(?<![\d.,])(?:(?<![\w-])[-+])?\d+(?:[ \u202f\xa0]\d{3}(?!\d))*(?:[.,']\d+)*")
_HOURS_MINUTES = re.compile(r"(?<!\d)(\d{1,2})\s*h\s*([0-5]\d)(?!\d)", re.IGNORECASE)
_SYMBOLS = {"€": " eur ", "$": " usd ", "£": " gbp ", "~": " environ ", "≈": " environ ", "%": " % "}

HEDGES = frozenset(
    {
        "environ", "env", "a peu pres", "peu pres", "presque", "pres de", "autour de", "vers", "genre",
        "disons", "je dirais", "peut etre", "probablement", "plus ou moins", "au moins", "au plus",
        "maximum", "max", "minimum", "jusqu a", "about", "around", "roughly", "approximately",
        "approx", "almost", "nearly", "maybe", "perhaps", "probably", "more or less", "at least",
        "at most", "up to", "i d say", "say", "something like", "ish", "je pense", "i think",
    }
)
FILLERS = frozenset({"a", "an", "de", "d", "l", "la", "le", "les", "the", "of", "en", "du", "des"})
LINKS = frozenset({"et", "and", "ou", "or", "entre", "between", "to"})
"""Words between two numbers: the answer is then two numbers, and the owner is asked for one."""
UNIT_WORDS: dict[str, frozenset[str]] = {
    "hours": frozenset({"h", "heure", "heures", "hr", "hrs", "hour", "hours", "hre", "hres"}),
    "minutes": frozenset({"mn", "min", "mins", "minute", "minutes"}),
    "percent": frozenset({"%", "pourcent", "pourcents", "pour cent", "percent", "per cent", "pct"}),
    "money": frozenset(
        {
            "eur", "euro", "euros", "chf", "fr", "franc", "francs", "cad", "usd", "dollar", "dollars",
            "gbp", "livre", "livres", "pound", "pounds", "xof", "fcfa", "cfa", "balles",
        }
    ),
    "posts": frozenset(
        {"post", "posts", "publication", "publications", "publi", "publis", "message", "messages"}
        | {"fois", "x", "times"}
    ),
    "week": frozenset(
        {"par semaine", "semaine", "semaines", "sem", "hebdo", "per week", "a week", "week", "weekly", "pw"}
    ),
    "month": frozenset({"par mois", "mois", "per month", "a month", "month", "monthly"}),
    "rate": frozenset({"par heure", "l heure", "de l heure", "per hour", "an hour", "hourly", "h", "heure"}),
}
HALF_HOUR = frozenset({"demi heure", "half an hour", "half hour"})
HALF = frozenset({"demi", "demie", "half"})
ALLOWED: dict[str | None, frozenset[str]] = {
    None: frozenset({"posts", "month"}),
    "hours": frozenset({"hours", "minutes", "week"}),
    "posts_per_week": frozenset({"posts", "week"}),
    "percent": frozenset({"percent"}),
    "money": frozenset({"money", "rate"}),
}
_PHRASES = sorted(
    {p for words in UNIT_WORDS.values() for p in words} | HEDGES | HALF_HOUR,
    key=lambda p: -len(p.split()),
)


@dataclass(frozen=True)
class Quantity:
    """A number read from an answer, in the step's unit."""

    value: float


@dataclass(frozen=True)
class Unclear:
    """Why the answer is not one quantity.

    `other_unit`: a unit of another kind; `two`: two numbers; `none`: no number, or words that are
    not about one.
    """

    why: str
    numbers: tuple[float, ...] = ()


def _fold(text: str) -> str:
    for symbol, word in _SYMBOLS.items():
        text = text.replace(symbol, word)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w%#]+", " ", bare).split())


def _phrases(folded: str) -> list[str]:
    """The words of `folded`, with the known phrases of several words kept together."""
    words, found, i = folded.split(), [], 0
    while i < len(words):
        for phrase in _PHRASES:
            size = len(phrase.split())
            if " ".join(words[i : i + size]) == phrase:
                found.append(phrase)
                i += size
                break
        else:
            found.append(words[i])
            i += 1
    return found


def read_quantity(text: str, unit: str | None, t: Translator) -> Quantity | Unclear:
    """Read one quantity for a step measured in `unit` (hours, percent, money, posts_per_week)."""
    text = text.replace("−", "-")
    numbers: list[float] = []
    clock = _HOURS_MINUTES.search(text)
    if clock and unit == "hours":  # "1h30": an hour and a half
        numbers.append(int(clock.group(1)) + int(clock.group(2)) / 60)
        text = text[: clock.start()] + " # h " + text[clock.end() :]
    rest = []
    last = 0
    for found in _NUMBER.finditer(text):
        value = t.parse_number(found.group(0))
        if value is None:
            return Unclear("none")
        numbers.append(value)
        rest.append(text[last : found.start()])
        last = found.end()
    rest.append(text[last:])
    kinds: set[str] = set()
    articles = 0  # "une heure": `un`, `une` and `one` count as 1, unless half an hour follows
    minutes = half_hour = and_a_half = False
    for word in _phrases(_fold(" # ".join(rest))):
        if word == "#" or word in LINKS or word in FILLERS or word in HEDGES:
            continue
        if word in NUMBER_WORDS:
            numbers.append(NUMBER_WORDS[word])
            articles += word in ("un", "une", "one")
            continue
        if word in HALF_HOUR:
            half_hour = True
            kinds.add("hours")
            continue
        if word in HALF:
            and_a_half = True
            continue
        kind = next((k for k in ALLOWED.get(unit, frozenset()) if word in UNIT_WORDS[k]), None)
        kind = kind or next((k for k, words in UNIT_WORDS.items() if word in words), None)
        if kind is None:
            return Unclear("none", tuple(numbers))
        kinds.add(kind)
        minutes = minutes or kind == "minutes"
    if half_hour:
        if articles and 1 in numbers:
            numbers.remove(1)
        numbers.append(0.5)
    if and_a_half:
        numbers = [numbers[0] + 0.5] if len(numbers) == 1 else numbers or [0.5]
    if not numbers:
        return Unclear("none")
    if kinds - ALLOWED.get(unit, frozenset()):
        return Unclear("other_unit", tuple(numbers))
    if len(numbers) > 1:
        return Unclear("two", tuple(numbers))
    value = numbers[0] / 60 if minutes else numbers[0]
    return Quantity(value)
