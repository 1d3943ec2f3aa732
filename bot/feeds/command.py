"""`/feeds`: the owner's feeds listed, one added from an address, one removed by its number.

Adding fetches the address right away (the engine handles each event in a worker thread with no
event loop, so `asyncio.run` is safe there) and answers with the feed's title and its latest
entry, or with why nothing could be read, in the owner's language. The entries already in the
feed are noted as seen: only those published from now on count as posts.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.answers import sanitise_text
from bot.feeds import schedule
from bot.feeds.discover import Found, NoFeed, find_within
from bot.feeds.fetch import Fetcher, FetchPolicy
from bot.feeds.state import FeedState
from bot.flows import Flows
from bot.i18n import Translator
from bot.nudges.prefs import Prefs
from bot.store.base import OwnerRecord, Post

MAX_FEEDS = 10
BUDGET = 25.0
"""Seconds an owner may wait for a feed to be found (each fetch has its own 10 s limit too)."""
REMOVE_WORDS = {"remove", "delete", "rm", "retirer", "supprimer", "enlever"}
EXTRA_NETWORKS = ("blog", "mastodon", "bluesky", "threads")
"""Networks posts may count for that the plan's list may lack; each has a `feeds.network.*` text."""
OFFER = "feeds.offer"
"""The one-line offer shown after the plan's networks step."""
KEYS = (
    "feeds.added",
    "feeds.added_empty",
    "feeds.already",
    "feeds.bad_number",
    "feeds.error.blocked",
    "feeds.error.broken",
    "feeds.error.http_error",
    "feeds.error.no_feed",
    "feeds.error.not_found",
    "feeds.error.redirects",
    "feeds.error.timeout",
    "feeds.error.too_big",
    "feeds.error.unreachable",
    "feeds.failing",
    "feeds.list.failing",
    "feeds.list.hint",
    "feeds.list.line",
    "feeds.list.none",
    "feeds.list.title",
    "feeds.matched.feed",
    "feeds.matched.link",
    "feeds.network.blog",
    "feeds.network.bluesky",
    "feeds.network.mastodon",
    "feeds.network.threads",
    OFFER,
    "feeds.pasted",
    "feeds.pasted_again",
    "feeds.removed",
    "feeds.too_many",
    "feeds.usage_remove",
)
"""Every text of the feeds, for the catalog template (`bot.catalog`)."""


def network_name(flows: Flows, network: str | None, t: Translator) -> str:
    """A network's name in the owner's language: the plan's label, or the feeds' own."""
    if network is None:
        return ""
    step = flows.plan_step("networks")
    choice = step.choice(network) if step else None
    if choice is not None:
        return t.tr(choice.label)
    return t.tr("feeds.network." + network) if network in EXTRA_NETWORKS else network


def counted_already(post: Post, flows: Flows, t: Translator) -> str:
    """The answer to a `/posted` for a post a feed or a link had counted already."""
    key = "feeds.matched.feed" if post.origin == "feed" else "feeds.matched.link"
    return t.tr(key, network=network_name(flows, post.network, t))


def local_date(record: OwnerRecord, moment: datetime, t: Translator) -> str:
    """A moment as a date in words, in the owner's time zone."""
    return t.date(Prefs.of(record.prefs, record.language).local(moment).date())


def error_text(reason: str, address: str, policy: FetchPolicy, t: Translator) -> str:
    """Why a feed could not be read, in the owner's language."""
    key = "feeds.error." + reason
    if not t.has(key):
        key = "feeds.error.unreachable"
    return t.tr(
        key,
        address=address,
        seconds=t.number(policy.timeout),
        size=t.number(round(policy.max_bytes / 1024 / 1024, 1)),
    )


class FeedCommands:
    """What `/feeds` needs from outside the record: how to fetch (the policy set at start-up)."""

    def __init__(self, policy: FetchPolicy | None = None, budget: float = BUDGET) -> None:
        self.policy = policy or FetchPolicy()
        self.budget = budget

    def find(self, address: str) -> Found:
        """Find the feed behind `address`, blocking (called from the engine's worker thread)."""

        async def run() -> Found:
            async with Fetcher(self.policy) as fetcher:
                return await find_within(fetcher, address, self.budget)

        return asyncio.run(run())

    def run(self, record: OwnerRecord, args: str, flows: Flows, t: Translator, now: datetime) -> str:
        """Answer `/feeds [address | remove N]`."""
        words = args.split()
        if not words:
            return self.listing(record, flows, t)
        if words[0].casefold() in REMOVE_WORDS:
            return self.remove(record, words[1:], t)
        return self.add(record, words[0], flows, t, now)

    def listing(self, record: OwnerRecord, flows: Flows, t: Translator) -> str:
        """The owner's feeds, numbered, with the ones failing flagged."""
        if not record.feeds:
            return t.tr("feeds.list.none")
        lines = [t.tr("feeds.list.title")]
        for number, feed in enumerate(record.feeds, 1):
            name = network_name(flows, feed.network, t)
            lines.append(
                t.tr("feeds.list.line", n=t.number(number), title=feed.title, network=name, url=feed.url)
            )
            if feed.failing_since and feed.last_error:
                since = local_date(record, datetime.fromisoformat(feed.failing_since), t)
                reason = error_text(feed.last_error, feed.url, self.policy, t)
                lines.append(t.tr("feeds.list.failing", date=since, reason=reason))
        return "\n".join([*lines, "", t.tr("feeds.list.hint")])

    def add(self, record: OwnerRecord, address: str, flows: Flows, t: Translator, now: datetime) -> str:
        """Find the feed behind `address` and follow it."""
        if len(record.feeds) >= MAX_FEEDS:
            return t.tr("feeds.too_many", count=t.number(MAX_FEEDS))
        shown = sanitise_text(address)[:200]
        try:
            found = self.find(address)
        except NoFeed as exc:
            return error_text(exc.reason, shown, self.policy, t)
        for number, feed in enumerate(record.feeds, 1):
            if feed.url == found.url:
                return t.tr("feeds.already", n=t.number(number))
        stamp = now.astimezone(UTC)
        state = FeedState(
            found.url,
            found.network,
            found.feed.title or shown,
            stamp.isoformat(),
            etag=found.etag,
            last_modified=found.last_modified,
            next_at=schedule.after_success(found.url, stamp).isoformat(),
            checked_at=stamp.isoformat(),
        )
        state.remember([entry.key for entry in reversed(found.feed.entries)])
        record.feeds.append(state)
        network = network_name(flows, found.network, t)
        latest = found.feed.latest
        if latest is None:
            return t.tr("feeds.added_empty", title=state.title, network=network)
        day = local_date(record, latest.published, t) if latest.published else "…"
        return t.tr("feeds.added", title=state.title, network=network, entry=latest.title or "…", date=day)

    def remove(self, record: OwnerRecord, words: list[str], t: Translator) -> str:
        """Stop following the feed numbered as in the list."""
        if len(words) != 1 or not words[0].isdigit():
            return t.tr("feeds.usage_remove")
        number = int(words[0])
        if not 1 <= number <= len(record.feeds):
            return t.tr("feeds.bad_number", n=words[0][:6])
        removed = record.feeds.pop(number - 1)
        return t.tr("feeds.removed", title=removed.title)
