"""`coach telegram`: the bot's process, long polling or webhook, with the nudge loop inside it.

On TinyDB one process owns the data folder, so the reminders are claimed and delivered here,
through the same bot and outbox as the conversation: one rate limit, answers first. The token is checked
(`getMe`) before anything starts: refused, or Telegram unreachable, is one line and an exit.
SIGTERM and SIGINT stop it within seconds in either mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from typing import Any

from aiohttp import web
from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot import health
from bot.app import App, settle
from bot.channels.telegram import TelegramChannel, bot_urls
from bot.channels.telegram_webhook import webhook_app
from bot.config import ConfigError, Settings, Unreachable
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES
from bot.nudges.loop import INTERVAL, deliver_forever, stop_on_signals, until
from bot.outage import Outage, reason

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram"
QUIET_AFTER_OUTAGE = 60.0
"""Seconds without a polling error after which an outage counts as over."""


def refused() -> ConfigError:
    """The one line for a token Telegram refuses."""
    return ConfigError("Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather")


def unreachable(settings: Settings, error: BaseException) -> Unreachable:
    """The one line for a Bot API that does not answer."""
    where = settings.telegram_api_base_url or "api.telegram.org"
    return Unreachable(
        f"cannot reach Telegram's Bot API at {where} ({reason(error)}): "
        "check the network, or TELEGRAM_API_BASE_URL"
    )


async def open_bot(settings: Settings) -> Bot:
    """A bot whose token Telegram accepted (`getMe`); close it with `shutdown()`."""
    api, files = bot_urls(settings.telegram_api_base_url or None)
    bot = Bot(settings.telegram_token, base_url=api, base_file_url=files)
    try:
        await bot.initialize()
    except InvalidToken:
        await bot.shutdown()
        raise refused() from None
    except NetworkError as error:  # TimedOut too; also a 5xx
        await bot.shutdown()
        raise unreachable(settings, error) from None
    return bot


async def serve_webhook(
    application: Any,
    webhook_url: str,
    listen: str,
    port: int,
    secret: str,
    stop: asyncio.Event | None = None,
    store: Any = None,
) -> None:
    """Register the webhook with Telegram and serve it until SIGINT/SIGTERM (or `stop`).

    A signal while it starts stops it as cleanly as one while it serves.
    """
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    runner = web.AppRunner(webhook_app(application, secret, WEBHOOK_PATH, store), access_log=None)

    async def start() -> None:
        await application.bot.set_webhook(webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        await runner.setup()
        await health.listen(runner, listen, port)

    async with application:
        try:
            started, _ = await until(stop, start())
            if started:
                print(
                    f"coach telegram: listening on http://{listen}:{port}{WEBHOOK_PATH} for {webhook_url}",
                    file=sys.stderr,
                    flush=True,
                )
                await stop.wait()
        finally:
            await runner.cleanup()
            if application.running:
                await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)


async def serve_polling(
    application: Any, stop: asyncio.Event | None = None, quiet: float | None = None
) -> None:
    """Long-poll Telegram until SIGINT/SIGTERM (or `stop`), stopping cleanly even mid-start.

    Not PTB's `run_polling`: a signal arriving while it starts leaves a half-made request
    failing outside its loop. Polling errors are logged once per outage, not once per retry;
    PTB retries a failed poll within 30 s and tells only of failures, so an outage is over once
    it has been `quiet` for QUIET_AFTER_OUTAGE seconds (logged then, dated from the last error).
    """
    quiet = quiet or QUIET_AFTER_OUTAGE
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    outage = Outage("Telegram: polling for updates fails", ceiling=300)
    last_error = 0.0

    def on_error(error: Exception) -> None:
        nonlocal last_error
        last_error = time.monotonic()
        outage.failed(error)

    async def watch() -> None:
        # PTB 22's polling task (private): it ends only when Telegram refuses the token, which
        # PTB does not retry; that is then said in one line, like a token refused at start.
        polling = getattr(application.updater, "_Updater__polling_task", None)
        stopped = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                if outage.down and time.monotonic() - last_error > quiet:
                    outage.recovered(at=last_error)
                await asyncio.wait({stopped, *([polling] if polling else [])}, timeout=min(quiet / 4, 1.0))
                if polling is not None and polling.done() and not polling.cancelled():
                    if isinstance(polling.exception(), InvalidToken):
                        raise refused()
                    polling = None
        finally:
            stopped.cancel()

    logging.getLogger("telegram.ext").addFilter(_WithoutInvalidToken())
    async with application:
        try:
            started, _ = await until(stop, _start_polling(application, on_error))
            if started:
                await watch()
        finally:
            if application.updater.running:
                with contextlib.suppress(TelegramError):  # the refusal that ended polling, said above
                    await application.updater.stop()
            if application.running:
                await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)


class _WithoutInvalidToken(logging.Filter):
    """Drops PTB's traceback for a token refused while polling: the coach says it in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether to keep the record."""
        return "Invalid token" not in record.getMessage()


async def _start_polling(application: Any, on_error: Any) -> None:
    if application.post_init is not None:
        await application.post_init(application)
    await application.updater.start_polling(allowed_updates=Update.ALL_TYPES, error_callback=on_error)
    await application.start()


async def describe(bot: Any, app: App) -> None:
    """The bot's description (shown before the first message) and short description, per language.

    French is also the default for other languages. A refusal is logged, not fatal.
    """
    try:
        for language in (*LANGUAGES, None):
            t = app.engine.translators[language or DEFAULT_LANGUAGE]
            await bot.set_my_description(t.tr("telegram.description"), language_code=language)
            await bot.set_my_short_description(t.tr("telegram.short_description"), language_code=language)
    except TelegramError as error:
        log.warning("Telegram: the bot's description was not set (%s)", reason(error))


def run_telegram(
    app: App,
    webhook_url: str | None,
    listen: str,
    port: int,
    health_port: int | None = None,
    sweep_interval: float = INTERVAL,
) -> int:
    """Run until stopped: long polling, or a webhook checking Telegram's secret token."""
    settings = app.settings
    if not settings.telegram_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and export its token")
    if webhook_url and not settings.telegram_webhook_secret:
        raise ConfigError("webhook mode needs TELEGRAM_WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -)")
    channel = TelegramChannel(app.engine, app.clock)
    background: set[asyncio.Task[None]] = set()
    served: list[web.AppRunner] = []

    async def start_nudges(application: Any) -> None:
        await describe(application.bot, app)
        task = asyncio.create_task(deliver_forever(app, channel.outbox, sweep_interval))
        background.add(task)  # keep a reference: the loop holds tasks weakly
        if health_port is not None and not webhook_url:
            served.append(await health.serve(app.store, listen, health_port))
        if not webhook_url:
            where = f"; health on http://{listen}:{health_port}{health.PATH}" if health_port else ""
            name = application.bot.username
            print(f"coach telegram: polling for updates as @{name}{where}", file=sys.stderr, flush=True)

    async def stop_nudges(_: Any) -> None:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        for runner in served:
            await runner.cleanup()

    application = channel.build(
        settings.telegram_token,
        settings.telegram_api_base_url or None,
        after_init=start_nudges,
        before_stop=stop_nudges,
    )

    async def check_token() -> None:
        bot = await open_bot(settings)
        await bot.shutdown()

    asyncio.run(check_token())
    settle()
    try:
        if webhook_url:
            asyncio.run(
                serve_webhook(
                    application, webhook_url, listen, port, settings.telegram_webhook_secret, store=app.store
                )
            )
        else:
            asyncio.run(serve_polling(application))
    except InvalidToken:
        raise refused() from None
    except NetworkError as error:
        raise unreachable(settings, error) from None
    return 0
