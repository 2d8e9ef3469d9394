"""Renderers for diff (table, markdown, json), infracost-style: old → new, Δ and Δ %."""

from __future__ import annotations

import json
from typing import Any

from buildorbuy.analysis.diff import Diff
from buildorbuy.render import formatting as fmt
from buildorbuy.render.i18n import t
from buildorbuy.render.tables import markdown_table, rich_table, text_console


def _value(value: Any, lang: str) -> str:
    if value is None:
        return t("diff.absent", lang)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1e4 and value == int(value) else f"{value:.6g}"
    if isinstance(value, list):
        return ", ".join(_value(v, lang) for v in value) if len(value) <= 6 else f"[{len(value)}]"
    return str(value)


def signed_money(value: float | None) -> str:
    if value is None:
        return "—"
    text = fmt.money(value)
    return text if text.startswith("-") or text == "0" else "+" + text


def signed_percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:+.1%}"


def _month(value: int | None, lang: str) -> str:
    return t("never.breakeven", lang) if value is None else t("month_n", lang, n=value)


def title(d: Diff, lang: str = "en") -> str:
    return t("diff.title", lang, base=_source(d.base), proposal=_source(d.proposal))


def _source(cmp) -> str:
    return cmp.scenario._source or cmp.scenario.name


def input_rows(d: Diff, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    header = [t("col.field", lang), t("diff.col_base", lang), t("diff.col_proposal", lang)]
    return header, [[e["field"], _value(e["base"], lang), _value(e["proposal"], lang)] for e in d.inputs]


def path_rows(d: Diff, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    cur = d.proposal.currency
    header = [t("col.path", lang), t("diff.col_npv_base", lang, cur=d.base.currency), t("diff.col_npv_proposal", lang, cur=cur),
              t("diff.col_delta", lang, cur=cur), t("diff.col_delta_pct", lang), t("diff.col_status", lang)]
    rows = [[p["name"], fmt.money(p["npv_base"]), fmt.money(p["npv_proposal"]), signed_money(p["delta"]),
             signed_percent(p["delta_fraction"]), t(f"diff.status.{p['status']}", lang)] for p in d.paths]
    return header, rows


def breakeven_rows(d: Diff, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    header = [t("col.path", lang), t("col.against", lang), t("diff.col_base", lang), t("diff.col_proposal", lang)]
    rows = [[e["a"], e["b"], _month(e["base"], lang), _month(e["proposal"], lang)] for e in d.breakeven if e["changed"]]
    return header, rows


def winner_line(d: Diff, lang: str = "en") -> str:
    w = d.winner
    none = t("diff.none", lang)
    if w["changed"]:
        return t("diff.winner_changed", lang, base=w["base"] or none, proposal=w["proposal"] or none)
    return t("diff.winner_same", lang, path=w["proposal"] or none)


def _notes(d: Diff, lang: str) -> list[str]:
    if d.base.currency != d.proposal.currency:
        return [t("diff.currency_note", lang, base=d.base.currency, proposal=d.proposal.currency)]
    return []


def render_table(d: Diff, *, color: bool, width: int | None = None, lang: str = "en") -> str:

    from rich.markup import escape

    console = text_console(color=color, width=width)
    console.print(f"[bold]{escape(title(d, lang))}[/bold]")
    header, rows = input_rows(d, lang)
    if rows:
        console.print(rich_table(t("diff.inputs_h", lang), header, rows, right_from=1, lang=lang))
    else:
        console.print(t("diff.no_inputs", lang))
    console.print(rich_table(t("diff.paths_h", lang), *path_rows(d, lang), right_from=1, lang=lang))
    for line in _notes(d, lang):
        console.print(f"  {escape(line)}")
    console.print(f"{t('diff.winner_h', lang)}{t('label.colon', lang)}{escape(winner_line(d, lang))}")
    header, rows = breakeven_rows(d, lang)
    if rows:
        console.print(rich_table(t("diff.breakeven_h", lang), header, rows, right_from=2, lang=lang))
    else:
        console.print(t("diff.no_breakeven", lang))
    return console.file.getvalue()


def render_markdown(d: Diff, lang: str = "en") -> str:
    from buildorbuy.render.escape import markdown as md

    out = [f"## {md(title(d, lang))}", "", f"### {t('diff.inputs_h', lang)}", ""]
    header, rows = input_rows(d, lang)
    out += [markdown_table(header, rows, right_from=1) if rows else t("diff.no_inputs", lang), ""]
    out += [f"### {t('diff.paths_h', lang)}", "", markdown_table(*path_rows(d, lang), right_from=1), ""]
    out += [f"- {md(line)}" for line in _notes(d, lang)] + ([""] if _notes(d, lang) else [])
    out += [f"### {t('diff.winner_h', lang)}", "", md(winner_line(d, lang)), ""]
    out += [f"### {t('diff.breakeven_h', lang)}", ""]
    header, rows = breakeven_rows(d, lang)
    out += [markdown_table(header, rows, right_from=2) if rows else t("diff.no_breakeven", lang), ""]
    return "\n".join(out)


def render_json(d: Diff, lang: str = "en") -> str:
    from buildorbuy.analysis.compare import _clean

    return json.dumps(_clean(d.to_dict()), indent=2, ensure_ascii=False)


RENDERERS = {"markdown": render_markdown, "json": render_json}
