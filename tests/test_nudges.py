"""Nudges come at the right moment in the owner's own time, once, and are never lost."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.events import Reply
from bot.nudges.runner import NudgeRunner
from bot.outbox import Limits, Outbox, RetryLater, TransientError, give_back, new_holder, reply_entry_id
from bot.store.base import OutboxEntry
from bot.store.tinydb import TinyDBStore
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import LOCAL_BAKERY, walk
from tests.fakes.sender import FakeSender

PARIS = ZoneInfo("Europe/Paris")
# Monday 23 November 2026, 11:00 in Paris: the bakery finishes its plan.
FINISHED = datetime(2026, 11, 23, 11, 0, tzinfo=PARIS)


def finish_plan(
    app: App,
    clock: FixedClock,
    owner: str = "test:ana",
    at: datetime = FINISHED,
    settings: tuple[str, ...] = (),
) -> OwnerChat:
    clock.set(at.astimezone(UTC))
    chat = OwnerChat(app.engine, clock, owner, language="fr")
    chat.say("/start")
    walk(chat, LOCAL_BAKERY)
    for line in settings:
        chat.say("/settings " + line)
    return chat


def kinds(claimed) -> list[str]:
    """Every kind the claimed messages carry (a memo may carry a reminder too)."""
    return sorted(kind for c in claimed for kind in c.kinds)


def local(year: int, month: int, day: int, hour: int, minute: int = 0, zone: ZoneInfo = PARIS) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


# --- each rule firing and not firing --------------------------------------------------------


def test_cadence_lapse_fires_after_the_planned_interval_plus_a_day(app: App, clock: FixedClock) -> None:
    finish_plan(app, clock)
    runner = NudgeRunner(app.engine)
    # 3 posts a week: one every 2 days 8 hours, plus a day of grace, from 11:05 Monday.
    assert kinds(runner.sweep(local(2026, 11, 26, 19, 0))) == []
    assert kinds(runner.sweep(local(2026, 11, 26, 19, 30))) == ["cadence"]
    assert kinds(runner.sweep(local(2026, 11, 26, 19, 45))) == [], "once per lapse"


def test_a_logged_post_resets_the_cadence(app: App, clock: FixedClock) -> None:
    chat = finish_plan(app, clock)
    clock.set(local(2026, 11, 25, 12).astimezone(UTC))
    chat.say("/posted facebook")
    runner = NudgeRunner(app.engine)
    assert kinds(runner.sweep(local(2026, 11, 26, 19, 30))) == []
    # Due at 20:00 on the 28th, inside quiet hours: sent when they end.
    assert kinds(runner.sweep(local(2026, 11, 28, 23, 30))) == []
    assert kinds(runner.sweep(local(2026, 11, 29, 8, 0))) == ["cadence"]


def test_pending_replies_fire_after_the_reply_time_target(app: App, clock: FixedClock) -> None:
    chat = finish_plan(app, clock)
    clock.set(local(2026, 11, 24, 9).astimezone(UTC))
    chat.say("/pending 2")
    runner = NudgeRunner(app.engine)
    # "same day" is an 8-hour target.
    assert kinds(runner.sweep(local(2026, 11, 24, 16, 59))) == []
    claimed = runner.sweep(local(2026, 11, 24, 17, 1))
    assert kinds(claimed) == ["replies"]
    assert "2" in claimed[0].replies[0].text


def test_no_reply_nudge_once_replies_are_done(app: App, clock: FixedClock) -> None:
    chat = finish_plan(app, clock)
    clock.set(local(2026, 11, 24, 9).astimezone(UTC))
    chat.say("/pending 2")
    chat.say("/replied")
    assert kinds(NudgeRunner(app.engine).sweep(local(2026, 11, 24, 18))) == []


def test_the_weekly_memo_comes_monday_at_nine_as_one_message_with_its_check_ins(
    app: App, clock: FixedClock
) -> None:
    chat = finish_plan(app, clock)
    clock.set(local(2026, 11, 29, 12).astimezone(UTC))
    chat.say("/posted facebook")  # keeps the cadence nudge away
    runner = NudgeRunner(app.engine)
    assert kinds(runner.sweep(local(2026, 11, 30, 8, 59))) == []
    claimed = runner.sweep(local(2026, 11, 30, 9, 0))
    assert kinds(claimed) == ["weekly"]
    (memo,) = claimed[0].replies
    assert "Boulangerie Dupain" in memo.text
    assert "Source" in memo.text, "the tip of the week cites its article"
    spaced = memo.text.replace("\xa0", " ").replace("\u202f", " ")
    # One post on two networks, against three a week: the coach's estimates, said as such.
    assert "Temps de publication : environ 40 min, pour 2 h au plan (notre estimation : 40 min" in spaced
    choice_ids = {c.id for c in memo.choices}
    assert {"checkin:posted:yes", "checkin:waiting:none", "checkin:waiting:many", "posting:ask"} <= choice_ids


def test_a_week_without_a_post_does_not_count_its_posting_time(app: App, clock: FixedClock) -> None:
    from bot.nudges.compose import hours_line

    record = finish_plan(app, clock).record()
    t = app.engine.translators["fr"]
    assert hours_line(record, t, 0) == [], "the memo's count of posts says it; 'environ 0 min' would not"
    assert "environ 40 min" in hours_line(record, t, 1)[0].replace("\xa0", " ")


def test_one_tap_check_in_answers_are_recorded(app: App, clock: FixedClock) -> None:
    chat = finish_plan(app, clock)
    chat.tap("checkin:posted:yes", step="@checkin")
    chat.tap("checkin:waiting:few", step="@checkin")
    record = chat.record()
    assert len(record.posts) == 1
    assert record.waiting.count == 1


def test_progress_after_the_plan_shows_the_week_against_the_plan(app: App, clock: FixedClock) -> None:
    chat = finish_plan(app, clock)
    chat.say("/posted instagram promo")
    chat.say("/posted facebook")
    chat.say("/pending 3")
    chat.say("/progress")
    text = chat.last[0].text
    assert "2" in text and "3" in text  # 2 posts of 3 planned
    assert "50" in text  # half of them promotional
    assert "10" in text  # against the 10 % ceiling


# --- time zones, daylight saving, quiet hours -------------------------------------------------


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "America/Los_Angeles", "Europe/Paris"])
def test_the_weekly_check_in_is_at_nine_local_time_everywhere(app: App, clock: FixedClock, zone: str) -> None:
    tz = ZoneInfo(zone)
    chat = finish_plan(app, clock, at=local(2026, 11, 23, 11, zone=tz), settings=(f"timezone {zone}",))
    clock.set(local(2026, 11, 29, 12, zone=tz).astimezone(UTC))
    chat.say("/posted")
    runner = NudgeRunner(app.engine)
    assert kinds(runner.sweep(local(2026, 11, 30, 8, 59, zone=tz))) == []
    assert kinds(runner.sweep(local(2026, 11, 30, 9, 0, zone=tz))) == ["weekly"]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # Spring forward, 28 March 2027: 09:00 is 08:00 UTC before and 07:00 UTC after.
        (datetime(2027, 3, 22, 8, 0, tzinfo=UTC), datetime(2027, 3, 29, 7, 0, tzinfo=UTC)),
        # Fall back, 31 October 2027: 09:00 is 07:00 UTC before and 08:00 UTC after.
        (datetime(2027, 10, 25, 7, 0, tzinfo=UTC), datetime(2027, 11, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_the_weekly_check_in_stays_at_nine_across_daylight_saving(
    app: App, clock: FixedClock, before: datetime, after: datetime
) -> None:
    chat = finish_plan(app, clock, at=before - timedelta(days=6))
    runner = NudgeRunner(app.engine)
    for monday in (before, after):
        clock.set(monday - timedelta(hours=20))
        chat.say("/posted")
        assert kinds(runner.sweep(monday - timedelta(minutes=1))) == []
        assert kinds(runner.sweep(monday)) == ["weekly"]
        assert monday.astimezone(PARIS).hour == 9


def test_quiet_hours_across_midnight_defer_to_their_end(app: App, clock: FixedClock) -> None:
    chat = finish_plan(app, clock)
    clock.set(local(2026, 11, 24, 15).astimezone(UTC))
    chat.say("/pending 4")  # due at 23:00, inside 20:00–08:00
    runner = NudgeRunner(app.engine)
    assert kinds(runner.sweep(local(2026, 11, 24, 23, 30))) == []
    assert kinds(runner.sweep(local(2026, 11, 25, 3, 0))) == []
    record = app.store.get("test:ana")
    assert datetime.fromisoformat(record.next_check_at) == local(2026, 11, 25, 8, 0)
    assert kinds(runner.sweep(local(2026, 11, 25, 8, 0))) == ["replies"]


def test_quiet_hours_can_be_changed(app: App, clock: FixedClock) -> None:
    chat = finish_plan(app, clock, settings=("quiet 22:30-06:15",))
    clock.set(local(2026, 11, 24, 13).astimezone(UTC))
    chat.say("/pending 1")
    runner = NudgeRunner(app.engine)
    assert kinds(runner.sweep(local(2026, 11, 24, 21, 30))) == ["replies"]


# --- holiday, pause, stop, manners -------------------------------------------------------------


def test_no_nudge_on_holiday_and_one_when_it_ends(app: App, clock: FixedClock) -> None:
    finish_plan(app, clock, settings=("holiday 2026-12-20",))
    runner = NudgeRunner(app.engine)
    for day in range(24, 31):
        assert kinds(runner.sweep(local(2026, 11, day, 12))) == []
    for day in range(1, 21):
        assert kinds(runner.sweep(local(2026, 12, day, 12))) == []
    assert kinds(runner.sweep(local(2026, 12, 21, 9))) == ["cadence", "weekly"]


def test_pause_and_resume(app: App, clock: FixedClock) -> None:
    chat = finish_plan(app, clock, settings=("pause",))
    runner = NudgeRunner(app.engine)
    assert kinds(runner.sweep(local(2026, 12, 7, 12))) == []
    clock.set(local(2026, 12, 7, 12, 30).astimezone(UTC))
    chat.say("/settings resume")
    assert kinds(runner.sweep(local(2026, 12, 7, 13))) == ["cadence", "weekly"]


def test_stop_means_no_reminder_ever(app: App, clock: FixedClock) -> None:
    finish_plan(app, clock, settings=("stop",))
    runner = NudgeRunner(app.engine)
    assert all(kinds(runner.sweep(local(2026, 12, d, 12))) == [] for d in range(1, 32))


def test_after_three_unanswered_nudges_reminders_pause_kindly(app: App, clock: FixedClock) -> None:
    chat = finish_plan(app, clock)
    runner = NudgeRunner(app.engine)
    assert kinds(runner.sweep(local(2026, 11, 27, 12))) == ["cadence"]
    assert kinds(runner.sweep(local(2026, 11, 30, 9))) == ["weekly"]
    assert kinds(runner.sweep(local(2026, 12, 7, 9))) == ["weekly"]
    paused = runner.sweep(local(2026, 12, 14, 9))
    assert kinds(paused) == ["paused"]
    assert [c.id for c in paused[0].replies[0].choices] == ["settings:resume"]
    assert kinds(runner.sweep(local(2026, 12, 21, 9))) == []
    clock.set(local(2026, 12, 21, 10).astimezone(UTC))
    chat.tap("settings:resume", step="@settings")
    # The cadence lapse was already pointed out once; the weekly check-in carries on.
    assert kinds(runner.sweep(local(2026, 12, 28, 9))) == ["weekly"]


def test_a_reaction_resets_the_count(app: App, clock: FixedClock) -> None:
    chat = finish_plan(app, clock)
    runner = NudgeRunner(app.engine)
    for monday in (30,):
        runner.sweep(local(2026, 11, 27, 12))
        runner.sweep(local(2026, 11, monday, 9))
    clock.set(local(2026, 12, 1, 9).astimezone(UTC))
    chat.say("/progress")
    assert kinds(runner.sweep(local(2026, 12, 7, 9))) == ["weekly"]
    assert kinds(runner.sweep(local(2026, 12, 14, 9))) == ["weekly"]


# --- restarts, concurrency, backlog --------------------------------------------------------------


class Crash(Exception):
    pass


def _owners_with_plans(settings: Settings, clock: FixedClock, count: int) -> None:
    app = build_app(settings, clock=clock)
    for n in range(count):
        finish_plan(app, clock, owner=f"test:owner{n}")
    app.close()


def test_restart_in_the_middle_of_a_sweep_loses_nothing_and_doubles_nothing(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _owners_with_plans(settings, clock, 6)
    first = build_app(settings, clock=clock)
    puts = 0
    real_put = TinyDBStore.put

    def dying_put(self: TinyDBStore, record) -> None:
        nonlocal puts
        puts += 1
        if puts == 4:
            raise Crash
        real_put(self, record)

    monkeypatch.setattr(TinyDBStore, "put", dying_put)
    with pytest.raises(Crash):
        NudgeRunner(first.engine).sweep(local(2026, 11, 30, 9))
    monkeypatch.setattr(TinyDBStore, "put", real_put)
    first.close()

    second = build_app(settings, clock=clock)
    NudgeRunner(second.engine).sweep(local(2026, 11, 30, 9, 5))
    for n in range(6):
        record = second.store.get(f"test:owner{n}")
        assert [e.kind for e in record.outbox] == ["weekly"], n  # the memo carries the posting reminder
    second.close()


def test_two_runners_at_once_claim_each_nudge_once(settings: Settings, clock: FixedClock) -> None:
    _owners_with_plans(settings, clock, 8)
    app = build_app(settings, clock=clock)
    runners = [NudgeRunner(app.engine), NudgeRunner(app.engine)]
    results: list[list] = [[], []]
    start = threading.Barrier(2)

    def run(i: int) -> None:
        start.wait()
        results[i] = runners[i].sweep(local(2026, 11, 30, 9))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [(c.owner_id, kind) for result in results for c in result for kind in c.kinds]
    assert len(claimed) == len(set(claimed)) == 16
    assert sum(len(result) for result in results) == 8, "one message per owner"
    app.close()


def test_after_a_long_downtime_only_one_nudge_per_kind(app: App, clock: FixedClock) -> None:
    chat = finish_plan(app, clock)
    clock.set(local(2026, 11, 24, 10).astimezone(UTC))
    chat.say("/pending 3")
    claimed = NudgeRunner(app.engine).sweep(local(2027, 1, 11, 12))  # seven weeks later
    assert kinds(claimed) == ["cadence", "replies", "weekly"]
    assert claimed[-1].period == "2027-W02"


# --- delivery ------------------------------------------------------------------------------------


def _deliver(app: App, sender: FakeSender, limits: Limits) -> int:
    outbox = Outbox(app.store, {"test": sender}, {"test": limits})
    return asyncio.run(outbox.deliver_all(app.store.due_owners("9999")))


def test_a_429_and_5xx_are_retried_and_delivered_once(app: App, clock: FixedClock) -> None:
    finish_plan(app, clock)
    claimed = NudgeRunner(app.engine).sweep(local(2026, 11, 27, 12))
    sender = FakeSender()
    sender.failures.extend([RetryLater(0.05), TransientError("502"), TransientError("503")])
    sent = _deliver(app, sender, Limits(per_second=100, per_chat_per_second=100, max_backoff=0.01))
    assert sent == len(claimed[0].replies) == len(sender.sent)
    assert app.store.get("test:ana").outbox == []
    assert _deliver(app, sender, Limits(per_second=100, per_chat_per_second=100)) == 0


def test_when_retries_run_out_the_message_waits_for_the_next_round(app: App, clock: FixedClock) -> None:
    finish_plan(app, clock)
    NudgeRunner(app.engine).sweep(local(2026, 11, 27, 12))
    sender = FakeSender()
    sender.failures.extend([TransientError("500")] * 3)
    limits = Limits(per_second=100, per_chat_per_second=100, attempts=2, max_backoff=0.01)
    assert _deliver(app, sender, limits) == 0
    assert len(app.store.get("test:ana").outbox) == 1
    assert _deliver(app, sender, limits) == 1  # a third failure, then through
    assert app.store.get("test:ana").outbox == []
    assert len(sender.sent) == 1


def test_replies_a_killed_process_was_sending_go_out_on_the_next_round(app: App, clock: FixedClock) -> None:
    """The engine keeps the replies with the answer; their lease dies with the process holding it."""
    from bot.events import InboundEvent

    clock.set(FINISHED.astimezone(UTC))
    live, dead = new_holder(app.store), "a-process-that-was-killed/1"
    first = InboundEvent.from_text("test:ana", "test", clock.now(), "/start", event_id="u1", language="fr")
    replies = app.engine.handle(first, keep_for=dead)
    second = InboundEvent.from_text("test:ana", "test", clock.now(), "/help", event_id="u2")
    replies += app.engine.handle(second, keep_for=live)  # this process is sending these right now
    sender = FakeSender()
    limits = Limits(per_second=100, per_chat_per_second=100)
    assert _deliver(app, sender, limits) == 0, "another deliverer of a running process holds some"
    give_back(app.store, "test:ana", reply_entry_id(second))  # it could not send them after all
    assert _deliver(app, sender, limits) == len(replies)
    assert [text for _, text in sender.sent] == [r.text for r in replies], "each once, in order"
    assert app.store.get("test:ana").outbox == []
    assert app.engine.handle(first, keep_for=live) == [], "the redelivered event is not handled again"


def test_an_owner_who_blocked_the_bot_is_not_nudged_again(app: App, clock: FixedClock) -> None:
    finish_plan(app, clock)
    runner = NudgeRunner(app.engine)
    runner.sweep(local(2026, 11, 27, 12))
    sender = FakeSender()
    sender.unreachable.add("test:ana")
    _deliver(app, sender, Limits())
    assert sender.calls == 1, "the first refusal says it: no retry"
    record = app.store.get("test:ana")
    assert record.active is False and record.outbox == [], "what waited for them is dropped"
    assert kinds(runner.sweep(local(2026, 12, 7, 9))) == []
    # A message claimed for them meanwhile (by a process that had not heard) is dropped unsent.
    record.outbox = [OutboxEntry("late", "weekly", replies=[Reply("Rappel")])]
    app.store.put(record)
    _deliver(app, sender, Limits())
    assert sender.calls == 1 and app.store.get("test:ana").outbox == []


# --- the command line ----------------------------------------------------------------------------


def test_dry_run_at_a_given_time_lists_what_would_go_to_whom(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    settings = Settings(data_dir=tmp_path / "data")
    _owners_with_plans(settings, clock, 2)
    monkeypatch.setenv("COACH_DATA_DIR", str(settings.data_dir))
    assert main(["nudges", "--once", "--dry-run", "--at", "2026-12-07T09:00:00+01:00"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2, "one message per owner: the memo carries the posting reminder"
    assert all(line.startswith("2026-12-07T09:00:00+01:00  test:owner") for line in lines)
    assert {line.split()[2] for line in lines} == {"weekly"}
    assert main(["nudges", "--once", "--dry-run", "--at", "2026-12-07T09:00:00+01:00"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2, "a dry run changes nothing"
