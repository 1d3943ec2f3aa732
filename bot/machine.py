"""One shared `transitions` state machine built from the flows, driven for any owner.

Owners are never added to the machine (adding is O(n) and costs memory per owner): for each
answer a throw-away cursor holding the owner's state and answers is passed to the `next` event,
whose conditions read the answers (the pattern of transitions issue #146).
"""

from __future__ import annotations

from typing import Any

from transitions import Machine

from bot.conditions import holds
from bot.flows import DONE, Flows


class Cursor:
    """The little a transition needs: where the owner is and what they answered."""

    __slots__ = ("answers", "state")

    def __init__(self, state: str, answers: dict[str, Any]) -> None:
        self.state = state
        self.answers = answers


def build_machine(flows: Flows) -> Machine:
    """Build the machine: a state per step plus `done`, and `next` transitions with conditions."""
    machine = Machine(
        model=None,
        states=[*flows.order, DONE],
        initial=flows.first,
        auto_transitions=False,
        send_event=True,
    )
    for step_id in flows.order:
        step = flows.steps[step_id]
        for branch in step.branches:
            when = branch.when
            machine.add_transition(
                "next",
                step_id,
                branch.to,
                conditions=[lambda event, when=when: holds(when, event.model.answers)] if when else [],
            )
        if not step.branches or step.branches[-1].when:
            machine.add_transition("next", step_id, flows.sequential_next(step_id))
    return machine


def next_state(machine: Machine, state: str, answers: dict[str, Any]) -> str:
    """Where an owner at `state` with these answers goes next."""
    cursor = Cursor(state, answers)
    machine.events["next"].trigger(cursor)
    return cursor.state
