"""Twelve weeks of reminders for three owners, hour by hour on an injected clock.

A regular poster, a quiet owner and an over-promoting owner finish their plan on the same
Monday. Every message each receives is collected: at most one a day, three a week, none in
quiet hours, the memo on their day and hour; the tips never repeat, the owner's numbers call
for their tip; a quieter week is kept by the month's freeze; silence ends in a polite stop,
and one tap brings the reminders back.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.app import App
from bot.clock import FixedClock
from bot.nudges import compose
from bot.nudges.compose import CAPTION_MAX
from bot.nudges.runner import Claimed, NudgeRunner
from bot.pictures.caption import caption_length
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import LOCAL_BAKERY, walk

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 11, 23, 11, 0, tzinfo=PARIS)  # a Monday
WEEKS = 12
REGULAR, QUIET, PROMOTER = "test:regular", "test:quiet", "test:promoter"


@dataclass
class Story:
    """What each owner received, and when (owner's local time)."""

    received: dict[str, list[tuple[datetime, Claimed]]] = field(default_factory=dict)

    def of(self, owner: str) -> list[tuple[datetime, Claimed]]:
        return self.received.get(owner, [])

    def memos(self, owner: str) -> list[tuple[datetime, Claimed]]:
        return [(at, c) for at, c in self.of(owner) if "weekly" in c.kinds]


def at(week: int, day: int, hour: int) -> datetime:
    """Week 0 is the plan's week; day 0 is Monday."""
    return datetime(2026, 11, 23, hour, tzinfo=PARIS) + timedelta(weeks=week, days=day)


def tip_of(app: App, memo: Claimed) -> str | None:
    t = app.engine.translators["fr"]
    text = memo.replies[0].text
    found = [topic for topic in app.engine.flows.topics if t.tr(f"tip.{topic}") in text]
    return found[0] if found else None


def live(app: App, clock: FixedClock) -> tuple[Story, dict[str, OwnerChat]]:
    """Run the twelve weeks, sweeping every hour, the owners acting on their days."""
    clock.set(START.astimezone(UTC))
    chats = {}
    for owner in (REGULAR, QUIET, PROMOTER):
        chat = OwnerChat(app.engine, clock, owner, language="fr")
        chat.say("/start")
        walk(chat, LOCAL_BAKERY)
        chats[owner] = chat
    # The regular poster says when they post: Monday, Wednesday, Friday at noon.
    chats[REGULAR].tap("posting:0,2,4@12:00", step="@posting")

    actions: dict[datetime, list[Callable[[], object]]] = {}

    def plan(moment: datetime, action: Callable[[], object]) -> None:
        actions.setdefault(moment, []).append(action)

    for week in range(WEEKS):
        for day in (0, 2, 4):
            if week == 5 and day != 0:
                continue  # one quieter week: a single post
            plan(at(week, day, 12), lambda: chats[REGULAR].say("/posted instagram"))
        for day in (1, 3, 5):  # mostly offers
            promo = " promo" if day != 5 else ""
            plan(at(week, day, 18), lambda promo=promo: chats[PROMOTER].say("/posted facebook" + promo))
    # The quiet owner comes back after the polite stop and taps to resume.
    resume_at = at(8, 2, 10)
    plan(resume_at, lambda: chats[QUIET].tap("settings:resume", step="@settings"))

    runner = NudgeRunner(app.engine)
    story = Story()
    moment = START + timedelta(hours=1)
    end = START + timedelta(weeks=WEEKS)
    while moment < end:
        clock.set(moment.astimezone(UTC))
        for action in actions.pop(moment, []):
            action()
        for claimed in runner.sweep(moment):
            story.received.setdefault(claimed.owner_id, []).append((moment, claimed))
            runner.take_outbox(claimed.owner_id)
        moment += timedelta(hours=1)
    return story, chats


def test_twelve_weeks_of_reminders_for_three_owners(app: App, clock: FixedClock) -> None:
    story, chats = live(app, clock)
    t = app.engine.translators["fr"]

    for owner in (REGULAR, QUIET, PROMOTER):
        received = story.of(owner)
        days = Counter(moment.date() for moment, _ in received)
        weeks = Counter(moment.isocalendar()[:2] for moment, _ in received)
        assert max(days.values()) == 1, f"{owner}: one message a day at most"
        assert max(weeks.values()) <= 3, f"{owner}: three messages a week at most"
        assert all(8 <= moment.hour < 20 for moment, _ in received), f"{owner}: none in quiet hours"
        assert all(len(c.replies) == 1 for _, c in received), f"{owner}: each is one message"
        for moment, memo in story.memos(owner):
            assert (moment.weekday(), moment.hour) == (0, 9), f"{owner}: the memo on Monday at 9:00"
            (message,) = memo.replies
            sunday = (moment - timedelta(days=1)).date()
            assert message.attachment is not None and message.attachment.kind == "photo"
            assert message.attachment.ref == f"chart:{sunday}", f"{owner}: the memo shows its weeks' chart"
            assert "checkin:posted:yes" in {c.id for c in message.choices}, "its check-ins as its buttons"
            assert caption_length(message.text) <= CAPTION_MAX, "text, chart and buttons in one message"
        tips = [tip_of(app, c) for _, c in story.memos(owner)]
        given = [tip for tip in tips if tip]
        assert len(given) == len(set(given)), f"{owner}: no tip repeated before all were given"

    # The regular poster: a memo every Monday; in the quieter week, a reminder at the two posting
    # times nothing was logged; the streak goes on, kept by the month's freeze.
    regular = [(moment, c.kinds) for moment, c in story.of(REGULAR)]
    assert [kinds for _, kinds in regular] == [("weekly",)] * 5 + [("cadence",)] * 2 + [("weekly",)] * 7
    assert [moment for moment, _ in regular[5:7]] == [at(5, 2, 12), at(5, 4, 12)], "at the hour they chose"
    week_after_the_gap = story.memos(REGULAR)[6][1].replies[0].text
    assert t.count("memo.frozen", 1) in week_after_the_gap
    assert t.count("memo.streak", 6) in week_after_the_gap, "five weeks, the frozen one, and the next"
    assert t.count("memo.streak", WEEKS - 1) in story.memos(REGULAR)[-1][1].replies[0].text
    clock.set(at(WEEKS, 0, 10).astimezone(UTC))
    progress = chats[REGULAR].say("/progress")[0].text
    assert t.tr("week.streak", weeks=WEEKS - 1) in progress and t.count("memo.frozen", 1) in progress

    # The over-promoting owner: the numbers call for the tip on selling, and the next step says so.
    promoter_memos = [c for _, c in story.memos(PROMOTER)]
    assert [tip_of(app, memo) for memo in promoter_memos[:2]] == ["all_commercial", "social_for_selling"]
    assert "plafond" in promoter_memos[0].replies[0].text.split(t.tr("memo.next"))[1]

    # The quiet owner: reminders, the pause after three unanswered, the polite stop, the way back.
    quiet = [(moment, c.kind) for moment, c in story.of(QUIET)]
    kinds = [kind for _, kind in quiet]
    assert kinds[:4] == ["cadence", "weekly", "weekly", "paused"]
    paused_at = quiet[3][0]
    farewell = [moment for moment, kind in quiet if kind == "farewell"]
    assert farewell == [paused_at + timedelta(days=30)], "one last message a month after the pause"
    assert all(kind != "farewell" for kind in kinds[5:])
    after = [kind for moment, kind in quiet if moment > datetime(2027, 1, 20, tzinfo=PARIS)]
    assert "weekly" in after, "the reminders came back with one tap"
    assert kinds[4] == "farewell" and quiet[4][0] < datetime(2027, 1, 20, tzinfo=PARIS)
    last = story.of(QUIET)[4][1].replies[0]
    assert last.text == t.tr("nudge.farewell") and [c.id for c in last.choices] == ["settings:resume"]
    assert kinds[5:] == ["weekly", "weekly", "weekly", "paused"], "three unanswered memos pause them again"


def test_tips_cover_every_topic_before_one_repeats_risks_first(app: App, clock: FixedClock) -> None:
    clock.set(START.astimezone(UTC))
    chat = OwnerChat(app.engine, clock, "test:ana", language="fr")
    chat.say("/start")
    walk(chat, LOCAL_BAKERY)
    record = chat.record()
    flows = app.engine.flows
    order = compose.tip_order(record, flows)
    given = []
    for week in range(len(flows.topics) + 3):
        topic = compose.pick_tip(record, flows, START + timedelta(weeks=week))
        assert topic is not None
        compose.give_tip(record, topic, START + timedelta(weeks=week))
        given.append(topic)
    assert sorted(given[: len(flows.topics)]) == sorted(flows.topics), "every topic once"
    assert given[: len(flows.topics)] == order, "the owner's risks first, most harmful first"
    assert given[len(flows.topics) :] == order[:3], "then round again"


def test_the_same_wording_never_comes_twice_in_a_row(app: App, clock: FixedClock) -> None:
    clock.set(START.astimezone(UTC))
    chat = OwnerChat(app.engine, clock, "test:ana", language="en")
    chat.say("/start")
    walk(chat, LOCAL_BAKERY)
    record = chat.record()
    t = app.engine.translators["en"]
    for kinds in (["cadence"], ["replies"]):
        record.waiting.count, record.waiting.since = 2, START.isoformat()
        texts = [
            compose.compose(kinds, record, app.engine.flows, t, START + timedelta(days=n))[0].text
            for n in range(6)
        ]
        assert all(a != b for a, b in itertools.pairwise(texts)), kinds
        assert len(set(texts)) >= 3, kinds


def test_what_is_due_together_comes_as_one_message_within_the_budget(app: App, clock: FixedClock) -> None:
    clock.set(START.astimezone(UTC))
    chat = OwnerChat(app.engine, clock, "test:ana", language="fr")
    chat.say("/start")
    walk(chat, LOCAL_BAKERY)
    clock.set(at(0, 2, 9).astimezone(UTC))
    chat.say("/pending 4")  # "same day" target: late from 17:00; the posting lapse comes Thursday
    runner = NudgeRunner(app.engine)
    (bundle,) = runner.sweep(at(0, 3, 19) + timedelta(minutes=30))
    assert bundle.kinds == ("cadence", "replies") and len(bundle.replies) == 1
    assert {c.id for c in bundle.replies[0].choices} == {"checkin:posted:yes", "checkin:replied:all"}
    clock.set(at(0, 3, 19).astimezone(UTC) + timedelta(minutes=40))
    chat.say("/posted instagram")  # the next lapse falls due on Monday night
    chat.say("/replied")
    # On the memo's day a reminder waits for the memo and rides along.
    assert runner.sweep(at(1, 0, 8)) == []
    (memo,) = runner.sweep(at(1, 0, 9))
    assert memo.kinds == ("cadence", "weekly") and len(memo.replies) == 1
    # The day's message is spent: replies owed from Monday evening wait for Tuesday morning.
    clock.set(at(1, 0, 9).astimezone(UTC) + timedelta(minutes=30))
    chat.say("/pending 2")
    assert runner.sweep(at(1, 0, 18)) == []
    assert app.store.get("test:ana").next_check_at == at(1, 1, 8).astimezone(UTC).isoformat()
    assert [c.kinds for c in runner.sweep(at(1, 1, 8))] == [("replies",)]
    # The budget is the owner's to change.
    chat.say("/settings budget 2 5")
    assert (app.store.get("test:ana").prefs.per_day, app.store.get("test:ana").prefs.per_week) == (2, 5)
    assert "2" in chat.say("/settings")[0].text
    assert "/settings budget 1 3" in chat.say("/settings budget 9 3")[0].text, "explained, not taken"


def test_the_three_month_review_sets_the_figures_against_today_and_proposes_what_to_adjust(
    app: App, clock: FixedClock
) -> None:
    clock.set(START.astimezone(UTC))
    chat = OwnerChat(app.engine, clock, "test:ana", language="fr")
    chat.say("/start")
    walk(chat, LOCAL_BAKERY)
    t = app.engine.translators["fr"]
    for week in range(8, 13):  # one post a week, against three planned
        clock.set(at(week, 2, 12).astimezone(UTC))
        chat.say("/posted instagram")
    runner = NudgeRunner(app.engine)
    review_day = datetime(2027, 2, 23, 9, tzinfo=PARIS)  # three months after 23 November
    assert all("review" not in c.kinds for c in runner.sweep(review_day - timedelta(hours=1)))
    (claimed,) = runner.sweep(review_day)
    assert claimed.kind == "review" and len(claimed.replies) == 1
    text, choices = claimed.replies[0].text, [c.id for c in claimed.replies[0].choices]
    assert "objectif 3, aujourd'hui 1" in text, "posts a week, measured over the last four weeks"
    assert t.tr("figure_name.awareness") in text, "the objective's figure, asked"
    assert choices[:3] == ["review:goal:below", "review:goal:way", "review:goal:reached"]
    assert "edit:plan_cadence" in choices and choices[-1] == "review:keep", "posts short: the cadence"
    clock.set(review_day.astimezone(UTC) + timedelta(minutes=5))
    replies = chat.tap("review:goal:below", step="@review")
    assert {"edit:plan_cadence", "edit:plan_objectives"} <= {c.id for c in replies[-1].choices}
    replies = chat.tap("edit:plan_cadence", step="@review")
    assert chat.record().state == "plan_cadence", "one tap opens the part, as /plan cadence"
    later = [c for day in range(1, 8) for c in runner.sweep(review_day + timedelta(days=day))]
    assert all("review" not in c.kinds for c in later), "one review per plan"


def test_an_owner_says_their_city_once_and_reminders_follow_their_clock(app: App, clock: FixedClock) -> None:
    clock.set(START.astimezone(UTC))
    chat = OwnerChat(app.engine, clock, "telegram:77", language="fr")
    chat.say("/start")
    walk(chat, LOCAL_BAKERY)
    assert chat.step == "@city" and "Paris" in chat.last[-1].text, "the zone assumed, and the question"
    chat.say("Montréal")
    assert chat.record().prefs.timezone == "America/Montreal"
    montreal = ZoneInfo("America/Montreal")
    runner = NudgeRunner(app.engine)
    monday = datetime(2026, 11, 30, 9, tzinfo=montreal)
    assert all("weekly" not in c.kinds for c in runner.sweep(monday - timedelta(minutes=1)))
    assert any("weekly" in c.kinds for c in runner.sweep(monday)), "the memo at 9:00 in Montreal"


def test_a_holiday_keeps_the_streak_without_spending_the_freeze(app: App, clock: FixedClock) -> None:
    clock.set(START.astimezone(UTC))
    chat = OwnerChat(app.engine, clock, "test:ana", language="fr")
    chat.say("/start")
    walk(chat, LOCAL_BAKERY)
    t = app.engine.translators["fr"]
    for week in (0, 1, 2, 5):
        for day in (0, 2, 4):
            clock.set(at(week, day, 12).astimezone(UTC))
            chat.say("/posted instagram")
    clock.set(at(3, 0, 10).astimezone(UTC))
    chat.say("/settings holiday 2026-12-20")  # week 3 off; week 4 is simply quieter
    clock.set(at(5, 6, 18).astimezone(UTC))
    progress = chat.say("/progress")[0].text
    assert t.tr("week.streak", weeks=4) in progress, "weeks 0, 1, 2 and 5; the holiday and a freeze between"
    assert t.count("memo.frozen", 1) in progress, "one freeze spent, for week 4 only"
