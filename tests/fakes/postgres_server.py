"""A real, throw-away PostgreSQL server for the tests: its own folder, port and socket.

Debian's `postgresql` package provides the binaries (`.ci/run` installs it on a fresh machine).
PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user. It is
tuned for tests (no fsync: the durability under test is the coach's, not PostgreSQL's).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from tests.fakes.processes import free_port


def binaries() -> Path | None:
    """The folder of `initdb` and `pg_ctl`, or None when PostgreSQL is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """Start with `start()`, get databases with `new_database()`, stop with `stop()`."""

    def __init__(self, durable: bool = False) -> None:
        self.durable = durable
        self.root = Path(tempfile.mkdtemp(prefix="coach-pg-"))
        self.port = free_port()
        self.bin = binaries()

    def _run(self, *args: str) -> None:
        command = [str(a) for a in args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> str:
        """Create the cluster and start it; return the URL of its `postgres` database."""
        if self.bin is None:
            raise RuntimeError(
                "PostgreSQL is not installed: apt-get install -y postgresql "
                "(the tests start their own server)"
            )
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        data = self.root / "data"
        self._run(self.bin / "initdb", "-D", data, "-A", "trust", "-U", "coach", "-E", "UTF8", "--no-sync")
        self._start()
        return self.url("postgres")

    def _start(self) -> None:
        assert self.bin is not None
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        data = self.root / "data"
        self._run(self.bin / "pg_ctl", "-D", data, "-l", self.root / "log", "-o", options, "-w", "start")

    def url(self, database: str) -> str:
        return f"postgresql://coach@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new empty database; return its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def restart(self) -> None:
        """Restart the server the way an upgrade does: clients are cut off (AdminShutdown)."""
        self.pause()
        self.resume()

    def pause(self) -> None:
        """Stop the server, cutting its clients off; `resume` starts it again on the same port."""
        assert self.bin is not None
        self._run(self.bin / "pg_ctl", "-D", self.root / "data", "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        self._start()

    def stop(self) -> None:
        if self.bin is not None and (self.root / "data" / "postmaster.pid").exists():
            self._run(self.bin / "pg_ctl", "-D", self.root / "data", "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
