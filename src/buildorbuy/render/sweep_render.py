"""Renderers for sweep: winner rows (one parameter) or a winner map (two), markdown, csv, json."""

from __future__ import annotations

import io
import json

import numpy as np

from buildorbuy.analysis.sweep import SweepResult
from buildorbuy.render import formatting as fmt
from buildorbuy.render.tables import markdown_table, rich_table, text_console

PATH_STYLES = ["black on green", "black on cyan", "black on yellow", "white on magenta", "white on blue", "white on red"]
"""Background colours of each path's cells in a winner map (cycled)."""
GRID_WIDTH_LIMIT = 16
"""Above this many columns a winner map uses one character per cell."""


def value_text(value: float, digits: int = 4) -> str:
    """A parameter value in at most `digits` significant digits: 2.5B, 0.0012, 12."""
    if value != 0 and abs(value) >= 1e4:
        sign = "-" if value < 0 else ""
        for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(value) >= limit:
                return f"{sign}{abs(value) / limit:.{digits}g}{suffix}"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value)}"
    return f"{value:.{digits}g}"


def codes(result: SweepResult) -> list[str]:
    """One letter per path (A, B, C…), in scenario order."""
    return [chr(ord("A") + i) if i < 26 else str(i) for i in range(len(result.names))]


def heading(result: SweepResult) -> str:
    sc = result.scenario
    over = " × ".join(f"{p} ({len(v)} value{'s' if len(v) != 1 else ''})" for p, v in zip(result.params, result.values))
    return f"Sweep of {sc.name}: NPV ({sc.currency}) over {over}"


def region_lines(result: SweepResult) -> list[str]:
    if len(result.params) == 1:
        lines = []
        for region in result.regions():
            who = region["winner"] or "no path (none feasible and serving all traffic)"
            span = value_text(region["from"]) if region["from"] == region["to"] else f"{value_text(region['from'])} to {value_text(region['to'])}"
            lines.append(f"{who} wins for {result.params[0]} = {span}")
        return lines
    total = result.size
    return [f"{name or 'no path'} wins at {count:,} of {total:,} points ({count / total:.0%})" for name, count in result.win_counts().items()]


def _one_param_rows(result: SweepResult) -> tuple[list[str], list[list[str]]]:
    header = [result.params[0], *result.names, "winner"]
    rows = []
    for n, value in enumerate(result.values[0]):
        w = int(result.winner[n])
        cells = [value_text(float(value))]
        for i in range(len(result.names)):
            mark = " ★" if i == w else ("" if result.recommendable[n, i] else " ✗")
            cells.append(fmt.money(float(result.npv[n, i])) + mark)
        cells.append(result.winner_name(w) or "—")
        rows.append(cells)
    return header, rows


def _legend(result: SweepResult) -> list[str]:
    return [f"{code} = {name}" for code, name in zip(codes(result), result.names)] + ["· = no path feasible and serving all traffic"]


def _grid_2d(result: SweepResult, index: tuple[int, ...] = ()) -> np.ndarray:
    """The winner codes of the first two axes (further axes fixed at `index`), [rows, cols] of str."""
    letters = np.array([*codes(result), "·"])
    winners = result.winner[(slice(None), slice(None), *index)]
    return letters[np.where(winners < 0, len(result.names), winners)]


def render_table(result: SweepResult, *, color: bool, width: int | None = None) -> str:
    from rich.text import Text

    console = text_console(color=color, width=width, default_width=120)
    console.print(Text(heading(result), style="bold"))
    for line in region_lines(result):
        console.print(f"  {line}", markup=False)
    if len(result.params) == 1:
        header, rows = _one_param_rows(result)
        console.print(rich_table("NPV by value (★ winner, ✗ infeasible or leaves traffic unserved)", header, rows, right_from=1))
    else:
        extra = result.params[2:]
        if extra:
            console.print(f"  (map at the first value of {', '.join(extra)}; use --format csv or json for every point)")
        console.print(_winner_map(result, color))
        console.print("  " + "   ".join(_legend(result)), markup=False)
    return console.file.getvalue()


def _winner_map(result: SweepResult, color: bool):
    from rich.text import Text

    grid = _grid_2d(result, (0,) * (len(result.params) - 2))
    rows_v, cols_v = result.values[0], result.values[1]
    row_labels = [value_text(float(v)) for v in rows_v]
    label_width = max(len(label) for label in row_labels)
    compact = len(cols_v) > GRID_WIDTH_LIMIT
    cell = 1 if compact else max(3, *(len(value_text(float(v))) for v in cols_v)) + 1
    styles = {code: PATH_STYLES[i % len(PATH_STYLES)] for i, code in enumerate(codes(result))}
    text = Text()
    text.append(f"rows: {result.params[0]}   columns: {result.params[1]}\n", style="bold")
    if compact:
        text.append(" " * label_width + f" {value_text(float(cols_v[0]))} … {value_text(float(cols_v[-1]))} ({len(cols_v)} values)\n")
    else:
        text.append(" " * label_width + "".join(value_text(float(v)).rjust(cell) for v in cols_v) + "\n")
    for label, row in zip(row_labels, grid):
        text.append(label.rjust(label_width) + " ")
        for code in row:
            body = code if compact else code.rjust(cell - 1) + " "
            text.append(body, style=styles.get(code, "") if color else "")
        text.append("\n")
    return text


def render_markdown(result: SweepResult) -> str:
    from buildorbuy.render.escape import markdown as md

    out = [f"## {md(heading(result))}", ""]
    out += [f"- {md(line)}" for line in region_lines(result)] + [""]
    if len(result.params) == 1:
        header, rows = _one_param_rows(result)
        out += ["★ winner, ✗ infeasible or leaves traffic unserved.", "", markdown_table(header, rows, right_from=1), ""]
    else:
        grid = _grid_2d(result, (0,) * (len(result.params) - 2))
        header = [f"{result.params[0]} ↓ / {result.params[1]} →", *(value_text(float(v)) for v in result.values[1])]
        rows = [[value_text(float(v)), *row] for v, row in zip(result.values[0], grid)]
        out += [md("Winner at each point: " + "; ".join(_legend(result)) + "."), "", markdown_table(header, rows, right_from=1), ""]
    if result.warnings:
        out += ["### Warnings", ""] + [f"- {md(w)}" for w in result.warnings] + [""]
    return "\n".join(out)


def render_csv(result: SweepResult) -> str:
    """One row per point: the parameter values, each path's NPV, the winner."""
    buffer = io.StringIO()
    from buildorbuy.render.escape import csv_writer  # text cells formula-safe

    writer = csv_writer(buffer)
    writer.writerow([*result.params, *(f"npv:{name}" for name in result.names), "winner"])
    flat = [g.ravel() for g in result.grid()]
    npv = result.npv.reshape(result.size, len(result.names))
    winners = result.winner.ravel()
    for n in range(result.size):
        writer.writerow([*(repr(float(g[n])) for g in flat), *(f"{v:.2f}" for v in npv[n]), result.winner_name(int(winners[n])) or ""])
    return buffer.getvalue()


def render_json(result: SweepResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)


RENDERERS = {"markdown": render_markdown, "csv": render_csv, "json": render_json}
