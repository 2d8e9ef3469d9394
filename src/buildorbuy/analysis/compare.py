"""compare: evaluate a scenario as a batch of one and explain the decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from buildorbuy.phrases import INFEASIBLE_EN, REASON_EN, Message, phrase_infeasible, phrase_reason
from buildorbuy.engine.core import COMPONENTS, Result, evaluate
from buildorbuy.engine.plan import Plan, compile_plan
from buildorbuy.engine.summary import NO_WINNER, breakeven_months, winner_and_runner_up
from buildorbuy.scenario.models import Scenario


@dataclass
class PathSummary:
    name: str
    kind: str
    feasible: bool
    infeasible_reason: str | None
    infeasible_facts: dict | None
    """Why it is infeasible, as data (rule and values), for phrasing in other languages."""
    live_month: int
    total_cost: float
    npv: float
    cost_per_million_tokens: float | None
    levelised_cost_per_million_tokens: float | None
    unserved_tokens: float
    capex: float
    """GPU purchases (with server overhead)."""
    residual_credit: float
    """Undepreciated value of owned GPUs credited in the last month (≤ 0); total = capex + opex + residual_credit."""
    opex: float
    monthly_cost: list[float]
    cumulative_cost: list[float]
    components: dict[str, list[float]]
    gpus: list[float]
    estimates: dict[str, dict[str, Any]]
    success_probability: float
    peak_gpus: float
    served_tokens: float
    fleet: dict[str, list[float]] | None = None
    """Self-hosted paths: serving GPUs by how they are bought, per month: reserved_gpus,
    on_demand_gpu_hours (GPU-hours paid at the on-demand price), owned_gpus (DESIGN §2b)."""
    switch: dict[str, Any] | None = None
    """Self-hosted paths: {against, irr, payback_month} of switching from an api path (None: api path)."""
    accounting: dict[str, Any] | None = None
    """With the accounting view: depreciation, capex/opex by fiscal year, book value at the end."""
    routing: dict[str, list[float]] | None = None
    """Routed paths (routing or a capacity cap): own_model_tokens, fallback_tokens, overflow_tokens per
    month from go-live, success case (DESIGN §2b)."""
    reserved_gpus: float | None = None
    """Paths with a reservation: the GPUs reserved (paid every month from go-live, used or not);
    GPUs paid for at peak = max(peak_gpus, reserved_gpus). None (left out of the JSON) without one."""


@dataclass
class Comparison:
    """The result of `compare`, ready to render or to turn into the JSON contract (DESIGN §4)."""

    scenario: Scenario
    result: Result
    paths: list[PathSummary]
    breakeven: list[dict[str, Any]]
    recommendation: dict[str, Any]
    warnings: list[str]
    estimates: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Scenario-level estimates (workload)."""

    @property
    def currency(self) -> str:
        return self.scenario.currency

    @property
    def tokens(self) -> list[float]:
        return self.result.tokens[0].tolist()

    def to_dict(self) -> dict[str, Any]:
        from buildorbuy.analysis._common import scenario_header, versions

        return {
            "scenario": scenario_header(self.scenario),
            "paths": [_clean(_present(p.__dict__)) for p in self.paths],
            "tokens": self.tokens,
            "breakeven": self.breakeven,
            "recommendation": self.recommendation,
            "estimates": self.estimates,
            "warnings": self.warnings,
            "versions": versions(),
        }


OPTIONAL_PATH_KEYS = ("switch", "accounting", "routing", "reserved_gpus")
"""Path keys left out of the JSON when they do not apply (api paths' switch; the cash view's accounting)."""


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if not (k in OPTIONAL_PATH_KEYS and v is None)}


def _clean(value: Any) -> Any:
    """Plain JSON values for the compare contract: floats rounded to 6 decimals, NaN → None."""
    from buildorbuy.analysis._common import clean

    return clean(value, decimals=6)


def estimates_by_path(plan: Plan, result: Result) -> tuple[dict[str, dict], list[dict[str, dict]]]:
    """Split every estimated parameter's value and method into scenario-level and per-path dicts."""
    methods = plan.methods({k: v[:1] for k, v in result.params.items()})
    top: dict[str, dict] = {}
    per_path: list[dict[str, dict]] = [{} for _ in plan.paths]
    factors = {d.key: d.error_factor_p80 for d in plan.derived if getattr(d, "error_factor_p80", None)}
    for key, method in sorted(methods.items()):
        entry = {"value": float(result.params[key][0]), "method": method}
        if key in factors:
            entry["error_factor_p80"] = float(factors[key])
        if key in plan.curves:
            entry["curve"] = plan.curves[key]
        if key.startswith("paths["):
            index = int(key[6 : key.index("]")])
            per_path[index][key[key.index("]") + 2 :]] = entry
        else:
            top[key] = entry
    return top, per_path


VIEWS = ("cash", "accounting")


def compare(scenario: Scenario, view: str = "cash") -> Comparison:
    """Evaluate every path of a scenario; pick the cheapest feasible one by NPV and say why.

    `view`: cash (the figures as paid) or accounting (adds paths[].accounting; cash figures unchanged).
    """
    plan = compile_plan(scenario)
    result = evaluate(plan)
    return summarise(plan, result, view=view)


def summarise(plan: Plan, result: Result, b: int = 0, view: str = "cash") -> Comparison:
    from buildorbuy.analysis.finance import accounting_figures, switch_figures

    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}")
    scenario = plan.scenario
    switches = switch_figures(plan, result, b)
    accounting = accounting_figures(plan, result, b) if view == "accounting" else [None] * len(plan.paths)
    top_estimates, path_estimates = estimates_by_path(plan, result)
    summaries = []
    for pp in plan.paths:
        i = pp.index
        facts = pp.infeasible
        if facts is None and result.lead_time_exceeded[b, i]:
            facts = {"rule": "lead_time", "live_month": int(result.live_month[b, i]),
                     "max": f"{scenario.constraints.max_lead_time_months:g}"}
        reason = None if facts is None else phrase_infeasible(facts, INFEASIBLE_EN)
        cpm = result.cost_per_million_tokens[b, i]
        lcpm = result.levelised_cost_per_million_tokens[b, i]
        summaries.append(
            PathSummary(
                name=pp.name,
                kind=pp.kind,
                feasible=bool(result.feasible[b, i]),
                infeasible_reason=reason,
                infeasible_facts=facts,
                live_month=int(result.live_month[b, i]),
                total_cost=float(result.total_cost[b, i]),
                npv=float(result.npv[b, i]),
                cost_per_million_tokens=None if np.isnan(cpm) else float(cpm),
                levelised_cost_per_million_tokens=None if np.isnan(lcpm) else float(lcpm),
                unserved_tokens=float(result.unserved_tokens[b, i].sum()),
                capex=float(result.capex[b, i]),
                residual_credit=float(result.residual_credit[b, i]),
                opex=float(result.opex[b, i]),
                monthly_cost=result.monthly_cost[b, i].tolist(),
                cumulative_cost=result.cumulative_cost[b, i].tolist(),
                components={name: result.components[name][b, i].tolist() for name in COMPONENTS if np.any(result.components[name][b, i] != 0)},
                gpus=result.gpus[b, i].tolist(),
                estimates=path_estimates[i],
                success_probability=float(result.params[f"paths[{i}].success_probability"][b]),
                peak_gpus=float(result.gpus[b, i].max(initial=0.0)),
                served_tokens=float(result.served_tokens[b, i].sum()),
                fleet=None if pp.kind == "api" or result.fleet is None
                else {name: result.fleet[name][b, i].tolist() for name in result.fleet},
                switch=switches[i],
                accounting=accounting[i],
                routing=None if i not in result.routing
                else {name: values[b].tolist() for name, values in result.routing[i].items()},
                reserved_gpus=_reserved(result, b, i),
            )
        )
    months = breakeven_months(result)[b]
    breakeven = [
        {"a": plan.paths[a].name, "b": plan.paths[o].name, "month": None if months[a, o] < 0 else int(months[a, o])}
        for a in range(len(plan.paths))
        for o in range(len(plan.paths))
        if a != o
    ]
    winner, runner = winner_and_runner_up(result)
    recommendation = _recommend(scenario, summaries, int(winner[b]), int(runner[b]), months)
    caveat = _bridge_staff_caveat(scenario, result, b, int(winner[b]))
    return Comparison(
        scenario=scenario,
        result=result,
        paths=summaries,
        breakeven=breakeven,
        recommendation=recommendation,
        warnings=list(dict.fromkeys(result.warnings + ([caveat] if caveat else []))),
        estimates=top_estimates,
    )


def _bridge_staff_caveat(scenario: Scenario, result: Result, b: int, winner: int) -> Message | None:
    """A warning when the recommended path is below its bridge only by the bridge's staff it is not
    charged: before go-live a path pays the bridge's per-token fees, not its staff (DESIGN §2), so a
    path that stays on the bridge for long (a late start, a long lead time) can undercut the bridge
    path itself by those staff alone. Staff NPV = Σ_{m < go-live} staff_bridge[m] · discount[m]."""
    if winner == NO_WINNER or scenario.bridge is None:
        return None
    bridge = scenario.path_index(scenario.bridge)
    if bridge == winner or not result.recommendable[b, bridge]:
        return None
    live = int(min(result.live_month[b, winner], scenario.horizon))
    staff_npv = float(result.components["staff"][b, bridge, :live] @ result.discount[b, :live]) if live else 0.0
    margin = float(result.npv[b, bridge] - result.npv[b, winner])
    if staff_npv <= 0 or margin > staff_npv:
        return None
    return Message("bridge_staff_uncharged", path=scenario.paths[winner].name, bridge=scenario.bridge,
                   margin=f"{margin:,.0f}", staff=f"{staff_npv:,.0f}", currency=scenario.currency,
                   months=Message("months_from_0", last=live - 1) if live > 1 else Message("month_0"))


def _reserved(result, b: int, i: int) -> float | None:
    """The most GPUs path i reserves in any month (batch element b); None without a reservation."""
    if result.fleet is None or "reserved_gpus" not in result.fleet:
        return None
    most = float(np.max(result.fleet["reserved_gpus"][b, i], initial=0.0))
    return most if most > 0 else None


def _recommend(scenario: Scenario, paths: list[PathSummary], winner: int, runner: int, months: np.ndarray) -> dict[str, Any]:
    """The cheapest recommendable path by NPV, the margin to the runner-up, and the reason (facts and English text)."""
    excluded_parts = []
    for p in paths:
        if not p.feasible:
            excluded_parts.append({"path": p.name, "why": "infeasible", "detail": p.infeasible_reason,
                                   "facts": p.infeasible_facts})
        elif p.live_month >= scenario.horizon:
            excluded_parts.append({"path": p.name, "why": "after_horizon", "detail": p.live_month})
        elif p.unserved_tokens > 0:
            excluded_parts.append({"path": p.name, "why": "unserved", "detail": None})
    reason_parts: dict[str, Any] = {
        "winner": None, "winner_npv": None, "horizon_months": scenario.horizon, "currency": scenario.currency,
        "runner_up": None, "margin": None, "margin_fraction": None, "tie": False,
        "breakeven_month": None, "success_probability": None, "excluded": excluded_parts,
    }
    margin = margin_fraction = None
    if winner != NO_WINNER:
        w = paths[winner]
        reason_parts.update(winner=w.name, winner_npv=w.npv)
        if runner != NO_WINNER:
            r = paths[runner]
            margin = r.npv - w.npv
            margin_fraction = margin / r.npv if r.npv else None
            reason_parts.update(runner_up=r.name, margin=margin, margin_fraction=margin_fraction,
                                tie=margin_fraction is not None and margin_fraction < 0.05)
            month = months[winner, runner]
            if w.live_month > 0 and month > 0:
                reason_parts["breakeven_month"] = int(month)
        if w.success_probability < 1:
            reason_parts["success_probability"] = w.success_probability
    return {"path": reason_parts["winner"], "margin": margin, "margin_fraction": margin_fraction,
            "reason": phrase_reason(reason_parts, REASON_EN), "reason_parts": reason_parts}
