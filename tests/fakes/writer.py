"""A writer process for the crash test: answers owners' questions non-stop, printing each ack.

`python -m tests.fakes.writer DATA_DIR` walks owners crash:0, crash:1, … through the journey on
the TinyDB store, and prints `{"owner", "step", "value"}` as JSON once `handle` has returned,
that is, once the answer is acknowledged. The test kills it with SIGKILL at random moments.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.app import build_app
from bot.config import Settings
from bot.events import InboundEvent
from bot.flows import DONE
from tests.fakes.journeys import LOCAL_BAKERY


def main(data_dir: str) -> None:
    app = build_app(Settings(data_dir=Path(data_dir)))
    engine = app.engine
    owner_no = 0
    while True:
        owner = f"crash:{owner_no}"
        record = engine.store.get(owner)
        now = datetime.now(UTC)
        if record is None or not record.state:
            engine.handle(InboundEvent.from_text(owner, "test", now, "/start", language="fr"))
            continue
        if record.state == DONE:
            owner_no += 1
            continue
        value = LOCAL_BAKERY[record.state]
        step = engine.flows.steps[record.state]
        if step.choices:
            event = InboundEvent(
                owner, "test", now, choices=tuple(value if isinstance(value, list) else [value])
            )
        else:
            event = InboundEvent(owner, "test", now, text=str(value))
        engine.handle(event)
        print(json.dumps({"owner": owner, "step": record.state, "value": value}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
