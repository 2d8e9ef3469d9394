"""Renderers for simulate: one per format (table, markdown, csv, json)."""

from __future__ import annotations

import io
import json

from buildorbuy.analysis.montecarlo import Simulation
from buildorbuy.render import formatting as fmt
from buildorbuy.render.i18n import input_label, message, t
from buildorbuy.render.tables import markdown_table, rich_table, text_console

BAR_WIDTH = 30
SPARKS = " ▁▂▃▄▅▆▇█"
TOP_DRIVERS = 8


def heading(sim: Simulation, lang: str = "en") -> str:
    sc = sim.scenario
    return t("sim.heading", lang, name=sc.name, samples=f"{sim.samples:,}", seed=sim.seed, horizon=sc.horizon,
             start=f"{sc.start_date:%Y-%m}", cur=sc.currency, rate=f"{sc.discount_rate:.1%}")


def summary_rows(sim: Simulation, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    cur = sim.currency
    header = [t("col.path", lang), t("sim.col_npv_cur", lang, p="P10", cur=cur), t("sim.col_npv", lang, p="P50"),
              t("sim.col_npv", lang, p="P90"), t("sim.col_per_1m_cur", lang, p="P10", cur=cur), t("sim.col_per_1m", lang, p="P50"),
              t("sim.col_per_1m", lang, p="P90"), t("sim.col_cheapest", lang), t("sim.col_regret_cur", lang, cur=cur)]
    rows = []
    for p in sim.paths:
        name = p.name + (" ★" if p.name == sim.winner else "")
        rows.append([
            name, fmt.money(p.npv_p10), fmt.money(p.npv_p50), fmt.money(p.npv_p90),
            fmt.unit_cost(p.cost_per_million_tokens_p10), fmt.unit_cost(p.cost_per_million_tokens_p50),
            fmt.unit_cost(p.cost_per_million_tokens_p90), fmt.percent(p.win_probability), fmt.money(p.expected_regret),
        ])
    return header, rows


def bar(share: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar in eighths of a character."""
    eighths = int(round(max(0.0, min(1.0, share)) * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")


def probability_rows(sim: Simulation, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    header = [t("col.path", lang), t("sim.col_cheapest", lang), ""]
    rows = [[p.name, fmt.percent(p.win_probability), bar(p.win_probability)] for p in sim.paths]
    if sim.no_winner_probability > 0:
        rows.append([t("sim.none_recommendable", lang), fmt.percent(sim.no_winner_probability), bar(sim.no_winner_probability)])
    return header, rows


def yearly_rows(sim: Simulation, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    header = [t("col.path", lang)] + [t("col.year", lang, n=y["year"]) if (y["month"] + 1) % 12 == 0
                                      else t("col.year_part", lang, n=y["year"], months=y["month"] + 1 - 12 * (y["year"] - 1))
                                      for y in sim.years]
    rows = [[p.name] + [fmt.percent(v) for v in p.win_probability_by_year] for p in sim.paths]
    return header, rows


def driver_rows(sim: Simulation, lang: str = "en") -> tuple[str, list[str], list[list[str]]]:
    title = t("sim.drivers_title", lang, winner=sim.winner, runner=sim.runner_up)
    header = [t("sim.col_input", lang), "Spearman ρ", "", t("sim.col_partial", lang), t("sim.col_favours", lang)]
    rows = []
    for d in sim.drivers[:TOP_DRIVERS]:
        rho = d["spearman"]
        partial = d.get("partial_spearman")
        direction = partial if partial is not None else rho
        favours = sim.runner_up if direction > 0 else sim.winner
        rows.append([input_label(d["label"], lang), f"{rho:+.2f}", bar(abs(rho), 16), "—" if partial is None else f"{partial:+.2f}",
                     favours if abs(direction) >= 0.05 else "—"])
    return title, header, rows


def input_rows(sim: Simulation, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    header = [t("sim.col_input", lang), t("sim.col_distribution", lang), t("sim.col_estimate", lang),
              t("sim.col_sampled_p10", lang), "P50", "P90"]
    rows = [[input_label(i["label"], lang), i["describe"], _value(i["estimate"]), _value(i["p10"]), _value(i["p50"]), _value(i["p90"])]
            for i in sim.inputs]
    return header, rows


def histogram_lines(sim: Simulation) -> list[str]:
    """One sparkline per path on common NPV bins."""
    edges = sim.histogram["edges"]
    counts = sim.histogram["counts"]
    top = max((max(c) for c in counts.values()), default=0) or 1
    width = max(len(name) for name in counts)
    lines = []
    for name, values in counts.items():
        spark = "".join(SPARKS[min(8, int(round(v / top * 8)))] if v else " " for v in values)
        lines.append(f"{name:<{width}}  {spark}")
    lines.append(f"{'':<{width}}  {fmt.money_short(edges[0]):<{len(edges) // 2}}{fmt.money_short(edges[-1]):>{len(edges) - 1 - len(edges) // 2}}")
    return lines


def _value(value: float) -> str:
    """Sampled input values: thousands separators from 1,000, else 4 significant digits."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def render_table(sim: Simulation, *, color: bool, width: int | None = None, lang: str = "en") -> str:
    from rich.markup import escape

    console = text_console(color=color, width=width, default_width=140)
    console.print(f"[bold]{escape(heading(sim, lang))}[/bold]")
    # too narrow: cost per 1M tokens goes first (NPV carries the same ranking), then expected regret
    console.print(rich_table(t("sim.title_summary", lang), *summary_rows(sim, lang), right_from=1, drop=(6, 5, 4, 8), lang=lang))
    console.print(rich_table(t("sim.title_probability", lang), *probability_rows(sim, lang), right_from=1, lang=lang))
    console.print(rich_table(t("sim.title_yearly", lang), *yearly_rows(sim, lang), right_from=1, lang=lang))
    console.print(f"[bold]{escape(t('sim.title_distribution', lang, cur=sim.currency))}[/bold]")
    for line in histogram_lines(sim):
        console.print(f"  {line}", markup=False)
    if sim.drivers:
        title, header, rows = driver_rows(sim, lang)
        console.print(rich_table(title, header, rows, right_from=1, drop=(2, 3), lang=lang))  # the bar, then partial ρ
    if sim.inputs:
        console.print(rich_table(t("sim.title_inputs", lang), *input_rows(sim, lang), right_from=2, drop=(2,), prose=(1,), lang=lang))
    for warning in sim.warnings:
        console.print("  " + t("sim.note", lang, warning=message(warning, lang)), markup=False)
    return console.file.getvalue()


def render_markdown(sim: Simulation, lang: str = "en") -> str:
    from buildorbuy.render.escape import markdown as md

    out = [f"## {md(heading(sim, lang))}", ""]
    if sim.winner:
        best = next(p for p in sim.paths if p.name == sim.winner)
        out += [t("sim.md_cheapest", lang, winner=md(sim.winner), share=f"{best.win_probability:.1%}"), ""]
    out += [f"### {t('sim.md_summary', lang)}", "", markdown_table(*summary_rows(sim, lang), right_from=1), ""]
    out += [f"### {t('sim.title_yearly', lang)}", "", markdown_table(*yearly_rows(sim, lang), right_from=1), ""]
    if sim.drivers:
        title, header, rows = driver_rows(sim, lang)
        out += [f"### {md(title)}", "", markdown_table([header[0], header[1], header[3], header[4]], [[r[0], r[1], r[3], r[4]] for r in rows]), ""]
    if sim.inputs:
        out += [f"### {t('sim.title_inputs', lang)}", "", markdown_table(*input_rows(sim, lang), right_from=2), ""]
    if sim.warnings:
        out += [f"### {t('title.warnings', lang)}", ""] + [f"- {md(message(w, lang))}" for w in sim.warnings] + [""]
    return "\n".join(out)


def render_csv(sim: Simulation, lang: str = "en") -> str:
    """One row per path (data: column names and values are the same in every language)."""
    buffer = io.StringIO()
    from buildorbuy.render.escape import csv_writer  # text cells formula-safe

    writer = csv_writer(buffer)
    years = [f"win_probability_year_{y['year']}" for y in sim.years]
    fields = ["npv_p10", "npv_p50", "npv_p90", "npv_mean", "cost_per_million_tokens_p10", "cost_per_million_tokens_p50",
              "cost_per_million_tokens_p90", "win_probability", "expected_regret", "recommendable_probability", "success_rate"]
    writer.writerow(["path", "kind", *fields, *years])
    for p in sim.paths:
        writer.writerow([p.name, p.kind, *(_num(getattr(p, f)) for f in fields), *(_num(v) for v in p.win_probability_by_year)])
    return buffer.getvalue()


def _num(value: float | None) -> str:
    if value is None:
        return ""
    value = float(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def render_json(sim: Simulation, lang: str = "en") -> str:
    return json.dumps(sim.to_dict(), indent=2, ensure_ascii=False)


RENDERERS = {"markdown": render_markdown, "csv": render_csv, "json": render_json}
