"""Which of the 29 topics this owner is at risk on, from their answers, most harmful first.

Each topic of `flows/topics.yaml` lists `signals`: answers that show a risk, scored 1 to 3. A
topic scoring 2 or more is a *risk* (taught in the journey, up to `MAX_LESSONS`); 1 is *to look
at*; 0 is *fine*. Risks are ordered by the topic's severity, then by score: legal and trust risks
(bought followers, hidden partnerships) weigh most and are never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.conditions import holds
from bot.facts import with_facts
from bot.flows import Flows, Topic

RISK, WATCH, FINE = "risk", "watch", "fine"
MAX_LESSONS = 10
"""At most this many lessons in the journey; further risks stay one tap away in /learn."""


@dataclass(frozen=True)
class Assessment:
    """One topic for one owner: its score (0 to 3) and what follows from it."""

    topic: Topic
    score: int

    @property
    def status(self) -> str:
        """`risk`, `watch` or `fine`."""
        return RISK if self.score >= 2 else WATCH if self.score == 1 else FINE


def assess(flows: Flows, answers: Mapping[str, Any]) -> list[Assessment]:
    """Every topic scored for these answers, in the catalogue's order."""
    known = with_facts(answers)
    found = []
    for topic in flows.topics.values():
        score = max((s.score for s in topic.signals if holds(s.when, known)), default=0)
        found.append(Assessment(topic, score))
    return found


def risks(flows: Flows, answers: Mapping[str, Any]) -> list[Assessment]:
    """The topics at risk, most harmful first (severity, then score, then catalogue order)."""
    scored = [a for a in assess(flows, answers) if a.status == RISK]
    return sorted(scored, key=lambda a: (-a.topic.severity, -a.score))


def lessons(flows: Flows, answers: Mapping[str, Any]) -> list[str]:
    """The topics the journey teaches this owner, most harmful first."""
    return [a.topic.id for a in risks(flows, answers)[:MAX_LESSONS]]


def lesson_key(topic: Topic, answers: Mapping[str, Any]) -> str:
    """The lesson text written for this owner (a variant when one fits, e.g. a solo owner)."""
    known = with_facts(answers)
    for variant in topic.variants:
        if holds(variant.when, known):
            return variant.text
    return f"lesson.{topic.id}"
