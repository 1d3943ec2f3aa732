"""Draw the README's chart and card (docs/chart.png, docs/card.png) from a made-up bakery's eight weeks.

.venv/bin/python docs/pictures.py        (or `make docs`)
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_app
from bot.clock import FixedClock
from bot.config import ROOT, Settings
from bot.pictures import card, chart
from bot.pictures.replies import series_of
from bot.store.base import Post, ReplyWait
from bot.store.memory import MemoryStore
from tests.fakes.chat import OwnerChat
from tests.fakes.journeys import LOCAL_BAKERY, walk

FIRST_MONDAY = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
POSTS = (3, 2, 4, 3, 1, 3, 4, 2)
PROMOTIONAL = (0, 1, 0, 1, 0, 0, 1, 0)
WAIT_HOURS = (2, 3, 30, None, 1, 4, 20)
"""Hours each week's comments waited for a reply ("the same day" is 8 hours); None: none waited."""


def main() -> None:
    """Walk the bakery through its plan, log its weeks, draw both pictures in English."""
    clock = FixedClock(FIRST_MONDAY)
    app = build_app(Settings(data_dir=Path("unused")), store=MemoryStore(), clock=clock)
    chat = OwnerChat(app.engine, clock, "docs:bakery", language="en")
    chat.say("/start")
    walk(chat, {**LOCAL_BAKERY, "language": "en"})
    record = chat.record()
    for week, (posts, promotional) in enumerate(zip(POSTS, PROMOTIONAL, strict=True)):
        monday = FIRST_MONDAY + timedelta(weeks=week)
        for n in range(posts):
            record.posts.append(
                Post((monday + timedelta(days=2 * n, hours=n)).isoformat(), "instagram", n < promotional)
            )
        if week < len(WAIT_HOURS) and WAIT_HOURS[week] is not None:
            since = monday + timedelta(days=1)
            record.reply_waits.append(
                ReplyWait(since.isoformat(), (since + timedelta(hours=WAIT_HOURS[week])).isoformat())
            )
    t = app.engine.translators["en"]
    (ROOT / "docs" / "chart.png").write_bytes(
        chart.draw(series_of(record, app.engine.flows, t, date(2026, 11, 26)), t)
    )
    png, _ = card.draw(card.plan_card(record, app.engine.flows, t, clock.now()), t)
    (ROOT / "docs" / "card.png").write_bytes(png)


if __name__ == "__main__":
    main()
