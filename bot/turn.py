"""The handling of one event for one owner: the record it changes and what it knows of the moment.

`Turn` is the context every part of the engine shares (conversation, commands, prompts); it holds
no behaviour of its own beyond reading the owner's language and the moment of the event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.events import InboundEvent
from bot.flows import Flows
from bot.i18n import Translator
from bot.store.base import OwnerRecord

if TYPE_CHECKING:
    from bot.engine import Engine


@dataclass
class Turn:
    """One event being handled: `record` is changed in place and saved by the engine."""

    engine: Engine
    record: OwnerRecord
    event: InboundEvent
    erase: bool = False
    lessons_shown: list[str] = field(default_factory=list)

    @property
    def flows(self) -> Flows:
        """The journey."""
        return self.engine.flows

    @property
    def t(self) -> Translator:
        """The owner's translator."""
        return self.engine.translators[self.record.language]

    @property
    def all_translators(self) -> list[Translator]:
        """Every language's translator, to read an answer typed in either."""
        return list(self.engine.translators.values())

    @property
    def now(self) -> datetime:
        """The moment of the event."""
        return self.event.at
