"""Nudge sweeps over many owners, and a weekly push through a channel with a rate cap.

    .venv/bin/python benchmarks/nudges.py sweep --owners 10000 100000
    .venv/bin/python benchmarks/nudges.py push --owners 10000 --cap 30

`sweep`: owners with finished plans are put on file (TinyDB store, fsync off while populating),
1 % of them due (their weekly check-in). Reports the time to open the store and build its due
index (once per process), the time of one sweep that claims the due nudges, and the peak
memory of the process.

`push`: every owner has a weekly memo claimed (one message each: the week's chart with the week
against the plan, the streak, the next step, a tip, the check-ins as buttons), as `coach` does
it: the sweep claims them and starts drawing the charts in worker processes, and the outbox
delivers the memos meanwhile through a fake channel that reads each chart as a real one does
(waiting for it if it is not drawn yet) and refuses anything over `cap` messages in any
one-second window (Telegram's is 30), at most 1 message per second per chat. Reports the time
from the sweep to the last memo, the achieved rate against the cap, when the last chart was
drawn, messages over the cap, lost, duplicated, and memos without their chart.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
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
from bot.events import Reply
from bot.nudges.runner import NudgeRunner
from bot.outbox import Limits, Outbox
from bot.pictures.studio import Pictures, picture, ready
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


class PictureSender(FakeSender):
    """The fake channel, reading each message's picture as the real ones do (drawn ahead, or awaited)."""

    def __init__(self, pictures: Pictures, cap: int) -> None:
        super().__init__(cap_per_second=cap)
        self.pictures = pictures
        self.photos: set[str] = set()

    async def ready(self, owner_id: str, reply: Reply) -> None:
        await ready(self.pictures, owner_id, reply)

    async def send(self, owner_id: str, reply: Reply) -> None:
        data = await picture(self.pictures, owner_id, reply)
        await super().send(owner_id, reply)
        if data is not None and data.startswith(b"\x89PNG"):
            self.photos.add(owner_id)


def push(owners: int, cap: int) -> None:
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        folder = Path(tmp) / "data"
        populate(folder, owners, 1.0)
        app = build_app(Settings(data_dir=folder, fsync=False), clock=FixedClock(MONDAY))
        for record_id in list(app.store.owner_ids()):
            record = app.store.get(record_id)
            record.channel = "fake"
            app.store.put(record)
        sender = PictureSender(app.engine.pictures, cap)
        # 3 % under the platform's cap: requests reach it with jitter, as they would over a network.
        limits = Limits(per_second=cap * 0.97, per_chat_per_second=1.0)
        outbox = Outbox(app.store, {"fake": sender}, {"fake": limits})
        load = os.getloadavg()[0]
        started = time.perf_counter()
        claimed = NudgeRunner(app.engine).sweep(MONDAY, background=True)  # as `sweep_and_deliver`
        swept = time.perf_counter() - started
        expected = sum(len(c.replies) for c in claimed)
        pictured = {c.owner_id for c in claimed if any(r.attachment is not None for r in c.replies)}

        async def deliver() -> tuple[int, float]:
            drawn_at = 0.0

            async def watch() -> None:  # when the last chart drawn ahead is kept
                nonlocal drawn_at
                while any(app.engine.pictures.pending(o, claimed[0].replies[0].attachment) for o in pictured):
                    await asyncio.sleep(0.5)
                drawn_at = time.perf_counter() - started

            watching = asyncio.ensure_future(watch())
            sent = await outbox.deliver_all(app.store.due_owners(MONDAY.isoformat()), concurrency=cap * 2)
            await watching
            return sent, drawn_at

        sent, drawn = asyncio.run(deliver())
        elapsed = time.perf_counter() - started
        counts = Counter(sender.sent)
        duplicated = sum(n - 1 for n in counts.values() if n > 1)
        left = sum(len(app.store.get(o).outbox) for o in app.store.owner_ids())
        app.close()
    rate = sent / elapsed
    print(
        f"{owners} owners, {expected} messages ({len(pictured)} with their chart), cap {cap}/s: "
        f"{rate:.1f} msg/s ({100 * rate / cap:.1f} % of the cap) in {elapsed:.1f} s ({elapsed / 60:.1f} min) "
        f"from the sweep (claimed in {swept:.1f} s) to the last memo; last chart drawn at {drawn:.0f} s; "
        f"over the cap {sender.over_cap}, lost {expected - len(sender.sent)}, duplicated {duplicated}, "
        f"left in outboxes {left}, sent without their chart {len(pictured - sender.photos)}. "
        f"Load average at the start {load:.1f} on {os.cpu_count()} cores."
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
