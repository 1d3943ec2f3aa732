"""The senders of every channel configured in the environment, for `coach nudges`.

With PostgreSQL, a separate `coach nudges` process (the Procfile's `clock`) claims and delivers
the reminders of every owner, through the same adapters, limits and retries as the bots. Each
channel is opened on its own: one that cannot be reached (at start or later) is tried again
each round while the others deliver, and its owners' reminders wait in their outbox. A token
the platform refuses is a setting to fix, and stops the process with one line.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from bot.app import App
from bot.config import Unreachable
from bot.outage import Outage
from bot.outbox import Limits, Sender

log = logging.getLogger(__name__)
Opener = Callable[[contextlib.AsyncExitStack], Awaitable[tuple[Sender, Limits]]]


class ChannelSenders:
    """The senders opened so far, and the channels still to open; close with `aclose`."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.senders: dict[str, Sender] = {}
        self.limits: dict[str, Limits] = {}
        self._stack = contextlib.AsyncExitStack()
        self._openers: dict[str, Opener] = {}
        self.outages: dict[str, Outage] = {}
        settings = app.settings
        if settings.telegram_token:
            self._openers["telegram"] = self._open_telegram
        if settings.slack_bot_token or (settings.slack_client_id and settings.slack_client_secret):
            self._openers["slack"] = self._open_slack
        for name in self._openers:
            self.outages[name] = Outage(f"{name.capitalize()} unreachable; its reminders wait", ceiling=300)

    @property
    def missing(self) -> list[str]:
        """Channels configured but not open (unreachable so far)."""
        return [name for name in self._openers if name not in self.senders]

    async def open_missing(self) -> None:
        """Try to open each channel not open yet; a refused token raises ConfigError."""
        for name in self.missing:
            try:
                sender, limits = await self._openers[name](self._stack)
            except Unreachable as error:
                self.outages[name].failed(error)
                continue
            self.outages[name].recovered()
            self.senders[name], self.limits[name] = sender, limits

    async def _open_telegram(self, stack: contextlib.AsyncExitStack) -> tuple[Sender, Limits]:
        from bot.channels import telegram
        from bot.channels.telegram_process import open_bot

        bot = await open_bot(self.app.settings)
        stack.push_async_callback(bot.shutdown)
        return telegram.TelegramSender(bot, self.app.engine.pictures), Limits()

    async def _open_slack(self, stack: contextlib.AsyncExitStack) -> tuple[Sender, Limits]:
        from bot.channels import slack
        from bot.channels.slack_installations import StoreInstallations
        from bot.channels.slack_process import check_token

        settings = self.app.settings
        await check_token(settings)
        channel = slack.SlackChannel(self.app.engine, self.app.clock, settings.slack_api_url or None)
        if settings.slack_bot_token:
            channel.token = settings.slack_bot_token
        else:
            channel.installations = StoreInstallations(self.app.store)
        return slack.SlackSender(channel), slack.LIMITS

    async def aclose(self) -> None:
        """Close what was opened."""
        await self._stack.aclose()


@contextlib.asynccontextmanager
async def open_senders(app: App) -> AsyncIterator[ChannelSenders]:
    """Every channel configured, each opened on its own (see `ChannelSenders`)."""
    senders = ChannelSenders(app)
    try:
        yield senders
    finally:
        await senders.aclose()
