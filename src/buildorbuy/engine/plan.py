"""Compile a validated scenario into a Plan: named numeric parameters plus the structure around them.

The Plan is what the engine evaluates. Its `base` holds one number per parameter (the scenario's
own values and resolved defaults); `derived` lists parameters the scenario left to `auto` (or to a
default that follows other inputs), each with the function that computes it from the other
parameters and a one-line method for the output. Analyses evaluate the Plan on a batch where some
parameters vary; derived parameters follow their inputs unless the batch sets them itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from buildorbuy.engine.params import numeric_leaves
from buildorbuy.errors import BuildOrBuyError, CatalogError, ScenarioError
from buildorbuy.phrases import And, Message
from buildorbuy.scenario.models import ApiPath, BuildPath, FinetunePath, Scenario

PUE_DEFAULT = 1.58
"""Average data-centre PUE (Uptime Institute, Global Data Center Survey 2023: 1.58)."""
CHINCHILLA_TOKENS_PER_PARAM = 20.0
"""Compute-optimal tokens per parameter (Hoffmann et al. 2022, 'Training Compute-Optimal LLMs')."""

ALLOWED_LOCATIONS = {
    "any": {"public_cloud", "region_cloud", "private_cloud", "on_prem"},
    "region": {"region_cloud", "private_cloud", "on_prem"},
    "on_prem": {"private_cloud", "on_prem"},
}
ALLOWED_DEPLOYMENTS = {"any": {"public", "region", "private"}, "region": {"region", "private"}, "on_prem": {"private"}}

Params = dict[str, np.ndarray]
DeriveFn = Callable[[Params], np.ndarray]


@dataclass
class Derived:
    key: str
    compute: DeriveFn
    method: str | Callable[[Params], str]
    """How the value is estimated, in one line (shown in the output); may depend on the inputs."""
    error_factor_p80: float | None = None
    """Calibrated ×/÷ factor covering 80 % of the estimator's errors, where it has one."""


@dataclass
class PathPlan:
    index: int
    name: str
    kind: str
    bridge: int | None
    """Index of the api path serving this path's traffic before go-live (None: unserved)."""
    staff_count: int
    serving_gpu: object | None = None
    compute_gpu: object | None = None
    ownership: str | None = None
    infeasible: dict | None = None
    """Static infeasibility as facts (data residency; see phrases.phrase_infeasible); lead-time
    limits are checked per batch."""

    @property
    def infeasible_reason(self) -> str | None:
        from buildorbuy.phrases import INFEASIBLE_EN, phrase_infeasible

        return None if self.infeasible is None else phrase_infeasible(self.infeasible, INFEASIBLE_EN)
    has_managed_finetune: bool = False
    fallback: int | None = None
    """Routed self-hosted paths (routing or serving.max_gpus): the api path taking the traffic the own
    model does not serve (routing.fallback, default the bridge); None: not routed."""
    scaling: str = "fixed"
    """Serving fleet: fixed (sized for the peak) or autoscale (hour by hour)."""
    reserved: bool = False
    """A rented fleet with a reservation (serving.reserved given)."""
    residual: str = "straight_line"
    """Owned fleet's value at the horizon: straight_line, declining_balance or none."""
    price_steps: dict[str, np.ndarray] = field(default_factory=dict)
    """Api paths priced from the price data: per token type (`input`, `cached_input`, `output`), the
    price in force in each month ÷ the price on `start`, where the data dates a change inside the
    horizon (absent: no change)."""
    price_changes: list[str] = field(default_factory=list)
    """Those dated changes in words, for the estimates."""
    discount_offsets: dict[str, dict[str, float]] = field(default_factory=dict)
    """Api paths with `auto` batch/off-peak discounts: per token type, the catalog discount minus
    the input type's (the parameter `<kind>_discount` holds the input type's), by kind
    (`batch`, `off_peak`)."""


@dataclass
class Plan:
    scenario: Scenario
    horizon: int
    base: dict[str, float]
    derived: list[Derived]
    paths: list[PathPlan]
    warnings: list[str] = field(default_factory=list)
    fixed: dict[str, str] = field(default_factory=dict)
    """Parameters computed once from non-numeric inputs (catalog prices), with their method."""
    unused: dict[str, str] = field(default_factory=dict)
    """Parameters the engine ignores for this configuration (a rented fleet's power price), with why."""
    locked: dict[str, str] = field(default_factory=dict)
    """Parameters an analysis must not move alone (a catalog MoE model's total params), with why."""
    curves: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    """NPV curves of `auto` searches (reserved GPUs), by parameter key: [{value, npv}]."""

    def parameters(self) -> list[str]:
        """Every parameter an analysis may vary."""
        return sorted(set(self.base) | {d.key for d in self.derived})

    def methods(self, params: Params) -> dict[str, str]:
        """The method of every estimated parameter, described at `params` (batch element 0)."""
        out = dict(self.fixed)
        for d in self.derived:
            out[d.key] = d.method(params) if callable(d.method) else d.method
        return out


def compile_plan(scenario: Scenario) -> Plan:
    """Resolve catalogs and defaults; raise ScenarioError/CatalogError naming the field (and file
    line), the others found with it in `others` (`validate` lists them all)."""
    plan, problems = plan_problems(scenario)
    if problems:
        problems[0].others = problems[1:]
        raise problems[0]
    assert plan is not None
    return plan


def plan_problems(scenario: Scenario) -> tuple[Plan | None, list[BuildOrBuyError]]:
    """The plan, or every problem compiling finds: unknown catalog names, then each path's own
    problems (a path with one is skipped, the others still compiled), a missing usd_exchange_rate
    (once), and the checks across paths when every path compiled. Each names its field and line."""
    problems: list[BuildOrBuyError] = list(catalog_problems(scenario))
    plan = None
    try:
        plan = _compile(scenario, problems)
    except BuildOrBuyError as exc:
        problems.append(exc)
    if not problems:
        return plan, []
    out: list[BuildOrBuyError] = []
    for exc in problems:
        if exc.source is None and scenario._source is not None:
            place_in_file(exc, scenario)
        exc.others = []
        if not any(_same_problem(exc, seen) for seen in out):
            out.append(exc)
    return None, out


def place_in_file(exc: BuildOrBuyError, scenario: Scenario) -> BuildOrBuyError:
    """Give a problem found after validation the scenario's file and the line of its field (the
    nearest up its path), or mark it "(from --set)" with no line when an override set that field:
    a value given on the command line is never blamed on a line of the file."""
    from buildorbuy.scenario.loading import place

    return place(exc, scenario._lines or {}, scenario._source)


def _same_problem(a: BuildOrBuyError, b: BuildOrBuyError) -> bool:
    """The same problem found twice (a catalog name checked up front and again while compiling)."""
    return a.field == b.field and (a.message == b.message or (isinstance(a, CatalogError) and isinstance(b, CatalogError)))


def catalog_problems(scenario: Scenario) -> list[CatalogError]:
    """Every unknown catalog name (API model, open model, GPU), each naming its field and line."""
    from buildorbuy.catalog.gpus import get_gpu

    checks: list[tuple[str, Callable[[], object]]] = []
    for i, path in enumerate(scenario.paths):
        if isinstance(path, ApiPath):
            if path.model is not None:
                from buildorbuy.catalog.apis import lookup_api_price  # imported when a scenario needs it

                checks.append((f"paths[{i}].model", lambda p=path: lookup_api_price(p.model, p.provider, scenario.start_date)))
            continue
        if path.model.catalog is not None:
            from buildorbuy.catalog.models import get_model

            checks.append((f"paths[{i}].model.catalog", lambda p=path: get_model(p.model.catalog)))
        checks.append((f"paths[{i}].serving.gpu", lambda p=path, i=i: _serving_gpu(p.serving.gpu, f"paths[{i}].serving.gpu")))
        section = "finetune" if isinstance(path, FinetunePath) else "training"
        checks.append((f"paths[{i}].{section}.gpu", lambda p=path, s=section: get_gpu(getattr(p, s).gpu)))
    problems: list[CatalogError] = []
    for where, check in checks:
        try:
            check()
        except CatalogError as exc:
            if exc.field == "provider":
                exc.field = where.rsplit(".", 1)[0] + ".provider"
            elif not (exc.field or "").startswith(where):  # keep a more precise field (an inline GPU's memory_gb)
                exc.field = where
            if scenario._source is not None:
                place_in_file(exc, scenario)
            problems.append(exc)
    return problems


def _compile(scenario: Scenario, problems: list[BuildOrBuyError] | None = None) -> Plan:
    """Compile the plan. With `problems` (a list), a path's problem is added to it and the path
    skipped, a missing exchange rate is added once (the catalog prices then stay unconverted), and
    the checks across paths run only when every path compiled; the caller discards the plan when
    `problems` is not empty."""
    base = numeric_leaves(scenario)
    horizon = scenario.horizon
    plan = Plan(scenario=scenario, horizon=horizon, base=base, derived=[], paths=[])
    bridge_index = scenario.path_index(scenario.bridge) if scenario.bridge else None
    residency = scenario.constraints.data_residency
    fx_given = "usd_exchange_rate" in scenario.model_fields_set
    collect = problems is not None
    fx_missing: list[ScenarioError] = []

    def fx(where: str) -> float:
        if scenario.currency != "USD" and not fx_given:
            exc = ScenarioError(
                f"catalog prices are in USD: set usd_exchange_rate (units of {scenario.currency} per USD)",
                field=where,
            )
            if not collect:
                raise exc
            if not fx_missing:  # one line for the missing rate, at the first field that needs it
                fx_missing.append(exc)
                problems.append(exc)
        return scenario.usd_exchange_rate

    def derive(key: str, fn: DeriveFn, method: str, error_factor_p80: float | None = None) -> None:
        plan.derived.append(Derived(key, fn, method, error_factor_p80))

    def fix(key: str, value: float, method: str) -> None:
        base[key] = float(value)
        plan.fixed[key] = method

    wl = scenario.workload
    if wl.growth_per_year is not None:
        derive(
            "workload.growth_per_month",
            lambda p: (1.0 + p["workload.growth_per_year"]) ** (1.0 / 12.0) - 1.0,
            Message("m_growth"),
        )
    elif wl.schedule is None and wl.growth_per_month is None:
        base["workload.growth_per_month"] = 0.0
    if wl.daily_profile is not None:
        derive("workload.peak_to_average", _profile_peak, Message("m_profile"))
    _check_request_shape(scenario, plan.warnings)

    for i, path in enumerate(scenario.paths):
        if not collect:
            plan.paths.append(_compile_path(scenario, plan, i, path, bridge_index, residency, derive, fix, fx))
            continue
        if any((exc.field or "").startswith(f"paths[{i}].") for exc in problems):
            continue  # an unknown catalog name: its compile would only find that again
        try:
            plan.paths.append(_compile_path(scenario, plan, i, path, bridge_index, residency, derive, fix, fx))
        except BuildOrBuyError as exc:
            problems.append(exc)
    if collect and len(plan.paths) < len(scenario.paths):
        return plan  # the checks across paths need every path
    return _finish(plan, bridge_index)


def _compile_path(scenario: Scenario, plan: Plan, i: int, path, bridge_index: int | None, residency: str,
                  derive, fix, fx) -> PathPlan:
    """One path's plan: its parameters and estimates go into `plan`."""
    base = plan.base
    horizon = plan.horizon
    k = lambda name, i=i: f"paths[{i}].{name}"  # noqa: E731
    pp = PathPlan(index=i, name=path.name, kind=path.kind, bridge=None, staff_count=len(path.staff))
    if bridge_index is not None and i != bridge_index:
        pp.bridge = bridge_index
    for j, staff in enumerate(path.staff):
        if staff.end_month is None:
            base[k(f"staff[{j}].end_month")] = float(horizon)

    if isinstance(path, ApiPath):
        _compile_api(path, k, base, derive, fix, fx, scenario, pp, plan.warnings)
        plan.unused.update(_unused_discounts(path, k, base))
        pp.has_managed_finetune = path.managed_finetune is not None
        if pp.has_managed_finetune:
            pp.bridge = None
        if path.deployment not in ALLOWED_DEPLOYMENTS[residency]:
            pp.infeasible = {"rule": "residency_api", "residency": residency,
                             "allowed": sorted(ALLOWED_DEPLOYMENTS[residency]), "actual": path.deployment}
    else:
        _compile_model(path, k, base, derive, fix, scenario, plan)
        _fleet_structure(pp, path.serving)
        _compile_routing(path, pp, scenario, base)
        _compile_serving(path, pp.serving_gpu, k, base, derive, fix, fx, plan.warnings, scenario)
        plan.unused.update({k(f"serving.{name}"): why for name, why in _unused_serving(path.serving).items()})
        market = _market_block(path, pp.serving_gpu, scenario, i, plan.warnings)
        if isinstance(path, FinetunePath):
            pp.compute_gpu = _gpu(path.finetune.gpu, f"paths[{i}].finetune.gpu")
            _compile_finetune(path, pp.compute_gpu, k, base, derive, fix, fx)
            locations = {"serving": path.serving.resolved_location, "finetune": path.finetune.location}
        else:
            pp.compute_gpu = _gpu(path.training.gpu, f"paths[{i}].training.gpu")
            _compile_training(path, pp.compute_gpu, k, base, derive, fix, fx)
            locations = {"serving": path.serving.resolved_location}
        bad = {what: where for what, where in locations.items() if where not in ALLOWED_LOCATIONS[residency]}
        if bad:
            pp.infeasible = {"rule": "residency_hosted", "residency": residency, "places": bad}
        elif market is not None:
            pp.infeasible = market
    return pp


def _finish(plan: Plan, bridge_index: int | None) -> Plan:
    """Checks that need every path compiled; describe the estimates once; run the `auto` fleet searches."""
    if bridge_index is not None and plan.paths[bridge_index].infeasible_reason:
        raise ScenarioError(
            f"the bridge must satisfy the constraints itself: {plan.paths[bridge_index].infeasible_reason}",
            field="bridge",
        )
    from buildorbuy.engine.core import resolve_params
    from buildorbuy.engine.fleet_search import choose_fleet_autos

    _check_starts_and_fallbacks(plan, bridge_index)
    params = resolve_params(plan)[0]
    plan.methods(params)  # describing each estimate once files the estimators' warnings
    _check_reserved_multiples(plan, params)
    _check_caps(plan, params)
    choose_fleet_autos(plan, params)
    return plan


def _compile_routing(path, pp: PathPlan, scenario: Scenario, base: dict[str, float]) -> None:
    """Routing and the capacity cap (DESIGN §2b): the fallback api path's index on the path plan."""
    routing, cap = path.routing, path.serving.max_gpus
    if routing is None and cap is None:
        return
    where = f"paths[{pp.index}]."
    if routing is not None and routing.fallback is not None:
        try:
            pp.fallback = scenario.path_index(routing.fallback)
        except KeyError:
            names = ", ".join(p.name for p in scenario.paths if p.kind == "api")
            raise ScenarioError(f"'{routing.fallback}' names no path (api paths: {names or 'none'})",
                                field=where + "routing.fallback") from None
        if scenario.paths[pp.fallback].kind != "api":
            raise ScenarioError(f"the fallback must be an api path, not {scenario.paths[pp.fallback].kind} "
                                f"('{routing.fallback}')", field=where + "routing.fallback")
    elif scenario.bridge is not None:
        pp.fallback = scenario.path_index(scenario.bridge)
    elif cap == "auto":
        raise ScenarioError("max_gpus: auto needs somewhere to send the overflow: give routing.fallback (an api path) "
                            "or a bridge", field=where + "serving.max_gpus")
    elif cap is not None:
        raise ScenarioError("a capacity cap needs somewhere to send the overflow: give routing.fallback (an api path) "
                            "or a bridge", field=where + "serving.max_gpus")
    else:
        raise ScenarioError("routing needs a fallback for the traffic the own model does not serve: give "
                            "routing.fallback (an api path) or a bridge", field=where + "routing.fallback")
    fallback = scenario.paths[pp.fallback]
    if routing is not None and routing.fallback is not None and (fallback.lead_time_months > 0 or fallback.start_month > 0):
        raise ScenarioError("the fallback must serve from month 0 (lead_time_months and start_month 0)",
                            field=where + "routing.fallback")
    if cap == "auto":
        base[where + "serving.max_gpus"] = float("inf")  # placeholder until the search fixes it


def _check_starts_and_fallbacks(plan: Plan, bridge_index: int | None) -> None:
    """The bridge serves from month 0; a fallback satisfies the constraints itself."""
    if bridge_index is not None and plan.base.get(f"paths[{bridge_index}].start_month", 0.0) != 0:
        raise ScenarioError("the bridge must serve from month 0: its start_month must be 0",
                            field=f"paths[{bridge_index}].start_month")
    if bridge_index is not None:
        key = f"paths[{bridge_index}].success_probability"
        if plan.base.get(key, 1.0) != 1 or key in getattr(plan.scenario, "_distributions", {}):
            # a failed path's traffic stays on the bridge: a bridge that fails leaves it to nobody
            # (its failure flows were empty, so p = 0.5 halved its cost)
            raise ScenarioError("the bridge cannot fail: a failed path's traffic stays on the bridge, so its "
                                "success_probability must be 1", field=key)
    for pp in plan.paths:
        if pp.fallback is not None and plan.paths[pp.fallback].infeasible_reason:
            field = "routing.fallback" if plan.scenario.paths[pp.index].routing is not None else "serving.max_gpus"
            raise ScenarioError(f"the fallback '{plan.paths[pp.fallback].name}' must satisfy the constraints itself: "
                                f"{plan.paths[pp.fallback].infeasible_reason}", field=f"paths[{pp.index}].{field}")


OUTPUT_SHARE_TOLERANCE = 0.05
"""workload.output_share may differ from the per-request shape's out / (in + out) by this share of it."""


def _check_request_shape(scenario: Scenario, warnings: list[str]) -> None:
    """Warn when workload.output_share contradicts the request shape the scenario gives.

    Costs (API bills, the fleet's output tokens) use output_share; the `auto` serving estimate
    models requests of input + output tokens and turns its output tokens/s into all tokens/s with
    output_share, while `estimate serving` uses the shape's own out / (in + out).
    """
    wl = scenario.workload
    if not {"input_tokens_per_request", "output_tokens_per_request"} & wl.model_fields_set:
        return
    implied = wl.output_tokens_per_request / (wl.input_tokens_per_request + wl.output_tokens_per_request)
    if abs(wl.output_share - implied) <= OUTPUT_SHARE_TOLERANCE * implied:
        return
    share = f"{wl.output_share:g}"
    if "output_share" not in wl.model_fields_set:
        share = Message("output_share_default", share=share)
    inp, out, used = f"{wl.input_tokens_per_request:g}", f"{wl.output_tokens_per_request:g}", f"{wl.output_share:g}"
    auto = ""
    if any(p.kind != "api" and p.serving.tokens_per_second_per_gpu == "auto" for p in scenario.paths):
        auto = Message("output_share_auto", inp=inp, out=out, used=used, ratio=f"{implied / wl.output_share:.3g}",
                       implied=f"{implied:.3g}")
    warnings.append(Message("output_share", share=share, inp=inp, out=out, implied=f"{implied:.3g}", used=used, auto=auto))


def _check_caps(plan: Plan, params: Params) -> None:
    """serving.max_gpus must leave at least one replica above the redundancy replicas."""
    for pp in plan.paths:
        key = f"paths[{pp.index}].serving.max_gpus"
        if key in plan.base and np.isfinite(plan.base[key]):
            per_replica = max(round(float(params[f"paths[{pp.index}].serving.gpus_per_replica"][0])), 1)
            redundancy = math.ceil(float(params[f"paths[{pp.index}].serving.redundancy"][0]))
            least = (1 + redundancy) * per_replica
            if plan.base[key] < least:
                raise ScenarioError(f"must be at least {least:g} GPUs: one replica of {per_replica:g} GPUs plus "
                                    f"{redundancy:g} redundancy replica(s)", field=key)


def _profile_peak(p: Params) -> np.ndarray:
    """peak_to_average of a daily profile: max / mean over its 24 hours, [batch]."""
    day = np.stack(np.broadcast_arrays(*(p[f"workload.daily_profile[{h}]"] for h in range(24))))
    return day.max(axis=0) / (day.sum(axis=0) / 24.0)


def _fleet_structure(pp: PathPlan, serving) -> None:
    """The serving fleet's GPU and how it is bought, on the path plan."""
    pp.serving_gpu = _serving_gpu(serving.gpu, f"paths[{pp.index}].serving.gpu")
    pp.ownership = serving.ownership
    pp.scaling = serving.scaling
    pp.reserved = serving.reserved is not None
    pp.residual = serving.residual if isinstance(serving.residual, str) else "declining_balance"


def _check_reserved_multiples(plan: Plan, params: Params) -> None:
    """reserved.gpus must be whole replicas, also when gpus_per_replica is estimated."""
    for pp in plan.paths:
        key = f"paths[{pp.index}].serving.reserved.gpus"
        if key in plan.base and key not in plan.fixed:
            per_replica = float(params[f"paths[{pp.index}].serving.gpus_per_replica"][0])
            if plan.base[key] % per_replica:
                raise ScenarioError(
                    f"must be a multiple of gpus_per_replica ({per_replica:g}, estimated): whole replicas are reserved",
                    field=key,
                )


def _serving_gpu(spec, where: str):
    """A catalog GPU by name, or an inline GPU validated like a catalog row."""
    if isinstance(spec, str):
        return _gpu(spec, where)
    from buildorbuy.catalog.gpus import inline_gpu

    data = spec.model_dump()
    data.update(spec.model_extra or {})
    return inline_gpu(data, where)


def _market_block(path, gpu, scenario: Scenario, i: int, warnings: list[str]) -> dict | None:
    """constraints.market: an owned fleet on a GPU not sold new there (on the scenario's start) is infeasible."""
    market = scenario.constraints.market
    if market == "global" or path.serving.ownership != "own":
        return None
    rule = gpu.market_rule(market)
    sv = path.serving
    if rule is None:
        if not isinstance(sv.gpu, str) and sv.gpu.like is None:
            raise ScenarioError(
                f"constraints.market is {market} but this inline GPU has no market rule: "
                f"add market: {{{market}: {{new_sales: 'yes' | 'no' | licence, since: YYYY-MM-DD, rule: …, source: …, verification: unverified}}}}",
                field=f"paths[{i}].serving.gpu",
            )
        return None
    on = f"{scenario.start_date:%Y-%m-%d}"
    if rule.blocks(on):
        return {"rule": "market", "market": market, "gpu": gpu.id, "since": rule.since, "rule_text": rule.rule,
                "source": rule.source}
    if rule.new_sales == "licence" and on >= rule.since:
        warnings.append(Message("export_licence", path=path.name, gpu=gpu.id, market=market, since=rule.since, rule=rule.rule))
    return None

RENT_ONLY = ("gpu_hour_price", "gpu_hour_price_change_per_year", "min_replicas")
OWN_ONLY = ("purchase_price", "server_overhead", "hosting_per_gpu_month", "tdp_watts", "power_price_per_kwh", "pue",
            "depreciation_years", "owned_gpus", "procurement_months", "maintenance_per_year", "power_utilization")


def _unused_discounts(path: ApiPath, k, base) -> dict[str, str]:
    """A typed batch/off-peak discount whose share is 0 moves nothing."""
    return {k(f"{kind}_discount"): Message("unused_discount", kind=kind) for kind in ("batch", "off_peak")
            if getattr(path, f"{kind}_share") == 0 and k(f"{kind}_discount") in base}


def _unused_serving(serving) -> dict[str, str]:
    if serving.ownership == "rent":
        out = {name: Message("unused_rented") for name in OWN_ONLY}
        if serving.scaling != "autoscale":
            out["min_replicas"] = Message("unused_fixed")
        return out
    return {name: Message("unused_owned") for name in RENT_ONLY}


def _gpu(name: str, where: str):
    from buildorbuy.catalog.gpus import get_gpu

    try:
        return get_gpu(name)
    except CatalogError as exc:
        exc.field = where
        raise


STALE_PRICE_MONTHS = 12
"""A catalog price listed longer than this before `start`, with nothing newer, gets a warning."""

TOKEN_TYPE_LABELS = {"input": "input", "cached_input": "cached input", "cache_write": "cache write", "output": "output"}


def _months_between(earlier: str, later) -> int:
    year, month = int(earlier[:4]), int(earlier[5:7])
    return (later.year - year) * 12 + later.month - month


def _compile_api(path: ApiPath, k, base, derive, fix, fx, scenario: Scenario, pp: PathPlan | None = None,
                 warnings: list[str] | None = None) -> None:
    start = scenario.start_date
    looked_up: list = []

    def catalog_price():
        """The price data's row for path.model in force on start (looked up once, on demand)."""
        if not looked_up:
            from buildorbuy.catalog.apis import lookup_api_price

            try:
                price = lookup_api_price(path.model, path.provider, start,
                                         input_tokens_per_request=scenario.workload.input_tokens_per_request,
                                         currency=scenario.currency)
            except CatalogError as exc:
                exc.field = k("model")
                raise
            if price.currency not in ("USD", scenario.currency):
                raise ScenarioError(f"catalog price is in {price.currency}; give the prices in {scenario.currency}", field=k("model"))
            looked_up.append(price)
        return looked_up[0]

    given = {name: getattr(path, name) for name in ("price_per_1k_input", "price_per_1k_output")}
    if path.model is not None and (given["price_per_1k_input"] is None or given["price_per_1k_output"] is None or path.price_per_1k_cached_input is None):
        price = catalog_price()
        rate = 1.0 if price.currency == scenario.currency else fx(k("model"))
        where = Message("m_price_where", price=price.describe(), date=f"{start:%Y-%m-%d}")
        conv = f" × {rate:g} {scenario.currency}/USD" if rate != 1.0 else ""
        for name, per_1m in (
            ("price_per_1k_input", price.input_per_1m_usd),
            ("price_per_1k_output", price.output_per_1m_usd),
            ("price_per_1k_cached_input", price.cached_input_per_1m_usd),
        ):
            if getattr(path, name) is None:
                fix(k(name), per_1m / 1000.0 * rate,
                    Message("m_api_price", where=where, per_1m=f"{per_1m:g}", currency=price.currency, conv=conv, note=""))
        filled = [t for t, name in (("input", "price_per_1k_input"), ("output", "price_per_1k_output"),
                                    ("cached_input", "price_per_1k_cached_input")) if getattr(path, name) is None]
        if pp is not None:
            _dated_changes(path, price, filled, scenario, pp)
            if pp.price_changes:
                note = "; the price data changes it inside the horizon, from " + "; from ".join(pp.price_changes)
                for t in filled:
                    name = f"price_per_1k_{t}"
                    per_1m = {"input": price.input_per_1m_usd, "output": price.output_per_1m_usd,
                              "cached_input": price.cached_input_per_1m_usd}[t]
                    fix(k(name), base[k(name)],
                        Message("m_api_price", where=where, per_1m=f"{per_1m:g}", currency=price.currency, conv=conv, note=note))
        if warnings is not None and price.price_date and price.valid_to is None:
            age = _months_between(price.price_date, start)
            if age > STALE_PRICE_MONTHS:
                warnings.append(Message("stale_price", path=path.name, model=price.model, listed=price.price_date[:7], age=age))
    if k("price_per_1k_cached_input") not in base:
        derive(k("price_per_1k_cached_input"), lambda p, key=k("price_per_1k_input"): p[key], Message("m_default_of", field="price_per_1k_input"))
    _compile_cache_write(path, k, derive, fix, fx, scenario, catalog_price)
    _compile_auto_discounts(path, k, fix, scenario, catalog_price, pp)
    mf = path.managed_finetune
    if mf is not None:
        for name in ("price_per_1k_input", "price_per_1k_output"):
            if getattr(mf, name) is None:
                derive(k(f"managed_finetune.{name}"), lambda p, key=k(name): p[key], Message("m_default_path_field", field=name))
        if mf.price_per_1k_cached_input is None:
            src = k("managed_finetune.price_per_1k_input")
            derive(k("managed_finetune.price_per_1k_cached_input"), lambda p, key=src: p[key], Message("m_default_of", field="managed_finetune.price_per_1k_input"))


def _compile_cache_write(path: ApiPath, k, derive, fix, fx, scenario: Scenario, catalog_price) -> None:
    """price_per_1k_cache_write: the price data's cache-write price, else price_per_1k_input."""
    # Cache writes: a parameter only when the workload writes to a cache or the price is typed
    # (otherwise the engine bills cache writes, if a sweep adds some, at price_per_1k_input).
    if path.price_per_1k_cache_write == "auto" and scenario.workload.cache_write_share > 0:
        price = catalog_price() if path.model is not None else None
        if price is not None and price.cache_write_per_1m is not None:
            rate = 1.0 if price.currency == scenario.currency else fx(k("model"))
            fix(k("price_per_1k_cache_write"), price.cache_write_per_1m / 1000.0 * rate,
                f"catalog {price.describe()}: cache write {price.cache_write_per_1m:g} {price.currency}/1M"
                + (f" × {rate:g} {scenario.currency}/USD" if rate != 1.0 else ""))
        else:
            derive(k("price_per_1k_cache_write"), lambda p, key=k("price_per_1k_input"): p[key],
                   Message("m_no_cache_write"))


def _compile_auto_discounts(path: ApiPath, k, fix, scenario: Scenario, catalog_price, pp: PathPlan | None) -> None:
    """`auto` batch/off-peak discounts per token type from the price data in force on start (read
    only when the share is > 0; unknown then is an error naming the field)."""
    start = scenario.start_date
    for kind, share in (("batch", path.batch_share), ("off_peak", path.off_peak_share)):
        field = f"{kind}_discount"
        if getattr(path, field) != "auto" or share <= 0:
            continue
        label = "batch" if kind == "batch" else "off-peak"
        if path.model is None:
            raise ScenarioError(f"{kind}_share > 0 needs {field}: the path names no catalog model with {label} prices",
                                field=k(field))
        price = catalog_price()
        by_type = price.batch_discount if kind == "batch" else price.off_peak_discount
        if by_type is None:
            later = ""
            if kind == "batch" and price.market is None:  # a genai-prices row: it may date its batch price later
                from buildorbuy.catalog.apis import batch_listed_from

                listed = batch_listed_from(price.model, price.provider)
                if listed is not None and listed > start:
                    later = f" (it lists one only from {listed:%Y-%m-%d})"
            raise ScenarioError(f"the price data has no {label} price for {price.provider}/{price.model} in force on "
                                f"{start:%Y-%m-%d}{later}: give {field}", field=k(field))
        shown = ", ".join(f"{TOKEN_TYPE_LABELS[t]} {d:.0%}" for t, d in by_type.items())
        fix(k(field), by_type["input"], f"catalog {label} prices of {price.describe()}, in force on {start:%Y-%m-%d}: "
                                        f"discount off list by token type: {shown}")
        if pp is not None:
            pp.discount_offsets[kind] = {t: d - by_type["input"] for t, d in by_type.items()}


def _dated_changes(path: ApiPath, price, filled: list[str], scenario: Scenario, pp: PathPlan) -> None:
    """Price changes the price data dates inside the horizon, as per-month factors on the start
    price (`pp.price_steps`): month m pays the price in force on its first day. Only the months
    starting on or after a dated change are looked up. A change to another row's currency or
    provider stops the schedule (the last comparable price is kept)."""
    import datetime as _dt

    from buildorbuy.catalog.apis import lookup_api_price, price_change_dates

    start, horizon = scenario.start_date, scenario.horizon
    firsts = [_dt.date(start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1, 1) for m in range(horizon)]
    changes_on = [d for d in price_change_dates(path.model, path.provider) if start < d <= firsts[-1]]
    if not changes_on:
        return
    months = sorted({next(m for m, first in enumerate(firsts) if first >= d) for d in changes_on})
    fields = {"input": "input_per_1m_usd", "output": "output_per_1m_usd", "cached_input": "cached_input_per_1m_usd"}
    steps = {t: np.ones(horizon) for t in filled}
    changes, previous = [], price
    for m in months:
        try:
            now = lookup_api_price(path.model, path.provider, firsts[m], currency=scenario.currency,
                                   input_tokens_per_request=scenario.workload.input_tokens_per_request)
        except CatalogError:
            now = previous
        if (now.currency, now.provider, now.model) != (price.currency, price.provider, price.model):
            now = previous
        for t in filled:
            base_price = getattr(price, fields[t])
            steps[t][m:] = getattr(now, fields[t]) / base_price if base_price else 1.0
        if any(getattr(now, f) != getattr(previous, f) for f in fields.values()):
            changes.append(f"{firsts[m]:%Y-%m} (month {m}): input {now.input_per_1m_usd:g}, cached {now.cached_input_per_1m_usd:g}, "
                           f"output {now.output_per_1m_usd:g} {now.currency}/1M ({now.price_date or 'listed'} row)")
        previous = now
    steps = {t: v for t, v in steps.items() if np.any(v != 1.0)}
    if steps:
        pp.price_steps = steps
        pp.price_changes = changes


def _compile_model(path, k, base, derive, fix, scenario: Scenario, plan: Plan) -> None:
    ref = path.model
    if ref.catalog is not None:
        from buildorbuy.catalog.models import get_model

        try:
            spec = get_model(ref.catalog)
        except CatalogError as exc:
            exc.field = k("model.catalog")
            raise
        if ref.params is None:
            fix(k("model.params"), spec.params, f"catalog {spec.id}")
        if ref.active_params is None and spec.params_active < spec.params:
            fix(k("model.active_params"), spec.params_active, f"catalog {spec.id}")
            plan.locked[k("model.params")] = (
                f"{spec.id} is a mixture-of-experts model: its active parameters "
                f"({spec.params_active / 1e9:g}B) would not follow; give model.params and model.active_params to vary them"
            )
        # A dense catalog model: every parameter is active, so active_params is derived below and
        # follows params when an analysis moves params (a fixed copy would exceed a lowered params).
    if k("model.active_params") not in base:
        dense = Message("m_dense_catalog", model=ref.catalog) if ref.catalog is not None else Message("m_dense_default")
        derive(k("model.active_params"), lambda p, key=k("model.params"): p[key], dense)
    if isinstance(path, BuildPath) and ref.training_tokens is None:
        derive(
            k("model.training_tokens"),
            lambda p, key=k("model.params"): CHINCHILLA_TOKENS_PER_PARAM * p[key],
            Message("m_chinchilla"),
        )


def _price_from_catalog(gpu, attr: str, label: str, key: str, fix, fx) -> None:
    usd = getattr(gpu, attr)
    if usd is None:
        raise ScenarioError(f"the catalog has no {label} for {gpu.id}: give it", field=key)
    rate = fx(key)
    conv = f" × {rate:g}" if rate != 1.0 else ""
    date = f", {gpu.price_date}" if getattr(gpu, "price_date", None) else ""
    label = {"rental price per GPU-hour": Message("lbl_rental"), "purchase price": Message("lbl_purchase")}.get(label, label)
    fix(key, usd * rate, Message("m_gpu_price", gpu=gpu.id, label=label, usd=f"{usd:g}", conv=conv, date=date))


def _compile_serving(path, gpu, k, base, derive, fix, fx, warnings: list[str], scenario: Scenario) -> None:
    sv = path.serving
    if sv.ownership == "rent":
        if sv.gpu_hour_price in (None, "auto"):
            _price_from_catalog(gpu, "rent_usd_per_hour", "rental price per GPU-hour", k("serving.gpu_hour_price"), fix, fx)
        if sv.reserved is not None and sv.reserved.gpu_hour_price == "auto":
            from buildorbuy.catalog.gpus import owned_terms

            terms = owned_terms()
            derive(k("serving.reserved.gpu_hour_price"),
                   lambda p, key=k("serving.gpu_hour_price"), r=terms.reserved_price_ratio: p[key] * r,
                   Message("m_reserved_ratio", ratio=f"{terms.reserved_price_ratio:g}", source=terms.sources['reserved_price_ratio']))
        if sv.reserved is not None and sv.reserved.gpus == "auto":
            base[k("serving.reserved.gpus")] = 0.0  # placeholder until the search below fixes it
    else:
        rule = gpu.market_rule(scenario.constraints.market) if scenario.constraints.market != "global" else None
        if sv.purchase_price in (None, "auto") and gpu.purchase_usd is None and rule is not None \
                and rule.blocks(f"{scenario.start_date:%Y-%m-%d}"):
            # Not sold new there: the path is infeasible with the rule (_market_block), not an error.
            fix(k("serving.purchase_price"), 0.0,
                Message("m_not_sold", gpu=gpu.id, market=scenario.constraints.market, since=rule.since))
        elif sv.purchase_price in (None, "auto"):
            _price_from_catalog(gpu, "purchase_usd", "purchase price", k("serving.purchase_price"), fix, fx)
        if sv.tdp_watts == "auto":
            fix(k("serving.tdp_watts"), gpu.tdp_watts, f"catalog {gpu.id} TDP")
        if sv.pue is None:
            fix(k("serving.pue"), PUE_DEFAULT, Message("m_pue"))
        _owned_autos(path, gpu, k, derive, fix, fx, warnings, scenario)
    if sv.tokens_per_second_per_gpu == "auto" or sv.gpus_per_replica == "auto":
        from buildorbuy.estimators.serving import KV_BYTES_PER_ELEMENT, estimate_serving

        _check_estimable(scenario, path, k)
        kv_bytes = None
        layers = None
        if path.model.catalog is not None:
            from buildorbuy.catalog.models import get_model

            spec = get_model(path.model.catalog)
            if getattr(spec, "kv_elements_per_token", None):
                kv_bytes = spec.kv_elements_per_token * KV_BYTES_PER_ELEMENT[sv.precision]
            layers = getattr(spec, "layers", None)
        replica_key = k("serving.gpus_per_replica")
        latency = getattr(sv, "latency", None)

        def estimate(p: Params):
            return estimate_serving(
                p[k("model.params")],
                p[k("model.active_params")],
                gpu,
                sv.precision,
                p["workload.input_tokens_per_request"],
                p["workload.output_tokens_per_request"],
                kv_bytes_per_token=kv_bytes,
                layers=layers,
                cached_input_share=p["workload.cached_input_share"] if "workload.cached_input_share" in p else 0.0,
                gpus_per_replica=p[replica_key] if sv.gpus_per_replica != "auto" else None,
                time_per_output_token_ms=latency.time_per_output_token_ms if latency else None,
                time_to_first_token_ms=latency.time_to_first_token_ms if latency else None,
            )

        def describe(p: Params) -> str:
            est = estimate(p)
            bound = est.bound if isinstance(est.bound, str) else str(np.asarray(est.bound).ravel()[0])
            for warning in getattr(est, "warnings", None) or []:
                if f"{path.name}: {warning}" not in warnings:
                    warnings.append(Message("path", path=path.name, text=warning))
            return Message("m_serving", method=est.method, bound=bound)

        if sv.gpus_per_replica == "auto":
            derive(k("serving.gpus_per_replica"), lambda p: np.asarray(estimate(p).gpus_per_replica, dtype=float),
                   Message("m_tensor_parallel_latency" if latency else "m_tensor_parallel", gpu=gpu.id, precision=sv.precision))
        if sv.tokens_per_second_per_gpu == "auto":
            derive(
                k("serving.tokens_per_second_per_gpu"),
                lambda p: np.asarray(estimate(p).output_tokens_per_second_per_gpu) / np.maximum(p["workload.output_share"], 1e-9),
                lambda p: f"{describe(p)}; output tokens/s ÷ workload.output_share",
                _serving_error_factor(),
            )


def _check_estimable(scenario: Scenario, path, k) -> None:
    """What the serving estimate needs: a replica size it models (when it estimates the throughput for
    a given one), and a request that fits the catalog model's context window."""
    from buildorbuy.estimators.serving import NODE_GPUS, is_replica_size

    sv = path.serving
    if sv.tokens_per_second_per_gpu == "auto" and sv.gpus_per_replica != "auto" and not is_replica_size(sv.gpus_per_replica):
        raise ScenarioError(
            f"must be 1, 2, 4 or {NODE_GPUS} GPUs in one node, or a multiple of {NODE_GPUS} (whole nodes), for the "
            f"estimated tokens_per_second_per_gpu: auto (got {sv.gpus_per_replica:g}); give tokens_per_second_per_gpu "
            "for another layout", field=k("serving.gpus_per_replica"))
    if path.model.catalog is None:
        return
    from buildorbuy.catalog.models import get_model

    spec, workload = get_model(path.model.catalog), scenario.workload
    tokens = workload.input_tokens_per_request + workload.output_tokens_per_request
    if tokens > spec.context_length:
        field = ("workload.output_tokens_per_request" if workload.output_tokens_per_request > spec.context_length
                 else "workload.input_tokens_per_request")
        raise ScenarioError(
            f"{workload.input_tokens_per_request:g} input + {workload.output_tokens_per_request:g} output tokens per "
            f"request exceed {spec.id}'s context window of {spec.context_length:,} tokens ({k('model.catalog')})", field=field)


def _owned_autos(path, gpu, k, derive, fix, fx, warnings: list[str], scenario: Scenario) -> None:
    """Fill the owned-fleet terms written `auto` from the catalog's sourced values; warn about costs left at 0."""
    from buildorbuy.catalog.gpus import owned_terms

    sv = path.serving
    terms = owned_terms()
    src = terms.sources
    if sv.server_overhead == "auto":
        fix(k("serving.server_overhead"), terms.server_overhead, Message("m_owned_terms", source=src['server_overhead']))
    if sv.power_utilization == "auto":
        fix(k("serving.power_utilization"), terms.power_utilization, Message("m_owned_terms", source=src['power_utilization']))
    if sv.maintenance_per_year == "auto":
        fix(k("serving.maintenance_per_year"), terms.maintenance_per_year, Message("m_owned_terms", source=src['maintenance_per_year']))
    if sv.power_price_per_kwh == "auto":
        prices = terms.power_price_per_kwh
        if scenario.currency in prices:
            fix(k("serving.power_price_per_kwh"), prices[scenario.currency],
                Message("m_power_price", price=f"{prices[scenario.currency]:g}", currency=scenario.currency,
                        source=src['power_price_per_kwh']))
        else:
            rate = fx(k("serving.power_price_per_kwh"))
            fix(k("serving.power_price_per_kwh"), prices["USD"] * rate,
                Message("m_power_price_fx", price=f"{prices['USD']:g}", rate=f"{rate:g}", source=src['power_price_per_kwh']))
    if sv.hosting_per_gpu_month == "auto":
        rate = fx(k("serving.hosting_per_gpu_month"))
        per_kw = terms.hosting_usd_per_kw_month
        derive(k("serving.hosting_per_gpu_month"),
               lambda p, key=k("serving.tdp_watts"): p[key] / 1000.0 * per_kw * rate,
               Message("m_hosting", per_kw=f"{per_kw:g}", fx=f" × {rate:g}" if rate != 1.0 else "",
                       source=src['hosting_usd_per_kw_month']))
    for name in ("power_price_per_kwh", "hosting_per_gpu_month"):
        if getattr(sv, name) == 0:
            warnings.append(Message("owned_zero", path=path.name, name=name))
    left_out = _owned_terms_left_out(sv, terms)
    if left_out:
        warnings.append(Message("owned_left_out", path=path.name, fields=[f"serving.{name}" for name, _, _ in left_out],
                                defaults_to=Message("they_default_to" if len(left_out) > 1 else "it_defaults_to"),
                                defaults=And(default for _, default, _ in left_out), autos=[auto for _, _, auto in left_out]))


def _owned_terms_left_out(sv, terms) -> list[tuple[str, str, str]]:
    """Owned-fleet cost terms the scenario leaves out, whose defaults price nothing (no server overhead,
    no maintenance, power at full TDP): (name, the default in words, the `auto` value in words).
    Power draw counts only when power is priced."""
    given = sv.model_fields_set
    out = []
    if "server_overhead" not in given:
        out.append(("server_overhead", Message("default_overhead"), Message("auto_overhead", pct=f"{terms.server_overhead * 100:g}")))
    if "maintenance_per_year" not in given:
        out.append(("maintenance_per_year", Message("default_maintenance"),
                    Message("auto_maintenance", pct=f"{terms.maintenance_per_year * 100:g}")))
    if "power_utilization" not in given and sv.power_price_per_kwh != 0:
        out.append(("power_utilization", Message("default_power"), Message("auto_power", share=f"{terms.power_utilization:g}")))
    return out


def _compute_price(section: str, gpu, node, k, fix, fx) -> None:
    if node.gpu_hour_price in (None, "auto"):
        _price_from_catalog(gpu, "rent_usd_per_hour", "rental price per GPU-hour", k(f"{section}.gpu_hour_price"), fix, fx)


def _serving_error_factor() -> float | None:
    from buildorbuy.estimators.error_bars import serving_error_factor_p80

    return serving_error_factor_p80()


def _check_precision(gpu, precision: str, field: str) -> None:
    from buildorbuy.estimators.training import check_precision

    try:
        check_precision(gpu, precision, field)
    except BuildOrBuyError as exc:
        raise ScenarioError(exc.message if hasattr(exc, "message") else str(exc), field=field) from None


def _compile_finetune(path: FinetunePath, gpu, k, base, derive, fix, fx) -> None:
    ft = path.finetune
    _compute_price("finetune", gpu, ft, k, fix, fx)
    _check_precision(gpu, ft.precision, k("finetune.precision"))
    if ft.mfu == "auto":
        from buildorbuy.estimators.finetune import ERROR_FACTOR_P80, finetune_mfu, finetune_mfu_method

        derive(k("finetune.mfu"),
               lambda p: np.asarray(finetune_mfu(gpu, p[k("model.active_params")], ft.method, precision=ft.precision,
                                                 total_params=p[k("model.params")]), dtype=float),
               finetune_mfu_method(gpu, ft.method, ft.precision), ERROR_FACTOR_P80)


def _compile_training(path: BuildPath, gpu, k, base, derive, fix, fx) -> None:
    tr = path.training
    _compute_price("training", gpu, tr, k, fix, fx)
    _check_precision(gpu, tr.precision, k("training.precision"))
    if tr.mfu == "auto":
        from buildorbuy.estimators.training import ERROR_FACTOR_P80, training_mfu, training_mfu_method

        total = base.get(k("model.params"))
        moe = total is not None and base.get(k("model.active_params"), total) < total
        derive(k("training.mfu"),
               lambda p: np.asarray(training_mfu(gpu, p[k("model.active_params")], tokens=p[k("model.training_tokens")],
                                                 total_params=p[k("model.params")], precision=tr.precision), dtype=float),
               training_mfu_method(gpu, tr.precision, moe), ERROR_FACTOR_P80)


def resolve_parameter(plan: Plan, text: str) -> str:
    """Turn a user's field path (`paths[Own 70B].lead_time_months`) into a parameter key of the plan.

    Names in brackets resolve to indexes. Raises ScenarioError naming the field: unknown fields get
    a "did you mean", fields that exist but hold no number (a GPU name, a kind) say so.
    """
    import difflib

    from buildorbuy.scenario.loading import format_field_path, split_field_path

    parts = split_field_path(text)
    resolved: list[str | int] = []
    for part in parts:
        if resolved == ["paths"] and isinstance(part, str):
            try:
                part = plan.scenario.path_index(part)
            except KeyError:
                names = [p.name for p in plan.paths]
                hint = difflib.get_close_matches(part, names, n=1)
                raise ScenarioError(
                    f"no path named '{part}'" + (f"; did you mean '{hint[0]}'?" if hint else f" (paths: {', '.join(names)})"),
                    field=text,
                ) from None
        resolved.append(part)
    key = format_field_path(resolved)
    known = set(plan.base) | {d.key for d in plan.derived}
    if key in known:
        return key
    node: object = plan.scenario
    for part in resolved:
        try:
            node = node[part] if isinstance(part, int) else getattr(node, part)  # type: ignore[index]
        except (AttributeError, IndexError, TypeError):
            node = None
            break
    if node is not None and not isinstance(node, (int, float)):
        raise ScenarioError(f"'{key}' is not a numeric field (it holds {_held(node, key)})", field=text)
    if node is None and resolved:
        hint = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
        raise ScenarioError("unknown parameter" + (f"; did you mean '{hint[0]}'?" if hint else ""), field=text)
    raise ScenarioError("this field is not used by the scenario (it has no value to vary)", field=text)



def _held(node: object, key: str) -> str:
    """What a non-numeric field holds, in words (never a Python repr of scenario objects)."""
    if isinstance(node, (list, tuple)):
        return f"a list of {len(node)} {'entry' if len(node) == 1 else 'entries'}: name one and a field in it, as in {key}[0]…"
    fields = getattr(type(node), "model_fields", None)
    if fields is None and isinstance(node, dict):
        fields = node
    if fields is not None:
        names = sorted(map(str, fields))
        return "the fields " + ", ".join(names[:6]) + ("…" if len(names) > 6 else "") + f": name one, as in {key}.{names[0]}" if names else "no fields"
    return f"{type(node).__name__} {node!r:.40}"
