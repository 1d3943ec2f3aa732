"""Updates per second and latency through the real Telegram Application and the fake Bot API.

    .venv/bin/python benchmarks/telegram_updates.py --owners 1 200 --messages 20

Each owner answers the business-name question, then types /back, over and over: each update is
handled by the engine, written to the TinyDB store (fsync on) and answered with one message.
Run with Telegram's overall limit of 30 messages/s (the default) and with it lifted, which
shows what the coach itself can do. Latency is from the update being offered to `getUpdates`
to the bot's answer reaching the fake server; the bot long-polls (timeout 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_app
from bot.channels.telegram import TelegramChannel
from bot.config import Settings
from tests.fakes.telegram_api import FakeTelegram


async def measure(owners: int, messages: int, overall: float) -> tuple[float, list[float]]:
    fake = FakeTelegram()
    await fake.start()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        app = build_app(Settings(data_dir=Path(tmp) / "data"))
        application = TelegramChannel(app.engine, app.clock).build(
            "123:BENCH", fake.url, overall_per_second=overall
        )
        latencies: list[float] = []

        async def owner(user: int) -> None:
            for text in ["/start", "1"]:  # to the business-name question
                count = len(fake.sent[user])
                await fake.say(user, text, "fr")
                await fake.wait_sent(user, count)
            for n in range(messages):
                count = len(fake.sent[user])
                started = time.perf_counter()
                await fake.say(user, "Boulangerie" if n % 2 == 0 else "/back", "fr")
                await fake.wait_sent(user, count)
                latencies.append(time.perf_counter() - started)

        async with application:
            await application.start()
            await application.updater.start_polling(poll_interval=0, timeout=1)
            started = time.perf_counter()
            await asyncio.gather(*(owner(1000 + n) for n in range(owners)))
            elapsed = time.perf_counter() - started
            await application.updater.stop()
            await application.stop()
        app.close()
    await fake.stop()
    total = owners * (messages + 2)
    return total / elapsed, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, nargs="+", default=[1, 200])
    parser.add_argument("--messages", type=int, default=20)
    args = parser.parse_args()
    for owners, overall in [(o, limit) for o in args.owners for limit in (30, 0)]:
        rate, latencies = asyncio.run(measure(owners, args.messages, overall))
        latencies.sort()
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        limit = "Telegram's 30/s limit" if overall else "no overall limit"
        print(
            f"{owners:>4} owners, {limit}: {rate:,.0f} updates/s, latency p50 {p50:.1f} ms, p99 {p99:.1f} ms "
            f"({len(latencies)} timed updates)"
        )


if __name__ == "__main__":
    main()
