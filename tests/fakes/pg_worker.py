"""A coach process for the many-processes test: handles owners' messages or runs the nudges.

    python -m tests.fakes.pg_worker handle <database url> <process number> <owners> <start>
    python -m tests.fakes.pg_worker nudges <database url> <process number> <deliveries file> <start>

`handle` logs posts for every owner on days 1, 3 and 5 of the week (4 threads; on day 1 each
message is delivered twice, as a platform's retry would). `nudges` sweeps hour by hour across
the week from `start`, delivering through a sender that appends each delivered message
(owner, entry, index) to the deliveries file. Both work on the same database as their twins.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.events import InboundEvent, Reply
from bot.nudges.loop import sweep_and_deliver
from bot.nudges.runner import NudgeRunner
from bot.outbox import Limits, Outbox

DAYS = (1, 3, 5)


def handle(app: App, process: int, owners: int, start: datetime) -> None:
    def one_owner(n: int) -> None:
        owner = f"telegram:{n}"
        for day in DAYS:
            at = start + timedelta(days=day, hours=10, minutes=process)
            event = InboundEvent.from_text(
                owner, "telegram", at, "/posted", event_id=f"p{process}-d{day}-{n}"
            )
            app.engine.handle(event)
            if day == DAYS[0]:
                app.engine.handle(event)  # delivered twice: handled once

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one_owner, range(owners)))


class Recorder:
    """A channel that accepts everything at once."""

    def scope(self, owner_id: str) -> str:
        """One budget for all."""
        return "bot"

    async def send(self, owner_id: str, reply: Reply) -> None:
        """Nothing to do: the delivery is written down when the outbox marks it."""


class RecordingOutbox(Outbox):
    """The real outbox, writing down each message as it is marked delivered."""

    def __init__(self, app: App, out: Path) -> None:
        super().__init__(app.store, {"telegram": Recorder()}, {"telegram": Limits(1e6, 1e6)})
        self.out = out.open("a", encoding="utf-8")

    def _mark_delivered(self, owner_id: str, entry_id: str, delivered: int) -> None:
        super()._mark_delivered(owner_id, entry_id, delivered)
        self.out.write(json.dumps([owner_id, entry_id, delivered]) + "\n")
        self.out.flush()


def nudges(app: App, out: Path, start: datetime) -> None:
    runner = NudgeRunner(app.engine)
    outbox = RecordingOutbox(app, out)

    async def week() -> None:
        for hour in range(7 * 24 + 1):
            await sweep_and_deliver(app, runner, outbox, start + timedelta(hours=hour))

    asyncio.run(week())


def main(argv: list[str]) -> int:
    role, url, process, arg, start_text = argv
    start = datetime.fromisoformat(start_text)
    pictures = Path(os.environ.get("COACH_DATA_DIR", "data"))  # the charts drawn for the check-ins
    app = build_app(Settings(database_url=url, data_dir=pictures), clock=FixedClock(start))
    try:
        if role == "handle":
            handle(app, int(process), int(arg), start)
        else:
            nudges(app, Path(arg), start)
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
