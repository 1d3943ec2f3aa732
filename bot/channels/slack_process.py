"""`coach slack`: the Slack app's process, over HTTP or Socket Mode, with the nudge loop inside it.

HTTP mode serves events, slash commands and interactivity on `/slack/events` (and, with OAuth,
`/slack/install` and `/slack/oauth_redirect`), plus `/healthz` for a load balancer. Socket Mode,
chosen by setting `SLACK_APP_TOKEN`, needs no public URL: for development.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import health
from bot.app import App, settle
from bot.channels.slack import SlackChannel, failure, web_client
from bot.config import ConfigError, Settings, Unreachable
from bot.nudges.loop import INTERVAL, deliver_forever, stop_on_signals, until
from bot.outage import reason

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


async def _ask(settings: Settings, name: str, call: Callable[[AsyncWebClient], Awaitable[object]]) -> None:
    """Make one Web API call with a token; refused is ConfigError, no answer is Unreachable."""
    token = settings.slack_bot_token if name == "SLACK_BOT_TOKEN" else settings.slack_app_token
    client = web_client(settings.slack_api_url or None, token)
    try:
        await call(client)
    except SlackApiError as error:
        code, status, transient = failure(error)
        if not transient:
            raise ConfigError(
                f"Slack rejected {name} ({code}): copy it again from the app's settings"
            ) from None
        raise Unreachable(f"Slack's Web API answers HTTP {status} ({code}): try again later") from None
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        where = settings.slack_api_url or "slack.com"
        raise Unreachable(
            f"cannot reach Slack's Web API at {where} ({reason(error)}): check the network, or SLACK_API_URL"
        ) from None


async def check_token(settings: Settings) -> None:
    """Check the bot token (`auth.test`), and the app token in Socket Mode, before anything starts."""
    if settings.slack_bot_token:
        await _ask(settings, "SLACK_BOT_TOKEN", lambda client: client.auth_test())
    if settings.slack_app_token:
        app_token = settings.slack_app_token
        await _ask(
            settings, "SLACK_APP_TOKEN", lambda client: client.apps_connections_open(app_token=app_token)
        )


def web_app(
    app: App, channel: SlackChannel, bolt: AsyncApp, sweep_interval: float = INTERVAL
) -> web.Application:
    """The aiohttp application: Bolt's routes, `/healthz` (checking the store), and the nudge loop."""
    served = bolt.web_app(path="/slack/events")

    async def nudges(_: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(deliver_forever(app, channel.outbox, sweep_interval))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    served.add_routes([health.route(app.store)])
    served.cleanup_ctx.append(nudges)
    return served


def run_slack(app: App, listen: str, port: int, sweep_interval: float = INTERVAL) -> int:
    """Run until stopped: HTTP on `listen:port`, or Socket Mode when SLACK_APP_TOKEN is set."""
    settings = app.settings
    channel, bolt = build_slack(app)
    asyncio.run(check_token(settings))
    settle()
    if settings.slack_app_token:

        async def socket_mode() -> None:
            stop = asyncio.Event()
            stop_on_signals(stop)
            task = asyncio.create_task(deliver_forever(app, channel.outbox, sweep_interval))
            handler = AsyncSocketModeHandler(bolt, settings.slack_app_token)
            connected, _ = await until(stop, handler.connect_async())  # type: ignore[no-untyped-call]
            if connected:
                print("coach slack: connected to Slack in Socket Mode", file=sys.stderr, flush=True)
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
    where = f"http://{listen}:{port}"
    try:
        web.run_app(
            web_app(app, channel, bolt, sweep_interval),
            host=listen,
            port=port,
            print=lambda _: print(
                f"coach slack: listening on {where}/slack/events (health: {where}{health.PATH})",
                file=sys.stderr,
                flush=True,
            ),
        )
    except OSError as error:  # the address is taken, or not this machine's
        raise ConfigError(
            f"cannot listen on {listen}:{port} ({error.strerror}): choose another --port"
        ) from None
    return 0
