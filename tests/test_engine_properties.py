"""Whatever an owner sends, in any order, the engine answers, stays on a real step, loses nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import build_app
from bot.config import Settings
from bot.events import COMMANDS, InboundEvent
from bot.flows import DONE
from bot.store.memory import MemoryStore
from tests.fakes.journeys import LOCAL_BAKERY

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
APP = build_app(Settings(), store=MemoryStore())
ENGINE = APP.engine

texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["1", "2", "3", "1, 3", "oui", "non", "10", "2,5", "-1", "", "   ", "🥐", "x" * 5000]),
    st.sampled_from([f"/{c}" for c in COMMANDS] + ["/language en", "/settings pause", "/pending 3", "/nope"]),
)
taps = st.lists(
    st.sampled_from(
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
    ),
    min_size=1,
    max_size=3,
)
actions = st.lists(
    st.one_of(
        st.tuples(st.just("say"), texts),
        st.tuples(st.just("tap"), taps),
        st.tuples(st.just("answer"), st.just("")),
        st.tuples(st.just("wait"), st.integers(min_value=0, max_value=60 * 24 * 40)),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions)
def test_any_sequence_of_events_keeps_the_owner_on_a_valid_step(script: list[tuple[str, object]]) -> None:
    owner = f"prop:{id(script)}:{len(script)}"
    ENGINE.store.delete(owner)
    now = START
    ENGINE.handle(InboundEvent.from_text(owner, "test", now, "/start", language="fr"))
    for kind, value in script:
        now += timedelta(seconds=7)
        before = ENGINE.store.get(owner)
        if kind == "wait":
            now += timedelta(minutes=int(value))  # type: ignore[call-overload]
            continue
        if kind == "say":
            event = InboundEvent.from_text(owner, "test", now, str(value))
        elif kind == "tap":
            event = InboundEvent(owner, "test", now, choices=tuple(value))  # type: ignore[arg-type]
        else:  # the right answer to whatever is asked
            if before is None or before.state == DONE:
                continue
            state = before.state
            answer = LOCAL_BAKERY.get(state, "fr")
            if ENGINE.flows.steps[state].choices:
                chosen = tuple(answer if isinstance(answer, list) else [answer])
                event = InboundEvent(owner, "test", now, choices=chosen)
            else:
                event = InboundEvent(owner, "test", now, text=str(answer))
        replies = ENGINE.handle(event)
        after = ENGINE.store.get(owner)
        assert replies, "every event gets an answer"
        assert all(r.text for r in replies)
        if after is None:  # only a confirmed /delete erases the owner
            assert before is not None and before.prompt == "delete"
            continue
        assert after.state == DONE or ENGINE.flows.steps[after.state].is_question
        if after.answers and before is not None:  # only a confirmed /restart or /delete empties them
            assert set(before.answers) <= set(after.answers), "an earlier answer was lost"
