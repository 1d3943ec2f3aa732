"""The limiter shared by replies and reminders: a window never overfilled, answers first."""

from __future__ import annotations

import asyncio
import time

from bot.ratelimit import BROADCAST, URGENT, SlidingWindowLimiter


async def _send(
    limiter: SlidingWindowLimiter, name: str, priority: int, log: list[tuple[str, float, float]]
) -> None:
    async with limiter.slot(priority):
        started = time.monotonic()
        await asyncio.sleep(0.001)  # the platform takes the message
        log.append((name, started, time.monotonic()))


def test_an_answer_goes_before_the_reminders_already_waiting() -> None:
    async def main() -> list[str]:
        limiter, log = SlidingWindowLimiter(1, 0.05), []
        pushed = [asyncio.create_task(_send(limiter, f"reminder {n}", BROADCAST, log)) for n in range(4)]
        await asyncio.sleep(0)  # the first reminder holds the window, three wait
        answer = asyncio.create_task(_send(limiter, "answer", URGENT, log))
        await asyncio.gather(*pushed, answer)
        return [name for name, _, _ in log]

    assert asyncio.run(main()) == ["reminder 0", "answer", "reminder 1", "reminder 2", "reminder 3"]


def test_no_window_ever_holds_more_than_the_limit_counting_each_send_until_it_is_over() -> None:
    async def main() -> list[tuple[str, float, float]]:
        limiter, log = SlidingWindowLimiter(3, 0.05), []
        await asyncio.gather(*(_send(limiter, str(n), n % 2, log) for n in range(12)))
        return log

    log = asyncio.run(main())
    assert len(log) == 12
    starts = sorted(started for _, started, _ in log)
    ends = sorted(ended for _, _, ended in log)
    for n in range(3, 12):  # the fourth send after any send starts a full window after it ended
        assert starts[n] >= ends[n - 3] + 0.05 - 1e-6


def test_a_caller_that_gives_up_while_waiting_takes_no_room() -> None:
    async def main() -> list[str]:
        limiter, log = SlidingWindowLimiter(1, 0.02), []
        first = asyncio.create_task(_send(limiter, "first", URGENT, log))
        await asyncio.sleep(0)
        gone = asyncio.create_task(_send(limiter, "gone", URGENT, log))
        later = asyncio.create_task(_send(limiter, "later", BROADCAST, log))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.gather(first, later, return_exceptions=True)
        assert limiter.queued == 0
        return [name for name, _, _ in log]

    assert asyncio.run(main()) == ["first", "later"]
