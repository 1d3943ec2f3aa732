"""The coaching engine: one channel-neutral entry point, `Engine.handle(event) -> replies`.

It loads the owner's record, works out the answer to one event with the flows and the shared
state machine, saves the record, and returns what to show. It knows no channel: Telegram, Slack
and the terminal translate their updates into `InboundEvent`s and `Reply`s into their own API.

The module is longer than most: `_Turn` is the handling of one event, and every command shares
its few helpers (ask the current question, advance, the owner's translator); the work itself
lives in `answers`, `plan`, `tracking`, `owner_settings` and `nudges`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import data_rights, outbox, owner_settings, plan, tracking
from bot.answers import Invalid, match_choice, parse_answer, sanitise_text
from bot.conditions import holds
from bot.events import COMMANDS, Attachment, Choice, InboundEvent, Reply
from bot.feeds import pasted
from bot.feeds.command import FeedCommands, counted_already
from bot.flows import DONE, Flows, Step
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translator, normalise_language
from bot.machine import build_machine, next_state
from bot.nudges import rules
from bot.pictures import replies as pictures
from bot.pictures.studio import Pictures
from bot.store.base import OwnerRecord, Store, StoreError

log = logging.getLogger(__name__)

RESTART, LANGUAGE, PLAN_EDIT, DELETE = "restart", "language", "plan_edit", "delete"
"""Prompts outside the flows that wait for a choice (kept in `OwnerRecord.prompt`)."""


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
        shared: dict[str, int] = {}
        for step in flows.steps.values():
            for variant in step.after:
                shared[variant.text] = shared.get(variant.text, 0) + 1
        self._generic_after = {key for key, uses in shared.items() if uses > 1}

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
            turn = _Turn(self, record, event)
            try:
                replies = turn.run()
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
        turn = _Turn(self, record, InboundEvent(owner_id, record.channel, at))
        progress, *chart = turn.cmd_progress("")
        pictured = chart[0] if chart and chart[0].attachment is not None else None
        return Overview(record.language, progress.text, turn.plan_text(), pictured)

    def _new_record(self, event: InboundEvent) -> OwnerRecord:
        language = normalise_language(event.language) or DEFAULT_LANGUAGE
        stamp = event.at.isoformat()
        came_from = sanitise_text(event.args)[:64] if event.command == "start" and event.args else None
        return OwnerRecord(
            event.owner_id, event.channel, language, state="", created_at=stamp, updated_at=stamp,
            came_from=came_from or None,
        )

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


@dataclass
class _Turn:
    """The handling of one event for one owner: reads and changes `record`, returns replies."""

    engine: Engine
    record: OwnerRecord
    event: InboundEvent
    erase: bool = False

    @property
    def flows(self) -> Flows:
        return self.engine.flows

    @property
    def t(self) -> Translator:
        return self.engine.translators[self.record.language]

    @property
    def now(self) -> datetime:
        return self.event.at

    # --- dispatch -------------------------------------------------------------------------

    def run(self) -> list[Reply]:
        if not self.record.state:
            return self.begin()
        if self.event.command is not None:
            return self.command(self.event.command, self.event.args)
        meta = [c for c in self.event.choices if ":" in c]
        if meta:
            return self.meta_choice(meta[0])
        if self.record.prompt:
            matched = self.match_prompt()
            if matched is not None:
                return self.meta_choice(matched)
            self.record.prompt = None
        if self.record.state == DONE:
            noted = pasted.note_link(self.record, self.event.text or "", self.flows, self.t, self.now)
            return [Reply(noted or self.t.tr("done.idle"))]
        return self.answer(self.flows.steps[self.record.state])

    def begin(self) -> list[Reply]:
        self.record.state = self.flows.first
        return self.emit_from(self.flows.first)

    # --- commands -------------------------------------------------------------------------

    def command(self, name: str, args: str) -> list[Reply]:
        self.record.prompt = None
        if name not in COMMANDS:
            shown = sanitise_text(name)[:32]
            return [Reply(self.t.tr("input.unknown_command", command="/" + shown)), *self.ask_current()]
        handler = getattr(self, "cmd_" + name)
        replies: list[Reply] = handler(args)
        return replies

    def cmd_start(self, args: str) -> list[Reply]:
        if self.record.state == DONE:
            return [Reply(self.t.tr("start.already_done"))]
        return [Reply(self.t.tr("start.welcome_back")), *self.ask_current()]

    def cmd_help(self, args: str) -> list[Reply]:
        lines = [self.t.tr("help.text"), ""]
        lines += [f"/{name} — {self.t.tr('command.' + name)}" for name in COMMANDS]
        return [Reply("\n".join(lines)), *self.ask_current()]

    def cmd_progress(self, args: str) -> list[Reply]:
        state = self.record.state
        if state == DONE:
            week = tracking.week_view(self.record, self.flows, self.t, self.now)
            return [Reply(week), *pictures.progress_chart(self.record, self.flows, self.t, self.now)]
        module = self.flows.module_of(state)
        counted = self.flows.modules[1:]
        step_no, total = module.step_ids.index(state) + 1, len(module.step_ids)
        if module is self.flows.modules[0]:
            text = self.t.tr("progress.onboarding", step=step_no, total=total)
        else:
            text = self.t.tr(
                "progress.module",
                module=counted.index(module) + 1,
                modules=len(counted),
                title=self.t.tr(module.title),
                step=step_no,
                total=total,
            )
        return [Reply(text), *self.ask_current()]

    def cmd_back(self, args: str) -> list[Reply]:
        self.record.editing = False
        if not self.record.history:
            return [Reply(self.t.tr("back.at_start")), *self.ask_current()]
        self.record.state = self.record.history.pop()
        return self.ask_current()

    def cmd_skip(self, args: str) -> list[Reply]:
        if self.record.state == DONE:
            return [Reply(self.t.tr("skip.nothing"))]
        step = self.flows.steps[self.record.state]
        default = self.default_for(step)
        if default is None:
            return [Reply(self.t.tr("skip.ok")), *self.advance(step, show_after=False)]
        self.record.answers[step.id] = default
        shown = plan.format_answer(step, default, self.t, plan.currency(self.record.answers, self.flows))
        return [Reply(self.t.tr("skip.default", value=shown)), *self.advance(step, show_after=True)]

    def cmd_restart(self, args: str) -> list[Reply]:
        return self.confirm(RESTART)

    def confirm(self, prompt: str) -> list[Reply]:
        """Ask yes or no before something that cannot be undone (`restart`, `delete`)."""
        self.record.prompt = prompt
        choices = tuple(Choice(f"{prompt}:{c}", self.t.tr(f"{prompt}.{c}")) for c in ("yes", "no"))
        return [Reply(self.t.tr(f"{prompt}.confirm"), choices=choices, step="@" + prompt)]

    def cmd_language(self, args: str) -> list[Reply]:
        wanted = normalise_language(args)
        if wanted:
            return self.switch_language(wanted)
        self.record.prompt = LANGUAGE
        step = self.flows.steps.get("language")
        question = self.t.tr(step.text) if step else ""
        return [
            Reply(
                question,
                choices=tuple(Choice("lang:" + lang, self.t.tr("language." + lang)) for lang in LANGUAGES),
                step="@" + LANGUAGE,
            )
        ]

    def plan_text(self) -> str:
        return plan.render(self.flows, self.record.answers, self.t, self._completed_at(), self.now)

    def cmd_plan(self, args: str) -> list[Reply]:
        if pictures.wants_card(args):
            return [*pictures.card_replies(self.record, self.t), *self.ask_current()]
        text = self.plan_text()
        if self.record.state != DONE:
            return [Reply(self.t.tr("plan.not_finished") + "\n\n" + text), *self.ask_current()]
        self.record.prompt = PLAN_EDIT
        choices = tuple(
            Choice("edit:" + step.id, self.t.tr("plan." + str(step.plan_field)))
            for step in self.flows.plan_steps()
        )
        return [Reply(text), Reply(self.t.tr("plan.edit_prompt"), choices=choices, step="@" + PLAN_EDIT)]

    # --- tracking and reminders --------------------------------------------------------------

    def cmd_posted(self, args: str) -> list[Reply]:
        parsed = tracking.parse_posted(args, self.flows, self.all_translators)
        if parsed is None:
            return [Reply(self.t.tr("track.usage_posted")), *self.ask_current()]
        network, promo = parsed
        matched = tracking.log_post(self.record, self.now, network, promo)
        details = [tracking.network_label(self.flows, network, self.t)] if network else []
        details += [self.t.tr("track.promo")] if promo else []
        text = self.t.tr("track.posted", details=f" ({', '.join(details)})" if details else "")
        if matched is not None:  # a feed or a link had counted it already (bot.feeds.counting)
            text = counted_already(matched, self.flows, self.t)
        return [
            Reply(text + "\n\n" + tracking.week_view(self.record, self.flows, self.t, self.now)),
            *self.ask_current(),
        ]

    def cmd_pending(self, args: str) -> list[Reply]:
        count = self.t.parse_number(args) if args.strip() else None
        if count is None or not float(count).is_integer() or not 0 <= count <= tracking.MAX_WAITING:
            return [Reply(self.t.tr("track.usage_pending")), *self.ask_current()]
        tracking.set_waiting(self.record, int(count), self.now)
        key = "track.pending" if count else "track.pending_none"
        return [Reply(self.t.tr(key, count=self.t.number(count))), *self.ask_current()]

    def cmd_replied(self, args: str) -> list[Reply]:
        waiting = self.record.waiting.count
        answered = self.t.parse_number(args) if args.strip() else waiting
        if answered is None or not float(answered).is_integer() or answered < 0:
            return [Reply(self.t.tr("track.usage_replied")), *self.ask_current()]
        left = max(0, waiting - int(answered))
        tracking.set_waiting(self.record, left, self.now)
        text = (
            self.t.tr("track.replied", count=self.t.number(left)) if left else self.t.tr("track.replied_all")
        )
        return [Reply(text), *self.ask_current()]

    def cmd_settings(self, args: str) -> list[Reply]:
        if not args.strip():
            return owner_settings.show(self.record, self.t)
        text = owner_settings.change(self.record, args, self.t, self.all_translators, self.now)
        return [Reply(text), *self.ask_current()]

    def cmd_feeds(self, args: str) -> list[Reply]:
        text = self.engine.feeds.run(self.record, args, self.flows, self.t, self.now)
        return [Reply(text), *self.ask_current()]

    # --- data rights ------------------------------------------------------------------------

    def cmd_export(self, args: str) -> list[Reply]:
        document = data_rights.export_document(self.record, self.now)
        name = data_rights.export_filename(self.record.owner_id, self.now)
        return [Reply(self.t.tr("export.ready"), attachment=Attachment(name, document))]

    def cmd_delete(self, args: str) -> list[Reply]:
        return self.confirm(DELETE)

    def checkin(self, value: str) -> list[Reply]:
        question, _, answer = value.partition(":")
        if question == "posted" and answer in ("yes", "no"):
            if answer == "yes":
                tracking.log_post(self.record, self.now, None, False)
        elif question == "waiting" and answer in tracking.WAITING_BUCKETS:
            low, high = tracking.WAITING_BUCKETS[answer]
            current = self.record.waiting.count
            tracking.set_waiting(self.record, min(max(current, low), high), self.now)
        elif question == "replied" and answer == "all":
            tracking.set_waiting(self.record, 0, self.now)
        else:
            return [Reply(self.t.tr("input.stale_choice")), *self.ask_current()]
        return [Reply(self.t.tr("checkin.thanks")), *self.ask_current()]

    @property
    def all_translators(self) -> list[Translator]:
        return list(self.engine.translators.values())

    # --- prompts outside the flows ---------------------------------------------------------

    def prompt_choices(self) -> list[tuple[str, list[str]]]:
        """The waiting prompt's choice ids with every label they are known by."""
        prompt = self.record.prompt
        translators = self.engine.translators.values()
        if prompt in (RESTART, DELETE):
            return [
                (f"{prompt}:{c}", [t.tr(f"{prompt}.{c}") for t in translators] + [c]) for c in ("yes", "no")
            ]
        if prompt == LANGUAGE:
            return [
                ("lang:" + lang, [t.tr("language." + lang) for t in translators] + [lang])
                for lang in LANGUAGES
            ]
        if prompt == PLAN_EDIT:
            return [
                ("edit:" + s.id, [t.tr("plan." + str(s.plan_field)) for t in translators])
                for s in self.flows.plan_steps()
            ]
        return []

    def match_prompt(self) -> str | None:
        options = self.prompt_choices()
        text = self.event.text or ""
        index = match_choice(text, [labels for _, labels in options])
        return options[index][0] if index is not None else None

    def meta_choice(self, choice: str) -> list[Reply]:
        kind, _, value = choice.partition(":")
        prompt, self.record.prompt = self.record.prompt, None
        if kind == "lang" and value in LANGUAGES:
            return self.switch_language(value)
        if kind == "checkin":
            return self.checkin(value)
        if kind == "settings" and value in owner_settings.ONE_TAP:
            return [Reply(owner_settings.switch(self.record, value, self.t)), *self.ask_current()]
        if kind == "restart" and prompt == RESTART:
            if value == "yes":
                return self.restart()
            return [Reply(self.t.tr("restart.cancelled")), *self.ask_current()]
        if kind == "delete" and prompt == DELETE:
            if value == "yes":
                self.erase = True
                return [Reply(self.t.tr("delete.done"))]
            return [Reply(self.t.tr("delete.cancelled")), *self.ask_current()]
        if kind == "edit" and self.record.state == DONE:
            step = self.flows.steps.get(value)
            if step is not None and step.plan_field:
                self.record.state, self.record.editing = step.id, True
                return self.ask_current()
        return [Reply(self.t.tr("input.stale_choice")), *self.ask_current()]

    def switch_language(self, language: str) -> list[Reply]:
        self.record.language = language
        if "language" in self.flows.steps and self.record.state == "language":
            self.record.answers["language"] = language
            return [Reply(self.t.tr("language.changed")), *self.advance(self.flows.steps["language"], False)]
        return [Reply(self.t.tr("language.changed")), *self.ask_current()]

    def restart(self) -> list[Reply]:
        self.record.answers.clear()
        self.record.history.clear()
        self.record.editing = False
        self.record.completed_at = None
        return self.begin()

    # --- the flow ---------------------------------------------------------------------------

    def answer(self, step: Step) -> list[Reply]:
        if self.event.step and self.event.choices and self.event.step != step.id:
            return [Reply(self.t.tr("input.stale_choice")), *self.ask_current()]
        result = parse_answer(
            step, self.event.text, self.event.choices, self.t, list(self.engine.translators.values())
        )
        if isinstance(result, Invalid):
            return [Reply(self.t.tr(result.key, **result.values)), self.ask(step)]
        self.record.answers[step.id] = result
        if step.sets == "language":
            self.record.language = str(result)
        return self.advance(step, show_after=True)

    def advance(self, step: Step, show_after: bool) -> list[Reply]:
        replies = self.after(step) if show_after else []
        if self.record.editing:
            self.record.editing = False
            self.record.state = DONE
            text = plan.render(self.flows, self.record.answers, self.t, self._completed_at(), self.now)
            return [*replies, Reply(self.t.tr("plan.updated") + "\n\n" + text)]
        self.record.history.append(step.id)
        target = next_state(self.engine.machine, step.id, self.record.answers)
        return [*replies, *self.emit_from(target)]

    def emit_from(self, state: str) -> list[Reply]:
        """Show messages from `state` on until a question (asked) or the end."""
        replies = []
        while state != DONE:
            step = self.flows.steps[state]
            if step.is_question:
                self.record.state = state
                replies.append(self.ask(step))
                return replies
            replies.append(self.message(step))
            state = next_state(self.engine.machine, state, self.record.answers)
        self.record.state = DONE
        if self.record.completed_at is None:
            self.record.completed_at = self.now.isoformat()
        return replies

    def ask_current(self) -> list[Reply]:
        if self.record.state == DONE:
            return []
        return [self.ask(self.flows.steps[self.record.state])]

    def ask(self, step: Step) -> Reply:
        text = self.fill(self.pick_text(step))
        if step.kind == "multiple":
            text += "\n" + self.t.tr("multiple.hint")
        choices = tuple(Choice(c.id, self.t.tr(c.label)) for c in step.choices)
        return Reply(
            text,
            choices=choices,
            multiple=step.kind == "multiple",
            step=step.id,
            done_label=self.t.tr("multiple.done") if step.kind == "multiple" else None,
        )

    def message(self, step: Step) -> Reply:
        text = self.fill(self.pick_text(step))
        if step.render == "top_risks":
            risks = plan.top_risks(self.flows, self.record.answers)
            if risks:
                text += "\n" + "\n".join(
                    f"{n}. {self.t.tr(str(s.risk_label))}" for n, s in enumerate(risks, 1)
                )
            else:
                text = self.t.tr("top_risks.none")
        elif step.render == "plan":
            text += "\n\n" + plan.render(
                self.flows, self.record.answers, self.t, self._completed_at(), self.now
            )
        return Reply(self.cite(text, step))

    def after(self, step: Step) -> list[Reply]:
        for variant in step.after:
            if holds(variant.when, self.record.answers):
                text = self.fill(variant.text)
                if variant.text not in self.engine._generic_after:
                    text = self.cite(text, step)
                return [Reply(text)]
        return []

    def pick_text(self, step: Step) -> str:
        for variant in step.variants:
            if holds(variant.when, self.record.answers):
                return variant.text
        return step.text

    def fill(self, key: str) -> str:
        if not self.t.has_placeholders(key):
            return self.t.tr(key)
        values = plan.placeholders(self.flows, self.record.answers, self.t, self._completed_at(), self.now)
        return self.t.tr(key, **values)

    def cite(self, text: str, step: Step) -> str:
        if not step.sources:
            return text
        articles = dict.fromkeys(s[0] for s in step.sources)
        lines = [
            self.t.tr(
                "source.cite",
                title=self.flows.sources[a].title,
                author=self.t.tr(self.flows.sources[a].author),
            )
            for a in articles
        ]
        return text + "\n\n" + "\n".join(lines)

    def default_for(self, step: Step) -> Any:
        default = step.default
        if isinstance(default, dict):
            value = self.record.answers.get(default["answer"])
            if step.kind == "number" and isinstance(value, int | float) and step.min is not None:
                return min(max(value, step.min), step.max if step.max is not None else value)
            return value
        return default

    def _completed_at(self) -> str | None:
        return self.record.completed_at
