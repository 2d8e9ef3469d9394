"""Format-independent views of a Comparison: the rows every renderer shows."""

from __future__ import annotations

from buildorbuy.analysis.compare import Comparison
from buildorbuy.engine.core import COMPONENT_LABELS
from buildorbuy.render import formatting as fmt


def summary_rows(cmp: Comparison) -> tuple[list[str], list[list[str]]]:
    cur = cmp.currency
    header = ["Path", "Kind", "Go-live", f"Total ({cur})", f"NPV ({cur})", f"Per 1M tokens ({cur})",
              f"Levelised per 1M ({cur})", "Peak GPUs", "Feasible"]
    winner = cmp.recommendation.get("path")
    rows = []
    for p in cmp.paths:
        feasible = "yes" if p.feasible else "no (see notes)"
        if p.feasible and p.unserved_tokens > 0:
            feasible = "yes, traffic unserved"
        name = p.name + (" ★" if p.name == winner else "")
        rows.append([
            name, p.kind, f"month {p.live_month}", fmt.money(p.total_cost), fmt.money(p.npv),
            fmt.unit_cost(p.cost_per_million_tokens), fmt.unit_cost(p.levelised_cost_per_million_tokens),
            fmt.number(p.peak_gpus) if p.kind != "api" else "—", feasible,
        ])
    return header, rows


def notes(cmp: Comparison) -> list[str]:
    """One line per path that is infeasible or leaves traffic unserved, then the warnings."""
    lines = []
    for p in cmp.paths:
        if not p.feasible:
            lines.append(f"{p.name} is infeasible: {p.infeasible_reason}.")
        elif p.unserved_tokens > 0:
            lines.append(f"{p.name} leaves {fmt.tokens(p.unserved_tokens)} tokens unserved before go-live (no bridge): never recommended.")
    return lines


def yearly_rows(cmp: Comparison) -> tuple[list[str], list[list[str]]]:
    horizon = cmp.scenario.horizon
    years = (horizon + 11) // 12
    header = ["Path"] + [f"Year {y + 1}" if (y + 1) * 12 <= horizon else f"Year {y + 1} ({horizon - 12 * y} mo)" for y in range(years)] + ["Total"]
    rows = []
    for p in cmp.paths:
        per_year = [sum(p.monthly_cost[12 * y : 12 * (y + 1)]) for y in range(years)]
        rows.append([p.name] + [fmt.money(v) for v in per_year] + [fmt.money(p.total_cost)])
    tokens = cmp.tokens
    rows.append(["tokens demanded"] + [fmt.tokens(sum(tokens[12 * y : 12 * (y + 1)])) for y in range(years)] + [fmt.tokens(sum(tokens))])
    return header, rows


def component_rows(cmp: Comparison, name: str) -> tuple[list[str], list[list[str]]]:
    path = next(p for p in cmp.paths if p.name == name)
    header = ["Component", f"Total ({cmp.currency})", "Share"]
    rows = []
    total = path.total_cost
    for key, values in path.components.items():
        value = sum(values)
        rows.append([COMPONENT_LABELS.get(key, key), fmt.money(value), fmt.percent(value / total if total else None)])
    rows.append(["total", fmt.money(total), fmt.percent(1.0 if total else None)])
    return header, rows


def breakeven_rows(cmp: Comparison) -> tuple[list[str], list[list[str]]]:
    """Per pair of paths: the month from which one stays cumulatively at or below the other.

    A pair where one path is never above the other from month 0 is left out (nothing to break even).
    """
    header = ["Path", "against", "Break-even", "Meaning"]
    months = {(e["a"], e["b"]): e["month"] for e in cmp.breakeven}
    names = [p.name for p in cmp.paths]
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            ab, ba = months[(a, b)], months[(b, a)]
            if ab == 0 or ba == 0:
                continue
            if ab is None and ba is None:
                rows.append([a, b, "never", f"neither stays cheaper to the end of {cmp.scenario.horizon} months"])
                continue
            first, second, month = (a, b, ab) if ab is not None else (b, a, ba)
            rows.append([first, second, f"month {month}", f"cumulative cost stays at or below {second}'s from month {month} on"])
    return header, rows


def estimate_rows(cmp: Comparison) -> tuple[list[str], list[list[str]]]:
    header = ["Path", "Field", "Value", "How"]
    rows = [["(scenario)", key, fmt.number(e["value"]), e["method"]] for key, e in cmp.estimates.items()]
    for p in cmp.paths:
        for key, e in p.estimates.items():
            rows.append([p.name, key, fmt.number(e["value"]), e["method"]])
    return header, rows


def heading(cmp: Comparison) -> str:
    sc = cmp.scenario
    return (
        f"{sc.name} — {sc.horizon} months from {sc.start_date:%Y-%m}, {sc.currency}, "
        f"discount rate {sc.discount_rate:.1%}/year"
    )
