"""Both stores keep records alike; the TinyDB one survives crashes and refuses what it can't read."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import ROOT
from bot.events import Reply
from bot.outbox import held_elsewhere, new_entry, new_holder
from bot.store.base import Lease, OwnerRecord, Store, StoreError
from bot.store.memory import MemoryStore
from bot.store.schema import SCHEMA_VERSION
from bot.store.tinydb import TinyDBStore


@pytest.fixture(params=["memory", "tinydb", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    built: Store
    if request.param == "postgres":
        from bot.store.postgres import PostgresStore

        built = PostgresStore(request.getfixturevalue("postgres_url"))
    else:
        built = MemoryStore() if request.param == "memory" else TinyDBStore(tmp_path / "data")
    yield built
    built.close()


def _record(owner_id: str = "telegram:42") -> OwnerRecord:
    return OwnerRecord(
        owner_id,
        "telegram",
        "fr",
        "market",
        answers={"sector": "food", "n": 2.5},
        history=["language", "business_name", "sector"],
    )


def test_a_record_comes_back_as_it_was_kept(store: Store) -> None:
    store.put(_record())
    assert store.get("telegram:42") == _record()


def test_an_owner_never_seen_has_no_record(store: Store) -> None:
    assert store.get("telegram:7") is None


def test_a_record_is_replaced_whole(store: Store) -> None:
    store.put(_record())
    changed = _record()
    changed.answers = {"sector": "retail"}
    store.put(changed)
    assert store.get("telegram:42").answers == {"sector": "retail"}


def test_owners_are_listed_and_deleted(store: Store) -> None:
    for owner in ("telegram:1", "slack:T1:U1", "terminal:élodie/../x"):
        store.put(_record(owner))
    assert sorted(store.owner_ids()) == sorted(["telegram:1", "slack:T1:U1", "terminal:élodie/../x"])
    assert store.delete("slack:T1:U1") is True
    assert store.delete("slack:T1:U1") is False
    assert store.get("slack:T1:U1") is None


def test_records_are_copies_not_shared_objects(store: Store) -> None:
    record = _record()
    store.put(record)
    record.answers["sector"] = "changed after put"
    assert store.get("telegram:42").answers["sector"] == "food"


def test_owner_files_stay_inside_the_data_folder(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path / "data")
    store.put(_record("terminal:../../etc/passwd"))
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all((tmp_path / "data") in p.parents for p in files)
    store.close()


def test_a_damaged_owner_file_is_named_and_others_are_unaffected(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path / "data")
    store.put(_record("telegram:1"))
    store.put(_record("telegram:2"))
    damaged = next((tmp_path / "data" / "owners").glob("telegram%3A1.json"))
    damaged.write_text('{"owner": {"1": {"owner_id": "tel')
    with pytest.raises(StoreError, match=r"telegram%3A1.json is damaged"):
        store.get("telegram:1")
    assert store.get("telegram:2") == _record("telegram:2")
    store.close()


def test_a_record_just_written_is_read_back_without_reading_its_file_but_a_new_version_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.store import tinydb

    reads: list[str] = []
    real_read = tinydb.AtomicJSONStorage.read

    def counted(self: tinydb.AtomicJSONStorage) -> object:
        reads.append("file")
        return real_read(self)

    monkeypatch.setattr(tinydb.AtomicJSONStorage, "read", counted)
    store = TinyDBStore(tmp_path / "data")
    store.put(_record())
    reads.clear()  # the store's own meta file, read at its opening
    assert store.get("telegram:42") == _record() and reads == []
    # Another version swapped in by someone else (as a restore would): read from the file.
    path = next((tmp_path / "data" / "owners").glob("telegram%3A42.json"))
    doc = json.loads(path.read_text())
    doc["owner"]["1"]["answers"]["sector"] = "retail"
    path.with_name("restored").write_text(json.dumps(doc))
    path.with_name("restored").replace(path)
    assert store.get("telegram:42").answers["sector"] == "retail" and reads == ["file"]
    path.unlink()  # as `coach delete` does from its own process
    assert store.get("telegram:42") is None
    store.close()


def test_a_second_process_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    first = TinyDBStore(tmp_path / "data")
    with pytest.raises(StoreError, match="another coach process"):
        TinyDBStore(tmp_path / "data")
    first.close()
    TinyDBStore(tmp_path / "data").close()


def test_the_schema_version_is_stored_and_a_newer_one_is_refused(tmp_path: Path) -> None:
    TinyDBStore(tmp_path / "data").close()
    meta = json.loads((tmp_path / "data" / "meta.json").read_text())
    assert meta["meta"]["1"]["schema"] == SCHEMA_VERSION
    meta["meta"]["1"]["schema"] = SCHEMA_VERSION + 1
    (tmp_path / "data" / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(StoreError, match="newer than this coach"):
        TinyDBStore(tmp_path / "data")


def test_a_record_from_a_newer_coach_is_refused(store: Store) -> None:
    doc = _record().to_doc()
    doc["v"] = SCHEMA_VERSION + 1
    with pytest.raises(StoreError, match="newer than this coach"):
        OwnerRecord.from_doc(doc)


def test_an_owner_file_is_one_small_file_whatever_the_number_of_owners(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path / "data", fsync=False)
    for n in range(300):
        store.put(_record(f"telegram:{n}"))
    sizes = {p.stat().st_size for p in (tmp_path / "data" / "owners").iterdir()}
    assert max(sizes) < 1024
    store.close()


def test_temporary_files_left_by_a_crash_are_cleaned_at_open(tmp_path: Path) -> None:
    TinyDBStore(tmp_path / "data").close()
    leftover = tmp_path / "data" / "owners" / ".tmp-abc.json"
    leftover.write_text('{"half')
    store = TinyDBStore(tmp_path / "data")
    assert not leftover.exists()
    assert list(store.owner_ids()) == []
    store.close()


def test_a_workspace_installation_is_kept_replaced_and_forgotten(store: Store, tmp_path: Path) -> None:
    assert store.get_installation("-:T1") is None
    store.put_installation("-:T1", {"team_id": "T1", "bot_token": "xoxb-1"})
    store.put_installation("-:T2", {"team_id": "T2", "bot_token": "xoxb-2"})
    store.put_installation("-:T1", {"team_id": "T1", "bot_token": "xoxb-1b"})
    assert store.get_installation("-:T1") == {"team_id": "T1", "bot_token": "xoxb-1b"}
    assert store.delete_installation("-:T1") is True
    assert store.delete_installation("-:T1") is False
    assert store.get_installation("-:T1") is None
    assert store.get_installation("-:T2") == {"team_id": "T2", "bot_token": "xoxb-2"}


def test_installations_survive_a_restart_of_the_tinydb_store(tmp_path: Path) -> None:
    first = TinyDBStore(tmp_path / "data")
    first.put_installation("-:T1", {"team_id": "T1", "bot_token": "xoxb-1"})
    first.close()
    again = TinyDBStore(tmp_path / "data")
    try:
        assert again.get_installation("-:T1") == {"team_id": "T1", "bot_token": "xoxb-1"}
    finally:
        again.close()


def test_a_lease_on_waiting_messages_counts_only_while_its_process_runs(store: Store) -> None:
    mine, neighbour = new_holder(store), new_holder(store)  # two deliverers of this process
    leased = new_entry("e1", "reply", "2026-11-23T10:00:00+00:00", [], holder=neighbour)
    assert held_elsewhere(store, leased, mine)
    assert not held_elsewhere(store, leased, neighbour)
    assert not held_elsewhere(store, replace(leased, lease=Lease(neighbour, 0)), mine), "an expired lease"
    orphan = new_entry("e2", "reply", "2026-11-23T10:00:00+00:00", [], holder="a-killed-process/1")
    assert not held_elsewhere(store, orphan, mine), "a lease left by a process that is gone"


def test_on_postgres_another_process_lease_holds_until_that_process_stops(postgres_url: str) -> None:
    from bot.store.postgres import PostgresStore

    here, there = PostgresStore(postgres_url), PostgresStore(postgres_url)
    try:
        leased = new_entry("e1", "reply", "2026-11-23T10:00:00+00:00", [], holder=new_holder(there))
        assert held_elsewhere(here, leased, new_holder(here))
        there.close()  # as when its process dies: its connection, and the lock, go
        deadline = time.monotonic() + 10  # the server lets go once it sees the connection closed
        while held_elsewhere(here, leased, new_holder(here)):
            assert time.monotonic() < deadline, "the lease outlived its process"
            time.sleep(0.05)
    finally:
        here.close()


def test_a_record_kept_by_an_older_coach_reads_into_its_typed_parts_and_is_kept_alike(
    store: Store, tmp_path: Path
) -> None:
    """A record written before its parts had types (untyped dicts) loads, and is written back the same."""
    old = json.loads((Path(__file__).parent / "fixtures" / "record_v1.json").read_text())
    record = OwnerRecord.from_doc(old)
    assert record.prefs.timezone == "America/Montreal" and record.prefs.paused
    assert (record.prefs.checkin_time, record.prefs.quiet_end) == ("09:00", "07:30"), "defaults filled in"
    assert [p.network for p in record.posts] == ["instagram", None] and record.posts[0].promo
    assert (record.waiting.count, record.waiting.since) == (4, "2026-11-20T09:30:00+00:00")
    assert record.nudges.sent == {"weekly": "2026-W47"} and record.nudges.count("weekly").sent == 1
    assert record.nudges.last_kind == "weekly" and record.nudges.unanswered == 1
    weekly, reply = record.outbox
    assert weekly.lease is None and weekly.pending[0].choices[0].id == "checkin:posted:yes"
    assert reply.lease == Lease("deadbeef/cafe", 1795000000.0) and reply.lease.process == "deadbeef"
    assert [r.text for r in reply.pending] == ["Question ?"] and reply.pending[0].done_label == "Fini"
    assert record.to_doc() == old, "written back exactly as the older coach wrote it"
    store.put(record)
    assert store.get("telegram:4242") == record


def test_an_owner_with_nothing_logged_keeps_empty_parts(store: Store) -> None:
    store.put(_record())
    doc = store.get("telegram:42").to_doc()
    assert (doc["posts"], doc["waiting"], doc["prefs"], doc["nudges"], doc["outbox"]) == ([], {}, {}, {}, [])


def test_a_part_of_a_record_that_is_not_what_it_should_be_is_refused_with_the_owner_named() -> None:
    doc = _record().to_doc()
    doc["prefs"] = ["not", "settings"]
    with pytest.raises(StoreError, match="telegram:42"):
        OwnerRecord.from_doc(doc)
    doc["prefs"] = {"timezone": "Europe/Paris", "colour": "blue"}
    with pytest.raises(StoreError, match="telegram:42"):
        OwnerRecord.from_doc(doc)


def test_followed_feeds_and_detected_posts_are_kept(store: Store) -> None:
    from bot.feeds.state import FeedState
    from bot.store.base import Post

    record = _record()
    record.feeds = [
        FeedState(
            "https://blog.example/feed/", "blog", "Blog", "2026-11-23T10:00:00+00:00", ["ab12"], etag='"v1"'
        )
    ]
    record.posts = [
        Post("2026-11-23T09:00:00+00:00", "instagram"),
        Post(
            "2026-11-23T12:00:00+00:00", "blog", link="https://blog.example/a/", origin="feed", confirmed=True
        ),
    ]
    store.put(record)
    kept = store.get("telegram:42")
    assert kept == record
    assert "link" not in kept.to_doc()["posts"][0], "a typed post is stored as before"


def _owing(owner_id: str = "telegram:42") -> OwnerRecord:
    record = _record(owner_id)
    record.outbox = [
        new_entry("reply|tg:1", "reply", "2026-12-01T09:00:00+00:00", [Reply("lesson"), Reply("question")]),
        new_entry("reply|tg:2", "reply", "2026-12-01T09:01:00+00:00", [Reply("next")]),
    ]
    return record


def test_each_message_delivered_is_noted_and_an_entry_goes_once_all_its_messages_did(store: Store) -> None:
    store.put(_owing())
    assert store.note_delivered("telegram:42", "reply|tg:1", 1) == 1, "one other entry waits"
    outbox = store.get("telegram:42").outbox
    assert [(e.id, e.delivered) for e in outbox] == [("reply|tg:1", 1), ("reply|tg:2", 0)]
    assert store.note_delivered("telegram:42", "reply|tg:1", 2) == 1
    assert store.note_delivered("telegram:42", "reply|tg:2", 1) == 0
    assert store.get("telegram:42").outbox == []


_NOTE_AND_DIE = """
import os, sys
from pathlib import Path
from bot.store.tinydb import TinyDBStore
TinyDBStore(Path(sys.argv[1])).note_delivered("telegram:42", "reply|tg:1", 1)
os._exit(9)
"""


def test_a_delivered_note_survives_a_killed_process_and_the_next_write_carries_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = TinyDBStore(data)
    store.put(_owing())
    store.close()
    died = subprocess.run([sys.executable, "-c", _NOTE_AND_DIE, str(data)], cwd=ROOT, check=False)
    assert died.returncode == 9
    store = TinyDBStore(data)
    record = store.get("telegram:42")
    assert record is not None and record.outbox[0].delivered == 1, "the message does not go twice"
    store.put(record)  # the owner's next write holds the note: the log forgets it
    store.close()
    store = TinyDBStore(data)
    assert (data / "delivered.log").read_bytes() == b""
    assert store.get("telegram:42").outbox[0].delivered == 1
    store.close()


def test_an_erased_owner_leaves_nothing_in_the_delivered_log(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = TinyDBStore(data)
    store.put(_owing("telegram:42"))
    store.put(_owing("telegram:43"))
    store.note_delivered("telegram:42", "reply|tg:1", 1)
    store.note_delivered("telegram:43", "reply|tg:1", 1)
    store.delete("telegram:42")
    store.note_delivered("telegram:42", "bye|tg:2", 1)  # the goodbye, sent once they are erased
    log = (data / "delivered.log").read_text(encoding="utf-8")
    assert "telegram:42" not in log and "telegram:43" in log
    store.close()


def test_an_owner_erased_by_another_process_leaves_the_delivered_log_when_the_writer_closes(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    writer = TinyDBStore(data)
    writer.put(_owing("telegram:42"))
    writer.note_delivered("telegram:42", "reply|tg:1", 1)
    eraser = TinyDBStore(data, shared=True)  # `coach delete` beside the running bot
    assert eraser.delete("telegram:42")
    eraser.close()
    writer.close()
    assert "telegram:42" not in (data / "delivered.log").read_text(encoding="utf-8")
