"""The chart's figures in words: its caption, and what a screen reader says instead of the picture.

Also how long a caption is as Telegram counts it (the tightest limit on a text under a picture).

Kept apart from the drawing so that the engine composes replies without loading matplotlib.
"""

from __future__ import annotations

from bot.i18n import Translator
from bot.pictures.weeks import LATE, NONE, ON_TIME, WeekSeries


def caption(series: WeekSeries, t: Translator) -> str:
    """The chart's figures in words, in the owner's language."""
    share = series.promo_share
    ceiling = t.percent(series.promo_ceiling)
    return "\n".join(
        [
            t.tr("chart.caption.title", date=t.date(series.weeks[0].start)),
            t.tr("chart.caption.posts", posted=t.number(series.posted), planned=t.number(series.planned)),
            t.tr(
                "chart.caption.pace",
                kept=t.number(series.weeks_on_cadence),
                weeks=t.number(len(series.weeks)),
            ),
            t.tr("chart.caption.promo_none", ceiling=ceiling)
            if share is None
            else t.tr("chart.caption.promo", share=t.percent(round(share)), ceiling=ceiling),
            t.tr(
                "chart.caption.replies",
                on_time=t.number(series.replies(ON_TIME)),
                late=t.number(series.replies(LATE)),
                none=t.number(series.replies(NONE)),
            ),
        ]
    )


def caption_length(text: str) -> int:
    """A text's length as Telegram counts it for a caption: in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2
