"""Streaks with grace: weeks in a row on the plan's cadence, kept by one freeze a month and holidays.

Missing one occasion does not undo a habit (Lally et al. 2009), and a streak lost to one bad
week teaches giving up. So a week under the cadence is covered by a *freeze*, one per calendar
month (the month the week starts in), and a week the owner declared as holiday keeps the streak
without counting. More leniency would train skipping. Everything is computed from the posts, so
nothing has to be stored but the holiday weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.flows import Flows
from bot.nudges.prefs import Prefs
from bot.nudges.rules import targets
from bot.store.base import OwnerRecord

MAX_WEEKS = 104
"""How far back a streak is counted."""


@dataclass(frozen=True)
class Streak:
    """Weeks on cadence in a row, and the weeks a freeze kept (ISO week keys)."""

    weeks: int
    frozen: tuple[str, ...] = ()


def week_start(prefs: Prefs, moment: datetime) -> datetime:
    """Monday 00:00 of the owner's local week of `moment`, in UTC."""
    local = prefs.local(moment)
    return prefs.at_local(local.date() - timedelta(days=local.weekday()), time(0))


def note_holiday(record: OwnerRecord, prefs: Prefs, first: date, last: date) -> None:
    """Remember the weeks a holiday covers, so they keep the streak."""
    day = first
    while day <= last:
        key = prefs.week_key(prefs.at_local(day, time(12)))
        if key not in record.nudges.holiday_weeks:
            record.nudges.holiday_weeks.append(key)
        day += timedelta(days=7 - day.weekday()) if day.weekday() else timedelta(days=7)
    key = prefs.week_key(prefs.at_local(last, time(12)))
    if key not in record.nudges.holiday_weeks:
        record.nudges.holiday_weeks.append(key)
    del record.nudges.holiday_weeks[:-MAX_WEEKS]


def streak(record: OwnerRecord, flows: Flows, prefs: Prefs, now: datetime) -> Streak:
    """The owner's streak at `now`: this week counts once it is on cadence, never breaks it."""
    cadence, _ = targets(flows, record)
    if not cadence or not record.completed_at:
        return Streak(0)
    completed = datetime.fromisoformat(record.completed_at)
    moments = sorted(p.moment for p in record.posts)

    def posts(start: datetime, end: datetime) -> int:
        return sum(1 for m in moments if start <= m < end)

    start = week_start(prefs, now)
    weeks = 1 if posts(start, now + timedelta(seconds=1)) >= cadence else 0
    frozen: list[str] = []
    pending: list[str] = []  # freezes that count once an older week on cadence joins them up
    months: set[tuple[int, int]] = set()
    holidays = set(record.nudges.holiday_weeks)
    for _ in range(MAX_WEEKS):
        previous = week_start(prefs, start - timedelta(days=3))
        if start <= completed:
            break
        key = prefs.week_key(previous + timedelta(days=3))
        if posts(previous, start) >= cadence:
            weeks += 1
            frozen += pending
            pending = []
        elif key not in holidays:
            month = prefs.local(previous + timedelta(days=3)).date()
            if previous < completed or (month.year, month.month) in months:
                break
            months.add((month.year, month.month))
            pending.append(key)
        start = previous
    return Streak(weeks, tuple(frozen))
