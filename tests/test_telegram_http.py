"""The Bot API transport (`bot.channels.telegram_http`): the real PTB `Bot` against the fake on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut

from bot.channels.telegram import bot_urls
from bot.channels.telegram_http import AiohttpRequest
from tests.fakes.processes import free_port
from tests.fakes.telegram_api import FakeTelegram


def with_bot(request: AiohttpRequest, story: Callable[[Bot, FakeTelegram], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        fake = FakeTelegram()
        api, files = bot_urls(await fake.start())
        try:
            async with Bot("123:HTTP", base_url=api, base_file_url=files, request=request) as bot:
                return await story(bot, fake)
        finally:
            await fake.stop()

    return asyncio.run(run())


def test_a_reply_goes_as_one_json_body_with_its_keyboard_as_an_object() -> None:
    async def story(bot: Bot, fake: FakeTelegram) -> dict[str, Any]:
        button = InlineKeyboardButton("Oui, j'ai déjà un compte", callback_data="q|yes")
        markup = InlineKeyboardMarkup([[button]])
        await bot.send_message(7001, "Ça marche : à vendredi, 8 h.", reply_markup=markup)
        return next(params for method, params in fake.calls if method == "sendMessage")

    params = with_bot(AiohttpRequest(), story)
    # A form would carry every value as a string; JSON keeps the chat id a number.
    assert params["chat_id"] == 7001
    assert params["text"] == "Ça marche : à vendredi, 8 h."
    assert params["reply_markup"]["inline_keyboard"][0][0]["text"] == "Oui, j'ai déjà un compte"


def test_more_messages_at_once_than_connections_all_go_out_without_a_pool_timeout() -> None:
    """A burst waits its turn for a free connection, with no pool timeout to fail it."""

    async def story(bot: Bot, fake: FakeTelegram) -> tuple[list[int], int]:
        fake.delays["sendMessage"] = 0.2  # each call holds its connection a while
        sends = (bot.send_message(7000 + n, f"message {n}", pool_timeout=0.05) for n in range(8))
        await asyncio.gather(*sends)
        return [len(fake.sent[7000 + n]) for n in range(8)], fake.most_in_flight

    delivered, most_at_once = with_bot(AiohttpRequest(2), story)
    assert delivered == [1] * 8
    assert most_at_once == 2, "two connections: two calls at a time, the others waited their turn"


def test_an_answer_slower_than_the_read_timeout_ends_as_timed_out() -> None:
    async def story(bot: Bot, fake: FakeTelegram) -> None:
        fake.delays["sendMessage"] = 1
        await bot.send_message(7002, "hello", read_timeout=0.1)

    with pytest.raises(TimedOut):
        with_bot(AiohttpRequest(), story)


def test_an_upload_that_stalls_ends_as_timed_out_and_frees_its_connection() -> None:
    """A server that takes the connection but never reads: the upload cannot finish."""
    from telegram import InputFile
    from telegram.request import RequestData
    from telegram.request._requestparameter import RequestParameter

    async def stalled() -> float:
        held: list[asyncio.StreamWriter] = []

        async def take(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            held.append(writer)  # never read: the client's send stalls

        server = await asyncio.start_server(take, "127.0.0.1", 0, reuse_address=True)
        server.sockets[0].setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        port = server.sockets[0].getsockname()[1]
        request = AiohttpRequest(1)
        await request.initialize()
        chart = InputFile(b"\x89PNG" + b"x" * 30_000_000, filename="week.png")  # far over the buffers
        parameters = [RequestParameter.from_input("chat_id", 1), RequestParameter.from_input("photo", chart)]
        data = RequestData(parameters)
        started = asyncio.get_running_loop().time()
        try:
            with pytest.raises(TimedOut):
                url = f"http://127.0.0.1:{port}/bot1:X/sendPhoto"
                short = {"connect_timeout": 0.5, "write_timeout": 0.5, "read_timeout": 0.5}
                # Bounded here too, so that a regression fails instead of hanging the suite.
                await asyncio.wait_for(request.do_request(url, "POST", data, **short), 30)
            return asyncio.get_running_loop().time() - started
        finally:
            for writer in held:
                writer.transport.abort()  # the peer resets: the client's socket closes too
            await request.shutdown()
            server.close()
            await server.wait_closed()

    assert asyncio.run(stalled()) < 10, "bounded by the call's own timeouts, not the kernel's"


def test_a_bot_api_that_cannot_be_reached_ends_as_a_network_error() -> None:
    async def unreachable() -> None:
        api, files = bot_urls(f"http://127.0.0.1:{free_port()}")  # nothing listens there
        request = AiohttpRequest()
        try:
            await Bot("123:HTTP", base_url=api, base_file_url=files, request=request).initialize()
        finally:
            await request.shutdown()

    with pytest.raises(NetworkError) as caught:
        asyncio.run(unreachable())
    assert not isinstance(caught.value, TimedOut)


def test_a_request_used_before_it_is_opened_says_so() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        asyncio.run(AiohttpRequest().do_request("http://127.0.0.1:9/x", "POST"))
