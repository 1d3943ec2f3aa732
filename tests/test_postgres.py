"""Several coach processes share one PostgreSQL database: migrations, locks, nudges sent once."""

from __future__ import annotations

import collections
import copy
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from bot.app import build_app
from bot.clock import FixedClock
from bot.config import ROOT, Settings
from bot.events import InboundEvent
from bot.store.base import OwnerRecord
from bot.store.memory import MemoryStore
from bot.store.postgres import LATEST, PostgresStore
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import LOCAL_BAKERY, walk
from tests.fakes.postgres_server import PostgresServer
from tests.fakes.processes import run_coach

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _coach(args: list[str], url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run_coach(args, {"COACH_DATABASE_URL": url, "COACH_DATA_DIR": str(tmp_path / "unused")})


def test_coach_migrate_creates_the_schema_then_finds_it_up_to_date(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.new_database()
    first = _coach(["migrate"], url, tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"schema at version {LATEST} (was 0)" in first.stdout
    again = _coach(["migrate"], url, tmp_path)
    assert again.returncode == 0 and "already up to date" in again.stdout


def test_the_coach_refuses_a_database_whose_schema_is_behind_and_says_what_to_run(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.new_database()
    refused = _coach(["stats"], url, tmp_path)
    assert refused.returncode == 2
    assert "coach migrate" in refused.stderr and "Traceback" not in refused.stderr
    assert url not in refused.stderr, "the database URL (it may hold a password) is not shown"


def test_the_nudge_sweep_reads_the_due_index_not_every_owner(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    try:
        with store.pool.connection() as conn:
            conn.execute(
                "INSERT INTO owners (owner_id, doc, next_check_at) SELECT 'o' || n, '{}'::jsonb, "
                "now() + (CASE WHEN n % 100 = 0 THEN -1 ELSE 1 END) * interval '1 day' "
                "FROM generate_series(1, 20000) AS n"
            )
            conn.execute("ANALYZE owners")
            plan = conn.execute(
                "EXPLAIN SELECT owner_id FROM owners WHERE next_check_at <= now() "
                "UNION SELECT owner_id FROM owners WHERE has_outbox"
            ).fetchall()
        text = "\n".join(row[0] for row in plan)
        assert "owners_due" in text and "owners_outbox" in text, text
        assert len(store.due_owners(datetime.now(UTC).isoformat())) == 200
    finally:
        store.close()


def test_one_owner_s_events_from_many_threads_are_handled_one_at_a_time(
    postgres_url: str, tmp_path: Path
) -> None:
    clock = FixedClock(START)
    app = build_app(Settings(data_dir=tmp_path, database_url=postgres_url), clock=clock)
    try:
        done = _planned_record(app.engine.flows)
        app.store.put(done)

        def post(n: int) -> None:
            event = InboundEvent.from_text(done.owner_id, "telegram", START, "/posted", event_id=f"e{n}")
            app.engine.handle(event)

        threads = [threading.Thread(target=post, args=(n,)) for n in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(app.store.get(done.owner_id).posts) == len(done.posts) + 40
    finally:
        app.close()


def _planned_record(flows: object, owner_id: str = "telegram:0") -> OwnerRecord:
    """A record with a finished plan, as the engine leaves it (walked in memory)."""
    clock = FixedClock(START)
    app = build_app(Settings(), store=MemoryStore(), clock=clock)
    chat = OwnerChat(app.engine, clock, owner_id, language="fr")
    chat.say("/start")
    walk(chat, LOCAL_BAKERY)
    record = chat.record()
    app.close()
    return record


def test_four_processes_on_one_database_store_every_answer_and_send_each_nudge_once(
    postgres_url: str, tmp_path: Path
) -> None:
    owners = 1000
    template = _planned_record(None)
    seeding = PostgresStore(postgres_url)
    for n in range(owners):
        record = copy.deepcopy(template)
        record.owner_id, record.channel = f"telegram:{n}", "telegram"
        seeding.put(record)
    seeding.close()

    deliveries = tmp_path / "deliveries.jsonl"
    env = {**os.environ, "COACH_LOG_LEVEL": "WARNING", "COACH_DATA_DIR": str(tmp_path / "data")}
    start = START.isoformat()
    module = [sys.executable, "-m", "tests.fakes.pg_worker"]
    processes = [
        subprocess.Popen([*module, "handle", postgres_url, "0", str(owners), start], cwd=ROOT, env=env),
        subprocess.Popen([*module, "handle", postgres_url, "1", str(owners), start], cwd=ROOT, env=env),
        subprocess.Popen([*module, "nudges", postgres_url, "0", str(deliveries), start], cwd=ROOT, env=env),
        subprocess.Popen([*module, "nudges", postgres_url, "1", str(deliveries), start], cwd=ROOT, env=env),
    ]
    assert [p.wait(timeout=600) for p in processes] == [0, 0, 0, 0]

    store = PostgresStore(postgres_url)
    try:
        records = [store.get(f"telegram:{n}") for n in range(owners)]
    finally:
        store.close()
    # Every answer stored: 3 posts from each handling process, the retried one counted once.
    assert all(len(r.posts) == len(template.posts) + 6 for r in records)
    # Every nudge claimed was delivered, each message exactly once.
    lines = [tuple(json.loads(line)) for line in deliveries.read_text().splitlines()]
    counted = collections.Counter(lines)
    assert lines and max(counted.values()) == 1, "a message was delivered twice"
    assert all(not r.outbox for r in records), "a claimed nudge was left undelivered"
    claimed = sum(len(r.nudges.bundles) for r in records)  # one message per moment, whatever it carries
    entries = {(owner, entry) for owner, entry, _ in lines}
    assert len(entries) == claimed >= owners, "each owner got at least the weekly reminder"


def test_a_database_url_that_cannot_be_reached_is_a_clear_error(tmp_path: Path) -> None:
    refused = _coach(["stats"], "postgresql://coach:pw-secret@127.0.0.1:1/none", tmp_path)
    assert refused.returncode == 2 and "cannot reach the database" in refused.stderr
    assert "pw-secret" not in refused.stderr
