"""The coaching journey as data: load `flows/*.yaml`, check it, and answer questions about it.

Every error names the file and the step, so a typo in a flow stops the bot at start-up with a
message that says where to look.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from bot import conditions
from bot.facts import DERIVED_NAMES, FACT_NAMES

KINDS = ("message", "single", "multiple", "yesno", "number", "text")
RENDERS = ("plan", "diagnosis", "lessons", "fit")
DONE = "done"
"""The state an owner reaches after the last step of the last module."""

YESNO_CHOICES = (("yes", "choice.yes"), ("no", "choice.no"))
STEP_KEYS = {
    "id",
    "kind",
    "text",
    "topic",
    "source",
    "choices",
    "next",
    "after",
    "variants",
    "min",
    "max",
    "default",
    "unit",
    "max_length",
    "render",
    "plan_field",
    "sets",
    "preset",
}
CHOICE_KEYS = {"id", "label", "value", "exclusive", "when"}
TOPIC_KEYS = {"module", "source", "severity", "at", "signals", "variants"}
SOURCE_RE = re.compile(r"^([A-Z])(\d+)$")
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it


class FlowError(ValueError):
    """A flow file is not valid; the message names the file and the step."""


@dataclass(frozen=True)
class ChoiceSpec:
    """One option of a choice step."""

    id: str
    label: str
    value: float | None = None
    exclusive: bool = False
    when: dict[str, Any] | None = None


@dataclass(frozen=True)
class Branch:
    """A conditional jump: go to `to` when `when` holds (always when it is empty)."""

    to: str
    when: dict[str, Any] | None = None


@dataclass(frozen=True)
class Variant:
    """A text key used when `when` holds (always when it is empty)."""

    text: str
    when: dict[str, Any] | None = None


@dataclass(frozen=True)
class Preset:
    """An answer taken without asking when `when` holds.

    It is a fixed `value`, another `answer`, or a `derive`d one (named in `bot.facts.DERIVED_NAMES`).
    """

    when: dict[str, Any] | None = None
    value: Any = None
    answer: str | None = None
    derive: str | None = None


@dataclass(frozen=True)
class Signal:
    """An answer that says an owner is at risk on a topic, and how much (1 to 3)."""

    when: dict[str, Any]
    score: int


@dataclass(frozen=True)
class Topic:
    """A coaching topic of the catalogue: its module, source, harm, signals and lesson variants.

    `severity` (1 to 10) orders an owner's risks, most harmful first; `at` is the plan step whose
    question the lesson goes with, when the owner is at risk; `variants` pick a lesson text
    written for some owners (`lesson.<topic>.<suffix>`).
    """

    id: str
    module: str
    source: str
    severity: int
    at: str | None
    signals: tuple[Signal, ...]
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class Step:
    """One step of the conversation: a message, or a question and how to go on."""

    id: str
    kind: str
    text: str
    module: str
    file: str
    topics: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    choices: tuple[ChoiceSpec, ...] = ()
    branches: tuple[Branch, ...] = ()
    after: tuple[Variant, ...] = ()
    variants: tuple[Variant, ...] = ()
    min: float | None = None
    max: float | None = None
    default: Any = None
    unit: str | None = None
    max_length: int | None = None
    render: str | None = None
    plan_field: str | None = None
    sets: str | None = None
    presets: tuple[Preset, ...] = ()

    @property
    def is_question(self) -> bool:
        """Whether the step waits for an answer."""
        return self.kind != "message"

    def choice(self, choice_id: str) -> ChoiceSpec | None:
        """Return the option with this id, if the step has it."""
        return next((c for c in self.choices if c.id == choice_id), None)

    def text_keys(self) -> Iterator[str]:
        """Yield every catalog key this step shows."""
        yield self.text
        for variant in (*self.variants, *self.after):
            yield variant.text
        for choice in self.choices:
            yield choice.label


@dataclass(frozen=True)
class Source:
    """An article the content comes from, cited by title."""

    key: str
    title: str
    author: str


@dataclass(frozen=True)
class Module:
    """A group of steps shown as one part of the journey."""

    id: str
    title: str
    file: str
    step_ids: tuple[str, ...]


@dataclass
class Flows:
    """The whole journey: modules in order, steps by id, and the topic catalogue."""

    modules: list[Module]
    steps: dict[str, Step]
    order: list[str]
    topics: dict[str, Topic]
    sources: dict[str, Source]
    _next_in_order: dict[str, str] = field(default_factory=dict)

    @property
    def first(self) -> str:
        """The id of the first step."""
        return self.order[0]

    def sequential_next(self, step_id: str) -> str:
        """The step after `step_id` in file order, or DONE after the last one."""
        return self._next_in_order[step_id]

    def targets(self, step_id: str) -> list[str]:
        """Every step `step_id` can lead to."""
        step = self.steps[step_id]
        found = [b.to for b in step.branches]
        if not step.branches or step.branches[-1].when:
            found.append(self.sequential_next(step_id))
        return found

    def module_of(self, step_id: str) -> Module:
        """The module holding `step_id`."""
        return next(m for m in self.modules if step_id in m.step_ids)

    @cached_property
    def _plan_steps(self) -> tuple[Step, ...]:
        return tuple(self.steps[s] for s in self.order if self.steps[s].plan_field)

    @cached_property
    def _plan_fields(self) -> dict[str, Step]:
        return {str(s.plan_field): s for s in reversed(self._plan_steps)}  # the first step wins

    def plan_steps(self) -> list[Step]:
        """The steps that hold a field of the plan, in order."""
        return list(self._plan_steps)

    def plan_step(self, field_name: str) -> Step | None:
        """The step that holds the plan field `field_name`, if the flows have it."""
        return self._plan_fields.get(field_name)

    def text_keys(self) -> dict[str, tuple[str, str]]:
        """Every catalog key the flows use, with the (file, step) that first uses it."""
        keys: dict[str, tuple[str, str]] = {}
        for module in self.modules:
            keys.setdefault(module.title, (module.file, module.id))
        for step_id in self.order:
            step = self.steps[step_id]
            for key in step.text_keys():
                keys.setdefault(key, (step.file, step.id))
        for source in self.sources.values():
            keys.setdefault(source.author, ("topics.yaml", source.key))
        for topic in self.topics.values():
            for key in topic_keys(topic):
                keys.setdefault(key, ("topics.yaml", topic.id))
        return keys


def topic_keys(topic: Topic) -> Iterator[str]:
    """Every catalog key a topic shows: title, one-line brief, lesson and variants, habit, tip."""
    for kind in ("topic", "brief", "lesson", "habit", "tip"):
        yield f"{kind}.{topic.id}"
    for variant in topic.variants:
        yield variant.text


def load(folder: Path) -> Flows:
    """Load and check every flow file in `folder` (topics.yaml plus the modules, in name order)."""
    topics_file = folder / "topics.yaml"
    if not topics_file.is_file():
        raise FlowError(f"{topics_file}: missing topic catalogue")
    catalogue = _read_yaml(topics_file)
    sources = {
        key: Source(key, str(spec["title"]), str(spec["author"]))
        for key, spec in (catalogue.get("sources") or {}).items()
    }
    raw_topics = {str(k): v for k, v in (catalogue.get("topics") or {}).items()}
    for topic_id, spec in raw_topics.items():
        if not isinstance(spec, dict) or set(spec) - TOPIC_KEYS:
            fields = ", ".join(sorted(TOPIC_KEYS))
            raise FlowError(f"{topics_file.name}: topic {topic_id}: fields are {fields}")
        match = SOURCE_RE.match(str(spec.get("source", "")))
        if not match or match.group(1) not in sources:
            raise FlowError(f"{topics_file.name}: topic {topic_id}: unknown source {spec.get('source')!r}")
    topics = {str(k): {"source": str(v["source"])} for k, v in raw_topics.items()}

    raw_modules = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name != "topics.yaml":
            raw_modules.append((path.name, _read_yaml(path)))
    if not raw_modules:
        raise FlowError(f"{folder}: no flow files")

    modules: list[Module] = []
    steps: dict[str, Step] = {}
    order: list[str] = []
    raw_steps: list[tuple[str, str, dict[str, Any]]] = []
    for file, data in raw_modules:
        module_id = data.get("module")
        title = data.get("title")
        items = data.get("steps")
        if (
            not isinstance(module_id, str)
            or not isinstance(title, str)
            or not isinstance(items, list)
            or not items
        ):
            raise FlowError(f"{file}: needs `module`, `title` and a non-empty list of `steps`")
        ids = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise FlowError(f"{file}: step #{index + 1} has no id")
            step_id = item["id"]
            if not ID_RE.match(step_id):
                raise FlowError(f"{file}: step {step_id}: ids are lowercase letters, digits and _")
            if step_id in steps or step_id in ids or step_id == DONE:
                raise FlowError(f"{file}: step {step_id}: duplicate id")
            ids.append(step_id)
            raw_steps.append((file, module_id, item))
        modules.append(Module(module_id, title, file, tuple(ids)))
        order.extend(ids)

    known = set(order) | set(FACT_NAMES)
    for file, module_id, item in raw_steps:
        steps[item["id"]] = _build_step(file, module_id, item, known, topics, sources)
    built_topics = {
        topic_id: _build_topic(topics_file.name, topic_id, spec, known, set(order))
        for topic_id, spec in raw_topics.items()
    }

    flows = Flows(modules, steps, order, built_topics, sources)
    flows._next_in_order = {a: b for a, b in zip(order, [*order[1:], DONE], strict=True)}
    _check_reachable(flows)
    return flows


def _build_topic(file: str, topic_id: str, spec: dict[str, Any], known: set[str], steps: set[str]) -> Topic:
    def fail(message: str) -> FlowError:
        return FlowError(f"{file}: topic {topic_id}: {message}")

    severity = spec.get("severity")
    if not isinstance(severity, int) or not 1 <= severity <= 10:
        raise fail("needs a `severity` from 1 to 10")
    anchor = spec.get("at")
    if anchor is not None and anchor not in steps:
        raise fail(f"`at` names unknown step {anchor!r}")
    signals = []
    for entry in spec.get("signals") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("score"), int) or "when" not in entry:
            raise fail("each signal is {when, score}")
        issues = conditions.problems(entry["when"], known)
        if issues or not 1 <= entry["score"] <= 3:
            raise fail("; ".join(issues) or "a signal's score is 1 to 3")
        signals.append(Signal(entry["when"], entry["score"]))
    variants = _build_variants(spec.get("variants"), known, fail, "variants", need_when=True)
    module, source = str(spec["module"]), str(spec["source"])
    return Topic(topic_id, module, source, severity, anchor, tuple(signals), variants)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise FlowError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise FlowError(f"{path.name}: expected a mapping at the top")
    return data


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def _build_step(
    file: str,
    module: str,
    item: dict[str, Any],
    known: set[str],
    topics: dict[str, dict[str, str]],
    sources: dict[str, Source],
) -> Step:
    step_id = item["id"]

    def fail(message: str) -> FlowError:
        return FlowError(f"{file}: step {step_id}: {message}")

    unknown = set(item) - STEP_KEYS
    if unknown:
        raise fail(f"unknown field(s) {', '.join(sorted(unknown))}")
    kind = item.get("kind")
    if kind not in KINDS:
        raise fail(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    text = item.get("text")
    if not isinstance(text, str) or not text:
        raise fail("needs a `text` key")

    step_topics = _as_tuple(item.get("topic"))
    step_sources = _as_tuple(item.get("source"))
    for topic in step_topics:
        if topic not in topics:
            raise fail(f"unknown topic {topic!r}")
        if topics[topic]["source"] not in step_sources:
            raise fail(f"topic {topic} comes from {topics[topic]['source']}: list it in `source`")
    for source in step_sources:
        match = SOURCE_RE.match(str(source))
        if not match or match.group(1) not in sources:
            raise fail(f"unknown source {source!r}")
    if step_sources and not step_topics:
        raise fail("a `source` needs the `topic` it supports")

    choices = _build_choices(item, kind, fail)
    branches = _build_branches(item.get("next"), known, fail)
    after = _build_variants(item.get("after"), known, fail, "after", need_when=False)
    variants = _build_variants(item.get("variants"), known, fail, "variants", need_when=True)

    minimum, maximum = item.get("min"), item.get("max")
    if kind == "number":
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (minimum, maximum)):
            raise fail("a number step needs numeric `min` and `max`")
        if minimum > maximum:  # type: ignore[operator]  # both checked numeric just above
            raise fail("`min` is above `max`")
    max_length = item.get("max_length")
    if kind == "text" and not (isinstance(max_length, int) and 1 <= max_length <= 4000):
        raise fail("a text step needs `max_length` between 1 and 4000")
    default = item.get("default")
    if default is not None:
        if isinstance(default, dict):
            if default.keys() == {"derive"}:
                if default["derive"] not in DERIVED_NAMES:
                    raise fail("`default` derives an unknown value")
            elif set(default) != {"answer"} or default["answer"] not in known:
                raise fail("`default` refers to an unknown answer")
        elif kind == "number" and not (minimum <= default <= maximum):
            raise fail("`default` is out of bounds")
        elif kind in ("single", "yesno") and not any(c.id == default for c in choices):
            raise fail("`default` is not one of the choices")
    render = item.get("render")
    if render is not None and render not in RENDERS:
        raise fail(f"`render` is one of {', '.join(RENDERS)}")
    presets = _build_presets(item.get("preset"), known, fail)
    sets = item.get("sets")
    if sets is not None and (sets not in ("language", "lighter_plan") or kind != "single"):
        raise fail("`sets` is `language` or `lighter_plan`, on a single choice")
    for choice in choices:
        issues = conditions.problems(choice.when, known) if choice.when is not None else []
        if issues:
            raise fail(f"choice {choice.id!r}: " + "; ".join(issues))
    if kind == "message" and (choices or after):
        raise fail("a message has no choices and no `after`")

    return Step(
        id=step_id,
        kind=kind,
        text=text,
        module=module,
        file=file,
        topics=step_topics,
        sources=step_sources,
        choices=choices,
        branches=branches,
        after=after,
        variants=variants,
        min=minimum,
        max=maximum,
        default=default,
        unit=item.get("unit"),
        max_length=max_length,
        render=render,
        plan_field=item.get("plan_field"),
        sets=sets,
        presets=presets,
    )


def _build_presets(raw: Any, known: set[str], fail: Any) -> tuple[Preset, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raw = [raw]
    built = []
    for entry in raw:
        if not isinstance(entry, dict) or set(entry) - {"when", "value", "answer", "derive"}:
            raise fail("each `preset` is {when, value | answer | derive}")
        sources = [k for k in ("value", "answer", "derive") if k in entry]
        if len(sources) != 1:
            raise fail("a `preset` gives exactly one of value, answer, derive")
        if "answer" in entry and entry["answer"] not in known:
            raise fail(f"`preset` refers to unknown answer {entry['answer']!r}")
        if "derive" in entry and entry["derive"] not in DERIVED_NAMES:
            raise fail(f"`preset` derives unknown value {entry['derive']!r}")
        when = entry.get("when")
        if when is not None:
            issues = conditions.problems(when, known)
            if issues:
                raise fail("; ".join(issues))
        built.append(Preset(when, entry.get("value"), entry.get("answer"), entry.get("derive")))
    return tuple(built)


def _build_choices(item: dict[str, Any], kind: str, fail: Any) -> tuple[ChoiceSpec, ...]:
    raw = item.get("choices")
    if kind == "yesno":
        if raw is not None:
            raise fail("a yes/no step has built-in choices")
        return tuple(ChoiceSpec(cid, label) for cid, label in YESNO_CHOICES)
    if kind not in ("single", "multiple"):
        if raw is not None:
            raise fail(f"a {kind} step has no choices")
        return ()
    if not isinstance(raw, list) or len(raw) < 2:
        raise fail("a choice step needs at least two `choices`")
    built: list[ChoiceSpec] = []
    for choice in raw:
        if not isinstance(choice, dict) or set(choice) - CHOICE_KEYS:
            raise fail(f"choice {choice!r}: fields are {', '.join(sorted(CHOICE_KEYS))}")
        cid, label = choice.get("id"), choice.get("label")
        if isinstance(cid, bool):
            raise fail('a choice id is a boolean: quote "yes"/"no" in YAML')
        if not isinstance(cid, str) or not isinstance(label, str):
            raise fail(f"choice {choice!r} needs a string `id` and `label`")
        if any(c.id == cid for c in built):
            raise fail(f"duplicate choice {cid!r}")
        when = choice.get("when")
        if when is not None and not isinstance(when, dict):
            raise fail(f"choice {cid!r}: `when` is a condition")
        built.append(ChoiceSpec(cid, label, choice.get("value"), bool(choice.get("exclusive", False)), when))
    return tuple(built)


def _build_branches(raw: Any, known: set[str], fail: Any) -> tuple[Branch, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [{"to": raw}]
    if not isinstance(raw, list):
        raise fail("`next` is a step id or a list of {to, when}")
    branches = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("to"), str):
            raise fail("each `next` entry needs `to`")
        if entry["to"] not in known and entry["to"] != DONE:
            raise fail(f"`next` goes to unknown step {entry['to']!r}")
        when = entry.get("when")
        if when is not None:
            issues = conditions.problems(when, known)
            if issues:
                raise fail("; ".join(issues))
        branches.append(Branch(entry["to"], when))
    return tuple(branches)


def _build_variants(raw: Any, known: set[str], fail: Any, name: str, need_when: bool) -> tuple[Variant, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise fail(f"`{name}` is a list of {{when, text}}")
    built = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            raise fail(f"each `{name}` entry needs a `text` key")
        when = entry.get("when")
        if when is None and need_when:
            raise fail(f"each `{name}` entry needs `when`")
        if when is not None:
            issues = conditions.problems(when, known)
            if issues:
                raise fail("; ".join(issues))
        built.append(Variant(entry["text"], when))
    return tuple(built)


def _check_reachable(flows: Flows) -> None:
    seen = {flows.first}
    todo = [flows.first]
    while todo:
        for target in flows.targets(todo.pop()):
            if target != DONE and target not in seen:
                seen.add(target)
                todo.append(target)
    for step_id in flows.order:
        if step_id not in seen:
            step = flows.steps[step_id]
            raise FlowError(f"{step.file}: step {step_id}: unreachable from the first step")
