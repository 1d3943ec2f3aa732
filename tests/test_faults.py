"""Twenty owners talk to the coach while the platform fails one call in ten, on every method.

The real python-telegram-bot Application and the real Bolt app run against the fakes, which
answer 5 % of all calls with a 500 and hold another 5 % past the client's timeout (sending,
answering a button press, editing the question, fetching updates, opening a DM, publishing
the Home tab); 1 % of the messages are taken by the platform but answered only after the bot
gave up, so the bot sends them again: those are the only repeats allowed, and they are
counted. When the faults stop, every owner has every answer within 5 seconds, and nothing
went wrong in the bot's own code (no error logged).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from bot.app import App, build_app
from bot.channels.slack import SlackChannel
from bot.channels.telegram import TelegramChannel, callback_data
from bot.clock import FixedClock
from bot.config import Settings
from tests.fakes.chaos import Chaos
from tests.fakes.journeys import LOCAL_BAKERY
from tests.fakes.slack_api import SECRET, TOKEN, FakeSlack, Member, buttons
from tests.fakes.telegram_api import FakeTelegram

OWNERS = 20
EXCHANGES = 12
CALM_WITHIN = 5.0
"""Seconds after the faults stop by which every owner has every answer."""
PATIENCE = 120.0
"""How long an owner waits for the coach while the faults go on (a bound, never a sleep)."""


@pytest.fixture
def fault_app(settings: Settings, clock: FixedClock) -> Iterator[App]:
    built = build_app(settings, clock=clock)
    yield built
    built.close()


def _answer_of(app: App, state: str) -> Any:
    return "fr" if state == "language" else LOCAL_BAKERY[state]


def _typed(app: App, state: str) -> str:
    """The owner's answer to `state` typed out: an option's number(s), or the value."""
    step = app.engine.flows.steps[state]
    value = _answer_of(app, state)
    if not step.choices:
        return str(value)
    ids = [c.id for c in step.choices]
    wanted = value if isinstance(value, list) else [value]
    return ", ".join(str(ids.index(v) + 1) for v in wanted)


def _settled(app: App, owners: list[str], handled: int) -> bool:
    """Every owner's updates handled, and nothing left in their outbox."""
    for owner in owners:
        record = app.store.get(owner)
        if record is None or len(record.seen_events) < handled or record.outbox:
            return False
    return True


def _repeats(messages: list[dict[str, Any]]) -> int:
    """Messages that arrived twice in a row (the same text and buttons)."""
    return sum(
        1
        for before, after in itertools.pairwise(messages)
        if (before["text"], before.get("reply_markup")) == (after["text"], after.get("reply_markup"))
    )


def _exercised(chaos: Chaos, methods: list[str]) -> None:
    """Faults were drawn on each of these methods, and both kinds of fault somewhere."""
    for method in methods:
        assert chaos.injected[f"error:{method}"] + chaos.injected[f"timeout:{method}"] > 0, method
    assert chaos.injected["error"] and chaos.injected["timeout"]


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Errors logged by the bot and the libraries it runs in (not by the fake servers, and not
    python-telegram-bot reporting a failed `getUpdates`: the platform's fault, retried by it)."""
    ours = ("bot", "telegram", "slack_bolt", "slack_sdk", "asyncio")
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR
        and r.name.split(".")[0] in ours
        and "while polling for updates" not in r.getMessage()
    ]


# --- Telegram --------------------------------------------------------------------------------


async def _telegram_owner(app: App, fake: FakeTelegram, user: int) -> None:
    """Start, then answer: a tap on single choices (the question must have arrived), else typed."""
    owner = f"telegram:{user}"
    await fake.say(user, "/start", "fr")
    for _ in range(EXCHANGES - 2):
        await fake.wait_for(lambda: bool(app.store.get(owner) and app.store.get(owner).state), PATIENCE)
        state = app.store.get(owner).state
        step = app.engine.flows.steps[state]
        if step.choices and step.kind != "multiple":

            def asked(state: str = state) -> dict[str, Any] | None:
                for message in reversed(fake.sent[user]):
                    keys = message.get("reply_markup", {}).get("inline_keyboard", [])
                    if keys and keys[0][0]["callback_data"].startswith(state + "|"):
                        return message
                return None

            await fake.wait_for(lambda: asked() is not None, PATIENCE)
            question = asked()
            assert question is not None
            await fake.tap(user, question, callback_data(state, _answer_of(app, state)), "fr")
        else:
            await fake.say(user, _typed(app, state), "fr")
        await fake.wait_for(lambda state=state: app.store.get(owner).state != state, PATIENCE)
    await fake.say(user, "/progress", "fr")  # the last one is still on its way when the faults stop


def test_telegram_under_faults_every_owner_gets_every_answer_once_the_faults_stop(
    fault_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    users = [7000 + n for n in range(OWNERS)]
    owners = [f"telegram:{u}" for u in users]

    async def main() -> FakeTelegram:
        fake = FakeTelegram()
        await fake.start()
        channel = TelegramChannel(fault_app.engine, fault_app.clock)
        application = channel.build("123:FAULTS", fake.url, read_timeout=2.0)
        try:
            async with application:
                await application.start()
                await application.updater.start_polling(poll_interval=0, timeout=1)
                fake.chaos.on(errors=0.05, timeouts=0.05, late=0.01)
                fake.fail("getUpdates", 500)  # a long poll fails at least once, however few there are
                fake.stall("getUpdates", 5.0)  # and one is held past its timeout
                try:
                    await asyncio.gather(*(_telegram_owner(fault_app, fake, u) for u in users))
                    fake.chaos.calm()
                    await fake.wait_for(lambda: _settled(fault_app, owners, EXCHANGES), CALM_WITHIN)
                finally:
                    fake.chaos.calm()
                    await application.updater.stop()
                    await application.stop()
        finally:
            await fake.stop()
        return fake

    with caplog.at_level(logging.WARNING):
        fake = asyncio.run(main())
    _exercised(fake.chaos, ["sendMessage", "answerCallbackQuery", "editMessageText"])
    repeats, late = sum(_repeats(fake.sent[u]) for u in users), fake.chaos.injected["late:sendMessage"]
    assert repeats <= late, f"{repeats} repeats, {late} messages taken whose answer was lost"
    assert not _errors(caplog), _errors(caplog)[:3]


# --- Slack -----------------------------------------------------------------------------------


def _slack_question(fake: FakeSlack, user: str, state: str) -> dict[str, Any] | None:
    for message in reversed(fake.dm(user)):
        if any(str(b.get("value", "")).startswith(state + "|") for b in buttons(message)):
            return message
    return None


async def _slack_owner(app: App, fake: FakeSlack, member: Member) -> None:
    owner = f"slack:{member.team}:{member.user}"
    await member.command("start")
    for _ in range(EXCHANGES - 2):
        await fake.wait_for(lambda: bool(app.store.get(owner) and app.store.get(owner).state), PATIENCE)
        state = app.store.get(owner).state
        step = app.engine.flows.steps[state]
        if step.choices and step.kind != "multiple":
            await fake.wait_for(
                lambda state=state: _slack_question(fake, member.user, state) is not None, PATIENCE
            )
            question = _slack_question(fake, member.user, state)
            assert question is not None
            await member.tap(question, f"{state}|{_answer_of(app, state)}")
        else:
            await member.say(_typed(app, state))
        await fake.wait_for(lambda state=state: app.store.get(owner).state != state, PATIENCE)
    await member.say("/progress")


def test_slack_under_faults_every_member_gets_every_answer_once_the_faults_stop(
    fault_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    members_ids = [f"UF{n:02d}" for n in range(OWNERS)]
    owners = [f"slack:T111:{u}" for u in members_ids]

    async def main() -> FakeSlack:
        fake = FakeSlack()
        await fake.start()
        channel = SlackChannel(fault_app.engine, fault_app.clock, fake.url)
        channel.api_timeout = 2
        bolt = channel.build(SECRET, token=TOKEN)
        runner = web.AppRunner(bolt.web_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}/slack/events"
        members = [Member(url, "T111", u) for u in members_ids]
        try:
            await members[0].open_home()  # Bolt checks its token once (auth.test) before the faults
            await fake.wait_for(lambda: "UF00" in fake.views)
            fake.chaos.on(errors=0.05, timeouts=0.05, late=0.01)
            try:
                await asyncio.gather(*(_slack_owner(fault_app, fake, m) for m in members))
                fake.chaos.calm()
                await fake.wait_for(lambda: _settled(fault_app, owners, EXCHANGES), CALM_WITHIN)
            finally:
                fake.chaos.calm()
                await fake.wait_for(lambda: not any(q.locked() for q in channel._queues.values()))
                await channel.outbox.close()
        finally:
            await runner.cleanup()
            await fake.stop()
        return fake

    with caplog.at_level(logging.WARNING):
        fake = asyncio.run(main())
    _exercised(fake.chaos, ["chat.postMessage", "chat.update", "views.publish"])
    repeats = sum(
        1
        for u in members_ids
        for before, after in itertools.pairwise(fake.dm(u))
        if (before["text"], before["blocks"]) == (after["text"], after["blocks"])
    )
    late = fake.chaos.injected["late:chat.postMessage"]
    assert repeats <= late, f"{repeats} repeats, {late} messages taken whose answer was lost"
    assert not _errors(caplog), _errors(caplog)[:3]
