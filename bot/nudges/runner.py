"""The nudge runner: claims what is due into each owner's outbox, once, under the owner's lock.

Claiming and queueing are one write of the owner's record (the period is marked sent and the
messages are put in the outbox together), so a nudge is never claimed twice, by one runner or
two, and a claimed nudge is never lost: it waits in the outbox until a channel delivers it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from bot import outbox
from bot.engine import Engine
from bot.events import Reply
from bot.nudges import rules
from bot.nudges.compose import compose
from bot.store.base import OwnerRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    """One nudge claimed for one owner."""

    owner_id: str
    kind: str
    period: str
    replies: tuple[Reply, ...]


class NudgeRunner:
    """Looks at the owners whose next check has come and claims their due nudges."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store
        self.flows = engine.flows

    def sweep(self, now: datetime, dry_run: bool = False) -> list[Claimed]:
        """Claim every due nudge at `now` (with `dry_run`, only say what would be claimed)."""
        claimed: list[Claimed] = []
        due = self.store.due_owners(now.astimezone(UTC).isoformat())
        self.store.update_many(due, lambda record: self._update(record, now, dry_run, claimed))
        if not dry_run:  # the weekly charts, drawn before the push (outside the owners' locks)
            self.engine.pictures.prepare(
                (c.owner_id, r.attachment) for c in claimed for r in c.replies if r.attachment is not None
            )
        return claimed

    def claim(self, owner_id: str, now: datetime, dry_run: bool = False) -> list[Claimed]:
        """Claim one owner's due nudges into their outbox."""
        claimed: list[Claimed] = []
        self.store.update_many([owner_id], lambda record: self._update(record, now, dry_run, claimed))
        return claimed

    def _update(self, record: OwnerRecord, now: datetime, dry_run: bool, claimed: list[Claimed]) -> bool:
        """Claim what is due and set the next check; tell whether the record changed."""
        found = self._claim(record, now)
        claimed += found
        upcoming = rules.next_check(record, self.flows, now)
        next_check_at = upcoming.astimezone(UTC).isoformat() if upcoming else None
        if dry_run or not (found or next_check_at != record.next_check_at):
            return False
        record.next_check_at = next_check_at
        return True

    def _claim(self, record: OwnerRecord, now: datetime) -> list[Claimed]:
        translator = self.engine.translators[record.language]
        found = []
        for due in rules.due(record, self.flows, now):
            kind = due.kind
            if record.nudges.unanswered >= rules.MAX_UNANSWERED:
                # Three nudges without a word back: say once that reminders pause, and stop.
                kind = rules.PAUSED
                record.prefs.auto_paused = True
            replies = tuple(compose(kind, record, self.flows, translator, now))
            record.nudges.sent[due.kind] = due.period
            rules.note_sent(record, kind)
            record.nudges.unanswered += 1
            entry_id, at = f"{record.owner_id}|{kind}|{due.period}", now.astimezone(UTC).isoformat()
            record.outbox.append(outbox.new_entry(entry_id, kind, at, replies))
            found.append(Claimed(record.owner_id, kind, due.period, replies))
            if kind == rules.PAUSED:
                break
        return found

    def take_outbox(self, owner_id: str) -> list[Reply]:
        """Hand over an owner's waiting messages to a channel that shows them right away."""
        with self.store.lock(owner_id):
            record = self.store.get(owner_id)
            if record is None or not record.outbox:
                return []
            replies = [reply for entry in record.outbox for reply in entry.pending]
            record.outbox = []
            self.store.put(record)
            return replies
