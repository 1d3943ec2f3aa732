"""CPU and messages per update: the coach beside a plain python-telegram-bot bot, same fake, same run.

    .venv/bin/python benchmarks/telegram_updates.py --owners 20

Each bot runs in this process against the fake Bot API (`tests/fakes/telegram_api.py`), which
runs in a child process with the owners who talk to it, so the CPU time measured here is the
bot's alone. Every owner types a whole conversation: for the coach, the whole journey of
`tests/fixtures/bakery_fr.txt` from `/start` to `/plan` (20 updates, TinyDB store with fsync;
the run stops with an error unless every owner reached the plan with the scripted answers);
for the plain bot (`benchmarks/plain_ptb_bot.py`, a `ConversationHandler`), its ten questions.
An owner sends the next update once the answer to the last one has arrived and nothing more
came for 150 ms. Both run with Telegram's 30 messages/s and with no limit. The plain bot uses
PTB's own transport (httpx), as its examples do; `--plain-transport aiohttp` gives it the coach's.

Reported per bot: updates, messages sent per update (over the whole conversation), CPU ms per
update (user + system time of this process during the run, divided by the updates), latency
from an update to its first answer (p50, p99), and owners who waited more than 20 s once.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUIET = 0.15
"""Seconds without a new message after which an owner takes the answer as complete."""
STALLED = 20.0


def script(kind: str) -> list[str]:
    """What each owner types.

    The coach's is the terminal journey of `tests/fixtures/bakery_fr.txt` without its first
    answer (the language, which Telegram tells: the coach does not ask it there).
    """
    if kind == "coach":
        lines = (ROOT / "tests" / "fixtures" / "bakery_fr.txt").read_text(encoding="utf-8").splitlines()
        assert lines[0] == "1" and lines[1] == "Boulangerie Dupain", "the fixture starts with the language"
        return ["/start", *lines[1:]]
    from benchmarks.plain_ptb_bot import ANSWERS

    return list(ANSWERS)


# --- the child: the fake Bot API and the owners -------------------------------------------------


async def _drive(kind: str, owners: int) -> None:
    from tests.fakes.telegram_api import FakeTelegram

    fake = FakeTelegram()
    print(await fake.start(), flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # the bot is polling
    lines = script(kind)
    latencies: list[float] = []

    async def owner(user: int) -> None:
        for line in lines:
            before = len(fake.sent[user])
            started = time.perf_counter()
            await fake.say(user, line, "fr")
            await fake.wait_sent(user, before, timeout=120)
            latencies.append(time.perf_counter() - started)
            while True:
                count = len(fake.sent[user])
                await asyncio.sleep(QUIET)
                if len(fake.sent[user]) == count:
                    break

    users = [5000 + n for n in range(owners)]
    await asyncio.gather(*(owner(u) for u in users))
    while True:  # the last answers may still be on their way
        count = sum(len(fake.sent[u]) for u in users)
        await asyncio.sleep(1.0)
        if sum(len(fake.sent[u]) for u in users) == count:
            break
    result = {
        "updates": len(latencies),
        "messages": sum(len(fake.sent[u]) for u in users),
        "latencies": latencies,
        "stalled": sum(1 for s in latencies if s > STALLED),
        "calls": dict(collections.Counter(method for method, _ in fake.calls)),
    }
    print(json.dumps(result), flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # the bot stopped polling
    await fake.stop()


# --- this process: the bot ------------------------------------------------------------------------


async def measure(
    kind: str,
    owners: int,
    overall: float,
    fsync: bool = True,
    profile_to: str | None = None,
    plain_transport: str = "httpx",
) -> dict[str, Any]:
    from bot.app import build_app, settle
    from bot.channels.telegram import TelegramChannel
    from bot.config import Settings

    child = subprocess.Popen(
        [sys.executable, __file__, "--drive", kind, "--owners", str(owners)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdin is not None and child.stdout is not None
    url = child.stdout.readline().strip()
    app = None
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        if kind == "coach":
            app = build_app(Settings(data_dir=Path(tmp) / "data", fsync=fsync))
            settle()  # as `coach telegram` does once started
            application = TelegramChannel(app.engine, app.clock).build(
                "123:BENCH", url, overall_per_second=overall
            )
        else:
            from benchmarks.plain_ptb_bot import build

            application = build("123:BENCH", url, overall, plain_transport)
        async with application:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0, timeout=1)
            profile = cProfile.Profile() if profile_to else None
            usage, wall = os.times(), time.perf_counter()
            if profile is not None:
                profile.enable()
            child.stdin.write("go\n")
            child.stdin.flush()
            line = await asyncio.to_thread(child.stdout.readline)
            if profile is not None:
                profile.disable()
                profile.dump_stats(profile_to)
            now, wall = os.times(), time.perf_counter() - wall
            user, system = now.user - usage.user, now.system - usage.system
            await application.updater.stop()
            await application.stop()
        child.stdin.write("stop\n")
        child.stdin.flush()
        if app is not None:
            finished = [app.store.get(f"telegram:{5000 + n}") for n in range(owners)]
            app.close()
            if not all(
                r and r.completed_at and r.answers.get("business_name") == "Boulangerie Dupain"
                for r in finished
            ):
                raise SystemExit("an owner did not go through the whole journey as scripted")
    child.wait(timeout=30)
    result: dict[str, Any] = json.loads(line)
    result.update(cpu=user + system, user=user, system=system, wall=wall)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=20)
    parser.add_argument("--bots", nargs="+", choices=["coach", "plain"], default=["coach", "plain"])
    parser.add_argument("--limits", nargs="+", type=float, default=[30, 0], help="messages/s; 0: no limit")
    parser.add_argument("--no-fsync", action="store_true", help="the coach's store without fsync")
    parser.add_argument(
        "--plain-transport",
        choices=["httpx", "aiohttp"],
        default="httpx",
        help="the plain bot's: PTB's own (httpx, as its examples) or the coach's (aiohttp)",
    )
    parser.add_argument(
        "--profile", metavar="PREFIX", help="cProfile the event loop to PREFIX-<bot>-<limit>.prof"
    )
    parser.add_argument("--drive", choices=["coach", "plain"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        asyncio.run(_drive(args.drive, args.owners))
        return
    for overall in args.limits:
        cpu_per_update = {}
        for kind in args.bots:
            profile_to = f"{args.profile}-{kind}-{overall:g}.prof" if args.profile else None
            r = asyncio.run(
                measure(kind, args.owners, overall, not args.no_fsync, profile_to, args.plain_transport)
            )
            latencies = sorted(r["latencies"])
            p50 = statistics.median(latencies) * 1000
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
            cpu_per_update[kind] = r["cpu"] / r["updates"] * 1000
            limit = f"{overall:g} msg/s" if overall else "no limit"
            print(
                f"{kind:>5}, {limit:>8}, {args.owners} owners: {r['updates']} updates, "
                f"{r['messages'] / r['updates']:.2f} messages/update, "
                f"CPU {cpu_per_update[kind]:.2f} ms/update (user {r['user'] / r['updates'] * 1000:.2f}, "
                f"system {r['system'] / r['updates'] * 1000:.2f}), "
                f"latency p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
                f"waits over {STALLED:.0f} s: {r['stalled']}, {r['wall']:.1f} s",
                flush=True,
            )
            print(f"       Bot API calls: {r['calls']}", flush=True)
        if len(cpu_per_update) == 2:
            ratio = cpu_per_update["coach"] / cpu_per_update["plain"]
            print(f"       coach / plain CPU per update: {ratio:.2f}x", flush=True)


if __name__ == "__main__":
    main()
