"""/learn: the 29 topics by module with where this owner stands on each, and any one taught.

Nothing from the articles is lost by a journey that teaches only an owner's risks: every topic
stays one command away, with its source. Statuses: taught (seen together), to look at (a risk or
a doubt not yet taught), fine.
"""

from __future__ import annotations

from bot import conversation, diagnosis
from bot.answers import match_choice
from bot.events import Reply
from bot.turn import Turn

MODULES = ("prerequisites", "misconceptions", "mistakes")
MARKS = {"taught": "✓", "look": "!", "fine": "○"}


def status(turn: Turn) -> dict[str, str]:
    """Each topic's status for this owner: `taught`, `look` or `fine`."""
    taught = set(turn.record.taught)
    found = {}
    for assessment in diagnosis.assess(turn.flows, turn.record.answers):
        topic = assessment.topic.id
        if topic in taught:
            found[topic] = "taught"
        else:
            found[topic] = "fine" if assessment.status == diagnosis.FINE else "look"
    return found


def listing(turn: Turn) -> str:
    """All topics, numbered, by module, each with its status mark."""
    t = turn.t
    marks = status(turn)
    lines = [t.tr("learn.title"), t.tr("learn.legend", **MARKS)]
    number = 0
    for module in MODULES:
        lines += ["", t.tr(f"learn.module.{module}")]
        for topic in (x for x in turn.flows.topics.values() if x.module == module):
            number += 1
            lines.append(f"{number}. {MARKS[marks[topic.id]]} {t.tr('topic.' + topic.id)}")
    lines += ["", t.tr("learn.how")]
    return "\n".join(lines)


def find(turn: Turn, args: str) -> str | None:
    """The topic `args` names: its number, its id, or (part of) its title in either language."""
    ordered = [x.id for m in MODULES for x in turn.flows.topics.values() if x.module == m]
    names = [[tr.tr("topic." + topic) for tr in turn.all_translators] + [topic] for topic in ordered]
    index = match_choice(args, names)
    return ordered[index] if index is not None else None


def run(turn: Turn, args: str) -> list[Reply]:
    """List the topics, or teach the one asked for."""
    t = turn.t
    if not args.strip():
        return conversation.then_ask(turn, listing(turn))
    topic = find(turn, args)
    if topic is None:
        return conversation.then_ask(turn, t.tr("learn.unknown", asked=args[:40]))
    text = conversation.lesson_text(turn, topic) + "\n\n" + t.tr("learn.habit", habit=t.tr("habit." + topic))
    return conversation.then_ask(turn, text)
