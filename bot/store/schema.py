"""The stored record's schema version and the migrations that bring old records up to date."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SCHEMA_VERSION = 1

# MIGRATIONS[n] turns a version-n document into a version-(n+1) one.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def migrate(doc: dict[str, Any]) -> dict[str, Any]:
    """Bring a stored document up to SCHEMA_VERSION, step by step."""
    from bot.store.base import StoreError

    version = doc.get("v", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise StoreError(
            f"record of {doc.get('owner_id')!r} has schema {version!r}, newer than this coach "
            f"({SCHEMA_VERSION}): upgrade the coach"
        )
    while version < SCHEMA_VERSION:
        doc = MIGRATIONS[version](doc)
        version += 1
        doc["v"] = version
    return doc
