"""`coach telegram`: the bot's process, long polling or webhook, with the nudge loop inside it.

On TinyDB one process owns the data folder, so the reminders are claimed and delivered here,
through the same bot and outbox as the conversation: one rate limit, answers first.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_webhook import webhook_app
from bot.config import ConfigError
from bot.nudges.loop import deliver_forever

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram"


async def serve_webhook(
    application: Any, webhook_url: str, listen: str, port: int, secret: str, stop: asyncio.Event | None = None
) -> None:
    """Register the webhook with Telegram and serve it until SIGINT/SIGTERM (or `stop`)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with application:
        await application.bot.set_webhook(webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        runner = web.AppRunner(webhook_app(application, secret, WEBHOOK_PATH), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, listen, port).start()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)


def run_telegram(app: App, webhook_url: str | None, listen: str, port: int) -> int:
    """Run until stopped: long polling, or a webhook checking Telegram's secret token."""
    settings = app.settings
    if not settings.telegram_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and export its token")
    if webhook_url and not settings.telegram_webhook_secret:
        raise ConfigError("webhook mode needs TELEGRAM_WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -)")
    channel = TelegramChannel(app.engine, app.clock)
    background: set[asyncio.Task[None]] = set()

    async def start_nudges(application: Any) -> None:
        task = asyncio.create_task(deliver_forever(app, channel.outbox))
        background.add(task)  # keep a reference: the loop holds tasks weakly

    async def stop_nudges(_: Any) -> None:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)

    application = channel.build(
        settings.telegram_token,
        settings.telegram_api_base_url or None,
        after_init=start_nudges,
        before_stop=stop_nudges,
    )

    async def check_token() -> None:
        async with application.bot:  # getMe; closes its connections even when refused
            pass

    try:
        asyncio.run(check_token())
        if webhook_url:
            asyncio.run(
                serve_webhook(application, webhook_url, listen, port, settings.telegram_webhook_secret)
            )
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        raise ConfigError("Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather") from None
    return 0
