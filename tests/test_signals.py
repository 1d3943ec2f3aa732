"""Every process of the Procfile, and Socket Mode, stops within 5 s with exit 0 on SIGTERM or SIGINT.

SIGINT is sent to a process whose parent ignored it (as a shell does for a background job, and as
the README's test command may): the coach stops on it all the same. Each process is signalled once
it is up (its "listening"/"polling"/"sweeping" line), in the states where stopping is hardest: in
a back-off wait, while Socket Mode reconnects, while `migrate` waits for another migrator.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from bot.store.postgres import _MIGRATION_LOCK
from tests.fakes.postgres_server import PostgresServer
from tests.fakes.processes import Background, free_port, start_coach, wait_for_line
from tests.fakes.slack_api import SECRET, TOKEN, FakeSlack
from tests.fakes.telegram_api import FakeTelegram

STOP_WITHIN = 5.0
APP_TOKEN = "xapp-1-A0COACH-1-signals"
SIGNALS = [
    pytest.param(signal.SIGTERM, False, id="SIGTERM"),
    pytest.param(signal.SIGINT, True, id="SIGINT-ignored-by-parent"),
]


@pytest.fixture
def fakes() -> Iterator[tuple[Background, FakeTelegram, FakeSlack]]:
    with Background() as loop:
        telegram, slack = FakeTelegram(), FakeSlack()
        slack.app_tokens.add(APP_TOKEN)
        loop.run(telegram.start())
        loop.run(slack.start())
        yield loop, telegram, slack
        loop.run(telegram.stop())
        loop.run(slack.stop())


def stops_cleanly(process: subprocess.Popen[str], signum: int) -> str:
    """Signal the process; it must be gone within STOP_WITHIN seconds, with exit 0 and no traceback."""
    process.send_signal(signum)
    try:
        _, err = process.communicate(timeout=STOP_WITHIN)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"still running {STOP_WITHIN} s after {signal.Signals(signum).name}: {err[-2000:]}")
    assert process.returncode == 0, err
    assert "Traceback" not in err, err
    return err


Started = tuple[list[str], dict[str, str], str]
"""A process to start: its arguments, its environment, and a word of the line saying it is up."""
Case = Callable[[FakeTelegram, FakeSlack, Path], Started]


def web(telegram: FakeTelegram, slack: FakeSlack, data: Path) -> Started:
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.url}
    return ["slack", "--port", str(free_port())], env, "listening on"


def worker(telegram: FakeTelegram, slack: FakeSlack, data: Path) -> Started:
    env = {"TELEGRAM_BOT_TOKEN": "123:SIGNAL-token", "TELEGRAM_API_BASE_URL": telegram.url}
    return ["telegram", "--health-port", str(free_port())], env, "polling for updates"


def worker_webhook(telegram: FakeTelegram, slack: FakeSlack, data: Path) -> Started:
    env = {
        "TELEGRAM_BOT_TOKEN": "123:SIGNAL-token",
        "TELEGRAM_API_BASE_URL": telegram.url,
        "TELEGRAM_WEBHOOK_SECRET": "signal-secret",
    }
    args = ["telegram", "--webhook-url", "https://coach.example.com/telegram", "--port", str(free_port())]
    return args, env, "listening on"


def clock(telegram: FakeTelegram, slack: FakeSlack, data: Path) -> Started:
    env = {"TELEGRAM_BOT_TOKEN": "123:SIGNAL-token", "TELEGRAM_API_BASE_URL": telegram.url}
    return ["nudges", "--health-port", str(free_port())], env, "sweeping every"


def clock_in_back_off(telegram: FakeTelegram, slack: FakeSlack, data: Path) -> Started:
    env = {"TELEGRAM_BOT_TOKEN": "123:SIGNAL-token", "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{free_port()}"}
    return ["nudges", "--interval", "3600"], env, "Telegram unreachable"


def socket_mode(telegram: FakeTelegram, slack: FakeSlack, data: Path) -> Started:
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": slack.url}
    return ["slack"], env, "Socket Mode"


@pytest.mark.parametrize(("signum", "ignored"), SIGNALS)
@pytest.mark.parametrize("case", [web, worker, worker_webhook, clock, clock_in_back_off, socket_mode])
def test_each_process_stops_within_five_seconds_with_exit_0(
    case: Case,
    signum: int,
    ignored: bool,
    fakes: tuple[Background, FakeTelegram, FakeSlack],
    tmp_path: Path,
) -> None:
    _, telegram, slack = fakes
    args, env, ready = case(telegram, slack, tmp_path)
    env |= {"COACH_DATA_DIR": str(tmp_path / "data"), "COACH_FSYNC": "0", "COACH_LOG_LEVEL": "WARNING"}
    process = start_coach(args, env, ignore_sigint=ignored)
    try:
        wait_for_line(process, ready, timeout=120)
        stops_cleanly(process, signum)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.parametrize(("signum", "ignored"), SIGNALS)
def test_socket_mode_stops_while_it_reconnects(
    signum: int, ignored: bool, fakes: tuple[Background, FakeTelegram, FakeSlack], tmp_path: Path
) -> None:
    loop, _, slack = fakes
    args, env, ready = socket_mode(_, slack, tmp_path)
    env |= {"COACH_DATA_DIR": str(tmp_path / "data"), "COACH_FSYNC": "0"}
    process = start_coach(args, env, ignore_sigint=ignored)
    try:
        wait_for_line(process, ready, timeout=120)
        slack.app_tokens.clear()  # Slack now refuses the app token: every reconnection fails

        async def drop() -> None:
            for socket in slack.sockets:
                await socket.close()

        loop.run(drop())
        loop.run(slack.wait_for(lambda: len(slack.sent("apps.connections.open")) >= 4, timeout=90))
        err = stops_cleanly(process, signum)
        assert err.count("Failed to retrieve WSS URL") == 1, "each failed reconnection is not a new line"
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.parametrize(("signum", "ignored"), SIGNALS)
def test_release_stops_while_waiting_for_another_migrator(
    signum: int, ignored: bool, postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.new_database()
    with psycopg.connect(url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        process = start_coach(["migrate"], {"COACH_DATABASE_URL": url}, ignore_sigint=ignored)
        try:
            waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            while other.execute(waiting).fetchone() != (1,):
                assert process.poll() is None, process.communicate()
                other.execute("SELECT pg_sleep(0.05)")
            stops_cleanly(process, signum)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
