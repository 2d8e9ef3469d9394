"""The cost engine: one vectorised evaluation of a Plan over a batch of parameter sets.

Arrays are shaped [batch, path, month]. compare is a batch of one; sweeps, tornado, break-even
and Monte Carlo are bigger batches of this same call. The equations are DESIGN §2–3, one cost
mechanism per function in `engine.mechanisms` (each cites its line of the model); `evaluate`
composes them path by path into a `Ledger` and sums the totals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from buildorbuy.engine.context import (
    SECONDS_PER_MONTH, Context, PathContext, compound, materialised, path_context, refresh_events, workload_context,
)
from buildorbuy.engine.ledger import CAPEX_COMPONENTS, TOTAL_COLUMN, Ledger, NeedsMonthlyTotals
from buildorbuy.engine.mechanisms.api_fees import api_path_fees, managed_finetune_fees, own_fixed_fees, per_token_fees
from buildorbuy.engine.mechanisms.bridge import bridge_fees, bridge_staff, unserved_tokens
from buildorbuy.engine.mechanisms.compute import (
    compute_costs, compute_run, late_run_warning, run_flops, run_rows, start_month,
)
from buildorbuy.engine.mechanisms.data import one_off_data, refresh_data
from buildorbuy.engine.mechanisms.fleet import RentedFleet, autoscaled_fleet, last_term_warning, rented_fleet_costs
from buildorbuy.engine.mechanisms.owned import owned_fleet, owned_gpus
from buildorbuy.engine.mechanisms.routing import cap_replicas, fallback_fees, route, shared_carry
from buildorbuy.engine.mechanisms.serving import rented_serving, serving_gpus
from buildorbuy.engine.mechanisms.staff import staff_costs, staff_lines
from buildorbuy.engine.plan import Params, PathPlan, Plan
from buildorbuy.errors import ScenarioError
from buildorbuy.scenario.models import MONTH_HOURS, ApiPath, BuildPath
from buildorbuy.phrases import Message

__all__ = ["COMPONENTS", "COMPONENT_LABELS", "CAPEX_COMPONENTS", "SECONDS_PER_MONTH", "Components", "Result",
           "evaluate", "resolve_params"]

COMPONENTS = (
    "api_fees",
    "bridge_fees",
    "managed_finetune",
    "serving_rent",
    "hardware_purchase",
    "power_and_hosting",
    "residual_credit",
    "training_compute",
    "finetune_compute",
    "data",
    "staff",
    "api_fixed_fees",
    "maintenance",
    "fallback_fees",
    "bridge_staff",
)
"""Cost components, in the order tables show them (components added later are appended, so CSV
columns keep their order; those in CSV_LATE_COMPONENTS come after the CSV's fleet columns)."""

CSV_LATE_COMPONENTS = ("bridge_staff",)
"""Components added after the CSV gained its fleet columns: the CSV appends them after those, so its
existing columns keep their order."""

COMPONENT_LABELS = {
    "api_fees": "API fees",
    "bridge_fees": "bridge API fees",
    "managed_finetune": "managed fine-tune",
    "serving_rent": "rented serving GPUs",
    "hardware_purchase": "GPU purchases",
    "power_and_hosting": "power and hosting",
    "residual_credit": "residual value credit",
    "training_compute": "training compute",
    "finetune_compute": "fine-tune compute",
    "data": "data",
    "staff": "staff",
    "api_fixed_fees": "API fixed and setup fees",
    "maintenance": "maintenance",
    "fallback_fees": "fallback API fees",
    "bridge_staff": "bridge staff (after failure)",
}

FLEET_KEYS = ("reserved_gpus", "on_demand_gpu_hours", "owned_gpus")
ROUTING_KEYS = ("own_model_tokens", "fallback_tokens", "overflow_tokens")
"""`paths[].routing` keys of routed paths: tokens the own model answered, the fallback billed, and the
overflow above the capacity cap, per month from go-live (success case)."""
"""`paths[].fleet` keys: GPUs reserved, GPU-hours paid on demand, GPUs owned, per month."""

@dataclass
class Result:
    """Everything the engine computed, as arrays with a leading batch axis."""

    plan: Plan
    params: Params
    """Every parameter as a [batch] array, derived ones included."""
    tokens: np.ndarray
    """Tokens demanded per month, [batch, month]."""
    components: "Components"
    """Cost per component, [batch, path, month] (built on access)."""
    monthly_cost: np.ndarray | None
    """Cost per month, [batch, path, month] (None in the reduced mode: see `evaluate`'s year_ends)."""
    gpus: np.ndarray | None
    """Serving GPUs in use once live (success case), [batch, path, month] (None in the reduced mode)."""
    unserved_tokens: np.ndarray
    live_month: np.ndarray
    """Go-live month, [batch, path] (0 for api paths without lead time)."""
    compute_months: np.ndarray
    """Months of training/fine-tune wall-clock before go-live, [batch, path]."""
    feasible: np.ndarray
    lead_time_exceeded: np.ndarray
    total_cost: np.ndarray
    npv: np.ndarray
    capex: np.ndarray
    """GPU purchases (with server overhead), [batch, path]."""
    residual_credit: np.ndarray
    """Undepreciated value of owned GPUs credited in the last month (≤ 0), [batch, path]."""
    opex: np.ndarray
    cost_per_million_tokens: np.ndarray
    levelised_cost_per_million_tokens: np.ndarray
    discount: np.ndarray
    """Discount factor per month, [batch, month] (a read-only broadcast view)."""
    training_gpu_hours: np.ndarray
    """GPU-hours of one training or fine-tune run, [batch, path] (0 for api paths)."""
    warnings: list[str] = field(default_factory=list)
    fleet: Mapping[str, np.ndarray] | None = None
    """Serving fleet by how it is bought, [batch, path, month] each: `reserved_gpus`,
    `on_demand_gpu_hours`, `owned_gpus` (built when read; None when components were not kept)."""
    routing: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    """Routed paths by index: ROUTING_KEYS → [batch, month] tokens (success case; built when read)."""
    unserved_total: np.ndarray | None = None
    """Unserved tokens over the horizon, [batch, path] (the month sum of `unserved_tokens`)."""
    year_end_costs: np.ndarray | None = None
    """With `evaluate(…, year_ends=…)`: cumulative cost at each of those months, [batch, path, year]."""

    @property
    def batch_size(self) -> int:
        return self.npv.shape[0]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.plan.paths]

    @property
    def served_tokens(self) -> np.ndarray:
        """Tokens served per month, [batch, path, month]."""
        return self.tokens[:, None, :] - self.unserved_tokens

    @property
    def cumulative_cost(self) -> np.ndarray:
        return np.cumsum(self.monthly_cost, axis=-1)

    @property
    def cumulative_before_residual(self) -> np.ndarray:
        """Cumulative cost without the final residual credit (for break-even months)."""
        cumulative = self.cumulative_cost
        cumulative[..., -1] -= self.residual_credit
        return cumulative

    @property
    def live_within_horizon(self) -> np.ndarray:
        """Whether each path goes live before the horizon ends, [batch, path]."""
        return self.live_month < self.plan.horizon

    @property
    def recommendable(self) -> np.ndarray:
        """Feasible, serving all traffic and live within the horizon, [batch, path]."""
        unserved = self.unserved_tokens.sum(axis=-1) if self.unserved_total is None else self.unserved_total
        return self.feasible & (unserved <= 0) & self.live_within_horizon


class Components(Mapping):
    """Cost components by name → [batch, path, month] arrays, built on first access.

    The engine keeps each path's component at its natural shape ([1, month] when nothing it
    depends on varies across the batch), so a big batch pays only for what varies.
    """

    def __init__(self, parts: dict[str, dict[int, np.ndarray]], shape: tuple[int, int, int],
                 single_months: dict[str, dict[int, tuple[int, np.ndarray]]] | None = None, kept: bool = True):
        self._kept = kept
        self._parts = parts
        self._shape = shape
        self._single_months = single_months or {}
        self._built: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in COMPONENTS:
            raise KeyError(name)
        if not self._kept:
            raise RuntimeError("components were not kept: evaluate with keep_components=True")
        if name not in self._built:
            array = np.zeros(self._shape)
            for index, values in self._parts.get(name, {}).items():
                array[:, index] += values
            for index, (month, values) in self._single_months.get(name, {}).items():
                array[:, index, month] += values
            self._built[name] = array
        return self._built[name]

    def __iter__(self):
        return iter(COMPONENTS)

    def __len__(self) -> int:
        return len(COMPONENTS)


def resolve_params(plan: Plan, batch: dict[str, np.ndarray | float] | None = None) -> tuple[Params, int]:
    """Every parameter as a 1-D array of length 1 (same for the whole batch) or of the batch size.

    Parameters the batch does not vary stay at length 1 and broadcast, so month arithmetic on them
    runs once per call, not once per batch element. Derived parameters follow their inputs.
    """
    batch = dict(batch or {})
    known = set(plan.base) | {d.key for d in plan.derived}
    for key in batch:
        if key not in known:
            raise ScenarioError("not a numeric parameter of this scenario", field=key)
    arrays = {key: np.atleast_1d(np.asarray(value, dtype=float)) for key, value in batch.items()}
    size = max((a.shape[0] for a in arrays.values()), default=1)
    for key, a in arrays.items():
        if a.ndim != 1 or a.shape[0] not in (1, size):
            raise ScenarioError(f"batch values must be 1-D of length 1 or {size}", field=key)
    params: Params = {key: np.array([value]) for key, value in plan.base.items()}
    params.update(arrays)
    for derived in plan.derived:
        if derived.key not in arrays:
            params[derived.key] = np.atleast_1d(np.asarray(derived.compute(params), dtype=float))
    return params, size


class _Full(Mapping):
    """Parameters broadcast to the batch size on access (read-only views; none made up front)."""

    def __init__(self, params: Params, size: int):
        self._params = params
        self._size = size

    def __getitem__(self, key: str) -> np.ndarray:
        return np.broadcast_to(self._params[key], (self._size,))

    def __iter__(self):
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)


def _full(params: Params, size: int) -> Params:
    """Parameters broadcast to the batch size (read-only views, made when read)."""
    return _Full(params, size)  # type: ignore[return-value]


def evaluate(plan: Plan, batch: dict[str, np.ndarray | float] | None = None, *, keep_components: bool = True,
             year_ends: Sequence[int] | None = None) -> Result:
    """Evaluate every path for every batch element. `batch` maps parameter keys to [batch] arrays.

    `keep_components=False` keeps only the monthly totals (and capex, residual): big Monte Carlo
    chunks then hold one path's components at a time; `Result.components` is unavailable.

    `year_ends` (months, with keep_components=False): `Result.year_end_costs` holds each path's
    cumulative cost at those months. When the discount rate is the same for the whole batch, this is
    the reduced mode: each cost is reduced straight to NPV, total and those cumulative costs (the
    same terms, summed in another order: equal to ~1e-15 relative) and `Result.monthly_cost` is None.

    Raises ScenarioError when the figures overflow (inputs far too large for the horizon): an
    infinite cost is never returned.
    """
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            result = _evaluate(plan, batch, keep_components, year_ends)
        if not (np.isfinite(result.total_cost).all() and np.isfinite(result.npv).all()):
            tokens_finite = np.isfinite(result.tokens).all()
            raise ScenarioError(
                "the costs overflow to infinity: an input is far too large for the horizon"
                + ("" if tokens_finite else f" (tokens_per_month grown over {plan.horizon} months exceeds any real volume)"),
                field="workload" if not tokens_finite else None,
            )
    except ScenarioError as exc:  # a bound on derived figures (the fleet) names the file and line like any other
        if exc.source is None and plan.scenario._source is not None:
            from buildorbuy.engine.plan import place_in_file

            place_in_file(exc, plan.scenario)
            field = exc.field or ""
            if batch and field and any(k == field or k.startswith((field + ".", field + "[")) for k in batch):
                # the field's line, but the value may be the analysis's (swept, sampled), not the file's
                if "varied value" not in exc.message and "(from --set)" not in exc.message:
                    exc.message += " (at a varied value)"
        raise
    return result


@dataclass
class _Outputs:
    """Per-path figures that are not costs, filled path by path ([path, batch, month] or [batch, path])."""

    gpus: np.ndarray | None
    """[path, batch, month] serving GPUs (None in the reduced mode: each path's are its own array)."""
    unserved: np.ndarray
    live_month: np.ndarray
    compute_months: np.ndarray
    run_gpu_hours: np.ndarray
    warnings: list[str]
    routes: dict = field(default_factory=dict)
    """Routed paths' traffic split (mechanisms.routing.Route) by path index."""
    unserved_paths: list[int] = field(default_factory=list)
    """Indexes of the paths that leave some traffic unserved (the others' rows of `unserved` stay 0)."""
    fleet: dict[str, dict[int, np.ndarray]] = field(default_factory=lambda: {name: {} for name in FLEET_KEYS})
    """The fleet split by path index, [batch or 1, month] each or a function making it (kept with the
    components only)."""

    @classmethod
    def empty(cls, size: int, n_paths: int, horizon: int, warnings: list[str], keep_gpus: bool = True) -> "_Outputs":
        by_path = (n_paths, size, horizon)
        nothing_unserved = np.broadcast_to(np.zeros(1), by_path)  # read-only; an array once a path leaves some
        return cls(np.zeros(by_path) if keep_gpus else None, nothing_unserved, np.zeros((size, n_paths)), np.zeros((size, n_paths)),
                   np.zeros((size, n_paths)), list(warnings))

    def gpus_row(self, index: int) -> np.ndarray | None:
        """Where path `index` writes its serving GPUs (None: into an array of its own)."""
        return None if self.gpus is None else self.gpus[index]

    def leave_unserved(self, index: int, tokens: np.ndarray) -> None:
        """Record a path's unserved tokens ([batch or 1, month]); all-zero weights write nothing."""
        if np.any(tokens):
            if not self.unserved_paths:
                self.unserved = np.zeros(self.unserved.shape)
            self.unserved[index] = tokens
            self.unserved_paths.append(index)

    def fleet_arrays(self, size: int, horizon: int) -> "FleetSplit":
        """The fleet split as [batch, path, month] arrays, built when read."""
        return FleetSplit(self.fleet, (size, self.gpus.shape[0], horizon))


class FleetSplit(Mapping):
    """`paths[].fleet` by name → [batch, path, month] array (zeros where a path has no such GPUs),
    built on first access from each path's [batch or 1, month] part (a sweep that never reads it
    pays nothing)."""

    def __init__(self, parts: dict[str, dict[int, np.ndarray]], shape: tuple[int, int, int]):
        self._parts = parts
        self._shape = shape
        self._built: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in FLEET_KEYS:
            raise KeyError(name)
        if name not in self._built:
            array = np.zeros(self._shape)
            for index, values in self._parts[name].items():
                array[:, index] = values() if callable(values) else values
            self._built[name] = array
        return self._built[name]

    def __iter__(self):
        return iter(FLEET_KEYS)

    def __len__(self) -> int:
        return len(FLEET_KEYS)


def _evaluate(plan: Plan, batch: dict[str, np.ndarray | float] | None, keep_components: bool,
              year_ends: Sequence[int] | None = None) -> Result:
    params, size = resolve_params(plan, batch)
    reduce = None
    rate = params["discount_rate"]
    if year_ends is not None and not keep_components and bool(np.all(rate == rate[0])):  # one discount row for all
        reduce = _reduction_matrix(plan.horizon, rate[:1], year_ends)
    try:
        return _evaluate_once(plan, params, size, keep_components, year_ends, reduce)
    except NeedsMonthlyTotals:
        return _evaluate_once(plan, params, size, keep_components, year_ends, None)


def _reduction_matrix(horizon: int, discount_rate: np.ndarray, year_ends: Sequence[int]) -> np.ndarray:
    """[month, 2 + years]: the discount factors (NPV), ones (total; TOTAL_COLUMN) and, per year-end e,
    1 for months ≤ e (cumulative cost at e)."""
    months = np.arange(horizon, dtype=float)
    matrix = np.empty((horizon, 2 + len(year_ends)))
    matrix[:, 0] = compound(discount_rate[:, None], -months[None, :] / 12.0)[0]
    matrix[:, TOTAL_COLUMN] = 1.0
    for y, end in enumerate(year_ends):
        matrix[:, 2 + y] = months <= end
    return matrix


def _evaluate_once(plan: Plan, params: Params, size: int, keep_components: bool, year_ends: Sequence[int] | None,
                   reduce: np.ndarray | None) -> Result:
    ctx = workload_context(plan, params, size)
    n_paths = len(plan.paths)
    ledger = Ledger(size, n_paths, plan.horizon, keep_components, reduce)
    out = _Outputs.empty(size, n_paths, plan.horizon, plan.warnings, keep_gpus=reduce is None)
    fees_cache: dict[int, np.ndarray] = {}
    staff_cache: dict[int, np.ndarray | float] = {}

    def base_fees(index: int) -> np.ndarray:
        """An api path's per-token fees at full traffic (computed once: the bridge serves several paths)."""
        if index not in fees_cache:
            pp = plan.paths[index]
            fees_cache[index] = per_token_fees(ctx, f"paths[{index}].", f"paths[{index}].price_change_per_year",
                                               offsets=pp.discount_offsets, steps=pp.price_steps)
        return fees_cache[index]

    def bridge_staff_full(index: int) -> np.ndarray | float:
        """The bridge path's staff lines, unweighted (computed once: the bridge serves several paths)."""
        if index not in staff_cache:
            staff_cache[index] = staff_lines(ctx, f"paths[{index}].", plan.paths[index].staff_count)
        return staff_cache[index]

    for pp in plan.paths:
        _path_costs(ctx, plan, pp, ledger, out, base_fees, bridge_staff_full)
    for index in range(n_paths):  # bounds checked once every path is costed: a fleet's own error comes first
        ledger.flush(index)
    return _result(plan, ctx, ledger, out, year_ends)


def _path_costs(ctx: Context, plan: Plan, pp: PathPlan, ledger: Ledger, out: _Outputs, base_fees,
                bridge_staff_full) -> None:
    """Compose one path's mechanisms into the ledger (the order of `add` calls fixes the summation order)."""
    i = pp.index
    path = plan.scenario.paths[i]
    pc = path_context(ctx, pp)
    if isinstance(path, ApiPath):
        start = ctx.params.get(pc.key("start_month"), 0.0)
        pc.go_live(ctx, np.ceil(ctx.params[pc.key("lead_time_months")]) + np.round(start))
    else:
        _self_hosted(ctx, pc, path, ledger, out)
    out.live_month[:, i] = pc.live
    if pc.live[0] >= plan.horizon and (pp.kind != "api" or pc.live[0] > 0):
        out.warnings.append(Message("after_horizon", path=pp.name, month=f"{pc.live[0]:g}", horizon=plan.horizon))
    if pp.has_managed_finetune:
        events = refresh_events(ctx.months, pc.live, ctx.params.get(pc.key("managed_finetune.refresh_months")))
        ledger.add(i, managed_finetune_fees(ctx, pc, base_fees(i), events))
    else:
        if isinstance(path, ApiPath):
            ledger.add(i, api_path_fees(ctx, pc, base_fees(i)))
        routed = out.routes.get(i)
        if routed is not None:
            _routed_fees(ctx, pc, routed, ledger, out, base_fees)
        elif pp.bridge is not None:
            ledger.add(i, bridge_fees(ctx, pc, base_fees(pp.bridge), f"paths[{pp.bridge}]."))
        else:
            out.leave_unserved(i, unserved_tokens(ctx, pc))
    if isinstance(path, ApiPath):
        ledger.add(i, own_fixed_fees(ctx, pc))
    ledger.add(i, one_off_data(ctx, pc))
    ledger.add(i, staff_costs(ctx, pc, pp.staff_count))
    if pp.bridge is not None and not pc.certain:
        # after a failure the bridge carries every token to the horizon (routed paths too: the fallback
        # is paid only on success), so the company pays the bridge path's staff; added last, so the
        # figures of paths that cannot fail are summed exactly as before
        ledger.add(i, bridge_staff(ctx, pc, bridge_staff_full(pp.bridge)))


def _routed_fees(ctx: Context, pc: PathContext, routed, ledger: Ledger, out: _Outputs, base_fees) -> None:
    """A routed path's api legs: the bridge before go-live (and after a failure), the fallback after go-live
    (its fixed fees once a month when the two are the same api path)."""
    pp, i = pc.plan, pc.index
    fallback_prefix = f"paths[{routed.fallback}]."
    carry = None
    if pp.bridge is None:
        out.leave_unserved(i, unserved_tokens(ctx, pc))
    elif pp.bridge == routed.fallback:
        carry, fixed = shared_carry(ctx, pc, routed, fallback_prefix)
        fees = bridge_fees(ctx, pc, base_fees(pp.bridge))
        ledger.add(i, fees if fixed is None else {"bridge_fees": materialised(fees["bridge_fees"]) + fixed})
    else:
        ledger.add(i, bridge_fees(ctx, pc, base_fees(pp.bridge), f"paths[{pp.bridge}]."))
    ledger.add(i, fallback_fees(ctx, pc, routed, base_fees(routed.fallback), fallback_prefix, carry))


def _self_hosted(ctx: Context, pc: PathContext, path, ledger: Ledger, out: _Outputs) -> None:
    """A build or fine-tune path: its compute run sets go-live; then its serving fleet, rented or owned."""
    pp, i = pc.plan, pc.index
    build = isinstance(path, BuildPath)
    section = "training" if build else "finetune"
    flops_per_param_token = 6.0
    if not build:
        from buildorbuy.estimators.finetune import FLOPS_PER_PARAM_TOKEN

        flops_per_param_token = FLOPS_PER_PARAM_TOKEN[path.finetune.method]
    run = compute_run(ctx, pc, section, run_flops(ctx, pc, section, flops_per_param_token), pp.compute_gpu.peak_flops("bf16"))
    warning = late_run_warning(pp.name, run)
    if warning is not None:
        out.warnings.append(warning)
    out.compute_months[:, i] = run.run_months
    out.run_gpu_hours[:, i] = run.gpu_hours
    live = run.live
    if pp.ownership == "own" and pc.key("serving.procurement_months") in ctx.params:
        procured = np.ceil(ctx.params[pc.key("serving.procurement_months")]) + start_month(ctx, pc)
        live = np.maximum(live, procured)  # GPUs racked first
    pc.go_live(ctx, live)
    ledger.add(i, compute_costs(ctx, pc, run))
    ledger.add(i, refresh_data(ctx, pc, run.refreshes, groups=run_rows(ctx, pc, run, costs=False)))
    _serving_fleet(ctx, pc, ledger, out)


def _serving_fleet(ctx: Context, pc: PathContext, ledger: Ledger, out: _Outputs) -> None:
    """The serving fleet's costs, by how it is bought: on demand sized for the peak, autoscaled and/or
    reserved (rented), or owned; and its split for `paths[].fleet`."""
    pp, i = pc.plan, pc.index
    keep = ledger.keep_components
    load = cap = None
    if pp.fallback is not None:
        cap = cap_replicas(ctx, pc)
        out.routes[i] = route(ctx, pc, pp.fallback, cap)
        load = out.routes[i].own_tokens
    if pp.ownership == "own":
        gpus = serving_gpus(ctx, pc, out=out.gpus_row(i), load=load, cap=cap)
        ledger.add(i, owned_fleet(ctx, pc, gpus))
        if keep:
            out.fleet["owned_gpus"][i] = lambda: owned_gpus(ctx, pc, gpus)
        return
    if pp.scaling != "autoscale" and not pp.reserved:
        gpus = serving_gpus(ctx, pc, out=out.gpus_row(i), load=load, cap=cap)
        ledger.add(i, rented_serving(ctx, pc, gpus))
        if keep:
            out.fleet["on_demand_gpu_hours"][i] = lambda: gpus * MONTH_HOURS
        return
    if pp.scaling == "autoscale":
        fleet = autoscaled_fleet(ctx, pc, out=out.gpus_row(i) if out.gpus is not None else np.zeros((ctx.size, ctx.horizon)),
                                 load=load, cap=cap)
    else:
        fleet = RentedFleet.fixed(serving_gpus(ctx, pc, out=out.gpus_row(i), load=load, cap=cap))
    costs, split = rented_fleet_costs(ctx, pc, fleet, pp.reserved)
    ledger.add(i, costs)
    if keep:
        for name, values in split.items():
            out.fleet[name][i] = values
    if pp.reserved:
        warning = last_term_warning(ctx, pc)
        if warning is not None:
            out.warnings.append(warning)


def _result(plan: Plan, ctx: Context, ledger: Ledger, out: _Outputs, year_ends: Sequence[int] | None = None) -> Result:
    """Totals, NPV, cost per token and feasibility from the flushed ledger."""
    size, horizon, params = ctx.size, ctx.horizon, ctx.params
    unserved = out.unserved.transpose(1, 0, 2)
    discount = np.broadcast_to(compound(ctx.col("discount_rate"), -ctx.years), (size, horizon))
    tokens = np.broadcast_to(ctx.tokens, (size, horizon))
    year_end_costs = None
    if ledger.reduce is not None:
        monthly_cost = None
        reduced = ledger.reduced.transpose(1, 0, 2)  # [batch, path, K]
        npv, total_cost, year_end_costs = reduced[..., 0], reduced[..., TOTAL_COLUMN], reduced[..., 2:]
    else:
        monthly_cost = ledger.monthly_by_path.transpose(1, 0, 2)
        total_cost = monthly_cost.sum(axis=-1)
        npv = _discounted_sum(monthly_cost, discount)
        if year_ends is not None:
            starts = [0] + [end + 1 for end in year_ends[:-1]]
            year_end_costs = np.cumsum(np.add.reduceat(monthly_cost, starts, axis=-1), axis=-1)
    unserved_total, unserved_npv = _unserved_sums(out, discount)
    served_total = tokens.sum(axis=-1)[:, None] - unserved_total
    served_npv = np.einsum("bm,bm->b", tokens, discount)[:, None] - unserved_npv
    with np.errstate(divide="ignore", invalid="ignore"):
        cpm = np.where(served_total > 0, total_cost / served_total * 1e6, np.nan)
        lcpm = np.where(served_npv > 0, npv / served_npv * 1e6, np.nan)
    static_ok = np.array([pp.infeasible_reason is None for pp in plan.paths])
    if plan.scenario.constraints.max_lead_time_months is not None:
        starts = np.stack(np.broadcast_arrays(*(np.round(params.get(f"paths[{i}].start_month", np.zeros(1)))
                                                for i in range(len(plan.paths)))), axis=-1)  # lead time counts from the start
        exceeded = out.live_month - starts > params["constraints.max_lead_time_months"][:, None]
    else:
        exceeded = np.zeros_like(out.live_month, dtype=bool)
    return Result(
        plan=plan, params=_full(params, size), tokens=np.ascontiguousarray(tokens),
        components=Components(ledger.parts, (size, len(plan.paths), horizon), ledger.single_months,
                              kept=ledger.keep_components),
        monthly_cost=monthly_cost, gpus=None if out.gpus is None else out.gpus.transpose(1, 0, 2), unserved_tokens=unserved,
        live_month=out.live_month, compute_months=out.compute_months,
        feasible=static_ok[None, :] & ~exceeded, lead_time_exceeded=exceeded,
        total_cost=total_cost, npv=npv, capex=ledger.capex, residual_credit=ledger.residual,
        opex=total_cost - ledger.capex - ledger.residual,
        cost_per_million_tokens=cpm, levelised_cost_per_million_tokens=lcpm, discount=discount,
        training_gpu_hours=out.run_gpu_hours, warnings=out.warnings,
        fleet=out.fleet_arrays(size, horizon) if ledger.keep_components else None,
        routing=_RoutingSplit(out.routes, ctx.tokens, size), unserved_total=unserved_total,
        year_end_costs=year_end_costs,
    )


def _unserved_sums(out: _Outputs, discount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unserved tokens over the horizon and their discounted sum, [batch, path] each (only the
    paths that leave traffic unserved are summed; the others are 0)."""
    n_paths, size, _ = out.unserved.shape
    total, discounted = np.zeros((size, n_paths)), np.zeros((size, n_paths))
    for index in out.unserved_paths:
        total[:, index] = out.unserved[index].sum(axis=-1)
        discounted[:, index] = _discounted_sum(out.unserved[index][:, None, :], discount)[:, 0]
    return total, discounted


class _RoutingSplit(Mapping):
    """Routed path index → {ROUTING_KEYS: [batch, month]}, computed on first access."""

    def __init__(self, routes: dict, tokens: np.ndarray, size: int):
        self._routes, self._tokens, self._size, self._built = routes, tokens, size, {}

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        if index not in self._built:
            split = self._routes[index].split(self._tokens)
            self._built[index] = {k: np.broadcast_to(v, (self._size, v.shape[-1])) for k, v in split.items()}
        return self._built[index]

    def __iter__(self):
        return iter(self._routes)

    def __len__(self) -> int:
        return len(self._routes)


def _discounted_sum(values: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """Σ_m values[b, p, m]·discount[b, m], without a [batch, path, month] temporary."""
    if discount.strides[0] == 0:
        return np.einsum("bpm,m->bp", values, discount[0])
    return np.einsum("bpm,bm->bp", values, discount)
