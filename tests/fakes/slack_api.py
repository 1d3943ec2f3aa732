"""A fake Slack on 127.0.0.1: the Web API the coach calls, and a workspace member who signs requests.

`FakeSlack` answers `auth.test`, `chat.postMessage`, `chat.update`, `views.publish`,
`conversations.open`, `users.info`, `oauth.v2.access` and the two-step file upload like Slack
does, keeps the messages per conversation, the Home views per user and the files uploaded, and
can be told to fail: `fail("chat.postMessage", 429, retry_after=1)`. A message's image block
must name a file the app uploaded (`slack_file`); like Slack, which processes an upload after
answering it, the fake can refuse the first `processing` messages that show a new file.
`Member` is a user of a workspace: their slash commands, button taps, DM messages and Home tab
visits reach the Bolt app as Slack sends them, signed with the app's secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections import defaultdict, deque
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from tests.fakes.chaos import Chaos

SECRET = "fake-signing-secret-0123456789"
TOKEN = "xoxb-111-fake-bot-token"


class FakeSlack:
    """The fake Web API and what it saw."""

    def __init__(
        self,
        tokens: dict[str, str] | None = None,
        locales: dict[str, str] | None = None,
        zones: dict[str, str] | None = None,
    ) -> None:
        self.tokens = dict(tokens or {TOKEN: "T111"})
        self.locales = dict(locales or {})
        self.zones = dict(zones or {})
        self.calls: list[tuple[str, dict[str, Any], str | None]] = []
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.views: dict[str, dict[str, Any]] = {}
        self.failures: dict[str, deque[tuple[int, dict[str, Any], dict[str, str]]]] = defaultdict(deque)
        self.delays: dict[str, float] = {}
        self.installs: dict[str, dict[str, Any]] = {}
        self.app_tokens: set[str] = set()
        self.files: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._uploads: dict[str, dict[str, Any]] = {}
        self.processing = 0
        """Messages showing a file just uploaded that are refused as Slack does while it processes it."""
        self._unready: dict[str, int] = {}
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_acks: list[dict[str, Any]] = []
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.chaos = Chaos()

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._method)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/"
        return self.url

    async def stop(self) -> None:
        for socket in self.sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail(
        self, method: str, status: int = 200, error: str = "", retry_after: int | None = None, times: int = 1
    ):
        """Answer the next `times` calls of `method` with an HTTP error or an `ok: false`."""
        body: dict[str, Any] = {
            "ok": False,
            "error": error or ("ratelimited" if status == 429 else "fatal_error"),
        }
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        for _ in range(times):
            self.failures[method].append((status, body, headers))

    def garble(self, method: str, times: int = 1) -> None:
        """Answer the next calls of `method` with a 200 whose body is not JSON."""
        for _ in range(times):
            self.failures[method].append((200, {}, {"garble": "1"}))

    def stall(self, method: str, seconds: float, times: int = 1) -> None:
        """Hold the next calls of `method` for `seconds`; a caller that gave up by then is not served.

        This is a timeout before the platform took the request: done over, it is done once.
        """
        for _ in range(times):
            self.failures[method].append((-1, {}, {"stall": str(seconds)}))

    def reset(self, method: str, times: int = 1) -> None:
        """Cut the connection of the next calls of `method` without an answer."""
        for _ in range(times):
            self.failures[method].append((0, {}, {}))

    def add_install(self, code: str, team: str, token: str, installer: str = "UADMIN") -> None:
        """Let `oauth.v2.access` exchange `code` for a new workspace's bot token."""
        self.installs[code] = {"team": team, "token": token, "installer": installer}

    def sent(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every call of `method`, in order."""
        return [args for name, args, _ in self.calls if name == method]

    def dm(self, user: str) -> list[dict[str, Any]]:
        """The messages the bot posted in its DM with `user`, as they are now (updates applied)."""
        return self.messages["D" + user]

    async def _method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        self.calls.append((method, args, token))
        if method in self.delays:
            await asyncio.sleep(self.delays[method])
        fault = self.chaos.draw(method)
        if fault == "error":
            return web.json_response({"ok": False, "error": "internal_error"}, status=500)
        if fault == "timeout":
            await self.chaos.hold(request)
            return self.chaos.cut(request)
        failure = self.failures[method].popleft() if self.failures[method] else None
        if failure is not None and failure[0] == -1:
            await asyncio.sleep(float(failure[2]["stall"]))
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=499)  # the caller gave up: nothing was done
            failure = None
        if failure is not None:
            status, body, headers = failure
            if status == 0:
                assert request.transport is not None
                request.transport.abort()  # a connection reset, mid-request
                raise ConnectionResetError
            if headers.get("garble"):
                return web.Response(status=200, text='{"ok": tr', content_type="application/json")
            return web.json_response(body, status=status, headers=headers)
        if method == "oauth.v2.access":
            return web.json_response(self._oauth(args))
        if method == "apps.connections.open":
            if token not in self.app_tokens:
                return web.json_response({"ok": False, "error": "invalid_auth"})
            return web.json_response(
                {"ok": True, "url": self.url.replace("http", "ws", 1)[: -len("api/")] + "socket"}
            )
        team = self.tokens.get(str(token))
        if team is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        answer = self._answer(method, args, team)
        if fault == "late":  # taken, but the answer comes after the caller gave up
            await self.chaos.hold(request)
            return self.chaos.cut(request)
        return web.json_response(answer)

    def _answer(self, method: str, args: dict[str, Any], team: str) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": "coach",
                "team_id": team,
                "user_id": "U0BOT",
                "bot_id": "B0BOT",
            }
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args["users"])}}
        if method == "users.info":
            user = str(args["user"])
            zone = self.zones.get(user, "Europe/Paris")
            return {"ok": True, "user": {"id": user, "locale": self.locales.get(user, "fr-FR"), "tz": zone}}
        if method in ("chat.postMessage", "chat.update"):
            refused = self._invalid_files(args.get("blocks") or [])
            if refused:
                return {"ok": False, "error": "invalid_blocks", "errors": refused}
        if method == "chat.postMessage":
            ts = f"{1700000000 + next(self._ts)}.000100"
            message = {"ts": ts, "text": args.get("text", ""), "blocks": args.get("blocks") or []}
            self.messages[str(args["channel"])].append(message)
            return {"ok": True, "channel": args["channel"], "ts": ts, "message": message}
        if method == "chat.update":
            for message in self.messages[str(args["channel"])]:
                if message["ts"] == args["ts"]:
                    message.update(text=args.get("text", ""), blocks=args.get("blocks") or [])
                    return {"ok": True, "channel": args["channel"], "ts": args["ts"]}
            return {"ok": False, "error": "message_not_found"}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts)}"
            self._uploads[file_id] = {
                "id": file_id,
                "name": args["filename"],
                "length": int(args["length"]),
                "alt_txt": args.get("alt_txt"),
            }
            return {
                "ok": True,
                "file_id": file_id,
                "upload_url": self.url[: -len("api/")] + f"upload/{file_id}",
            }
        if method == "files.completeUploadExternal":
            files = json.loads(args["files"]) if isinstance(args["files"], str) else args["files"]
            for described in files:
                upload = self._uploads.pop(described["id"])
                upload["comment"] = args.get("initial_comment", "")
                self.files[str(args.get("channel_id") or PRIVATE)].append(upload)
                self._unready[upload["id"]] = self.processing
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "views.publish":
            self.views[str(args["user_id"])] = args["view"]
            return {"ok": True, "view": {"id": "V1", **args["view"]}}
        return {"ok": False, "error": "unknown_method"}

    def _invalid_files(self, blocks: list[dict[str, Any]]) -> list[str]:
        """Slack's complaints about the files image blocks show: unknown, or still being processed."""
        known = {f["id"] for kept in self.files.values() for f in kept}
        refused = []
        for index, block in enumerate(blocks):
            if block.get("type") != "image":
                continue
            where = f"[json-pointer:/blocks/{index}"
            file_id = (block.get("slack_file") or {}).get("id")
            if bool(block.get("image_url")) == bool(block.get("slack_file")):
                refused.append(f"must provide either image_url or slack_file {where}]")
            elif file_id is None:
                continue  # an image at a URL
            elif file_id not in known:
                refused.append(f"invalid slack file {where}/slack_file]")
            elif self._unready.get(file_id):
                self._unready[file_id] -= 1
                refused.append(f"invalid slack file {where}/slack_file]")
        return refused

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL handed out by files.getUploadURLExternal: keeps the file's bytes."""
        upload = self._uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404)
        upload["data"] = await request.read()
        upload["content"] = upload["data"].decode(errors="replace")
        return web.Response(text=f"OK - {len(upload['data'])}")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then keep what the app acknowledges."""
        socket = web.WebSocketResponse(heartbeat=0.5)  # notices quickly an app that vanished
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0COACH"}}
        )
        try:
            async for message in socket:
                if message.type == aiohttp.WSMsgType.TEXT:
                    self.socket_acks.append(json.loads(message.data))
        finally:
            if request.transport is not None:  # the app may vanish without a closing handshake
                request.transport.close()
        return socket

    async def push(self, kind: str, payload: dict[str, Any]) -> str:
        """Send an envelope to the app over its Socket Mode connection; return its id."""
        envelope_id = f"env-{next(self._ts)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": True,
        }
        await self.sockets[-1].send_json(envelope)
        return envelope_id

    def _oauth(self, args: dict[str, Any]) -> dict[str, Any]:
        install = self.installs.get(str(args.get("code")))
        if install is None:
            return {"ok": False, "error": "invalid_code"}
        self.tokens[install["token"]] = install["team"]
        return {
            "ok": True,
            "app_id": "A0COACH",
            "authed_user": {"id": install["installer"]},
            "scope": "commands,chat:write,im:history,im:write,users:read",
            "token_type": "bot",
            "access_token": install["token"],
            "bot_user_id": "U0BOT",
            "team": {"id": install["team"], "name": "Workspace " + install["team"]},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        """Wait until `predicate()` holds (it may watch the store too)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("the app did not answer in time")
            await asyncio.sleep(0.01)


def sign(body: bytes, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    """The headers Slack adds to a request: its time and the HMAC-SHA256 signature of both."""
    ts = str(int(time.time() if at is None else at))
    base = f"v0:{ts}:".encode() + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


PRIVATE = "(uploaded, shared with no channel)"
"""Where `files` keeps the files an app uploads without sharing them (for its Home tab)."""


class Member:
    """A user of a workspace, talking to the app at `url` the way Slack relays it."""

    def __init__(self, url: str, team: str, user: str, secret: str = SECRET) -> None:
        self.url, self.team, self.user, self.secret = url, team, user, secret
        self._ids = itertools.count(1)

    async def post(
        self, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        """Send a signed request; return the response (its body read)."""
        all_headers = {"Content-Type": content_type, **sign(body, self.secret), **(headers or {})}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, data=body, headers=all_headers) as response,
        ):
            await response.read()
            return response

    async def command(self, text: str, channel: str | None = None) -> aiohttp.ClientResponse:
        """Type `/coach <text>` (in the DM with the bot unless `channel` says elsewhere)."""
        form = {
            "token": "legacy",
            "team_id": self.team,
            "team_domain": "fake",
            "channel_id": channel or "D" + self.user,
            "channel_name": "directmessage",
            "user_id": self.user,
            "user_name": self.user.lower(),
            "command": "/coach",
            "text": text,
            "api_app_id": "A0COACH",
            "response_url": "https://hooks.slack.invalid/commands/1",
            "trigger_id": f"{self.user}.{next(self._ids)}.trigger",
        }
        return await self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    def _payload(
        self, actions: list[dict[str, Any]], message: dict[str, Any] | None, **extra: Any
    ) -> dict[str, Any]:
        return {
            "type": "block_actions",
            "team": {"id": self.team, "domain": "fake"},
            "user": {"id": self.user, "team_id": self.team},
            "api_app_id": "A0COACH",
            "trigger_id": f"{self.user}.{next(self._ids)}.trigger",
            "container": {"type": "message", "message_ts": (message or {}).get("ts")},
            "channel": {"id": "D" + self.user},
            "message": message,
            "actions": actions,
            **extra,
        }

    async def action(self, payload: dict[str, Any]) -> aiohttp.ClientResponse:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded")

    async def tap(self, message: dict[str, Any], value: str) -> aiohttp.ClientResponse:
        """Tap the button of `message` whose value is `value`."""
        button = next(e for e in buttons(message) if e.get("value") == value)
        action = {"type": "button", **{k: button[k] for k in ("action_id", "value", "text")}, "block_id": "b"}
        return await self.action(self._payload([action], message))

    async def tick_and_done(self, message: dict[str, Any], values: list[str]) -> aiohttp.ClientResponse:
        """Tick the checkboxes with `values`, then tap Done."""
        state: dict[str, Any] = {}
        for n, block in enumerate(message["blocks"]):
            for element in block.get("elements", []):
                if element.get("type") == "checkboxes":
                    ticked = [o for o in element["options"] if o["value"] in values]
                    state[f"b{n}"] = {
                        element["action_id"]: {"type": "checkboxes", "selected_options": ticked}
                    }
        done = next(e for e in buttons(message) if e["action_id"] == "coach.done")
        action = {"type": "button", **{k: done[k] for k in ("action_id", "value", "text")}, "block_id": "d"}
        return await self.action(self._payload([action], message, state={"values": state}))

    async def event(
        self, event: dict[str, Any], event_id: str | None = None, retry: int = 0
    ) -> aiohttp.ClientResponse:
        """Deliver an Events API callback (with Slack's retry headers when `retry` > 0)."""
        body = {
            "token": "legacy",
            "team_id": self.team,
            "api_app_id": "A0COACH",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{self.user}{next(self._ids)}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team, "user_id": "U0BOT", "is_bot": True}],
        }
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return await self.post(json.dumps(body).encode(), "application/json", headers)

    async def say(self, text: str, event_id: str | None = None, retry: int = 0) -> aiohttp.ClientResponse:
        """Write a message in the DM with the bot."""
        event = {
            "type": "message",
            "channel": "D" + self.user,
            "channel_type": "im",
            "user": self.user,
            "text": text,
            "ts": f"{time.time():.6f}",
        }
        return await self.event(event, event_id, retry)

    async def open_home(self) -> aiohttp.ClientResponse:
        return await self.event(
            {"type": "app_home_opened", "user": self.user, "tab": "home", "channel": "D" + self.user}
        )


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The buttons of a message, in order."""
    return [
        e
        for block in message.get("blocks", [])
        if block.get("type") == "actions"
        for e in block["elements"]
        if e.get("type") == "button"
    ]
