"""How the pictures look: the fonts shipped with matplotlib, a colour-blind-safe palette, large type.

The palette is Okabe and Ito's ("Color Universal Design", 2008), told apart by people with any
common colour-vision deficiency; every series is also told apart by shape or pattern, never by
colour alone. Type sizes are for a 1080-pixel-wide image shown on a phone about 360 points wide:
nothing under about 11 points once scaled down.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display, no GUI toolkit: the same pictures on a server as on a laptop

from matplotlib import font_manager
from PIL import Image

BLUE = "#0072B2"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
SKY = "#56B4E9"
GREEN = "#009E73"
PURPLE = "#CC79A7"
INK = "#1A1A1A"
GREY = "#6E6E6E"
LIGHT = "#E6E6E6"
PAPER = "#FFFFFF"

FONT_FAMILY = "DejaVu Sans"
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
"""The fonts used, from matplotlib's own wheel: every Latin accent, no system font needed."""


def font_folder() -> Path:
    """Where matplotlib keeps the fonts it ships."""
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@cache
def fonts() -> tuple[Path, ...]:
    """Register the shipped fonts with matplotlib (once) and return their files."""
    paths = tuple(font_folder() / name for name in FONT_FILES)
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"matplotlib's bundled font is missing: {path}")
        font_manager.fontManager.addfont(str(path))
    return paths


DRAWING = threading.Lock()
"""One drawing at a time in a process: matplotlib's settings (`rc_context`) are process-wide, and
the figures kept for the chart are shared. Threads would not draw faster anyway (the GIL)."""

RC: dict[Any, Any] = {
    "font.family": FONT_FAMILY,
    "font.size": 24,
    "axes.titlesize": 28,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 22,
    "axes.edgecolor": GREY,
    "axes.linewidth": 1.2,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.labelsize": 22,
    "ytick.labelsize": 22,
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.fontsize": 21,
    "legend.frameon": False,
    "text.color": INK,
    "axes.labelcolor": INK,
    "text.hinting": "no_hinting",  # a fifth less time a chart, no visible change at these sizes
    "pdf.fonttype": 42,  # TrueType in the PDF: its text can be selected, searched and extracted
    "svg.fonttype": "none",
}
"""matplotlib settings for every picture, applied with `rc_context` (nothing global changes)."""


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


@cache
def palette() -> Image.Image:
    """The chart's colours with their blends into white (the edges of antialiased shapes and text).

    Reducing a drawing to these (no dithering) takes a tenth of the time an adaptive palette
    takes, keeps the colours exact, and quarters the PNG.
    """
    colours: list[tuple[int, ...]] = [(255, 255, 255)]
    for colour in (BLUE, ORANGE, VERMILLION, SKY, GREEN, INK, GREY, LIGHT):
        red, green, blue = _rgb(colour)
        for strength in (1, 0.85, 0.7, 0.55, 0.4, 0.25):
            colours.append(tuple(round(strength * c + (1 - strength) * 255) for c in (red, green, blue)))
    flat = [value for colour in colours for value in colour]
    image = Image.new("P", (1, 1))
    image.putpalette(flat + [255] * (768 - len(flat)))
    return image
