"""Owners take their data away with /export and erase it with /delete, in every store."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.nudges.runner import NudgeRunner
from bot.store.base import Store
from bot.store.memory import MemoryStore
from bot.store.tinydb import TinyDBStore
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import LOCAL_BAKERY, walk
from tests.fakes.processes import run_coach


@pytest.fixture(params=["memory", "tinydb", "postgres"])
def any_app(request: pytest.FixtureRequest, settings: Settings, clock: FixedClock) -> Iterator[App]:
    store: Store
    if request.param == "postgres":
        from bot.store.postgres import PostgresStore

        store = PostgresStore(request.getfixturevalue("postgres_url"))
    else:
        store = MemoryStore() if request.param == "memory" else TinyDBStore(settings.data_dir)
    built = build_app(settings, store=store, clock=clock)
    yield built
    built.close()


def _planned(app: App, clock: FixedClock) -> OwnerChat:
    ana = OwnerChat(app.engine, clock, "telegram:77", language="fr")
    ana.say("/start")
    walk(ana, LOCAL_BAKERY)
    ana.say("/posted instagram")
    return ana


def test_an_owner_exports_everything_kept_about_them_as_readable_json(
    any_app: App, clock: FixedClock
) -> None:
    ana = _planned(any_app, clock)
    replies = ana.say("/export")
    attachment = replies[0].attachment
    assert attachment is not None and attachment.name.endswith(".json")
    doc = json.loads(attachment.content)
    assert doc["owner"]["answers"]["business_name"] == "Boulangerie Dupain"
    assert doc["owner"]["posts"] and doc["owner"]["owner_id"] == "telegram:77"
    assert "\n  " in attachment.content, "indented, for people to read"


def test_an_owner_who_confirms_delete_leaves_nothing_behind(any_app: App, clock: FixedClock) -> None:
    ana = _planned(any_app, clock)
    ana.say("/delete")
    assert any_app.store.get("telegram:77") is not None, "nothing is erased before the confirmation"
    ana.tap("delete:yes")
    assert any_app.store.get("telegram:77") is None
    assert "telegram:77" not in list(any_app.store.owner_ids())
    assert "telegram:77" not in any_app.store.due_owners("2100-01-01T00:00:00+00:00")


def test_an_owner_who_says_no_keeps_everything(any_app: App, clock: FixedClock) -> None:
    ana = _planned(any_app, clock)
    before = ana.record().answers
    ana.say("/delete")
    ana.say("non")
    assert ana.record().answers == before and ana.record().prompt is None


def _coach(args: list[str], data: Path, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_coach(args, {"COACH_DATA_DIR": str(data), "COACH_FSYNC": "0"}, stdin, cwd)


def test_in_the_terminal_export_is_kept_for_the_owner_alone_and_delete_erases_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = _coach(["chat", "--user", "zoe"], data, tmp_path, "/start\n1\nFournil Zoé\n/export\n")
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.glob("*.json")), "nothing lands in the folder the chat runs from"
    exported = list((data / "exports").rglob("coach-terminal-zoe-*.json"))
    assert len(exported) == 1 and "Fournil Zoé" in exported[0].read_text(encoding="utf-8")
    assert str(exported[0]) in done.stdout
    assert stat.S_IMODE(exported[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(exported[0].parent.stat().st_mode) == 0o700
    erased = _coach(["chat", "--user", "zoe"], data, tmp_path, "/delete\n1\n")
    assert erased.returncode == 0, erased.stderr
    assert not list((data / "owners").glob("*.json"))
    assert not list((data / "exports").rglob("*.json")), "the export goes with the record"


def test_the_terminal_finds_its_progress_from_any_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"HOME": str(home), "XDG_DATA_HOME": "", "COACH_DATA_DIR": "", "COACH_FSYNC": "0"}
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    run_coach(["chat", "--user", "ana"], env, "/start\n1\nFournil Ana\n", here)
    resumed = run_coach(["chat", "--user", "ana"], env, "/plan\n", there)
    assert resumed.returncode == 0, resumed.stderr
    assert "Fournil Ana" in resumed.stdout
    assert list((home / ".local" / "share" / "coach" / "owners").glob("*.json"))
    assert not list(here.iterdir()) and not list(there.iterdir())


def test_the_operator_exports_and_deletes_an_owner_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _coach(["chat", "--user", "léa"], data, tmp_path, "/start\n1\nChez Léa\n")
    exported = _coach(["export", "--owner", "terminal:léa"], data, tmp_path)
    assert (
        exported.returncode == 0
        and json.loads(exported.stdout)["owner"]["answers"]["business_name"] == "Chez Léa"
    )
    refused = _coach(["delete", "--owner", "terminal:léa"], data, tmp_path)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    deleted = _coach(["delete", "--owner", "terminal:léa", "--yes"], data, tmp_path)
    assert deleted.returncode == 0, deleted.stderr
    assert _coach(["export", "--owner", "terminal:léa"], data, tmp_path).returncode == 1


# --- the operator's commands beside a running bot, on TinyDB ----------------------------------------


def test_stats_and_export_read_while_the_bot_holds_the_folder(
    tinydb_app: App, clock: FixedClock
) -> None:
    _planned(tinydb_app, clock)  # the bot (this test) holds the data folder as its one writer
    data = tinydb_app.settings.data_dir
    stats = _coach(["stats"], data, data.parent)
    assert stats.returncode == 0 and stats.stdout, stats.stderr
    exported = _coach(["export", "--owner", "telegram:77"], data, data.parent)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["owner"]["owner_id"] == "telegram:77"


def test_stats_and_export_read_a_backup_without_writing_to_it(tmp_path: Path, clock: FixedClock) -> None:
    data = tmp_path / "data"
    store = TinyDBStore(data)
    try:
        _planned(build_app(Settings(data_dir=data), store=store, clock=clock), clock)
    finally:
        store.close()
    backup = tmp_path / "backup"
    shutil.copytree(data, backup, ignore=shutil.ignore_patterns(".lock"))
    before = {p: p.stat().st_mtime_ns for p in backup.rglob("*")}
    for path in [*backup.rglob("*"), backup]:  # read-only, as a restored backup may be
        path.chmod(0o444 if path.is_file() else 0o555)
    try:
        assert _coach(["stats"], backup, tmp_path).returncode == 0
        exported = _coach(["export", "--owner", "telegram:77"], backup, tmp_path)
        assert exported.returncode == 0, exported.stderr
    finally:
        for path in [backup, *backup.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert {p: p.stat().st_mtime_ns for p in backup.rglob("*")} == before, "nothing written, no lock made"


def test_delete_while_the_bot_runs_waits_for_the_owner_and_is_never_undone(
    tinydb_app: App, clock: FixedClock
) -> None:
    store = tinydb_app.store
    _planned(tinydb_app, clock)
    data = tinydb_app.settings.data_dir
    with store.lock("telegram:77"):  # the bot is in the middle of one of the owner's events
        erasing = subprocess.Popen(
            [sys.executable, "-m", "bot", "delete", "--owner", "telegram:77", "--yes"],
            env={**os.environ, "COACH_DATA_DIR": str(data), "COACH_FSYNC": "0"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while not _blocked_on_a_lock(erasing.pid):  # `coach delete` waits for the owner's lock
            assert erasing.poll() is None, erasing.communicate()
            assert time.monotonic() < deadline, "coach delete never waited for the owner"
            time.sleep(0.05)
        record = store.get("telegram:77")
        record.answers["business_name"] = "written by the event being handled"
        store.put(record)
    out, err = erasing.communicate(timeout=120)
    assert erasing.returncode == 0 and "erased" in out, err
    assert store.get("telegram:77") is None
    NudgeRunner(tinydb_app.engine).sweep(clock.now())
    assert store.get("telegram:77") is None, "the running bot does not write the owner back"


def _blocked_on_a_lock(pid: int) -> bool:
    """Whether process `pid` waits for a file lock (a `->` line of /proc/locks names it)."""
    waiting = [line.split() for line in Path("/proc/locks").read_text().splitlines() if " -> " in line]
    return any(fields[5] == str(pid) for fields in waiting)
