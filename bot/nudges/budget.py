"""The notification budget: how many messages an owner may get in a day and in a week.

Volume costs attention (Localytics 2017: 10 % of people would turn notifications off at one a
week, 37 % at two to five), so what is due at one moment goes out as one message, at most
`per_day` such messages a day and `per_week` a week (1 and 3 by default, `/settings budget`),
the weekly memo included. The memo never waits for the budget: reminders on its day wait for it
and ride along, and a week's budget keeps one message for the memo until it has gone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.nudges.prefs import Prefs
from bot.store.base import OwnerRecord

KEPT = 30
"""Send times kept per owner: enough for any week's count."""


def _sent_times(record: OwnerRecord) -> list[datetime]:
    return [datetime.fromisoformat(at) for at in record.nudges.bundles]


def note_bundle(record: OwnerRecord, now: datetime) -> None:
    """Count one message sent at `now`."""
    record.nudges.bundles.append(now.isoformat())
    del record.nudges.bundles[:-KEPT]


def sent_today(record: OwnerRecord, prefs: Prefs, now: datetime) -> int:
    """Messages sent on the owner's local day of `now`."""
    today = prefs.local(now).date()
    return sum(1 for at in _sent_times(record) if prefs.local(at).date() == today)


def sent_this_week(record: OwnerRecord, prefs: Prefs, now: datetime) -> int:
    """Messages sent in the owner's local week (Monday to Sunday) of `now`."""
    week = prefs.week_key(now)
    return sum(1 for at in _sent_times(record) if prefs.week_key(at) == week)


def next_memo(prefs: Prefs, now: datetime) -> datetime:
    """The first weekly memo time after `now`."""
    return prefs.latest_checkin(now) + timedelta(days=7)


def reminder_allowed(record: OwnerRecord, prefs: Prefs, now: datetime) -> bool:
    """Whether a reminder without the memo may go out at `now`.

    Not on the memo's day before the memo (it will carry what is due), not past the day's
    budget, and not past the week's budget less the one message kept for a memo still to come.
    """
    upcoming = next_memo(prefs, now)
    if prefs.local(upcoming).date() == prefs.local(now).date():
        return False
    if sent_today(record, prefs, now) >= prefs.per_day:
        return False
    memo_ahead = prefs.week_key(upcoming) == prefs.week_key(now)
    return sent_this_week(record, prefs, now) < prefs.per_week - (1 if memo_ahead else 0)


def reopens(record: OwnerRecord, prefs: Prefs, now: datetime) -> datetime:
    """When a held reminder may next go out: the next day, the memo, or the next week."""
    upcoming = next_memo(prefs, now)
    if prefs.local(upcoming).date() == prefs.local(now).date():
        return upcoming
    local = prefs.local(now)
    tomorrow = prefs.at_local(local.date() + timedelta(days=1), time(0))
    if sent_today(record, prefs, now) < prefs.per_day:  # the week is full
        tomorrow = prefs.at_local(local.date() + timedelta(days=7 - local.weekday()), time(0))
    return min(tomorrow, upcoming)
