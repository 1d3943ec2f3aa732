"""Slash commands per second and ack latency through the real Bolt app and a fake Slack Web API.

    .venv/bin/python benchmarks/slack_commands.py --owners 1 50 200 --commands 20

`coach slack` runs in its own process (HTTP mode, TinyDB with fsync on), as in production; this
process plays Slack: the fake Web API and the owners. Each owner sends signed `/coach progress`
requests one after another (a person waits for the answer): each is acknowledged, handled by
the engine, written to the store and answered in the owner's DM with two messages. Ack latency
is from sending the request to Slack's HTTP response (Slack gives up after 3 s); reply latency
is until the last answer reaches the fake Web API.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from tests.fakes.processes import free_port, wait_healthy
from tests.fakes.slack_api import SECRET, TOKEN, FakeSlack, Member


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(owners: int, commands: int) -> tuple[float, list[float], list[float]]:
    fake = FakeSlack()
    await fake.start()
    port = free_port()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        env = {
            **os.environ,
            "COACH_DATA_DIR": str(Path(tmp) / "data"),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
        }
        process = subprocess.Popen([sys.executable, "-m", "bot", "slack", "--port", str(port)], env=env)
        url = f"http://127.0.0.1:{port}"
        acks: list[float] = []
        replies: list[float] = []

        async def owner(n: int) -> None:
            member = Member(url + "/slack/events", "T111", f"U{n}")
            await member.command("start")
            await fake.wait_for(lambda: len(fake.dm(member.user)) >= 2, timeout=60)
            for _ in range(commands):
                count = len(fake.dm(member.user))
                started = time.perf_counter()
                response = await member.command("progress")
                acks.append(time.perf_counter() - started)
                assert response.status == 200
                await fake.wait_for(lambda c=count: len(fake.dm(member.user)) >= c + 2, timeout=60)
                replies.append(time.perf_counter() - started)

        try:
            await wait_healthy(url + "/healthz")
            started = time.perf_counter()
            await asyncio.gather(*(owner(n) for n in range(owners)))
            elapsed = time.perf_counter() - started
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(30)
    await fake.stop()
    return owners * commands / elapsed, acks, replies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--commands", type=int, default=20)
    args = parser.parse_args()
    print("| owners at once | commands/s | ack p50 | ack p99 | reply p50 | reply p99 |")
    print("|---|---|---|---|---|---|")
    for owners in args.owners:
        rate, acks, replies = asyncio.run(measure(owners, args.commands))
        ms = [1000 * v for v in (statistics.median(acks), percentile(acks, 0.99))]
        rs = [1000 * v for v in (statistics.median(replies), percentile(replies, 0.99))]
        print(
            f"| {owners} | {rate:,.0f} | {ms[0]:.1f} ms | {ms[1]:.1f} ms | {rs[0]:.1f} ms | {rs[1]:.1f} ms |"
        )


if __name__ == "__main__":
    main()
