"""The plan on one page (`PlanCard`), drawn as a PNG to look at and a PDF to print.

One A4 page: the business's name on a coloured band, then the plan in two columns (goals,
audience, networks and pace, content themes, self-promotion; replies, who does what,
listening, hours and cost, ads and tools), the figures to track with their baseline and target,
and the review date. Optional parts (themes, figures, money for ads and tools) are shown only
when the plan has them. The same matplotlib figure is saved by the Agg backend (PNG) and the
PDF backend, with TrueType fonts embedded so the PDF's text can be searched and copied.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import FigureCanvasPdf
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle

from bot import plan
from bot.flows import Flows
from bot.i18n import Translator
from bot.pictures import look
from bot.store.base import OwnerRecord

PAGE_WIDTH, PAGE_HEIGHT = 8.27, 11.69
"""A4, in inches."""
PNG_DPI = 150
"""1240 × 1754 pixels: sharp on a phone, fine on paper."""
MARGIN = 0.6
LABEL_SIZE, VALUE_SIZE, TABLE_SIZE = 11.5, 15, 13
WRAP = 34
"""Characters per line of a value in one column, at VALUE_SIZE (DejaVu Sans)."""


@dataclass(frozen=True)
class TrackedFigure:
    """A figure the plan tracks: its name, today's value (if known) and the target for the review."""

    name: str
    target: str
    baseline: str | None = None


@dataclass(frozen=True)
class PlanCard:
    """What the card shows; texts already in the owner's language, numbers formatted when drawn.

    Every field but the business's name and the date may be empty: a part left empty is not
    drawn. `themes`, `figures` and `budget` (money per month for ads and tools) come with the
    reworked plan; `review` is the date of the plan's review.
    """

    business: str
    made: date
    objectives: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    cadence: float | None = None
    promo_ceiling: float | None = None
    reply_target: str | None = None
    responsible: str | None = None
    listening: str | None = None
    minutes: float | None = None
    """The minutes a week the plan takes (what its cost counts)."""
    monthly_cost: float | None = None
    currency: str = plan.DEFAULT_CURRENCY
    review: date | None = None
    themes: tuple[str, ...] = ()
    figures: tuple[TrackedFigure, ...] = ()
    budget: float | None = None


def _labels(flows: Flows, answers: dict[str, Any], field: str, t: Translator) -> tuple[str, ...]:
    step = flows.plan_step(field)
    value = answers.get(step.id) if step else None
    if step is None or value in (None, []):
        return ()
    chosen = value if isinstance(value, list) else [value]
    return tuple(t.tr(c.label) for c in step.choices if c.id in chosen)


def _number(flows: Flows, answers: dict[str, Any], field: str) -> float | None:
    step = flows.plan_step(field)
    value = answers.get(step.id) if step else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def plan_card(record: OwnerRecord, flows: Flows, t: Translator, now: datetime) -> PlanCard:
    """The card of the owner's plan as it stands, in their language."""
    answers = record.answers

    def one(field: str) -> str | None:
        found = _labels(flows, answers, field, t)
        return found[0] if found else None

    made = datetime.fromisoformat(record.completed_at).date() if record.completed_at else now.date()
    return PlanCard(
        business=answers.get("business_name") or t.tr("plan.fallback_name"),
        made=made,
        objectives=_labels(flows, answers, "objectives", t),
        audience=_labels(flows, answers, "audience", t),
        networks=_labels(flows, answers, "networks", t),
        cadence=_number(flows, answers, "cadence"),
        promo_ceiling=_number(flows, answers, "promo_share"),
        reply_target=one("reply_time"),
        responsible=one("responsible"),
        listening=one("listening"),
        minutes=plan.weekly_minutes(answers),
        monthly_cost=plan.monthly_cost(answers, flows),
        currency=plan.currency(answers, flows),
        review=plan.review_date(record.completed_at, now),
        themes=tuple(plan.themes(answers, t)) if answers.get("sector") else (),
        figures=tuple(
            TrackedFigure(
                t.tr(f"figure_name.{f.key}"),
                t.number(f.target) if f.target is not None else "0",
                t.number(f.baseline) if f.baseline is not None else None,
            )
            for f in plan.tracked(answers)
        ),
        budget=_number(flows, answers, "budget"),
    )


def sections(card: PlanCard, t: Translator) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The card's parts as (title, text), left column then right; empty parts left out."""
    left: list[tuple[str, str]] = []
    right: list[tuple[str, str]] = []

    def add(column: list[tuple[str, str]], key: str, text: str | None) -> None:
        if text:
            column.append((t.tr(key), text))

    add(left, "plan.objectives", ", ".join(card.objectives))
    add(left, "plan.audience", ", ".join(card.audience))
    add(left, "plan.networks", ", ".join(card.networks))
    if card.cadence is not None:
        add(left, "plan.cadence", t.count("plan.value.cadence", card.cadence))
    add(left, "card.themes", ", ".join(card.themes))
    if card.promo_ceiling is not None:
        add(left, "plan.promo_share", t.tr("plan.value.promo_share", percent=t.percent(card.promo_ceiling)))
    add(right, "plan.reply_time", card.reply_target)
    add(right, "plan.responsible", card.responsible)
    add(right, "plan.listening", card.listening)
    if card.minutes is not None:
        add(right, "plan.hours", t.tr("card.per_week", amount=t.minutes(card.minutes)))
    if card.monthly_cost is not None:
        add(right, "plan.cost", t.tr("plan.value.budget", budget=t.money(card.monthly_cost, card.currency)))
    if card.budget is not None:
        add(right, "card.budget", t.tr("plan.value.budget", budget=t.money(card.budget, card.currency)))
    return left, right


def figure_lines(card: PlanCard, t: Translator) -> list[tuple[str, str]]:
    """Each figure to track as (name, "baseline → target")."""
    return [
        (
            f.name,
            t.tr("card.figure", baseline=f.baseline, target=f.target)
            if f.baseline
            else t.tr("card.figure_new", target=f.target),
        )
        for f in card.figures
    ]


class _Page:
    """Places text on the page from the top down, in inches."""

    def __init__(self, figure: Figure) -> None:
        self.figure = figure

    def text(self, x: float, y: float, text: str, **style: Any) -> None:
        self.figure.text(x / PAGE_WIDTH, 1 - y / PAGE_HEIGHT, text, va="top", **style)

    def column(self, x: float, y: float, parts: list[tuple[str, str]], wrap: int) -> float:
        """Draw titled parts one under the other; return where the column ends."""
        for title, body in parts:
            self.text(x, y, title.upper(), fontsize=LABEL_SIZE, fontweight="bold", color=look.BLUE)
            y += LABEL_SIZE * 1.5 / 72
            lines = textwrap.wrap(body, wrap) or [""]
            self.text(x, y, "\n".join(lines), fontsize=VALUE_SIZE, linespacing=1.3)
            y += len(lines) * VALUE_SIZE * 1.3 / 72 + 0.28
        return y


def _figure(card: PlanCard, t: Translator) -> Figure:
    figure = Figure(figsize=(PAGE_WIDTH, PAGE_HEIGHT), facecolor=look.PAPER)
    page = _Page(figure)
    band = 1.55
    figure.patches.append(
        Rectangle(
            (0, 1 - band / PAGE_HEIGHT),
            1,
            band / PAGE_HEIGHT,
            transform=figure.transFigure,
            facecolor=look.BLUE,
            edgecolor="none",
        )
    )
    name_lines = textwrap.wrap(card.business, 30)[:2]
    page.text(MARGIN, 0.32, t.tr("card.title").upper(), fontsize=12, fontweight="bold", color=look.PAPER)
    page.text(
        MARGIN,
        0.58,
        "\n".join(name_lines),
        fontsize=28 if len(name_lines) == 1 else 22,
        fontweight="bold",
        color=look.PAPER,
        linespacing=1.1,
    )
    page.text(
        PAGE_WIDTH - MARGIN,
        0.32,
        t.tr("card.made", date=t.date(card.made)),
        fontsize=11,
        color=look.PAPER,
        ha="right",
    )
    left, right = sections(card, t)
    half = (PAGE_WIDTH - 2 * MARGIN) / 2
    top = band + 0.45
    bottom = max(page.column(MARGIN, top, left, WRAP), page.column(MARGIN + half + 0.2, top, right, WRAP - 2))
    figures = figure_lines(card, t)
    if figures:
        page.text(
            MARGIN,
            bottom,
            t.tr("card.figures").upper(),
            fontsize=LABEL_SIZE,
            fontweight="bold",
            color=look.BLUE,
        )
        bottom += LABEL_SIZE * 1.6 / 72
        for name, values in figures:  # a table, a size smaller: each side wrapped within its half
            names, numbers = textwrap.wrap(name, WRAP - 4) or [""], textwrap.wrap(values, WRAP) or [""]
            style = {"fontsize": TABLE_SIZE, "linespacing": 1.25}
            page.text(MARGIN, bottom, "\n".join(names), fontweight="bold", **style)
            page.text(MARGIN + half + 0.2, bottom, "\n".join(numbers), **style)
            bottom += max(len(names), len(numbers)) * TABLE_SIZE * 1.25 / 72 + TABLE_SIZE * 0.3 / 72
        bottom += 0.3
    if card.review is not None:
        box_top = max(bottom, PAGE_HEIGHT - 2.1)
        figure.patches.append(
            FancyBboxPatch(
                (MARGIN / PAGE_WIDTH, 1 - (box_top + 0.95) / PAGE_HEIGHT),
                1 - 2 * MARGIN / PAGE_WIDTH,
                0.95 / PAGE_HEIGHT,
                boxstyle="round,pad=0,rounding_size=0.012",
                transform=figure.transFigure,
                facecolor="#FFF4D6",
                edgecolor=look.ORANGE,
                linewidth=2,
            )
        )
        page.text(
            MARGIN + 0.25,
            box_top + 0.18,
            t.tr("card.review").upper(),
            fontsize=LABEL_SIZE,
            fontweight="bold",
            color=look.INK,
        )
        page.text(
            MARGIN + 0.25,
            box_top + 0.45,
            t.date(card.review),
            fontsize=VALUE_SIZE,
        )
    page.text(MARGIN, PAGE_HEIGHT - 0.45, t.tr("card.footer"), fontsize=10, color=look.GREY)
    return figure


def draw(card: PlanCard, t: Translator) -> tuple[bytes, bytes]:
    """The card as (PNG bytes, PDF bytes)."""
    look.fonts()
    with look.DRAWING, rc_context(look.RC):
        figure = _figure(card, t)
        png, pdf = io.BytesIO(), io.BytesIO()
        FigureCanvasAgg(figure)
        figure.savefig(png, format="png", dpi=PNG_DPI, facecolor=look.PAPER)
        FigureCanvasPdf(figure)
        figure.savefig(pdf, format="pdf", metadata={"Title": f"{t.tr('card.title')} — {card.business}"})
        return png.getvalue(), pdf.getvalue()
