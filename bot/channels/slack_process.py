"""`coach slack`: the Slack app's process, over HTTP or Socket Mode, with the nudge loop inside it.

HTTP mode serves events, slash commands and interactivity on `/slack/events` (and, with OAuth,
`/slack/install` and `/slack/oauth_redirect`), plus `/healthz` for a load balancer. Socket Mode,
chosen by setting `SLACK_APP_TOKEN`, needs no public URL: for development.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.app import App
from bot.channels.slack import SlackChannel, failure, web_client
from bot.config import ConfigError, Settings
from bot.nudges.loop import deliver_forever

log = logging.getLogger(__name__)


def check_settings(settings: Settings) -> None:
    """Say clearly what is missing before anything starts."""
    if not settings.slack_bot_token and not (settings.slack_client_id and settings.slack_client_secret):
        raise ConfigError(
            "set SLACK_BOT_TOKEN (xoxb-…, one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
            "(installable into many workspaces); see manifest.yml to create the app"
        )
    if settings.slack_app_token and not settings.slack_bot_token:
        raise ConfigError("Socket Mode (SLACK_APP_TOKEN) needs SLACK_BOT_TOKEN too")
    if not settings.slack_app_token and not settings.slack_signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET is not set: copy it from the app's Basic Information page")


def build_slack(app: App) -> tuple[SlackChannel, AsyncApp]:
    """The channel and its Bolt app, from the settings."""
    settings = app.settings
    check_settings(settings)
    channel = SlackChannel(app.engine, app.clock, settings.slack_api_url or None)
    bolt = channel.build(
        settings.slack_signing_secret,
        token=settings.slack_bot_token or None,
        client_id=settings.slack_client_id or None,
        client_secret=settings.slack_client_secret or None,
        state_dir=settings.data_dir / "slack-oauth-state",
    )
    return channel, bolt


async def _check_token(settings: Settings) -> None:
    if not settings.slack_bot_token:
        return
    try:
        await web_client(settings.slack_api_url or None, settings.slack_bot_token).auth_test()
    except SlackApiError as error:
        raise ConfigError(f"Slack rejected SLACK_BOT_TOKEN ({failure(error)[0]})") from None


def web_app(app: App, channel: SlackChannel, bolt: AsyncApp) -> web.Application:
    """The aiohttp application: Bolt's routes, `/healthz`, and the nudge loop while it runs."""
    served = bolt.web_app(path="/slack/events")

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def nudges(_: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(deliver_forever(app, channel.outbox))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    served.add_routes([web.get("/healthz", healthz)])
    served.cleanup_ctx.append(nudges)
    return served


def run_slack(app: App, listen: str, port: int) -> int:
    """Run until stopped: HTTP on `listen:port`, or Socket Mode when SLACK_APP_TOKEN is set."""
    settings = app.settings
    channel, bolt = build_slack(app)
    asyncio.run(_check_token(settings))
    if settings.slack_app_token:

        async def socket_mode() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            task = asyncio.create_task(deliver_forever(app, channel.outbox))
            handler = AsyncSocketModeHandler(bolt, settings.slack_app_token)
            await handler.connect_async()  # type: ignore[no-untyped-call]
            await stop.wait()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            # slack-sdk's close waits for Slack's reply to the closing handshake while its own
            # receiver is reading the socket, up to 10 s: give it two, the process is ending.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(handler.close_async(), 2)  # type: ignore[no-untyped-call]

        asyncio.run(socket_mode())
        return 0
    web.run_app(web_app(app, channel, bolt), host=listen, port=port, print=None)
    return 0
