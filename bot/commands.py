"""The commands, the same words on every channel, in one registry.

The registry feeds the engine, /help, the channels' menus and the catalog (`command.<name>`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot import conversation, data_rights, learn, owner_settings, prompts, tracking
from bot.answers import match_choice, sanitise_text
from bot.events import Attachment, Reply
from bot.feeds.command import counted_already
from bot.flows import DONE
from bot.i18n import normalise_language
from bot.pictures import replies as pictures
from bot.turn import Turn

Handler = Callable[[Turn, str], list[Reply]]


@dataclass(frozen=True)
class Command:
    """A command's name and what it does for one owner (`args` is the text after the name)."""

    name: str
    run: Handler


def start(turn: Turn, args: str) -> list[Reply]:
    """Welcome back, at the question the owner is on."""
    if turn.record.state == DONE:
        return [Reply(turn.t.tr("start.already_done"))]
    return conversation.then_ask(turn, turn.t.tr("start.welcome_back"))


def help_(turn: Turn, args: str) -> list[Reply]:
    """Every command with what it does."""
    t = turn.t
    lines = [t.tr("help.text"), ""] + [f"/{c.name} — {t.tr('command.' + c.name)}" for c in REGISTRY]
    return conversation.then_ask(turn, "\n".join(lines))


def progress(turn: Turn, args: str) -> list[Reply]:
    """Where the owner is in the journey, or their week against the plan."""
    record, t, flows = turn.record, turn.t, turn.flows
    if record.state == DONE or record.completed_at is not None:
        week = tracking.week_view(record, flows, t, turn.now)
        chart = pictures.progress_chart(record, flows, t, turn.now)
        return [*conversation.then_ask(turn, week), *chart]
    module = flows.module_of(record.state)
    step_no, total = module.step_ids.index(record.state) + 1, len(module.step_ids)
    text = t.tr(
        "progress.module",
        module=flows.modules.index(module) + 1,
        modules=len(flows.modules),
        title=t.tr(module.title),
        step=step_no,
        total=total,
    )
    return conversation.then_ask(turn, text)


def back(turn: Turn, args: str) -> list[Reply]:
    """Go back one question; after the plan, change its last part (reminders go on)."""
    record = turn.record
    record.editing = False
    if record.state == DONE:
        last = next((s for s in reversed(record.history) if turn.flows.steps[s].plan_field), None)
        if last is None:
            return [Reply(turn.t.tr("back.at_start"))]
        return prompts.edit(turn, last)
    if not record.history:
        return conversation.then_ask(turn, turn.t.tr("back.at_start"))
    record.state = record.history.pop()
    return conversation.ask_current(turn)


def skip(turn: Turn, args: str) -> list[Reply]:
    """Leave the question for now, with a sensible value when there is one."""
    record, t = turn.record, turn.t
    if record.state == DONE:
        return [Reply(t.tr("skip.nothing"))]
    step = turn.flows.steps[record.state]
    default = conversation.default_for(turn, step)
    if default is None:
        return conversation.pack(turn, [t.tr("skip.ok")], None) + conversation.advance(turn, step, False)
    record.answers[step.id] = default
    from bot import plan

    shown = plan.format_answer(step, default, t, plan.currency(record.answers, turn.flows))
    replies = conversation.advance(turn, step, show_after=True)
    return conversation.pack(turn, [t.tr("skip.default", value=shown)], None) + replies


def restart(turn: Turn, args: str) -> list[Reply]:
    """Start again from scratch, once confirmed."""
    return prompts.confirm(turn, prompts.RESTART)


def language(turn: Turn, args: str) -> list[Reply]:
    """Switch language, by name or from a choice."""
    wanted = normalise_language(args)
    if wanted:
        return prompts.switch_language(turn, wanted)
    return prompts.ask_language(turn)


def plan_(turn: Turn, args: str) -> list[Reply]:
    """The plan, and which part to change; `/plan card` as a picture and a PDF."""
    if pictures.wants_card(args):
        return [*pictures.card_replies(turn.record, turn.t), *conversation.ask_current(turn)]
    if args.strip() and turn.record.completed_at is not None:
        part = plan_part(turn, args)
        if part is not None:
            return prompts.edit(turn, part)
    text = conversation.plan_text(turn)
    if turn.record.state != DONE:
        return conversation.then_ask(turn, turn.t.tr("plan.not_finished") + "\n\n" + text)
    return conversation.pack(turn, [text], prompts.ask_plan_edit(turn, turn.t.tr("plan.edit_prompt"))[0])


def plan_part(turn: Turn, args: str) -> str | None:
    """The plan step `args` names: a field (`networks`) or its label in either language."""
    steps = turn.flows.plan_steps()
    names = [
        [str(s.plan_field)] + [t.tr("plan." + str(s.plan_field)) for t in turn.all_translators] for s in steps
    ]
    index = match_choice(args, names)
    return steps[index].id if index is not None else None


def posted(turn: Turn, args: str) -> list[Reply]:
    """Log a post (its network, and whether it was promotional)."""
    t = turn.t
    parsed = tracking.parse_posted(args, turn.flows, turn.all_translators)
    if parsed is None:
        return conversation.then_ask(turn, t.tr("track.usage_posted"))
    network, promo = parsed
    matched = tracking.log_post(turn.record, turn.now, network, promo)
    details = [tracking.network_label(turn.flows, network, t)] if network else []
    details += [t.tr("track.promo")] if promo else []
    text = t.tr("track.posted", details=f" ({', '.join(details)})" if details else "")
    if matched is not None:  # a feed or a link had counted it already (bot.feeds.counting)
        text = counted_already(matched, turn.flows, t)
    week = tracking.week_view(turn.record, turn.flows, t, turn.now)
    return conversation.then_ask(turn, text + "\n\n" + week)


def pending(turn: Turn, args: str) -> list[Reply]:
    """Note how many comments wait for a reply."""
    t = turn.t
    count = t.parse_number(args) if args.strip() else None
    if count is None or not float(count).is_integer() or not 0 <= count <= tracking.MAX_WAITING:
        return conversation.then_ask(turn, t.tr("track.usage_pending"))
    tracking.set_waiting(turn.record, int(count), turn.now)
    text = t.count("track.pending", count) if count else t.tr("track.pending_none")
    return conversation.then_ask(turn, text)


def replied(turn: Turn, args: str) -> list[Reply]:
    """Note replies given (all of them when no number)."""
    t = turn.t
    waiting = turn.record.waiting.count
    answered = t.parse_number(args) if args.strip() else waiting
    if answered is None or not float(answered).is_integer() or answered < 0:
        return conversation.then_ask(turn, t.tr("track.usage_replied"))
    left = max(0, waiting - int(answered))
    tracking.set_waiting(turn.record, left, turn.now)
    text = t.count("track.replied", left) if left else t.tr("track.replied_all")
    return conversation.then_ask(turn, text)


def settings(turn: Turn, args: str) -> list[Reply]:
    """Show or change the reminders."""
    if not args.strip():
        return owner_settings.show(turn.record, turn.t)
    text = owner_settings.change(turn.record, args, turn.t, turn.all_translators, turn.now)
    return conversation.then_ask(turn, text)


def feeds(turn: Turn, args: str) -> list[Reply]:
    """The owner's public feeds: list, add, remove."""
    text = turn.engine.feeds.run(turn.record, args, turn.flows, turn.t, turn.now)
    return conversation.then_ask(turn, text)


def learn_(turn: Turn, args: str) -> list[Reply]:
    """The 29 topics with the owner's status, or one of them taught."""
    return learn.run(turn, args)


def export(turn: Turn, args: str) -> list[Reply]:
    """Everything kept about the owner, as a file."""
    document = data_rights.export_document(turn.record, turn.now)
    name = data_rights.export_filename(turn.record.owner_id, turn.now)
    return [Reply(turn.t.tr("export.ready"), attachment=Attachment(name, document))]


def delete(turn: Turn, args: str) -> list[Reply]:
    """Erase everything about the owner, once confirmed."""
    return prompts.confirm(turn, prompts.DELETE)


REGISTRY = (
    Command("start", start),
    Command("help", help_),
    Command("plan", plan_),
    Command("progress", progress),
    Command("learn", learn_),
    Command("back", back),
    Command("skip", skip),
    Command("restart", restart),
    Command("language", language),
    Command("posted", posted),
    Command("pending", pending),
    Command("replied", replied),
    Command("settings", settings),
    Command("feeds", feeds),
    Command("export", export),
    Command("delete", delete),
)
"""Every command, in the order /help and the menus show them."""
BY_NAME = {command.name: command for command in REGISTRY}
COMMANDS = tuple(BY_NAME)


def run(turn: Turn, name: str, args: str) -> list[Reply]:
    """Run the command `name`; an unknown one is named back kindly."""
    turn.record.prompt = None
    command = BY_NAME.get(name)
    if command is None:
        shown = sanitise_text(name)[:32]
        return conversation.then_ask(turn, turn.t.tr("input.unknown_command", command="/" + shown))
    return command.run(turn, args)
