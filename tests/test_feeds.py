"""An owner's posts counted by themselves: feeds followed with /feeds, polled, and links pasted."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.commands import COMMANDS
from bot.config import Settings
from bot.feeds.polling import Poller, Report
from bot.nudges.runner import NudgeRunner
from bot.outbox import Outbox
from bot.store.memory import MemoryStore
from bot.store.tinydb import TinyDBStore
from tests.fakes.chat import OwnerChat
from tests.fakes.feed_server import FeedServer, wordpress_with
from tests.fakes.journeys import LOCAL_BAKERY, walk
from tests.fakes.processes import run_coach

PARIS = ZoneInfo("Europe/Paris")
# Monday 23 November 2026, 11:00 in Paris: the bakery finishes its plan.
FINISHED = datetime(2026, 11, 23, 11, 0, tzinfo=PARIS)
BLOG = "https://boulangerie-dupain.example"


@pytest.fixture
def web() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def local_app(tmp_path: Path, clock: FixedClock) -> Iterator[App]:
    """The coach allowed to fetch the fake web on 127.0.0.1 (COACH_FEEDS_ALLOW_PRIVATE=1)."""
    built = build_app(
        Settings(data_dir=tmp_path / "data", feeds_allow_private=True), store=MemoryStore(), clock=clock
    )
    yield built
    built.close()


def finished(app: App, clock: FixedClock, language: str = "fr", owner: str = "test:ana") -> OwnerChat:
    clock.set(FINISHED.astimezone(UTC))
    chat = OwnerChat(app.engine, clock, owner, language=language)
    chat.say("/start")
    walk(chat, {**LOCAL_BAKERY, "language": language})
    return chat


def poll(app: App, at: datetime) -> Report:
    return asyncio.run(Poller(app.engine, app.engine.feeds.policy).round(at))


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=PARIS)


def blog(web: FeedServer, *posts: tuple[str, str, datetime]) -> str:
    web.put_sample("/", "page.html")
    return web.put("/feed/", wordpress_with(*posts))


# --- /feeds ------------------------------------------------------------------------------------


def test_an_owner_adds_their_blog_and_the_coach_confirms_with_its_latest_post(
    local_app: App, clock: FixedClock, web: FeedServer
) -> None:
    ana = finished(local_app, clock)
    blog(web)
    ana.say("/feeds " + web.url("/"))
    assert "Boulangerie Dupain" in ana.text
    assert "« Notre galette des rois arrive – réservez la vôtre », le 20 novembre 2026" in ana.text
    ana.say("/feeds")
    assert "1. Boulangerie Dupain (site ou blog)" in ana.text
    assert web.url("/feed/") in ana.text
    ana.say("/feeds " + web.url("/feed/"))
    assert "déjà" in ana.text and "n° 1" in ana.text, "the same feed is not followed twice"
    ana.say("/feeds remove 1")
    assert "je ne suis plus « Boulangerie Dupain »" in ana.text
    assert ana.record().feeds == []
    ana.say("/feeds remove 3")
    assert "pas de flux n° 3" in ana.text


def test_english_owner_adds_a_youtube_channel_during_the_plan(
    local_app: App, clock: FixedClock, web: FeedServer
) -> None:
    bob = OwnerChat(local_app.engine, clock, "test:bob", language="en")
    bob.say("/start")
    asked = bob.step
    web.put_sample("/feeds/videos.xml", "youtube.xml")
    bob.say("/feeds " + web.url("/feeds/videos.xml"))
    assert "“Changer ses plaquettes de frein en 10 minutes”, on 19 November 2026" in bob.text
    assert bob.step == asked, "the question waiting is asked again"


def test_what_goes_wrong_is_told_in_the_owners_language(
    local_app: App, app: App, clock: FixedClock, web: FeedServer
) -> None:
    ana = finished(local_app, clock)
    web.put("/", "<html><head><title>Sans flux</title></head><body></body></html>", "text/html")
    ana.say("/feeds " + web.url("/"))
    assert "Je n'ai trouvé aucun flux" in ana.text
    web.put_sample("/broken/", "broken.xml")
    ana.say("/feeds " + web.url("/broken/"))
    assert "illisible" in ana.text and "mal formé" in ana.text
    web.put("/big.xml", b"<rss>" + b" " * (2 * 1024 * 1024 + 1) + b"</rss>")
    ana.say("/feeds " + web.url("/big.xml"))
    assert "trop lourd" in ana.text and "2 Mo" in ana.text
    ana.say("/feeds " + web.url("/missing"))
    assert "n'existe pas" in ana.text
    # The coach as deployed (private addresses refused): the fake web is on 127.0.0.1.
    bob = finished(app, clock, language="en", owner="test:bob")
    bob.say("/feeds " + web.url("/"))
    assert "only public web addresses (http or https)" in bob.text
    bob.say("/feeds file:///etc/passwd")
    assert "only public web addresses" in bob.text
    assert local_app.engine.feeds.policy.allow_private and not app.engine.feeds.policy.allow_private


def test_a_slow_site_gets_a_kind_answer(local_app: App, clock: FixedClock, web: FeedServer) -> None:
    from bot.feeds.fetch import FetchPolicy

    local_app.engine.feeds.policy = FetchPolicy(allow_private=True, timeout=0.3)
    ana = finished(local_app, clock)
    ana.say("/feeds " + web.hang("/slow/feed"))
    assert "n'a pas répondu à temps (0,3 secondes)" in ana.text


def test_feeds_is_a_command_on_every_channel_and_in_help(ana: OwnerChat, bob: OwnerChat) -> None:
    assert "feeds" in COMMANDS  # the Telegram menus and Slack's `/coach feeds` come from this list
    ana.say("/start")
    ana.say("/help")
    assert "/feeds — vos flux" in ana.text
    bob.say("/start")
    bob.say("/help")
    assert "/feeds — your feeds" in bob.text
    manifest = (Path(__file__).resolve().parent.parent / "manifest.yml").read_text()
    assert "feeds" in manifest.split("usage_hint:", 1)[1].splitlines()[0]


def test_the_feeds_are_offered_when_the_networks_are_chosen(ana: OwnerChat, bob: OwnerChat) -> None:
    for chat, offer in (
        (ana, "Envoyez /feeds suivi de l'adresse"),
        (bob, "Send /feeds followed by the address"),
    ):
        chat.say("/start")
        shown = []
        while chat.step and chat.step != "plan_networks":
            walk_one(chat)
        chat.tap("facebook", "instagram")
        shown.append(chat.text)
        assert offer in shown[0]


def walk_one(chat: OwnerChat) -> None:
    step = chat.step
    value = chat.language if step == "language" else LOCAL_BAKERY[step]
    if chat.question.choices:
        chat.tap(*(value if isinstance(value, list) else [value]))
    else:
        chat.say(str(value))


# --- polling ---------------------------------------------------------------------------------------


def test_a_new_post_on_the_blog_is_counted_once(local_app: App, clock: FixedClock, web: FeedServer) -> None:
    ana = finished(local_app, clock)
    blog(web)
    ana.say("/feeds " + web.url("/"))
    assert poll(local_app, local(23, 11, 10)).checked == 0, "not again within 30 minutes"
    assert web.count("/feed/", 200) == 1

    report = poll(local_app, local(23, 11, 50))
    assert (report.checked, report.unchanged, report.new_posts) == (1, 1, 0)
    assert web.count("/feed/", 304) == 1, "an unchanged feed costs a 304"

    published = local(23, 12, 30)
    blog(web, ("Pain de Noël", f"{BLOG}/2026/11/23/pain-de-noel/", published))
    report = poll(local_app, local(23, 13, 0))
    assert (report.checked, report.new_posts) == (1, 1)
    (post,) = ana.record().posts
    assert (post.network, post.origin, post.moment) == ("blog", "feed", published)
    assert post.link == f"{BLOG}/2026/11/23/pain-de-noel/"

    assert poll(local_app, local(23, 14, 0)).new_posts == 0, "seen entries are not counted again"
    clock.set(local(23, 14, 5).astimezone(UTC))
    ana.say("/progress")
    assert "Publications\xa0: 1 sur 3 prévues" in ana.text


def test_every_kind_of_feed_counts_for_its_network(
    local_app: App, clock: FixedClock, web: FeedServer
) -> None:
    ana = finished(local_app, clock)
    for path, sample_name in (
        ("/@atelierlumen.rss", "mastodon.rss"),
        ("/profile/fleurs-rose/rss", "bluesky.rss"),
        ("/feed.json", "feed.json"),
        ("/feeds/videos.xml", "youtube.xml"),
    ):
        web.put_sample(path, sample_name)
        ana.say("/feeds " + web.url(path))
    assert len(ana.record().feeds) == 4
    # Each feed gets one new entry: the sample's newest, re-dated after the feeds were added.
    for path in ("/@atelierlumen.rss", "/profile/fleurs-rose/rss", "/feeds/videos.xml"):
        body = web.pages[path].body
        web.put(
            path,
            body.replace(b"2026-11-19T17:00:06", b"2026-11-23T12:00:00")
            .replace(b"Sat, 21 Nov 2026 18:04:11", b"Mon, 23 Nov 2026 12:00:00")
            .replace(b"22 Nov 2026 09:41:00", b"23 Nov 2026 12:00:00")
            .replace(b"113529410012345678", b"113540000000000001")
            .replace(b"3lbq2k4xg2c2a", b"3lbz9zzzzzzzz")
            .replace(b"dQw4w9WgXcQ", b"NEWvideo123"),
        )
    report = poll(local_app, local(23, 14, 0))
    assert report.new_posts == 3
    posts = {p.network: p.link for p in ana.record().posts}
    assert posts == {
        "mastodon": "https://mastodon.example/@atelierlumen/113540000000000001",
        "bluesky": "https://bsky.app/profile/did:plc:abc123xyz456/post/3lbz9zzzzzzzz",
        "youtube": "https://www.youtube.com/watch?v=NEWvideo123",
    }


def test_a_failing_feed_backs_off_and_earns_one_message_after_a_week(
    local_app: App, clock: FixedClock, web: FeedServer
) -> None:
    ana = finished(local_app, clock)
    blog(web)
    ana.say("/feeds " + web.url("/feed/"))
    web.fail("/feed/", 503)
    moments, at = [], local(23, 11, 40)
    for _ in range(40):
        report = poll(local_app, at)
        if report.checked:
            moments.append(at)
        at += timedelta(minutes=30)
    gaps = [b - a for a, b in itertools.pairwise(moments)]
    assert gaps[0] >= timedelta(hours=1) and gaps[-1] > gaps[0], "each failure waits longer"
    assert max(gaps) <= timedelta(hours=13)
    assert ana.record().outbox == [], "no message before a week"

    warned = [
        poll(local_app, local(23, 11, 40) + timedelta(days=d, hours=h)).warned
        for d in range(6, 9)
        for h in (0, 12)
    ]
    assert sum(warned) == 1, "one message for the failing spell"
    (entry,) = ana.record().outbox
    assert "Votre flux « Boulangerie Dupain » est illisible depuis une semaine" in entry.replies[0].text
    assert "/feeds remove 1" in entry.replies[0].text
    ana.say("/feeds")
    assert "Illisible depuis le 23 novembre 2026" in ana.text

    blog(web)  # the site is back
    poll(local_app, local(23, 11, 40) + timedelta(days=10))
    feed = ana.record().feeds[0]
    assert (feed.failures, feed.failing_since, feed.warned) == (0, None, False)


# --- never counted twice -------------------------------------------------------------------------


def test_a_posted_and_the_feed_entry_for_the_same_post_count_once(
    local_app: App, clock: FixedClock, web: FeedServer
) -> None:
    ana = finished(local_app, clock)
    blog(web)
    ana.say("/feeds " + web.url("/feed/"))
    clock.set(local(24, 9, 5).astimezone(UTC))
    ana.say("/posted")  # typed first, right after publishing
    blog(web, ("Brioche du dimanche", f"{BLOG}/brioche/", local(24, 9, 0)))
    poll(local_app, local(24, 10, 0))
    (post,) = ana.record().posts
    assert (post.origin, post.link, post.confirmed) == ("feed", f"{BLOG}/brioche/", True)

    # The feed first, then /posted: still one post.
    blog(
        web,
        ("Fougasse", f"{BLOG}/fougasse/", local(25, 9, 0)),
        ("Brioche du dimanche", f"{BLOG}/brioche/", local(24, 9, 0)),
    )
    poll(local_app, local(25, 10, 0))
    clock.set(local(25, 10, 30).astimezone(UTC))
    ana.say("/posted")
    assert len(ana.record().posts) == 2
    assert "déjà comptée : je l'avais trouvée dans votre flux (site ou blog)" in ana.text

    # Two posts in a day, each typed and each in the feed: two posts.
    clock.set(local(26, 8, 0).astimezone(UTC))
    ana.say("/posted")
    clock.set(local(26, 16, 0).astimezone(UTC))
    ana.say("/posted")
    blog(
        web,
        ("Chouquettes", f"{BLOG}/chouquettes/", local(26, 15, 55)),
        ("Croissants", f"{BLOG}/croissants/", local(26, 7, 55)),
        ("Fougasse", f"{BLOG}/fougasse/", local(25, 9, 0)),
    )
    poll(local_app, local(26, 17, 0))
    posts = ana.record().posts
    assert len(posts) == 4
    assert [p.moment for p in posts] == sorted(p.moment for p in posts), "kept in date order"


def test_a_pasted_link_to_a_post_is_logged_once(local_app: App, clock: FixedClock) -> None:
    ana = finished(local_app, clock)
    clock.set(local(24, 18, 0).astimezone(UTC))
    ana.say("Voilà mon post : https://www.instagram.com/p/DBx3kLmN4pQ/?igsh=MWQ1ZGUxMzBkMA==")
    assert "une publication Instagram de plus" in ana.text
    assert "Publications\xa0: 1 sur 3 prévues" in ana.text
    ana.say("https://instagram.com/reel/DBx3kLmN4pQ")
    assert "déjà compté" in ana.text and "24 novembre 2026" in ana.text
    ana.say("/posted instagram")  # the same post, typed as well
    assert "déjà comptée, grâce au lien" in ana.text
    (post,) = ana.record().posts
    assert (post.network, post.origin, post.link) == (
        "instagram",
        "link",
        "https://www.instagram.com/p/DBx3kLmN4pQ/",
    )
    ana.say("merci !")
    assert ana.text.startswith("Avec plaisir"), "other words after the plan are not links"
    assert ana.record().posts == [post]


def test_a_link_is_an_answer_while_the_plan_is_being_built(local_app: App, clock: FixedClock) -> None:
    ana = OwnerChat(local_app.engine, clock, "test:ana", language="fr")
    ana.say("/start")
    ana.tap("fr")
    assert ana.step == "business_name"
    ana.say("https://www.instagram.com/p/DBx3kLmN4pQ/")
    assert ana.record().posts == [], "inside a question, the link is the answer"


def test_the_export_lists_each_detected_post_with_its_link_and_origin(
    local_app: App, clock: FixedClock, web: FeedServer
) -> None:
    ana = finished(local_app, clock)
    blog(web)
    ana.say("/feeds " + web.url("/feed/"))
    blog(web, ("Pain de Noël", f"{BLOG}/pain-de-noel/", local(23, 12, 30)))
    poll(local_app, local(23, 13, 0))
    clock.set(local(23, 15, 0).astimezone(UTC))
    ana.say("https://youtu.be/dQw4w9WgXcQ")
    ana.say("/export")
    document = json.loads(ana.last[0].attachment.content)
    posts = document["owner"]["posts"]
    assert [(p["network"], p["origin"], p["link"]) for p in posts] == [
        ("blog", "feed", f"{BLOG}/pain-de-noel/"),
        ("youtube", "link", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
    ]
    assert document["owner"]["feeds"][0]["url"] == web.url("/feed/")


# --- the story -------------------------------------------------------------------------------------


def test_the_owner_publishes_on_their_blog_and_the_cadence_reminder_does_not_come(
    local_app: App, clock: FixedClock, web: FeedServer
) -> None:
    ana = finished(local_app, clock)
    blog(web)
    ana.say("/feeds " + web.url("/"))
    runner = NudgeRunner(local_app.engine)
    # Three posts a week: with nothing posted, the cadence reminder is due on Thursday at 19:30.
    due = local(26, 19, 30)
    assert [c.kind for c in runner.sweep(due, dry_run=True)] == ["cadence"]

    # Thursday morning Ana publishes on her blog and types nothing.
    blog(web, ("Galettes : ouverture des réservations", f"{BLOG}/galettes/", local(26, 9, 12)))
    poll(local_app, local(26, 9, 40))
    assert [c.kind for c in runner.sweep(due)] == [], "the reminder that was due does not come"
    assert ana.record().outbox == []
    clock.set(due.astimezone(UTC))
    ana.say("/progress")
    assert "Publications\xa0: 1 sur 3 prévues" in ana.text


def test_the_round_runs_from_the_command_line_for_cron(
    tmp_path: Path, web: FeedServer, clock: FixedClock
) -> None:
    data = tmp_path / "data"
    built = build_app(Settings(data_dir=data, feeds_allow_private=True), store=TinyDBStore(data), clock=clock)
    ana = finished(built, clock)
    blog(web)
    ana.say("/feeds " + web.url("/feed/"))
    built.close()
    blog(web, ("Pain de Noël", f"{BLOG}/pain-de-noel/", FINISHED + timedelta(hours=2)))
    # The real clock is past the feed's next fetch (the plan was finished on 23 November 2026).
    env = {"COACH_DATA_DIR": str(data), "COACH_FEEDS_ALLOW_PRIVATE": "1"}
    result = run_coach(["feeds", "--once"], env)
    assert result.returncode == 0, result.stderr
    assert "feeds: 1 checked (0 unchanged, 0 failed), 1 new posts" in result.stdout
    again = run_coach(["feeds", "--once"], env)
    assert "feeds: 0 checked" in again.stdout, "not again within 30 minutes"
    store = TinyDBStore(data)
    try:
        assert [p.link for p in store.get("test:ana").posts] == [f"{BLOG}/pain-de-noel/"]
    finally:
        store.close()


def test_a_post_link_forwarded_on_telegram_is_logged(settings: Settings, clock: FixedClock) -> None:
    from tests.test_telegram import journey, run

    tg_app = build_app(settings, clock=clock)
    owner = "telegram:77"

    async def scenario(fake) -> None:
        await journey(tg_app, fake, 77, LOCAL_BAKERY, "fr", typed=False)
        update = fake.text_update(77, "Mon dernier reel https://www.instagram.com/reel/DBx3kLmN4pQ/?igsh=abc")
        update["message"]["forward_origin"] = {"type": "hidden_user", "sender_user_name": "Ana", "date": 0}
        await fake._push(update)
        await fake.wait_for(lambda: any("Instagram de plus" in m.get("text", "") for m in fake.sent[77]))
        # A forwarded post with a picture: the link is in its caption, or behind a word.
        photo = fake.text_update(77, "")
        del photo["message"]["text"]
        photo["message"]["photo"] = [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]
        photo["message"]["caption"] = "Nouveau tuto https://youtu.be/dQw4w9WgXcQ"
        photo["message"]["forward_origin"] = {"type": "hidden_user", "sender_user_name": "Ana", "date": 0}
        await fake._push(photo)
        hidden = fake.text_update(77, "Notre vidéo de la semaine")
        hidden["message"]["entities"] = [
            {
                "type": "text_link",
                "offset": 6,
                "length": 5,
                "url": "https://www.tiktok.com/@dupain/video/7441234567890123456",
            }
        ]
        hidden["message"]["forward_origin"] = {"type": "hidden_user", "sender_user_name": "Ana", "date": 0}
        await fake._push(hidden)
        await fake.wait_for(lambda: len(tg_app.store.get(owner).posts) == 3)

    try:
        run(tg_app, scenario)
        posts = tg_app.store.get(owner).posts
        assert [(p.network, p.origin, p.link) for p in posts] == [
            ("instagram", "link", "https://www.instagram.com/p/DBx3kLmN4pQ/"),
            ("youtube", "link", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
            ("tiktok", "link", "https://www.tiktok.com/@dupain/video/7441234567890123456"),
        ]
    finally:
        tg_app.close()


def test_the_process_that_sends_reminders_polls_the_feeds(
    local_app: App, clock: FixedClock, web: FeedServer
) -> None:
    from bot.nudges.loop import deliver_forever

    ana = finished(local_app, clock)
    blog(web)
    ana.say("/feeds " + web.url("/feed/"))
    blog(web, ("Pain de Noël", f"{BLOG}/pain-de-noel/", local(23, 11, 20)))
    clock.set(local(23, 11, 45).astimezone(UTC))

    async def main() -> None:
        task = asyncio.create_task(deliver_forever(local_app, Outbox(local_app.store, {}, {}), interval=0.05))
        try:
            async with asyncio.timeout(20):
                while not ana.record().posts:
                    await asyncio.sleep(0.02)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    asyncio.run(main())
    assert [p.link for p in ana.record().posts] == [f"{BLOG}/pain-de-noel/"]
