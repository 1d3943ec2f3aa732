"""A link to a post typed or forwarded once the plan is done: logged as a post, once per link."""

from __future__ import annotations

from datetime import datetime

from bot import tracking
from bot.feeds.command import local_date, network_name
from bot.feeds.counting import LINK, add_detected, has_link
from bot.feeds.links import recognise_post_link
from bot.flows import Flows
from bot.i18n import Translator
from bot.store.base import OwnerRecord


def note_link(record: OwnerRecord, text: str, flows: Flows, t: Translator, now: datetime) -> str | None:
    """Log the post `text` links to and say so; None when `text` holds no link to a post."""
    found = recognise_post_link(text)
    if found is None:
        return None
    network, link = found
    earlier = has_link(record, link)
    if earlier is not None:
        return t.tr("feeds.pasted_again", date=local_date(record, earlier.moment, t))
    add_detected(record, network, now, link, LINK)
    noted = t.tr("feeds.pasted", network=network_name(flows, network, t))
    return noted + "\n\n" + tracking.week_view(record, flows, t, now)
