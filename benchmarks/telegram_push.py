"""A weekly push to 2,000 owners at 30 messages/s while 20 owners talk: what the talkers wait.

    .venv/bin/python benchmarks/telegram_push.py [--finish]

The scenario of `tests/test_push.py` (real python-telegram-bot Application, fake Bot API,
TinyDB store), with its figures printed: the talking owners' latency from an update to its
first answer (p50, p95, max), the most messages the fake took in any one second, and the
reminders delivered while they talked (with `--finish`, until the push is over).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import FixedClock
from bot.config import Settings
from tests.test_push import MONDAY, PUSHED, _busiest_second, _push


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--finish", action="store_true", help="let the whole push go out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        started = time.perf_counter()
        latencies, fake, messages, app = _push(
            Settings(data_dir=Path(tmp) / "data"), FixedClock(MONDAY), args.finish
        )
        elapsed = time.perf_counter() - started
        app.close()
    pushed = sum(len(fake.sent[1_000_000 + n]) for n in range(PUSHED))
    latencies.sort()
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(
        f"{PUSHED} owners, {messages} reminder messages, cap 30/s: talkers' first answer p50 "
        f"{statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms "
        f"({len(latencies)} updates); busiest second {_busiest_second(fake.sent_at)} messages; "
        f"{pushed} reminders delivered, {elapsed:.0f} s in all"
    )


if __name__ == "__main__":
    main()
