"""Long-running processes ride out a PostgreSQL restart: reminders resume, none lost, none doubled.

`coach nudges` (delivering Telegram's reminders) and `coach slack` (delivering Slack's) run on one
database; the server is restarted under them the way an upgrade does it (clients cut off). Both
stay up, log the outage once and its end once, and deliver what waits before and after.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_process import serve_polling
from bot.events import Reply
from bot.store.base import OutboxEntry, OwnerRecord
from bot.store.postgres import PostgresStore, migrate
from tests.fakes.postgres_server import PostgresServer
from tests.fakes.processes import Background, free_port, start_coach, wait_for_line, wait_healthy
from tests.fakes.slack_api import SECRET, TOKEN, FakeSlack
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A server of this test's own, since it is restarted (the session's serves other tests)."""
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


def waiting(url: str, owner: str, channel: str, text: str) -> None:
    """An owner with a reminder claimed and waiting for their channel to deliver it."""
    store = PostgresStore(url)
    try:
        due = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        record = OwnerRecord(owner, channel, "fr", "done", next_check_at=due)
        record.outbox = [OutboxEntry(f"{owner}|{text}", "weekly", replies=[Reply(text)])]
        store.put(record)
    finally:
        store.close()


def test_a_postgresql_restart_under_nudges_and_slack_loses_no_reminder(
    own_server: PostgresServer, tmp_path: Path
) -> None:
    url = own_server.new_database()
    migrate(url)
    with Background() as loop:
        telegram, slack = FakeTelegram(), FakeSlack()
        loop.run(telegram.start())
        loop.run(slack.start())
        common = {"COACH_DATABASE_URL": url, "COACH_DATA_DIR": str(tmp_path / "data")}
        nudges = start_coach(
            ["nudges", "--interval", "1"],
            common | {"TELEGRAM_BOT_TOKEN": "123:OUTAGE-token", "TELEGRAM_API_BASE_URL": telegram.url},
        )
        web = start_coach(
            ["slack", "--port", str(free_port()), "--sweep-interval", "1"],
            common | {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.url},
        )
        running = {"nudges": nudges, "slack": web}
        try:
            wait_for_line(nudges, "sweeping every", timeout=120)
            wait_for_line(web, "listening on", timeout=120)

            def delivered(text: str) -> bool:
                return any(m["text"] == text for m in telegram.sent[41]) and any(
                    text in m["text"] for m in slack.dm("U41")
                )

            waiting(url, "telegram:41", "telegram", "Rappel avant")
            waiting(url, "slack:T111:U41", "slack", "Rappel avant")
            loop.run(telegram.wait_for(lambda: delivered("Rappel avant"), timeout=60))

            own_server.restart()

            waiting(url, "telegram:41", "telegram", "Rappel après")
            waiting(url, "slack:T111:U41", "slack", "Rappel après")
            loop.run(telegram.wait_for(lambda: delivered("Rappel après"), timeout=120))
            assert {name: p.poll() for name, p in running.items()} == dict.fromkeys(running), "both stay up"
        finally:
            for process in running.values():
                process.terminate()
            errors = {name: p.communicate(timeout=60)[1] for name, p in running.items()}
            loop.run(telegram.stop())
            loop.run(slack.stop())
    assert all(p.returncode == 0 for p in running.values()), errors
    texts = [m["text"] for m in telegram.sent[41]]
    assert texts.count("Rappel avant") == 1 and texts.count("Rappel après") == 1, texts
    dms = [m["text"] for m in slack.dm("U41")]
    assert sum("Rappel avant" in t for t in dms) == 1 and sum("Rappel après" in t for t in dms) == 1, dms
    for name, err in errors.items():
        assert "Traceback" not in err, (name, err)
        assert err.count("trying again with back-off") <= 1, (name, err)


def test_a_database_down_at_a_nudge_round_is_logged_once_and_resumed(
    own_server: PostgresServer, tmp_path: Path
) -> None:
    url = own_server.new_database()
    migrate(url)
    with Background() as loop:
        telegram = FakeTelegram()
        loop.run(telegram.start())
        env = {
            "COACH_DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": "123:OUTAGE-token",
            "TELEGRAM_API_BASE_URL": telegram.url,
        }
        nudges = start_coach(["nudges", "--interval", "1"], env)
        try:
            wait_for_line(nudges, "sweeping every", timeout=120)
            own_server.pause()
            wait_for_line(nudges, "trying again with back-off", timeout=60)
            own_server.resume()
            wait_for_line(nudges, "back after", timeout=120)
            waiting(url, "telegram:43", "telegram", "Rappel")
            loop.run(telegram.wait_for(lambda: bool(telegram.sent[43]), timeout=60))
            assert nudges.poll() is None
        finally:
            nudges.terminate()
            _, err = nudges.communicate(timeout=60)
            loop.run(telegram.stop())
    assert nudges.returncode == 0 and "Traceback" not in err, err
    assert [m["text"] for m in telegram.sent[43]] == ["Rappel"]


def test_healthz_says_when_the_database_is_down_and_when_it_is_back(
    own_server: PostgresServer, tmp_path: Path
) -> None:
    url = own_server.new_database()
    migrate(url)

    async def status(address: str) -> int:
        async with aiohttp.ClientSession() as session, session.get(address) as response:
            return response.status

    with Background() as loop:
        slack = FakeSlack()
        loop.run(slack.start())
        web_port, clock_port = free_port(), free_port()
        env = {
            "COACH_DATABASE_URL": url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.url,
        }
        web = start_coach(["slack", "--port", str(web_port)], env)
        nudges = start_coach(["nudges", "--health-port", str(clock_port)], env)
        health = {
            "web": f"http://127.0.0.1:{web_port}/healthz",
            "clock": f"http://127.0.0.1:{clock_port}/healthz",
        }
        try:
            for address in health.values():
                loop.run(wait_healthy(address, timeout=120))
            own_server.pause()
            assert {name: loop.run(status(a)) for name, a in health.items()} == {"web": 503, "clock": 503}
            own_server.resume()
            for address in health.values():
                loop.run(wait_healthy(address, timeout=120))
        finally:
            for process in (web, nudges):
                process.terminate()
            errors = [process.communicate(timeout=60)[1] for process in (web, nudges)]
            loop.run(slack.stop())
    assert web.returncode == 0 and nudges.returncode == 0, errors


def test_a_bot_api_failing_under_long_polling_is_logged_once_and_updates_come_after(
    tmp_path: Path,
) -> None:
    with Background() as loop:
        telegram = FakeTelegram()
        loop.run(telegram.start())
        env = {
            "COACH_DATA_DIR": str(tmp_path / "data"),
            "TELEGRAM_BOT_TOKEN": "123:OUTAGE-token",
            "TELEGRAM_API_BASE_URL": telegram.url,
        }
        health = free_port()
        bot = start_coach(["telegram", "--health-port", str(health)], env)
        seen: list[str] = []
        try:
            seen += wait_for_line(bot, "polling for updates as", timeout=120)
            loop.run(wait_healthy(f"http://127.0.0.1:{health}/healthz", timeout=60))
            telegram.fail("getUpdates", 502, times=4)  # a 5xx storm on polling
            seen += wait_for_line(bot, "polling for updates fails", timeout=120)
            loop.run(telegram.wait_for(lambda: not telegram.failures["getUpdates"], timeout=120))
            loop.run(telegram.say(44, "/start", "fr"))
            loop.run(telegram.wait_for(lambda: len(telegram.sent[44]) >= 1, timeout=120))
            assert bot.poll() is None
        finally:
            bot.terminate()
            _, rest = bot.communicate(timeout=60)
            loop.run(telegram.stop())
    err = "".join(seen) + rest
    assert bot.returncode == 0 and "Traceback" not in err, err
    assert err.count("polling for updates fails") == 1 and len(err.splitlines()) <= 3, err


def test_long_polling_says_once_when_the_bot_api_fails_and_once_when_it_is_back(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        telegram = FakeTelegram()
        await telegram.start()
        application = TelegramChannel(app.engine, app.clock).build("123:OUTAGE-token", telegram.url)
        stop = asyncio.Event()
        polling = asyncio.create_task(serve_polling(application, stop, quiet=5.0))
        try:
            await telegram.wait_for(lambda: any(m == "getUpdates" for m, _ in telegram.calls), timeout=60)
            telegram.fail("getUpdates", 502, times=3)
            await telegram.wait_for(lambda: "back after" in caplog.text, timeout=120)
            await telegram.say(45, "/start", "fr")
            await telegram.wait_for(lambda: len(telegram.sent[45]) >= 1, timeout=60)
        finally:
            stop.set()
            await polling
            await telegram.stop()

    with caplog.at_level(logging.WARNING):
        asyncio.run(scenario())
    said = [r.getMessage() for r in caplog.records if r.name == "bot.outage"]
    assert len(said) == 2 and "fails" in said[0] and "back after" in said[1], said


def test_a_token_revoked_while_polling_ends_the_bot_in_one_line(tmp_path: Path) -> None:
    with Background() as loop:
        telegram = FakeTelegram()
        loop.run(telegram.start())
        env = {
            "COACH_DATA_DIR": str(tmp_path / "data"),
            "TELEGRAM_BOT_TOKEN": "123:REVOKED-token",
            "TELEGRAM_API_BASE_URL": telegram.url,
        }
        bot = start_coach(["telegram"], env)
        try:
            wait_for_line(bot, "polling for updates as", timeout=120)
            telegram.fail("getUpdates", 401, times=1000)  # revoked with @BotFather meanwhile
            _, err = bot.communicate(timeout=120)
        finally:
            if bot.poll() is None:
                bot.kill()
                bot.communicate()
            loop.run(telegram.stop())
    assert bot.returncode == 2, err
    said = "coach: Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather"
    assert err.strip().splitlines() == [said], err
