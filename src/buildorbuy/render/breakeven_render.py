"""Renderers for breakeven: a short explanation (table, markdown), one csv row, json."""

from __future__ import annotations

import io
import json

from buildorbuy.analysis.breakeven import BreakevenResult
from buildorbuy.render.tables import text_console
from buildorbuy.render import formatting as fmt
from buildorbuy.render.sweep_render import value_text


def heading(result: BreakevenResult) -> str:
    return f"Break-even of {result.param}: {result.a} vs {result.b} ({result.scenario.name})"


def lines(result: BreakevenResult) -> list[str]:
    cur = result.scenario.currency
    out: list[str] = []
    if result.value is None:
        out.append(result.reason or "no crossover")
    else:
        ratio = f" ({result.value / result.current:.3g}× the current {value_text(result.current)})" if result.current else ""
        shown = value_text(result.value, 6)
        if result.at_step and result.integer and result.bracket is not None:
            out.append(
                f"{result.param} takes whole values: the cheaper path changes between {value_text(result.bracket[0])} and "
                f"{value_text(result.bracket[1])}{ratio}."
            )
        elif result.at_step:
            out.append(
                f"No exact equality (a whole-GPU capacity or whole-month step): the NPV difference jumps across zero "
                f"at {result.param} ≈ {shown}{ratio}."
            )
        else:
            out.append(f"{result.param} = {shown}{ratio}: both cost {fmt.money(result.npv_a)} {cur} NPV.")
        if result.cheaper_below and result.cheaper_above:
            out.append(f"Below it {result.cheaper_below} is cheaper; above it {result.cheaper_above} is.")
        routing = routing_sentence(result)
        if routing:
            out.append(routing)
        if result.at_step:
            where = "At the step:" if not result.integer else f"At {value_text(result.value)}:"
            out.append(f"{where} {result.a} {fmt.money(result.npv_a)}, {result.b} {fmt.money(result.npv_b)} {cur} NPV.")
    lo, hi = value_text(result.low), value_text(result.high)
    search = f"Searched {result.param} from {lo} to {hi} ({'log' if result.log_scale else 'linear'} scan"
    search += (f", {result.engine_batches} engine batch{'es' if result.engine_batches != 1 else ''}, "
               f"{result.iterations} refinement{'s' if result.iterations != 1 else ''}")
    if result.relative_tolerance is not None and result.bracket is not None:
        search += f"; bracket {result.bracket[0]:.9g} … {result.bracket[1]:.9g}, relative width {result.relative_tolerance:.1e}"
    out.append(search + ").")
    if result.other_crossings:
        out.append("The order also changes near: " + ", ".join(value_text(v) for v in result.other_crossings) + " (use --range to look there).")
    return out


def _model_label(path) -> str:
    """'the 8B model' from the path's model size (or its catalog id)."""
    model = getattr(path, "model", None)
    size = getattr(model, "params", None)
    if size:
        for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
            if size >= scale:
                value = size / scale
                shown = f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")
                return f"the {shown}{unit} model"
    catalog = getattr(model, "catalog", None)
    return f"the {catalog} model" if catalog else "the own model"


def routing_sentence(result: BreakevenResult) -> str | None:
    """For routing.escalation_rate and routing.share, the break-even in the planner's words:
    'hosting pays while the 8B model fails on fewer than 7.9 % of requests'."""
    import re

    match = re.fullmatch(r"paths\[(\d+)\]\.routing\.(escalation_rate|share)", result.param)
    if not match or result.value is None:
        return None
    index, field = int(match.group(1)), match.group(2)
    path = result.scenario.paths[index]
    pct = f"{result.value * 100:.2g} %" if result.value * 100 < 10 else f"{result.value * 100:.3g} %"
    model = _model_label(path)
    if field == "escalation_rate" and result.cheaper_below == path.name:
        return f"{path.name}: hosting pays while {model} fails on fewer than {pct} of requests."
    if field == "share" and result.cheaper_above == path.name:
        return f"{path.name}: hosting pays once {model} serves more than {pct} of traffic."
    return None


def render_table(result: BreakevenResult, *, color: bool, width: int | None = None) -> str:
    from rich.text import Text

    console = text_console(color=color, width=width, default_width=120)
    console.print(Text(heading(result), style="bold"))
    for line in lines(result):
        console.print(f"  {line}", markup=False)
    return console.file.getvalue()


def render_markdown(result: BreakevenResult) -> str:
    from buildorbuy.render.escape import markdown as md

    out = [f"## {md(heading(result))}", ""] + [f"- {md(line)}" for line in lines(result)]
    if result.warnings:
        out += ["", "### Warnings", ""] + [f"- {md(w)}" for w in result.warnings]
    return "\n".join(out) + "\n"


CSV_FIELDS = ["param", "a", "b", "value", "at_step", "bracket_low", "bracket_high", "npv_a", "npv_b", "cheaper_below",
              "cheaper_above", "current_value", "range_low", "range_high", "iterations", "engine_batches"]


def render_csv(result: BreakevenResult) -> str:
    buffer = io.StringIO()
    from buildorbuy.render.escape import csv_writer  # text cells formula-safe

    writer = csv_writer(buffer)
    writer.writerow(CSV_FIELDS)

    def num(value: float | None) -> str:
        return "" if value is None else repr(float(value))

    bracket = result.bracket or (None, None)
    writer.writerow([result.param, result.a, result.b, num(result.value), str(result.at_step).lower(), num(bracket[0]), num(bracket[1]),
                     num(result.npv_a), num(result.npv_b), result.cheaper_below or "", result.cheaper_above or "",
                     num(result.current), num(result.low), num(result.high), result.iterations, result.engine_batches])
    return buffer.getvalue()


def render_json(result: BreakevenResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)


RENDERERS = {"markdown": render_markdown, "csv": render_csv, "json": render_json}
