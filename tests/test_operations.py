"""What an operator meets: every start-up failure is one short line, and no secret is ever printed.

Each case runs `coach` as a process against fakes on 127.0.0.1 (or nothing listening at all) and
checks the exit code, at most 3 lines on standard error, no traceback, no secret.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs
from tests.fakes.processes import Background, free_port, run_coach, start_coach, wait_for_line
from tests.fakes.slack_api import SECRET, TOKEN, FakeSlack
from tests.fakes.telegram_api import FakeTelegram

TG_TOKEN = "987654321:AAHfakeTokenThatTelegramWouldNeverIssue_x"
APP_TOKEN = "xapp-1-A0COACH-1234-fakeapplevel"
CLIENT_SECRET = "fake-client-secret-5678abcd"
DB_PASSWORD = "hunter2-database-pw"
SECRETS = (TG_TOKEN, TG_TOKEN.split(":")[1], TOKEN, APP_TOKEN, SECRET, CLIENT_SECRET, DB_PASSWORD)
NOWHERE = f"http://127.0.0.1:{free_port()}"  # nothing listens there


def one_line_failure(done: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """The failure is said in at most 3 lines, with no traceback and no secret."""
    err = done.stderr
    assert done.returncode == code, err
    assert 1 <= len(err.strip().splitlines()) <= 3, err
    assert "Traceback" not in err, err
    for secret in SECRETS:
        assert secret not in err and secret not in done.stdout, f"a secret was printed: {err}"
    for word in words:
        assert word in err, err
    return err


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No platform configured; a throw-away data folder."""
    return {
        "COACH_DATA_DIR": str(tmp_path / "data"),
        "COACH_FSYNC": "0",
        "TELEGRAM_BOT_TOKEN": "",
        "TELEGRAM_API_BASE_URL": "",
        "SLACK_BOT_TOKEN": "",
        "SLACK_APP_TOKEN": "",
        "SLACK_SIGNING_SECRET": "",
        "SLACK_CLIENT_ID": "",
        "SLACK_CLIENT_SECRET": "",
        "SLACK_API_URL": "",
        "COACH_DATABASE_URL": "",
    }


@pytest.fixture
def background() -> Iterator[Background]:
    with Background() as loop:
        yield loop


# --- platforms that refuse or do not answer ----------------------------------------------------------


@pytest.mark.parametrize("command", [["telegram"], ["nudges"], ["nudges", "--once"]])
def test_a_token_telegram_refuses_is_one_line_without_the_token(
    command: list[str], env: dict[str, str], background: Background
) -> None:
    fake = FakeTelegram()
    background.run(fake.start())
    fake.fail("getMe", 401, times=10)
    env |= {"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_API_BASE_URL": fake.url}
    one_line_failure(run_coach(command, env), 2, "Telegram rejected TELEGRAM_BOT_TOKEN")
    background.run(fake.stop())


def test_telegram_unreachable_at_start_is_one_line(env: dict[str, str]) -> None:
    env |= {"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_API_BASE_URL": NOWHERE}
    one_line_failure(run_coach(["telegram"], env), 1, "cannot reach Telegram")


def test_slack_unreachable_at_start_is_one_line(env: dict[str, str]) -> None:
    env |= {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": NOWHERE + "/api/"}
    one_line_failure(run_coach(["slack", "--port", str(free_port())], env), 1, "cannot reach Slack")


def test_a_bot_token_slack_refuses_is_one_line(env: dict[str, str], background: Background) -> None:
    fake = FakeSlack(tokens={"xoxb-another-workspace": "T999"})
    background.run(fake.start())
    env |= {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url}
    done = run_coach(["slack", "--port", str(free_port())], env)
    one_line_failure(done, 2, "Slack rejected SLACK_BOT_TOKEN")
    background.run(fake.stop())


def test_an_app_token_slack_refuses_stops_socket_mode_at_once(
    env: dict[str, str], background: Background
) -> None:
    fake = FakeSlack()  # knows the bot token, not the app token
    background.run(fake.start())
    env |= {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": fake.url}
    one_line_failure(run_coach(["slack"], env), 2, "Slack rejected SLACK_APP_TOKEN")
    background.run(fake.stop())


def test_nudges_once_says_which_platform_is_down_and_serves_the_other(
    env: dict[str, str], background: Background
) -> None:
    fake = FakeSlack()
    background.run(fake.start())
    env |= {"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_API_BASE_URL": NOWHERE}
    env |= {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake.url}
    err = one_line_failure(run_coach(["nudges", "--once"], env), 1, "Telegram unreachable")
    assert "Slack" not in err, "Slack was reached and served"
    assert fake.sent("auth.test"), "Slack was checked on its own"
    background.run(fake.stop())


# --- settings that cannot be right -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "command"),
    [
        ("TELEGRAM_BOT_TOKEN", f"'{TG_TOKEN}'", "telegram"),
        ("TELEGRAM_BOT_TOKEN", f"{TG_TOKEN} extra", "nudges"),
        ("SLACK_BOT_TOKEN", APP_TOKEN, "slack"),
        ("SLACK_APP_TOKEN", TOKEN, "slack"),
        ("COACH_DATABASE_URL", f"mysql://coach:{DB_PASSWORD}@127.0.0.1/coach", "stats"),
    ],
)
def test_a_malformed_token_is_refused_before_any_call(
    variable: str, value: str, command: str, env: dict[str, str], background: Background
) -> None:
    fake = FakeTelegram()
    background.run(fake.start())
    env |= {variable: value, "TELEGRAM_API_BASE_URL": fake.url, "SLACK_SIGNING_SECRET": SECRET}
    one_line_failure(run_coach([command], env), 2, variable)
    assert not fake.calls, "nothing was called with it"
    background.run(fake.stop())


def test_an_unreachable_database_is_one_line_without_its_password(env: dict[str, str]) -> None:
    env["COACH_DATABASE_URL"] = f"postgresql://coach:{DB_PASSWORD}@127.0.0.1:{free_port()}/coach"
    for command in (["stats"], ["nudges", "--once"], ["migrate"]):
        one_line_failure(run_coach(command, env), 2, "database")


@pytest.mark.parametrize("where", ["a file", "/proc", "/sys"])
def test_an_unusable_data_folder_is_one_line(where: str, env: dict[str, str], tmp_path: Path) -> None:
    folder = {"a file": tmp_path / "file", "/proc": Path("/proc/coach"), "/sys": Path("/sys/coach")}[where]
    if where == "a file":
        folder.write_text("not a folder")
    env["COACH_DATA_DIR"] = str(folder)
    for command in (["chat"], ["nudges", "--once"]):
        one_line_failure(run_coach(command, env, "/start\n"), 2, "COACH_DATA_DIR", str(folder))


def test_without_a_system_time_zone_database_the_coach_still_runs(
    env: dict[str, str], tmp_path: Path
) -> None:
    env["PYTHONTZPATH"] = str(tmp_path / "no-zoneinfo-here")
    done = run_coach(["chat", "--user", "tz"], env, "/start\n1\n/settings\n")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    planned = run_coach(["nudges", "--once", "--dry-run", "--at", "2026-12-07T09:00:00+01:00"], env)
    assert planned.returncode == 0, planned.stderr


def test_an_interval_of_zero_or_less_is_refused(env: dict[str, str]) -> None:
    for interval in ("0", "-5", "nan"):
        done = run_coach(["nudges", "--interval", interval], env)
        assert done.returncode == 2 and "--interval" in done.stderr and "Traceback" not in done.stderr


def test_migrate_on_tinydb_has_nothing_to_do_and_succeeds(env: dict[str, str]) -> None:
    done = run_coach(["migrate"], env)
    assert done.returncode == 0 and "nothing to migrate" in done.stdout, done.stderr


# --- the last line of defence --------------------------------------------------------------------------


def test_every_kind_of_secret_is_redacted_from_every_log_record(capfd: pytest.CaptureFixture[str]) -> None:
    logs.configure("DEBUG", [SECRET, CLIENT_SECRET])
    try:
        log = logging.getLogger("coach.test")
        log.warning("GET https://api.telegram.org/bot%s/getMe", TG_TOKEN)
        log.warning("installed %s and %s", TOKEN, APP_TOKEN)
        log.warning("signing %s, client %s", SECRET, CLIENT_SECRET)
        log.warning("cannot reach postgresql://coach:%s@db/coach", DB_PASSWORD)
        log.warning("conninfo host=db password=%s user=coach", DB_PASSWORD)
        try:
            raise RuntimeError(f"The token `{TG_TOKEN}` was rejected; oauth answered {TOKEN}")
        except RuntimeError:
            log.exception("failed")
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger().setLevel(logging.WARNING)
    err = capfd.readouterr().err
    assert err.count(logs.REDACTED) >= 9 and "RuntimeError" in err
    for secret in SECRETS:
        assert secret not in err


def test_json_logs_are_one_object_per_line_redacted_too(capfd: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", [SECRET], format="json")
    try:
        logging.getLogger("coach.test").info("token %s, secret %s", TG_TOKEN, SECRET)
        try:
            raise ValueError(APP_TOKEN)
        except ValueError:
            logging.getLogger("coach.test").exception("boom")
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger().setLevel(logging.WARNING)
    lines = capfd.readouterr().err.strip().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["level"] for r in records] == ["INFO", "ERROR"]
    assert records[0]["message"] == f"token {logs.REDACTED}, secret {logs.REDACTED}"
    assert "ValueError" in records[1]["exception"] and APP_TOKEN not in lines[1]


def test_an_exception_nobody_caught_is_one_redacted_line() -> None:
    out = io.StringIO()
    try:
        raise RuntimeError(f"The token `{TG_TOKEN}` was rejected by postgresql://u:{DB_PASSWORD}@h/d")
    except RuntimeError as error:
        logs.excepthook(RuntimeError, error, error.__traceback__, out)
    printed = out.getvalue()
    assert len(printed.splitlines()) == 1 and "Traceback" not in printed and "RuntimeError" in printed
    assert TG_TOKEN not in printed and DB_PASSWORD not in printed


def test_json_logs_from_a_running_command(env: dict[str, str]) -> None:
    env |= {"COACH_LOG_FORMAT": "json", "COACH_LOG_LEVEL": "INFO"}
    env["TELEGRAM_BOT_TOKEN"] = TG_TOKEN
    env["TELEGRAM_API_BASE_URL"] = NOWHERE
    done = run_coach(["nudges", "--once"], env)
    records = [json.loads(line) for line in done.stderr.strip().splitlines()]
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert TG_TOKEN not in done.stderr


# --- comforts ---------------------------------------------------------------------------------------------


def test_coach_version_and_each_command_says_what_it_does_and_reads(env: dict[str, str]) -> None:
    version = run_coach(["--version"], env)
    assert version.returncode == 0 and version.stdout.startswith("coach ")
    expected = {
        "chat": ["COACH_DATA_DIR"],
        "telegram": ["TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "--health-port"],
        "slack": ["SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"],
        "nudges": ["TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "--health-port"],
        "migrate": ["COACH_DATABASE_URL"],
        "stats": ["read-only"],
        "export": ["COACH_DATA_DIR"],
        "delete": ["while the bot runs"],
    }
    for command, words in expected.items():
        shown = run_coach([command, "--help"], env)
        assert shown.returncode == 0
        for word in words:
            assert word in " ".join(shown.stdout.split()), (command, word)


def test_a_dotenv_file_is_read_and_the_environment_wins(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"COACH_DATA_DIR={tmp_path / 'from-dotenv'}\nCOACH_LOG_LEVEL=loud\n")
    clean = {k: v for k, v in os.environ.items() if k not in ("COACH_DATA_DIR", "COACH_LOG_LEVEL")}
    command = [sys.executable, "-m", "bot", "chat", "--user", "dot"]
    said = subprocess.run(
        command, input="/start\n", capture_output=True, text=True, cwd=tmp_path, env=clean, timeout=120
    )
    assert said.returncode == 2 and "COACH_LOG_LEVEL" in said.stderr, ".env was read"
    done = subprocess.run(
        command,
        input="/start\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**clean, "COACH_LOG_LEVEL": "WARNING"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "from-dotenv" / "owners").glob("*.json")), "COACH_DATA_DIR from .env"


def test_the_telegram_bot_describes_itself_per_language_and_keeps_where_an_owner_came_from(
    env: dict[str, str], background: Background
) -> None:
    fake = FakeTelegram()
    background.run(fake.start())
    env |= {"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_API_BASE_URL": fake.url}
    process = start_coach(["telegram"], env)
    try:
        wait_for_line(process, "polling for updates as @coach_bot", timeout=120)
        background.run(fake.say(77, "/start flyer-boulangerie", "fr"))
        background.run(fake.wait_for(lambda: bool(fake.sent[77]), timeout=60))
    finally:
        process.terminate()
        _, err = process.communicate(timeout=60)
        background.run(fake.stop())
    assert process.returncode == 0 and TG_TOKEN not in err, err
    described = {
        (method, params.get("language_code", "")): params
        for method, params in fake.calls
        if method in ("setMyDescription", "setMyShortDescription")
    }
    methods, languages = ("setMyDescription", "setMyShortDescription"), ("fr", "en", "")
    assert set(described) == {(m, lang) for m in methods for lang in languages}
    assert "coach" in described[("setMyDescription", "en")]["description"].lower()
    assert described[("setMyShortDescription", "fr")]["short_description"] != described[
        ("setMyShortDescription", "en")
    ]["short_description"]
    exported = run_coach(["export", "--owner", "telegram:77"], env)
    assert json.loads(exported.stdout)["owner"]["came_from"] == "flyer-boulangerie"


def test_a_warning_repeated_by_every_retry_is_written_once_per_spell() -> None:
    now = [0.0]
    once = logs.OncePerSpell(quiet=600, clock=lambda: now[0])

    def record(name: str, level: int, message: str, *args: object) -> logging.LogRecord:
        return logging.LogRecord(name, level, __file__, 1, message, args, None)

    lib = "slack_bolt.AsyncApp"
    assert once.filter(record(lib, logging.ERROR, "Failed to check the session (%s)", "s_8742366224309"))
    now[0] = 10
    assert not once.filter(record(lib, logging.ERROR, "Failed to check the session (%s)", "s_8742366224310"))
    assert once.filter(record(lib, logging.ERROR, "Another failure"))
    owner = "delivery to %s postponed after 5 attempts"
    assert once.filter(record("bot.outbox", logging.WARNING, owner, "telegram:41"))
    storm = record("bot.outbox", logging.WARNING, owner, "telegram:42")
    assert not once.filter(storm), "a 5xx storm: one line"
    assert once.filter(record("bot.outage", logging.WARNING, "Telegram: back after %d s", 12))
    assert once.filter(record("bot.outage", logging.WARNING, "Telegram: back after %d s", 30)), "outages pass"
    assert once.filter(record(lib, logging.INFO, "Failed to check the session (%s)", "s_1"))
    now[0] = 700
    assert once.filter(record(lib, logging.ERROR, "Failed to check the session (%s)", "s_8742366224311"))


def test_a_port_already_taken_is_one_line(env: dict[str, str], background: Background) -> None:
    fake, slack = FakeTelegram(), FakeSlack()
    background.run(fake.start())
    background.run(slack.start())
    env |= {"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_API_BASE_URL": fake.url, "TELEGRAM_WEBHOOK_SECRET": "s"}
    env |= {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.url}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for command in (
            ["slack", "--port", port],
            ["telegram", "--webhook-url", "https://coach.example.com/telegram", "--port", port],
            ["telegram", "--health-port", port],
            ["nudges", "--health-port", port],
        ):
            one_line_failure(run_coach(command, env), 2, f"cannot listen on 127.0.0.1:{port}")
    background.run(fake.stop())
    background.run(slack.stop())
