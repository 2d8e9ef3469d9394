"""Renderers for tornado: a terminal bar chart (unicode bars around the base value), markdown, csv, json."""

from __future__ import annotations

import io
import json

from buildorbuy.analysis.tornado import TornadoResult, TornadoRow
from buildorbuy.render import formatting as fmt
from buildorbuy.phrases import Message
from buildorbuy.render.i18n import message, t
from buildorbuy.render.sweep_render import value_text

LOW_BAR, HIGH_BAR = "▒", "█"
LOW_STYLE, HIGH_STYLE = "cyan", "magenta"
BAR_HALF = 24
"""Characters on each side of the base line."""


def shown(result: TornadoResult, key: str) -> str:
    """A field as --set takes it, paths by name (CSV and JSON keep `param` as resolved)."""
    from buildorbuy.analysis._common import shown_field

    return shown_field(key, [p.name for p in result.scenario.paths])


def metric_label(result: TornadoResult, lang: str = "en") -> str:
    if result.metric == "margin":
        return t("tornado.metric_margin", lang, winner=result.winner, runner=result.runner_up)
    return t("tornado.metric_npv", lang, winner=result.winner)


def heading(result: TornadoResult, lang: str = "en") -> str:
    cur = result.scenario.currency
    swung = any(r.source == "swing" for r in result.rows)
    ranged = any(r.source == "range" for r in result.rows)
    swing = f"{result.swing:.0%}"
    how = (
        f"±{swing}" if not ranged
        else t("tornado.how_ranged", lang) if not swung
        else t("tornado.how_mixed", lang, swing=swing)
    )
    return t("tornado.heading", lang, name=result.scenario.name, metric=metric_label(result, lang),
             base=fmt.money(result.base_metric), cur=cur, how=how)


def _low_label(result: TornadoResult, lang: str = "en") -> tuple[str, str]:
    if any(r.source == "range" for r in result.rows):
        return t("tornado.low", lang), t("tornado.high", lang)
    return f"−{result.swing:.0%}", f"+{result.swing:.0%}"


def decision_text(row: TornadoRow, result: TornadoResult, lang: str = "en") -> str:
    if not row.flips:
        return ""
    lo, hi = _low_label(result, lang)
    parts = []
    if row.winner_low != result.winner:
        parts.append(t("tornado.wins", lang, side=lo, who=row.winner_low or t("tornado.none", lang)))
    if row.winner_high != result.winner:
        parts.append(t("tornado.wins", lang, side=hi, who=row.winner_high or t("tornado.none", lang)))
    return t("tornado.flips", lang, parts=t("tornado.sep", lang).join(parts))


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


def _fits_names(rows, result: TornadoResult, width: int, lo: str, hi: str, lang: str) -> bool:
    """Whether the input column can show paths by name (`paths[Name].x`) in the narrowest layout at
    `width`; else the table names paths by index (`paths[1].x`, which --set also takes) and a note
    maps indexes to names. A field path is never cut or split."""
    from rich.cells import cell_len

    names = [shown(result, r.param) for r in rows]
    if names == [r.param for r in rows]:
        return True
    _, _, narrow = _layout([], 0, lo, hi, lang)
    input_width = max([cell_len(n) for n in names] + [cell_len(t("tornado.col_input", lang))])
    decision = min(max([cell_len(decision_text(r, result, lang)) for r in rows] + [cell_len(t("tornado.col_decision", lang))]), 16)
    return input_width + max(13, cell_len(narrow)) + decision + 4 <= width


def _layout(cells, width: int, lo: str, hi: str, lang: str = "en") -> tuple[set[int], int, str]:
    """Columns to drop (1: values, 3: metric at low/high), bar half-width and bar header for `width`."""
    from rich.cells import cell_len  # terminal cells: a Chinese character takes two

    wide = t("tornado.bar_wide", lang, low_bar=LOW_BAR, lo=lo, high_bar=HIGH_BAR, hi=hi)
    narrow = f"{LOW_BAR} {lo} ◀│▶ {HIGH_BAR} {hi}"

    def widest(j: int, header: str) -> int:
        return max([cell_len(c[j]) for c in cells] + [cell_len(header)])

    # the decision column: at most 16 cells unless a name or the heading needs more (they fold between words only)
    decision = _decision_width(cells, lang)
    for dropped in ((), (1,), (1, 3)):
        for half in (BAR_HALF, 16, 12, 8):
            header = wide if 2 * half + 1 >= cell_len(wide) else narrow
            columns = [widest(0, t("tornado.col_input", lang)), max(2 * half + 1, cell_len(header)), decision]
            if 1 not in dropped:
                columns.append(widest(1, f"{lo} … {hi}"))
            if 3 not in dropped:
                columns += [widest(2, t("tornado.col_at", lang, side=lo)), widest(3, t("tornado.col_at", lang, side=hi))]
            # one space of padding each side of a divider (none at the edges), the dividers and both edges
            if sum(columns) + 3 * (len(columns) - 1) + 2 <= width:
                return set(dropped), half, header
    return {1, 3}, 6, narrow


def _decision_width(cells, lang: str) -> int:
    from rich.cells import cell_len

    from buildorbuy.render.tables import _longest_word

    return max([min(max([cell_len(c[4]) for c in cells], default=0), 16)] + [_longest_word(c[4]) for c in cells]
               + [cell_len(t("tornado.col_decision", lang))])


def render_table(result: TornadoResult, *, color: bool, width: int | None = None, top: int | None = None,
                 lang: str = "en") -> str:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from buildorbuy.render.tables import text_console

    console = text_console(color=color, width=width, default_width=160)
    console.print(Text(heading(result, lang), style="bold"))
    lo, hi = _low_label(result, lang)
    rows = result.rows if top is None else result.rows[:top]
    moving = [r for r in result.rows if r.effect > 0]
    scale = max((max(abs(r.metric_low - result.base_metric), abs(r.metric_high - result.base_metric)) for r in rows), default=0.0)
    named = _fits_names(rows, result, console.width, lo, hi, lang)
    label = (lambda key: shown(result, key)) if named else (lambda key: key)
    cells = []
    for row in rows:
        values = f"{value_text(row.low)} … {value_text(row.high)}" + (" *" if row.clipped else "")
        cells.append((label(row.param), values, fmt.money_short(row.metric_low), fmt.money_short(row.metric_high), decision_text(row, result, lang)))
    dropped, half, bar_header = _layout(cells, console.width, lo, hi, lang)
    table = Table(box=box.SIMPLE, header_style="bold", pad_edge=False)
    table.add_column(t("tornado.col_input", lang), no_wrap=True)  # a field path is one word: never cut or split
    if 1 not in dropped:
        table.add_column(f"{lo} … {hi}", justify="right", no_wrap=True)
    table.add_column(bar_header, justify="center", no_wrap=True)
    if 3 not in dropped:
        table.add_column(t("tornado.col_at", lang, side=lo), justify="right", no_wrap=True)
        table.add_column(t("tornado.col_at", lang, side=hi), justify="right", no_wrap=True)
    table.add_column(t("tornado.col_decision", lang), overflow="fold", min_width=_decision_width(cells, lang))
    for row, (param, values, at_low, at_high, decision) in zip(rows, cells):
        out = [Text(param)] + ([values] if 1 not in dropped else []) + [_bar(row, result.base_metric, scale, half)]
        out += [at_low, at_high] if 3 not in dropped else []
        table.add_row(*out, Text(decision, style="bold red") if decision else "")
    console.print(table)
    if dropped:
        hidden = [name for i, name in ((1, t("tornado.hidden_values", lang)), (3, t("tornado.hidden_metric", lang, lo=lo, hi=hi)))
                  if i in dropped]
        console.print("  " + t("tornado.not_shown", lang, items=t("tornado.and", lang).join(hidden)), markup=False)
    notes = []
    if any(r.clipped for r in rows):
        notes.append(t("tornado.clipped", lang))
    if top is not None and len(result.rows) > top:
        notes.append(t("tornado.more", lang, more=len(result.rows) - top, moving=len(moving), total=len(result.rows)))
    still = [label(r.param) for r in result.rows if r.effect == 0]
    if still and (top is None or len(result.rows) <= top):
        notes.append(t("tornado.no_effect", lang, items=", ".join(still)))
    flips = result.flips
    notes.append(
        t("tornado.flip_many" if len(flips) != 1 else "tornado.flip_one", lang, n=len(flips), items=", ".join(label(r.param) for r in flips))
        if flips
        else t("tornado.no_flip_swing", lang, swing=f"{result.swing:.0%}", winner=result.winner)
        if any(r.source == "swing" for r in result.rows)
        else t("tornado.no_flip_range", lang, winner=result.winner)
    )
    if result.skipped:
        notes.append(t("tornado.skipped", lang, n=len(result.skipped), summary=skipped_summary(result, lang)))
    if not named and any(cell[0] != shown(result, cell[0]) for cell in cells):
        notes.append(t("tornado.paths_by_index", lang, items=t("tornado.skip_sep", lang).join(
            f"paths[{i}] = {p.name}" for i, p in enumerate(result.scenario.paths))))
    for note in notes:
        console.print(f"  {note}", markup=False)
    return console.file.getvalue()


def skipped_summary(result: TornadoResult, lang: str = "en") -> str:
    groups: dict[str, int] = {}
    for reason in result.skipped.values():
        label = (
            "zero" if reason.startswith("is 0")
            else "derived" if reason.startswith("follows")
            else "defaults" if reason.startswith(("defaults", "not given"))
            else "unused" if reason.startswith("not used")
            else "fixed"
        )
        groups[label] = groups.get(label, 0) + 1
    return t("tornado.skip_sep", lang).join(t(f"tornado.skip.{label}", lang, count=count) for label, count in groups.items())


_SKIPPED_WHOLE = {
    "defaults to the horizon": "horizon",
    "not given (default 1: no project risk modelled)": "no_risk",
    "is 0, so a relative swing does not move it": "zero",
    "only converts catalog prices when the scenario is read; the converted prices are varied instead": "exchange_rate",
    "fixed: it sets the length of the month axis; change it with --set horizon_months=N": "fixed_horizon",
    "fixed: it is the file format version, not a cost input": "fixed_version",
    "fixed: the bridge serves the other paths' traffic from month 0 to the horizon, so its start_month and "
    "lead_time_months stay 0 and its success_probability 1": "fixed_bridge",
}
_SKIPPED_PREFIX = (("fixed: it ", "fixed"), ("cannot move alone: ", "locked"), ("not used: ", "unused"),
                   ("follows other inputs (", "follows"))


def skipped_reason(text: str, lang: str = "en") -> str:
    """Why an input was not moved, in `lang`: the analysis's fixed sentences translated whole; for the
    others the leading words, with the engine's own explanation kept as written."""
    if lang == "en":
        return text
    if isinstance(text, Message):
        return message(text, lang)
    if text in _SKIPPED_WHOLE:
        return t(f"tornado.why.{_SKIPPED_WHOLE[text]}", lang)
    for prefix, key in _SKIPPED_PREFIX:
        if text.startswith(prefix):
            rest = text[len(prefix):]
            if key == "follows" and rest.endswith(")"):
                rest = rest[:-1]
            return t(f"tornado.why.{key}", lang, detail=rest)
    return text


def _rows(result: TornadoResult, top: int | None = None, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    lo, hi = _low_label(result, lang)
    header = [t("tornado.col_input", lang), t("tornado.col_base", lang), lo, hi, t("tornado.col_metric_at", lang, side=lo),
              t("tornado.col_metric_at", lang, side=hi), t("tornado.col_swing", lang), t("tornado.col_decision", lang)]
    rows = [
        [
            shown(result, r.param),
            value_text(r.base),
            value_text(r.low) + (" *" if r.clipped else ""),
            value_text(r.high) + (" *" if r.clipped else ""),
            fmt.money(r.metric_low),
            fmt.money(r.metric_high),
            fmt.money(r.effect),
            decision_text(r, result, lang),
        ]
        for r in (result.rows if top is None else result.rows[:top])
    ]
    return header, rows


def _md_field(result: TornadoResult, key: str, md, markdown_code) -> str:
    """A field in Markdown: a code span when it holds no path name, else escaped text (a name is user text)."""
    name_form = shown(result, key)
    return markdown_code(key) if name_form == key else md(name_form)


def render_markdown(result: TornadoResult, top: int | None = None, lang: str = "en") -> str:
    from buildorbuy.render.tables import markdown_table

    from buildorbuy.render.escape import markdown as md
    from buildorbuy.render.escape import markdown_code

    out = [f"## {md(heading(result, lang))}", ""]
    flips = result.flips
    out.append(
        t("tornado.md_flips", lang, n=len(flips), items=", ".join(_md_field(result, r.param, md, markdown_code) for r in flips))
        if flips
        else md(t("tornado.md_no_flip", lang, winner=result.winner))
    )
    out += ["", markdown_table(*_rows(result, top, lang), right_from=1), ""]
    if top is not None and len(result.rows) > top:
        out += [t("tornado.md_more", lang, n=len(result.rows) - top), ""]
    if any(r.clipped for r in result.rows):
        out += ["\\" + t("tornado.md_clipped", lang), ""]
    if result.skipped:
        out += [f"### {t('tornado.skipped_h', lang)}", ""] + [f"- {_md_field(result, k, md, markdown_code)}: {md(skipped_reason(v, lang))}"
                                                            for k, v in result.skipped.items()] + [""]
    if result.warnings:
        out += [f"### {t('title.warnings', lang)}", ""] + [f"- {md(message(w, lang))}" for w in result.warnings] + [""]
    return "\n".join(out)


def render_csv(result: TornadoResult, lang: str = "en") -> str:
    """Data: column names and values are the same in every language."""
    buffer = io.StringIO()
    from buildorbuy.render.escape import csv_writer  # text cells formula-safe

    writer = csv_writer(buffer)
    writer.writerow(["param", "base", "low", "high", "metric_low", "metric_high", "effect", "winner_low", "winner_high", "flips", "source", "clipped"])
    for r in result.rows:
        writer.writerow([r.param, repr(r.base), repr(r.low), repr(r.high), f"{r.metric_low:.2f}", f"{r.metric_high:.2f}",
                         f"{r.effect:.2f}", r.winner_low or "", r.winner_high or "", str(r.flips).lower(), r.source, str(r.clipped).lower()])
    return buffer.getvalue()


def render_json(result: TornadoResult, lang: str = "en") -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)


RENDERERS = {"markdown": render_markdown, "csv": render_csv, "json": render_json}
