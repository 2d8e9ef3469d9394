"""Renderers for breakeven: a short explanation (table, markdown), one csv row, json."""

from __future__ import annotations

import io
import json

from buildorbuy.analysis.breakeven import BreakevenResult
from buildorbuy.render.tables import text_console
from buildorbuy.render import formatting as fmt
from buildorbuy.render.i18n import message, t
from buildorbuy.render.sweep_render import value_text


def shown_param(result: BreakevenResult) -> str:
    """The field as --set takes it, paths by name (JSON and CSV keep `param` as resolved)."""
    from buildorbuy.analysis._common import shown_field

    return shown_field(result.param, [p.name for p in result.scenario.paths])


def heading(result: BreakevenResult, lang: str = "en") -> str:
    return t("be2.heading", lang, param=shown_param(result), a=result.a, b=result.b, name=result.scenario.name)


def _pair_line(result: BreakevenResult, lang: str) -> str:
    """Which two paths were compared: the analysis's sentence in English, phrased from its facts otherwise."""
    facts = result.pair_facts
    if lang == "en" or not facts:
        return f"Compared {result.pair}" + ("." if "--between" in result.pair else "; --between names others.")
    if facts["rule"] == "between":
        return t("be2.pair_between", lang, a=result.a, b=result.b)
    if facts["rule"] == "api_hosted":
        return t("be2.pair_api_hosted", lang, api=facts["api"], hosted=facts["hosted"])
    return t("be2.pair_winner_runner", lang, a=result.a, b=result.b)


def _reason(result: BreakevenResult, lang: str) -> str:
    """Why there is no value, in `lang` (the analysis's sentence in English)."""
    if lang == "en":
        return result.reason or "no crossover"
    if result.cheaper_below is not None and result.cheaper_below == result.cheaper_above:
        return t("be2.no_crossover", lang, low=f"{result.low:g}", high=f"{result.high:g}", cheaper=result.cheaper_below)
    if result.cheaper_below is None and result.cheaper_above is None and result.reason:
        return t("be2.same_everywhere", lang)
    return result.reason or t("be2.no_crossover_short", lang)


def _notes(result: BreakevenResult, lang: str) -> list[str]:
    if lang == "en" or len(result.note_facts) != len(result.notes):
        return list(result.notes)
    return [t("be2.bridge_dominates_failure" if "fail" in facts else "be2.bridge_dominates", lang, **facts)
            for facts in result.note_facts]


def lines(result: BreakevenResult, lang: str = "en") -> list[str]:
    cur = result.scenario.currency
    out: list[str] = []
    if result.pair:
        out.append(_pair_line(result, lang))
    if result.value is None:
        out.append(_reason(result, lang))
    else:
        ratio = t("be2.ratio", lang, ratio=f"{result.value / result.current:.3g}", current=value_text(result.current)) if result.current else ""
        shown = value_text(result.value, 6)
        if result.at_step and result.integer and result.bracket is not None:
            out.append(t("be2.whole_values", lang, param=shown_param(result), lo=value_text(result.bracket[0]),
                         hi=value_text(result.bracket[1]), ratio=ratio))
        elif result.at_step:
            out.append(t("be2.step", lang, param=shown_param(result), value=shown, ratio=ratio))
        else:
            out.append(t("be2.equal", lang, param=shown_param(result), value=shown, ratio=ratio, npv=fmt.money(result.npv_a), cur=cur))
        if result.cheaper_below and result.cheaper_above:
            out.append(t("be2.below_above", lang, below=result.cheaper_below, above=result.cheaper_above))
        routing = routing_sentence(result, lang)
        if routing:
            out.append(routing)
        if result.at_step:
            where = t("be2.at_step", lang) if not result.integer else t("be2.at_value", lang, value=value_text(result.value))
            out.append(t("be2.npvs", lang, where=where, a=result.a, npv_a=fmt.money(result.npv_a), b=result.b,
                         npv_b=fmt.money(result.npv_b), cur=cur))
    lo, hi = value_text(result.low), value_text(result.high)
    scan = t("be2.scan_log" if result.log_scale else "be2.scan_linear", lang)
    batches = t("be2.batch" if result.engine_batches == 1 else "be2.batches", lang, n=result.engine_batches)
    refinements = t("be2.refinement" if result.iterations == 1 else "be2.refinements", lang, n=result.iterations)
    bracket = ""
    if result.relative_tolerance is not None and result.bracket is not None:
        bracket = t("be2.bracket", lang, lo=f"{result.bracket[0]:.9g}", hi=f"{result.bracket[1]:.9g}",
                    width=f"{result.relative_tolerance:.1e}")
    out.append(t("be2.searched", lang, param=shown_param(result), lo=lo, hi=hi, scan=scan, batches=batches,
                 refinements=refinements, bracket=bracket))
    out += _notes(result, lang)
    if result.other_crossings:
        out.append(t("be2.other_crossings", lang, values=", ".join(value_text(v) for v in result.other_crossings)))
    return out


def _model_label(path, lang: str = "en") -> str:
    """'the 8B model' from the path's model size (or its catalog id)."""
    model = getattr(path, "model", None)
    size = getattr(model, "params", None)
    if size:
        for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
            if size >= scale:
                value = size / scale
                shown = f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")
                return t("be2.the_model", lang, model=f"{shown}{unit}")
    catalog = getattr(model, "catalog", None)
    return t("be2.the_model", lang, model=catalog) if catalog else t("be2.own_model", lang)


def routing_sentence(result: BreakevenResult, lang: str = "en") -> str | None:
    """For routing.escalation_rate and routing.share, the break-even in the planner's words:
    'hosting pays while the 8B model fails on fewer than 7.9% of requests'."""
    import re

    match = re.fullmatch(r"paths\[(\d+)\]\.routing\.(escalation_rate|share)", result.param)
    if not match or result.value is None:
        return None
    index, field = int(match.group(1)), match.group(2)
    path = result.scenario.paths[index]
    pct = f"{result.value * 100:.2g}%" if result.value * 100 < 10 else f"{result.value * 100:.3g}%"
    model = _model_label(path, lang)
    if field == "escalation_rate" and result.cheaper_below == path.name:
        return t("be2.routing_escalation", lang, path=path.name, model=model, pct=pct)
    if field == "share" and result.cheaper_above == path.name:
        return t("be2.routing_share", lang, path=path.name, model=model, pct=pct)
    return None


def render_table(result: BreakevenResult, *, color: bool, width: int | None = None, lang: str = "en") -> str:
    from rich.text import Text

    console = text_console(color=color, width=width, default_width=120)
    console.print(Text(heading(result, lang), style="bold"))
    for line in lines(result, lang):
        console.print(f"  {line}", markup=False)
    return console.file.getvalue()


def render_markdown(result: BreakevenResult, lang: str = "en") -> str:
    from buildorbuy.render.escape import markdown as md

    out = [f"## {md(heading(result, lang))}", ""] + [f"- {md(line)}" for line in lines(result, lang)]
    if result.warnings:
        out += ["", f"### {t('title.warnings', lang)}", ""] + [f"- {md(message(w, lang))}" for w in result.warnings]
    return "\n".join(out) + "\n"


CSV_FIELDS = ["param", "a", "b", "value", "at_step", "bracket_low", "bracket_high", "npv_a", "npv_b", "cheaper_below",
              "cheaper_above", "current_value", "range_low", "range_high", "iterations", "engine_batches"]


def render_csv(result: BreakevenResult, lang: str = "en") -> str:
    """One data row: column names and values are the same in every language."""
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


def render_json(result: BreakevenResult, lang: str = "en") -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)


RENDERERS = {"markdown": render_markdown, "csv": render_csv, "json": render_json}
