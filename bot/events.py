"""Channel-neutral messages in and out of the engine: no channel library is known here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class InboundEvent:
    """One thing an owner did: typed text, tapped a choice, or sent a command.

    `choices` carries the ids of tapped options (several for a multiple choice); `step` is the
    step the tapped buttons belonged to, so a stale button is recognised. `event_id` lets a
    channel's redelivery of the same update be handled once.
    """

    owner_id: str
    channel: str
    at: datetime
    text: str | None = None
    choices: tuple[str, ...] = ()
    step: str | None = None
    command: str | None = None
    args: str = ""
    event_id: str | None = None
    language: str | None = None
    timezone: str | None = None
    """The owner's IANA time zone when the platform knows it (Slack's `users.info` `tz`)."""

    @classmethod
    def from_text(cls, owner_id: str, channel: str, at: datetime, text: str, **kw: object) -> InboundEvent:
        """Build an event from typed text, recognising a leading `/command [args]`."""
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            head, _, rest = stripped[1:].partition(" ")
            name = head.split("@", 1)[0].lower()  # Telegram appends @botname in groups
            return cls(owner_id, channel, at, command=name, args=rest.strip(), **kw)  # type: ignore[arg-type]
        return cls(owner_id, channel, at, text=text, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Choice:
    """One option offered to the owner; `id` goes back in `InboundEvent.choices`."""

    id: str
    label: str


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply: a text kept whole (the data export), or a picture named by `ref`.

    `kind` says how a channel shows it: a `document` (a file to open or print) or a `photo` (an
    image shown in the conversation). A picture's bytes never go in the outbox: `ref` names it
    (`chart:2026-11-29`, `card:pdf`) and `bot.pictures.studio` draws it, or finds it drawn
    ahead, when the message is sent. A picture's `content`, when there is one, says what it
    shows in words (its alternative text, where the reply's text says something else).
    """

    name: str
    content: str = ""
    mime: str = "application/json"
    kind: str = "document"
    ref: str | None = None

    def to_list(self) -> list[str | None]:
        """As kept in an outbox: name, text and type, then kind and reference for a picture."""
        kept: list[str | None] = [self.name, self.content, self.mime]
        return [*kept, self.kind, self.ref] if self.ref is not None or self.kind != "document" else kept


@dataclass(frozen=True)
class Reply:
    """One message to show the owner, with its options if it asks a question."""

    text: str
    choices: tuple[Choice, ...] = ()
    multiple: bool = False
    step: str | None = None
    done_label: str | None = None
    attachment: Attachment | None = None

    def to_dict(self) -> dict[str, Any]:
        """The reply as JSON-ready data, to keep in an outbox."""
        return {
            "text": self.text,
            "choices": [[c.id, c.label] for c in self.choices],
            "multiple": self.multiple,
            "step": self.step,
            "done_label": self.done_label,
            **(
                {"attachment": self.attachment.to_list()}
                if self.attachment
                else {}
            ),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        """Rebuild a reply kept by `to_dict`."""
        return cls(
            data["text"],
            tuple(Choice(i, label) for i, label in data.get("choices", [])),
            bool(data.get("multiple")),
            data.get("step"),
            data.get("done_label"),
            Attachment(*data["attachment"]) if data.get("attachment") else None,
        )
