"""Renderers for compare: one per format (table, markdown, csv, json)."""

from __future__ import annotations

import io
import json

from buildorbuy.analysis.compare import Comparison
from buildorbuy.engine.core import COMPONENTS, CSV_LATE_COMPONENTS, FLEET_KEYS
from buildorbuy.render import compare_views as views
from buildorbuy.render import formatting as fmt
from buildorbuy.render.i18n import accounting_title, message, t
from buildorbuy.render.tables import markdown_table, rich_table, text_console


SUMMARY_DROP = (6, 1, 5, 7, 3)
"""Summary columns left out on narrow terminals, first to last: levelised cost, kind, cost per 1M
tokens, peak GPUs, total (path, go-live, NPV and feasibility always stay)."""


def render_table(cmp: Comparison, *, color: bool, width: int | None = None, lang: str = "en", chart: bool = False) -> str:
    from rich.panel import Panel


    console = text_console(color=color, width=width)
    console.print(f"[bold]{escape(views.heading(cmp, lang))}[/bold]")
    console.print(rich_table(t("title.summary", lang), *views.summary_rows(cmp, lang), right_from=2, width=console.width,
                             drop=SUMMARY_DROP, lang=lang))
    for line in views.notes(cmp, lang):
        console.print(f"  {escape(line)}")
    console.print(rich_table(t("title.by_year", lang), *views.yearly_rows(cmp, lang), right_from=1, width=console.width, lang=lang))
    winner = cmp.recommendation.get("path")
    console.print(rich_table(t("title.components_all", lang), *views.all_component_rows(cmp, lang), right_from=2,
                             width=console.width, lang=lang))
    header, rows = views.breakeven_rows(cmp, lang)
    if rows:
        console.print(rich_table(t("title.breakeven", lang), header, rows, right_from=99, width=console.width, prose=(3,), lang=lang))
    header, rows = views.fleet_rows(cmp, lang)
    if rows:
        console.print(rich_table(t("title.fleet", lang), header, rows, right_from=1, width=console.width, lang=lang))
    header, rows = views.switch_rows(cmp, lang)
    if rows:
        console.print(rich_table(t("title.switch", lang), header, rows, right_from=99, width=console.width, lang=lang))
    header, rows = views.accounting_rows(cmp, lang)
    if rows:
        title = accounting_title(lang, cmp.scenario.fiscal_year_start_month)
        console.print(rich_table(title, header, rows, right_from=2, width=console.width, lang=lang))
    header, rows = views.estimate_rows(cmp, lang)
    if rows:
        console.print(rich_table(t("title.estimates", lang), header, rows, right_from=99, width=console.width, prose=(3,), lang=lang))
    title = t("reco.title", lang, path=winner if winner else t("reco.none", lang))
    console.print(Panel(escape(views.reason(cmp, lang)), title=_panel_title(escape(title)), expand=True))
    if chart:
        from buildorbuy.render.terminal_chart import cumulative_chart

        console.print(cumulative_chart(cmp, width=min(console.width, 120) - 2, lang=lang, color=color))
    return console.file.getvalue()


def _panel_title(markup: str):
    """A panel title as rich reads it. rich parses a title given as text with emoji codes
    (`:smile:`), importing its emoji table (~5 ms) at the first title; a title with fewer than two
    colons holds no code, so it is given already parsed, without them: the same text."""
    if markup.count(":") >= 2:
        return markup
    from rich.text import Text

    return Text.from_markup(markup, emoji=False)


def escape(text: str) -> str:
    """Scenario names are data, not rich markup."""
    from rich.markup import escape as _escape

    return _escape(text)


def render_markdown(cmp: Comparison, lang: str = "en") -> str:
    from buildorbuy.render.escape import markdown as md

    out = [f"## {md(views.heading(cmp, lang))}", ""]
    reco = cmp.recommendation
    out += [f"{t('reco.bold', lang, path=md(reco['path'] or t('reco.none', lang)))} {md(views.reason(cmp, lang))}", ""]
    out += [f"### {t('title.summary', lang)}", "", markdown_table(*views.summary_rows(cmp, lang), right_from=2), ""]
    notes = views.notes(cmp, lang)
    if notes:
        out += [f"- {md(line)}" for line in notes] + [""]
    out += [f"### {t('title.by_year', lang)}", "", markdown_table(*views.yearly_rows(cmp, lang), right_from=1), ""]
    out += [f"### {t('title.components_all', lang)}", "", markdown_table(*views.all_component_rows(cmp, lang), right_from=2), ""]
    header, rows = views.breakeven_rows(cmp, lang)
    if rows:
        out += [f"### {t('title.breakeven', lang)}", "", markdown_table(header, rows), ""]
    header, rows = views.fleet_rows(cmp, lang)
    if rows:
        out += [f"### {t('title.fleet', lang)}", "", markdown_table(header, rows, right_from=1), ""]
    header, rows = views.switch_rows(cmp, lang)
    if rows:
        out += [f"### {t('title.switch', lang)}", "", markdown_table(header, rows), ""]
    header, rows = views.accounting_rows(cmp, lang)
    if rows:
        out += [f"### {accounting_title(lang, cmp.scenario.fiscal_year_start_month)}", "",
                markdown_table(header, rows, right_from=2), ""]
    header, rows = views.estimate_rows(cmp, lang)
    if rows:
        out += [f"### {t('title.estimates', lang)}", "", markdown_table(header, rows), ""]
    if cmp.warnings:
        out += [f"### {t('title.warnings', lang)}", ""] + [f"- {md(message(w, lang))}" for w in cmp.warnings] + [""]
    return "\n".join(out)


def render_csv(cmp: Comparison, lang: str = "en") -> str:
    """Long format: one row per path and month (machine-readable: column names are not translated):
    totals, the cost components, then the serving fleet by how it is bought (reserved_gpus,
    on_demand_gpu_hours, owned_gpus as in JSON `paths[].fleet`; 0 for api paths), then the components
    added since (CSV_LATE_COMPONENTS: existing columns keep their order)."""
    early = [c for c in COMPONENTS if c not in CSV_LATE_COMPONENTS]
    sc = cmp.scenario
    buffer = io.StringIO()
    from buildorbuy.render.escape import csv_writer  # text cells formula-safe

    writer = csv_writer(buffer)
    writer.writerow(["path", "kind", "month", "date", "tokens", "served_tokens", "gpus", "monthly_cost", "cumulative_cost",
                     *early, *FLEET_KEYS, *CSV_LATE_COMPONENTS])
    result = cmp.result
    start = sc.start_date
    for i, p in enumerate(cmp.paths):
        # the fleet split of JSON `paths[].fleet`: an api path has no serving GPUs (0)
        fleet = p.fleet if p.fleet is not None else {key: [0.0] * sc.horizon for key in FLEET_KEYS} if p.kind == "api" else None
        for m in range(sc.horizon):
            writer.writerow([
                p.name, p.kind, m, fmt.month_label(start.year, start.month, m),
                _num(result.tokens[0, m]), _num(result.served_tokens[0, i, m]), _num(p.gpus[m]),
                _num(p.monthly_cost[m]), _num(p.cumulative_cost[m]),
                *(_num(result.components[c][0, i, m]) for c in early),
                *(("" if fleet is None else _num(fleet[key][m])) for key in FLEET_KEYS),
                *(_num(result.components[c][0, i, m]) for c in CSV_LATE_COMPONENTS),
            ])
    return buffer.getvalue()


def _num(value: float) -> str:
    value = float(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def render_json(cmp: Comparison, lang: str = "en") -> str:
    return json.dumps(cmp.to_dict(), indent=2, ensure_ascii=False)


RENDERERS = {"markdown": render_markdown, "csv": render_csv, "json": render_json}
