"""The default store: one small TinyDB file per owner, written atomically.

TinyDB's own JSONStorage rewrites one big file in place, so a write costs more as owners are
added and a crash mid-write leaves the file unreadable. Here each owner has their own file, and
every write goes to a temporary file that replaces the old one in one `os.replace`: a reader sees
the old record or the new one, never half of one, even after `kill -9`. With `fsync` on (the
default) the new record also survives a power cut.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, unquote

from tinydb import Query, TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from bot.store.atomic import replace_file
from bot.store.base import OwnerRecord, Store, StoreError
from bot.store.delivered import DeliveredLog
from bot.store.schema import SCHEMA_VERSION

OWNERS_DIR = "owners"
DELIVERED_LOG = "delivered.log"
SUFFIX = ".json"
TMP_PREFIX = ".tmp-"
MAX_OWNER_ID = 200


RECENT = 1024
"""Owner records this process wrote last, kept as written: the next read of one is a `stat`."""


def _parse(raw: bytes, path: Path) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise StoreError(f"{path} is damaged (not valid JSON): {exc}") from exc
    if not isinstance(data, dict):
        raise StoreError(f"{path} is damaged (not a TinyDB document)")
    return data


def _load(path: Path) -> dict[str, Any] | None:
    """A TinyDB file's data, or None when it does not exist."""
    try:
        return _parse(path.read_bytes(), path)
    except FileNotFoundError:
        return None


def _encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _version(status: os.stat_result) -> tuple[int, int, int]:
    """What tells one version of a file from another: each write swaps in a new inode."""
    return status.st_ino, status.st_mtime_ns, status.st_size


class AtomicJSONStorage(Storage):
    """A TinyDB storage that replaces its file atomically on every write."""

    def __init__(self, path: str, fsync: bool = True) -> None:
        self._path = Path(path)
        self._fsync = fsync

    def read(self) -> dict[str, Any] | None:
        """Return the file's data, or None when it does not exist yet."""
        return _load(self._path)

    def write(self, data: dict[str, Any]) -> None:
        """Write `data` to a temporary file, then swap it in."""
        payload = _encode(data)
        # One writer process and a lock per owner: a fixed temporary name per file is safe.
        replace_file(self._path, self._path.with_name(TMP_PREFIX + self._path.name), payload, self._fsync)

    def close(self) -> None:
        """Nothing stays open between writes."""


class TinyDBStore(Store):
    """Owner records under `folder/owners/`, one TinyDB file each.

    One process writes a folder (it holds an exclusive `flock` on `.lock`). Two others may
    open it beside that writer: a `readonly` reader (`coach stats`, `coach export`: it takes
    no lock and writes nothing, so a read-only backup works too), and a `shared` one
    (`coach delete`). Each owner's lock is also a POSIX record lock on one byte of `.lock`
    (the byte chosen by the owner id), taken by the writer and the shared process alike: an
    erasure waits for the event being handled, and the writer reads the owner afresh after
    it, so it never writes an erased owner back.
    """

    def __init__(
        self, folder: Path, fsync: bool = True, readonly: bool = False, shared: bool = False
    ) -> None:
        super().__init__()
        self.folder = folder
        self.fsync = fsync
        self.readonly = readonly
        self._owners = folder / OWNERS_DIR
        self._recent: dict[str, tuple[tuple[int, int, int], bytes]] = {}
        self._recent_lock = threading.Lock()
        self._index: dict[str, tuple[str | None, bool]] | None = None
        self._index_lock = threading.Lock()  # a note on the loop and a write on a thread, in turn
        self._lock_file: BinaryIO | None = None
        if readonly:
            if not self._owners.is_dir():
                raise StoreError(f"no coach data in {folder} (set COACH_DATA_DIR to the data folder)")
            self._meta = TinyDB(str(folder / "meta.json"), storage=AtomicJSONStorage, fsync=False)
            self._check_schema()
            self._delivered = DeliveredLog(folder / DELIVERED_LOG, writable=False)
            return
        self._owners.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(folder / ".lock", "a+b")  # noqa: SIM115 - held for the store's life
        if not shared:
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._lock_file.close()
                raise StoreError(
                    f"another coach process is using {folder}; stop it first "
                    "(TinyDB has one writer; use PostgreSQL for several processes)"
                ) from None
        try:
            self._meta = TinyDB(str(folder / "meta.json"), storage=AtomicJSONStorage, fsync=fsync)
            self._check_schema()
            if not shared:
                for stale in self._owners.glob(TMP_PREFIX + "*"):  # left by a crash before the replace
                    stale.unlink(missing_ok=True)
            self._delivered = DeliveredLog(
                folder / DELIVERED_LOG, writable=not shared, fsync=fsync, on_file=self._on_file
            )
        except BaseException:
            self.close()  # lets the folder's lock go
            raise
        self.quick_notes = not shared

    @contextmanager
    def lock(self, owner_id: str) -> Iterator[None]:
        """The owner's lock within this process, and their byte of `.lock` across processes."""
        with super().lock(owner_id):
            if self._lock_file is None:
                yield
                return
            offset = zlib.crc32(owner_id.encode()) & 0x7FFFFFFF
            fcntl.lockf(self._lock_file, fcntl.LOCK_EX, 1, offset)
            try:
                yield
            finally:
                fcntl.lockf(self._lock_file, fcntl.LOCK_UN, 1, offset)

    def _check_schema(self) -> None:
        meta = self._meta.table("meta")
        row = meta.get(doc_id=1)
        if row is None:
            if not self.readonly:
                meta.upsert(Document({"schema": SCHEMA_VERSION}, doc_id=1))
        elif row.get("schema", 0) > SCHEMA_VERSION:
            raise StoreError(
                f"{self.folder} holds schema {row['schema']}, newer than this coach "
                f"({SCHEMA_VERSION}): upgrade the coach"
            )
        elif row.get("schema") != SCHEMA_VERSION and not self.readonly:
            meta.upsert(Document({"schema": SCHEMA_VERSION}, doc_id=1))  # records migrate on read

    def _path(self, owner_id: str) -> Path:
        if not owner_id or len(owner_id) > MAX_OWNER_ID:
            raise StoreError(f"owner id of {len(owner_id)} characters is not allowed")
        return self._owners / (quote(owner_id, safe="") + SUFFIX)

    def _on_file(self, owner_id: str) -> dict[str, int] | None:
        """How many messages of each outbox entry the owner's file says went out; None: no owner."""
        try:
            doc = self._read(owner_id)
        except StoreError:
            return None
        if doc is None:
            return None
        return {str(e.get("id")): int(e.get("delivered") or 0) for e in doc.get("outbox") or []}

    def _read(self, owner_id: str) -> dict[str, Any] | None:
        """The owner's stored document, or None when they have no file (perhaps just erased).

        Each owner file holds one TinyDB table, `owner`, of one document. When the file is still
        the version this process wrote last, it is parsed from memory: one `stat` instead of
        reading the file (only this process writes owner files; `coach delete` removes them,
        which the `stat` sees).
        """
        path = self._path(owner_id)
        try:
            status = os.stat(path)
        except FileNotFoundError:
            self._forget(owner_id)
            return None
        recent = self._recent.get(owner_id)
        if recent is not None and recent[0] == _version(status):
            data: dict[str, Any] | None = _parse(recent[1], path)
        else:
            data = AtomicJSONStorage(str(path)).read()
        table = (data or {}).get("owner")
        doc = table.get("1") if isinstance(table, dict) else None
        if doc is not None and not isinstance(doc, dict):
            raise StoreError(f"{path} is damaged (the owner is not a document)")
        return doc

    def _remember(self, owner_id: str, status: os.stat_result, payload: bytes) -> None:
        with self._recent_lock:
            self._recent.pop(owner_id, None)
            self._recent[owner_id] = (_version(status), payload)
            if len(self._recent) > RECENT:
                del self._recent[next(iter(self._recent))]

    def _forget(self, owner_id: str) -> None:
        with self._recent_lock:
            self._recent.pop(owner_id, None)

    def get(self, owner_id: str) -> OwnerRecord | None:
        """Read the owner's file, brought up to the delivered notes; a damaged one raises StoreError."""
        doc = self._read(owner_id)
        if doc is None:
            self._delivered.forget(owner_id)  # erased (perhaps by `coach delete`): no notes hold
            return None
        record = OwnerRecord.from_doc(doc)
        self._delivered.apply(record)
        return record

    def _writable(self) -> None:
        if self.readonly:
            raise StoreError(f"{self.folder} was opened to read only")

    def put(self, record: OwnerRecord) -> None:
        """Replace the owner's file with the new record."""
        self._writable()
        # The file holds this one record, so it is written whole: TinyDB's upsert would first
        # read and parse the old file for nothing. It carries the delivered notes made since
        # the record was read, which are then forgotten.
        self._delivered.apply(record)
        path = self._path(record.owner_id)
        payload = _encode({"owner": {"1": record.to_doc()}})
        status = replace_file(path, path.with_name(TMP_PREFIX + path.name), payload, self.fsync)
        self._remember(record.owner_id, status, payload)
        self._delivered.written(record)
        with self._index_lock:
            if self._index is not None:
                self._index[record.owner_id] = (record.next_check_at, bool(record.outbox))

    def delete(self, owner_id: str) -> bool:
        """Remove the owner's file."""
        self._writable()
        self._forget(owner_id)
        self._delivered.forget(owner_id)
        with self._index_lock:
            if self._index is not None:
                self._index.pop(owner_id, None)
        try:
            self._path(owner_id).unlink()
        except FileNotFoundError:
            return False
        return True

    def note_delivered(self, owner_id: str, entry_id: str, delivered: int) -> int:
        """Note delivered messages in the log (`bot.store.delivered`), not in the owner's file."""
        if not self.quick_notes:
            return super().note_delivered(owner_id, entry_id, delivered)
        with self._index_lock:  # else a write of a new entry meanwhile could be marked as nothing owed
            others, done = self._delivered.note(owner_id, entry_id, delivered)
            if done and not others and self._index is not None and owner_id in self._index:
                self._index[owner_id] = (self._index[owner_id][0], False)
        return others

    def owner_ids(self) -> Iterator[str]:
        """Yield every owner id on file."""
        for path in self._owners.glob("*" + SUFFIX):
            if not path.name.startswith(TMP_PREFIX):
                yield unquote(path.name[: -len(SUFFIX)])

    def get_installation(self, key: str) -> dict[str, Any] | None:
        """Read an installation from `meta.json` (there are few: one per workspace)."""
        row = self._meta.table("installations").get(Query().key == key)
        return dict(row["doc"]) if isinstance(row, Document) else None

    def put_installation(self, key: str, doc: dict[str, Any]) -> None:
        """Replace the installation under `key` (the whole small file is rewritten atomically)."""
        self._writable()
        self._meta.table("installations").upsert({"key": key, "doc": doc}, Query().key == key)

    def delete_installation(self, key: str) -> bool:
        """Forget the installation under `key`."""
        return bool(self._meta.table("installations").remove(Query().key == key))

    def due_owners(self, now: str) -> list[str]:
        """Owners to look at, from an index read once and then kept up to date by `put`."""
        if self._index is None:
            index = {}
            for owner_id in self.owner_ids():
                try:
                    record = self.get(owner_id)
                except StoreError:
                    continue  # a damaged file is reported when its owner writes; nudges skip it
                if record is not None:
                    index[owner_id] = (record.next_check_at, bool(record.outbox))
            with self._index_lock:
                self._index = index
        with self._index_lock:  # a conversation thread may add an owner meanwhile
            return [
                owner_id
                for owner_id, (upcoming, has_outbox) in self._index.items()
                if has_outbox or (upcoming is not None and upcoming <= now)
            ]

    def check(self) -> None:
        """Raise when the owners' folder is gone or, for a writer, no longer writable."""
        if not self._owners.is_dir():
            raise StoreError(f"{self._owners} is gone")
        if not self.readonly and not os.access(self._owners, os.W_OK):
            raise StoreError(f"{self._owners} is not writable")

    def close(self) -> None:
        """Release the writer lock."""
        self._recent = {}
        if hasattr(self, "_delivered"):
            self._delivered.close()
        if self._lock_file is not None and not self._lock_file.closed:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
