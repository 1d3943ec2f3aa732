"""Nudge sweeps over many owners, and a weekly push through a channel with a rate cap.

    .venv/bin/python benchmarks/nudges.py sweep --owners 10000 100000
    .venv/bin/python benchmarks/nudges.py push --owners 10000 --cap 30

`sweep`: owners with finished plans are put on file (TinyDB store, fsync off while populating),
1 % of them due (their weekly check-in). Reports the time to open the store and build its due
index (once per process), the time of one sweep that claims the due nudges, and the peak
memory of the process.

`push`: every owner has a weekly memo claimed (one message each: the week against the plan, the
streak, the next step, a tip, the check-ins as buttons); the outbox delivers them through a fake
channel that refuses anything over `cap` messages in any one-second window (Telegram's is 30),
at most 1 message per second per chat. Reports the achieved rate against the cap, the time,
messages over the cap, lost and duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.nudges.runner import NudgeRunner
from bot.outbox import Limits, Outbox
from bot.store.base import Post, ReminderState
from bot.store.memory import MemoryStore
from bot.store.tinydb import TinyDBStore
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import LOCAL_BAKERY, walk
from tests.fakes.sender import FakeSender

FINISHED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Paris: weekly check-ins are due


def template():
    """One owner's record with a finished plan, to clone."""
    clock = FixedClock(FINISHED)
    app = build_app(Settings(data_dir=Path("unused")), store=MemoryStore(), clock=clock)
    chat = OwnerChat(app.engine, clock, "bench:template", language="fr")
    chat.say("/start")
    walk(chat, LOCAL_BAKERY)
    return chat.record()


def populate(folder: Path, owners: int, due_share: float) -> None:
    store = TinyDBStore(folder, fsync=False)
    base = template()
    due_every = round(1 / due_share) if due_share else 0
    later = (MONDAY + timedelta(days=30)).isoformat()
    recent_post = Post((MONDAY - timedelta(hours=1)).isoformat())
    for n in range(owners):
        record = copy.deepcopy(base)
        record.owner_id = f"bench:{n}"
        record.posts = [recent_post]  # only the weekly check-in is due, not the cadence nudge
        if due_every and n % due_every == 0:
            record.next_check_at = MONDAY.isoformat()
        else:
            record.next_check_at = later
            record.nudges = ReminderState(sent={"weekly": "2026-W49", "cadence": "x"})
        store.put(record)
    store.close()


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sweep(owners: int) -> None:
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        folder = Path(tmp) / "data"
        started = time.perf_counter()
        populate(folder, owners, 0.01)
        filled = time.perf_counter() - started
        started = time.perf_counter()
        app = build_app(Settings(data_dir=folder), clock=FixedClock(MONDAY))
        app.store.due_owners(MONDAY.isoformat())
        opened = time.perf_counter() - started
        runner = NudgeRunner(app.engine)
        started = time.perf_counter()
        claimed = runner.sweep(MONDAY)
        swept = time.perf_counter() - started
        started = time.perf_counter()
        again = runner.sweep(MONDAY + timedelta(minutes=1))
        idle = time.perf_counter() - started
        app.close()
    print(
        f"{owners:>7} owners (populated in {filled:.1f} s): open + index {opened:.2f} s, "
        f"sweep claiming {len(claimed)} nudges {swept:.3f} s, next sweep ({len(again)} due) "
        f"{idle * 1000:.1f} ms, peak RSS {peak_mib():.0f} MiB"
    )


def push(owners: int, cap: int) -> None:
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        folder = Path(tmp) / "data"
        populate(folder, owners, 1.0)
        app = build_app(Settings(data_dir=folder, fsync=False), clock=FixedClock(MONDAY))
        for record_id in list(app.store.owner_ids()):
            record = app.store.get(record_id)
            record.channel = "fake"
            app.store.put(record)
        claimed = NudgeRunner(app.engine).sweep(MONDAY)
        expected = sum(len(c.replies) for c in claimed)
        sender = FakeSender(cap_per_second=cap)
        # 3 % under the platform's cap: requests reach it with jitter, as they would over a network.
        limits = Limits(per_second=cap * 0.97, per_chat_per_second=1.0)
        outbox = Outbox(app.store, {"fake": sender}, {"fake": limits})
        started = time.perf_counter()
        sent = asyncio.run(outbox.deliver_all(app.store.due_owners(MONDAY.isoformat()), concurrency=cap * 2))
        elapsed = time.perf_counter() - started
        counts = Counter(sender.sent)
        duplicated = sum(n - 1 for n in counts.values() if n > 1)
        left = sum(len(app.store.get(o).outbox) for o in app.store.owner_ids())
        app.close()
    rate = sent / elapsed
    print(
        f"{owners} owners, {expected} messages, cap {cap}/s: {rate:.1f} msg/s "
        f"({100 * rate / cap:.1f} % of the cap) in {elapsed:.1f} s ({elapsed / 60:.1f} min); "
        f"over the cap {sender.over_cap}, "
        f"lost {expected - len(sender.sent)}, duplicated {duplicated}, left in outboxes {left}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["sweep", "push"])
    parser.add_argument("--owners", type=int, nargs="+", default=[10_000])
    parser.add_argument("--cap", type=int, default=1000)
    args = parser.parse_args()
    for owners in args.owners:
        sweep(owners) if args.what == "sweep" else push(owners, args.cap)


if __name__ == "__main__":
    main()
