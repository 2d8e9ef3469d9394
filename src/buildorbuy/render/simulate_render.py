"""Renderers for simulate: one per format (table, markdown, csv, json)."""

from __future__ import annotations

import io
import json

from buildorbuy.analysis.montecarlo import Simulation
from buildorbuy.render import formatting as fmt
from buildorbuy.render.tables import markdown_table, rich_table, text_console

BAR_WIDTH = 30
SPARKS = " ▁▂▃▄▅▆▇█"
TOP_DRIVERS = 8


def heading(sim: Simulation) -> str:
    sc = sim.scenario
    return (
        f"{sc.name} — Monte Carlo, {sim.samples:,} samples (seed {sim.seed}), {sc.horizon} months from "
        f"{sc.start_date:%Y-%m}, {sc.currency}, discount rate {sc.discount_rate:.1%}/year"
    )


def summary_rows(sim: Simulation) -> tuple[list[str], list[list[str]]]:
    cur = sim.currency
    header = ["Path", f"NPV P10 ({cur})", "NPV P50", "NPV P90", f"Per 1M P10 ({cur})", "Per 1M P50", "Per 1M P90",
              "P(cheapest)", f"Expected regret ({cur})"]
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


def probability_rows(sim: Simulation) -> tuple[list[str], list[list[str]]]:
    header = ["Path", "P(cheapest)", ""]
    rows = [[p.name, fmt.percent(p.win_probability), bar(p.win_probability)] for p in sim.paths]
    if sim.no_winner_probability > 0:
        rows.append(["(none recommendable)", fmt.percent(sim.no_winner_probability), bar(sim.no_winner_probability)])
    return header, rows


def yearly_rows(sim: Simulation) -> tuple[list[str], list[list[str]]]:
    header = ["Path"] + [f"Year {y['year']}" + ("" if (y["month"] + 1) % 12 == 0 else f" ({y['month'] + 1 - 12 * (y['year'] - 1)} mo)")
                         for y in sim.years]
    rows = [[p.name] + [fmt.percent(v) for v in p.win_probability_by_year] for p in sim.paths]
    return header, rows


def driver_rows(sim: Simulation) -> tuple[str, list[str], list[list[str]]]:
    title = f"What decides {sim.winner} against {sim.runner_up}"
    header = ["Input", "Spearman ρ", "", "Partial ρ", "Raising it favours"]
    rows = []
    for d in sim.drivers[:TOP_DRIVERS]:
        rho = d["spearman"]
        partial = d.get("partial_spearman")
        direction = partial if partial is not None else rho
        favours = sim.runner_up if direction > 0 else sim.winner
        rows.append([d["label"], f"{rho:+.2f}", bar(abs(rho), 16), "—" if partial is None else f"{partial:+.2f}",
                     favours if abs(direction) >= 0.05 else "—"])
    return title, header, rows


def input_rows(sim: Simulation) -> tuple[list[str], list[list[str]]]:
    header = ["Input", "Distribution", "Estimate (compare)", "Sampled P10", "P50", "P90"]
    rows = [[i["label"], i["describe"], _value(i["estimate"]), _value(i["p10"]), _value(i["p50"]), _value(i["p90"])]
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


def render_table(sim: Simulation, *, color: bool, width: int | None = None) -> str:
    from rich.markup import escape

    console = text_console(color=color, width=width, default_width=140)
    console.print(f"[bold]{escape(heading(sim))}[/bold]")
    console.print(rich_table("Present cost (NPV) and cost per 1M tokens, by percentile", *summary_rows(sim), right_from=1))
    console.print(rich_table("Probability of being cheapest (NPV, among recommendable paths)", *probability_rows(sim), right_from=1))
    console.print(rich_table("Cheapest by cumulative cost at each year-end", *yearly_rows(sim), right_from=1))
    console.print(f"[bold]NPV distribution ({escape(sim.currency)})[/bold]")
    for line in histogram_lines(sim):
        console.print(f"  {line}", markup=False)
    if sim.drivers:
        title, header, rows = driver_rows(sim)
        console.print(rich_table(title, header, rows, right_from=1))
    if sim.inputs:
        console.print(rich_table("Sampled inputs", *input_rows(sim), right_from=2))
    for warning in sim.warnings:
        console.print(f"  note: {warning}", markup=False)
    return console.file.getvalue()


def render_markdown(sim: Simulation) -> str:
    from buildorbuy.render.escape import markdown as md

    out = [f"## {md(heading(sim))}", ""]
    if sim.winner:
        best = next(p for p in sim.paths if p.name == sim.winner)
        out += [f"**{md(sim.winner)} is cheapest in {best.win_probability:.1%} of samples.**", ""]
    out += ["### Present cost (NPV) and cost per 1M tokens", "", markdown_table(*summary_rows(sim), right_from=1), ""]
    out += ["### Cheapest by cumulative cost at each year-end", "", markdown_table(*yearly_rows(sim), right_from=1), ""]
    if sim.drivers:
        title, header, rows = driver_rows(sim)
        out += [f"### {md(title)}", "", markdown_table([header[0], header[1], header[3], header[4]], [[r[0], r[1], r[3], r[4]] for r in rows]), ""]
    if sim.inputs:
        out += ["### Sampled inputs", "", markdown_table(*input_rows(sim), right_from=2), ""]
    if sim.warnings:
        out += ["### Warnings", ""] + [f"- {md(w)}" for w in sim.warnings] + [""]
    return "\n".join(out)


def render_csv(sim: Simulation) -> str:
    """One row per path."""
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


def render_json(sim: Simulation) -> str:
    return json.dumps(sim.to_dict(), indent=2, ensure_ascii=False)


RENDERERS = {"markdown": render_markdown, "csv": render_csv, "json": render_json}
