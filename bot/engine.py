"""The coaching engine: one channel-neutral entry point, `Engine.handle(event) -> replies`.

It loads the owner's record, hands the event to the conversation (`bot.conversation`), the
commands (`bot.commands`) or a waiting prompt (`bot.prompts`), saves the record, and returns
what to show. It knows no channel: Telegram, Slack and the terminal translate their updates into
`InboundEvent`s and `Reply`s into their own API.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot import commands, conversation, intents, outbox, prompts
from bot.answers import sanitise_text
from bot.events import InboundEvent, Reply
from bot.feeds import pasted
from bot.feeds.command import FeedCommands
from bot.flows import DONE, Flows
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translator, normalise_language
from bot.machine import build_machine
from bot.nudges import rules
from bot.nudges.places import find_timezone
from bot.pictures.studio import Pictures
from bot.store.base import OwnerRecord, Store, StoreError
from bot.turn import Turn

log = logging.getLogger(__name__)


class Engine:
    """Drives every owner through the flows; safe to call from several threads."""

    def __init__(
        self,
        flows: Flows,
        store: Store,
        localedir: Path,
        feeds: FeedCommands | None = None,
        pictures_dir: Path | None = None,
    ) -> None:
        self.flows = flows
        self.store = store
        self.feeds = feeds or FeedCommands()
        self.machine = build_machine(flows)
        self.translators = {lang: Translator(lang, localedir) for lang in LANGUAGES}
        self.pictures = Pictures(flows, store, self.translators, localedir, pictures_dir)

    def handle(self, event: InboundEvent, keep_for: str | None = None) -> list[Reply]:
        """Answer one event from one owner; an event id seen before gets no answer.

        With `keep_for` (a deliverer's id), the replies are also kept in the owner's outbox,
        leased to that deliverer, in the same write as the answer: should the process die before
        they are sent, they wait there for the next round instead of being lost.
        """
        with self.store.lock(event.owner_id):
            try:
                record = self.store.get(event.owner_id)
            except StoreError:
                log.exception("cannot read the record of owner %s", event.owner_id)
                return [Reply(self._fallback_translator(event).tr("error.internal"))]
            if record is None:
                record = self._new_record(event)
            if event.event_id and not record.remember_event(event.event_id):
                log.info("owner %s: event %s already handled", event.owner_id, event.event_id)
                return []
            turn = Turn(self, record, event)
            try:
                replies = run(turn)
            except Exception:
                # Nothing is saved: the record stays as it was before this event.
                log.exception("owner %s: failed to handle an event", event.owner_id)
                return [Reply(self.translators[record.language].tr("error.internal"))]
            if turn.erase:
                self.store.delete(event.owner_id)
                self.pictures.forget(event.owner_id)
                log.info("owner %s erased at their request", event.owner_id)
                return replies
            rules.note_reaction(record)  # any word from the owner is a reaction
            record.active = True
            record.updated_at = event.at.isoformat()
            upcoming = rules.next_check(record, self.flows, event.at)
            record.next_check_at = upcoming.astimezone(UTC).isoformat() if upcoming else None
            if keep_for is not None and replies:
                kept = outbox.new_entry(
                    outbox.reply_entry_id(event), "reply", record.updated_at, replies, keep_for
                )
                record.outbox.append(kept)
            self.store.put(record)
            return replies

    def overview(self, owner_id: str, at: datetime) -> Overview | None:
        """Where the owner stands and their plan so far, for a home screen; reads, never writes."""
        record = self.store.get(owner_id)
        if record is None or not record.state:
            return None
        turn = Turn(self, record, InboundEvent(owner_id, record.channel, at))
        progress, *chart = commands.progress(turn, "")
        pictured = chart[0] if chart and chart[0].attachment is not None else None
        return Overview(record.language, progress.text, conversation.plan_text(turn), pictured)

    def _new_record(self, event: InboundEvent) -> OwnerRecord:
        told = normalise_language(event.language)
        stamp = event.at.isoformat()
        came_from = sanitise_text(event.args)[:64] if event.command == "start" and event.args else None
        record = OwnerRecord(
            event.owner_id,
            event.channel,
            told or DEFAULT_LANGUAGE,
            state="",
            created_at=stamp,
            updated_at=stamp,
            came_from=came_from or None,
        )
        if told:  # the channel says which language: no need to ask
            record.answers["language"] = told
        record.prefs.timezone = find_timezone(event.timezone or "")  # the platform's, if it knows
        return record

    def _fallback_translator(self, event: InboundEvent) -> Translator:
        return self.translators[normalise_language(event.language) or DEFAULT_LANGUAGE]


@dataclass(frozen=True)
class Overview:
    """An owner's progress and plan as texts in their language, for a home screen."""

    language: str
    progress: str
    plan: str
    chart: Reply | None = None
    """The chart of the weeks once the plan is made (its text says the figures in words)."""


def run(turn: Turn) -> list[Reply]:
    """Answer one event: a first word, a command, a tap on a prompt, an answer, or free text."""
    record, event = turn.record, turn.event
    if not record.state:
        return conversation.begin(turn)
    if event.command is not None:
        return commands.run(turn, event.command, event.args)
    meta = [c for c in event.choices if ":" in c]
    if meta:
        return prompts.meta_choice(turn, meta[0])
    if record.prompt:
        matched = prompts.match_prompt(turn)
        if matched is not None:
            return prompts.meta_choice(turn, matched)
        record.prompt = None
    if record.state == DONE:
        return free_text(turn)
    return conversation.answer(turn, turn.flows.steps[record.state])


def free_text(turn: Turn) -> list[Reply]:
    """Typed text after the plan: a post's link, or what the owner most likely wants."""
    text = turn.event.text or ""
    noted = pasted.note_link(turn.record, text, turn.flows, turn.t, turn.now)
    if noted:
        return [Reply(noted)]
    polite = intents.courtesy(text)
    if polite:
        return [Reply(turn.t.tr("done." + polite))]
    found = intents.match(text) if not turn.event.choices else None
    if found is None:
        return [Reply(turn.t.tr("done.idle"))]
    if found.sure:
        return commands.run(turn, found.command, found.args)
    label = "/" + " ".join(x for x in (found.command, found.args) if x)
    return prompts.suggest(turn, found.command, found.args, label)
