"""`coach telegram` killed with SIGKILL at random while many owners write: nothing lost, nothing twice.

The fake Bot API forgets updates once the bot confirms them (the next `getUpdates` offset), as
Telegram does. Each owner logs posts with `/posted`, one update each, so the count of posts in
the store says exactly how many updates were handled: as many as were sent, whatever the kills.
`COACH_CRASH_CYCLES` sets the number of kills (5 by default; the long run uses more).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import ROOT
from bot.store.base import Store
from bot.store.tinydb import TinyDBStore
from tests.fakes.telegram_api import FakeTelegram

OWNERS = 12
MIN_POSTS = 10
CYCLES = int(os.environ.get("COACH_CRASH_CYCLES", "5"))


@pytest.fixture(params=["tinydb", "postgres"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "postgres":
        yield {"COACH_DATABASE_URL": request.getfixturevalue("postgres_url")}
    else:
        yield {"COACH_DATA_DIR": str(tmp_path / "data")}


def _store(where: dict[str, str]) -> Store:
    if "COACH_DATABASE_URL" in where:
        from bot.store.postgres import PostgresStore

        return PostgresStore(where["COACH_DATABASE_URL"])
    return TinyDBStore(Path(where["COACH_DATA_DIR"]))


def test_killing_the_telegram_bot_at_random_loses_no_update_and_handles_none_twice(
    where: dict[str, str],
) -> None:
    rng = random.Random(20261123)
    users = [9000 + n for n in range(OWNERS)]
    posted = dict.fromkeys(users, 0)

    async def scenario() -> FakeTelegram:
        fake = FakeTelegram()
        await fake.start()
        env = {
            **os.environ,
            **where,
            "TELEGRAM_BOT_TOKEN": "123:CRASH-token",
            "TELEGRAM_API_BASE_URL": fake.url,
        }
        killing = True

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, "-m", "bot", "telegram"], env=env, cwd=ROOT, stderr=subprocess.DEVNULL
            )

        async def owner(user: int) -> None:
            await fake.say(user, "/start", "fr")  # a new owner's first message begins the journey
            while killing or posted[user] < MIN_POSTS:
                await fake.say(user, "/posted", "fr")
                posted[user] += 1
                await asyncio.sleep(rng.uniform(0, 0.3))

        # Each message takes a while to reach Telegram, as over a real network; the kills fall
        # while one is on its way, between an answer stored and its reply delivered.
        fake.stall("sendMessage", 0.05, times=10**6)
        process = start()
        writers = asyncio.gather(*(owner(user) for user in users))
        try:
            for _ in range(CYCLES):
                await asyncio.sleep(rng.uniform(0.3, 1.2))
                await fake.wait_for(lambda: fake.stalled > 0, timeout=30)
                process.send_signal(signal.SIGKILL)
                await asyncio.to_thread(process.wait, 30)
                process = start()
            killing = False
            await writers
            last = fake.updates[-1]["update_id"]
            backlog = 60 + 0.1 * len(fake.updates)  # seconds: each update's two replies take 50 ms each
            await fake.wait_for(lambda: fake.confirmed > last, timeout=backlog)  # all fetched, confirmed
            # Replies a killed process had not delivered go out from the outbox after the restart.
            await fake.wait_for(lambda: all(len(fake.sent[u]) >= replies(u) for u in users), timeout=backlog)
            await asyncio.sleep(0.5)
        finally:
            process.send_signal(signal.SIGINT)
            await asyncio.to_thread(process.wait, 30)  # the fake goes on answering meanwhile
            await fake.stop()
        return fake

    def replies(user: int) -> int:
        """The welcome with the first question, then for each post a word with the question again."""
        return posted[user] + 1

    fake = asyncio.run(scenario())
    store = _store(where)
    try:
        records = {user: store.get(f"telegram:{user}") for user in users}
    finally:
        store.close()
    assert {user: len(r.posts) for user, r in records.items()} == posted, "each update handled once"
    assert all(not r.outbox for r in records.values()), "every kept reply was delivered"
    received = {user: len(fake.sent[user]) for user in users}
    assert all(received[user] >= replies(user) for user in users), f"replies lost: {received}"
    # A message Telegram took just before a kill, whose delivery was not yet noted, goes again:
    # at most one per owner per kill (docs/reliability.md).
    repeats = sum(received[user] - replies(user) for user in users)
    assert repeats <= CYCLES * OWNERS
    updates = sum(posted.values()) + OWNERS
    print(f"\n{CYCLES} kills, {updates} updates, 0 lost, 0 handled twice, {repeats} messages repeated")


def welcomes(message: dict[str, Any]) -> bool:
    return str(message["text"]).startswith("Bonjour, je suis Coach")


def test_a_webhook_update_whose_handling_was_killed_gets_no_200_is_handled_once_and_answered(
    tmp_path: Path,
) -> None:
    import aiohttp

    from tests.fakes.processes import free_port, wait_healthy

    user, port, secret = 9100, free_port(), "webhook-secret-abc"

    async def scenario() -> FakeTelegram:
        fake = FakeTelegram()
        await fake.start()
        env = {
            **os.environ,
            "COACH_DATA_DIR": str(tmp_path / "data"),
            "TELEGRAM_BOT_TOKEN": "123:CRASH-token",
            "TELEGRAM_API_BASE_URL": fake.url,
            "TELEGRAM_WEBHOOK_SECRET": secret,
        }
        command = [
            sys.executable,
            "-m",
            "bot",
            "telegram",
            "--webhook-url",
            "https://coach.example/telegram",
            "--port",
            str(port),
        ]
        update = {"update_id": 700, **fake.text_update(user, "/start", "fr")}
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        url = f"http://127.0.0.1:{port}/telegram"

        async def once(http: aiohttp.ClientSession) -> int:
            """One delivery; 0 when the connection broke."""
            try:
                async with http.post(url, json=update, headers=headers) as response:
                    return response.status
            except aiohttp.ClientError:
                return 0

        async def deliver(http: aiohttp.ClientSession) -> int:
            """Telegram's side: post the update until the bot answers (it retries on failure)."""
            for _ in range(300):
                try:
                    async with http.post(url, json=update, headers=headers) as response:
                        return response.status
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            raise TimeoutError("the webhook never answered")

        process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
        try:
            fake.stall("sendMessage", 3.0)  # the reply is on its way when the process dies
            async with aiohttp.ClientSession() as http:
                await wait_healthy(f"http://127.0.0.1:{port}/healthz")
                attempt = asyncio.create_task(once(http))
                await fake.wait_for(lambda: any(m == "sendMessage" for m, _ in fake.calls), timeout=30)
                process.send_signal(signal.SIGKILL)
                await asyncio.to_thread(process.wait, 30)
                assert await attempt == 0, "no 200 for an update that was not handled"
                process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
                assert await deliver(http) == 200  # Telegram sends it again
                # The replies of the killed handling were kept with the answer: the restarted
                # process sends them.
                await fake.wait_for(lambda: any(welcomes(m) for m in fake.sent[user]), timeout=30)
                again = {"update_id": 701, **fake.text_update(user, "/help", "fr")}
                async with http.post(url, json=again, headers=headers) as response:
                    assert response.status == 200
        finally:
            process.send_signal(signal.SIGINT)
            await asyncio.to_thread(process.wait, 30)
            await fake.stop()
        return fake

    fake = asyncio.run(scenario())
    store = TinyDBStore(tmp_path / "data")
    try:
        record = store.get(f"telegram:{user}")
    finally:
        store.close()
    assert record is not None and record.seen_events.count("tg:700") == 1, "handled once"
    assert len([m for m in fake.sent[user] if welcomes(m)]) == 1
