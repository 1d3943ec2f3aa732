"""Whatever an owner sends, in any order, the engine answers, stays on a real step, loses nothing.

A Hypothesis state machine plays one owner against the engine on a real TinyDB folder: typed
text, taps (of this question, of another step, forged), the right answer, commands, clock
moves, a redelivered event and a restart of the whole process in between. After every move
the owner is on a real step and no earlier answer is gone, unless they confirmed /restart or
/delete.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from bot.app import App, build_app
from bot.commands import COMMANDS
from bot.config import Settings
from bot.events import InboundEvent, Reply
from bot.flows import DONE
from bot.store.base import OwnerRecord
from bot.store.memory import MemoryStore
from bot.store.tinydb import TinyDBStore
from tests.fakes.journeys import LOCAL_BAKERY

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
OWNER = "prop:owner"

texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["1", "2", "3", "1, 3", "oui", "non", "10", "2,5", "-1", "", "   ", "🥐", "x" * 5000]),
    st.sampled_from([f"/{c}" for c in COMMANDS] + ["/language en", "/settings pause", "/pending 3", "/nope"]),
)
tap_ids = st.sampled_from(
    [
        "fr",
        "en",
        "yes",
        "no",
        "food",
        "local",
        "facebook",
        "none",
        "restart:yes",
        "restart:no",
        "delete:no",
        "delete:yes",
        "lang:en",
        "edit:plan_cadence",
        "checkin:posted:yes",
        "forged",
    ]
)
some_step = st.sampled_from(
    [*sorted(build_app(Settings(), store=MemoryStore()).engine.flows.steps), "nowhere", ""]
)


class OneOwner(RuleBasedStateMachine):
    """One owner, one engine on a real store, and the moves an owner (or the platform) can make."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="coach-prop-"))
        self.app = self._open()
        self.now = START
        self.serial = 0
        self.last: InboundEvent | None = None
        self.erased = False
        self.known: set[str] = set()  # the answers the owner has given and not taken back
        self._send(InboundEvent.from_text(OWNER, "test", self.now, "/start", language="fr"))

    def _open(self) -> App:
        return build_app(Settings(), store=TinyDBStore(self.folder, fsync=False))

    def _record(self) -> OwnerRecord | None:
        return self.app.store.get(OWNER)

    def _event(self, text: str | None = None, **kw: object) -> InboundEvent:
        self.serial += 1
        self.now += timedelta(seconds=7)
        if text is not None:
            return InboundEvent.from_text(OWNER, "test", self.now, text, event_id=f"e{self.serial}")
        return InboundEvent(OWNER, "test", self.now, event_id=f"e{self.serial}", **kw)  # type: ignore[arg-type]

    def _send(self, event: InboundEvent) -> list[Reply]:
        before = self._record()
        replies = self.app.engine.handle(event)
        after = self._record()
        self.last = event
        assert replies, "every new event gets an answer"
        assert all(r.text for r in replies)
        confirmed = before is not None and before.prompt in ("restart", "delete")
        self.erased = after is None
        if after is None:
            assert confirmed and before is not None and before.prompt == "delete", "the owner vanished"
            self.known = set()
        elif confirmed and set(after.answers) <= {"language"}:
            self.known = set(after.answers)  # a confirmed /restart starts afresh, in the same language
        else:
            lost = self.known - set(after.answers)
            assert not lost, f"earlier answers lost: {sorted(lost)}"
            self.known = set(after.answers)
        return replies

    @rule(text=texts)
    def say(self, text: str) -> None:
        """The owner types anything, commands included."""
        self._send(self._event(text=text))

    @rule(choices=st.lists(tap_ids, min_size=1, max_size=3), step=some_step)
    def tap(self, choices: list[str], step: str) -> None:
        """The owner taps buttons: of this question, of another step, or ones never offered."""
        self._send(self._event(choices=tuple(choices), step=step or None))

    @precondition(lambda self: (r := self._record()) is not None and r.state not in ("", DONE))
    @rule(times=st.integers(min_value=1, max_value=15))
    def answer(self, times: int) -> None:
        """The owner gives the right answer to whatever is asked, a few questions in a row."""
        for _ in range(times):
            record = self._record()
            if record is None or record.state in ("", DONE):
                return
            answer = LOCAL_BAKERY.get(record.state, "fr")
            if self.app.engine.flows.steps[record.state].choices:
                chosen = tuple(answer if isinstance(answer, list) else [answer])
                self._send(self._event(choices=chosen, step=record.state))
            else:
                self._send(self._event(text=str(answer)))
            if self._record() == record:
                return

    @rule(minutes=st.integers(min_value=0, max_value=60 * 24 * 40))
    def wait(self, minutes: int) -> None:
        """Time passes: hours, days, weeks."""
        self.now += timedelta(minutes=minutes)

    @precondition(lambda self: self.last is not None and self.last.event_id is not None)
    @rule()
    def redeliver(self) -> None:
        """The platform delivers the last event again: no answer, nothing changes.

        Except after an erasure: nothing is kept of the owner, their event ids included, so the
        redelivered confirmation reads as a first message and is welcomed, with nothing restored.
        """
        assert self.last is not None
        before = self._record()
        replies = self.app.engine.handle(self.last)
        after = self._record()
        if self.erased:
            assert after is not None and not after.answers
            self.erased = False
            return
        assert replies == []
        assert (before.to_doc() if before else None) == (after.to_doc() if after else None)

    @rule()
    def restart_process(self) -> None:
        """The process stops and starts again on the same folder: the owner is where they were."""
        before = self._record()
        self.app.close()
        self.app = self._open()
        after = self._record()
        assert (before.to_doc() if before else None) == (after.to_doc() if after else None)

    @invariant()
    def on_a_real_step(self) -> None:
        record = self._record()
        if record is not None:
            event("the plan is built" if record.state == DONE else "building the plan")
            assert record.state == DONE or self.app.engine.flows.steps[record.state].is_question

    def teardown(self) -> None:
        self.app.close()


OneOwner.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_any_sequence_of_moves_keeps_the_owner_on_a_valid_step = OneOwner.TestCase
