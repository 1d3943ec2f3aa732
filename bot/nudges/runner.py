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
from bot.nudges import budget, rules
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
    kinds: tuple[str, ...] = ()
    """Every kind the message carries (the memo may carry a posting or replies reminder)."""


class NudgeRunner:
    """Looks at the owners whose next check has come and claims their due nudges."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store
        self.flows = engine.flows

    def sweep(self, now: datetime, dry_run: bool = False, background: bool = False) -> list[Claimed]:
        """Claim every due nudge at `now` (with `dry_run`, only say what would be claimed).

        The memos' charts are drawn ahead, outside the owners' locks: before this returns, or
        with `background` while the push goes out (a memo waits for its chart if need be).
        """
        claimed: list[Claimed] = []
        due = self.store.due_owners(now.astimezone(UTC).isoformat())
        self.store.update_many(due, lambda record: self._update(record, now, dry_run, claimed))
        if not dry_run:
            self.engine.pictures.prepare(
                ((c.owner_id, r.attachment) for c in claimed for r in c.replies if r.attachment is not None),
                background=background,
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
        """Claim what is due as one message, within the budget (see `rules.due`)."""
        dues = rules.due(record, self.flows, now)
        if not dues:
            return []
        translator = self.engine.translators[record.language]
        kinds = [d.kind for d in dues]
        if record.nudges.unanswered >= rules.MAX_UNANSWERED and kinds != [rules.FAREWELL]:
            # Three messages without a word back: say once that reminders pause, and stop.
            kinds = [rules.PAUSED]
            record.prefs.auto_paused = True
            record.nudges.sent[rules.PAUSED] = now.isoformat()
        replies = tuple(compose(kinds, record, self.flows, translator, now))
        for due in dues:
            record.nudges.sent[due.kind] = due.period
        main = next((d for k in (rules.REVIEW, rules.WEEKLY) for d in dues if d.kind == k), dues[0])
        kind = kinds[0] if kinds in ([rules.PAUSED], [rules.FAREWELL]) else main.kind
        for each in kinds:
            rules.note_sent(record, each)
        record.nudges.last_kind = kind  # the one a reaction is counted for
        record.nudges.unanswered += 1
        budget.note_bundle(record, now)
        entry_id, at = f"{record.owner_id}|{kind}|{main.period}", now.astimezone(UTC).isoformat()
        record.outbox.append(outbox.new_entry(entry_id, kind, at, replies))
        return [Claimed(record.owner_id, kind, main.period, replies, tuple(kinds))]

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
