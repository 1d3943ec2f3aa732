"""The terminal coach, run as a real command: scripted conversations, resuming, an interactive session."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from bot.config import ROOT
from tests.fakes.processes import run_coach

FIXTURES = Path(__file__).parent / "fixtures"


def coach(args: list[str], stdin: str, data: Path) -> subprocess.CompletedProcess[str]:
    return run_coach(args, {"COACH_DATA_DIR": str(data), "COACH_FSYNC": "0"}, stdin)


def test_a_piped_conversation_reaches_a_plan_with_the_cost_in_french(tmp_path: Path) -> None:
    answers = (FIXTURES / "bakery_fr.txt").read_text(encoding="utf-8")
    result = coach(["chat", "--user", "ana"], answers, tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "> Boulangerie Dupain" in result.stdout
    assert "415,28\xa0€" in result.stdout.split("> /plan")[-1]
    assert "Traceback" not in result.stdout


def test_the_same_in_english_with_lang_en(tmp_path: Path) -> None:
    answers = (FIXTURES / "consultant_en.txt").read_text(encoding="utf-8")
    result = coach(["chat", "--user", "sam", "--lang", "en"], answers, tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert "€751.11" in result.stdout.split("> /plan")[-1]  # 2 h 10 (the lighter plan) × €80 × 52/12


def test_quitting_and_coming_back_resumes_at_the_same_step(tmp_path: Path) -> None:
    lines = (FIXTURES / "bakery_fr.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    first = coach(["chat", "--user", "ana"], "".join(lines[:10]), tmp_path / "data")
    assert first.returncode == 0
    last_question = first.stdout.rstrip().split("\n\n")[-1]
    second = coach(["chat", "--user", "ana"], "", tmp_path / "data")
    assert second.returncode == 0
    assert last_question in second.stdout
    third = coach(["chat", "--user", "ana"], "".join(lines[10:]), tmp_path / "data")
    assert "415,28\xa0€" in third.stdout


def test_two_owners_on_one_machine_do_not_mix(tmp_path: Path) -> None:
    lines = (FIXTURES / "bakery_fr.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    coach(["chat", "--user", "ana"], "".join(lines[:10]), tmp_path / "data")
    other = coach(["chat", "--user", "bob"], "", tmp_path / "data")
    assert "Boulangerie Dupain" not in other.stdout


def test_an_interactive_session_numbers_the_choices_and_leaves_on_ctrl_d(tmp_path: Path) -> None:
    env = {**os.environ, "COACH_DATA_DIR": str(tmp_path / "data"), "COACH_FSYNC": "0"}
    pid, fd = pty.fork()
    if pid == 0:  # the child becomes the coach, on a pseudo-terminal
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "bot", "chat", "--user", "tty"], env)

    def read_until(marker: str, timeout: float = 30) -> str:
        seen, deadline = "", time.monotonic() + timeout
        while marker not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(fd, 4096).decode(errors="replace")
                except OSError:
                    break
        return seen

    screen = read_until("> ")
    assert "  1. Français" in screen and "  2. English" in screen
    os.write(fd, b"2\n")
    screen = read_until("> ")
    assert "business" in screen
    os.write(fd, b"\x04")  # Ctrl-D
    read_until("\n", timeout=5)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0


def test_the_terminal_shows_the_reminders_due_for_its_owner(app, clock, tmp_path: Path) -> None:
    import io
    from datetime import timedelta

    from bot.channels.terminal import TerminalChat
    from tests.fakes.chat import OwnerChat
    from tests.fakes.journeys import LOCAL_BAKERY, walk

    owner = OwnerChat(app.engine, clock, "terminal:ana", language="fr")
    owner.say("/start")
    walk(owner, LOCAL_BAKERY)
    clock.advance(timedelta(days=8))  # no post for a week: the cadence nudge and a weekly check-in
    out = io.StringIO()
    chat = TerminalChat(
        app.engine, clock, "ana", "fr", stdin=io.StringIO("/progress\n"), stdout=out, pictures=tmp_path
    )
    assert chat.run() == 0
    shown = out.getvalue()
    assert app.engine.translators["fr"].tr("terminal.nudges") in shown
    assert app.engine.translators["fr"].tr("memo.button.posted") in shown, "the reminder, with its one tap"
    assert app.store.get("terminal:ana").outbox == []
    charts = [p.suffix for p in tmp_path.iterdir() if p.is_file()]
    assert charts == [".png"], "/progress's chart (the memo offers it in one tap)"
    again = io.StringIO()
    quiet = io.StringIO("")
    TerminalChat(app.engine, clock, "ana", "fr", stdin=quiet, stdout=again, pictures=tmp_path).run()
    assert app.engine.translators["fr"].tr("terminal.nudges") not in again.getvalue(), "shown once"


def test_the_weekly_memo_in_the_terminal_prints_where_its_chart_is(app, clock, tmp_path: Path) -> None:
    import io
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.channels.terminal import TerminalChat
    from tests.fakes.chat import OwnerChat
    from tests.fakes.journeys import LOCAL_BAKERY, walk

    paris = ZoneInfo("Europe/Paris")
    clock.set(datetime(2026, 11, 23, 11, 0, tzinfo=paris).astimezone(UTC))
    owner = OwnerChat(app.engine, clock, "terminal:ana", language="fr")
    owner.say("/start")
    walk(owner, LOCAL_BAKERY)
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=paris).astimezone(UTC))  # Monday 9:00: the memo
    out = io.StringIO()
    TerminalChat(app.engine, clock, "ana", "fr", stdin=io.StringIO(""), stdout=out, pictures=tmp_path).run()
    t = app.engine.translators["fr"]
    shown = out.getvalue()
    chart = tmp_path / "boulangerie-dupain-2026-11-29.png"
    memo_at = shown.index(t.tr("memo.title"))
    saved_at = shown.index(t.tr("terminal.saved", path=str(chart)))
    assert memo_at < saved_at < memo_at + 1500, "the memo, its buttons, then its chart's path"
    assert t.tr("memo.button.posted") in shown[memo_at:saved_at]
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_a_reader_that_goes_away_ends_the_chat_quietly(tmp_path: Path) -> None:
    env = {**os.environ, "COACH_DATA_DIR": str(tmp_path / "data"), "COACH_FSYNC": "0"}
    answers = (FIXTURES / "bakery_fr.txt").read_text(encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--user", "pipe"],
        cwd=ROOT,
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # like `coach chat | head -1`
    process.stdin.write(answers)
    process.stdin.close()
    code, errors = process.wait(timeout=60), process.stderr.read()
    process.stderr.close()
    assert code == 0, errors
    assert "Traceback" not in errors
