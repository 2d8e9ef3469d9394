"""Renderers for whatif (what would have to be true): table, markdown, csv, json."""

from __future__ import annotations

import io
import json

from buildorbuy.analysis.whatif import Condition, WhatIfResult
from buildorbuy.render import formatting as fmt
from buildorbuy.render.i18n import t
from buildorbuy.render.escape import csv_writer, markdown as md
from buildorbuy.render.tables import markdown_table, rich_table, text_console

SENTENCE_CONDITIONS = 3
"""Conditions named in each path's 'X wins if …' sentence."""


def heading(result: WhatIfResult, lang: str = "en") -> str:
    return t("whatif.heading", lang, name=result.scenario.name, cur=result.currency)


def change(c: Condition) -> str:
    """1.8× for a rise of a positive value, −54% for a fall; +0.15 for a change from 0 or of a negative value."""
    if c.current > 0 and c.value > 0:
        if c.value >= c.current:
            ratio = c.value / c.current
            return f"{ratio:.2g}×" if ratio < 10 else f"{ratio:,.0f}×"
        return f"{(c.value / c.current - 1) * 100:.0f}%".replace("-", "−")
    return f"{c.value - c.current:+.3g}".replace("-", "−")


def condition_text(c: Condition) -> str:
    """`serving.gpu_hour_price ≤ 0.41 (−54%)`."""
    return f"{c.label} {c.direction} {fmt.number(c.value)} ({change(c)})"


def sentences(result: WhatIfResult, lang: str = "en", *, limit: int = SENTENCE_CONDITIONS) -> list[str]:
    lines = [t("whatif.winner", lang, path=result.winner)]
    if not result.losers:
        return lines + [t("whatif.alone", lang)]
    for name in result.losers:
        found = result.for_path(name)[:limit]
        if found:
            lines.append(t("whatif.wins_if", lang, path=name, conditions=t("whatif.or_if", lang).join(condition_text(c) for c in found)))
        else:
            lines.append(t("whatif.never", lang, path=name, winner=result.winner))
    return lines


def condition_rows(result: WhatIfResult, name: str, lang: str = "en", *, top: int | None = None) -> tuple[list[str], list[list[str]]]:
    header = [t("whatif.col_input", lang), t("whatif.col_today", lang), t("whatif.col_ties", lang), t("whatif.col_change", lang), ""]
    found = result.for_path(name)
    rows = [[c.label, fmt.number(c.current), f"{c.direction} {fmt.number(c.value)}", change(c), t("whatif.step", lang) if c.at_step else ""]
            for c in (found[:top] if top else found)]
    return header, rows


def render_table(result: WhatIfResult, *, color: bool = False, lang: str = "en", top: int | None = None, width: int | None = None) -> str:
    from rich.markup import escape

    console = text_console(color=color, width=width, default_width=120)
    console.print(f"[bold]{escape(heading(result, lang))}[/bold]")
    for line in sentences(result, lang):
        console.print(f"  {line}", markup=False)
    steps = False
    for name in result.losers:
        header, rows = condition_rows(result, name, lang, top=top)
        if rows:
            console.print(rich_table(t("whatif.title", lang, path=name, winner=result.winner), header, rows, right_from=1, lang=lang))
            steps = steps or any(row[-1] for row in rows)
    if steps:
        console.print(f"  {t('whatif.step_note', lang)}", markup=False)
    return console.file.getvalue()


def render_markdown(result: WhatIfResult, lang: str = "en", top: int | None = None) -> str:
    out = [f"## {md(heading(result, lang))}", ""] + [f"- {md(line)}" for line in sentences(result, lang)] + [""]
    steps = False
    for name in result.losers:
        header, rows = condition_rows(result, name, lang, top=top)
        if rows:
            out += [f"### {md(t('whatif.title', lang, path=name, winner=result.winner))}", "", markdown_table(header, rows, right_from=1), ""]
            steps = steps or any(row[-1] for row in rows)
    if steps:
        out += [t("whatif.step_note", lang), ""]
    return "\n".join(out)


def render_csv(result: WhatIfResult, lang: str = "en") -> str:
    """One row per condition, sorted as in JSON."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)  # text cells formula-safe, control characters replaced
    writer.writerow(["winner", "path", "field", "current", "value", "change_fraction", "at_step"])
    for c in result.conditions:
        writer.writerow([result.winner, c.path, c.field, repr(c.current), repr(c.value),
                         "" if c.change_fraction is None else repr(c.change_fraction), "true" if c.at_step else "false"])
    return buffer.getvalue()


def render_json(result: WhatIfResult, lang: str = "en") -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)


RENDERERS = {"table": render_table, "markdown": render_markdown, "csv": render_csv, "json": render_json}
