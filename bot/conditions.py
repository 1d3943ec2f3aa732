"""Conditions on earlier answers, as written in the flows: `{market: local}`, `{hours: {lt: 2}}`.

A condition maps step ids to a test; all tests must hold. A bare value means "equals", or
"contains" when the answer is a list (multiple choice). An unanswered step fails every test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Answers = Mapping[str, Any]

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "lt": lambda a, v: _is_number(a) and a < v,
    "lte": lambda a, v: _is_number(a) and a <= v,
    "gt": lambda a, v: _is_number(a) and a > v,
    "gte": lambda a, v: _is_number(a) and a >= v,
    "in": lambda a, v: any(x in v for x in a) if isinstance(a, list) else a in v,
    "not_in": lambda a, v: not (any(x in v for x in a) if isinstance(a, list) else a in v),
    "count_gt": lambda a, v: isinstance(a, list) and len(a) > v,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def holds(condition: Mapping[str, Any] | None, answers: Answers) -> bool:
    """Tell whether every test of `condition` holds for `answers` (an empty one always does)."""
    if not condition:
        return True
    for step_id, test in condition.items():
        if answers.get(step_id) is None:
            return False
        answer = answers[step_id]
        if isinstance(test, Mapping):
            for op, value in test.items():
                if not OPERATORS[op](answer, value):
                    return False
        elif isinstance(answer, list):
            if test not in answer:
                return False
        elif answer != test:
            return False
    return True


def problems(condition: Any, known_steps: set[str]) -> list[str]:
    """List what is wrong with a condition as written (empty when it is well formed)."""
    if not isinstance(condition, Mapping) or not condition:
        return ["a condition must be a non-empty mapping of step id to test"]
    found = []
    for step_id, test in condition.items():
        if step_id not in known_steps:
            found.append(f"condition on unknown step {step_id!r}")
        if isinstance(test, bool):
            found.append(f'condition on {step_id!r} is a boolean: quote "yes"/"no" in YAML')
        if isinstance(test, Mapping):
            for op in test:
                if op not in OPERATORS:
                    found.append(f"unknown operator {op!r} (known: {', '.join(OPERATORS)})")
    return found
