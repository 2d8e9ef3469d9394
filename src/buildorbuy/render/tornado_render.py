"""Renderers for tornado: a terminal bar chart (unicode bars around the base value), markdown, csv, json."""

from __future__ import annotations

import io
import json

from buildorbuy.analysis.tornado import TornadoResult, TornadoRow
from buildorbuy.render import formatting as fmt
from buildorbuy.render.sweep_render import value_text

LOW_BAR, HIGH_BAR = "▒", "█"
LOW_STYLE, HIGH_STYLE = "cyan", "magenta"
BAR_HALF = 24
"""Characters on each side of the base line."""


def metric_label(result: TornadoResult) -> str:
    if result.metric == "margin":
        return f"margin of {result.winner} over {result.runner_up} (runner-up NPV − winner NPV)"
    return f"NPV of {result.winner}"


def heading(result: TornadoResult) -> str:
    cur = result.scenario.currency
    swung = any(r.source == "swing" for r in result.rows)
    ranged = any(r.source == "range" for r in result.rows)
    how = (
        f"±{result.swing:.0%}" if not ranged
        else "within given ranges" if not swung
        else f"within given ranges (distributions: P10 to P90), the others ±{result.swing:.0%},"
    )
    return (
        f"Tornado of {result.scenario.name}: {metric_label(result)}, base {fmt.money(result.base_metric)} {cur}; "
        f"each input moved {how} alone"
    )


def _low_label(result: TornadoResult) -> tuple[str, str]:
    if any(r.source == "range" for r in result.rows):
        return "low", "high"
    return f"−{result.swing:.0%}", f"+{result.swing:.0%}"


def decision_text(row: TornadoRow, result: TornadoResult) -> str:
    if not row.flips:
        return ""
    lo, hi = _low_label(result)
    parts = []
    if row.winner_low != result.winner:
        parts.append(f"{lo}: {row.winner_low or 'none'} wins")
    if row.winner_high != result.winner:
        parts.append(f"{hi}: {row.winner_high or 'none'} wins")
    return "FLIPS — " + "; ".join(parts)


def _bar(row: TornadoRow, base: float, scale: float, half: int = BAR_HALF):
    """Two halves around the base line; the low input's part is ▒, the high input's █ (the shorter drawn on top)."""
    from rich.text import Text

    def cells(delta: float) -> int:
        return 0 if scale <= 0 else int(round(abs(delta) / scale * half))

    d_low, d_high = row.metric_low - base, row.metric_high - base
    left = [("", " ")] * half
    right = [("", " ")] * half
    order = sorted([(d_low, LOW_BAR, LOW_STYLE), (d_high, HIGH_BAR, HIGH_STYLE)], key=lambda item: -abs(item[0]))
    for delta, char, style in order:  # longer first, shorter over it
        n = cells(delta)
        if delta < 0:
            for k in range(n):
                left[half - 1 - k] = (style, char)
        elif delta > 0:
            for k in range(n):
                right[k] = (style, char)
    text = Text()
    for style, char in left:
        text.append(char, style=style)
    text.append("│")
    for style, char in right:
        text.append(char, style=style)
    return text


def _layout(cells, width: int, lo: str, hi: str) -> tuple[set[int], int, str]:
    """Columns to drop (1: values, 3: metric at low/high), bar half-width and bar header for `width`."""
    wide = f"{LOW_BAR} {lo}   lower ◀ │ ▶ higher   {HIGH_BAR} {hi}"
    narrow = f"{LOW_BAR} {lo} ◀│▶ {HIGH_BAR} {hi}"

    def widest(j: int, header: str) -> int:
        return max([len(c[j]) for c in cells] + [len(header)])

    decision = min(max([len(c[4]) for c in cells] + [len("decision")]), 16)
    for dropped in ((), (1,), (1, 3)):
        for half in (BAR_HALF, 16, 12, 8):
            header = wide if 2 * half + 1 >= len(wide) else narrow
            columns = [widest(0, "input"), max(2 * half + 1, len(header)), decision]
            if 1 not in dropped:
                columns.append(widest(1, f"{lo} … {hi}"))
            if 3 not in dropped:
                columns += [widest(2, f"at {lo}"), widest(3, f"at {hi}")]
            if sum(columns) + 2 * (len(columns) - 1) <= width:
                return set(dropped), half, header
    return {1, 3}, 6, narrow


def render_table(result: TornadoResult, *, color: bool, width: int | None = None, top: int | None = None) -> str:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from buildorbuy.render.tables import text_console

    console = text_console(color=color, width=width, default_width=160)
    console.print(Text(heading(result), style="bold"))
    lo, hi = _low_label(result)
    rows = result.rows if top is None else result.rows[:top]
    moving = [r for r in result.rows if r.effect > 0]
    scale = max((max(abs(r.metric_low - result.base_metric), abs(r.metric_high - result.base_metric)) for r in rows), default=0.0)
    cells = []
    for row in rows:
        values = f"{value_text(row.low)} … {value_text(row.high)}" + (" *" if row.clipped else "")
        cells.append((row.param, values, fmt.money_short(row.metric_low), fmt.money_short(row.metric_high), decision_text(row, result)))
    dropped, half, bar_header = _layout(cells, console.width, lo, hi)
    table = Table(box=box.SIMPLE, header_style="bold", pad_edge=False)
    table.add_column("input", no_wrap=True)  # a field path is one word: never cut or split
    if 1 not in dropped:
        table.add_column(f"{lo} … {hi}", justify="right", no_wrap=True)
    table.add_column(bar_header, justify="center", no_wrap=True)
    if 3 not in dropped:
        table.add_column(f"at {lo}", justify="right", no_wrap=True)
        table.add_column(f"at {hi}", justify="right", no_wrap=True)
    table.add_column("decision", overflow="fold")
    for row, (param, values, at_low, at_high, decision) in zip(rows, cells):
        out = [param] + ([values] if 1 not in dropped else []) + [_bar(row, result.base_metric, scale, half)]
        out += [at_low, at_high] if 3 not in dropped else []
        table.add_row(*out, Text(decision, style="bold red") if decision else "")
    console.print(table)
    if dropped:
        hidden = [name for i, name in ((1, "the low … high values"), (3, f"the metric at {lo} and {hi}")) if i in dropped]
        console.print(f"  not shown at this width: {' and '.join(hidden)} (--format markdown, csv or json shows them)")
    notes = []
    if any(r.clipped for r in rows):
        notes.append("* kept inside the field's valid range (or rounded to a whole number; reserved GPUs to whole replicas)")
    if top is not None and len(result.rows) > top:
        notes.append(f"{len(result.rows) - top} more inputs not shown (--top); {len(moving)} of {len(result.rows)} move the metric at all")
    still = [r.param for r in result.rows if r.effect == 0]
    if still and (top is None or len(result.rows) <= top):
        notes.append(f"no effect: {', '.join(still)}")
    flips = result.flips
    notes.append(
        f"{len(flips)} input{'s flip' if len(flips) != 1 else ' flips'} the decision: " + ", ".join(r.param for r in flips)
        if flips
        else f"no single input moved {result.swing:.0%} flips the decision from {result.winner}"
        if any(r.source == "swing" for r in result.rows)
        else f"no input within its range flips the decision from {result.winner}"
    )
    if result.skipped:
        notes.append(f"skipped {len(result.skipped)} inputs ({skipped_summary(result)}; --format markdown or json lists them)")
    for note in notes:
        console.print(f"  {note}", markup=False)
    return console.file.getvalue()


def skipped_summary(result: TornadoResult) -> str:
    groups: dict[str, int] = {}
    for reason in result.skipped.values():
        label = (
            "value 0" if reason.startswith("is 0")
            else "derived from other inputs" if reason.startswith("follows")
            else "defaults not given" if reason.startswith(("defaults", "not given"))
            else "not used by their path" if reason.startswith("not used")
            else "fixed"
        )
        groups[label] = groups.get(label, 0) + 1
    return ", ".join(f"{count} {label}" for label, count in groups.items())


def _rows(result: TornadoResult, top: int | None = None) -> tuple[list[str], list[list[str]]]:
    lo, hi = _low_label(result)
    header = ["input", "base", lo, hi, f"metric at {lo}", f"metric at {hi}", "swing", "decision"]
    rows = [
        [
            r.param,
            value_text(r.base),
            value_text(r.low) + (" *" if r.clipped else ""),
            value_text(r.high) + (" *" if r.clipped else ""),
            fmt.money(r.metric_low),
            fmt.money(r.metric_high),
            fmt.money(r.effect),
            decision_text(r, result),
        ]
        for r in (result.rows if top is None else result.rows[:top])
    ]
    return header, rows


def render_markdown(result: TornadoResult, top: int | None = None) -> str:
    from buildorbuy.render.tables import markdown_table

    from buildorbuy.render.escape import markdown as md
    from buildorbuy.render.escape import markdown_code

    out = [f"## {md(heading(result))}", ""]
    flips = result.flips
    out.append(
        f"**{len(flips)} input(s) flip the decision:** " + ", ".join(markdown_code(r.param) for r in flips) + "."
        if flips
        else md(f"No single input flips the decision from {result.winner}.")
    )
    out += ["", markdown_table(*_rows(result, top), right_from=1), ""]
    if top is not None and len(result.rows) > top:
        out += [f"{len(result.rows) - top} more inputs with smaller effects not shown (--top).", ""]
    if any(r.clipped for r in result.rows):
        out += ["\\* kept inside the field's valid range (or rounded to a whole number; reserved GPUs to whole replicas).", ""]
    if result.skipped:
        out += ["### Skipped inputs", ""] + [f"- {markdown_code(k)}: {md(v)}" for k, v in result.skipped.items()] + [""]
    if result.warnings:
        out += ["### Warnings", ""] + [f"- {w}" for w in result.warnings] + [""]
    return "\n".join(out)


def render_csv(result: TornadoResult) -> str:
    buffer = io.StringIO()
    from buildorbuy.render.escape import csv_writer  # text cells formula-safe

    writer = csv_writer(buffer)
    writer.writerow(["param", "base", "low", "high", "metric_low", "metric_high", "effect", "winner_low", "winner_high", "flips", "source", "clipped"])
    for r in result.rows:
        writer.writerow([r.param, repr(r.base), repr(r.low), repr(r.high), f"{r.metric_low:.2f}", f"{r.metric_high:.2f}",
                         f"{r.effect:.2f}", r.winner_low or "", r.winner_high or "", str(r.flips).lower(), r.source, str(r.clipped).lower()])
    return buffer.getvalue()


def render_json(result: TornadoResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)


RENDERERS = {"markdown": render_markdown, "csv": render_csv, "json": render_json}
