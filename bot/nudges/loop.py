"""`coach nudges`: sweep for due reminders on a schedule (or once), and deliver them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import TextIO

from bot.app import App
from bot.nudges.runner import Claimed, NudgeRunner
from bot.outbox import Limits, Outbox, Sender

log = logging.getLogger(__name__)
INTERVAL = 60.0
"""Seconds between two sweeps."""


def describe(claimed: Claimed, at: datetime) -> str:
    """One line for a claimed nudge: when, who, what, and its first words."""
    first = claimed.replies[0].text.splitlines()[0] if claimed.replies else ""
    return f"{at.isoformat()}  {claimed.owner_id}  {claimed.kind}  {claimed.period}  {first[:80]}"


async def sweep_and_deliver(
    app: App,
    runner: NudgeRunner,
    outbox: Outbox,
    now: datetime,
    dry_run: bool = False,
    out: TextIO | None = None,
) -> list[Claimed]:
    """One round: claim what is due at `now`, then deliver every waiting outbox it can."""
    claimed = await asyncio.to_thread(runner.sweep, now, dry_run)
    for item in claimed:
        if out is not None:
            print(describe(item, now), file=out, flush=True)
    if not dry_run and outbox.senders:
        owners = await asyncio.to_thread(app.store.due_owners, now.astimezone(UTC).isoformat())
        sent = await outbox.deliver_all(owners)
        log.info("nudges: %d claimed, %d messages delivered", len(claimed), sent)
    return claimed


async def deliver_forever(app: App, outbox: Outbox, interval: float = INTERVAL) -> None:
    """Inside a channel's process: sweep and deliver through the channel's outbox until cancelled.

    On TinyDB one process owns the data folder, so a channel's process claims and delivers the
    reminders itself, through the outbox its conversations use: one rate limit per bot token
    or workspace for both, the answers to owners who are waiting first.
    """
    runner = NudgeRunner(app.engine)
    while True:
        try:
            await sweep_and_deliver(app, runner, outbox, app.clock.now())
        except Exception:
            log.exception("nudge round failed; trying again next round")
        await asyncio.sleep(interval)


SenderFactory = Callable[[App], AbstractAsyncContextManager[tuple[dict[str, Sender], dict[str, Limits]]]]


def run_nudges(
    app: App,
    once: bool,
    at: datetime | None,
    dry_run: bool,
    interval: float = INTERVAL,
    senders: SenderFactory | None = None,
    out: TextIO | None = None,
) -> int:
    """Sweep, claim and deliver, once or every `interval` seconds until interrupted.

    `senders` opens the channels' senders (the bots configured in the environment); owners of
    channels without one here (the terminal) get their messages when they next open their channel.
    """
    runner = NudgeRunner(app.engine)

    async def loop() -> None:
        async with contextlib.AsyncExitStack() as stack:
            channels, limits = await stack.enter_async_context(senders(app)) if senders else ({}, {})
            outbox = Outbox(app.store, channels, limits)
            while True:
                now = at or app.clock.now()
                await sweep_and_deliver(app, runner, outbox, now, dry_run, out or sys.stdout)
                if once:
                    return
                await asyncio.sleep(interval)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(loop())
    return 0
