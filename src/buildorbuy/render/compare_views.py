"""Format-independent views of a Comparison: the rows every renderer shows, in English or Chinese."""

from __future__ import annotations

from buildorbuy.analysis.compare import Comparison
from buildorbuy.render import formatting as fmt
from buildorbuy.phrases import phrase_infeasible
from buildorbuy.render.i18n import component_label, infeasible_phrases, kind_label, message, t


def summary_rows(cmp: Comparison, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    cur = cmp.currency
    header = [t("col.path", lang), t("col.kind", lang), t("col.golive", lang), t("col.total_cur", lang, cur=cur),
              t("col.npv_cur", lang, cur=cur), t("col.per_1m_cur", lang, cur=cur),
              t("col.levelised_cur", lang, cur=cur), t("col.peak_gpus", lang), t("col.feasible", lang)]
    winner = cmp.recommendation.get("path")
    rows = []
    for p in cmp.paths:
        feasible = t("yes", lang) if p.feasible else t("no_see_notes", lang)
        if p.feasible and p.unserved_tokens > 0:
            feasible = t("yes_unserved", lang)
        name = p.name + (" ★" if p.name == winner else "")
        rows.append([
            name, kind_label(p.kind, lang), t("month_n", lang, n=p.live_month), fmt.money(p.total_cost), fmt.money(p.npv),
            fmt.unit_cost(p.cost_per_million_tokens), fmt.unit_cost(p.levelised_cost_per_million_tokens),
            fmt.number(max(p.peak_gpus, p.reserved_gpus or 0.0)) if p.kind != "api" else "—", feasible,
        ])
    return header, rows


def notes(cmp: Comparison, lang: str = "en") -> list[str]:
    """One line per path that is infeasible or leaves traffic unserved, and per path whose failure
    leaves its traffic (and the bridge's staff) on the bridge."""
    lines = []
    for p in cmp.paths:
        if not p.feasible:
            why = p.infeasible_reason if lang == "en" or not p.infeasible_facts else phrase_infeasible(p.infeasible_facts, infeasible_phrases(lang))
            lines.append(t("note.infeasible", lang, name=p.name, reason=why))
        elif p.live_month >= cmp.scenario.horizon:
            lines.append(t("note.after_horizon", lang, name=p.name, month=p.live_month, horizon=cmp.scenario.horizon))
        elif p.unserved_tokens > 0:
            lines.append(t("note.unserved", lang, name=p.name, tokens=fmt.tokens(p.unserved_tokens)))
        if "bridge_staff" in p.components:
            lines.append(t("note.failure_bridge", lang, name=p.name, p=f"{p.success_probability:.0%}", month=p.live_month,
                           bridge=cmp.scenario.bridge, staff=fmt.money(sum(p.components["bridge_staff"])), cur=cmp.currency))
    return lines


def yearly_rows(cmp: Comparison, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    horizon = cmp.scenario.horizon
    years = (horizon + 11) // 12
    header = ([t("col.path", lang)]
              + [t("col.year", lang, n=y + 1) if (y + 1) * 12 <= horizon else t("col.year_part", lang, n=y + 1, months=horizon - 12 * y)
                 for y in range(years)]
              + [t("col.total", lang)])
    rows = []
    for p in cmp.paths:
        per_year = [sum(p.monthly_cost[12 * y : 12 * (y + 1)]) for y in range(years)]
        rows.append([p.name] + [fmt.money(v) for v in per_year] + [fmt.money(p.total_cost)])
    tokens = cmp.tokens
    rows.append([t("row.tokens_demanded", lang)] + [fmt.tokens(sum(tokens[12 * y : 12 * (y + 1)])) for y in range(years)] + [fmt.tokens(sum(tokens))])
    return header, rows


def component_rows(cmp: Comparison, name: str, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    path = next(p for p in cmp.paths if p.name == name)
    header = [t("col.component", lang), t("col.total_cur", lang, cur=cmp.currency), t("col.share", lang)]
    rows = []
    total = path.total_cost
    for key, values in path.components.items():
        value = sum(values)
        rows.append([component_label(key, lang), fmt.money(value), fmt.percent(value / total if total else None)])
    rows.append([t("row.total", lang), fmt.money(total), fmt.percent(1.0 if total else None)])
    return header, rows


def all_component_rows(cmp: Comparison, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    """Every path's cost by component (undiscounted totals) with its share, and a total row per path."""
    header = [t("col.path", lang), t("col.component", lang), t("col.total_cur", lang, cur=cmp.currency), t("col.share", lang)]
    rows = []
    for p in cmp.paths:
        _, own = component_rows(cmp, p.name, lang)
        for j, row in enumerate(own):
            rows.append([p.name if j == 0 else "", *row])
    return header, rows


def breakeven_rows(cmp: Comparison, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    """Per pair of paths: the month from which one stays cumulatively at or below the other.

    A pair where one path is at or below the other from month 0 to the end says the other one
    "never" breaks even; a pair that costs the same every month is left out, and so is every pair
    with an infeasible path (no choice: the recommendation says why it is excluded).
    """
    header = [t("col.path", lang), t("col.against", lang), t("col.breakeven", lang), t("col.meaning", lang)]
    months = {(e["a"], e["b"]): e["month"] for e in cmp.breakeven}
    names = [p.name for p in cmp.paths if p.feasible]
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            ab, ba = months[(a, b)], months[(b, a)]
            if ab == 0 and ba == 0:
                continue
            if ab == 0 or ba == 0:
                cheap, dear, month = (a, b, ba) if ab == 0 else (b, a, ab)
                if month is None:
                    rows.append([dear, cheap, t("never.breakeven", lang), t("be.never", lang, other=cheap, horizon=cmp.scenario.horizon)])
                else:
                    rows.append([dear, cheap, t("month_n", lang, n=month), t("be.meaning", lang, other=cheap, month=month)])
                continue
            if ab is None and ba is None:
                rows.append([a, b, t("never.breakeven", lang), t("be.neither", lang, horizon=cmp.scenario.horizon)])
                continue
            first, second, month = (a, b, ab) if ab is not None else (b, a, ba)
            rows.append([first, second, t("month_n", lang, n=month), t("be.meaning", lang, other=second, month=month)])
    return header, rows


def fleet_rows(cmp: Comparison, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    """Serving fleets by how they are bought, per path and year: the most reserved and owned GPUs
    in any month, on-demand GPU-hours, and all GPU-hours paid (reserved + on-demand, or owned × 730).

    Empty when every fleet is rented on demand and sized for the peak (nothing to split).
    """
    header = [t("col.path", lang), t("col.year_short", lang), t("col.reserved_gpus", lang), t("col.on_demand_hours", lang),
              t("col.owned_gpus", lang), t("col.gpu_hours_paid", lang)]
    horizon = cmp.scenario.horizon
    rows: list[list[str]] = []
    split = False
    for p in cmp.paths:
        if not p.fleet:
            continue
        reserved, on_demand, owned = p.fleet["reserved_gpus"], p.fleet["on_demand_gpu_hours"], p.fleet["owned_gpus"]
        plain = not any(reserved) and not any(owned) and all(abs(h - g * 730.0) < 1e-6 for h, g in zip(on_demand, p.gpus))
        split = split or not plain
        for y in range((horizon + 11) // 12):
            months = slice(12 * y, 12 * (y + 1))
            paid = sum(on_demand[months]) + 730.0 * (sum(reserved[months]) + sum(owned[months]))
            rows.append([p.name, str(y + 1), fmt.number(max(reserved[months], default=0.0)), fmt.number(sum(on_demand[months])),
                         fmt.number(max(owned[months], default=0.0)), fmt.number(paid)])
    return (header, rows) if split else (header, [])


def estimate_rows(cmp: Comparison, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    header = [t("col.path", lang), t("col.field", lang), t("col.value", lang), t("col.how", lang)]
    rows = [[t("row.scenario", lang), key, estimate_value(e, lang), message(e["method"], lang)] for key, e in cmp.estimates.items()]
    for p in cmp.paths:
        for key, e in p.estimates.items():
            rows.append([p.name, key, estimate_value(e, lang), message(e["method"], lang)])
    return header, rows


def estimate_value(e: dict, lang: str = "en") -> str:
    """The estimate's value, with its calibrated error where it has one ("5,230, ×/÷1.32 at 80%": the
    factor written as the method text writes it)."""
    text = fmt.number(e["value"])
    factor = e.get("error_factor_p80")
    return text if not factor else t("est.with_error", lang, value=text, factor=f"{factor:g}")


def heading(cmp: Comparison, lang: str = "en") -> str:
    sc = cmp.scenario
    return t("heading", lang, name=sc.name, horizon=sc.horizon, start=f"{sc.start_date:%Y-%m}", cur=sc.currency,
             rate=f"{sc.discount_rate:.1%}")


def reason(cmp_or_reco, lang: str = "en") -> str:
    """The recommendation's reason: the engine's English text, or phrased from `reason_parts`."""
    from buildorbuy.phrases import phrase_reason
    from buildorbuy.render.i18n import infeasible_phrases, reason_phrases

    reco = cmp_or_reco.recommendation if hasattr(cmp_or_reco, "recommendation") else cmp_or_reco
    parts = reco.get("reason_parts")
    if lang == "en" or not parts:
        return reco["reason"]
    return phrase_reason(parts, reason_phrases(lang), money=lambda v: f"{fmt.money(v)} {parts['currency']}",
                         infeasible_phrases=infeasible_phrases(lang))


def switch_rows(cmp: Comparison, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    """Self-hosted paths: IRR and discounted payback of switching from the api path they replace."""
    header = [t("col.path", lang), t("col.against", lang), t("col.irr", lang), t("col.payback", lang), t("col.why", lang)]
    rows = []
    for p in cmp.paths:
        sw = p.switch
        if not sw:
            continue
        payback = t("never.payback", lang) if sw["payback_month"] is None else t("month_n", lang, n=sw["payback_month"])
        rows.append([p.name, sw["against"], "—" if sw["irr"] is None else fmt.percent(sw["irr"]), payback,
                     switch_reason(sw.get("reason") or "", lang)])
    return header, rows


def switch_reason(text: str, lang: str = "en") -> str:
    """Why the IRR of switching is undefined: the analysis's English sentence, phrased again in `lang`."""
    from buildorbuy.phrases import switch_reason_facts

    facts = switch_reason_facts(text) if lang != "en" and text else None
    if facts is None:
        return text
    key, values = facts
    return t(f"switch.{key}", lang, **values)


def accounting_rows(cmp: Comparison, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    """Accounting view: capex, opex, depreciation and expense by fiscal year, per path (empty in the cash view)."""
    header = [t("col.path", lang), t("col.fiscal_year", lang), t("col.capex", lang), t("col.opex", lang),
              t("col.depreciation", lang), t("col.expense", lang)]
    rows = []
    for p in cmp.paths:
        acc = p.accounting
        if not acc:
            continue
        for capex, opex, dep, expense in zip(acc["capex_by_fiscal_year"], acc["opex_by_fiscal_year"],
                                             acc["depreciation_by_fiscal_year"], acc["expense_by_fiscal_year"]):
            rows.append([p.name, capex["fiscal_year"], fmt.money(capex["amount"]), fmt.money(opex["amount"]),
                         fmt.money(dep["amount"]), fmt.money(expense["amount"])])
        if acc["book_value_end"]:
            rows.append([p.name, t("row.book_value_end", lang), "", "", "", fmt.money(acc["book_value_end"])])
    return header, rows
