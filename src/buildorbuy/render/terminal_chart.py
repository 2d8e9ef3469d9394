"""Cumulative cost curves drawn in the terminal with Unicode braille (2 × 4 dots per character).

No plotting dependency: the chart is a rich `Text`. Each path gets a letter (A, B, …) written at
the right end of its curve and, under the month axis, at its go-live month; `◆` under the axis
marks the month the recommended path breaks even with the runner-up. Colour, when the console
has it, tells the curves apart too.
"""

from __future__ import annotations

import math
from typing import Sequence

from buildorbuy.render import formatting as fmt
from buildorbuy.render.i18n import t

# Braille dot bits by (column, row) inside a 2 × 4 cell (Unicode U+2800 block).
_DOT = {(0, 0): 0x01, (0, 1): 0x02, (0, 2): 0x04, (1, 0): 0x08, (1, 1): 0x10, (1, 2): 0x20, (0, 3): 0x40, (1, 3): 0x80}
COLORS = ("cyan", "magenta", "yellow", "green", "blue", "red")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def plot_grid(series: Sequence[Sequence[float]], width: int, height: int, low: float, high: float):
    """Rasterise curves into `height` rows of `width` braille cells.

    Returns (bits, owner): per cell the dot bits and the index of the last series drawn there (-1 if empty).
    """
    bits = [[0] * width for _ in range(height)]
    owner = [[-1] * width for _ in range(height)]
    px_w, px_h = 2 * width, 4 * height
    span = (high - low) or 1.0

    def to_py(value: float) -> int:
        y = round((value - low) / span * (px_h - 1))
        return px_h - 1 - min(max(y, 0), px_h - 1)

    for index, values in enumerate(series):
        n = len(values)
        if n == 0:
            continue
        previous = None
        for px in range(px_w):
            position = px / (px_w - 1) * (n - 1) if px_w > 1 and n > 1 else 0.0
            left = int(math.floor(position))
            right = min(left + 1, n - 1)
            frac = position - left
            py = to_py(values[left] * (1 - frac) + values[right] * frac)
            lo, hi = (py, py) if previous is None else (min(py, previous), max(py, previous))
            for y in range(lo, hi + 1):
                cell_x, cell_y = px // 2, y // 4
                bits[cell_y][cell_x] |= _DOT[(px % 2, y % 4)]
                owner[cell_y][cell_x] = index
            previous = py
    return bits, owner


def line_chart(
    series: dict[str, Sequence[float]],
    *,
    title: str,
    x_label: str,
    width: int = 80,
    height: int = 12,
    markers: dict[int, str] | None = None,
    color: bool = True,
):
    """A braille line chart as a rich Text: y labels on the left, month axis and `markers` below."""
    from rich.text import Text

    names = list(series)
    values = [list(map(float, series[n])) for n in names]
    months = max((len(v) for v in values), default=0)
    every = [x for v in values for x in v if math.isfinite(x)]
    low, high = (min(0.0, min(every)), max(every)) if every else (0.0, 1.0)
    if high <= low:
        high = low + 1.0
    labels = [fmt.money_short(high), fmt.money_short((high + low) / 2), fmt.money_short(low)]
    gutter = max(len(s) for s in labels) + 1
    plot_w = max(width - gutter - 10, 10)
    bits, owner = plot_grid(values, plot_w, height, low, high)

    # the letter of each series at the right end of its curve
    ends: dict[int, str] = {}
    for i, v in enumerate(values):
        if v:
            row = height - 1 - min(max(round((v[-1] - low) / (high - low) * (height - 1)), 0), height - 1)
            ends[row] = ends.get(row, "") + LETTERS[i % 26]

    style = (lambda i: COLORS[i % len(COLORS)]) if color else (lambda i: "")
    text = Text()
    text.append(title + "\n", style="bold" if color else "")
    for row in range(height):
        label = labels[0] if row == 0 else labels[1] if row == height // 2 else labels[2] if row == height - 1 else ""
        text.append(label.rjust(gutter - 1) + " ┤" if label else " " * gutter + "│")
        for col in range(plot_w):
            b = bits[row][col]
            text.append(chr(0x2800 + b) if b else " ", style=style(owner[row][col]) if b else "")
        if row in ends:
            text.append(" ")
            for letter in ends[row]:
                text.append(letter, style=style(LETTERS.index(letter)))
        text.append("\n")
    text.append(" " * gutter + "└" + "─" * plot_w + "\n")

    def column(month: int) -> int:
        return 0 if months <= 1 else round(month / (months - 1) * (plot_w - 1))

    if markers:
        line = [" "] * plot_w
        for month, mark in sorted(markers.items()):
            col = column(month)
            for k, ch in enumerate(mark):
                if col + k < plot_w:
                    line[col + k] = ch
        text.append(" " * (gutter + 1) + "".join(line).rstrip() + "\n")
    ticks = [" "] * (plot_w + 8)
    for month in sorted({0, (months - 1) // 2, months - 1} if months else {0}):
        label = str(month)
        col = min(column(month), plot_w - len(label)) if month == months - 1 else column(month)
        for k, ch in enumerate(label):
            ticks[col + k] = ch
    text.append(" " * (gutter + 1) + "".join(ticks).rstrip() + f"  {x_label}\n")
    return text


def cumulative_chart(cmp, *, width: int = 100, height: int = 12, lang: str = "en", color: bool = True):
    """Cumulative cost per path (from a Comparison) with go-live letters and the break-even mark."""
    from rich.text import Text

    series = {p.name: p.cumulative_cost for p in cmp.paths}
    markers: dict[int, str] = {}
    for i, p in enumerate(cmp.paths):
        if p.live_month > 0:
            markers[p.live_month] = markers.get(p.live_month, "") + LETTERS[i % 26]
    parts = cmp.recommendation.get("reason_parts") or {}
    month = parts.get("breakeven_month")
    if month is not None:
        markers[month] = markers.get(month, "") + "◆"
    chart = line_chart(series, title=t("chart.cumulative", lang, cur=cmp.currency), x_label=t("chart.month", lang),
                       width=width, height=height, markers=markers, color=color)
    legend = Text("  ")
    for i, p in enumerate(cmp.paths):
        legend.append(f"{LETTERS[i % 26]} ", style=("bold " + COLORS[i % len(COLORS)]) if color else "")
        legend.append(p.name + "   ")
    legend.rstrip()
    chart.append(legend)
    chart.append("\n  " + t("chart.legend_markers", lang) + "\n")
    return chart
