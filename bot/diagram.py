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


JOURNEY = """\
## The journey

1. **Onboarding** (8 answers, 9 when the channel does not say the owner's language): the
   business's name, sector, market, team size, who runs social media today, the accounts it
   has, how often it posts (only with an account) and the hours it can give. Each answer is
   used: the sector picks examples and content themes, the team size the lessons' wording (no
   staff for a solo owner), the accounts whether habits and replies are asked, the hours the
   plan's fit.
2. **Diagnosis** (1 or 2 taps): statements the owner ticks, what they believe and, with an
   account, what they do today. With the onboarding facts they score each of the 29 topics
   (`signals` in `flows/topics.yaml`, table below): 2 or more is a *risk*, 1 *to look at*, 0
   *fine*. The diagnosis message lists the risks, most harmful first (`severity`), and sums up
   the rest in three lines.
3. **Plan** (6 to 10 answers): each question comes with one lesson of the owner's risks, the
   one anchored to it (`at`) or else the most harmful one left; lessons left over come before
   the plan (at most 10 in all; `/learn` keeps every topic one command away). Parts the coach
   can work out are taken without asking (`preset`) and said in the plan. When the plan asks for
   more hours than the owner has (the coach's estimates in `bot/workload.py`), the coach says so
   and offers a version that fits, in one tap. An hour valued at 0 leads to a question on what
   the owner's own hour is worth.
4. **The plan**: objectives, audience, networks and cadence, the sector's content themes, the
   self-promotion ceiling (5-10 %), reply time, listening, who is in charge, the hours against
   what the plan needs, the cost of time and a money line for ads and tools, 2-3 figures to
   track with today's value and a target for the 3-month review, every risk with a weekly
   habit (most serious first), and what to do with the accounts left out.

After the plan, typed text is read as what the owner wants (`bot/intents.py`): "j'ai publié
sur insta" logs a post, "3 commentaires en attente" notes them, "je voudrais changer mes
réseaux" reopens that part of the plan; `/back` reopens the last part and the reminders go on.
"""


def topic_table(flows: Flows) -> str:
    """A row per topic: where it comes from, how much harm it does, what shows it, where it is taught."""
    rows = [
        "| topic | module | source | severity | signals (score) | taught with |",
        "|---|---|---|---|---|---|",
    ]
    for topic in sorted(flows.topics.values(), key=lambda t: (-t.severity, t.id)):
        signals = "; ".join(f"{_label(s.when)} ({s.score})" for s in topic.signals)
        rows.append(
            f"| `{topic.id}` | {topic.module} | {topic.source} | {topic.severity} | {signals} "
            f"| {topic.at or 'the next plan question'} |"
        )
    return "\n".join(rows) + "\n"


def document(flows: Flows) -> str:
    """The whole `docs/flows.md` page."""
    return (
        "# The coaching flows\n\n"
        "Generated from `flows/*.yaml` by `coach diagram > docs/flows.md` (`make docs`);\n"
        "`tests/test_flows.py` fails when this page is not current.\n\n"
        + JOURNEY
        + "\n## The 29 topics, most harmful first\n\n"
        + topic_table(flows)
        + "\n## The steps\n\n"
        "Rounded boxes are messages, square ones questions; the topic ids each step carries are in\n"
        "italics.\n\n"
        "```mermaid\n" + mermaid(flows) + "```\n"
    )
