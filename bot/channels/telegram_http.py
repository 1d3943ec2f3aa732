"""The Bot API over aiohttp's client: PTB's requests as one JSON body each, on a few kept connections.

PTB's own `HTTPXRequest` form-encodes each call (a Python loop over every byte of a long French
text) and walks httpx's whole pool, asking each idle connection whether it was closed, twice per
call. aiohttp (already here for Slack and the webhook) parses in C and keeps its idle connections
in a queue: the same calls cost the bot about a third less CPU (`docs/benchmarks.md`). PTB
documents `BaseRequest` for exactly this; errors map as in `HTTPXRequest`.
"""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

TIMEOUT = 5.0
"""Seconds to connect, to send a call, or to wait for the next bytes of an answer, unless a call
says otherwise."""
UPLOAD_TIMEOUT = 20.0
"""Seconds to send a call that uploads a file (a chart), as PTB's own transport allows."""


def _seconds(value: Any, default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


class AiohttpRequest(BaseRequest):
    """Calls to the Bot API through `connections` kept connections; calls beyond them wait their turn.

    The turn is taken before aiohttp's pool, with no pool timeout: a burst of replies waits for a
    free connection instead of failing and being retried.
    """

    def __init__(self, connections: int = 1, read_timeout: float | None = TIMEOUT) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._turns: asyncio.Semaphore | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """Seconds to wait for an answer's next bytes (PTB adds a long poll's own wait to it)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session, within the running loop (again after a shutdown)."""
        if self._session is None or self._session.closed:
            self._turns = asyncio.Semaphore(self._connections)
            connector = aiohttp.TCPConnector(limit=self._connections)
            no_total = aiohttp.ClientTimeout(total=None)  # each call sets its own timeouts
            self._session = aiohttp.ClientSession(connector=connector, timeout=no_total)

    async def shutdown(self) -> None:
        """Close the connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One call, once a connection is free for it: its HTTP status and body."""
        if self._session is None or self._session.closed or self._turns is None:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        headers = {"User-Agent": self.USER_AGENT}
        data: Any = None
        if request_data is not None and request_data.contains_files:
            form = aiohttp.FormData(request_data.json_parameters)
            for name, (filename, content, mime) in request_data.multipart_data.items():
                # As a stream: aiohttp warns that big raw bytes would be sent in one go.
                stream = io.BytesIO(content) if isinstance(content, bytes) else content
                form.add_field(name, stream, filename=filename, content_type=mime)
            data = form
        elif request_data is not None:
            data = json.dumps(request_data.parameters, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        # aiohttp has no write timeout, and starts the read's once the body is sent: an upload
        # that stalls is bounded by the call's total, connecting, sending and reading together.
        connect = _seconds(connect_timeout, TIMEOUT)
        write = _seconds(write_timeout, UPLOAD_TIMEOUT if isinstance(data, aiohttp.FormData) else TIMEOUT)
        read = _seconds(read_timeout, self._read_timeout)
        total = None if connect is None or write is None or read is None else connect + write + read
        timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)
        try:
            async with self._turns, self._session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's own timeouts are TimeoutErrors too
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error
