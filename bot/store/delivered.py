"""Which outbox messages went out, noted in one append-only log instead of each owner's file.

The outbox notes every message as soon as the platform accepted it, so that a retry or a restart
resumes after it and never sends it twice. Writing that note into the owner's record would cost a
second atomic, fsynced rewrite of their file for every message, after the one that stored the
answer and its replies: measured, about as much CPU as everything else the coach does for an
update. Here a note is one line appended to `delivered.log` (one `write`, no fsync) and kept in
memory; every record read or written through the store has its outbox brought up to the notes
(delivered messages counted, finished entries dropped), so the owner's next write carries them
into their file and the note is forgotten. At start the log is read back, so a note survives a
crash of the process (the kernel keeps what was written); a power cut within the kernel's
write-back delay (about 30 s) may lose the last notes, and those messages then go out again once.
Nothing owed is ever lost this way: the answer and the replies owed are in the owner's file,
written and fsynced before the update is confirmed, exactly as before.

The log is rewritten with only the notes still pending when it has grown past twice its size
after the last rewrite (at least 1 MiB), when the store opens or closes (dropping the notes of
owners no longer on file), and when an owner with lines in it is erased by this process: nothing
of theirs stays behind.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

from bot.store.atomic import replace_file
from bot.store.base import OwnerRecord

MIN_REWRITE = 1 << 20
"""Bytes of log after which it is rewritten with the pending notes only."""


class DeliveredLog:
    """The notes of one store folder: owner → entry id → messages delivered, and the log behind them."""

    def __init__(
        self,
        path: Path,
        writable: bool,
        fsync: bool = True,
        on_file: Callable[[str], dict[str, int] | None] = lambda owner_id: {},
    ) -> None:
        """Read the log; a writer (`writable`) then appends to it.

        A writer keeps only the notes that the owners' files do not hold yet: `on_file` tells how
        many messages of each entry an owner's file says went out (None: no such owner).
        """
        self.path = path
        self.fsync = fsync
        self._lock = threading.Lock()
        self._notes: dict[str, dict[str, int]] = {}
        self._waiting: dict[str, dict[str, int]] = {}  # owner → entry id → messages in it, as last seen
        self._in_log: set[str] = set()  # owners with lines in the file
        self._erased: set[str] = set()  # owners erased by this process (until they come back)
        self._fd: int | None = None
        self._size = 0
        self._rewrite_at = MIN_REWRITE
        self._on_file = on_file
        self._load()
        if writable:
            with self._lock:
                self._drop_held()
                self._rewrite()

    def _drop_held(self) -> None:
        """Forget the notes the owners' files already hold, and those of owners gone (under the lock)."""
        for owner_id in list(self._notes):
            stored = self._on_file(owner_id)
            notes = {e: n for e, n in self._notes[owner_id].items() if stored and stored.get(e, n) < n}
            if notes:
                self._notes[owner_id] = notes
            else:
                del self._notes[owner_id]

    def _load(self) -> None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        for line in raw.splitlines():
            try:
                owner_id, entry_id, delivered = json.loads(line)
                self._raise(str(owner_id), str(entry_id), int(delivered))
            except (ValueError, TypeError):
                continue  # the last line, cut short by a crash: its message goes again

    def _raise(self, owner_id: str, entry_id: str, delivered: int) -> None:
        notes = self._notes.setdefault(owner_id, {})
        notes[entry_id] = max(delivered, notes.get(entry_id, 0))

    def _rewrite(self) -> None:
        """Replace the log with the pending notes only (under the lock)."""
        lines = b"".join(
            _line(owner_id, entry_id, delivered)
            for owner_id, notes in self._notes.items()
            for entry_id, delivered in notes.items()
        )
        replace_file(self.path, self.path.with_name(self.path.name + ".tmp"), lines, self.fsync)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)  # opened before the old one is let go
        if self._fd is not None:
            os.close(self._fd)
        self._fd = fd
        self._size = len(lines)
        self._rewrite_at = max(MIN_REWRITE, 2 * self._size)
        self._in_log = set(self._notes)

    def note(self, owner_id: str, entry_id: str, delivered: int) -> tuple[int, bool]:
        """Note that the first `delivered` messages of an entry went out.

        Return how many other entries wait for the owner, and whether this one is finished.
        """
        line = _line(owner_id, entry_id, delivered)
        with self._lock:
            if self._fd is None:
                raise RuntimeError("the delivered log was opened to read only")
            if owner_id in self._erased:  # their goodbye, sent after the erasure: keep nothing
                return 0, True
            self._raise(owner_id, entry_id, delivered)
            os.write(self._fd, line)
            self._in_log.add(owner_id)
            self._size += len(line)
            if self._size > self._rewrite_at:
                self._rewrite()
            notes = self._notes[owner_id]
            waiting = self._waiting.get(owner_id, {})
            others = sum(1 for e, total in waiting.items() if e != entry_id and notes.get(e, 0) < total)
            return others, delivered >= waiting.get(entry_id, 0)

    def apply(self, record: OwnerRecord) -> None:
        """Bring the record's outbox up to the notes: delivered counts raised, finished entries dropped."""
        with self._lock:
            notes = self._notes.get(record.owner_id)
            if notes:
                for entry in record.outbox:
                    entry.delivered = max(entry.delivered, notes.get(entry.id, 0))
                record.outbox = [e for e in record.outbox if not e.done]
            self._seen(record)

    def written(self, record: OwnerRecord) -> None:
        """The record (brought up to the notes by `apply`) is in its file: forget the notes it holds."""
        with self._lock:
            notes = self._notes.get(record.owner_id)
            if notes:
                kept = {e.id: e.delivered for e in record.outbox}
                for entry_id, delivered in list(notes.items()):
                    if kept.get(entry_id, delivered) >= delivered:  # in the file, or finished and gone
                        del notes[entry_id]
                if not notes:
                    del self._notes[record.owner_id]
            self._seen(record)

    def _seen(self, record: OwnerRecord) -> None:
        self._erased.discard(record.owner_id)
        if record.outbox:
            self._waiting[record.owner_id] = {e.id: len(e.replies) for e in record.outbox}
        else:
            self._waiting.pop(record.owner_id, None)

    def forget(self, owner_id: str) -> None:
        """The owner is gone (erased): their notes mean nothing any more, and leave the log."""
        with self._lock:
            self._notes.pop(owner_id, None)
            self._waiting.pop(owner_id, None)
            self._erased.add(owner_id)
            if owner_id in self._in_log and self._fd is not None:
                self._rewrite()

    def close(self) -> None:
        """Keep only the pending notes of owners still on file, durably (fsync on), and close the log.

        An owner erased by another process (`coach delete`) leaves the log here at the latest.
        """
        with self._lock:
            if self._fd is not None:
                self._drop_held()
                self._rewrite()
                os.close(self._fd)
                self._fd = None


def _line(owner_id: str, entry_id: str, delivered: int) -> bytes:
    return json.dumps([owner_id, entry_id, delivered], ensure_ascii=False).encode() + b"\n"
