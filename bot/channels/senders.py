"""The senders of every channel configured in the environment, for `coach nudges`.

With PostgreSQL, a separate `coach nudges` process (the Procfile's `clock`) claims and delivers
the reminders of every owner, through the same adapters, limits and retries as the bots.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import App
from bot.outbox import Limits, Sender


@asynccontextmanager
async def open_senders(app: App) -> AsyncIterator[tuple[dict[str, Sender], dict[str, Limits]]]:
    """Telegram's when TELEGRAM_BOT_TOKEN is set, Slack's when a token or OAuth is."""
    settings = app.settings
    senders: dict[str, Sender] = {}
    limits: dict[str, Limits] = {}
    async with contextlib.AsyncExitStack() as stack:
        if settings.telegram_token:
            from telegram import Bot

            from bot.channels import telegram

            api, files = telegram.bot_urls(settings.telegram_api_base_url or None)
            bot = Bot(settings.telegram_token, base_url=api, base_file_url=files)
            await stack.enter_async_context(bot)
            senders[telegram.CHANNEL] = telegram.TelegramSender(bot, app.engine.pictures)
            limits[telegram.CHANNEL] = Limits()
        if settings.slack_bot_token or (settings.slack_client_id and settings.slack_client_secret):
            from bot.channels import slack
            from bot.channels.slack_installations import StoreInstallations

            channel = slack.SlackChannel(app.engine, app.clock, settings.slack_api_url or None)
            if settings.slack_bot_token:
                channel.token = settings.slack_bot_token
            else:
                channel.installations = StoreInstallations(app.store)
            senders[slack.CHANNEL] = slack.SlackSender(channel)
            limits[slack.CHANNEL] = slack.LIMITS
        yield senders, limits
