"""Stepping an owner through the flows: ask, read the answer, teach, move on.

Texts shown one after another (what an answer taught, a message step, a lesson) are packed with
the next question into as few messages as fit (`MERGE_LIMIT`, `QUESTION_LIMIT`): each message
sent is latency for every other owner. Steps with a `preset` are answered without asking when it
applies; a lesson of the owner's risks (`bot.diagnosis`) comes with each plan question, anchored ones first.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from bot import diagnosis, plan
from bot.answers import Invalid, parse_answer
from bot.conditions import holds
from bot.events import Choice, Reply
from bot.facts import DERIVED_NAMES, derive, plan_fit, with_facts
from bot.flows import DONE, Step
from bot.machine import next_state
from bot.nudges import places, posting
from bot.turn import Turn

MERGE_LIMIT = 1500
"""Most characters in one packed message: readable on a phone, far below the platforms' limits."""
QUESTION_LIMIT = 4000
"""Most characters of a message ending with its question: a question stays under what it asks
about (the plan and its menu, the diagnosis and the first plan question) within Telegram's 4,096."""
PLAN_MODULE = "plan"
_CURRENCY = re.compile(r"(?i)\b(EUR|CHF|CAD|XOF|FCFA|USD|GBP)\b|([€$£])")
_CURRENCY_NAMES = {"FCFA": "XOF", "€": "EUR", "$": "USD", "£": "GBP"}
_NO_PRESET = object()


def known(turn: Turn) -> dict[str, Any]:
    """The owner's answers with the facts derived from them."""
    return with_facts(turn.record.answers)


def begin(turn: Turn) -> list[Reply]:
    """Start the journey from its first step."""
    turn.record.state = turn.flows.first
    return emit_from(turn, turn.flows.first, [])


def visible(turn: Turn, step: Step) -> Step:
    """The step with only the options that apply to this owner (no staff options when solo)."""
    if not any(c.when for c in step.choices):
        return step
    facts = known(turn)
    return dataclasses.replace(step, choices=tuple(c for c in step.choices if holds(c.when, facts)))


def answer(turn: Turn, step: Step) -> list[Reply]:
    """Read the owner's answer to `step`; store it and go on, or say kindly what to fix."""
    event = turn.event
    if event.step and event.choices and event.step != step.id:
        return pack(turn, [turn.t.tr("input.stale_choice")], ask(turn, step))
    shown = visible(turn, step)
    text, currency = event.text, None
    if step.unit == "money" and text:
        found = _CURRENCY.search(text)
        if found:
            code = (found.group(1) or found.group(2)).upper()
            currency = _CURRENCY_NAMES.get(code, code)
            text = _CURRENCY.sub(" ", text).strip()
    result = parse_answer(shown, text, event.choices, turn.t, turn.all_translators)
    if isinstance(result, Invalid):
        return pack(turn, [turn.t.tr(result.key, **result.values)], ask(turn, step))
    answers = turn.record.answers
    answers[step.id] = result
    if step.sets == "language":
        turn.record.language = str(result)
    elif step.sets == "lighter_plan" and result == "lighter":
        apply_lighter(turn)
    if currency is not None:
        answers["plan_currency"] = currency
    return advance(turn, step, show_after=True)


def apply_lighter(turn: Turn) -> None:
    """Take the version of the plan that fits the owner's hours."""
    checked = plan_fit(turn.record.answers)
    if checked is None:
        return
    names = {"networks": "plan_networks", "cadence": "plan_cadence", "reply_time": "plan_reply_time"}
    names |= {"listening": "plan_listening", "hours": "plan_hours"}
    for key, value in checked.lighter.items():
        turn.record.answers[names[key]] = value


def advance(turn: Turn, step: Step, show_after: bool) -> list[Reply]:
    """Move on from an answered step: to the plan when editing it, else to the next step."""
    texts = after(turn, step) if show_after else []
    record = turn.record
    if record.editing:
        record.editing = False
        record.state = DONE
        return pack(turn, [*texts, turn.t.tr("plan.updated") + "\n\n" + plan_text(turn)], None)
    record.history.append(step.id)
    target = next_state(turn.engine.machine, step.id, known(turn))
    return emit_from(turn, target, texts)


def preset(turn: Turn, step: Step) -> Any:
    """The answer the coach takes for `step` without asking, if one applies."""
    facts = known(turn)
    for rule in step.presets:
        if not holds(rule.when, facts):
            continue
        if rule.derive is not None and rule.derive in DERIVED_NAMES:
            return derive(rule.derive, turn.record.answers)
        if rule.answer is not None:
            value = turn.record.answers.get(rule.answer)
            return value if value is not None else _NO_PRESET
        return rule.value
    return _NO_PRESET


def emit_from(turn: Turn, state: str, texts: list[str]) -> list[Reply]:
    """Show messages from `state` on until a question (asked) or the end of the journey."""
    texts = list(texts)
    record = turn.record
    while state != DONE:
        step = turn.flows.steps[state]
        taken = preset(turn, step)
        if taken is not _NO_PRESET:
            record.answers[step.id] = taken
            state = next_state(turn.engine.machine, state, known(turn))
            continue
        if step.is_question:
            record.state = state
            lesson = next_lesson(turn, step)
            if lesson:
                texts.append(lesson)
            return pack(turn, texts, ask(turn, step))
        texts += message(turn, step)
        state = next_state(turn.engine.machine, state, known(turn))
    record.state = DONE
    if record.completed_at is None:
        record.completed_at = turn.now.isoformat()
        return pack(turn, texts, closing_question(turn))
    return pack(turn, texts, None)


def closing_question(turn: Turn) -> Reply:
    """The plan ends with one tap: when will you post? (`bot.nudges.posting`).

    Asked first, when the platform did not say: where are you? (`bot.nudges.places`).
    """
    if turn.record.prefs.timezone is None:
        return places.ask(turn.record, turn.t)
    return posting.offer(turn.record, turn.flows, turn.t)


def pack(turn: Turn, texts: list[str], question: Reply | None) -> list[Reply]:
    """Put `texts` and then `question` in as few messages as fit `MERGE_LIMIT`.

    The question joins the last text up to `QUESTION_LIMIT`: its buttons belong under it.
    """
    chunks: list[str] = []
    for text in (t for t in texts if t):
        if chunks and len(chunks[-1]) + len(text) + 2 <= MERGE_LIMIT:
            chunks[-1] += "\n\n" + text
        else:
            chunks.append(text)
    replies = [Reply(chunk) for chunk in chunks]
    if question is None:
        return replies
    if chunks and len(chunks[-1]) + len(question.text) + 2 <= QUESTION_LIMIT:
        replies[-1] = dataclasses.replace(question, text=chunks[-1] + "\n\n" + question.text)
        return replies
    return [*replies, question]


def then_ask(turn: Turn, *texts: str) -> list[Reply]:
    """Some texts, then the question the owner is on, packed into as few messages as fit."""
    question = ask_current(turn)
    return pack(turn, list(texts), question[0] if question else None)


def ask_current(turn: Turn) -> list[Reply]:
    """The question the owner is on, asked again (nothing once the plan is done)."""
    if turn.record.state == DONE:
        return []
    return [ask(turn, turn.flows.steps[turn.record.state])]


def ask(turn: Turn, step: Step) -> Reply:
    """The question of `step`, with its options for this owner."""
    t = turn.t
    text = fill(turn, pick_text(turn, step))
    if step.render == "fit":
        text = fit_text(turn)
    if step.kind == "multiple":
        text += "\n" + t.tr("multiple.hint")
    choices = tuple(Choice(c.id, t.tr(c.label)) for c in visible(turn, step).choices)
    return Reply(
        text,
        choices=choices,
        multiple=step.kind == "multiple",
        step=step.id,
        done_label=t.tr("multiple.done") if step.kind == "multiple" else None,
    )


def fit_text(turn: Turn) -> str:
    """The plan's hours against the owner's, and the version that fits."""
    t, answers = turn.t, turn.record.answers
    checked = plan_fit(answers)
    if checked is None or checked.lighter_needed is None:
        return t.tr("plan_fit.text")
    changes = []
    for key, value in checked.lighter.items():
        if key == "networks":
            changes.append(
                t.tr(
                    "plan_fit.change.networks",
                    networks=plan.labels(turn.flows.steps["plan_networks"], value, t),
                )
            )
        elif key == "cadence":
            changes.append(t.tr("plan_fit.change.cadence", cadence=t.count("plan.value.cadence", value)))
        elif key == "hours":
            # Written like the version's total ("2 h 10"), not as a decimal ("2,5 h").
            changes.append(t.tr("plan_fit.change.hours", hours=t.minutes(round(value * 60))))
        else:
            step = turn.flows.steps["plan_" + key]
            changes.append(t.tr(f"plan_fit.change.{key}", value=plan.labels(step, value, t).lower()))
    needed = checked.needed
    return t.tr(
        "plan_fit.text",
        needed=t.minutes(needed.total),
        hours=t.hours(answers.get("plan_hours") or 0),
        posting=t.minutes(needed.posting),
        replies=t.minutes(needed.replies),
        listening=t.minutes(needed.listening),
        changes="\n".join(f"• {c}" for c in changes),
        lighter=t.minutes(checked.lighter_needed.total),
    )


def message(turn: Turn, step: Step) -> list[str]:
    """The texts of a message step (the diagnosis and the plan are worked out here)."""
    text = fill(turn, pick_text(turn, step))
    if step.render == "diagnosis":
        return [diagnosis_text(turn, text)]
    if step.render == "plan":
        leftover = [lesson_text(turn, topic) for topic in pending_lessons(turn)]
        return [*leftover, text + "\n\n" + plan_text(turn)]
    return [cite(turn, text, step)]


def diagnosis_text(turn: Turn, intro: str) -> str:
    """What the coach sees: the risks to work on, most harmful first, and the rest in brief."""
    t, flows, answers = turn.t, turn.flows, turn.record.answers
    taught = diagnosis.lessons(flows, answers)
    lines = [intro]
    if taught:
        lines.append(t.count("diagnosis.work", len(taught)))
        lines += [f"{n}. {t.tr('topic.' + topic)}" for n, topic in enumerate(taught, 1)]
    else:
        lines.append(t.tr("diagnosis.nothing_urgent"))
    fine = [a for a in diagnosis.assess(flows, answers) if a.status == diagnosis.FINE]
    if fine:
        strongest = sorted(fine, key=lambda a: -a.topic.severity)[:3]
        lines += ["", t.count("diagnosis.fine", len(fine))]
        lines += [f"• {t.tr('brief.' + a.topic.id)}" for a in strongest]
    lines += ["", t.tr("diagnosis.learn")]
    return "\n".join(lines)


def pending_lessons(turn: Turn) -> list[str]:
    """The owner's lessons not given yet, most harmful first."""
    taught = set(turn.record.taught)
    return [topic for topic in diagnosis.lessons(turn.flows, turn.record.answers) if topic not in taught]


def next_lesson(turn: Turn, step: Step) -> str | None:
    """The lesson that goes with this plan question: one anchored to it, else the most harmful."""
    if step.module != PLAN_MODULE or step.render:
        return None
    pending = pending_lessons(turn)
    if not pending:
        return None
    topics = turn.flows.topics
    anchored = [t for t in pending if topics[t].at == step.id]
    free = [
        t
        for t in pending
        if topics[t].at is None or topics[t].at in turn.record.answers or topics[t].at in turn.record.history
    ]
    chosen = anchored or free
    return lesson_text(turn, chosen[0]) if chosen else None


def lesson_text(turn: Turn, topic_id: str) -> str:
    """A lesson, numbered among the owner's, with its source; noted as taught."""
    t = turn.t
    topic = turn.flows.topics[topic_id]
    record = turn.record
    if topic_id not in record.taught:
        record.taught.append(topic_id)
    # Numbered as the diagnosis listed it (most harmful first), though taught in the plan's
    # order; a point a plan answer raised comes as one more.
    before_plan = {
        key: value
        for key, value in record.answers.items()
        if key not in turn.flows.steps or turn.flows.steps[key].module != PLAN_MODULE
    }
    diagnosed = diagnosis.lessons(turn.flows, before_plan)
    title = t.tr("topic." + topic_id)
    head = title
    if topic_id in diagnosed:
        head = t.tr("lesson.head", n=diagnosed.index(topic_id) + 1, total=len(diagnosed), title=title)
    elif topic_id in diagnosis.lessons(turn.flows, record.answers):
        head = t.tr("lesson.head_more", title=title)
    body = fill(turn, diagnosis.lesson_key(topic, record.answers))
    return "\n".join([head, body, source_line(turn, topic.source)])


def after(turn: Turn, step: Step) -> list[str]:
    """What the answer to `step` teaches, if anything (a lesson key is noted as taught)."""
    facts = known(turn)
    for variant in step.after:
        if holds(variant.when, facts):
            topic = variant.text.removeprefix("lesson.")
            if variant.text.startswith("lesson.") and topic in turn.flows.topics:
                return [lesson_text(turn, topic)]
            text = fill(turn, variant.text)
            # A probe's thanks and a one-line brief carry no source: the lessons carry theirs.
            probe = step.kind == "multiple" and len(step.topics) > 1
            brief = variant.text.startswith("brief.")
            return [text if probe or brief else cite(turn, text, step)]
    return []


def pick_text(turn: Turn, step: Step) -> str:
    """The text key of `step` written for this owner."""
    facts = known(turn)
    for variant in step.variants:
        if holds(variant.when, facts):
            return variant.text
    return step.text


def fill(turn: Turn, key: str) -> str:
    """The text of `key` with the owner's values in it."""
    t = turn.t
    if not t.has_placeholders(key):
        return t.tr(key)
    values = plan.placeholders(turn.flows, turn.record.answers, t, turn.record.completed_at, turn.now)
    return t.tr(key, **values)


def source_line(turn: Turn, source: str) -> str:
    """One compact line naming the article a point comes from."""
    article = turn.flows.sources[source[0]]
    return turn.t.tr("source.cite", title=article.title, author=turn.t.tr(article.author))


def cite(turn: Turn, text: str, step: Step) -> str:
    """A text with the source line of the step's first article (one line at most)."""
    if not step.sources:
        return text
    return text + "\n" + source_line(turn, step.sources[0])


def default_for(turn: Turn, step: Step) -> Any:
    """What /skip takes for `step`: its default, or a value the coach works out."""
    taken = preset(turn, step)
    if taken is not _NO_PRESET:
        return taken
    default = step.default
    if isinstance(default, dict) and "derive" in default:
        return derive(default["derive"], turn.record.answers)
    if isinstance(default, dict):
        value = turn.record.answers.get(default["answer"])
        if step.kind == "number" and isinstance(value, int | float) and step.min is not None:
            return min(max(value, step.min), step.max if step.max is not None else value)
        return value
    return default


def plan_text(turn: Turn) -> str:
    """The owner's plan as it stands."""
    return plan.render(turn.flows, turn.record.answers, turn.t, turn.record.completed_at, turn.now)
