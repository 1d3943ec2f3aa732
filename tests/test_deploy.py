"""The Procfile's processes start on one PostgreSQL database, stay up, and work together."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import ROOT
from bot.events import Reply
from bot.store.base import OutboxEntry, OwnerRecord
from bot.store.postgres import PostgresStore
from tests.fakes.postgres_server import PostgresServer
from tests.fakes.processes import free_port, wait_healthy
from tests.fakes.slack_api import SECRET, TOKEN, FakeSlack, Member
from tests.fakes.telegram_api import FakeTelegram


def processes() -> dict[str, str]:
    """The Procfile, as name → command."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def _stopped(process: subprocess.Popen[bytes]) -> None:
    """Wait for a process asked to stop; one that does not within 60 s is killed (and reaped)."""
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


def test_the_procfile_runs_the_slack_app_the_telegram_bot_and_the_nudge_runner() -> None:
    assert set(processes()) == {"release", "web", "worker", "clock"}


def test_every_process_starts_on_postgresql_stays_up_and_reminders_get_delivered(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.new_database()
    port = free_port()

    async def scenario() -> None:
        telegram, slack = FakeTelegram(), FakeSlack()
        await telegram.start()
        await slack.start()
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "PORT": str(port),
            "COACH_DATABASE_URL": url,
            "COACH_DATA_DIR": str(tmp_path / "data"),
            "TELEGRAM_BOT_TOKEN": "123:DEPLOY-token",
            "TELEGRAM_API_BASE_URL": telegram.url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.url,
        }
        commands = processes()
        release = subprocess.run(commands["release"], shell=True, env=env, capture_output=True, text=True)
        assert release.returncode == 0, release.stderr
        store = PostgresStore(url)  # a reminder already claimed, waiting for the Telegram bot
        due = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        record = OwnerRecord("telegram:31", "telegram", "fr", "done", next_check_at=due)
        record.outbox = [OutboxEntry("w", "weekly", replies=[Reply("Votre rappel")])]
        store.put(record)
        store.close()
        running = {
            name: subprocess.Popen(commands[name], shell=True, env=env, start_new_session=True)
            for name in ("web", "worker", "clock")
        }
        try:
            await telegram.wait_for(lambda: any(m["text"] == "Votre rappel" for m in telegram.sent[31]), 30)
            member = Member(f"http://127.0.0.1:{port}/slack/events", "T111", "U31")
            await wait_healthy(f"http://127.0.0.1:{port}/healthz")
            assert (await member.command("start")).status == 200
            await slack.wait_for(lambda: len(slack.dm("U31")) >= 1, 30)
            await asyncio.sleep(2)
            assert {name: p.poll() for name, p in running.items()} == dict.fromkeys(running), "all stay up"
        finally:
            # Waited for in a thread: the fakes live in this event loop and must go on answering
            # while the processes shut down (their last getUpdates, their last calls).
            for process in running.values():
                os.killpg(process.pid, signal.SIGINT)
            await asyncio.gather(*(asyncio.to_thread(_stopped, p) for p in running.values()))
            await telegram.stop()
            await slack.stop()
        assert [m["text"] for m in telegram.sent[31]].count("Votre rappel") == 1, "delivered once"

    asyncio.run(scenario())
