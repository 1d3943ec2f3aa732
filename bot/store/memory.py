"""The in-memory twin of the store, for fast tests and benchmarks of the engine alone."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from bot.store.base import OwnerRecord, Store


class MemoryStore(Store):
    """Keeps records as documents in a dict, copied in and out like a real store would."""

    def __init__(self) -> None:
        super().__init__()
        self._docs: dict[str, dict[str, Any]] = {}
        self._installations: dict[str, dict[str, Any]] = {}

    def get(self, owner_id: str) -> OwnerRecord | None:
        """Return a copy of the owner's record."""
        doc = self._docs.get(owner_id)
        return OwnerRecord.from_doc(copy.deepcopy(doc)) if doc is not None else None

    def put(self, record: OwnerRecord) -> None:
        """Keep a copy of the record."""
        self._docs[record.owner_id] = copy.deepcopy(record.to_doc())

    def delete(self, owner_id: str) -> bool:
        """Forget the owner."""
        return self._docs.pop(owner_id, None) is not None

    def owner_ids(self) -> Iterator[str]:
        """Yield every owner id."""
        yield from list(self._docs)

    def get_installation(self, key: str) -> dict[str, Any] | None:
        """Return a copy of the installation."""
        doc = self._installations.get(key)
        return copy.deepcopy(doc) if doc is not None else None

    def put_installation(self, key: str, doc: dict[str, Any]) -> None:
        """Keep a copy of the installation."""
        self._installations[key] = copy.deepcopy(doc)

    def delete_installation(self, key: str) -> bool:
        """Forget the installation."""
        return self._installations.pop(key, None) is not None
