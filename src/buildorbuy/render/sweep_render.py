"""Renderers for sweep: winner rows (one parameter) or a winner map (two), markdown, csv, json."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Iterator

import numpy as np

from buildorbuy.analysis.sweep import SweepResult
from buildorbuy.render import formatting as fmt
from buildorbuy.render.i18n import message, t
from buildorbuy.render.tables import markdown_table, rich_table, text_console

PATH_STYLES = ["black on green", "black on cyan", "black on yellow", "white on magenta", "white on blue", "white on red"]
"""Background colours of each path's cells in a winner map (cycled)."""
GRID_WIDTH_LIMIT = 16
"""Above this many columns a winner map uses one character per cell."""
TABLE_ROWS = 60
"""A one-parameter sweep with more points shows a sample of rows (every winner change, then evenly
spaced values) in table and Markdown output; csv and json always carry every point."""
JSON_CHUNK = 10_000
"""Points formatted per piece of streamed JSON or CSV."""


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


def shown_params(result: SweepResult) -> list[str]:
    """The swept fields as --set takes them, paths by name (CSV and JSON keep `params` as resolved)."""
    from buildorbuy.analysis._common import shown_field

    return [shown_field(p, result.names) for p in result.params]


def heading(result: SweepResult, lang: str = "en") -> str:
    sc = result.scenario
    over = " × ".join(t("sweep.axis_one" if len(v) == 1 else "sweep.axis_many", lang, param=p, n=len(v))
                      for p, v in zip(shown_params(result), result.values))
    return t("sweep.heading", lang, name=sc.name, cur=sc.currency, over=over)


def region_lines(result: SweepResult, lang: str = "en") -> list[str]:
    if len(result.params) == 1:
        lines = []
        for region in result.regions():
            who = region["winner"] or t("sweep.no_path_long", lang)
            span = (value_text(region["from"]) if region["from"] == region["to"]
                    else t("sweep.span", lang, lo=value_text(region["from"]), hi=value_text(region["to"])))
            lines.append(t("sweep.wins_for", lang, who=who, param=shown_params(result)[0], span=span))
        return lines
    total = result.size
    return [t("sweep.wins_at", lang, who=name or t("sweep.no_path", lang), count=f"{count:,}", total=f"{total:,}",
              share=f"{count / total:.0%}") for name, count in result.win_counts().items()]


def _one_param_rows(result: SweepResult, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    header = [shown_params(result)[0], *result.names, t("sweep.col_winner", lang)]
    rows = []
    for n in result.sample_indices(TABLE_ROWS):
        value = result.values[0][n]
        w = int(result.winner[n])
        cells = [value_text(float(value))]
        for i in range(len(result.names)):
            mark = " ★" if i == w else ("" if result.recommendable[n, i] else " ✗")
            cells.append(fmt.money(float(result.npv[n, i])) + mark)
        cells.append(result.winner_name(w) or "—")
        rows.append(cells)
    return header, rows


def _sample_note(result: SweepResult, shown: int, lang: str = "en") -> str | None:
    """Says a long sweep's table is a sample, and where the full grid is."""
    if shown >= result.size:
        return None
    return t("sweep.sample_note", lang, shown=shown, size=f"{result.size:,}")


def _legend(result: SweepResult, lang: str = "en") -> list[str]:
    return [f"{code} = {name}" for code, name in zip(codes(result), result.names)] + [t("sweep.legend_none", lang)]


def _grid_2d(result: SweepResult, index: tuple[int, ...] = ()) -> np.ndarray:
    """The winner codes of the first two axes (further axes fixed at `index`), [rows, cols] of str."""
    letters = np.array([*codes(result), "·"])
    winners = result.winner[(slice(None), slice(None), *index)]
    return letters[np.where(winners < 0, len(result.names), winners)]


def render_table(result: SweepResult, *, color: bool, width: int | None = None, lang: str = "en") -> str:
    from rich.text import Text

    console = text_console(color=color, width=width, default_width=120)
    console.print(Text(heading(result, lang), style="bold"))
    for line in region_lines(result, lang):
        console.print(f"  {line}", markup=False)
    if len(result.params) == 1:
        header, rows = _one_param_rows(result, lang)
        # too narrow: the winner column first (the ★ marks say it), then paths that never win, from the right
        winners = {int(w) for w in np.unique(result.winner)}
        never = tuple(1 + i for i in reversed(range(len(result.names))) if i not in winners)
        console.print(rich_table(t("sweep.table_title", lang), header, rows, right_from=1, drop=(len(header) - 1, *never),
                                 lang=lang))
        note = _sample_note(result, len(rows), lang)
        if note:
            console.print(f"  {note}")
    else:
        extra = shown_params(result)[2:]
        if extra:
            console.print("  " + t("sweep.map_at_first", lang, params=", ".join(extra)), markup=False)
        console.print(_winner_map(result, color, lang))
        console.print("  " + "   ".join(_legend(result, lang)), markup=False)
    return console.file.getvalue()


def _winner_map(result: SweepResult, color: bool, lang: str = "en"):
    from rich.text import Text

    grid = _grid_2d(result, (0,) * (len(result.params) - 2))
    rows_v, cols_v = result.values[0], result.values[1]
    row_labels = [value_text(float(v)) for v in rows_v]
    label_width = max(len(label) for label in row_labels)
    compact = len(cols_v) > GRID_WIDTH_LIMIT
    cell = 1 if compact else max(3, *(len(value_text(float(v))) for v in cols_v)) + 1
    styles = {code: PATH_STYLES[i % len(PATH_STYLES)] for i, code in enumerate(codes(result))}
    text = Text()
    text.append(t("sweep.map_axes", lang, rows=shown_params(result)[0], columns=shown_params(result)[1]) + "\n", style="bold")
    if compact:
        text.append(" " * label_width + f" {value_text(float(cols_v[0]))} … {value_text(float(cols_v[-1]))} "
                    + t("sweep.n_values", lang, n=len(cols_v)) + "\n")
    else:
        text.append(" " * label_width + "".join(value_text(float(v)).rjust(cell) for v in cols_v) + "\n")
    for label, row in zip(row_labels, grid):
        text.append(label.rjust(label_width) + " ")
        for code in row:
            body = code if compact else code.rjust(cell - 1) + " "
            text.append(body, style=styles.get(code, "") if color else "")
        text.append("\n")
    return text


def render_markdown(result: SweepResult, lang: str = "en") -> str:
    from buildorbuy.render.escape import markdown as md

    out = [f"## {md(heading(result, lang))}", ""]
    out += [f"- {md(line)}" for line in region_lines(result, lang)] + [""]
    if len(result.params) == 1:
        header, rows = _one_param_rows(result, lang)
        out += [t("sweep.md_marks", lang), "", markdown_table(header, rows, right_from=1), ""]
        note = _sample_note(result, len(rows), lang)
        if note:
            out += [note + t("sweep.end", lang), ""]
    else:
        grid = _grid_2d(result, (0,) * (len(result.params) - 2))
        header = [f"{shown_params(result)[0]} ↓ / {shown_params(result)[1]} →", *(value_text(float(v)) for v in result.values[1])]
        rows = [[value_text(float(v)), *row] for v, row in zip(result.values[0], grid)]
        out += [md(t("sweep.md_winner_at", lang, legend=t("sweep.legend_sep", lang).join(_legend(result, lang)))), "",
                markdown_table(header, rows, right_from=1), ""]
    if result.warnings:
        out += [f"### {t('title.warnings', lang)}", ""] + [f"- {md(message(w, lang))}" for w in result.warnings] + [""]
    return "\n".join(out)


def render_csv(result: SweepResult, lang: str = "en") -> str:
    """One row per point: the parameter values, each path's NPV, the winner (data: the same in every language)."""
    return "".join(iter_csv(result))


def iter_csv(result: SweepResult, lang: str = "en") -> Iterator[str]:
    """render_csv in pieces of JSON_CHUNK rows, for streaming a big grid."""
    buffer = io.StringIO()
    from buildorbuy.render.escape import csv_writer  # text cells formula-safe

    csv_writer(buffer).writerow([*result.params, *(f"npv:{name}" for name in result.names), "winner"])
    yield buffer.getvalue()
    axis_texts = [list(map(repr, np.asarray(v, dtype=float).tolist())) for v in result.values]
    npv = result.npv.reshape(result.size, len(result.names))
    winners = result.winner.ravel()
    # the only text cells are path names: made formula-safe once; the rest are numbers, which
    # csv_cell leaves as they are, so the rows go through the plain (fast) csv writer
    from buildorbuy.render.escape import csv_cell

    names = [csv_cell(result.winner_name(i) or "") for i in range(-1, len(result.names))]
    for lo in range(0, result.size, JSON_CHUNK):
        hi = min(lo + JSON_CHUNK, result.size)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        columns = _grid_texts(result, lo, hi, axis_texts)
        money = [[f"{v:.2f}" for v in col] for col in npv[lo:hi].T.tolist()]
        win = [names[w + 1] for w in winners[lo:hi].tolist()]
        writer.writerows(zip(*columns, *money, win))
        yield buffer.getvalue()


def render_json(result: SweepResult, *, columnar: bool = False, lang: str = "en") -> str:
    return "".join(iter_json(result, columnar=columnar))


def _number(value: float) -> str:
    """A float as json.dumps writes it after `clean` (non-finite → null)."""
    return repr(value) if math.isfinite(value) else "null"


def iter_json(result: SweepResult, *, columnar: bool = False) -> Iterator[str]:
    """The JSON document of `SweepResult.to_dict()` (indent 2), streamed in pieces.

    The points are formatted JSON_CHUNK at a time, so a 1e6-point grid never holds its whole
    text, nor a million dicts. With `columnar`, `points` is replaced by `columns`: per-parameter
    value arrays, per-path NPV and recommendable arrays and the winner array (one line each).
    """
    import dataclasses

    # the document without its big arrays: placeholders stand for each axis's values and the points
    axes = [f"__AXIS_{k}__" for k in range(len(result.values))]
    head = dataclasses.replace(result, values=axes).to_dict(points=False)
    placeholder = "__POINTS__"
    key = "columns" if columnar else "points"
    items = list(head.items())
    at = next(i for i, (k, _) in enumerate(items) if k == "wins")
    document = dict(items[:at] + [(key, placeholder)] + items[at:])
    text = json.dumps(document, indent=2, ensure_ascii=False)
    for name, values in zip(axes, result.values):
        before, text = text.split(f'"{name}"', 1)
        yield before
        yield "[\n" + ",\n".join("        " + v for v in _numbers(np.asarray(values, dtype=float))) + "\n      ]"
    before, after = text.split(f'"{placeholder}"')
    yield before
    yield from (_columns_json(result) if columnar else _points_json(result))
    yield after + "\n"


def _points_json(result: SweepResult) -> Iterator[str]:
    if result.size == 0:  # pragma: no cover - sweeps have at least one point
        yield "[]"
        return
    names = result.names
    dumps = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731
    param_keys = [dumps(p) for p in result.params]
    path_keys = [dumps(n) for n in names]
    winners = ["null", *(dumps(n) for n in names)]
    values_tpl = ",\n".join(f"        {k}: %s" for k in param_keys)
    npv_tpl = ",\n".join(f"        {k}: %s" for k in path_keys)
    point_tpl = ("    {\n      \"values\": {\n" + values_tpl + "\n      },\n      \"npv\": {\n" + npv_tpl
                 + "\n      },\n      \"winner\": %s,\n      \"excluded\": %s\n    }")
    def excluded(code: int) -> str:
        out = [path_keys[i] for i in range(len(names)) if not code >> i & 1]
        return "[]" if not out else "[\n" + ",\n".join(f"        {k}" for k in out) + "\n      ]"

    axis_texts = [_numbers(np.asarray(v, dtype=float)) for v in result.values]
    npv = result.npv.reshape(result.size, len(names))
    # recommendable flags as one integer per point (bit i: path i), one text per distinct pattern
    codes = result.recommendable.reshape(result.size, len(names)).astype(np.int64) @ (1 << np.arange(len(names), dtype=np.int64))
    texts = {int(c): excluded(int(c)) for c in np.unique(codes)}
    winner = result.winner.ravel()
    for lo in range(0, result.size, JSON_CHUNK):
        hi = min(lo + JSON_CHUNK, result.size)
        values = _grid_texts(result, lo, hi, axis_texts)
        npvs = [_numbers(col) for col in npv[lo:hi].T]
        wins = [winners[w + 1] for w in winner[lo:hi].tolist()]
        excl = [texts[c] for c in codes[lo:hi].tolist()]
        text = ",\n".join([point_tpl % row for row in zip(*values, *npvs, wins, excl)])
        yield ("[\n" if lo == 0 else ",\n") + text
    yield "\n  ]"


def _grid_texts(result: SweepResult, lo: int, hi: int, texts: list[list[str]]) -> list[list[str]]:
    """Each parameter's value text at points lo…hi−1 (row-major), looked up in its axis's texts:
    every axis value is formatted once, however many points share it."""
    index = np.unravel_index(np.arange(lo, hi), result.shape)
    return [[axis[i] for i in idx.tolist()] for axis, idx in zip(texts, index)]


def _numbers(values: np.ndarray) -> list[str]:
    """Floats as json.dumps writes them after `clean` (repr; non-finite → null)."""
    if np.isfinite(values).all():
        return list(map(repr, values.tolist()))
    return list(map(_number, values.tolist()))


def _columns_json(result: SweepResult) -> Iterator[str]:
    def array(values) -> str:
        return "[" + ", ".join(values) + "]"

    def block(name: str, arrays: dict[str, str], last: bool = False) -> str:
        inner = ",\n".join(f"      {json.dumps(k, ensure_ascii=False)}: {v}" for k, v in arrays.items())
        return f"    {json.dumps(name)}: {{\n{inner}\n    }}" + ("" if last else ",\n")

    npv = result.npv.reshape(result.size, len(result.names))
    ok = result.recommendable.reshape(result.size, len(result.names))
    yield "{\n"
    axis_texts = [_numbers(np.asarray(v, dtype=float)) for v in result.values]
    yield block("values", {p: array(texts) for p, texts in zip(result.params, _grid_texts(result, 0, result.size, axis_texts))})
    yield block("npv", {name: array(_numbers(npv[:, i])) for i, name in enumerate(result.names)})
    yield block("recommendable", {name: array("true" if v else "false" for v in ok[:, i].tolist()) for i, name in enumerate(result.names)})
    names = ["null", *(json.dumps(n, ensure_ascii=False) for n in result.names)]
    yield f'    "winner": {array(names[w + 1] for w in result.winner.ravel().tolist())}\n'
    yield "  }"


RENDERERS = {"markdown": render_markdown, "csv": render_csv, "json": render_json}
STREAMS = {"csv": iter_csv, "json": iter_json}
"""Renderers that yield the text in pieces (the CLI streams them)."""
