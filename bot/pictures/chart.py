"""The chart of the weeks: posts against the cadence, self-promotion against its ceiling, replies.

One PNG, 1080 × 1350 pixels (a phone's portrait 4:5), three panels sharing the weeks: stacked
bars of posts (promotional ones orange and hatched) under the plan's cadence, the share of
self-promotion under its ceiling (weeks over it are triangles, not only another colour), and a
row of marks for replies within the target (● on time, ✖ late, – nothing logged). Dates and
numbers are the owner's (Babel). `bot.pictures.caption` says the same figures in words.

Drawing is the costly part of a weekly push, so a process keeps one figure per language and
number of weeks and only changes its data from one owner to the next (a new figure costs about
a third more); the PNG is reduced to the palette's colours (`look.palette`), a quarter of the bytes.
"""

from __future__ import annotations

import io
import textwrap
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from babel.dates import format_date
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator
from PIL import Image

from bot.i18n import Translator
from bot.pictures import look
from bot.pictures.weeks import LATE, NONE, ON_TIME, WeekSeries

WIDTH, HEIGHT, DPI = 1080, 1350, 100
PNG_EFFORT = 3
"""zlib level: 48 KB a chart in 5 ms, against 36 KB in 11 ms at the default 6."""
TITLE_SIZE, TITLE_FITS, TITLE_MAX = 38, 27, 52
"""The business's name: this size up to this many characters, smaller beyond, cut past the last."""
REPLY_MARKS = {ON_TIME: ("o", look.GREEN, 26), LATE: ("X", look.VERMILLION, 30), NONE: ("_", look.GREY, 30)}
"""Marker, colour and size of each way a week's replies went: told apart by shape first."""


def _day(t: Translator, day: Any) -> str:
    return format_date(day, format="d MMM", locale=t.locale)


def week_labels(series: WeekSeries, t: Translator) -> list[str]:
    """Each week's label, on two lines: the day and month of its Monday, or "this week" while it runs."""
    return [
        (_day(t, w.start) if w.complete else t.tr("chart.this_week")).replace(" ", "\n", 1)
        for w in series.weeks
    ]


@dataclass(frozen=True)
class Plotted:
    """What a chart shows, read back from its drawing: lets a test hold it against the owner's data."""

    other_posts: tuple[float, ...]
    promo_posts: tuple[float, ...]
    cadence: float | None
    promo_shares: tuple[tuple[float, float], ...]
    ceiling: float
    replies: tuple[tuple[float, str], ...]
    labels: tuple[str, ...]


class _Painter:
    """One figure for a number of weeks in one language, redrawn with each owner's figures."""

    def __init__(self, weeks: int, t: Translator) -> None:
        self.t = t
        self.weeks = weeks
        figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor=look.PAPER)
        self.canvas = FigureCanvasAgg(figure)
        self.figure = figure
        grid = figure.add_gridspec(3, 1, height_ratios=(5, 3, 1.1), hspace=0.6)
        figure.subplots_adjust(left=0.11, right=0.96, top=0.775, bottom=0.115)
        self.posts, self.promo, self.replies = (figure.add_subplot(grid[n]) for n in range(3))
        self.title = figure.text(0.04, 0.965, "", fontsize=TITLE_SIZE, fontweight="bold", va="top")
        self.subtitle = figure.text(0.04, 0.91, "", fontsize=25, color=look.GREY, va="top")
        figure.text(0.04, 0.015, t.tr("chart.replies.key"), fontsize=21, color=look.GREY, va="bottom")
        x = range(weeks)
        for axes in (self.posts, self.promo, self.replies):
            axes.set_xlim(-0.6, weeks - 0.4)
            axes.set_xticks(x if axes is self.replies else [])
            axes.set_axisbelow(True)
        self.replies.tick_params(axis="x", length=0, pad=10)
        # Titles and the legend are placed once, as plain texts: matplotlib's automatic title
        # placement and legend layout cost a third of each drawing.
        self.panel_titles = {
            axes: figure.text(0.04, axes.get_position().y1 + lift, "", fontsize=28, fontweight="bold")
            for axes, lift in ((self.posts, 0.062), (self.promo, 0.022), (self.replies, 0.022))
        }
        self.panel_titles[self.posts].set_text(t.tr("chart.posts"))
        # Posts: stacked bars with their counts on top (no axis: the counts say it), the cadence dashed.
        zeros = [0] * weeks
        self.other = self.posts.bar(x, zeros, width=0.66, color=look.BLUE)
        self.promoted = self.posts.bar(
            x, zeros, width=0.66, color=look.ORANGE, hatch="//", edgecolor=look.PAPER, linewidth=0
        )
        self.counts = [
            self.posts.text(n, 0, "", ha="center", va="bottom", fontsize=24, fontweight="bold") for n in x
        ]
        self.cadence = self.posts.axhline(1, color=look.INK, linestyle=(0, (6, 4)), linewidth=2.5)
        self.posts.set_yticks([])
        self.posts.spines["left"].set_visible(False)
        self.cadence_label = self._legend(self.posts.get_position().y1 + 0.022, t)
        # Self-promotion: the share per week (circles within the ceiling, triangles over it).
        self.ceiling = self.promo.axhline(10, color=look.INK, linestyle=(0, (6, 4)), linewidth=2.5)
        (self.share_line,) = self.promo.plot([], [], color=look.SKY, linewidth=3, zorder=2)
        (self.within,) = self.promo.plot([], [], "o", markersize=15, color=look.BLUE, zorder=3)
        (self.over,) = self.promo.plot([], [], "^", markersize=19, color=look.VERMILLION, zorder=3)
        (self.no_posts,) = self.promo.plot([], [], "_", markersize=24, markeredgewidth=3, color=look.GREY)
        self.promo.yaxis.set_major_locator(MaxNLocator(nbins=3))
        self.promo.yaxis.set_major_formatter(FuncFormatter(lambda value, _: t.percent(value)))
        self.promo.grid(axis="y", color=look.LIGHT, linewidth=1)
        # Replies: one mark per week.
        self.marks = {
            status: self.replies.plot([], [], marker, markersize=size, markeredgewidth=4, color=colour)[0]
            for status, (marker, colour, size) in REPLY_MARKS.items()
        }
        self.replies.set_ylim(0, 1)
        self.replies.set_yticks([])
        self.replies.spines["left"].set_visible(False)

    def _legend(self, y: float, t: Translator) -> Text:
        """Other posts ▮, promotional ▨, and the plan's dashes (its text, which changes, last)."""
        figure, renderer = self.figure, self.canvas.get_renderer()  # type: ignore[no-untyped-call]
        x = 0.04
        for colour, hatch, key in (
            (look.BLUE, None, "chart.posts.other"),
            (look.ORANGE, "//", "chart.posts.promo"),
        ):
            figure.patches.append(
                Rectangle(
                    (x, y),
                    0.035,
                    0.016,
                    transform=figure.transFigure,
                    facecolor=colour,
                    hatch=hatch,
                    edgecolor=look.PAPER,
                    linewidth=0,
                )
            )
            label = figure.text(x + 0.045, y + 0.008, t.tr(key), fontsize=21, va="center")
            x += 0.045 + label.get_window_extent(renderer).width / WIDTH + 0.035
        figure.lines.append(
            Line2D(
                [x, x + 0.045],
                [y + 0.008] * 2,
                transform=figure.transFigure,
                color=look.INK,
                linestyle=(0, (6, 4)),
                linewidth=2.5,
            )
        )
        return figure.text(x + 0.055, y + 0.008, "", fontsize=21, va="center")

    def paint(self, series: WeekSeries) -> None:
        """Put one owner's figures on the figure."""
        t, weeks = self.t, series.weeks
        self.title.set_text(textwrap.shorten(series.business, TITLE_MAX, placeholder="…"))
        self.title.set_fontsize(TITLE_SIZE * min(1.0, TITLE_FITS / max(len(self.title.get_text()), 1)))
        self.subtitle.set_text(t.tr("chart.subtitle", date=_day(t, weeks[0].start)))
        other = [w.posts - w.promo for w in weeks]
        top = max([w.posts for w in weeks] + [series.cadence or 0, 1])
        for n, week in enumerate(weeks):
            fade = 1.0 if week.complete else 0.55
            for bar, height, bottom in (
                (self.other[n], other[n], 0),
                (self.promoted[n], week.promo, other[n]),
            ):
                bar.set_height(height)
                bar.set_y(bottom)
                bar.set_alpha(fade)
            self.counts[n].set_text(t.number(week.posts))
            self.counts[n].set_y(week.posts + top * 0.03)
        self.cadence.set_visible(series.cadence is not None)
        self.cadence.set_ydata([series.cadence or 0] * 2)
        self.cadence_label.set_text(t.tr("chart.cadence", cadence=t.number(series.cadence or 0)))
        self.posts.set_ylim(0, top * 1.28)
        shares = [(n, w.promo_share) for n, w in enumerate(weeks)]
        shown = [(n, s) for n, s in shares if s is not None]
        ceiling = series.promo_ceiling
        highest = max([s for _, s in shown] + [ceiling, 10])
        self.ceiling.set_ydata([ceiling] * 2)
        self.panel_titles[self.promo].set_text(t.tr("chart.promo", ceiling=t.percent(ceiling)))
        self.share_line.set_data([n for n, _ in shown], [s for _, s in shown])
        self.within.set_data([n for n, s in shown if s <= ceiling], [s for _, s in shown if s <= ceiling])
        self.over.set_data([n for n, s in shown if s > ceiling], [s for _, s in shown if s > ceiling])
        empty = [n for n, s in shares if s is None]
        self.no_posts.set_data(empty, [0] * len(empty))
        self.promo.set_ylim(-highest * 0.1, highest * 1.3)
        for status, line in self.marks.items():
            picked = [n for n, w in enumerate(weeks) if w.replies == status]
            line.set_data(picked, [0.5] * len(picked))
        target = series.reply_target or t.number(series.reply_target_hours or 0) + " h"
        self.panel_titles[self.replies].set_text(t.tr("chart.replies", target=target))
        self.replies.set_xticks(range(len(weeks)), week_labels(series, t))

    def png(self) -> bytes:
        """The figure as a palette PNG."""
        self.canvas.draw()  # type: ignore[no-untyped-call]
        rgba = self.canvas.buffer_rgba()  # type: ignore[no-untyped-call]
        image = Image.frombuffer("RGBA", self.canvas.get_width_height(), rgba, "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        reduced = image.convert("RGB").quantize(palette=look.palette(), dither=Image.Dither.NONE)
        reduced.save(buffer, format="png", compress_level=PNG_EFFORT)
        return buffer.getvalue()

    def plotted(self) -> Plotted:
        """What is on the figure now."""
        shares = sorted(
            (float(x), float(y))
            for line in (self.within, self.over)
            for x, y in zip(np.asarray(line.get_xdata()), np.asarray(line.get_ydata()), strict=True)
        )
        replies = sorted(
            (float(x), status) for status, line in self.marks.items() for x in np.asarray(line.get_xdata())
        )
        return Plotted(
            other_posts=tuple(float(b.get_height()) for b in self.other),
            promo_posts=tuple(float(b.get_height()) for b in self.promoted),
            cadence=float(np.asarray(self.cadence.get_ydata())[0]) if self.cadence.get_visible() else None,
            promo_shares=tuple(shares),
            ceiling=float(np.asarray(self.ceiling.get_ydata())[0]),
            replies=tuple(replies),
            labels=tuple(label.get_text() for label in self.replies.get_xticklabels()),
        )


_painters: OrderedDict[tuple[int, str], _Painter] = OrderedDict()
PAINTERS_KEPT = 6
"""Figures kept (about 8 MB each): the usual eight weeks in both languages, and a few shorter."""


def _painter(weeks: int, t: Translator) -> _Painter:
    """The figure for `weeks` weeks in the translator's language (call holding `look.DRAWING`)."""
    key = (weeks, t.language)
    if key not in _painters:
        look.fonts()
        with rc_context(look.RC):
            _painters[key] = _Painter(weeks, t)
        while len(_painters) > PAINTERS_KEPT:
            _painters.popitem(last=False)
    _painters.move_to_end(key)
    return _painters[key]


def draw(series: WeekSeries, t: Translator) -> bytes:
    """The chart as PNG bytes."""
    with look.DRAWING, rc_context(look.RC):
        painter = _painter(len(series.weeks), t)
        painter.paint(series)
        return painter.png()


def plotted(series: WeekSeries, t: Translator) -> Plotted:
    """Draw the chart and read back what it shows (for tests)."""
    with look.DRAWING, rc_context(look.RC):
        painter = _painter(len(series.weeks), t)
        painter.paint(series)
        painter.canvas.draw()  # type: ignore[no-untyped-call]
        return painter.plotted()
