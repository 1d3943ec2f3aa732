"""Telegram's webhook, answered only once the update is handled.

python-telegram-bot's own webhook server answers 200 as soon as an update is queued: a process
killed before handling it would lose it, since Telegram does not send an update again once it
got its 200. This small aiohttp server hands the update to the Application and answers after
it is handled (and stored); killed before that, the request fails and Telegram sends the update
again, which the engine then handles once. The secret token Telegram sends is checked first.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot import health
from bot.store.base import Store

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20  # Telegram's updates are a few KiB


def webhook_app(
    application: Application[Any, Any, Any, Any, Any, Any], secret: str, path: str, store: Store | None = None
) -> web.Application:
    """The web application receiving Telegram's updates on `path`, and `/healthz` (checking `store`)."""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), application.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("Telegram webhook: a request that is not an update was refused")
            return web.Response(status=400)
        processor = application.update_processor
        await processor.process_update(update, application.process_update(update))
        return web.Response()

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=MAX_BODY)
    app.add_routes([web.post(path, receive), health.route(store) if store else web.get(health.PATH, healthz)])
    return app
