"""Shared fixtures: the real flows and catalogs, an in-memory or TinyDB store, a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import flows as flow_files
from bot.app import App, build_app
from bot.clock import FixedClock
from bot.config import ROOT, Settings
from bot.flows import Flows
from bot.store.memory import MemoryStore
from bot.store.tinydb import TinyDBStore
from tests.fakes.chat import OwnerChat
from tests.fakes.postgres_server import PostgresServer

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def journey() -> Flows:
    return flow_files.load(ROOT / "flows")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole run; a run that cannot start it fails."""
    server = PostgresServer()
    try:
        server.start()
    except Exception as exc:  # any reason is reported as the failure
        server.stop()
        pytest.fail(f"could not start PostgreSQL for the tests: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    """A new, migrated database of the test server."""
    from bot.store.postgres import migrate

    url = postgres.new_database()
    migrate(url)
    return url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[App]:
    built = build_app(settings, store=MemoryStore(), clock=clock)
    yield built
    built.close()


@pytest.fixture
def tinydb_app(settings: Settings, clock: FixedClock) -> Iterator[App]:
    built = build_app(settings, store=TinyDBStore(settings.data_dir), clock=clock)
    yield built
    built.close()


@pytest.fixture
def ana(app: App, clock: FixedClock) -> OwnerChat:
    """A French-speaking bakery owner."""
    return OwnerChat(app.engine, clock, "test:ana", language="fr")


@pytest.fixture
def bob(app: App, clock: FixedClock) -> OwnerChat:
    """An English-speaking owner."""
    return OwnerChat(app.engine, clock, "test:bob", language="en")
