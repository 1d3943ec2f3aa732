"""A chat driver for story tests: an owner says or taps something, the test reads the coach."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FixedClock
from bot.engine import Engine
from bot.events import InboundEvent, Reply


class OwnerChat:
    """One owner talking to the engine directly, as any channel would."""

    def __init__(
        self, engine: Engine, clock: FixedClock, owner_id: str = "test:ana", language: str | None = None
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.owner_id = owner_id
        self.language = language
        self.last: list[Reply] = []

    def _send(self, event: InboundEvent) -> list[Reply]:
        self.clock.advance(timedelta(seconds=5))
        self.last = self.engine.handle(event)
        return self.last

    def say(self, text: str, event_id: str | None = None) -> list[Reply]:
        """Type a line (a command when it starts with /)."""
        return self._send(
            InboundEvent.from_text(
                self.owner_id, "test", self.clock.now(), text, language=self.language, event_id=event_id
            )
        )

    def tap(self, *choice_ids: str, step: str | None = None) -> list[Reply]:
        """Tap one or several options of the last question."""
        return self._send(
            InboundEvent(
                self.owner_id,
                "test",
                self.clock.now(),
                choices=choice_ids,
                step=step if step is not None else self.step,
                language=self.language,
            )
        )

    @property
    def question(self) -> Reply:
        """The last reply, which asks the current question."""
        return self.last[-1]

    @property
    def step(self) -> str | None:
        """The step the coach is waiting on."""
        return self.last[-1].step if self.last else None

    @property
    def text(self) -> str:
        """All the last replies' texts, joined."""
        return "\n\n".join(r.text for r in self.last)

    def record(self):
        """The owner's stored record."""
        return self.engine.store.get(self.owner_id)
