"""When will you post? The owner names the days and the hour; the posting reminder comes then.

Writing down when one will act raises follow-through (implementation intentions: Gollwitzer &
Sheeran 2006, d = 0.65 over 94 tests; Milkman et al. 2011: a date *and* a time added 4.2 points
over a reminder alone). Offered in one tap after the plan and in the memo (days that fit the
cadence, at noon or in the evening), or typed: `/settings posting mon thu 12:00`. The reminder
then comes at that moment, only if nothing was logged that day (`bot.nudges.rules`).
"""

from __future__ import annotations

from datetime import time

from babel.dates import format_time, get_day_names

from bot.answers import match_choice
from bot.events import Choice, Reply
from bot.flows import Flows
from bot.i18n import Translator
from bot.nudges.places import city
from bot.nudges.prefs import Prefs, parse_clock
from bot.nudges.rules import targets
from bot.store.base import OwnerRecord

DAY_SETS = {
    1: ((1,), (3,), (5,)),
    2: ((1, 4), (0, 3), (2, 5)),
    3: ((0, 2, 4), (1, 3, 5)),
    4: ((0, 1, 3, 4), (1, 2, 4, 5)),
    5: ((0, 1, 2, 3, 4),),
    6: ((0, 1, 2, 3, 4, 5),),
    7: ((0, 1, 2, 3, 4, 5, 6),),
}
"""Days (0 = Monday) spread over the week for each number of posts a week."""
HOURS = (time(12), time(18, 30))
"""Lunch break and evening: when small businesses' audiences scroll most, our suggestion."""
MAX_OPTIONS = 4


def _days(days: tuple[int, ...], t: Translator) -> str:
    names = get_day_names("abbreviated", locale=t.locale)
    return ", ".join(names[d] for d in days)


def _clock(clock: time, t: Translator) -> str:
    return format_time(clock, format="short", locale=t.locale)


def options(record: OwnerRecord, flows: Flows) -> list[tuple[tuple[int, ...], time]]:
    """Day sets and hours that fit the plan's cadence."""
    cadence, _ = targets(flows, record)
    per_week = min(7, max(1, round(cadence or 2)))
    found = [(days, hour) for days in DAY_SETS[per_week] for hour in HOURS]
    return found[:MAX_OPTIONS]


def offer(record: OwnerRecord, flows: Flows, t: Translator) -> Reply:
    """The one-tap question: which days, at what time?"""
    choices = tuple(
        Choice(f"posting:{','.join(map(str, days))}@{hour:%H:%M}", f"{_days(days, t)} · {_clock(hour, t)}")
        for days, hour in options(record, flows)
    )
    zone = Prefs.of(record.prefs, record.language).zone.key
    return Reply(t.tr("posting.ask", city=city(zone, t.language)), choices=choices, step="@posting")


def read(value: str) -> tuple[tuple[int, ...], time] | None:
    """A tapped option `0,2,4@12:00`, or None."""
    days_text, _, clock_text = value.partition("@")
    clock = parse_clock(clock_text)
    try:
        days = tuple(sorted({int(d) for d in days_text.split(",") if d}))
    except ValueError:
        return None
    if clock is None or not days or any(d < 0 or d > 6 for d in days):
        return None
    return days, clock


def parse(rest: str, translators: list[Translator]) -> tuple[tuple[int, ...], time] | None:
    """Typed days and hour: `mon thu 12:00`, `lundi jeudi 18h30`."""
    words = rest.replace(",", " ").split()
    if len(words) < 2:
        return None
    clock = parse_clock(words[-1])
    names = [
        [
            get_day_names(width, locale=tr.locale)[day]
            for tr in translators
            for width in ("wide", "abbreviated")
        ]
        for day in range(7)
    ]
    days = [match_choice(word, names) for word in words[:-1]]
    if clock is None or any(d is None for d in days):
        return None
    return tuple(sorted({d for d in days if d is not None})), clock


def apply(record: OwnerRecord, days: tuple[int, ...], clock: time, t: Translator) -> str:
    """Keep the owner's posting days and hour; say when the reminder will come."""
    record.prefs.post_days, record.prefs.post_time = list(days), f"{clock:%H:%M}"
    return t.tr("posting.set", days=_days(days, t), time=_clock(clock, t))


def line(record: OwnerRecord, t: Translator) -> str:
    """The `/settings` line: when the owner posts, or how to say it."""
    clock = parse_clock(record.prefs.post_time or "")
    if not record.prefs.post_days or clock is None:
        return t.tr("settings.posting_none")
    return t.tr("settings.posting_line", days=_days(tuple(record.prefs.post_days), t), time=_clock(clock, t))
