"""Finding an owner's feed from what they type, fetching it within limits, and never a private address."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.feeds.discover import Found, NoFeed, find_feed, known_forms, network_of
from bot.feeds.fetch import Fetcher, FetchError, FetchPolicy
from bot.feeds.guard import is_public
from bot.feeds.parse import NotAFeed, parse_feed
from tests.fakes.feed_server import FeedServer, sample

LOCAL = FetchPolicy(allow_private=True, timeout=2.0)


@pytest.fixture
def web() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def find(address: str, policy: FetchPolicy = LOCAL, dns: AbstractResolver | None = None) -> Found:
    async def main() -> Found:
        async with Fetcher(policy, dns) as fetcher:
            return await find_feed(fetcher, address)

    return asyncio.run(main())


def failure(address: str, policy: FetchPolicy = LOCAL, dns: AbstractResolver | None = None) -> str:
    with pytest.raises(NoFeed) as caught:
        find(address, policy, dns)
    return caught.value.reason


# --- each kind of feed an owner may have ------------------------------------------------------


def test_a_wordpress_blog_is_found_from_its_home_page(web: FeedServer) -> None:
    web.put_sample("/", "page.html")
    web.put_sample("/feed/", "wordpress.xml")
    found = find(web.url("/"))
    assert found.url == web.url("/feed/")
    assert found.network == "blog"
    assert found.feed.title == "Boulangerie Dupain"
    latest = found.feed.latest
    assert latest is not None and latest.title == "Notre galette des rois arrive – réservez la vôtre"
    assert latest.published is not None and latest.published.isoformat() == "2026-11-20T07:12:45+00:00"


def test_the_feed_address_itself_is_taken_as_it_is(web: FeedServer) -> None:
    web.put_sample("/feed/", "wordpress.xml")
    assert find(web.url("/feed/")).url == web.url("/feed/")


def test_a_site_without_alternate_link_is_found_at_a_common_path(web: FeedServer) -> None:
    web.put("/", "<!doctype html><html><head><title>Studio</title></head><body>Hi</body></html>")
    web.put_sample("/feed.json", "feed.json")
    found = find(web.url("/"))
    assert found.url == web.url("/feed.json")
    assert found.feed.latest is not None and found.feed.latest.title == "Refonte du logo d'une épicerie fine"


def test_a_mastodon_profile_gives_its_rss(web: FeedServer) -> None:
    web.put("/@atelierlumen", "<html><body>profile</body></html>", "text/html")
    web.put_sample("/@atelierlumen.rss", "mastodon.rss")
    found = find(web.url("/@atelierlumen"))
    assert found.url == web.url("/@atelierlumen.rss")
    assert found.network == "mastodon"
    latest = found.feed.latest
    assert latest is not None
    assert latest.title.startswith("Nouvelle série de lampes en céramique"), (
        "a post without title shows its text"
    )
    assert "#artisanat" in latest.title
    assert web.count("/@atelierlumen", 200) == 0, "the known form is tried before the page"


def test_youtube_atom_and_bluesky_rss_and_json_feed_read(web: FeedServer) -> None:
    web.put_sample("/feeds/videos.xml", "youtube.xml")
    web.put_sample("/profile/fleurs-rose/rss", "bluesky.rss")
    web.put_sample("/feed.json", "feed.json")
    youtube = find(web.url("/feeds/videos.xml")).feed
    assert youtube.title == "Garage Martin"
    assert youtube.latest is not None and youtube.latest.link == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    bluesky = find(web.url("/profile/fleurs-rose/rss")).feed
    assert bluesky.latest is not None and bluesky.latest.title.startswith("Les premières anémones")
    assert [e.published.day for e in bluesky.entries if e.published] == [22, 15]
    json_feed = find(web.url("/feed.json")).feed
    assert json_feed.title == "Le carnet de Studio Pixel"
    assert [e.title for e in json_feed.entries] == [
        "Refonte du logo d'une épicerie fine",
        "Choisir ses couleurs de marque",
    ]


def test_each_network_profile_points_to_its_known_feed_form() -> None:
    assert known_forms("https://www.youtube.com/channel/UCx1b2C3d4E5f6G7h8I9j0kL") == [
        "https://www.youtube.com/feeds/videos.xml?channel_id=UCx1b2C3d4E5f6G7h8I9j0kL"
    ]
    assert known_forms("https://bsky.app/profile/fleurs-rose.bsky.social") == [
        "https://bsky.app/profile/fleurs-rose.bsky.social/rss"
    ]
    assert known_forms("https://mastodon.social/@atelierlumen/") == [
        "https://mastodon.social/@atelierlumen.rss"
    ]
    assert known_forms("https://www.pinterest.fr/fleursrose/") == [
        "https://www.pinterest.fr/fleursrose/feed.rss"
    ]
    assert known_forms("https://www.youtube.com/@garagemartin") == [], "a handle's page names its feed"
    assert network_of("https://www.youtube.com/feeds/videos.xml?channel_id=UC1") == "youtube"
    assert network_of("https://bsky.app/profile/x.bsky.social/rss") == "bluesky"
    assert network_of("https://www.pinterest.com/fleursrose/feed.rss") == "pinterest"
    assert network_of("https://piaille.fr/@ana.rss") == "mastodon"
    assert network_of("https://boulangerie.example/feed/") == "blog"


# --- what goes wrong ------------------------------------------------------------------------------


def test_a_broken_feed_is_reported_as_broken(web: FeedServer) -> None:
    web.put_sample("/feed/", "broken.xml")
    assert failure(web.url("/feed/")) == "broken"
    with pytest.raises(NotAFeed):
        parse_feed(sample("broken.xml"), "https://example.org/feed/")


def test_a_page_without_any_feed_says_so(web: FeedServer) -> None:
    web.put("/", "<html><head><title>Shop</title></head><body>no feed</body></html>", "text/html")
    assert failure(web.url("/")) == "no_feed"


def test_a_missing_page_and_a_server_error(web: FeedServer) -> None:
    assert failure(web.url("/nothing-here")) == "not_found"
    web.fail("/down", 500)
    assert failure(web.url("/down")) == "http_error"


def test_an_oversized_feed_stops_at_the_cap(web: FeedServer) -> None:
    item = b"<item><title>x</title><link>https://e.example/x</link></item>"
    web.put("/feed/", b"<rss version='2.0'><channel><title>Big</title>" + item * 40_000 + b"</channel></rss>")
    assert len(web.pages["/feed/"].body) > 2 * 1024 * 1024
    assert failure(web.url("/feed/")) == "too_big"


def test_an_oversized_body_without_length_stops_while_reading(web: FeedServer) -> None:
    async def main() -> str:
        async with Fetcher(FetchPolicy(allow_private=True, max_bytes=1000)) as fetcher:
            with pytest.raises(FetchError) as caught:
                await fetcher.get(web.url("/feed/"))
            return caught.value.reason

    web.put_sample("/feed/", "wordpress.xml")
    assert asyncio.run(main()) == "too_big"


def test_a_slow_site_times_out(web: FeedServer) -> None:
    web.hang("/feed/")
    assert failure(web.url("/feed/"), FetchPolicy(allow_private=True, timeout=0.3)) == "timeout"


def test_too_many_redirects_stop(web: FeedServer) -> None:
    for n in range(5):
        web.redirect(f"/r{n}", web.url(f"/r{n + 1}"))
    web.put_sample("/r5", "wordpress.xml")
    assert failure(web.url("/r0")) == "redirects"
    web.redirect("/once", web.url("/r5"), status=301)
    assert find(web.url("/once")).url == web.url("/r5"), "a few redirects are followed"


def test_nothing_but_http_and_https() -> None:
    assert failure("file:///etc/passwd") == "blocked"
    assert failure("ftp://example.org/feed") == "blocked"


# --- the address guard ------------------------------------------------------------------------------


class FakeDNS(AbstractResolver):
    """Names of the test, resolved to the addresses the test says."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in self.names:
            raise OSError(f"unknown name {host}")
        return [
            {
                "hostname": host,
                "host": self.names[host],
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        pass


def test_a_redirect_to_a_private_address_is_refused(web: FeedServer) -> None:
    # shop.test stands for a public site (trusted by the test); it redirects to the machine itself.
    guarded = FetchPolicy(allow_private=False, trusted_hosts=frozenset({"shop.test"}), timeout=2.0)
    dns = FakeDNS({"shop.test": "127.0.0.1", "intranet.test": "127.0.0.1"})
    web.put_sample("/feed/", "wordpress.xml")
    web.redirect("/to-loopback", web.url("/feed/"))
    web.redirect("/to-intranet", web.url("/feed/", host="intranet.test"))
    web.redirect("/to-public", web.url("/feed/", host="shop.test"))
    public = f"http://shop.test:{web.port}"
    assert find(public + "/to-public", guarded, dns).url == f"{public}/feed/", (
        "the trusted site itself is read"
    )
    assert failure(public + "/to-loopback", guarded, dns) == "blocked"
    assert failure(public + "/to-intranet", guarded, dns) == "blocked", "checked after DNS resolution"
    assert web.count("/feed/", 200) == 1, "the private address was never fetched"


def test_private_addresses_are_refused_unless_allowed(web: FeedServer) -> None:
    web.put_sample("/feed/", "wordpress.xml")
    safe = FetchPolicy(timeout=2.0)
    assert failure(web.url("/feed/"), safe) == "blocked"
    assert failure(f"http://localhost:{web.port}/feed/", safe) == "blocked"
    assert failure("http://169.254.169.254/latest/meta-data/", safe) == "blocked"
    assert failure(f"http://[::1]:{web.port}/feed/", safe) == "blocked"
    assert web.count("/feed/", 200) == 0
    assert find(web.url("/feed/")).url == web.url("/feed/"), "COACH_FEEDS_ALLOW_PRIVATE=1 lifts it"


def test_which_addresses_are_public() -> None:
    for private in (
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "224.0.0.1",
    ):
        assert not is_public(private), private
    for public in ("93.184.215.14", "2606:4700:4700::1111", "1.1.1.1"):
        assert is_public(public), public


# --- conditional requests ----------------------------------------------------------------------------


def test_an_unchanged_feed_costs_a_304(web: FeedServer) -> None:
    url = web.put_sample("/feed/", "wordpress.xml")

    async def main() -> tuple[int, int]:
        async with Fetcher(LOCAL) as fetcher:
            first = await fetcher.get(url)
            again = await fetcher.get(url, first.etag, first.last_modified)
            return first.status, again.status

    assert asyncio.run(main()) == (200, 304)
    assert (web.count("/feed/", 200), web.count("/feed/", 304)) == (1, 1)
