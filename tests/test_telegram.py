"""Owners meet the coach on Telegram: the real Application against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.app import App, build_app
from bot.channels.telegram import TelegramChannel, callback_data
from bot.clock import FixedClock
from bot.config import Settings
from bot.flows import DONE
from tests.fakes.journeys import BUSY_CONSULTANT, LOCAL_BAKERY
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123:TEST-token_abc"


async def _running(app: App, fake: FakeTelegram, scenario: Callable[[], Awaitable[None]]) -> None:
    channel = TelegramChannel(app.engine, app.clock)
    application = channel.build(TOKEN, fake.url, retries=3)
    async with application:
        await channel.set_commands(application)  # run_polling() does it through post_init
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            await scenario()
        finally:
            await application.updater.stop()
            await application.stop()


def run(
    app: App, scenario: Callable[[FakeTelegram], Awaitable[None]], fake: FakeTelegram | None = None
) -> FakeTelegram:
    async def main() -> FakeTelegram:
        server = fake or FakeTelegram()
        await server.start()
        try:
            await _running(app, server, lambda: scenario(server))
        finally:
            await server.stop()
        return server

    return asyncio.run(main())


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


async def journey(
    app: App,
    fake: FakeTelegram,
    user: int,
    answers: dict[str, Any],
    language: str,
    typed: bool,
    stop_at: str | None = None,
) -> None:
    """Answer every question the bot asks, by buttons or by typing, until the plan is ready."""
    owner = f"telegram:{user}"
    await fake.say(user, "/start", language)
    await fake.wait_for(lambda: app.store.get(owner) is not None and bool(app.store.get(owner).state))
    for _ in range(200):
        state = app.store.get(owner).state
        if state in (DONE, stop_at):
            return
        step = app.engine.flows.steps[state]
        value = language if state == "language" else answers[state]
        wanted = value if isinstance(value, list) else [value]
        if not step.choices:
            await fake.say(user, str(value), language)
        else:

            def asked(state: str = state) -> bool:
                return any(
                    _buttons(m) and _buttons(m)[0]["callback_data"].startswith(state + "|")
                    for m in fake.sent[user]
                )

            await fake.wait_for(asked)
            question = next(
                m
                for m in reversed(fake.sent[user])
                if _buttons(m) and _buttons(m)[0]["callback_data"].startswith(state + "|")
            )
            if typed:
                ids = [c.id for c in step.choices]
                await fake.say(user, ", ".join(str(ids.index(v) + 1) for v in wanted), language)
            elif step.kind == "multiple":
                for v in wanted:
                    await fake.tap(user, question, callback_data(state, "~" + v), language)
                    await fake.wait_for(
                        lambda q=question, v=v: any(
                            b["text"].startswith("☑") and b["callback_data"].endswith("~" + v)
                            for b in _buttons(q)
                        )
                    )
                await fake.tap(user, question, callback_data(state, "="), language)
            else:
                await fake.tap(user, question, callback_data(state, wanted[0]), language)
        await fake.wait_for(lambda state=state: app.store.get(owner).state != state)
    raise AssertionError("the journey did not end")


@pytest.fixture
def tg_app(settings: Settings, clock: FixedClock) -> App:
    built = build_app(settings, clock=clock)
    yield built
    built.close()


def test_the_bot_sets_its_command_menu_in_french_and_english(tg_app: App) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        await fake.wait_for(lambda: {"fr", "en"} <= set(fake.commands))

    fake = run(tg_app, scenario)
    names = [c["command"] for c in fake.commands["fr"]]
    assert names[:3] == ["start", "help", "plan"]
    assert fake.commands["fr"] != fake.commands["en"]


@pytest.mark.parametrize(
    ("answers", "language", "typed", "cost"),
    [
        (LOCAL_BAKERY, "fr", False, "1\u202f083,33\xa0€"),
        (BUSY_CONSULTANT, "en", True, "€693.33"),
        (LOCAL_BAKERY, "en", False, "€1,083.33"),
    ],
)
def test_a_whole_journey_from_start_to_plan_on_telegram(
    tg_app: App, answers: dict[str, Any], language: str, typed: bool, cost: str
) -> None:
    user = 4242

    async def scenario(fake: FakeTelegram) -> None:
        await journey(tg_app, fake, user, answers, language, typed)
        await fake.wait_for(lambda: any(cost in m["text"] for m in fake.sent[user]))
        await fake.say(user, "/plan", language)
        await fake.wait_for(lambda: "@plan_edit|" in str(fake.sent[user][-1].get("reply_markup")))

    fake = run(tg_app, scenario)
    record = tg_app.store.get(f"telegram:{user}")
    assert record.state == DONE and record.language == language
    tapped = [m for m in fake.sent[user] if "\n\n→ " in m["text"]]
    if not typed:
        assert tapped and all("reply_markup" not in m for m in tapped), (
            "answered questions lose their buttons"
        )
    assert all(len(m["text"]) <= 4096 for m in fake.sent[user])
