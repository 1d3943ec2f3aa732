"""`coach nudges`: sweep for due reminders on a schedule (or once), and deliver them.

A round that fails (the database restarting, a platform down) is logged once for the whole
outage and tried again with back-off, then once more when it works again; nothing claimed is
lost meanwhile, since it waits in the owners' outboxes. SIGTERM and SIGINT stop the loop at
once, even in the middle of a round or a back-off wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO, TypeVar

from bot import health
from bot.app import App
from bot.config import Unreachable
from bot.feeds import polling as feeds_polling
from bot.nudges.runner import Claimed, NudgeRunner
from bot.outage import Outage, reason
from bot.outbox import Outbox

if TYPE_CHECKING:
    from bot.channels.senders import ChannelSenders

log = logging.getLogger(__name__)
INTERVAL = 60.0
"""Seconds between two sweeps."""
T = TypeVar("T")


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
    claimed = await asyncio.to_thread(runner.sweep, now, dry_run, bool(outbox.senders))
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
    outage = Outage("reminders: a round failed", ceiling=interval)
    # On TinyDB this process owns the data: it polls the owners' feeds too (PostgreSQL: `coach nudges`).
    async with contextlib.nullcontext() if app.settings.database_url else feeds_polling.background(app):
        while True:
            try:
                await sweep_and_deliver(app, runner, outbox, app.clock.now())
            except Exception as error:  # the database restarting, a platform down: try again later
                await asyncio.sleep(outage.failed(error))
                continue
            outage.recovered()
            await asyncio.sleep(interval)


async def until(stop: asyncio.Event, work: Awaitable[T]) -> tuple[bool, T | None]:
    """Run `work` unless `stop` is set first (then cancel it); tell whether it finished."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    # Look at `stop` itself every HEARTBEAT too: a waiter on it was once seen never woken.
    while not (task.done() or stop.is_set()):
        await asyncio.wait({task, stopped}, timeout=HEARTBEAT, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False, None
    return True, task.result()


_HEARTBEATS: set[asyncio.Task[None]] = set()
HEARTBEAT = 0.25
"""Seconds between two wake-ups of a loop waiting for a stop signal."""


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set `stop` on SIGTERM or SIGINT (whatever the parent did with SIGINT).

    Plain signal handlers rather than `loop.add_signal_handler` (which hears of a signal only
    through the wakeup file descriptor), and a heartbeat that wakes the loop a few times a
    second: a Python handler runs whenever the main thread does, so a signal is never missed.
    Waits on `stop` also look at it every HEARTBEAT (`until`): `coach telegram` was once seen,
    about one stop in fifteen, with `stop` set and a waiter on it never woken, stopping only at
    the watcher's next tick, 15 s later.
    """
    loop = asyncio.get_running_loop()

    def handler(signum: int, frame: object) -> None:
        try:
            loop.call_soon_threadsafe(stop.set)
        except RuntimeError:  # that loop is over: stop as Ctrl-C does
            raise KeyboardInterrupt from None

    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, handler)
    except ValueError:  # not the main thread: the caller sets `stop` itself
        return

    async def heartbeat() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), HEARTBEAT)

    task = loop.create_task(heartbeat())
    _HEARTBEATS.add(task)
    task.add_done_callback(_HEARTBEATS.discard)


SenderFactory = Callable[[App], AbstractAsyncContextManager["ChannelSenders"]]


def run_nudges(
    app: App,
    once: bool,
    at: datetime | None,
    dry_run: bool,
    interval: float = INTERVAL,
    senders: SenderFactory | None = None,
    out: TextIO | None = None,
    health_port: int | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Sweep, claim and deliver, once or every `interval` seconds until SIGTERM or SIGINT.

    `senders` opens the channels' senders (the bots configured in the environment); owners of
    channels without one here (the terminal) get their messages when they next open their
    channel. With `once`, the exit is 1 when a channel could not be reached (the others were
    served), and a failed sweep is one line and exit 1.
    """
    runner = NudgeRunner(app.engine)
    failed = False

    async def loop() -> None:
        nonlocal failed
        halt = stop or asyncio.Event()
        stop_on_signals(halt)
        async with contextlib.AsyncExitStack() as stack:
            channels = await stack.enter_async_context(senders(app)) if senders and not dry_run else None
            if health_port is not None:
                served = await health.serve(app.store, "127.0.0.1", health_port)
                stack.push_async_callback(served.cleanup)
            if not once:
                where = f"; health on http://127.0.0.1:{health_port}{health.PATH}" if health_port else ""
                print(f"coach nudges: sweeping every {interval:g} s{where}", file=sys.stderr, flush=True)
            if not (once or dry_run):
                await stack.enter_async_context(feeds_polling.background(app))
            outbox, opened = Outbox(app.store, {}, {}), -1
            outage = Outage("reminders: a round failed", ceiling=interval)
            while not halt.is_set():
                if channels is not None:
                    finished, _ = await until(halt, channels.open_missing())
                    if not finished:
                        return
                    if len(channels.senders) != opened:  # a channel opened: deliver through it too
                        outbox = Outbox(app.store, channels.senders, channels.limits)
                        opened = len(channels.senders)
                now = at or app.clock.now()
                try:
                    finished, _ = await until(
                        halt, sweep_and_deliver(app, runner, outbox, now, dry_run, out or sys.stdout)
                    )
                except Exception as error:  # the database restarting, a platform down
                    if once:
                        raise Unreachable(f"the sweep failed: {reason(error)}") from None
                    wait = outage.failed(error)
                else:
                    outage.recovered()
                    wait = interval
                if once:
                    failed = bool(channels and channels.missing)
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(halt.wait(), wait)

    asyncio.run(loop())
    return 1 if failed else 0
