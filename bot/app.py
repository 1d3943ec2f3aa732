"""The composition root: builds the engine with its store and checks everything at start-up."""

from __future__ import annotations

import gc
from dataclasses import dataclass

from bot import flows as flow_files
from bot.catalog import template_keys
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.engine import Engine
from bot.feeds.command import FeedCommands
from bot.feeds.fetch import FetchPolicy
from bot.flows import FlowError
from bot.i18n import LANGUAGES, Translator
from bot.store.base import Store, StoreError
from bot.store.tinydb import TinyDBStore


@dataclass
class App:
    """What a channel needs: the engine, its store and the clock."""

    settings: Settings
    engine: Engine
    store: Store
    clock: Clock

    def close(self) -> None:
        """Release the store, and stop drawing pictures ahead."""
        self.engine.pictures.close()
        self.store.close()


def build_app(
    settings: Settings,
    store: Store | None = None,
    clock: Clock | None = None,
    readonly: bool = False,
    shared: bool = False,
) -> App:
    """Load and check the flows and catalogs, open the store, and build the engine.

    `readonly` opens a TinyDB folder to read only (beside a running bot, or a read-only copy);
    `shared` opens it beside the running bot, for an erasure.
    """
    journey = flow_files.load(settings.flows_dir)
    for language in LANGUAGES:
        translator = Translator(language, settings.locales_dir)
        for key, where in template_keys(journey).items():
            if not translator.has(key):
                raise FlowError(f"{where}: text key {key!r} has no {language} text in locales/")
    store = store if store is not None else open_store(settings, readonly, shared)
    feeds = FeedCommands(FetchPolicy(allow_private=settings.feeds_allow_private))
    engine = Engine(journey, store, settings.locales_dir, feeds, settings.data_dir / "pictures")
    return App(settings, engine, store, clock or SystemClock())


def settle() -> None:
    """Keep what start-up built out of the garbage collector's walks, for a process that serves.

    The flows, catalogs, Babel's data and the libraries are tens of thousands of objects that
    live as long as the process: frozen (`gc.freeze`), the collections that run while owners
    talk walk only what their turns make (measured in docs/benchmarks.md).
    """
    gc.collect()
    gc.freeze()


def open_store(settings: Settings, readonly: bool = False, shared: bool = False) -> Store:
    """PostgreSQL when COACH_DATABASE_URL is set, else TinyDB files under COACH_DATA_DIR.

    A data folder that cannot be used (read-only, a file, under /proc) is said in one line.
    """
    if settings.database_url:
        from bot.store.postgres import PostgresStore

        return PostgresStore(settings.database_url)
    try:
        return TinyDBStore(settings.data_dir, fsync=settings.fsync, readonly=readonly, shared=shared)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StoreError(
            f"cannot use the data folder {settings.data_dir} ({reason}): "
            "set COACH_DATA_DIR to a folder this user can write"
        ) from None
