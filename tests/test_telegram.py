"""Owners meet the coach on Telegram: the real Application against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from bot.app import App, build_app
from bot.channels.telegram import TelegramChannel, callback_data
from bot.clock import FixedClock
from bot.config import ROOT, Settings
from bot.flows import DONE, Flows
from bot.i18n import Translator
from tests.fakes.journeys import BUSY_CONSULTANT, LOCAL_BAKERY
from tests.fakes.outbox import waiting_for_next_round
from tests.fakes.processes import free_port, wait_healthy
from tests.fakes.telegram_api import BOT, FakeTelegram

TOKEN = "123:TEST-token_abc"
TEXTS = {language: Translator(language, ROOT / "locales") for language in ("fr", "en")}


def asked(fake: FakeTelegram, user: int, step: str, language: str = "fr") -> list[dict[str, Any]]:
    """The messages sent to `user` that ask the question of `step` (in `language`)."""
    wanted = TEXTS[language].tr(f"{step}.text")
    return [m for m in fake.sent[user] if wanted in m["text"]]


def started(fake: FakeTelegram, user: int, language: str = "fr") -> bool:
    """True once /start was answered: the welcome and the first question, the business's name.

    Telegram says the owner's language, so the language question is not asked.
    """
    welcome = TEXTS[language].tr("welcome.text")
    return any(welcome in m["text"] for m in asked(fake, user, "business_name", language))


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
        (LOCAL_BAKERY, "fr", False, "415,28\xa0€"),
        (BUSY_CONSULTANT, "en", True, "€751.11"),
        (LOCAL_BAKERY, "en", False, "€415.28"),
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
    # The coaching is the same on Telegram: the lessons of this owner's risks, with their source,
    # and, for the consultant whose plan asked more than one hour, the honest warning.
    said = "\n".join(m["text"] for m in fake.sent[user])
    assert record.taught and all(
        tg_app.engine.translators[language].tr(f"topic.{t}") in said for t in record.taught
    )
    if answers is BUSY_CONSULTANT:
        assert "Let's be honest" in said and record.answers["plan_cadence"] == 1


# --- reliability ----------------------------------------------------------------------------------


def test_an_owner_exports_their_data_as_a_file_then_erases_it(tg_app: App) -> None:
    user = 5151
    owner = f"telegram:{user}"

    async def scenario(fake: FakeTelegram) -> None:
        await journey(tg_app, fake, user, LOCAL_BAKERY, "fr", typed=False, stop_at="sector")
        await fake.say(user, "/export", "fr")
        await fake.wait_for(lambda: any("document" in m for m in fake.sent[user]))
        await fake.say(user, "/delete", "fr")
        await fake.wait_for(lambda: "delete:yes" in str(fake.sent[user][-1].get("reply_markup")))
        await fake.tap(user, fake.sent[user][-1], callback_data("@delete", "delete:yes"), "fr")
        await fake.wait_for(lambda: tg_app.store.get(owner) is None)

    fake = run(tg_app, scenario)
    document = next(m["document"] for m in fake.sent[user] if "document" in m)
    assert document["file_name"].endswith(".json")
    assert json.loads(document["content"])["owner"]["answers"]["business_name"] == "Boulangerie Dupain"
    assert owner not in list(tg_app.store.owner_ids())


def test_an_update_delivered_twice_is_answered_once(tg_app: App) -> None:
    user = 77

    async def scenario(fake: FakeTelegram) -> None:
        update = await fake.say(user, "/start", "fr")
        await fake.wait_for(lambda: started(fake, user))
        count = len(fake.sent[user])
        assert count == 1, "the welcome comes with the first question"
        async with fake._changed:  # the same update, same id, delivered again
            fake.updates.append(dict(update))
            fake._changed.notify_all()
        await fake.say(user, "/progress", "fr")
        # One owner is answered in order: an answer to the repeated /start would come first.
        await fake.wait_for(lambda: any("étape" in m["text"] for m in fake.sent[user][count:]))
        assert len(fake.sent[user]) == count + 1, "only /progress was answered"
        assert len(asked(fake, user, "business_name")) == 2, "/progress asks the question again"

    run(tg_app, scenario)


def test_a_429_is_waited_out_and_the_message_still_arrives_once(tg_app: App) -> None:
    user = 78

    async def scenario(fake: FakeTelegram) -> None:
        fake.fail("sendMessage", 429, retry_after=1)
        fake.fail("sendMessage", 502)
        await fake.say(user, "/start", "fr")
        await fake.wait_for(lambda: started(fake, user), timeout=15)

    fake = run(tg_app, scenario)
    texts = [m["text"] for m in fake.sent[user]]
    assert len(texts) == 1, "the welcome and the first question arrive once, in one message"
    assert sum(1 for method, _ in fake.calls if method == "sendMessage") == len(texts) + 2


def test_an_owner_who_blocked_the_bot_is_marked_inactive(tg_app: App) -> None:
    user = 79

    async def scenario(fake: FakeTelegram) -> None:
        await fake.say(user, "/start", "fr")
        await fake.wait_for(lambda: started(fake, user))
        fake.fail("sendMessage", 403)
        await fake.say(user, "/help", "fr")
        await fake.wait_for(lambda: tg_app.store.get(f"telegram:{user}").active is False)

    run(tg_app, scenario)


def test_restarting_the_bot_mid_journey_resumes_at_the_same_step(
    settings: Settings, clock: FixedClock
) -> None:
    user = 80
    first = build_app(settings, clock=clock)

    async def part_one(fake: FakeTelegram) -> None:
        await journey(first, fake, user, LOCAL_BAKERY, "fr", typed=False, stop_at="beliefs")

    run(first, part_one)
    first.close()

    second = build_app(settings, clock=clock)

    async def part_two(fake: FakeTelegram) -> None:
        await fake.say(user, "/start", "fr")
        await fake.wait_for(lambda: any(_buttons(m) for m in fake.sent[user]))
        assert _buttons(fake.sent[user][-1])[0]["callback_data"].startswith("beliefs|")

    run(second, part_two, FakeTelegram(first_update_id=10_000))
    record = second.store.get(f"telegram:{user}")
    assert record.state == "beliefs" and "beliefs" not in record.answers
    assert record.answers["market"] == "local" and record.answers["hours_available"] == 10
    second.close()


# --- manners -------------------------------------------------------------------------------------


def test_in_a_group_the_bot_says_once_to_talk_in_private(tg_app: App) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        for text in ("/start", "hello", "/plan"):
            await fake.say(90, text, "fr", chat_type="group", chat_id=-100)
        await fake.say(91, "/start", "fr")  # a private chat, to know the group was handled
        await fake.wait_for(lambda: bool(fake.sent[91]))
        await asyncio.sleep(0.2)

    fake = run(tg_app, scenario)
    assert len(fake.sent[-100]) == 1
    assert "priv" in fake.sent[-100][0]["text"]
    assert tg_app.store.get("telegram:90") is None


def test_a_photo_or_an_edited_message_gets_a_kind_answer(tg_app: App) -> None:
    user = 92

    async def scenario(fake: FakeTelegram) -> None:
        photo = fake.text_update(user, "x", "en")
        del photo["message"]["text"]
        photo["message"]["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
        await fake._push(photo)
        edited = fake.text_update(user, "changed", "en")
        await fake._push({"edited_message": {**edited["message"], "edit_date": 1}})
        await fake.wait_for(lambda: len(fake.sent[user]) >= 2)

    fake = run(tg_app, scenario)
    texts = [m["text"] for m in fake.sent[user]]
    assert "text" in texts[0] and "edited" in texts[1]


def test_texts_from_owners_are_never_sent_as_markup(tg_app: App) -> None:
    user = 93

    async def scenario(fake: FakeTelegram) -> None:
        await fake.say(user, "/start", "fr")
        await fake.wait_for(lambda: started(fake, user))
        await fake.say(user, "<b>Fournil</b> *Martin* _&_ [x](tg://user?id=1)", "fr")
        await fake.wait_for(lambda: any(_buttons(m) for m in fake.sent[user]))  # the sector question
        await fake.say(user, "/plan", "fr")  # shows the name as typed
        await fake.wait_for(lambda: any("<b>Fournil</b> *Martin* _&_" in m["text"] for m in fake.sent[user]))

    fake = run(tg_app, scenario)
    sends = [params for method, params in fake.calls if method == "sendMessage"]
    assert len(sends) == 3
    assert all(params.get("parse_mode") in (None, "") for params in sends)


def test_every_button_fits_telegram_callback_limit(journey_flows: Flows | None = None) -> None:
    from bot.config import ROOT
    from bot.flows import load

    flows = load(ROOT / "flows")
    for step in flows.steps.values():
        for choice in step.choices:
            assert len(callback_data(step.id, "~" + choice.id).encode()) <= 64
    for step in flows.plan_steps():
        assert len(callback_data("@plan_edit", "edit:" + step.id).encode()) <= 64


# --- webhook --------------------------------------------------------------------------------------

SECRET = "s3cret-Token_value"


def test_the_webhook_checks_the_secret_answers_after_handling_and_a_retried_update_once(tg_app: App) -> None:
    import aiohttp

    from bot.channels.telegram_process import serve_webhook

    user, port = 95, free_port()
    statuses: list[int] = []
    sent_before_answer: list[int] = []

    async def main() -> FakeTelegram:
        fake = FakeTelegram()
        await fake.start()
        application = TelegramChannel(tg_app.engine, tg_app.clock).build(TOKEN, fake.url)
        stop = asyncio.Event()
        server = asyncio.create_task(
            serve_webhook(application, "https://coach.example/telegram", "127.0.0.1", port, SECRET, stop)
        )
        await fake.wait_for(lambda: fake.webhook is not None)
        await wait_healthy(f"http://127.0.0.1:{port}/healthz")
        url = f"http://127.0.0.1:{port}/telegram"
        update = {"update_id": 501, **fake.text_update(user, "/start", "fr")}
        async with aiohttp.ClientSession() as http:
            for headers in (
                {},
                {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                {"X-Telegram-Bot-Api-Secret-Token": SECRET},
                {"X-Telegram-Bot-Api-Secret-Token": SECRET},
            ):
                async with http.post(url, json=update, headers=headers) as response:
                    statuses.append(response.status)
                    sent_before_answer.append(len(fake.sent[user]))
            async with http.post(
                url, data=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            ) as bad:
                statuses.append(bad.status)
        stop.set()
        await server
        await fake.stop()
        return fake

    fake = asyncio.run(main())
    assert statuses == [403, 403, 200, 200, 400]
    assert sent_before_answer[:2] == [0, 0], "a request without the secret does nothing"
    assert sent_before_answer[2] == 1, "Telegram gets its 200 only once the update is handled and answered"
    assert started(fake, user)
    assert fake.webhook is not None and fake.webhook["secret_token"] == SECRET
    assert len(fake.sent[user]) == sent_before_answer[3] == 1, "the retried update got no second answer"


# --- configuration and secrets -------------------------------------------------------------------


def test_without_a_token_the_bot_says_what_to_do(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["telegram"]) == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in capsys.readouterr().err


def test_the_token_never_reaches_the_logs_even_at_debug(
    tg_app: App, capfd: pytest.CaptureFixture[str]
) -> None:
    import logging

    from bot import logs

    logs.configure("DEBUG", [TOKEN])
    try:

        async def scenario(fake: FakeTelegram) -> None:
            fake.fail("sendMessage", 502)
            await fake.say(96, "/start", "fr")
            await fake.wait_for(lambda: started(fake, 96))

        run(tg_app, scenario)
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger().setLevel(logging.WARNING)
    err = capfd.readouterr().err
    assert "getUpdates" in err or "sendMessage" in err, "debug logging was on"
    assert TOKEN not in err and TOKEN.split(":")[1] not in err


# --- more of what owners see ---------------------------------------------------------------------


def test_long_texts_are_split_under_telegram_limit() -> None:
    from bot.channels.telegram import MAX_TEXT
    from bot.channels.text import split_text

    text = "\n".join(f"ligne {n} " + "x" * 90 for n in range(100))
    parts = split_text(text, MAX_TEXT)
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text
    assert split_text("y" * 9000, MAX_TEXT) == ["y" * 4096, "y" * 4096, "y" * 808]


def test_a_deep_link_start_works_like_start(tg_app: App) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        await fake.say(97, "/start promo-flyer-2026", "en")
        await fake.wait_for(lambda: started(fake, 97, "en"))

    fake = run(tg_app, scenario)
    assert len(fake.sent[97]) == 1, "the welcome and the first question, as for /start"
    record = tg_app.store.get("telegram:97")
    assert record.language == "en" and record.state == "business_name"


def test_one_owner_is_answered_in_order_while_others_go_on(tg_app: App) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        for user in (98, 99):
            await fake.say(user, "/start", "en")
        await fake.wait_for(lambda: all(started(fake, u, "en") for u in (98, 99)))
        before = len(fake.sent[98])
        for text in ("/progress", "/help", "/progress", "/help"):
            await fake.say(98, text, "en")
        await fake.say(99, "/help", "en")
        await fake.wait_for(lambda: len(fake.sent[98]) >= before + 4 and len(fake.sent[99]) >= 2)
        answers = [m["text"] for m in fake.sent[98][before:]]
        assert [("/start" in t) for t in answers] == [False, True, False, True]
        assert all(t.endswith(TEXTS["en"].tr("business_name.text")) for t in answers), (
            "each answer asks the question again, in the same message"
        )

    run(tg_app, scenario)


def test_reminders_go_out_through_telegram_with_its_limits(tg_app: App, clock: FixedClock) -> None:
    from datetime import timedelta

    from bot.channels.telegram import TelegramSender
    from bot.nudges.runner import NudgeRunner
    from bot.outbox import Limits, Outbox

    user = 100

    async def scenario(fake: FakeTelegram) -> None:
        await journey(tg_app, fake, user, LOCAL_BAKERY, "fr", typed=False)
        await fake.wait_for(lambda: not tg_app.store.get(f"telegram:{user}").outbox)  # plan sent
        clock.advance(timedelta(days=8))
        claimed = NudgeRunner(tg_app.engine).sweep(clock.now())
        assert [c.kinds for c in claimed] == [("cadence",)], "the memo missed by a week waits for Monday"
        before = len(fake.sent[user])
        fake.fail("sendMessage", 429, retry_after=1)
        channel = TelegramChannel(tg_app.engine, tg_app.clock)
        application = channel.build(TOKEN, fake.url, retries=0)
        async with application:
            outbox = Outbox(
                tg_app.store,
                {"telegram": TelegramSender(application.bot, tg_app.engine.pictures)},
                {"telegram": Limits(per_second=30, per_chat_per_second=5)},
            )
            sent = await outbox.deliver_all([f"telegram:{user}"])
        assert sent == sum(len(c.replies) for c in claimed) == len(fake.sent[user]) - before
        assert tg_app.store.get(f"telegram:{user}").outbox == []

    run(tg_app, scenario)


def test_a_slow_bot_api_delays_answers_but_loses_none(tg_app: App) -> None:
    async def scenario(fake: FakeTelegram) -> None:
        fake.delays["sendMessage"] = 0.3
        await fake.say(101, "/start", "en")
        await fake.wait_for(lambda: started(fake, 101, "en"), timeout=15)

    fake = run(tg_app, scenario)
    assert len(fake.sent[101]) == 1  # the welcome and the first question, in one message


@contextlib.contextmanager
def fake_in_thread(script: Callable[[FakeTelegram], Awaitable[None]]) -> Iterator[FakeTelegram]:
    """A fake Bot API on its own thread and loop, running `script`, while the test runs `coach`."""
    ready, stop = threading.Event(), threading.Event()
    holder: dict[str, FakeTelegram] = {}

    async def serve() -> None:
        fake = holder["fake"] = FakeTelegram()
        await fake.start()
        ready.set()
        task = asyncio.create_task(script(fake))
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await task
        await fake.stop()

    thread = threading.Thread(target=asyncio.run, args=(serve(),))
    thread.start()
    try:
        assert ready.wait(10)
        yield holder["fake"]
    finally:
        stop.set()
        thread.join()


def test_a_rejected_token_is_said_plainly(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    async def refuse(fake: FakeTelegram) -> None:
        fake.fail("getMe", 401, times=5)

    with fake_in_thread(refuse) as fake:
        monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:REJECTED-token")
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.url)
        assert main(["telegram"]) == 2
    err = capsys.readouterr().err
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in err
    assert "REJECTED-token" not in err


def test_coach_telegram_runs_polling_answers_and_stops_on_ctrl_c(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    async def chat_then_ctrl_c(fake: FakeTelegram) -> None:
        await fake.say(102, "/start", "fr")
        try:
            await fake.wait_for(lambda: started(fake, 102), timeout=20)
        finally:
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C does

    with fake_in_thread(chat_then_ctrl_c) as fake:
        monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.url)
        assert main(["telegram"]) == 0
    assert started(fake, 102)
    assert {"fr", "en"} <= set(fake.commands), "the command menu was set at start"


# --- faults from the Bot API ----------------------------------------------------------------------


def test_resets_5xx_and_garbled_answers_are_retried_and_nothing_is_sent_twice(tg_app: App) -> None:
    user = 6161

    async def scenario(fake: FakeTelegram) -> None:
        fake.fail("sendMessage", 502)
        fake.reset("sendMessage")
        fake.garble("sendMessage")
        fake.fail("sendMessage", 429, retry_after=1)
        await fake.say(user, "/start", "fr")
        await fake.wait_for(lambda: started(fake, user), timeout=30)
        await fake.say(user, "Fournil Martin", "fr")
        await fake.wait_for(lambda: any(_buttons(m) for m in fake.sent[user]), timeout=30)

    fake = run(tg_app, scenario)
    texts = [m["text"] for m in fake.sent[user]]
    assert len(texts) == len(set(texts)) == 2, "each reply once, none lost"
    assert started(fake, user) and len(asked(fake, user, "sector")) == 1


def test_a_request_that_times_out_is_sent_again_and_arrives_once(
    tg_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    user = 6363

    async def scenario(fake: FakeTelegram) -> None:
        fake.stall("sendMessage", 6.5)  # longer than the client's 5-second read timeout
        await fake.say(user, "/start", "fr")
        await fake.wait_for(lambda: started(fake, user), timeout=30)
        await fake.say(user, "Fournil Martin", "fr")
        await fake.wait_for(lambda: any(_buttons(m) for m in fake.sent[user]), timeout=30)
        await fake.wait_for(lambda: fake.stalled == 0, timeout=30)  # the given-up call is over

    with caplog.at_level(logging.WARNING, logger="bot.channels.telegram"):
        fake = run(tg_app, scenario)
    texts = [m["text"] for m in fake.sent[user]]
    assert len(texts) == len(set(texts)) == 2, "each reply once, none lost"
    assert started(fake, user) and len(asked(fake, user, "sector")) == 1
    assert sum(1 for method, _ in fake.calls if method == "sendMessage") == 3
    assert any("TimedOut" in r.getMessage() and "try 2 again" in r.getMessage() for r in caplog.records)


STORM_OWNERS, STORM_429S = 20, 100


def test_a_429_storm_on_many_owners_is_waited_out_and_each_reply_arrives_once(tg_app: App) -> None:
    users = range(7000, 7000 + STORM_OWNERS)

    async def scenario(fake: FakeTelegram) -> None:
        fake.fail("sendMessage", 429, retry_after=1, times=STORM_429S)
        await asyncio.gather(*(fake.say(user, "/start", "fr") for user in users))
        await fake.wait_for(lambda: all(started(fake, u) for u in users), timeout=90)
        await fake.wait_for(lambda: not any(tg_app.store.get(f"telegram:{u}").outbox for u in users))

    fake = run(tg_app, scenario)
    for user in users:
        texts = [m["text"] for m in fake.sent[user]]
        assert len(texts) == 1 and started(fake, user), f"{user}: the reply once, not lost"
        assert not tg_app.store.get(f"telegram:{user}").outbox
    calls = sum(1 for method, _ in fake.calls if method == "sendMessage")
    assert calls == STORM_OWNERS + STORM_429S, "every refused message was tried again, no more"


def test_a_bot_api_down_for_long_keeps_the_replies_and_sends_them_when_it_is_back(tg_app: App) -> None:
    from telegram import Bot

    from bot.channels.telegram import TelegramSender
    from bot.outbox import Limits, Outbox

    user, owner = 6262, "telegram:6262"

    async def scenario(fake: FakeTelegram) -> None:
        fake.fail("sendMessage", 503, times=12)  # more than every retry
        await fake.say(user, "/start", "fr")
        await fake.wait_for(lambda: waiting_for_next_round(tg_app.store, owner), 60)
        assert not fake.sent[user]
        fake.failures["sendMessage"].clear()  # the API is back: the next round of the outbox
        async with Bot(TOKEN, base_url=f"{fake.url}/bot") as bot:
            outbox = Outbox(
                tg_app.store,
                {"telegram": TelegramSender(bot, tg_app.engine.pictures)},
                {"telegram": Limits(max_backoff=0.1)},
            )
            assert await outbox.deliver_all([owner]) == 1

    fake = run(tg_app, scenario)
    assert len(fake.sent[user]) == 1 and started(fake, user), "the welcome and the question, once"
    assert not tg_app.store.get(owner).outbox


# --- hostile and odd input ----------------------------------------------------------------------


def test_unknown_updates_forged_buttons_and_huge_texts_break_nothing(tg_app: App) -> None:
    user, owner = 6363, "telegram:6363"

    async def scenario(fake: FakeTelegram) -> None:
        await fake.say(user, "/start", "fr")
        await fake.wait_for(lambda: started(fake, user))
        await fake._push(
            {
                "my_chat_member": {
                    "chat": {"id": user, "type": "private"},
                    "from": {"id": user, "is_bot": False, "first_name": "A"},
                    "date": 0,
                    "old_chat_member": {"status": "member", "user": BOT},
                    "new_chat_member": {"status": "kicked", "user": BOT, "until_date": 0},
                }
            }
        )
        question = fake.sent[user][-1]
        await fake.tap(user, question, "plan_hours|999", "fr")  # a button of another step
        await fake.tap(user, question, "|" + "x" * 60, "fr")  # nonsense data
        await fake.say(user, "é" * 4000, "fr")  # far too long for a name: refused kindly
        await fake.say(user, "<b>Boulangerie</b> *Dupain* \x07", "fr")
        await fake.wait_for(lambda: tg_app.store.get(owner).state != "business_name")
        await fake.say(user, "/progress", "fr")  # still answering, and on the next question
        await fake.wait_for(lambda: "étape" in fake.sent[user][-1]["text"].lower())
        assert fake.sent[user][-1]["text"].endswith(TEXTS["fr"].tr("sector.text"))

    fake = run(tg_app, scenario)
    record = tg_app.store.get(owner)
    assert "plan_hours" not in record.answers
    name = record.answers.get("business_name", "")
    assert name.startswith("<b>Boulangerie</b> *Dupain*") and "\x07" not in name, (
        "kept as typed, controls dropped"
    )
    assert all("Traceback" not in m["text"] for m in fake.sent[user])
