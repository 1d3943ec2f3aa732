"""One polling round over many feeds on a local web server, most of them unchanged (304).

    .venv/bin/python benchmarks/feeds.py --feeds 10000 --changed 0.05

Owners with finished plans are put on file (TinyDB, the default store, fsync on as deployed;
`--store memory` to see the round without the store), each following `--per-owner` feeds, all
due now. A separate process serves the feeds from 8 loopback addresses (so the overall cap on
connections, not the per-host one, is what binds): a feed answers 304 to its ETag, except the
`--changed` share, which has one new WordPress-style entry. Reports the time of one round, its
outcome (checked, unchanged, new posts), and the peak memory of the polling process (resident
set, before and after the round).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.feeds.fetch import FetchPolicy
from bot.feeds.parse import parse_feed
from bot.feeds.polling import Poller
from bot.feeds.state import FeedState
from bot.store.base import Store
from bot.store.memory import MemoryStore
from bot.store.tinydb import TinyDBStore
from tests.fakes.chat import OwnerChat
from tests.fakes.feed_server import sample, wordpress_with
from tests.fakes.journeys import LOCAL_BAKERY, walk
from tests.fakes.processes import free_port

FINISHED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ROUND = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
HOSTS = tuple(f"127.0.0.{n}" for n in range(1, 9))
OLD = sample("wordpress.xml")
NEW = wordpress_with(
    ("Pain de Noël", "https://boulangerie-dupain.example/pain-de-noel/", ROUND - timedelta(hours=1))
)


def serve(port: int, changed_every: int, ready: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    """The feeds' server (another process): `/f/<n>.xml`, 304 for the ETag it gave, unless changed."""
    from aiohttp import web

    modified = format_datetime(FINISHED, usegmt=True)

    async def feed(request: web.Request) -> web.Response:
        number = int(request.match_info["n"])
        changed = changed_every and number % changed_every == 0
        etag = f'"{number}-{2 if changed else 1}"'
        headers = {"ETag": etag, "Last-Modified": modified}
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        return web.Response(
            body=NEW if changed else OLD, headers={**headers, "Content-Type": "application/rss+xml"}
        )

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/f/{n}.xml", feed)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for host in HOSTS:
            await web.TCPSite(runner, host, port, backlog=2048).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def populate(store: Store, feeds: int, per_owner: int, port: int) -> int:
    """Owners with a finished plan, each following `per_owner` feeds already read once."""
    clock = FixedClock(FINISHED)
    template_app = build_app(Settings(data_dir=Path("unused")), store=MemoryStore(), clock=clock)
    chat = OwnerChat(template_app.engine, clock, "bench:template", language="fr")
    chat.say("/start")
    walk(chat, LOCAL_BAKERY)
    base = chat.record()
    seen = [e.key for e in parse_feed(OLD, "https://boulangerie-dupain.example/feed/").entries]
    owners = 0
    for start in range(0, feeds, per_owner):
        record = copy.deepcopy(base)
        record.owner_id = f"bench:{owners}"
        for n in range(start, min(start + per_owner, feeds)):
            url = f"http://{HOSTS[n % len(HOSTS)]}:{port}/f/{n}.xml"
            record.feeds.append(
                FeedState(url, "blog", "Boulangerie", FINISHED.isoformat(), list(seen), etag=f'"{n}-1"')
            )
        store.put(record)
        owners += 1
    return owners


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--per-owner", type=int, default=4)
    parser.add_argument("--changed", type=float, default=0.05, help="share of feeds with a new entry")
    parser.add_argument("--store", choices=("tinydb", "memory"), default="tinydb")
    args = parser.parse_args()

    port = free_port()
    ready = multiprocessing.get_context("spawn").Event()
    changed_every = round(1 / args.changed) if args.changed else 0
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(port, changed_every, ready))
    server.start()
    try:
        ready.wait(60)
        with tempfile.TemporaryDirectory(prefix="coach-feeds-bench-") as folder:
            store: Store = TinyDBStore(Path(folder)) if args.store == "tinydb" else MemoryStore()
            started = time.perf_counter()
            owners = populate(store, args.feeds, args.per_owner, port)
            took = time.perf_counter() - started
            print(f"{owners:,} owners, {args.feeds:,} feeds on file ({args.store}) in {took:.1f} s")
            app = build_app(Settings(data_dir=Path(folder)), store=store, clock=FixedClock(ROUND))
            before = rss_mib()
            poller = Poller(app.engine, FetchPolicy(allow_private=True))
            started = time.perf_counter()
            report = asyncio.run(poller.round(ROUND))
            elapsed = time.perf_counter() - started
            print(report.line())
            print(f"one round: {elapsed:.2f} s ({args.feeds / elapsed:,.0f} feeds/s)")
            print(f"peak memory: {rss_mib():.0f} MiB (before the round: {before:.0f} MiB)")
            again = asyncio.run(poller.round(ROUND + timedelta(minutes=1)))
            print(f"a round one minute later: {again.checked} feeds due")
            app.close()
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
