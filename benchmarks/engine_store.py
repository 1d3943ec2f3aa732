"""Messages per second through the engine and the TinyDB store, with 100 and 10,000 owners on file.

    .venv/bin/python benchmarks/engine_store.py [--owners 100 10000] [--messages 5000]

Each message is one answer from one owner picked at random among those on file, handled by the
real engine with the real flows and catalogs, and written to the store before `handle` returns:
the same work as a chat message. Reports messages per second with fsync on (the default) and
off, and the cost of fsync per write. Runs on one core (one thread).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.app import build_app
from bot.config import Settings
from bot.events import InboundEvent
from bot.store.tinydb import TinyDBStore

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def populate(store: TinyDBStore, owners: int) -> None:
    """Put `owners` records on file, each at the business-name question (the channel says French)."""
    app = build_app(Settings(data_dir=store.folder), store=store)
    for n in range(owners):
        app.engine.handle(InboundEvent.from_text(f"bench:{n}", "bench", NOW, "/start", language="fr"))


def run(owners: int, messages: int, fsync: bool, seed: int = 1) -> float:
    """Return messages per second for `messages` answers among `owners` owners."""
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
        data = Path(folder) / "data"
        store = TinyDBStore(data, fsync=False)
        populate(store, owners)
        store.close()
        store = TinyDBStore(data, fsync=fsync)
        app = build_app(Settings(data_dir=data, fsync=fsync), store=store)
        rng = random.Random(seed)
        # Each owner answers the business-name question (any text is accepted), then /back
        # returns them to it: a steady loop in which every message is handled and written.
        at_name = dict.fromkeys(range(owners), True)
        started = time.perf_counter()
        for _ in range(messages):
            n = rng.randrange(owners)
            text = "Boulangerie Dupain" if at_name[n] else "/back"
            at_name[n] = not at_name[n]
            app.engine.handle(InboundEvent.from_text(f"bench:{n}", "bench", NOW, text))
        elapsed = time.perf_counter() - started
        app.close()
        return messages / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'owners':>8} {'fsync':>6} {'msg/s (median of ' + str(args.repeat) + ')':>24}")
    results: dict[tuple[int, bool], float] = {}
    for owners in args.owners:
        for fsync in (True, False):
            rate = statistics.median(run(owners, args.messages, fsync, seed) for seed in range(args.repeat))
            results[owners, fsync] = rate
            print(f"{owners:>8} {('on' if fsync else 'off'):>6} {rate:>24,.0f}")
    for owners in args.owners:
        on, off = results[owners, True], results[owners, False]
        print(f"fsync cost per write with {owners} owners: {1000 / on - 1000 / off:.3f} ms")
    if len(args.owners) > 1:
        small, large = results[args.owners[0], True], results[args.owners[-1], True]
        print(f"{args.owners[0]} vs {args.owners[-1]} owners (fsync on): {small / large:.2f}x")


if __name__ == "__main__":
    main()
