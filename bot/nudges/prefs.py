"""An owner's reminder settings, with defaults, and the local-time arithmetic they need.

Local times are built with `zoneinfo`, so a weekly check-in at 09:00 stays at 09:00 local across
daylight-saving changes, and quiet hours may span midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.nudges.places import default_timezone
from bot.store.base import Settings


def parse_clock(text: str) -> time | None:
    """Read `9:00`, `09h30`, `21h` or `21` as a time of day."""
    cleaned = text.strip().lower().replace("h", ":").rstrip(":")
    hours, _, minutes = cleaned.partition(":")
    if not hours.isdigit() or (minutes and not minutes.isdigit()):
        return None
    h, m = int(hours), int(minutes or 0)
    return time(h, m) if 0 <= h < 24 and 0 <= m < 60 else None


@dataclass(frozen=True)
class Prefs:
    """The reminder settings of one owner, defaults filled in."""

    zone: ZoneInfo
    checkin_day: int
    checkin_time: time
    quiet_start: time
    quiet_end: time
    paused: bool
    auto_paused: bool
    holiday_until: date | None
    stopped: bool
    per_day: int = 1
    per_week: int = 3
    post_days: tuple[int, ...] = ()
    post_time: time | None = None

    @classmethod
    def of(cls, stored: Settings, language: str) -> Prefs:
        """Read stored settings, a bad value falling back to its default (zone from the language)."""
        zone_name = stored.timezone or default_timezone(language)
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo(default_timezone(language))
        holiday = stored.holiday_until
        return cls(
            zone=zone,
            checkin_day=int(stored.checkin_day) % 7,
            checkin_time=parse_clock(stored.checkin_time) or time(9),
            quiet_start=parse_clock(stored.quiet_start) or time(20),
            quiet_end=parse_clock(stored.quiet_end) or time(8),
            paused=bool(stored.paused),
            auto_paused=bool(stored.auto_paused),
            holiday_until=date.fromisoformat(holiday) if holiday else None,
            stopped=bool(stored.stopped),
            per_day=max(1, int(stored.per_day)),
            per_week=max(1, int(stored.per_week)),
            post_days=tuple(sorted({int(d) % 7 for d in stored.post_days})),
            post_time=parse_clock(stored.post_time) if stored.post_time else None,
        )

    @property
    def reminders_on(self) -> bool:
        """Whether reminders may be sent at all (not stopped, not paused)."""
        return not (self.stopped or self.paused or self.auto_paused)

    def local(self, moment: datetime) -> datetime:
        """`moment` on the owner's wall clock."""
        return moment.astimezone(self.zone)

    def at_local(self, day: date, clock: time) -> datetime:
        """The UTC instant of `clock` on `day`, owner's time (a time skipped by DST moves on)."""
        wall = datetime.combine(day, clock, tzinfo=self.zone)
        # A wall time inside a spring-forward gap does not exist: round-trip it to a real one.
        return wall.astimezone(UTC).astimezone(self.zone).astimezone(UTC)

    def in_quiet_hours(self, moment: datetime) -> bool:
        """Whether `moment` falls in the owner's quiet hours (which may span midnight)."""
        now = self.local(moment).time()
        start, end = self.quiet_start, self.quiet_end
        if start == end:
            return False
        return start <= now < end if start < end else now >= start or now < end

    def quiet_end_after(self, moment: datetime) -> datetime:
        """The first end of quiet hours after `moment`, in UTC."""
        day = self.local(moment).date()
        for offset in range(3):
            candidate = self.at_local(day + timedelta(days=offset), self.quiet_end)
            if candidate > moment:
                return candidate
        raise AssertionError("unreachable: quiet hours end every day")

    def holiday_end(self) -> datetime | None:
        """The UTC instant the holiday ends (midnight after its last day, owner's time)."""
        if self.holiday_until is None:
            return None
        return self.at_local(self.holiday_until + timedelta(days=1), time(0))

    def latest_checkin(self, moment: datetime) -> datetime:
        """The most recent weekly check-in time at or before `moment`, in UTC."""
        today = self.local(moment).date()
        back = (today.weekday() - self.checkin_day) % 7
        candidate = self.at_local(today - timedelta(days=back), self.checkin_time)
        if candidate > moment:
            candidate = self.at_local(today - timedelta(days=back + 7), self.checkin_time)
        return candidate

    def latest_post_slot(self, moment: datetime) -> datetime | None:
        """The latest moment at or before `moment` the owner said they would post (None: not said)."""
        if not self.post_days or self.post_time is None:
            return None
        today = self.local(moment).date()
        for back in range(8):
            day = today - timedelta(days=back)
            if day.weekday() in self.post_days:
                slot = self.at_local(day, self.post_time)
                if slot <= moment:
                    return slot
        return None

    def week_key(self, moment: datetime) -> str:
        """The owner's local ISO week of `moment`, e.g. `2026-W49`."""
        year, week, _ = self.local(moment).isocalendar()
        return f"{year}-W{week:02d}"
