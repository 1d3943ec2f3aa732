"""The terminal channel: chat with the coach in a shell, or pipe a scripted conversation in.

Interactive on a terminal (numbered choices, a prompt); otherwise one answer per line from
standard input, each echoed after `> ` so a transcript reads like the chat, ending at end of input.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TextIO

from bot.clock import Clock
from bot.engine import Engine
from bot.events import InboundEvent, Reply

CHANNEL = "terminal"


def render(reply: Reply) -> str:
    """A reply as terminal text: the message, then its options numbered from 1."""
    lines = [reply.text]
    lines += [f"  {n}. {choice.label}" for n, choice in enumerate(reply.choices, 1)]
    return "\n".join(lines)


class TerminalChat:
    """One owner's conversation on standard input and output."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        user: str,
        language: str | None,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.owner_id = f"{CHANNEL}:{user}"
        self.language = language
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty() and stdout.isatty()

    def send(self, text: str) -> list[Reply]:
        """Hand one line to the engine and print what it answers."""
        event = InboundEvent.from_text(self.owner_id, CHANNEL, self.clock.now(), text, language=self.language)
        replies = self.engine.handle(event)
        for reply in replies:
            print(render(reply), end="\n\n", file=self.stdout, flush=True)
        return replies

    def lines(self) -> Iterable[str]:
        """The owner's lines, from a prompt or from the piped input."""
        if self.interactive:
            while True:
                try:
                    yield input("> ")
                except EOFError:
                    return
        else:
            for line in self.stdin:
                line = line.rstrip("\n")
                print(f"> {line}", file=self.stdout, flush=True)
                yield line

    def run(self) -> int:
        """Resume or start the conversation and carry it on until input ends."""
        t = self.engine.translators[self._language()]
        if self.interactive:
            print(t.tr("terminal.hint"), end="\n\n", file=self.stdout)
        self.send("/start")
        try:
            for line in self.lines():
                self.send(line)
        except KeyboardInterrupt:
            pass
        if self.interactive:
            print("\n" + self.engine.translators[self._language()].tr("terminal.bye"), file=self.stdout)
        return 0

    def _language(self) -> str:
        record = self.engine.store.get(self.owner_id)
        if record is not None:
            return record.language
        return self.language or "fr"
