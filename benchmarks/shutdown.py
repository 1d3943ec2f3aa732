"""How long each long-running process takes to start and to stop on SIGTERM, against fakes.

    .venv/bin/python benchmarks/shutdown.py --runs 5

For each process (the Procfile's `web`, `worker`, `clock`, and Socket Mode) on a TinyDB folder
and fakes on 127.0.0.1: the seconds from launch to its "up" line, and from SIGTERM to its exit
(median and worst of `--runs`), with the exit codes seen.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.processes import Background, free_port, start_coach, wait_for_line
from tests.fakes.slack_api import SECRET, TOKEN, FakeSlack
from tests.fakes.telegram_api import FakeTelegram

APP_TOKEN = "xapp-1-A0COACH-1-bench"


def cases(telegram: FakeTelegram, slack: FakeSlack) -> dict[str, tuple[list[str], dict[str, str], str]]:
    tg = {"TELEGRAM_BOT_TOKEN": "123:BENCH-token", "TELEGRAM_API_BASE_URL": telegram.url}
    return {
        "web (coach slack)": (
            ["slack", "--port", str(free_port())],
            {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.url},
            "listening on",
        ),
        "worker (coach telegram)": (["telegram"], tg, "polling for updates"),
        "clock (coach nudges)": (["nudges"], tg, "sweeping every"),
        "Socket Mode": (
            ["slack"],
            {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": slack.url},
            "Socket Mode",
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with Background() as loop, tempfile.TemporaryDirectory() as tmp:
        telegram, slack = FakeTelegram(), FakeSlack()
        slack.app_tokens.add(APP_TOKEN)
        loop.run(telegram.start())
        loop.run(slack.start())
        print("| process | start (median / worst) | stop on SIGTERM (median / worst) | exit codes |")
        print("|---|---|---|---|")
        for name, (args, env, ready) in cases(telegram, slack).items():
            starts, stops, codes = [], [], set()
            for run in range(runs):
                env = {**env, "COACH_DATA_DIR": str(Path(tmp) / f"{name[:3]}{run}"), "COACH_FSYNC": "0"}
                began = time.perf_counter()
                process = start_coach(args, env)
                wait_for_line(process, ready, timeout=120)
                starts.append(time.perf_counter() - began)
                signalled = time.perf_counter()
                process.send_signal(signal.SIGTERM)
                process.communicate(timeout=60)
                stops.append(time.perf_counter() - signalled)
                codes.add(process.returncode)
            print(
                f"| {name} | {statistics.median(starts):.2f} s / {max(starts):.2f} s "
                f"| {statistics.median(stops):.2f} s / {max(stops):.2f} s | {sorted(codes)} |"
            )
        loop.run(telegram.stop())
        loop.run(slack.stop())


if __name__ == "__main__":
    main()
