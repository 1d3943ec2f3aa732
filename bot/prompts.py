"""Questions outside the flows that wait for a tap or a typed answer.

Confirmations, the language, which plan part to change, and "did you mean …?" for free text.
The one waiting is kept in `OwnerRecord.prompt`; its choices carry `kind:value` ids.
"""

from __future__ import annotations

from bot import conversation, intents, owner_settings, tracking
from bot.answers import match_choice
from bot.events import Choice, Reply
from bot.flows import DONE
from bot.i18n import LANGUAGES
from bot.nudges import places, posting, review
from bot.turn import Turn

RESTART, LANGUAGE, PLAN_EDIT, DELETE, INTENT = "restart", "language", "plan_edit", "delete", "intent"


def confirm(turn: Turn, prompt: str) -> list[Reply]:
    """Ask yes or no before something that cannot be undone (`restart`, `delete`)."""
    turn.record.prompt = prompt
    choices = tuple(Choice(f"{prompt}:{c}", turn.t.tr(f"{prompt}.{c}")) for c in ("yes", "no"))
    return [Reply(turn.t.tr(f"{prompt}.confirm"), choices=choices, step="@" + prompt)]


def ask_language(turn: Turn) -> list[Reply]:
    """Offer the languages."""
    turn.record.prompt = LANGUAGE
    step = turn.flows.steps.get("language")
    question = turn.t.tr(step.text) if step else ""
    choices = tuple(Choice("lang:" + lang, turn.t.tr("language." + lang)) for lang in LANGUAGES)
    return [Reply(question, choices=choices, step="@" + LANGUAGE)]


def plan_edit_choices(turn: Turn) -> tuple[Choice, ...]:
    """One option per part of the plan."""
    return tuple(
        Choice("edit:" + step.id, turn.t.tr("plan." + str(step.plan_field)))
        for step in turn.flows.plan_steps()
    )


def ask_plan_edit(turn: Turn, text: str) -> list[Reply]:
    """Offer to change one part of the plan."""
    turn.record.prompt = PLAN_EDIT
    return [Reply(text, choices=plan_edit_choices(turn), step="@" + PLAN_EDIT)]


def edit(turn: Turn, step_id: str) -> list[Reply]:
    """Reopen one part of the finished plan; reminders go on meanwhile."""
    step = turn.flows.steps.get(step_id)
    if step is None or not step.plan_field or turn.record.completed_at is None:
        return conversation.then_ask(turn, turn.t.tr("input.stale_choice"))
    turn.record.state, turn.record.editing = step.id, True
    return conversation.ask_current(turn)


def suggest(turn: Turn, command: str, args: str, label: str) -> list[Reply]:
    """Ask whether free text meant a command ("did you mean …?")."""
    turn.record.prompt = INTENT
    choices = (
        Choice(f"intent:{command}:{args}", turn.t.tr("intent.yes")),
        Choice("intent:-", turn.t.tr("intent.no")),
    )
    return [Reply(turn.t.tr("intent.did_you_mean", what=label), choices=choices, step="@" + INTENT)]


def prompt_choices(turn: Turn) -> list[tuple[str, list[str]]]:
    """The waiting prompt's choice ids with every label they are known by."""
    prompt = turn.record.prompt
    translators = turn.all_translators
    if prompt in (RESTART, DELETE):
        return [(f"{prompt}:{c}", [t.tr(f"{prompt}.{c}") for t in translators] + [c]) for c in ("yes", "no")]
    if prompt == LANGUAGE:
        return [
            ("lang:" + lang, [t.tr("language." + lang) for t in translators] + [lang]) for lang in LANGUAGES
        ]
    if prompt == PLAN_EDIT:
        return [
            ("edit:" + s.id, [t.tr("plan." + str(s.plan_field)) for t in translators])
            for s in turn.flows.plan_steps()
        ]
    if prompt == places.PROMPT:
        return [
            (f"{places.PROMPT}:{zone}", [places.place(zone, t.language) for t in translators])
            for zone in places.LIKELY[turn.t.language]
        ]
    return []


def match_prompt(turn: Turn) -> str | None:
    """The prompt's choice the owner typed, if any; at "where are you?", any place typed."""
    text = turn.event.text or ""
    at_city = turn.record.prompt == places.PROMPT
    if at_city and (places.find_timezone(text) or places.is_country_of_many_zones(text)):
        return places.PROMPT + ":"  # `places.answer` reads what was typed
    zone = turn.record.prefs.timezone
    if at_city and zone and intents.agrees(text):  # "ok", "merci": the zone assumed suits them
        return f"{places.PROMPT}:{zone}"
    options = prompt_choices(turn)
    index = match_choice(text, [labels for _, labels in options])
    if index is not None:
        return options[index][0]
    if at_city and places.looks_like_place(text):
        said_else = intents.courtesy(text) or intents.match(text)  # "Bonjour", "j'ai publié"
        if not said_else:
            return places.PROMPT + ":"  # an unknown place: `places.answer` says what to type
    return None


def meta_choice(turn: Turn, choice: str) -> list[Reply]:
    """Act on a tapped (or typed) option of a prompt or a reminder."""
    from bot import commands  # a "did you mean" runs a command; commands use these prompts

    kind, _, value = choice.partition(":")
    record, t = turn.record, turn.t
    prompt, record.prompt = record.prompt, None
    if kind == "lang" and value in LANGUAGES:
        return switch_language(turn, value)
    if kind == "checkin":
        return checkin(turn, value)
    if kind == "posting":
        return posting_choice(turn, value)
    if kind == places.PROMPT and record.completed_at is not None:
        return city(turn, value)
    if kind == "review" and record.completed_at is not None:
        return review.answer(record, turn.flows, t, value, turn.now)
    if kind == "chart" and record.completed_at is not None:
        return commands.run(turn, "progress", "")
    if kind == "settings" and value in owner_settings.ONE_TAP:
        return conversation.then_ask(turn, owner_settings.switch(record, value, t))
    if kind == "restart" and prompt == RESTART:
        if value == "yes":
            return restart(turn)
        return conversation.then_ask(turn, t.tr("restart.cancelled"))
    if kind == "delete" and prompt == DELETE:
        if value == "yes":
            turn.erase = True
            return [Reply(t.tr("delete.done"))]
        return conversation.then_ask(turn, t.tr("delete.cancelled"))
    if kind == "edit" and record.state == DONE:
        return edit(turn, value)
    if kind == "intent" and prompt == INTENT:
        name, _, args = value.partition(":")
        if name in commands.BY_NAME:
            return commands.run(turn, name, args)
        return [Reply(t.tr("intent.cancelled"))]
    return conversation.then_ask(turn, t.tr("input.stale_choice"))


def switch_language(turn: Turn, language: str) -> list[Reply]:
    """Speak `language` from now on (at the language question, that answers it)."""
    record = turn.record
    record.language = language
    if "language" in turn.flows.steps and record.state == "language":
        record.answers["language"] = language
        replies = conversation.advance(turn, turn.flows.steps["language"], False)
        return conversation.pack(turn, [turn.t.tr("language.changed")], None) + replies
    return conversation.then_ask(turn, turn.t.tr("language.changed"))


def restart(turn: Turn) -> list[Reply]:
    """Start the journey again from scratch (the language stays)."""
    record = turn.record
    record.answers.clear()
    record.answers["language"] = record.language
    record.history.clear()
    record.taught.clear()
    record.editing = False
    record.completed_at = None
    return conversation.begin(turn)


def posting_choice(turn: Turn, value: str) -> list[Reply]:
    """`posting:ask` offers days and hours that fit the plan; `posting:0,2,4@12:00` keeps one."""
    if turn.record.completed_at is None:
        return conversation.then_ask(turn, turn.t.tr("input.stale_choice"))
    if value == "ask":
        return [posting.offer(turn.record, turn.flows, turn.t)]
    chosen = posting.read(value)
    if chosen is None:
        return conversation.then_ask(turn, turn.t.tr("input.stale_choice"))
    return conversation.then_ask(turn, posting.apply(turn.record, *chosen, turn.t))


def city(turn: Turn, value: str) -> list[Reply]:
    """The owner's place (tapped or typed) sets their time zone; then, when will they post?"""
    record, t = turn.record, turn.t
    said, understood = places.answer(record, turn.event.text or "", value, t)
    if not understood:
        return [Reply(said, choices=places.choices(t), step="@" + places.PROMPT)]
    if record.prefs.post_days:
        return conversation.then_ask(turn, said)
    return conversation.pack(turn, [said], posting.offer(record, turn.flows, t))


def checkin(turn: Turn, value: str) -> list[Reply]:
    """A one-tap answer to a reminder: posted? comments waiting? all answered?"""
    question, _, answer = value.partition(":")
    record = turn.record
    if question == "posted" and answer in ("yes", "no"):
        if answer == "yes":
            tracking.log_post(record, turn.now, None, False)
    elif question == "waiting" and answer in tracking.WAITING_BUCKETS:
        low, high = tracking.WAITING_BUCKETS[answer]
        current = record.waiting.count
        tracking.set_waiting(record, min(max(current, low), high), turn.now)
    elif question == "replied" and answer == "all":
        tracking.set_waiting(record, 0, turn.now)
    else:
        return conversation.then_ask(turn, turn.t.tr("input.stale_choice"))
    return conversation.then_ask(turn, turn.t.tr("checkin.thanks"))
