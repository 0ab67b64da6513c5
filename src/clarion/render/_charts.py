"""The report's charts, drawn by matplotlib as inline SVG (text kept as text, no fonts or
images fetched; the same figures always give the same bytes).

Only matplotlib's object API is used (``Figure``, never pyplot), so no GUI backend or global
state is touched; matplotlib is imported only when an HTML report is drawn.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Text on the charts: the page's text colour (contrast 16:1 on white).
INK = "#1b1f24"
GRID = "#d0d7de"
FONT = [
    "system-ui",
    "-apple-system",
    "Segoe UI",
    "Roboto",
    "Helvetica",
    "Arial",
    "DejaVu Sans",
    "sans-serif",
]


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=72, layout="constrained")


def _svg(fig: Figure, title: str) -> str:
    """The figure as an ``<svg>`` element for inlining, with ``title`` as its accessible name."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",  # text stays text: the page's own fonts, nothing embedded
            "svg.hashsalt": "clarion",  # ids the same on every run
            "font.family": "sans-serif",
            "font.sans-serif": FONT,
            "text.color": INK,
            "axes.labelcolor": INK,
            "xtick.color": INK,
            "ytick.color": INK,
        }
    ):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r'\s(width|height)="[^"]*pt"', "", text, count=2)
    safe = title.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return text.replace("<svg ", f'<svg role="img" aria-label="{safe}" ', 1)


def _style(ax: Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color(GRID)
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(colors=INK, labelsize=13)


def stacked_days(
    title: str,
    days: Sequence[str],
    series: Mapping[str, Sequence[int]],
    colours: Mapping[str, str],
) -> str:
    """One bar per day, stacked by platform (``series``: platform label -> a value per day)."""
    import matplotlib

    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": FONT}):
        fig = _figure(8.5, 3.6)
        ax = fig.subplots()
        bottom: list[float] = [0.0] * len(days)
        for label, values in series.items():
            ax.bar(
                days,
                values,
                bottom=bottom,
                label=label,
                color=colours.get(label, "#555"),
                edgecolor="white",  # a line between stacked parts
                linewidth=1,
            )
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        _style(ax)
        ax.set_ylabel("likes + reposts + replies + quotes", color=INK, fontsize=12)
        ax.legend(
            frameon=False, labelcolor=INK, ncols=min(4, len(series)), loc="upper right", fontsize=12
        )
        ax.set_ylim(0, max([*bottom, 1]) * 1.25)
        return _svg(fig, title)


def grouped(
    title: str,
    groups: Sequence[str],
    series: Mapping[str, Sequence[int | None]],
    colours: Sequence[str],
) -> str:
    """Bars side by side: for each of ``groups`` (a platform), one bar per series (a count);
    a count the platform does not give is left blank, never drawn as 0."""
    import matplotlib

    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": FONT}):
        fig = _figure(8.5, 3.6)
        ax = fig.subplots()
        n = max(1, len(series))
        width = 0.8 / n
        for i, (label, values) in enumerate(series.items()):
            xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
            shown = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
            if shown:
                ax.bar(
                    [x for x, _ in shown],
                    [v for _, v in shown],
                    width=width,
                    label=label,
                    color=colours[i % len(colours)],
                )
        ax.set_xticks(range(len(groups)), groups)
        _style(ax)
        ax.legend(frameon=False, labelcolor=INK, ncols=min(4, n), loc="upper right", fontsize=12)
        top = max([v for vs in series.values() for v in vs if v is not None] + [1])
        ax.set_ylim(0, top * 1.25)
        return _svg(fig, title)
