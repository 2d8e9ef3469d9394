"""Renderers for compare: one per format (table, markdown, csv, json)."""

from __future__ import annotations

import csv
import io
import json

from buildorbuy.analysis.compare import Comparison
from buildorbuy.engine.core import COMPONENTS
from buildorbuy.render import compare_views as views
from buildorbuy.render import formatting as fmt
from buildorbuy.render.tables import markdown_table, rich_table


def render_table(cmp: Comparison, *, color: bool, width: int | None = None) -> str:
    from rich.console import Console
    from rich.panel import Panel

    import shutil

    width = width or max(shutil.get_terminal_size((120, 40)).columns, 100)
    console = Console(file=io.StringIO(), force_terminal=color, no_color=not color, width=width,
                      color_system="standard" if color else None, highlight=False, emoji=False)
    console.print(f"[bold]{views.heading(cmp)}[/bold]")
    console.print(rich_table("Summary", *views.summary_rows(cmp), right_from=2))
    for line in views.notes(cmp):
        console.print(f"  {line}")
    console.print(rich_table("Cost by year", *views.yearly_rows(cmp), right_from=1))
    winner = cmp.recommendation.get("path")
    if winner:
        console.print(rich_table(f"Where {winner}'s money goes", *views.component_rows(cmp, winner), right_from=1))
    header, rows = views.breakeven_rows(cmp)
    if rows:
        console.print(rich_table("Break-even (cumulative, undiscounted)", header, rows, right_from=99))
    header, rows = views.estimate_rows(cmp)
    if rows:
        console.print(rich_table("Estimated inputs", header, rows, right_from=99))
    title = f"Recommendation: {winner}" if winner else "Recommendation: none"
    console.print(Panel(cmp.recommendation["reason"], title=title, expand=True))
    return console.file.getvalue()


def render_markdown(cmp: Comparison) -> str:
    out = [f"## {views.heading(cmp)}", ""]
    reco = cmp.recommendation
    out += [f"**Recommendation: {reco['path'] or 'none'}.** {reco['reason']}", ""]
    out += ["### Summary", "", markdown_table(*views.summary_rows(cmp), right_from=2), ""]
    notes = views.notes(cmp)
    if notes:
        out += [f"- {line}" for line in notes] + [""]
    out += ["### Cost by year", "", markdown_table(*views.yearly_rows(cmp), right_from=1), ""]
    if reco.get("path"):
        out += [f"### Where {reco['path']}'s money goes", "", markdown_table(*views.component_rows(cmp, reco["path"]), right_from=1), ""]
    header, rows = views.breakeven_rows(cmp)
    if rows:
        out += ["### Break-even (cumulative, undiscounted)", "", markdown_table(header, rows), ""]
    header, rows = views.estimate_rows(cmp)
    if rows:
        out += ["### Estimated inputs", "", markdown_table(header, rows), ""]
    if cmp.warnings:
        out += ["### Warnings", ""] + [f"- {w}" for w in cmp.warnings] + [""]
    return "\n".join(out)


def render_csv(cmp: Comparison) -> str:
    """Long format: one row per path and month."""
    sc = cmp.scenario
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["path", "kind", "month", "date", "tokens", "served_tokens", "gpus", "monthly_cost", "cumulative_cost", *COMPONENTS])
    result = cmp.result
    start = sc.start_date
    for i, p in enumerate(cmp.paths):
        for m in range(sc.horizon):
            writer.writerow([
                p.name, p.kind, m, fmt.month_label(start.year, start.month, m),
                _num(result.tokens[0, m]), _num(result.served_tokens[0, i, m]), _num(p.gpus[m]),
                _num(p.monthly_cost[m]), _num(p.cumulative_cost[m]),
                *(_num(result.components[c][0, i, m]) for c in COMPONENTS),
            ])
    return buffer.getvalue()


def _num(value: float) -> str:
    value = float(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def render_json(cmp: Comparison) -> str:
    return json.dumps(cmp.to_dict(), indent=2, ensure_ascii=False)


RENDERERS = {"markdown": render_markdown, "csv": render_csv, "json": render_json}
