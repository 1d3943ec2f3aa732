"""The pictures reach owners on Telegram (photos, documents) and Slack (files, images), replies and memos."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from datetime import datetime

import pytest
from PIL import Image
from telegram import Bot

from bot.app import App, build_app
from bot.channels.slack import SlackChannel, SlackSender
from bot.channels.telegram import TelegramSender
from bot.clock import FixedClock
from bot.config import Settings
from bot.nudges.runner import NudgeRunner
from bot.outbox import Limits, Outbox
from bot.pictures.studio import picture, ready
from tests.fakes.journeys import BUSY_CONSULTANT, LOCAL_BAKERY
from tests.fakes.slack_api import PRIVATE, FakeSlack, Member
from tests.fakes.telegram_api import FakeTelegram
from tests.test_pictures import LONDON, PARIS, owner_story
from tests.test_slack import run as run_slack
from tests.test_telegram import TOKEN
from tests.test_telegram import run as run_telegram


@pytest.fixture
def files_app(settings: Settings, clock: FixedClock) -> Iterator[App]:
    built = build_app(settings, clock=clock)
    yield built
    built.close()


def _png(data: bytes) -> tuple[str | None, tuple[int, int]]:
    image = Image.open(io.BytesIO(data))
    return image.format, image.size


def test_telegram_shows_the_chart_as_a_photo_and_sends_the_card_as_photo_and_pdf(
    files_app: App, clock: FixedClock
) -> None:
    user = 4242
    owner_story(files_app, clock, f"telegram:{user}", LOCAL_BAKERY, PARIS)

    async def scenario(fake: FakeTelegram) -> None:
        await fake.say(user, "/progress", "fr")
        await fake.wait_for(lambda: any("photo" in m for m in fake.sent[user]))
        await fake.say(user, "/plan card", "fr")
        await fake.wait_for(lambda: any("document" in m for m in fake.sent[user]))

    fake = run_telegram(files_app, scenario)
    chart, card = [m for m in fake.sent[user] if "photo" in m]
    assert _png(chart["photo"]["data"]) == ("PNG", (1080, 1350))
    assert "Publications : 6 sur 12 prévues" in chart["caption"], "the figures in words as the caption"
    assert _png(card["photo"]["data"]) == ("PNG", (1240, 1753))
    (pdf,) = [m for m in fake.sent[user] if "document" in m]
    assert pdf["document"]["data"].startswith(b"%PDF-")
    assert pdf["document"]["file_name"] == "plan-boulangerie-dupain.pdf"
    assert not files_app.store.get(f"telegram:{user}").outbox, "every reply went out"


def test_the_weekly_memo_goes_out_on_telegram_as_one_photo_with_its_text_and_buttons(
    files_app: App, clock: FixedClock
) -> None:
    user = 4343
    owner_story(files_app, clock, f"telegram:{user}", LOCAL_BAKERY, PARIS)
    claimed = NudgeRunner(files_app.engine).sweep(datetime(2026, 11, 30, 9, 0, tzinfo=PARIS))
    (memo,) = next(c for c in claimed if c.kind == "weekly").replies
    t = files_app.engine.translators["fr"]

    async def scenario(fake: FakeTelegram) -> None:
        async with Bot(TOKEN, base_url=f"{fake.url}/bot") as bot:
            outbox = Outbox(
                files_app.store, {"test": TelegramSender(bot, files_app.engine.pictures)}, {"test": Limits()}
            )
            await outbox.deliver_all([f"telegram:{user}"])
        # The owner taps "I posted" under the chart: the answer shows in the caption.
        await fake.tap(user, fake.sent[user][0], "@checkin|checkin:posted:yes")
        await fake.wait_for(lambda: len(fake.sent[user]) > 1 and "reply_markup" not in fake.sent[user][0])

    fake = run_telegram(files_app, scenario)
    sent = fake.sent[user][0]
    assert sum(len(c.replies) for c in claimed) == 1, "one message claimed"
    assert _png(sent["photo"]["data"]) == ("PNG", (1080, 1350)), "the week's chart"
    assert sent["photo"]["file_name"] == "boulangerie-dupain-2026-11-29.png"
    assert sent["caption"].startswith(memo.text) and "text" not in sent, "the memo is the photo's caption"
    assert sent["caption"].endswith("→ " + t.tr("memo.button.posted")), "the answer tapped, under the memo"
    sends = [method for method, _ in fake.calls if method.startswith("send")]
    assert sends[0] == "sendPhoto" and sends[1:] == ["sendMessage"] * (len(sends) - 1), "then the answer"
    (photo_call,) = [params for method, params in fake.calls if method == "sendPhoto"]
    keyboard = photo_call["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == [f"@checkin|{c.id}" for c in memo.choices]
    assert len(keyboard) >= 4, "the check-ins as buttons of the memo itself"


def test_a_text_too_long_for_a_caption_goes_under_its_photo_with_the_buttons(
    files_app: App, clock: FixedClock
) -> None:
    """Not a memo (they are fitted), but any reply with a picture: nothing is cut, nothing refused."""
    from bot.channels.telegram import send_reply
    from bot.events import Attachment, Choice, Reply

    long = Reply(
        "Un texte. " * 150,
        choices=(Choice("checkin:posted:yes", "Oui"),),
        step="@checkin",
        attachment=Attachment("chart.png", mime="image/png", kind="photo", ref="chart:2026-11-29"),
    )

    async def scenario(fake: FakeTelegram) -> None:
        async with Bot(TOKEN, base_url=f"{fake.url}/bot") as bot:
            await send_reply(bot, 4545, long, data=b"\x89PNG fake")

    fake = run_telegram(files_app, scenario)
    photo, text = fake.sent[4545]
    assert "caption" not in photo and "reply_markup" not in photo
    assert text["text"] == long.text and text["reply_markup"]["inline_keyboard"]


def test_slack_uploads_the_chart_and_the_card_as_files_with_alternative_text(
    files_app: App, clock: FixedClock
) -> None:
    owner = "slack:T111:U77"
    owner_story(files_app, clock, owner, BUSY_CONSULTANT, LONDON)

    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        member = Member(url + "/slack/events", "T111", "U77")
        await member.command("progress")
        await fake.wait_for(lambda: len(fake.files["DU77"]) >= 1)
        await member.command("plan card")
        await fake.wait_for(lambda: len(fake.files["DU77"]) >= 3)

    fake = run_slack(files_app, scenario)
    chart, card, pdf = fake.files["DU77"]
    assert _png(chart["data"]) == ("PNG", (1080, 1350))
    assert "Posts: 6 of 4 planned" in chart["alt_txt"] and "Posts: 6 of 4 planned" in chart["comment"]
    assert _png(card["data"]) == ("PNG", (1240, 1753)) and card["name"] == "plan-smith-advisory.png"
    assert pdf["data"].startswith(b"%PDF-") and pdf["alt_txt"] is None


def test_the_weekly_memo_goes_out_on_slack_as_one_message_with_the_chart_and_buttons(
    files_app: App, clock: FixedClock
) -> None:
    owner = "slack:T111:U78"
    owner_story(files_app, clock, owner, BUSY_CONSULTANT, LONDON)
    claimed = NudgeRunner(files_app.engine).sweep(datetime(2026, 11, 30, 9, 0, tzinfo=LONDON))
    (memo,) = next(c for c in claimed if c.kind == "weekly").replies
    fake = FakeSlack()
    fake.processing = 1  # Slack refuses a first message showing the file it is still processing

    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        outbox = Outbox(files_app.store, {"test": SlackSender(channel)}, {"test": Limits()})
        await outbox.deliver_all([owner])
        member = Member(url + "/slack/events", "T111", "U78")
        await member.tap(fake.dm("U78")[0], "@checkin|checkin:posted:yes")
        await fake.wait_for(lambda: len(fake.dm("U78")) > 1)

    run_slack(files_app, scenario, fake)
    assert not fake.files["DU78"], "no file shared in the conversation: the chart is in the message"
    (uploaded,) = [f for f in fake.files[PRIVATE] if f["name"] == "smith-advisory-2026-11-29.png"]
    assert _png(uploaded["data"]) == ("PNG", (1080, 1350))
    assert "Posts: 6 of" in uploaded["alt_txt"], "the chart's figures in words for a screen reader"
    posted = [call for call in fake.sent("chat.postMessage") if call["channel"] == "DU78"][1]
    assert [block["type"] for block in posted["blocks"]][-2:] == ["image", "actions"], "chart, then buttons"
    buttons = [b["value"] for b in posted["blocks"][-1]["elements"]]
    assert buttons == [f"@checkin|{c.id}" for c in memo.choices]
    memo_message = fake.dm("U78")[0]
    kinds = [block["type"] for block in memo_message["blocks"]]
    assert kinds[-2:] == ["image", "context"], "once answered: the chart kept, the answer instead of buttons"
    image = memo_message["blocks"][-2]
    assert image["slack_file"] == {"id": uploaded["id"]} and "Posts: 6 of" in image["alt_text"]
    shown = "\n".join(b["text"]["text"] for b in memo_message["blocks"] if b["type"] == "section")
    assert shown == memo.text
    assert len(fake.sent("chat.postMessage")) - (len(fake.dm("U78")) - 1) == 2, "tried again once"
    assert not files_app.store.get(owner).outbox


def test_the_slack_home_tab_shows_the_chart_uploaded_once_until_it_changes(
    files_app: App, clock: FixedClock
) -> None:
    owner = "slack:T111:U79"
    chat = owner_story(files_app, clock, owner, BUSY_CONSULTANT, LONDON)

    def images(fake: FakeSlack) -> list[dict]:
        return [b for b in fake.views.get("U79", {}).get("blocks", []) if b["type"] == "image"]

    async def scenario(fake: FakeSlack, url: str, channel: SlackChannel) -> None:
        member = Member(url + "/slack/events", "T111", "U79")
        await member.open_home()
        await fake.wait_for(lambda: bool(images(fake)))
        await member.open_home()  # the same chart: shown again, not uploaded again
        await fake.wait_for(lambda: len([c for c in fake.calls if c[0] == "views.publish"]) >= 2)
        chat.say("/posted linkedin")
        await member.open_home()
        await fake.wait_for(lambda: len(fake.files[PRIVATE]) == 2)

    fake = run_slack(files_app, scenario)
    first, changed = fake.files[PRIVATE]
    assert _png(first["data"]) == ("PNG", (1080, 1350)) and "Posts: 6 of 4 planned" in first["alt_txt"]
    assert "Posts: 7 of 4 planned" in changed["alt_txt"]
    (image,) = images(fake)
    assert image["slack_file"] == {"id": changed["id"]} and "Posts: 7 of 4" in image["alt_text"]


def test_pictures_are_drawn_in_a_worker_thread_not_on_the_event_loop(
    files_app: App, clock: FixedClock
) -> None:
    import asyncio
    import threading

    from bot.pictures.studio import picture

    chat = owner_story(files_app, clock, "test:owner", LOCAL_BAKERY, PARIS)
    _, pictured = chat.say("/progress")
    drawn_in: list[threading.Thread] = []
    pictures = files_app.engine.pictures
    draw = pictures.file

    def noting_the_thread(owner: str, attachment):  # the real drawing, its thread noted
        drawn_in.append(threading.current_thread())
        return draw(owner, attachment)

    pictures.file = noting_the_thread  # type: ignore[method-assign]

    async def send() -> tuple[threading.Thread, bytes | None]:
        return threading.current_thread(), await picture(pictures, "test:owner", pictured)

    loop_thread, data = asyncio.run(send())
    assert data is not None and _png(data) == ("PNG", (1080, 1350))
    assert drawn_in and drawn_in[0] is not loop_thread


class PictureSender:
    """A channel that sends pictures as the real ones do: drawn before a place is taken, then read."""

    def __init__(self, app: App) -> None:
        self.pictures = app.engine.pictures
        self.sent: list[tuple[str, bytes | None]] = []
        self.begun: set[str] = set()  # the owners whose message is on its way

    def scope(self, owner_id: str) -> str:
        return "test"

    async def ready(self, owner_id: str, reply) -> None:
        self.begun.add(owner_id)
        await ready(self.pictures, owner_id, reply)

    async def send(self, owner_id: str, reply) -> None:
        self.begun.add(owner_id)
        self.sent.append((owner_id, await picture(self.pictures, owner_id, reply)))


def test_a_push_goes_out_while_its_charts_are_drawn_and_answers_do_not_wait_for_them(
    files_app: App, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import threading

    from bot.events import Reply
    from bot.pictures import chart

    owners = [f"test:owner{n}" for n in range(3)]
    for owner in owners:
        owner_story(files_app, clock, owner, LOCAL_BAKERY, PARIS)
    easel = threading.Event()  # the drawing of the charts waits until the test lets it go
    drawn: list[str] = []
    draw = chart.draw

    def held(series, t):  # the real drawing, once let go
        assert easel.wait(30), "the test never let the drawing go"
        drawn.append(series.business)
        return draw(series, t)

    monkeypatch.setattr(chart, "draw", held)
    claimed = NudgeRunner(files_app.engine).sweep(datetime(2026, 11, 30, 9, 0, tzinfo=PARIS), background=True)
    assert len(claimed) == 3, "the sweep is back before a chart is drawn"
    memo = claimed[0].replies[0]
    assert all(files_app.engine.pictures.pending(o, memo.attachment) is not None for o in owners)
    sender = PictureSender(files_app)
    outbox = Outbox(files_app.store, {"test": sender}, {"test": Limits(per_second=1.0)})

    async def scenario() -> None:
        push = asyncio.ensure_future(outbox.deliver_all(owners))

        async def begun() -> None:  # the push under way: its memos wait for their charts
            while not sender.begun:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(begun(), 10)
        # One place a second, and the memos wait for their charts: an answer goes out at once.
        assert await asyncio.wait_for(outbox.send_now("test", "test:talker", Reply("Bonjour")), 5)
        assert sender.sent == [("test:talker", None)]
        easel.set()
        assert await asyncio.wait_for(push, 30) == 3

    asyncio.run(scenario())
    assert sorted(owner for owner, _ in sender.sent[1:]) == owners, "each memo once"
    assert all(data is not None and _png(data) == ("PNG", (1080, 1350)) for _, data in sender.sent[1:])
    assert len(drawn) == 3, "each chart drawn once, ahead: none drawn again to be sent"
    assert all(files_app.engine.pictures.pending(o, memo.attachment) is None for o in owners)


def test_a_sender_stopped_while_a_chart_is_drawn_ahead_leaves_the_drawing_to_the_others(
    files_app: App, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio
    import threading

    from bot.pictures import chart

    owner = "test:owner"
    owner_story(files_app, clock, owner, LOCAL_BAKERY, PARIS)
    easel = threading.Event()
    draw = chart.draw

    def held(series, t):
        assert easel.wait(30), "the test never let the drawing go"
        return draw(series, t)

    monkeypatch.setattr(chart, "draw", held)
    (claimed,) = NudgeRunner(files_app.engine).sweep(
        datetime(2026, 11, 30, 9, 0, tzinfo=PARIS), background=True
    )
    memo = claimed.replies[0]
    pictures = files_app.engine.pictures

    async def scenario() -> bytes | None:
        stopped = asyncio.ensure_future(ready(pictures, owner, memo))  # a shutdown will stop this one
        waiting = asyncio.ensure_future(picture(pictures, owner, memo))
        await asyncio.sleep(0)  # both now wait for the drawing
        stopped.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stopped
        easel.set()
        return await asyncio.wait_for(waiting, 30)

    data = asyncio.run(scenario())
    assert data is not None and _png(data) == ("PNG", (1080, 1350))
    assert pictures.pending(owner, memo.attachment) is None
    assert "drawing charts ahead stopped" not in caplog.text
