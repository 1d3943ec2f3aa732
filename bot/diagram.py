"""A Mermaid drawing of the flows, kept in `docs/flows.md` (a test checks it is current)."""

from __future__ import annotations

import json
from typing import Any

from bot.flows import DONE, Flows


def _label(when: dict[str, Any]) -> str:
    parts = []
    for step_id, test in when.items():
        if isinstance(test, dict):
            parts += [f"{step_id} {op} {json.dumps(v)}" for op, v in test.items()]
        else:
            parts.append(f"{step_id} = {test}")
    return " and ".join(parts).replace('"', "'")


def mermaid(flows: Flows) -> str:
    """Return the flows as a Mermaid flowchart: a box per module, an arrow per way on."""
    lines = ["flowchart TD"]
    for module in flows.modules:
        lines.append(f"  subgraph {module.id}[{module.id}]")
        for step_id in module.step_ids:
            step = flows.steps[step_id]
            shape = ("([", "])") if step.kind == "message" else ("[", "]")
            topics = f"<br/><i>{', '.join(step.topics)}</i>" if step.topics else ""
            lines.append(f'    {step_id}{shape[0]}"{step_id} · {step.kind}{topics}"{shape[1]}')
        lines.append("  end")
    lines.append(f"  {DONE}((done))")
    for step_id in flows.order:
        step = flows.steps[step_id]
        for branch in step.branches:
            arrow = f"-- {_label(branch.when)} -->" if branch.when else "-->"
            lines.append(f"  {step_id} {arrow} {branch.to}")
        if not step.branches or step.branches[-1].when:
            lines.append(f"  {step_id} --> {flows.sequential_next(step_id)}")
    return "\n".join(lines) + "\n"


def document(flows: Flows) -> str:
    """The whole `docs/flows.md` page."""
    return (
        "# The coaching flows\n\n"
        "Generated from `flows/*.yaml` by `coach diagram > docs/flows.md` (`make docs`);\n"
        "`tests/test_flows.py` fails when this page is not current. Rounded boxes are messages,\n"
        "square ones questions; the topic ids each step carries are in italics.\n\n"
        "```mermaid\n" + mermaid(flows) + "```\n"
    )
