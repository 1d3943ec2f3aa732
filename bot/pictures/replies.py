"""The replies that carry pictures, as the engine and the reminders give them.

Only references travel in replies (and so in the outbox): `chart:<last day>` for the chart of
the weeks up to that day, `card:png` and `card:pdf` for the plan card. `bot.pictures.studio`
draws them when they are sent, or finds them drawn ahead.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from bot.events import Attachment, Reply
from bot.flows import DONE, Flows
from bot.i18n import Translator
from bot.nudges.prefs import Prefs
from bot.pictures.caption import caption
from bot.pictures.weeks import WeekSeries, week_series
from bot.store.base import OwnerRecord

CARD_WORDS = frozenset({"card", "carte", "fiche"})
"""What follows `/plan` to ask for the card, in either language."""
PNG, PDF = "image/png", "application/pdf"


def slug(name: str) -> str:
    """A file name's part from a business name: ASCII letters and digits joined by dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40] or "plan"


def business(record: OwnerRecord, t: Translator) -> str:
    """The business's name as the owner gave it."""
    return str(record.answers.get("business_name") or t.tr("plan.fallback_name"))


def series_of(record: OwnerRecord, flows: Flows, t: Translator, end: date) -> WeekSeries:
    """The figures of the owner's chart up to `end`, with names in their language."""
    step = flows.plan_step("reply_time")
    choice = step.choice(str(record.answers.get(step.id))) if step else None
    target = t.tr(choice.label) if choice else ""
    # Said after "Replies:", the option reads in lower case ("Within 2 hours" → "within 2 hours").
    return week_series(record, flows, end, business(record, t), target[:1].lower() + target[1:])


def chart_reply(record: OwnerRecord, flows: Flows, t: Translator, end: date) -> Reply:
    """The chart of the weeks up to `end` (the owner's date), its figures in words as the text."""
    series = series_of(record, flows, t, end)
    name = f"{slug(business(record, t))}-{end.isoformat()}.png"
    return Reply(
        caption(series, t), attachment=Attachment(name, mime=PNG, kind="photo", ref=f"chart:{end}")
    )


def progress_chart(record: OwnerRecord, flows: Flows, t: Translator, now: datetime) -> list[Reply]:
    """For `/progress` once the plan is made: the chart up to today."""
    if record.state != DONE:
        return []
    return [chart_reply(record, flows, t, Prefs.of(record.prefs, record.language).local(now).date())]


def weekly_chart(record: OwnerRecord, flows: Flows, t: Translator, now: datetime) -> Attachment:
    """The chart the weekly memo carries: the weeks up to yesterday (a Monday memo shows whole weeks).

    Its figures in words go in `content`: the alternative text a screen reader says.
    """
    end = Prefs.of(record.prefs, record.language).local(now).date() - timedelta(days=1)
    name = f"{slug(business(record, t))}-{end.isoformat()}.png"
    described = caption(series_of(record, flows, t, end), t)
    return Attachment(name, described, mime=PNG, kind="photo", ref=f"chart:{end}")


def wants_card(args: str) -> bool:
    """Whether `/plan <args>` asks for the card."""
    return args.strip().casefold() in CARD_WORDS


def card_replies(record: OwnerRecord, t: Translator) -> list[Reply]:
    """`/plan card`: the card as a picture, then as a PDF; or why not yet."""
    if record.state != DONE:
        return [Reply(t.tr("card.not_finished"))]
    name = "plan-" + slug(business(record, t))
    return [
        Reply(
            t.tr("card.ready"), attachment=Attachment(name + ".png", mime=PNG, kind="photo", ref="card:png")
        ),
        Reply(
            t.tr("card.pdf"), attachment=Attachment(name + ".pdf", mime=PDF, kind="document", ref="card:pdf")
        ),
    ]
