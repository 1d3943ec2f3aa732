"""Block Kit for Slack: questions with buttons or checkboxes, answered questions, the Home tab.

Texts go out as `plain_text`, so nothing an owner typed is read as mrkdwn or as a `<!channel>`
mention; the notification text escapes &, < and > as Slack asks. Commands are shown the way
they are typed in Slack, `/coach plan`. Limits from Slack's docs: section text 3,000
characters, button and option text 75, 25 elements per actions block, 10 checkboxes per group.
"""

from __future__ import annotations

import re
from typing import Any

from bot.channels.text import split_text
from bot.commands import COMMANDS
from bot.engine import Overview
from bot.events import Reply
from bot.i18n import Translator

SECTION_MAX = 3000
LABEL_MAX = 75
ACTIONS_MAX = 25
CHECKBOXES_MAX = 10
HOME_BLOCKS_MAX = 100
MESSAGE_BLOCKS_MAX = 50
TEXT_MAX = 40_000
ALT_MAX = 2000

CHOICE = "coach.choice"
MULTI = "coach.multi"
DONE = "coach.done"
HOME_START = "coach.home.start"
DONE_MARK = "="

_COMMAND = re.compile(r"(?<![\w/])/(" + "|".join(COMMANDS) + r")\b")

Block = dict[str, Any]


def slack_commands(text: str) -> str:
    """Write each `/command` of a text as `/coach command`, the slash command Slack knows."""
    return _COMMAND.sub(r"/coach \1", text)


def escape(text: str) -> str:
    """Escape the three characters Slack reads as markup in a message's `text`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> dict[str, Any]:
    """A plain-text object: shown as is, never parsed for markup or mentions."""
    return {"type": "plain_text", "text": text, "emoji": True}


def _label(text: str) -> dict[str, Any]:
    return plain(text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…")


def button_value(step: str | None, choice: str) -> str:
    """What a button carries back: which question, which option."""
    return f"{step or ''}|{choice}"


def _sections(text: str) -> list[Block]:
    return [{"type": "section", "text": plain(part)} for part in split_text(text, SECTION_MAX) if part]


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def choice_blocks(reply: Reply) -> list[Block]:
    """The buttons of a single choice, or the checkboxes and Done button of a multiple one."""
    if not reply.choices:
        return []
    if not reply.multiple:
        buttons = [
            {
                "type": "button",
                "action_id": f"{CHOICE}.{index}",
                "text": _label(choice.label),
                "value": button_value(reply.step, choice.id),
            }
            for index, choice in enumerate(reply.choices)
        ]
        return [{"type": "actions", "elements": chunk} for chunk in _chunks(buttons, ACTIONS_MAX)]
    options = [{"text": _label(choice.label), "value": choice.id} for choice in reply.choices]
    blocks: list[Block] = [
        {
            "type": "actions",
            "elements": [{"type": "checkboxes", "action_id": f"{MULTI}.{n}", "options": chunk}],
        }
        for n, chunk in enumerate(_chunks(options, CHECKBOXES_MAX))
    ]
    done = {
        "type": "button",
        "action_id": DONE,
        "style": "primary",
        "text": _label(reply.done_label or "OK"),
        "value": button_value(reply.step, DONE_MARK),
    }
    blocks.append({"type": "actions", "elements": [done]})
    return blocks


def image(file_id: str, alt: str) -> Block:
    """An image block showing a file the app uploaded (shared with no one: shown where it is placed)."""
    return {"type": "image", "slack_file": {"id": file_id}, "alt_text": alt[:ALT_MAX] or "-"}


def messages(reply: Reply, picture: Block | None = None) -> list[tuple[str, list[Block]]]:
    """A reply as Slack messages (`text`, `blocks`), the choices on the last, a picture just above them.

    A text longer than a section takes several sections of one message; a second message only
    past what one message holds (50 blocks, 40,000 characters of notification text).
    """
    parts = [part for part in split_text(slack_commands(reply.text), SECTION_MAX) if part] or [""]
    choices = ([picture] if picture else []) + choice_blocks(reply)
    out: list[tuple[list[str], list[Block]]] = [([], [])]
    for part in parts:
        texts, blocks = out[-1]
        if blocks and (len(blocks) >= MESSAGE_BLOCKS_MAX or sum(map(len, texts)) + len(part) > TEXT_MAX):
            out.append(([], []))
            texts, blocks = out[-1]
        texts.append(part)
        blocks += _sections(part)
    texts, blocks = out[-1]
    if len(blocks) + len(choices) > MESSAGE_BLOCKS_MAX:
        out.append(([], []))
    out[-1][1].extend(choices)
    return [(escape("\n".join(texts)), blocks) for texts, blocks in out]


def _as_sent(block: Block) -> Block:
    """A block of a message as it can be sent again: an uploaded image by its file alone."""
    file_id = (block.get("slack_file") or {}).get("id") if block.get("type") == "image" else None
    return image(file_id, str(block.get("alt_text") or "")) if file_id else block


def answered(blocks: list[Block], labels: list[str]) -> list[Block]:
    """A question once answered: its text (and picture) kept, its buttons replaced by the answer."""
    kept = [_as_sent(block) for block in blocks if block.get("type") != "actions"]
    return [*kept, {"type": "context", "elements": [plain("→ " + ", ".join(labels))]}]


def selected(state_values: dict[str, Any]) -> list[tuple[str, str]]:
    """The options ticked in a message's checkboxes, as (value, label), from a payload's `state`."""
    found = []
    for block in state_values.values():
        for action_id, element in block.items():
            if action_id.startswith(MULTI):
                for option in element.get("selected_options") or []:
                    found.append((str(option.get("value", "")), str(option.get("text", {}).get("text", ""))))
    return found


def home_view(overview: Overview | None, t: Translator, chart_file: str | None = None) -> dict[str, Any]:
    """The Home tab: where the owner stands (with the chart, a file uploaded), their plan, or how to begin."""
    blocks: list[Block] = [{"type": "header", "text": plain(t.tr("slack.home.title"))}]
    if overview is None:
        blocks += _sections(slack_commands(t.tr("slack.home.welcome")))
    else:
        blocks += [{"type": "header", "text": plain(t.tr("slack.home.progress"))}]
        blocks += _sections(slack_commands(overview.progress))
        if chart_file is not None and overview.chart is not None:
            blocks.append(
                {"type": "image", "slack_file": {"id": chart_file}, "alt_text": overview.chart.text[:ALT_MAX]}
            )
        blocks += [{"type": "divider"}, {"type": "header", "text": plain(t.tr("slack.home.plan"))}]
        blocks += _sections(slack_commands(overview.plan))
    button = {
        "type": "button",
        "action_id": HOME_START,
        "style": "primary",
        "text": _label(t.tr("slack.home.continue") if overview else t.tr("slack.home.begin")),
        "value": "start",
    }
    blocks += [
        {"type": "actions", "elements": [button]},
        {"type": "context", "elements": [plain(slack_commands(t.tr("slack.home.help")))]},
    ]
    return {"type": "home", "blocks": blocks[:HOME_BLOCKS_MAX]}
