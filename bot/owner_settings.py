"""`/settings`: an owner's reminder settings, shown and changed in a few words.

`/settings` alone shows them with one-tap pause, resume and stop; `/settings timezone
America/Montreal`, `/settings checkin monday 09:00`, `/settings quiet 21:00-07:30`,
`/settings holiday 2026-12-31`, `/settings pause|resume|stop` change one thing. French words
(`fuseau`, `calme`, `vacances`, `reprendre`…) work too.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_time, get_day_names, parse_date

from bot.answers import match_choice
from bot.events import Choice, Reply
from bot.i18n import Translator
from bot.nudges import posting, streaks
from bot.nudges.places import find_timezone
from bot.nudges.prefs import Prefs, parse_clock
from bot.store.base import OwnerRecord

WORDS = {
    "timezone": {"timezone", "tz", "fuseau", "zone"},
    "checkin": {"checkin", "check-in", "bilan", "rendez-vous"},
    "quiet": {"quiet", "calme", "silence"},
    "holiday": {"holiday", "holidays", "vacances", "conges", "congés"},
    "pause": {"pause"},
    "resume": {"resume", "reprendre", "on"},
    "stop": {"stop", "off", "arret", "arrêt"},
    "budget": {"budget", "limit", "limite", "max"},
    "posting": {"posting", "post", "publication", "publier", "jours"},
}
ONE_TAP = ("pause", "resume", "stop")
MAX_PER_WEEK = 14
"""The most messages a week an owner can ask for: two a day."""


def show(record: OwnerRecord, t: Translator) -> list[Reply]:
    """The settings as they are, with one-tap pause, resume and stop."""
    prefs = Prefs.of(record.prefs, record.language)
    day = get_day_names("wide", locale=t.locale)[prefs.checkin_day]
    if prefs.stopped:
        status = t.tr("settings.status_stopped")
    elif prefs.paused or prefs.auto_paused:
        status = t.tr("settings.status_paused")
    else:
        status = t.tr("settings.status_on")
    lines = [
        t.tr("settings.title"),
        t.tr("settings.timezone_line", zone=prefs.zone.key),
        t.tr("settings.checkin_line", day=day, time=_clock(prefs.checkin_time, t)),
        t.tr("settings.quiet_line", start=_clock(prefs.quiet_start, t), end=_clock(prefs.quiet_end, t)),
        t.tr("settings.budget_line", day=t.number(prefs.per_day), week=t.number(prefs.per_week)),
        posting.line(record, t),
        status,
    ]
    if prefs.holiday_until:
        lines.append(t.tr("settings.holiday_line", date=t.date(prefs.holiday_until)))
    lines += ["", t.tr("settings.usage")]
    choices = tuple(Choice("settings:" + word, t.tr("settings.button." + word)) for word in ONE_TAP)
    return [Reply("\n".join(lines), choices=choices, step="@settings")]


def change(
    record: OwnerRecord, args: str, t: Translator, translators: list[Translator], now: datetime
) -> str:
    """Apply `/settings WORD VALUE…` and return the confirmation or a kind explanation."""
    word, _, rest = args.strip().partition(" ")
    action = next((name for name, words in WORDS.items() if word.casefold() in words), None)
    if action is None:
        return t.tr("settings.usage")
    if action in ONE_TAP:
        return switch(record, action, t)
    if action == "timezone":
        zone = find_timezone(rest)
        if zone is None:
            return t.tr("settings.timezone_unknown", zone=rest.strip()[:64] or "?")
        record.prefs.timezone = zone
        return t.tr("settings.timezone_set", zone=zone)
    if action == "checkin":
        return _set_checkin(record, rest, t, translators)
    if action == "budget":
        return _set_budget(record, rest, t)
    if action == "posting":
        chosen = posting.parse(rest, translators)
        return posting.apply(record, *chosen, t) if chosen else t.tr("settings.posting_bad")
    if action == "quiet":
        start, _, end = rest.replace("–", "-").replace(" ", "").partition("-")
        begin, finish = parse_clock(start), parse_clock(end)
        if begin is None or finish is None:
            return t.tr("settings.quiet_bad")
        record.prefs.quiet_start, record.prefs.quiet_end = f"{begin:%H:%M}", f"{finish:%H:%M}"
        return t.tr("settings.quiet_set", start=_clock(begin, t), end=_clock(finish, t))
    until = _parse_day(rest, t)
    prefs = Prefs.of(record.prefs, record.language)
    if until is None or until < prefs.local(now).date():
        return t.tr("settings.holiday_bad")
    record.prefs.holiday_until = until.isoformat()
    streaks.note_holiday(record, prefs, prefs.local(now).date(), until)
    return t.tr("settings.holiday_set", date=t.date(until))


def switch(record: OwnerRecord, action: str, t: Translator) -> str:
    """Pause, resume or stop reminders."""
    if action == "pause":
        record.prefs.paused = True
        return t.tr("settings.paused")
    if action == "stop":
        record.prefs.stopped = True
        return t.tr("settings.stopped")
    prefs = record.prefs
    prefs.paused = prefs.stopped = prefs.auto_paused = False
    prefs.holiday_until = None
    record.nudges.unanswered = 0
    record.nudges.sent.pop("paused", None)
    record.nudges.sent.pop("farewell", None)
    return t.tr("settings.resumed")


def _set_budget(record: OwnerRecord, rest: str, t: Translator) -> str:
    """`/settings budget 1 3`: at most 1 message a day and 3 a week (the weekly memo included)."""
    words = rest.replace("/", " ").split()
    if len(words) != 2 or not all(w.isdigit() for w in words):
        return t.tr("settings.budget_bad")
    per_day, per_week = int(words[0]), int(words[1])
    if not 1 <= per_day <= per_week <= MAX_PER_WEEK:
        return t.tr("settings.budget_bad")
    record.prefs.per_day, record.prefs.per_week = per_day, per_week
    return t.tr("settings.budget_set", day=t.number(per_day), week=t.number(per_week))


def _set_checkin(record: OwnerRecord, rest: str, t: Translator, translators: list[Translator]) -> str:
    words = rest.split()
    if len(words) != 2:
        return t.tr("settings.checkin_bad")
    names = [
        [
            name
            for tr in translators
            for width in ("wide", "abbreviated")
            for name in [get_day_names(width, locale=tr.locale)[day]]
        ]
        for day in range(7)
    ]
    day, clock = match_choice(words[0], names), parse_clock(words[1])
    if day is None or clock is None:
        return t.tr("settings.checkin_bad")
    record.prefs.checkin_day, record.prefs.checkin_time = day, f"{clock:%H:%M}"
    return t.tr(
        "settings.checkin_set", day=get_day_names("wide", locale=t.locale)[day], time=_clock(clock, t)
    )


def _parse_day(text: str, t: Translator) -> date | None:
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parse_date(text, locale=t.locale)
    except (ValueError, IndexError):
        return None


def _clock(value: object, t: Translator) -> str:
    return format_time(value, format="short", locale=t.locale)  # type: ignore[arg-type]
