"""Polling rounds: every followed feed whose time has come is fetched, and new entries become posts.

A round reads the owners in batches, fetches the due feeds of a batch concurrently (the fetcher
caps connections), parses them off the event loop (a channel's process shares it), then writes
each owner's record once, under their lock, re-reading it first: a feed removed meanwhile is
left alone. A new entry counts as a post on the feed's network at its publication date (never
later than now), unless it was published before the owner added the feed. When posts are found
the owner's next reminder check moves, so a cadence reminder that was coming does not come.
A feed failing for `WARN_AFTER` earns its owner one message through the outbox, outside quiet
hours; a success ends the failing spell.

Rounds run in the process that sends reminders (`background`), or once with `coach feeds --once`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TextIO

from bot import outbox
from bot.app import App
from bot.engine import Engine
from bot.events import Reply
from bot.feeds import schedule
from bot.feeds.command import error_text
from bot.feeds.counting import FEED, add_detected
from bot.feeds.fetch import Fetched, Fetcher, FetchError, FetchPolicy
from bot.feeds.links import canonical_post
from bot.feeds.parse import Feed, NotAFeed, parse_feed
from bot.feeds.state import FeedState
from bot.nudges import rules
from bot.nudges.prefs import Prefs
from bot.store.base import OwnerRecord, StoreError

log = logging.getLogger(__name__)
INTERVAL = 300.0
"""Seconds between two rounds in a long-running process (each feed waits 30 minutes anyway)."""
BATCH = 500
"""Owners read, fetched for and written back together: bounds the memory a round holds."""
ADDED_SLACK = timedelta(minutes=5)
"""An entry dated a little before the feed was added still counts (clocks differ)."""


@dataclass(frozen=True)
class Outcome:
    """What fetching one owner's feed gave: a feed, unchanged (304), or a failure reason."""

    owner_id: str
    url: str
    fetched: Fetched | None = None
    feed: Feed | None = None
    error: str | None = None
    retry_after: float | None = None


@dataclass
class Report:
    """What a round did, for the log and `coach feeds --once`."""

    owners: int = 0
    checked: int = 0
    unchanged: int = 0
    failed: int = 0
    new_posts: int = 0
    warned: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        """One line for the operator."""
        errors = ", ".join(f"{reason} {n}" for reason, n in sorted(self.errors.items()))
        return (
            f"feeds: {self.checked} checked ({self.unchanged} unchanged, {self.failed} failed"
            f"{': ' + errors if errors else ''}), {self.new_posts} new posts, {self.warned} owners warned"
        )


class Poller:
    """Fetches the feeds whose time has come and counts their new entries as posts."""

    def __init__(self, engine: Engine, policy: FetchPolicy, batch: int = BATCH) -> None:
        self.engine = engine
        self.store = engine.store
        self.policy = policy
        self.batch = batch

    async def round(self, now: datetime) -> Report:
        """Fetch every due feed once; return what happened."""
        report = Report()
        owners = await asyncio.to_thread(lambda: list(self.store.owner_ids()))
        async with Fetcher(self.policy) as fetcher:
            for start in range(0, len(owners), self.batch):
                due = await asyncio.to_thread(self._due, owners[start : start + self.batch], now)
                if not due:
                    continue
                outcomes = await asyncio.gather(*(self._fetch(fetcher, *item) for item in due))
                by_owner: dict[str, list[Outcome]] = defaultdict(list)
                for outcome in outcomes:
                    by_owner[outcome.owner_id].append(outcome)
                report.owners += len(by_owner)
                apply = partial(self._apply, outcomes=by_owner, now=now, report=report)
                await asyncio.to_thread(self.store.update_many, list(by_owner), apply)
        return report

    def _due(self, owner_ids: list[str], now: datetime) -> list[tuple[str, str, FeedState]]:
        """The feeds of these owners whose next fetch has come."""
        moment = now.astimezone(UTC).isoformat()
        found = []
        for owner_id in owner_ids:
            try:
                record = self.store.get(owner_id)
            except StoreError:
                log.exception("cannot read owner %s; their feeds wait", owner_id)
                continue
            if record is None or not record.active:
                continue
            found += [(owner_id, f.url, f) for f in record.feeds if f.next_at is None or f.next_at <= moment]
        return found

    async def _fetch(self, fetcher: Fetcher, owner_id: str, url: str, state: FeedState) -> Outcome:
        try:
            fetched = await fetcher.get(url, state.etag, state.last_modified)
        except FetchError as exc:
            return Outcome(owner_id, url, error=exc.reason, retry_after=exc.retry_after)
        except Exception:  # one odd server must not stop the round for everybody
            log.exception("feed %s of owner %s: unexpected failure", url, owner_id)
            return Outcome(owner_id, url, error="unreachable")
        if fetched.unchanged:
            return Outcome(owner_id, url, fetched)
        try:
            feed = await asyncio.to_thread(parse_feed, fetched.body, fetched.url, fetched.content_type)
        except NotAFeed:
            return Outcome(owner_id, url, error="broken")
        return Outcome(owner_id, url, fetched, feed)

    def _apply(
        self, record: OwnerRecord, outcomes: dict[str, list[Outcome]], now: datetime, report: Report
    ) -> bool:
        """Note each outcome in the owner's record; tell whether it changed (it always does)."""
        found_posts = 0
        for outcome in outcomes[record.owner_id]:
            state = next((f for f in record.feeds if f.url == outcome.url), None)
            if state is None:
                continue  # removed while it was being fetched
            report.checked += 1
            if outcome.error is not None:
                report.failed += 1
                report.errors[outcome.error] = report.errors.get(outcome.error, 0) + 1
                report.warned += self._failed(record, state, outcome, now)
                continue
            fetched = outcome.fetched
            assert fetched is not None
            state.failures, state.failing_since, state.last_error, state.warned = 0, None, None, False
            state.checked_at = now.astimezone(UTC).isoformat()
            state.next_at = schedule.after_success(state.url, now.astimezone(UTC)).isoformat()
            state.etag = fetched.etag or state.etag
            state.last_modified = fetched.last_modified or state.last_modified
            if outcome.feed is None:
                report.unchanged += 1
                continue
            found_posts += self._count(record, state, outcome.feed, now)
        report.new_posts += found_posts
        if found_posts:
            upcoming = rules.next_check(record, self.engine.flows, now)
            record.next_check_at = upcoming.astimezone(UTC).isoformat() if upcoming else None
        return True

    def _count(self, record: OwnerRecord, state: FeedState, feed: Feed, now: datetime) -> int:
        """Log the entries not seen before as posts; return how many were new posts."""
        added = datetime.fromisoformat(state.added_at) - ADDED_SLACK
        known = set(state.seen)
        new = [entry for entry in reversed(feed.entries) if entry.key not in known]
        counted = 0
        for entry in new:
            at = min(entry.published or now, now)
            if at < added:
                continue  # older than the feed's following: not news
            recognised = canonical_post(entry.link) if entry.link else None
            link = recognised[1] if recognised else entry.link
            counted += add_detected(record, state.network, at, link, FEED)
        state.remember([entry.key for entry in new])
        return counted

    def _failed(self, record: OwnerRecord, state: FeedState, outcome: Outcome, now: datetime) -> int:
        """Note a failure; after a week of them, queue one message to the owner. Return 1 if so."""
        state.failures += 1
        state.failing_since = state.failing_since or now.astimezone(UTC).isoformat()
        state.last_error = outcome.error
        state.next_at = schedule.after_failure(
            state.url, now.astimezone(UTC), state.failures, outcome.retry_after
        ).isoformat()
        since = datetime.fromisoformat(state.failing_since)
        prefs = Prefs.of(record.prefs, record.language)
        if state.warned or now - since < schedule.WARN_AFTER or prefs.in_quiet_hours(now):
            return 0
        state.warned = True
        t = self.engine.translators[record.language]
        number = record.feeds.index(state) + 1
        reason = error_text(state.last_error or "unreachable", state.url, self.policy, t)
        text = t.tr("feeds.failing", title=state.title, reason=reason, n=t.number(number))
        entry_id = f"{record.owner_id}|feeds|{state.url}|{state.failing_since}"
        at = now.astimezone(UTC).isoformat()
        record.outbox.append(outbox.new_entry(entry_id, "feeds", at, [Reply(text)]))
        return 1


async def poll_forever(app: App, interval: float = INTERVAL) -> None:
    """Run a round every `interval` seconds until cancelled; a failed round is logged and retried."""
    poller = Poller(app.engine, app.engine.feeds.policy)
    while True:
        try:
            report = await poller.round(app.clock.now())
            if report.checked:
                log.info("%s", report.line())
        except Exception:
            log.exception("feed round failed; trying again next round")
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def background(app: App, interval: float = INTERVAL) -> AsyncIterator[None]:
    """Poll the feeds in the background while the body runs (a channel's or the nudges' process)."""
    task = asyncio.create_task(poll_forever(app, interval), name="feeds")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def run_feeds(app: App, once: bool, interval: float = INTERVAL, out: TextIO | None = None) -> int:
    """`coach feeds [--once]`: one round (for cron), or rounds until interrupted."""

    async def loop() -> None:
        poller = Poller(app.engine, app.engine.feeds.policy)
        while True:
            report = await poller.round(app.clock.now())
            print(report.line(), file=out or sys.stdout, flush=True)
            if once:
                return
            await asyncio.sleep(interval)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(loop())
    return 0
