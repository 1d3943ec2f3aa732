"""The PostgreSQL store: messages per second with 1 and 4 processes, and a nudge sweep.

    .venv/bin/python benchmarks/postgres.py messages --processes 1 4 --messages 2000
    .venv/bin/python benchmarks/postgres.py sweep --owners 100000

Starts its own PostgreSQL server (Debian's, default durability: fsync and synchronous commit
on) on a private port. `messages`: each process is a coach process handling its own owners'
answers through the real engine (one thread each, like one worker); the figure is all
processes' messages over the wall time. `sweep`: owners with finished plans, 1 % of them due,
then one `NudgeRunner.sweep` claiming the due nudges (query, lock, read, claim, write each).
"""

from __future__ import annotations

import argparse
import copy
import multiprocessing
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.events import InboundEvent
from bot.nudges.runner import NudgeRunner
from bot.store.memory import MemoryStore
from bot.store.postgres import PostgresStore, migrate
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import LOCAL_BAKERY, walk
from tests.fakes.postgres_server import PostgresServer

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def worker(url: str, process: int, owners: int, messages: int, ready: object, go: object) -> None:
    app = build_app(Settings(database_url=url), clock=FixedClock(START))
    ids = [f"bench:{process}:{n}" for n in range(owners)]
    for owner in ids:  # to the business-name question
        for text in ("/start", "1"):
            app.engine.handle(InboundEvent.from_text(owner, "bench", START, text))
    ready.set()  # type: ignore[attr-defined]
    go.wait()  # type: ignore[attr-defined]
    for n in range(messages):
        text = "Boulangerie" if n // owners % 2 == 0 else "/back"
        app.engine.handle(InboundEvent.from_text(ids[n % owners], "bench", START, text))
    app.close()


def messages(server: PostgresServer, processes: int, total: int) -> float:
    url = server.new_database()
    migrate(url)
    context = multiprocessing.get_context("spawn")
    readies = [context.Event() for _ in range(processes)]
    go = context.Event()
    per = total // processes
    workers = [
        context.Process(target=worker, args=(url, p, 50, per, readies[p], go)) for p in range(processes)
    ]
    for w in workers:
        w.start()
    for ready in readies:
        ready.wait()
    started = time.perf_counter()
    go.set()
    for w in workers:
        w.join()
    return per * processes / (time.perf_counter() - started)


def template() -> object:
    clock = FixedClock(START)
    app = build_app(Settings(), store=MemoryStore(), clock=clock)
    chat = OwnerChat(app.engine, clock, "bench:0", language="fr")
    chat.say("/start")
    walk(chat, LOCAL_BAKERY)
    return chat.record()


def sweep(server: PostgresServer, owners: int) -> tuple[float, float, int]:
    url = server.new_database()
    migrate(url)
    store = PostgresStore(url)
    base = template()
    now = START + timedelta(days=7, hours=2)  # Monday late morning: the weekly reminder is due
    started = time.perf_counter()
    with store.pool.connection() as conn, conn.cursor() as cursor:
        from psycopg.types.json import Jsonb

        rows = []
        for n in range(owners):
            record = copy.deepcopy(base)
            record.owner_id = f"telegram:{n}"  # type: ignore[attr-defined]
            due = now - timedelta(hours=1) if n % 100 == 0 else now + timedelta(days=2)
            record.next_check_at = due.isoformat()  # type: ignore[attr-defined]
            rows.append((record.owner_id, Jsonb(record.to_doc()), record.next_check_at))  # type: ignore[attr-defined]
        cursor.executemany("INSERT INTO owners (owner_id, doc, next_check_at) VALUES (%s, %s, %s)", rows)
        conn.execute("ANALYZE owners")
    loaded = time.perf_counter() - started
    store.close()
    app = build_app(Settings(database_url=url), clock=FixedClock(now))
    runner = NudgeRunner(app.engine)
    started = time.perf_counter()
    claimed = runner.sweep(now)
    elapsed = time.perf_counter() - started
    app.close()
    return loaded, elapsed, len(claimed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    m = sub.add_parser("messages")
    m.add_argument("--processes", type=int, nargs="+", default=[1, 4])
    m.add_argument("--messages", type=int, default=2000)
    s = sub.add_parser("sweep")
    s.add_argument("--owners", type=int, nargs="+", default=[100_000])
    args = parser.parse_args()
    server = PostgresServer(durable=True)
    server.start()
    try:
        if args.what == "messages":
            print("| processes | messages/s |")
            print("|---|---|")
            for n in args.processes:
                print(f"| {n} | {messages(server, n, args.messages):,.0f} |", flush=True)
        else:
            print("| owners | load | due | sweep (claim all due) |")
            print("|---|---|---|---|")
            for n in args.owners:
                loaded, elapsed, claimed = sweep(server, n)
                print(f"| {n:,} | {loaded:.1f} s | {claimed:,} nudges | {elapsed:.2f} s |", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
