"""A fake Telegram Bot API server on 127.0.0.1, for the real python-telegram-bot Application.

It serves the methods the coach uses, keeps what the bot sent per chat, queues updates for
`getUpdates` (long-polling like the real one), and can be told to fail: `fail("sendMessage",
429, retry_after=1)` or `fail("sendMessage", 502)` answer the next such call with that error.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import time
from collections import defaultdict, deque
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from tests.fakes.chaos import Chaos

CAPTION_MAX = 1024
"""Telegram's limit on a caption, in UTF-16 code units."""
BOT = {"id": 123, "is_bot": True, "first_name": "Coach", "username": "coach_bot"}


class FakeTelegram:
    """The fake server and what it saw."""

    def __init__(self, first_update_id: int = 1) -> None:
        self.updates: list[dict[str, Any]] = []
        self.sent: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.failures: dict[str, deque[tuple[int, dict[str, Any]]]] = defaultdict(deque)
        self.delays: dict[str, float] = {}
        self.stalled = 0  # calls held by `stall` right now
        self.in_flight = 0  # calls being answered right now
        self.most_in_flight = 0  # the most at once
        self.webhook: dict[str, Any] | None = None
        self.confirmed = 0
        self.chaos = Chaos()
        self.sent_at: list[float] = []  # when each message was taken (time.monotonic())
        self._update_ids = itertools.count(first_update_id)  # Telegram never reuses an id
        self._message_ids = itertools.count(1000)
        self._changed = asyncio.Condition()
        self._chat_sent: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._method)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def fail(self, method: str, status: int, retry_after: int | None = None, times: int = 1) -> None:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": f"fake error {status}"}
        if status == 403:
            body["description"] = "Forbidden: bot was blocked by the user"
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
            body["description"] = f"Too Many Requests: retry after {retry_after}"
        for _ in range(times):
            self.failures[method].append((status, body))

    def garble(self, method: str, times: int = 1) -> None:
        """Answer the next calls of `method` with a 200 whose body is not JSON."""
        for _ in range(times):
            self.failures[method].append((200, None))

    def stall(self, method: str, seconds: float, times: int = 1) -> None:
        """Hold the next calls of `method` for `seconds`; a caller that gave up by then is not served.

        This is a timeout before the platform took the request: done over, it is done once.
        """
        for _ in range(times):
            self.failures[method].append((-1, {"stall": seconds}))

    def reset(self, method: str, times: int = 1) -> None:
        """Cut the connection of the next calls of `method` without an answer."""
        for _ in range(times):
            self.failures[method].append((0, None))

    # --- what users do --------------------------------------------------------------------

    def _user(self, user_id: int, language: str) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": language}

    async def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        update["update_id"] = next(self._update_ids)
        async with self._changed:
            self.updates.append(update)
            self._changed.notify_all()
        return update

    def text_update(
        self,
        user_id: int,
        text: str,
        language: str = "fr",
        chat_type: str = "private",
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id or user_id, "type": chat_type},
            "from": self._user(user_id, language),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"message": message}

    async def say(self, user_id: int, text: str, language: str = "fr", **kw: Any) -> dict[str, Any]:
        return await self._push(self.text_update(user_id, text, language, **kw))

    async def tap(
        self, user_id: int, message: dict[str, Any], data: str, language: str = "fr"
    ) -> dict[str, Any]:
        return await self._push(
            {
                "callback_query": {
                    "id": f"cq{time.monotonic_ns()}",
                    "from": self._user(user_id, language),
                    "chat_instance": "ci",
                    "data": data,
                    "message": _as_telegram(message),
                }
            }
        )

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the bot did not answer in time")
                # Predicates may watch more than this server (the store): look again often.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(remaining, 0.02))

    async def next_question(self, chat_id: int, after: int, timeout: float = 10.0) -> dict[str, Any]:
        """The first message sent to `chat_id` after index `after` that has buttons."""

        def found() -> bool:
            return any(m.get("reply_markup") for m in self.sent[chat_id][after:])

        await self.wait_for(found, timeout)
        return next(m for m in self.sent[chat_id][after:] if m.get("reply_markup"))

    # --- the Bot API ------------------------------------------------------------------------

    async def _method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {k: _decode(v) for k, v in (await request.post()).items()}
        self.calls.append((method, params))
        if method in self.delays:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                await asyncio.sleep(self.delays[method])
            finally:
                self.in_flight -= 1
        fault = self.chaos.draw(method)
        if fault == "error":
            body = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            return web.json_response(body, status=500)
        if fault == "timeout":
            await self.chaos.hold(request)
            return self.chaos.cut(request)
        failure = self.failures[method].popleft() if self.failures[method] else None
        if failure is not None and failure[0] == -1:
            self.stalled += 1
            try:
                await asyncio.sleep(failure[1]["stall"])
            finally:
                self.stalled -= 1
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=499)  # the caller gave up: nothing was done
            failure = None
        if failure is not None:
            status, body = failure
            if status == 0:
                assert request.transport is not None
                request.transport.abort()  # a connection reset, mid-request
                raise ConnectionResetError
            if body is None:
                return web.Response(
                    status=200, text='{"ok": true, "result": {"message_id"', content_type="application/json"
                )
            return web.json_response(body, status=status)
        handler = getattr(self, "_" + method, None)
        result = await handler(params) if handler else True
        if fault == "late":  # taken, but the answer comes after the caller gave up
            await self.chaos.hold(request)
            return self.chaos.cut(request)
        return web.json_response({"ok": True, "result": result})

    async def _getMe(self, params: dict[str, Any]) -> Any:
        return BOT

    async def _getUpdates(self, params: dict[str, Any]) -> Any:
        # Like Telegram: an offset confirms every earlier update, which is then gone for good.
        self.confirmed = max(self.confirmed, int(params.get("offset") or 0))
        offset = self.confirmed
        timeout = float(params.get("timeout") or 0)

        def pending() -> list[dict[str, Any]]:
            return [u for u in self.updates if u["update_id"] >= max(offset, self.confirmed)]

        if not pending() and timeout:
            try:
                await self.wait_for(lambda: bool(pending()), timeout)
            except TimeoutError:
                return []
        return pending()[:100]

    async def _sendMessage(self, params: dict[str, Any]) -> Any:
        return await self._keep(params, text=params["text"])

    async def _keep(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        """Keep a message sent to a chat: its text, or its file and caption, and its keyboard."""
        chat_id = int(params["chat_id"])
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT,
            **content,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        async with self._changed:
            self.sent[chat_id].append(message)
            self.sent_at.append(time.monotonic())
            self._changed.notify_all()
        self._chat_sent[chat_id].set()
        return message

    async def _sendDocument(self, params: dict[str, Any]) -> Any:
        upload = params["document"]  # a multipart file part
        data = upload.file.read()
        document = {"file_name": upload.filename, "data": data, "content": data.decode(errors="replace")}
        message = await self._keep(params, document=document, **_caption(params))
        return _as_telegram(message)  # the bytes stay here

    async def _sendPhoto(self, params: dict[str, Any]) -> Any:
        upload = params["photo"]  # a multipart file part, as Telegram takes a new photo
        photo = {"file_name": upload.filename, "data": upload.file.read()}
        if len(params.get("caption", "").encode("utf-16-le")) // 2 > CAPTION_MAX:
            raise _refused("message caption is too long")
        message = await self._keep(params, photo=photo, **_caption(params))
        return _as_telegram(message)  # the bytes stay here

    async def wait_sent(self, chat_id: int, count: int, timeout: float = 60.0) -> None:
        """Wait until `chat_id` has received more than `count` messages (no polling: for benchmarks)."""
        deadline = time.monotonic() + timeout
        while len(self.sent[chat_id]) <= count:
            event = self._chat_sent[chat_id]
            event.clear()
            if len(self.sent[chat_id]) > count:
                break
            await asyncio.wait_for(event.wait(), max(0.001, deadline - time.monotonic()))

    def _find(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        return next(m for m in self.sent[chat_id] if m["message_id"] == message_id)

    def _edit(self, params: dict[str, Any], **changes: Any) -> dict[str, Any]:
        message = self._find(params)
        message.update(changes)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return message

    async def _editMessageText(self, params: dict[str, Any]) -> Any:
        if "text" not in self._find(params):
            raise _refused("there is no text in the message to edit")
        return self._edit(params, text=params["text"])

    async def _editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        return self._edit(params)

    async def _editMessageCaption(self, params: dict[str, Any]) -> Any:
        if "text" in self._find(params):
            raise _refused("there is no caption in the message to edit")
        if len(params["caption"].encode("utf-16-le")) // 2 > CAPTION_MAX:
            raise _refused("message caption is too long")
        return _as_telegram(self._edit(params, caption=params["caption"]))

    async def _setMyCommands(self, params: dict[str, Any]) -> Any:
        self.commands[params.get("language_code") or ""] = params["commands"]
        return True

    async def _setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = params
        return True

    async def _deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        return True


def _refused(description: str) -> web.HTTPBadRequest:
    """Telegram's answer to a request it will not carry out."""
    body = {"ok": False, "error_code": 400, "description": f"Bad Request: {description}"}
    return web.HTTPBadRequest(text=json.dumps(body), content_type="application/json")


def _caption(params: dict[str, Any]) -> dict[str, Any]:
    return {"caption": params["caption"]} if params.get("caption") else {}


def _as_telegram(message: dict[str, Any]) -> dict[str, Any]:
    """A message kept here as Telegram describes it: a photo by its sizes, a document by its id."""
    shown = dict(message)
    if "photo" in shown:
        shown["photo"] = [{"file_id": "ph1", "file_unique_id": "uph1", "width": 1080, "height": 1350}]
    if "document" in shown:
        name = message["document"]["file_name"]
        shown["document"] = {"file_id": "doc1", "file_unique_id": "udoc1", "file_name": name}
    return shown


def _decode(value: Any) -> Any:
    if isinstance(value, FileField):  # aiohttp spools a file part to a temporary file: read it, close it
        with value.file:
            data = value.file.read()
        return FileField(value.name, value.filename, io.BytesIO(data), value.content_type, value.headers)
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
