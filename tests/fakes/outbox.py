"""What tests look for in an owner's outbox."""

from __future__ import annotations

from bot.store.base import Store


def waiting_for_next_round(store: Store, owner_id: str) -> bool:
    """True once the owner has messages in their outbox that no deliverer holds any more."""
    record = store.get(owner_id)
    return record is not None and bool(record.outbox) and all(e.lease is None for e in record.outbox)
