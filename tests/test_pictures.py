"""Owners see their weeks as a chart and get their plan as a card, in French and in English."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from matplotlib import font_manager
from PIL import Image
from pypdf import PdfReader

from bot.app import App
from bot.clock import FixedClock
from bot.config import Settings
from bot.events import Attachment, Reply
from bot.nudges import compose
from bot.nudges.compose import CAPTION_MAX
from bot.nudges.runner import NudgeRunner
from bot.pictures import chart, look
from bot.pictures.caption import caption_length
from bot.pictures.replies import series_of
from bot.pictures.shelf import owner_key
from bot.pictures.weeks import LATE, NONE, ON_TIME
from bot.store.base import Post
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import BUSY_CONSULTANT, LOCAL_BAKERY, walk
from tests.fakes.processes import run_coach

PARIS, LONDON = ZoneInfo("Europe/Paris"), ZoneInfo("Europe/London")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# What an owner logs over four weeks after finishing the plan on Monday 2 November 2026:
# (day, hour, network, promotional?). The chart must show exactly this.
POSTS = [
    (date(2026, 11, 3), 10, "instagram", False),
    (date(2026, 11, 4), 18, "facebook", True),
    (date(2026, 11, 6), 9, "instagram", False),
    (date(2026, 11, 11), 12, "facebook", False),
    (date(2026, 11, 24), 8, "instagram", True),
    (date(2026, 11, 25), 19, "facebook", True),
]
# Comments waiting, then answered: (from, to). "Same day" is an 8-hour target.
WAITS = [
    (datetime(2026, 11, 3, 10), datetime(2026, 11, 3, 12)),  # 2 h: on time
    (datetime(2026, 11, 11, 9), datetime(2026, 11, 12, 9)),  # 24 h: late
]
NOW = datetime(2026, 11, 26, 15, 0)  # Thursday of the fourth week
LONGEST_NAME = "Boulangerie-pâtisserie artisanale et traiteur Dupont-Lefèvre & Fils, depuis 1952"[:80]


def owner_story(app: App, clock: FixedClock, owner: str, answers: dict, zone: ZoneInfo) -> OwnerChat:
    """An owner finishes their plan on 2 November and logs four weeks of posts and replies."""
    clock.set(datetime(2026, 11, 2, 11, 0, tzinfo=zone))
    chat = OwnerChat(app.engine, clock, owner, language=answers["language"])
    chat.say("/start")
    walk(chat, answers)
    events = [
        (
            datetime.combine(day, datetime.min.time()).replace(hour=hour),
            f"/posted {net}" + (" promo" if promo else ""),
        )
        for day, hour, net, promo in POSTS
    ]
    for start, end in WAITS:
        events += [(start, "/pending 2"), (end, "/replied")]
    for moment, line in sorted(events):
        clock.set(moment.replace(tzinfo=zone))
        chat.say(line)
    clock.set(NOW.replace(tzinfo=zone))
    return chat


def expected_weeks(weeks: int = 4) -> tuple[list[int], list[int]]:
    """Per week since 2 November: posts that were not promotional, and promotional ones."""
    other, promo = [0] * weeks, [0] * weeks
    for day, _, _, promotional in POSTS:
        week = (day - date(2026, 11, 2)).days // 7
        (promo if promotional else other)[week] += 1
    return other, promo


@pytest.mark.parametrize(
    ("answers", "zone", "this_week", "month"),
    [(LOCAL_BAKERY, PARIS, "cette\nsemaine", "nov."), (BUSY_CONSULTANT, LONDON, "this\nweek", "Nov")],
)
def test_the_chart_is_drawn_from_what_the_owner_logged(
    app: App, clock: FixedClock, answers: dict, zone: ZoneInfo, this_week: str, month: str
) -> None:
    chat = owner_story(app, clock, "test:owner", answers, zone)
    t = app.engine.translators[answers["language"]]
    series = series_of(chat.record(), app.engine.flows, t, NOW.date())
    shown = chart.plotted(series, t)
    other, promo = expected_weeks()
    assert shown.other_posts == tuple(other)
    assert shown.promo_posts == tuple(promo)
    plan = chat.record().answers
    assert shown.cadence == plan["plan_cadence"]
    assert shown.ceiling == plan["plan_promo_share"]
    shares = [
        (float(n), 100 * p / (o + p)) for n, (o, p) in enumerate(zip(other, promo, strict=True)) if o + p
    ]
    assert [x for x, _ in shown.promo_shares] == [x for x, _ in shares]
    assert [y for _, y in shown.promo_shares] == pytest.approx([y for _, y in shares])
    assert shown.replies == ((0.0, ON_TIME), (1.0, LATE), (2.0, NONE), (3.0, NONE))
    assert shown.labels[0] == "2\n" + month and shown.labels[-1] == this_week


@pytest.mark.parametrize(("answers", "zone"), [(LOCAL_BAKERY, PARIS), (BUSY_CONSULTANT, LONDON)])
def test_progress_shows_the_chart_with_its_figures_in_words(
    app: App, clock: FixedClock, answers: dict, zone: ZoneInfo
) -> None:
    chat = owner_story(app, clock, "test:owner", answers, zone)
    week, pictured = chat.say("/progress")
    assert pictured.attachment is not None and pictured.attachment.kind == "photo"
    assert pictured.attachment.ref == "chart:2026-11-26" and pictured.attachment.content == ""
    image = Image.open(io.BytesIO(app.engine.pictures.file("test:owner", pictured.attachment)))
    assert (image.format, image.size) == ("PNG", (1080, 1350))
    # The same figures in words: 6 posts of the 4 weeks' planned ones, the weeks at the pace,
    # replies 1/1/2.
    cadence = chat.record().answers["plan_cadence"]
    other, promo = expected_weeks()
    at_pace = sum(1 for o, p in zip(other, promo, strict=True) if o + p >= cadence)
    words = {
        "fr": [
            f"6 sur {4 * cadence}",
            f"{at_pace} sur 4",
            "dans le délai : 1 ; en retard : 1 ; rien de noté : 2",
        ],
        "en": [f"6 of {4 * cadence}", f"{at_pace} of 4", "within the target: 1; late: 1; nothing logged: 2"],
    }
    for expected in words[answers["language"]]:
        assert expected in pictured.text
    assert "%" in week.text, "the week in words comes first, as before"


def test_no_chart_before_the_plan_is_made(ana: OwnerChat) -> None:
    ana.say("/start")
    assert all(r.attachment is None for r in ana.say("/progress"))


def _pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def _plain(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


@pytest.mark.parametrize(
    ("answers", "figures"),
    [
        (
            LOCAL_BAKERY,
            [
                "Boulangerie Dupain",
                "3 publications par semaine",
                "415,28 € par mois",
                "3 h 50 par semaine",
                "Dans la journée",
                "10 % des publications au plus",
                "Facebook, Instagram",
            ],
        ),
        (
            BUSY_CONSULTANT,
            [
                "Smith Advisory",
                "1 post a week",  # the lighter plan that fits the consultant's hour
                "€751.11 a month",
                "2 h 10 min a week",
                "The same day",
                "10% of posts at most",
                "LinkedIn",
            ],
        ),
    ],
)
def test_the_plan_card_is_a_png_and_a_pdf_holding_the_plan(
    app: App, clock: FixedClock, answers: dict, figures: list[str]
) -> None:
    chat = owner_story(app, clock, "test:owner", answers, PARIS)
    picture, printable = chat.say("/plan card")
    assert picture.attachment is not None and printable.attachment is not None
    assert (picture.attachment.kind, printable.attachment.kind) == ("photo", "document")
    assert printable.attachment.name.endswith(".pdf") and printable.attachment.mime == "application/pdf"
    png = app.engine.pictures.file("test:owner", picture.attachment)
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.size) == ("PNG", (1240, 1753))  # A4 at 150 dpi
    pdf = app.engine.pictures.file("test:owner", printable.attachment)
    assert pdf.startswith(b"%PDF-")
    text = _pdf_text(pdf)
    t = app.engine.translators[answers["language"]]
    review = _plain(t.date(date(2027, 2, 2)))
    for expected in [*figures, review]:
        assert expected in text, expected


def test_the_card_shows_the_reworked_plan_s_parts_only_when_it_has_them() -> None:
    from bot.config import ROOT
    from bot.i18n import Translator
    from bot.pictures.card import PlanCard, TrackedFigure, draw

    t = Translator("fr", ROOT / "locales")
    bare = PlanCard("Fournil Martin", date(2026, 11, 30), cadence=2)
    full = PlanCard(
        "Fournil Martin",
        date(2026, 11, 30),
        cadence=2,
        themes=("Coulisses du fournil",),
        figures=(TrackedFigure("Abonnés Instagram", "400", "250"),),
        budget=40,
        review=date(2027, 2, 28),
    )
    bare_text, full_text = _pdf_text(draw(bare, t)[1]), _pdf_text(draw(full, t)[1])
    for part in ("THÈMES DE CONTENU", "CHIFFRES À SUIVRE", "PUBLICITÉ ET OUTILS", "BILAN"):
        assert part not in bare_text and part in full_text
    assert "Coulisses du fournil" in full_text and "250 aujourd’hui → 400 à la revue" in full_text
    assert "40 € par mois" in full_text and "28 février 2027" in full_text


def test_no_card_before_the_plan_is_made(ana: OwnerChat) -> None:
    ana.say("/start")
    replies = ana.say("/plan card")
    assert "plan" in replies[0].text and replies[0].attachment is None
    assert replies[-1].step == ana.step, "the question is asked again"


def test_the_weekly_memo_carries_the_chart_of_the_weeks_up_to_sunday(
    app: App, clock: FixedClock, settings: Settings
) -> None:
    chat = owner_story(app, clock, "test:owner", LOCAL_BAKERY, PARIS)
    claimed = NudgeRunner(app.engine).sweep(datetime(2026, 11, 30, 9, 0, tzinfo=PARIS))
    (memo,) = next(c for c in claimed if c.kind == "weekly").replies
    assert memo.attachment is not None and memo.attachment.kind == "photo"
    assert memo.attachment.ref == "chart:2026-11-29", "Monday's memo: the whole weeks up to Sunday"
    assert memo.attachment.name == "boulangerie-dupain-2026-11-29.png"
    t = app.engine.translators["fr"]
    assert t.tr("chart.caption.posts", posted="6", planned="12") in memo.attachment.content, (
        "the chart's figures in words, for a screen reader"
    )
    assert "chart:week" not in {c.id for c in memo.choices}, "the chart is in the memo, not a tap away"
    assert caption_length(memo.text) <= CAPTION_MAX, "text and chart go out as one message"
    # Drawn ahead by the sweep, kept by reference: the picture is on the shelf, not in the record.
    kept = settings.data_dir / "pictures" / owner_key("test:owner")
    assert [p.name.split(".")[0] for p in kept.iterdir()] == ["chart-2026-11-29"]
    assert app.engine.pictures.file("test:owner", memo.attachment).startswith(PNG_MAGIC)
    stored = json.dumps(app.store.get("test:owner").to_doc())
    assert "PNG" not in stored and len(stored) < 30_000
    # A memo sent before the chart was in it has a button for it; a tap still shows the chart.
    clock.set(datetime(2026, 11, 30, 9, 5, tzinfo=PARIS).astimezone(UTC))
    charted = [r for r in chat.tap("chart:week", step="@checkin") if r.attachment is not None]
    assert len(charted) == 1 and charted[0].attachment.ref.startswith("chart:")


def test_a_long_memo_is_fitted_to_go_with_its_chart(app: App, clock: FixedClock) -> None:
    """The longest business name, replies waiting, a freeze and the longest tips: still one message."""
    fitting: dict[str, tuple[int, int]] = {}
    for language in ("fr", "en"):
        t = app.engine.translators[language]
        chat = OwnerChat(app.engine, clock, f"test:{language}", language=language)
        clock.set(datetime(2026, 10, 5, 10, 0, tzinfo=PARIS).astimezone(UTC))
        chat.say("/start")
        walk(chat, {**LOCAL_BAKERY, "language": language, "business_name": LONGEST_NAME})
        record = app.store.get(f"test:{language}")
        now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
        # Offers over the ceiling (the longest next step), replies waiting (not late yet).
        days = range(1, 13, 2)
        record.posts = [Post((now - timedelta(days=d, hours=3)).isoformat(), "x", d != 5) for d in days]
        record.waiting.count, record.waiting.since = 12, (now - timedelta(hours=2)).isoformat()
        lengths, shortened, deferred = [], 0, 0
        for topic in app.engine.flows.topics:  # each tip in turn, the longest included
            record.nudges.tip_counts = {other: 1 for other in app.engine.flows.topics if other != topic}
            memo = compose.memo(record, app.engine.flows, t, now)
            lengths.append(caption_length(memo.text))
            assert t.tr("memo.next") in memo.text and t.tr("memo.title") in memo.text
            assert t.count("memo.waiting", 12, age=t.days_or_hours(2)) in memo.text
            shortened += LONGEST_NAME not in memo.text
            if t.tr(f"tip.{topic}") in memo.text:
                assert record.nudges.tip_counts[topic] == 1, "the tip is whole, and counted as given"
            else:  # too long with it: it comes another week, not counted as given
                assert record.nudges.tip_counts.get(topic, 0) == 0 and t.tr("nudge.tip") not in memo.text
                deferred += 1
        assert max(lengths) <= CAPTION_MAX, f"{language}: {max(lengths)} characters"
        fitting[language] = (shortened, deferred)
    # French runs longer: there the longest name is shortened, and a few of the longest tips wait
    # for a shorter week; English fits whole.
    assert fitting["fr"][0] > 0 and fitting["fr"][1] <= 5 and fitting["en"] == (0, 0), fitting


def test_a_memo_is_shortened_step_by_step_and_its_tip_waits_only_as_a_last_resort() -> None:
    greeting, short = "The week of Boulangerie Dupont-Lefèvre & Fils.", "The week of Boulangerie Dupon…."
    tip = ("Tip:\nPost a photo.\nSource: “Title”, Author of it", "Tip:\nPost a photo.\nSource: “Title”")

    def fit(week: int) -> tuple[str, bool]:
        return compose.fitted(greeting, short, ["w" * week], tip, "Tap below:")

    whole = len("\n\n".join([greeting, "", tip[0], "Tap below:"]))
    room = CAPTION_MAX - whole
    assert fit(room) == ("\n\n".join([greeting, "w" * room, tip[0], "Tap below:"]), True)
    assert fit(room + 1)[0].startswith(short) and tip[0] in fit(room + 1)[0]
    saved_by_name = len(greeting) - len(short)
    assert tip[1] + "\n\nTap below:" in fit(room + saved_by_name + 1)[0], "the source by its title"
    saved_by_source = len(tip[0]) - len(tip[1])
    assert fit(room + saved_by_name + saved_by_source + 1)[0].endswith(tip[1]), "the closing line goes"
    text, tipped = fit(CAPTION_MAX - 60)
    assert not tipped and "Tip:" not in text and caption_length(text) <= CAPTION_MAX, "the tip waits"
    assert caption_length("🥐" * 600) == 1200, "counted as Telegram counts: UTF-16 units"


def test_a_picture_is_drawn_again_when_the_owner_logs_more(app: App, clock: FixedClock) -> None:
    chat = owner_story(app, clock, "test:owner", LOCAL_BAKERY, PARIS)
    (_, pictured) = chat.say("/progress")
    first = app.engine.pictures.file("test:owner", pictured.attachment)
    assert app.engine.pictures.file("test:owner", pictured.attachment) == first, "kept, not redrawn"
    chat.say("/posted instagram")
    assert app.engine.pictures.file("test:owner", pictured.attachment) != first


def test_erasing_an_owner_erases_their_pictures(app: App, clock: FixedClock, settings: Settings) -> None:
    chat = owner_story(app, clock, "test:owner", LOCAL_BAKERY, PARIS)
    for reply in chat.say("/plan card") + chat.say("/progress"):
        if reply.attachment is not None:
            app.engine.pictures.file("test:owner", reply.attachment)
    folder = settings.data_dir / "pictures" / owner_key("test:owner")
    assert len(list(folder.iterdir())) == 3
    chat.say("/delete")
    chat.tap("delete:yes", step="@delete")
    assert not folder.exists()


def test_an_outbox_entry_written_before_pictures_reads_the_same() -> None:
    old = {"text": "Voici", "attachment": ["export.json", "{}", "application/json"]}
    reply = Reply.from_dict(old)
    assert reply.attachment == Attachment("export.json", "{}", "application/json")
    assert reply.to_dict()["attachment"] == old["attachment"]


def test_the_fonts_are_matplotlib_s_own_so_accents_render_on_a_bare_machine() -> None:
    shipped = look.fonts()
    assert all(path.is_file() and path.is_relative_to(look.font_folder()) for path in shipped)
    found = font_manager.findfont(
        font_manager.FontProperties(family=look.FONT_FAMILY), fallback_to_default=False
    )
    assert Path(found) in shipped


def test_the_terminal_writes_the_card_and_the_chart_under_the_current_folder(tmp_path: Path) -> None:
    script = Path(__file__).parent / "fixtures" / "bakery_fr.txt"
    lines = script.read_text(encoding="utf-8") + "/posted instagram\n/plan card\n/progress\n"
    env = {"COACH_DATA_DIR": str(tmp_path / "data"), "COACH_FSYNC": "0"}
    result = run_coach(["chat", "--user", "ana"], env, lines, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    assert written[0].startswith("boulangerie-dupain-") and written[0].endswith(".png")
    assert written[1:] == ["plan-boulangerie-dupain.pdf", "plan-boulangerie-dupain.png"]
    for name in written:
        assert str(tmp_path / name) in result.stdout, "each path is printed"
    assert (tmp_path / written[0]).read_bytes().startswith(PNG_MAGIC)
    assert (tmp_path / written[2]).read_bytes().startswith(PNG_MAGIC)
    assert (tmp_path / written[1]).read_bytes().startswith(b"%PDF-")


def test_charts_drawn_at_once_from_several_threads_are_each_the_owner_s_own(
    app: App, clock: FixedClock
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    t = app.engine.translators["fr"]
    records = []
    for n, answers in enumerate((LOCAL_BAKERY, {**LOCAL_BAKERY, "business_name": "Fournil Martin"})):
        records.append(owner_story(app, clock, f"test:owner{n}", answers, PARIS).record())
    records[1].posts = records[1].posts[:2]  # the second owner logged less
    series = [series_of(r, app.engine.flows, t, NOW.date()) for r in records]
    alone = [chart.draw(s, t) for s in series]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda s: chart.draw(s, t), series * 4))
    assert alone[0] != alone[1]
    assert together == alone * 4


def test_the_operator_s_delete_erases_the_owner_s_pictures_too(tmp_path: Path) -> None:
    script = Path(__file__).parent / "fixtures" / "bakery_fr.txt"
    env = {"COACH_DATA_DIR": str(tmp_path / "data"), "COACH_FSYNC": "0"}
    chatted = run_coach(
        ["chat", "--user", "ana"], env, script.read_text(encoding="utf-8") + "/plan card\n", cwd=tmp_path
    )
    assert chatted.returncode == 0, chatted.stderr
    kept = tmp_path / "data" / "pictures" / owner_key("terminal:ana")
    assert sorted(p.name.split(".")[0] for p in kept.iterdir()) == ["card-pdf", "card-png"]
    deleted = run_coach(["delete", "--owner", "terminal:ana", "--yes"], env, cwd=tmp_path)
    assert deleted.returncode == 0, deleted.stderr
    assert not kept.exists()
