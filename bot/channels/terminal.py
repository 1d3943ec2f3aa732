"""The terminal channel: chat with the coach in a shell, or pipe a scripted conversation in.

Interactive on a terminal (numbered choices, a prompt); otherwise one answer per line from
standard input, each echoed after `> ` so a transcript reads like the chat, ending at end of input.
Reminders due for the owner are shown after each exchange (the terminal is their channel).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from bot import data_rights
from bot.clock import Clock
from bot.config import default_data_dir
from bot.engine import Engine
from bot.events import InboundEvent, Reply
from bot.nudges.runner import NudgeRunner
from bot.pictures.studio import MissingPicture

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
        files: Path | None = None,
        pictures: Path | None = None,
    ) -> None:
        self.engine = engine
        self.nudges = NudgeRunner(engine)
        self.clock = clock
        self.owner_id = f"{CHANNEL}:{user}"
        self.language = language
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty() and stdout.isatty()
        self.files = files or default_data_dir()
        self.pictures = pictures or Path.cwd()

    def send(self, text: str) -> list[Reply]:
        """Hand one line to the engine and print what it answers."""
        event = InboundEvent.from_text(self.owner_id, CHANNEL, self.clock.now(), text, language=self.language)
        replies = self.engine.handle(event)
        self.show(replies)
        if self.engine.store.get(self.owner_id) is None:  # erased (`/delete`): their exports go too
            data_rights.erase_exports(self.files, self.owner_id)
        self.show_nudges()
        return replies

    def show(self, replies: list[Reply]) -> None:
        """Print replies; keep the files they carry (the export privately, pictures in plain sight)."""
        for reply in replies:
            print(render(reply), end="\n\n", file=self.stdout, flush=True)
            attachment = reply.attachment
            if attachment is None:
                continue
            if attachment.ref is None:
                self.save(attachment.name, attachment.content)
                continue
            try:
                data = self.engine.pictures.file(self.owner_id, attachment)
            except MissingPicture:
                continue  # the owner was erased meanwhile: nothing to show
            self.save_picture(attachment.name, data)

    def save_picture(self, name: str, data: bytes) -> None:
        """Write a picture the coach sends (a chart, the plan card) in the current folder."""
        path = self.pictures / name
        path.write_bytes(data)
        t = self.engine.translators[self._language()]
        print(t.tr("terminal.saved", path=str(path)), end="\n\n", file=self.stdout, flush=True)

    def save(self, name: str, content: str) -> None:
        """Keep a file the coach sends (the data export) under the data folder, for this user only."""
        path = data_rights.save_export(self.files, self.owner_id, name, content)
        t = self.engine.translators[self._language()]
        print(t.tr("terminal.saved", path=str(path)), end="\n\n", file=self.stdout, flush=True)

    def show_nudges(self) -> None:
        """Print the reminders due for this owner: the terminal delivers them when it is open."""
        self.nudges.claim(self.owner_id, self.clock.now())
        waiting = self.nudges.take_outbox(self.owner_id)
        if waiting:
            t = self.engine.translators[self._language()]
            print(t.tr("terminal.nudges"), end="\n\n", file=self.stdout)
            self.show(waiting)

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
        try:
            self.send("/start")
            for line in self.lines():
                self.send(line)
        except KeyboardInterrupt:
            pass
        except BrokenPipeError:  # the reader went away (`coach chat | head`): stop quietly
            self._absorb_output()
            return 0
        if self.interactive:
            print("\n" + self.engine.translators[self._language()].tr("terminal.bye"), file=self.stdout)
        return 0

    def _absorb_output(self) -> None:
        """Send what is left to write to /dev/null, the process's final flush of stdout included.

        Python's documented way: the buffer still holds what the closed pipe refused, and
        flushing it again at exit would print a traceback and end with status 120.
        """
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            fileno = self.stdout.fileno()
        except (OSError, ValueError):  # not a real file (a test's StringIO)
            fileno = -1
        if fileno >= 0:
            os.dup2(devnull, fileno)
        os.close(devnull)
        self.stdout = open(os.devnull, "w")  # noqa: SIM115 - only to absorb our own last writes

    def _language(self) -> str:
        record = self.engine.store.get(self.owner_id)
        if record is not None:
            return record.language
        return self.language or "fr"
