"""`GET /healthz`: 200 `ok` only when the store answers, 503 otherwise.

For a load balancer or a supervisor. Served by `coach slack` and the Telegram webhook beside
their routes, and on `--health-port` by `coach telegram` in long polling and by `coach nudges`.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.config import ConfigError
from bot.store.base import Store

log = logging.getLogger(__name__)
TIMEOUT = 5.0
"""Seconds the store has to answer before the process is reported unhealthy."""
PATH = "/healthz"


async def store_answers(store: Store) -> bool:
    """Whether the store answers a small read within `TIMEOUT`."""
    try:
        await asyncio.wait_for(asyncio.to_thread(store.check), TIMEOUT)
    except Exception as error:  # any failure is "unhealthy"; the reason goes to the log
        log.warning("health check: the store does not answer (%s)", type(error).__name__)
        return False
    return True


def route(store: Store) -> web.RouteDef:
    """The `/healthz` route for `store`."""

    async def healthz(_: web.Request) -> web.Response:
        if await store_answers(store):
            return web.Response(text="ok")
        return web.Response(status=503, text="store unavailable")

    return web.get(PATH, healthz)


async def serve(store: Store, host: str, port: int) -> web.AppRunner:
    """Serve `/healthz` alone on `host:port`; clean up the returned runner to stop."""
    app = web.Application()
    app.add_routes([route(store)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await listen(runner, host, port)
    return runner


async def listen(runner: web.AppRunner, host: str, port: int) -> None:
    """Start serving `runner` on `host:port`; a taken or foreign address is a setting to fix."""
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        await runner.cleanup()
        raise ConfigError(f"cannot listen on {host}:{port} ({error.strerror}): choose another port") from None
