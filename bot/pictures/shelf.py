"""Pictures kept once drawn, per owner, under the data folder (or in memory for tests and tools).

The outbox keeps only a reference to a picture (`Attachment.ref`), never its bytes: an owner's
record stays small however many charts they get. A picture is kept under a hash of its owner, by
name (`chart-2026-11-29`, `card-pdf`) and by a digest of what it was drawn from, so a picture
drawn ahead of the weekly push is found when the message goes out, and a record changed since
gets a fresh drawing. An owner keeps one version per name; pictures older than `KEEP` are
dropped when the owner's next one is kept, and all of them when the owner is erased.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

KEEP = 15 * 24 * 3600.0
"""Seconds a picture is kept: two weekly check-ins."""
MEMORY_ITEMS = 512
"""Pictures kept by a shelf without a folder (the least recently kept go first)."""


def owner_key(owner_id: str) -> str:
    """A folder name for an owner that reveals nothing and needs no escaping."""
    return hashlib.sha256(owner_id.encode()).hexdigest()[:24]


class Shelf:
    """Drawn pictures by owner, name and digest: files under `folder`, or memory when it is None."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._memory: OrderedDict[tuple[str, str], tuple[str, bytes]] = OrderedDict()
        self._guard = threading.Lock()

    def _path(self, owner_id: str, name: str, digest: str) -> Path:
        assert self.folder is not None
        return self.folder / owner_key(owner_id) / f"{name}.{digest[:20]}"

    def fetch(self, owner_id: str, name: str, digest: str) -> bytes | None:
        """The picture drawn from `digest`'s inputs, if it was kept."""
        if self.folder is None:
            with self._guard:
                kept = self._memory.get((owner_id, name))
            return kept[1] if kept and kept[0] == digest else None
        try:
            return self._path(owner_id, name, digest).read_bytes()
        except FileNotFoundError:
            return None

    def keep(self, owner_id: str, name: str, digest: str, data: bytes) -> None:
        """Keep a picture (atomically: a reader sees the whole file or none), replacing older versions."""
        if self.folder is None:
            with self._guard:
                self._memory[(owner_id, name)] = (digest, data)
                self._memory.move_to_end((owner_id, name))
                while len(self._memory) > MEMORY_ITEMS:
                    self._memory.popitem(last=False)
            return
        target = self._path(owner_id, name, digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".drawing-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
        self._tidy(target)

    def _tidy(self, kept: Path) -> None:
        """Drop the owner's other versions of this picture, and their pictures past `KEEP`."""
        name = kept.name.rsplit(".", 1)[0]
        limit = time.time() - KEEP
        for path in kept.parent.iterdir():
            if path == kept:
                continue
            try:
                if path.name.rsplit(".", 1)[0] == name or path.stat().st_mtime < limit:
                    path.unlink()
            except FileNotFoundError:
                pass  # another thread tidied it first

    def forget(self, owner_id: str) -> None:
        """Erase every picture of an owner (their data is being deleted)."""
        if self.folder is None:
            with self._guard:
                for key in [k for k in self._memory if k[0] == owner_id]:
                    del self._memory[key]
            return
        shutil.rmtree(self.folder / owner_key(owner_id), ignore_errors=True)
