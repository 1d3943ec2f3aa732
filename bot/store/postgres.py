"""The PostgreSQL store: one database shared safely by several coach processes.

Each owner is one row: the record as JSONB, plus the two columns the nudge sweep needs
(`next_check_at`, `has_outbox`), each with a partial index, so a sweep reads what is due and
not every owner. `lock(owner)` is a transaction holding a PostgreSQL advisory lock on the
owner: their events are handled one at a time whatever the process, and what is read and
written under it is committed together when the lock is released. Schema changes are SQL
migrations applied by `coach migrate`; a process refuses to start on a database behind it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import tuple_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from bot.store.base import OwnerRecord, Store, StoreError

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE owners (
        owner_id text PRIMARY KEY,
        doc jsonb NOT NULL,
        next_check_at timestamptz,
        has_outbox boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX owners_due ON owners (next_check_at) WHERE next_check_at IS NOT NULL;
    CREATE INDEX owners_outbox ON owners (owner_id) WHERE has_outbox;
    CREATE TABLE installations (
        key text PRIMARY KEY,
        doc jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    """,
)
"""Schema migrations, in order; the schema's version is how many have run. Append, never edit."""

LATEST = len(MIGRATIONS)
BATCH = 500
"""Owners claimed per transaction by the nudge sweep."""
log = logging.getLogger(__name__)
_MIGRATION_LOCK = 7_031_942  # an advisory lock key: one migrator at a time
_PROCESS_LOCKS = 7_031_943  # the class of the two-key advisory locks that say a process runs


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The version of the database's schema; 0 for an empty database."""
    exists = conn.execute("SELECT to_regclass('coach_schema') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = conn.execute("SELECT version FROM coach_schema").fetchone()
    return int(row[0]) if row else 0


def migrate(url: str) -> tuple[int, int]:
    """Bring the database's schema up to date; return the versions before and after."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                conn.execute("CREATE TABLE IF NOT EXISTS coach_schema (version integer NOT NULL)")
                before = schema_version(conn)
                if conn.execute("SELECT count(*) FROM coach_schema").fetchone() == (0,):
                    conn.execute("INSERT INTO coach_schema VALUES (0)")
                if before > LATEST:
                    raise StoreError(
                        f"the database's schema ({before}) is newer than this coach's ({LATEST})"
                    )
                for sql in MIGRATIONS[before:]:
                    conn.execute(sql)
                conn.execute("UPDATE coach_schema SET version = %s", (LATEST,))
            return before, LATEST
    except psycopg.Error as exc:
        raise StoreError(f"cannot migrate the database: {exc}") from exc


class PostgresStore(Store):
    """Owner records in PostgreSQL, for several processes; chosen with COACH_DATABASE_URL."""

    def __init__(self, url: str, max_connections: int = 10) -> None:
        super().__init__()
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
                version = schema_version(conn)
        except psycopg.Error as exc:
            raise StoreError(f"cannot reach the database of COACH_DATABASE_URL: {exc}") from exc
        if version != LATEST:
            raise StoreError(
                f"the database's schema is at version {version}, this coach needs {LATEST}: "
                "run `coach migrate` first"
            )
        self.pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True, "row_factory": tuple_row},
            # A connection the server dropped (a restart) is replaced before it is handed out.
            check=ConnectionPool.check_connection,
            open=True,
        )
        self._held = threading.local()
        # While this process runs, its own connection holds a lock named after it: the lock goes
        # with the connection when the process dies, which tells the others (`alive`).
        self._url = url
        self._life_guard = threading.Lock()
        self._life = self._live()

    def _live(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self._url, autocommit=True, connect_timeout=10)
        conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (_PROCESS_LOCKS, self.process))
        return conn

    def _keep_alive(self) -> None:
        """After a server restart, take this process's lock again on a new connection.

        Called each sweep: until then, others may take this process for dead and resume the
        messages it holds, which is what they would do had it died; nothing is sent twice
        because a lease is taken under the owner's lock.
        """
        with self._life_guard:
            try:
                self._life.execute("SELECT 1")
                return
            except psycopg.Error:
                self._life.close()
            self._life = self._live()
            log.warning("PostgreSQL: connection back; this process's lock is held again")

    def check(self) -> None:
        """Raise unless the database answers a query within a few seconds."""
        with self.pool.connection(timeout=5) as conn:
            conn.execute("SELECT 1")

    def alive(self, process: str) -> bool:
        """Whether the process is running: someone holds its lock (read from `pg_locks`).

        Reading rather than trying the lock: a probe holding it for an instant would make a
        concurrent probe take a dead process for a live one.
        """
        if process == self.process:
            return True
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND classid = %s::oid AND objid = hashtext(%s)::oid AND objsubid = 2)",
                (_PROCESS_LOCKS, process),
            ).fetchone()
        return bool(row and row[0])

    # --- locking --------------------------------------------------------------------------

    def _current(self) -> dict[str, psycopg.Connection[Any]]:
        held: dict[str, psycopg.Connection[Any]] | None = getattr(self._held, "conns", None)
        if held is None:
            held = {}
            self._held.conns = held
        return held

    @contextmanager
    def lock(self, owner_id: str) -> Iterator[None]:
        """Hold the owner's advisory lock in a transaction; reads and writes inside use it."""
        held = self._current()
        if owner_id in held:  # already ours in this thread
            yield
            return
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (owner_id,))
            held[owner_id] = conn
            try:
                yield
            finally:
                del held[owner_id]

    @contextmanager
    def _conn(self, owner_id: str | None = None) -> Iterator[psycopg.Connection[Any]]:
        held = self._current().get(owner_id) if owner_id else None
        if held is not None:
            yield held
            return
        with self.pool.connection() as conn:
            yield conn

    # --- owners -----------------------------------------------------------------------------

    def get(self, owner_id: str) -> OwnerRecord | None:
        """Read the owner's row."""
        with self._conn(owner_id) as conn:
            row = conn.execute("SELECT doc FROM owners WHERE owner_id = %s", (owner_id,)).fetchone()
        return OwnerRecord.from_doc(row[0]) if row else None

    def put(self, record: OwnerRecord) -> None:
        """Insert or replace the owner's row (committed now, or with the owner's lock)."""
        with self._conn(record.owner_id) as conn:
            conn.execute(
                """
                INSERT INTO owners (owner_id, doc, next_check_at, has_outbox, updated_at)
                VALUES (%s, %s, %s, %s, now())
                ON CONFLICT (owner_id) DO UPDATE SET doc = EXCLUDED.doc,
                    next_check_at = EXCLUDED.next_check_at, has_outbox = EXCLUDED.has_outbox,
                    updated_at = now()
                """,
                (record.owner_id, Jsonb(record.to_doc()), record.next_check_at, bool(record.outbox)),
            )

    def delete(self, owner_id: str) -> bool:
        """Erase the owner's row."""
        with self._conn(owner_id) as conn:
            return conn.execute("DELETE FROM owners WHERE owner_id = %s", (owner_id,)).rowcount > 0

    def owner_ids(self) -> Iterator[str]:
        """Every owner id, in order."""
        with self._conn() as conn:
            rows = conn.execute("SELECT owner_id FROM owners ORDER BY owner_id").fetchall()
        for (owner_id,) in rows:
            yield owner_id

    def due_owners(self, now: str) -> list[str]:
        """Owners whose next check has come or who have messages waiting, from the two indexes."""
        self._keep_alive()
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT owner_id FROM owners WHERE next_check_at <= %s "
                "UNION SELECT owner_id FROM owners WHERE has_outbox",
                (now,),
            ).fetchall()
        return sorted(owner_id for (owner_id,) in rows)

    def update_many(self, owner_ids: list[str], change: Callable[[OwnerRecord], bool]) -> int:
        """Batches of owners in one transaction each: those another process holds are skipped.

        Each owner's advisory lock is tried (`pg_try_advisory_xact_lock`, the advisory twin of
        `FOR UPDATE SKIP LOCKED`): an owner busy elsewhere is left for the next sweep, so
        several runners share the work and never wait on each other; one commit per batch.
        """
        seen = 0
        for start in range(0, len(owner_ids), BATCH):
            batch = owner_ids[start : start + BATCH]
            with self.pool.connection() as conn, conn.transaction():
                locked = conn.execute(
                    "SELECT owner_id FROM unnest(%s::text[]) AS wanted(owner_id) "
                    "WHERE pg_try_advisory_xact_lock(hashtextextended(owner_id, 0))",
                    (batch,),
                ).fetchall()
                # Read in a second statement: its snapshot comes after the locks, so it sees
                # what another process committed just before letting an owner go.
                rows = conn.execute(
                    "SELECT owner_id, doc FROM owners WHERE owner_id = ANY(%s)", ([o for (o,) in locked],)
                ).fetchall()
                changed = []
                for owner_id, doc in rows:
                    try:
                        record = OwnerRecord.from_doc(doc)
                    except StoreError:
                        log.exception("cannot read owner %s; skipped", owner_id)
                        continue
                    seen += 1
                    if change(record):
                        changed.append(record)
                if changed:
                    with conn.cursor() as cursor:
                        cursor.executemany(
                            "UPDATE owners SET doc = %s, next_check_at = %s, has_outbox = %s, "
                            "updated_at = now() WHERE owner_id = %s",
                            [
                                (Jsonb(r.to_doc()), r.next_check_at, bool(r.outbox), r.owner_id)
                                for r in changed
                            ],
                        )
        return seen

    # --- installations ----------------------------------------------------------------------

    def get_installation(self, key: str) -> dict[str, Any] | None:
        """Read an installation."""
        with self._conn() as conn:
            row = conn.execute("SELECT doc FROM installations WHERE key = %s", (key,)).fetchone()
        return dict(row[0]) if row else None

    def put_installation(self, key: str, doc: dict[str, Any]) -> None:
        """Insert or replace an installation."""
        with self._conn() as conn:
            conn.execute(
                "INSERT INTO installations (key, doc) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET doc = EXCLUDED.doc, updated_at = now()",
                (key, Jsonb(doc)),
            )

    def delete_installation(self, key: str) -> bool:
        """Forget an installation."""
        with self._conn() as conn:
            return conn.execute("DELETE FROM installations WHERE key = %s", (key,)).rowcount > 0

    def close(self) -> None:
        """Close the pool's connections, and the one saying this process runs."""
        self.pool.close()
        self._life.close()
