"""The cost engine: one vectorised evaluation of a Plan over a batch of parameter sets.

Arrays are shaped [batch, path, month]. compare is a batch of one; sweeps, tornado, break-even
and Monte Carlo are bigger batches of this same call. The equations are DESIGN §2–3; each
component below cites the line of the model it implements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from buildorbuy.engine import fleet
from buildorbuy.engine.plan import Params, Plan
from buildorbuy.errors import ScenarioError
from buildorbuy.scenario.models import MONTH_HOURS, ApiPath, BuildPath

SECONDS_PER_MONTH = MONTH_HOURS * 3600.0

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
    "maintenance",
)
"""Cost components, in the order tables show them (components added later are appended, so CSV
columns keep their order)."""

COMPONENT_LABELS = {
    "api_fees": "API fees",
    "bridge_fees": "bridge API fees",
    "managed_finetune": "managed fine-tune",
    "serving_rent": "rented serving GPUs",
    "hardware_purchase": "GPU purchases",
    "power_and_hosting": "power and hosting",
    "maintenance": "maintenance",
    "residual_credit": "residual value credit",
    "training_compute": "training compute",
    "finetune_compute": "fine-tune compute",
    "data": "data",
    "staff": "staff",
}

CAPEX_COMPONENTS = ("hardware_purchase",)


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
    monthly_cost: np.ndarray
    gpus: np.ndarray
    """Serving GPUs in use once live (success case), [batch, path, month]."""
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
    fleet: dict[str, np.ndarray] | None = None
    """Serving fleet by how it is bought, [batch, path, month] each: `reserved_gpus`,
    `on_demand_gpu_hours`, `owned_gpus` (None when components were not kept)."""

    @property
    def batch_size(self) -> int:
        return self.monthly_cost.shape[0]

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
        return self.feasible & (self.unserved_tokens.sum(axis=-1) <= 0) & self.live_within_horizon


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
    """Parameters broadcast to the batch size on access (read-only views; no copies, none made up front)."""

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


def _col(params: Params, key: str) -> np.ndarray:
    """A parameter as a column ([1, 1] or [batch, 1]) to broadcast over months."""
    return params[key][:, None]


def _api_fees(params: Params, prefix: str, change_key: str, years: np.ndarray, I, C, O) -> np.ndarray:
    """api_cost[m] = (I-C)/1000·p_in[m] + C/1000·p_cached[m] + O/1000·p_out[m]; p[m] = p0·(1+Δ)^(m/12)."""
    factor = (1.0 + _col(params, change_key)) ** years
    return factor * (
        (I - C) / 1000.0 * _col(params, prefix + "price_per_1k_input")
        + C / 1000.0 * _col(params, prefix + "price_per_1k_cached_input")
        + O / 1000.0 * _col(params, prefix + "price_per_1k_output")
    )


def _events(months: np.ndarray, live: np.ndarray, every: np.ndarray | None) -> np.ndarray | None:
    """Refresh months: go-live + k·every for k ≥ 1, as a [batch, month] mask (None: no refreshes)."""
    if every is None:
        return None
    horizon = months.shape[0]
    since = np.clip(np.arange(horizon)[None, :] - live.astype(np.int64)[:, None], -horizon, horizon)
    period = np.maximum(np.round(every), 1.0).astype(np.int64)
    if period.shape[0] == 1:
        steps = np.arange(-horizon, horizon + 1)
        table = (steps > 0) & (steps % period[0] == 0)
        return table[since + horizon]
    return (since > 0) & (since % period[:, None] == 0)


def evaluate(plan: Plan, batch: dict[str, np.ndarray | float] | None = None, *, keep_components: bool = True) -> Result:
    """Evaluate every path for every batch element. `batch` maps parameter keys to [batch] arrays.

    `keep_components=False` keeps only the monthly totals (and capex, residual): big Monte Carlo
    chunks then hold one path's components at a time; `Result.components` is unavailable.

    Raises ScenarioError when the figures overflow (inputs far too large for the horizon): an
    infinite cost is never returned.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        result = _evaluate(plan, batch, keep_components)
    if not (np.isfinite(result.total_cost).all() and np.isfinite(result.npv).all()):
        tokens_finite = np.isfinite(result.tokens).all()
        raise ScenarioError(
            "the costs overflow to infinity: an input is far too large for the horizon"
            + ("" if tokens_finite else f" (tokens_per_month grown over {plan.horizon} months exceeds any real volume)"),
            field="workload" if not tokens_finite else None,
        )
    return result


def _evaluate(plan: Plan, batch: dict[str, np.ndarray | float] | None, keep_components: bool) -> Result:
    params, size = resolve_params(plan, batch)
    sc = plan.scenario
    horizon = plan.horizon
    n_paths = len(plan.paths)
    months = np.arange(horizon, dtype=float)
    years = months[None, :] / 12.0

    if sc.workload.schedule is not None:
        tokens = np.stack(np.broadcast_arrays(*(params[f"workload.schedule[{m}]"] for m in range(horizon))), axis=1)
    else:
        tokens = _col(params, "workload.tokens_per_month") * (1.0 + _col(params, "workload.growth_per_month")) ** months[None, :]
    output = tokens * _col(params, "workload.output_share")
    inputs = tokens - output
    cached = inputs * _col(params, "workload.cached_input_share")
    peak_tokens_per_second = tokens / SECONDS_PER_MONTH * _col(params, "workload.peak_to_average")

    shape = (size, n_paths, horizon)
    parts: dict[str, dict[int, np.ndarray]] = {}
    capex = np.zeros((size, n_paths))
    residual = np.zeros((size, n_paths))
    # Costs that fall in one month only (one-off data in month 0, the residual credit in the last):
    # (month, [batch] or [1] values) per path, kept out of the [batch, month] arrays.
    single_months: dict[str, dict[int, tuple[int, np.ndarray]]] = {}

    def add(name: str, index: int, values: np.ndarray) -> None:
        """Add to a path's component, keeping the smallest shape that broadcasts to [batch, month]."""
        by_path = parts.setdefault(name, {})
        by_path[index] = by_path[index] + values if index in by_path else values

    by_path_shape = (n_paths, size, horizon)
    monthly_by_path = np.zeros(by_path_shape)

    def flush(index: int) -> None:
        """Sum a path's components into its monthly cost (and capex); without keep_components, drop them."""
        shared = 0.0
        for name, by_path in parts.items():
            values = by_path.get(index) if keep_components else by_path.pop(index, None)
            if values is None:
                continue
            if values.shape[0] == 1:
                shared = shared + values
            else:
                monthly_by_path[index] += values
            if name in CAPEX_COMPONENTS:
                capex[:, index] += values.sum(axis=-1)
        monthly_by_path[index] += shared
        for by_path in single_months.values():
            if index in by_path:
                month, values = by_path[index]
                monthly_by_path[index, :, month] += values

    gpus_by_path = np.zeros(by_path_shape)
    unserved_by_path = np.zeros(by_path_shape)
    live_month = np.zeros((size, n_paths))
    compute_months = np.zeros((size, n_paths))
    run_gpu_hours = np.zeros((size, n_paths))
    warnings: list[str] = list(plan.warnings)

    fees_cache: dict[int, np.ndarray] = {}
    fleet_parts: dict[str, dict[int, np.ndarray]] = {name: {} for name in FLEET_KEYS}
    levels_cache: list = []

    def levels():
        """The day's load levels and their hours (computed once, for autoscaled fleets)."""
        if not levels_cache:
            levels_cache.append(fleet.day_levels(params, sc.workload.daily_profile is not None))
        return levels_cache[0]

    def base_fees(index: int) -> np.ndarray:
        """An api path's per-token fees at full traffic (computed once: the bridge serves several paths)."""
        if index not in fees_cache:
            fees_cache[index] = _api_fees(params, f"paths[{index}].", f"paths[{index}].price_change_per_year", years, inputs, cached, output)
        return fees_cache[index]

    for pp in plan.paths:
        i = pp.index
        path = sc.paths[i]
        key = lambda name: f"paths[{i}].{name}"  # noqa: E731
        p_success = _col(params, key("success_probability"))
        certain = p_success.shape[0] == 1 and p_success[0, 0] == 1.0

        def on_success(values: np.ndarray) -> np.ndarray:
            """Weight a flow that happens only if the path succeeds (no copy when p = 1)."""
            return values if certain else values * p_success

        if isinstance(path, ApiPath):
            live = np.ceil(params[key("lead_time_months")])
        else:
            if isinstance(path, BuildPath):
                active = params[key("model.active_params")]
                flops = 6.0 * active * params[key("model.training_tokens")]
                section = "training"
                overhead = params[key("training.experiment_overhead")]
                goodput = params[key("training.goodput")]
            else:
                from buildorbuy.estimators.finetune import FLOPS_PER_PARAM_TOKEN

                active = params[key("model.active_params")]
                flops = (
                    FLOPS_PER_PARAM_TOKEN[path.finetune.method]
                    * active
                    * params[key("finetune.tokens")]
                    * params[key("finetune.epochs")]
                )
                section = "finetune"
                overhead = 1.0
                goodput = 1.0
            peak_flops = pp.compute_gpu.peak_flops("bf16")
            gpu_hours = flops / (peak_flops * params[key(f"{section}.mfu")]) / 3600.0 * overhead
            wall_hours = gpu_hours / params[key(f"{section}.gpus")] / goodput
            run_months = np.maximum(1.0, np.ceil(wall_hours / MONTH_HOURS - 1e-9))
            lead = np.ceil(params[key("lead_time_months")])
            live = np.maximum(lead, run_months)
            if np.any(run_months[:1] > lead[:1]):
                warnings.append(
                    f"{pp.name}: {section} takes {wall_hours[0] / MONTH_HOURS:.1f} months of wall-clock, longer than "
                    f"lead_time_months {lead[0]:g}; go-live moved to month {live[0]:g}"
                )
            compute_months[:, i] = run_months
            run_gpu_hours[:, i] = gpu_hours
            run_cost = gpu_hours * params[key(f"{section}.gpu_hour_price")]
            in_run = (months[None, :] >= (live - run_months)[:, None]) & (months[None, :] < live[:, None])
            refresh_key = key(f"{section}.refresh_months")
            refreshes = _events(months, live, params.get(refresh_key))
            add(f"{section}_compute", i, in_run * (run_cost / run_months)[:, None])
            if refreshes is not None and refreshes.any():
                add(f"{section}_compute", i, refreshes * (run_cost[:, None] * p_success))
                add("data", i, refreshes * (_col(params, key("data.per_refresh")) * p_success))

            if pp.ownership == "own" and key("serving.procurement_months") in params:
                live = np.maximum(live, np.ceil(params[key("serving.procurement_months")]))
            is_live = months[None, :] >= live[:, None]
            if pp.scaling == "autoscale":
                by_level, weights = _autoscaled(params, key, tokens, months, levels())
                by_level *= is_live[:, :, None]
                gpus_by_path[i] = by_level.max(axis=-1)
            else:
                serving_gpus = _serving_gpus(params, key, peak_tokens_per_second, fleet.throughput_factor(params, key, months))
                np.multiply(serving_gpus, is_live, out=gpus_by_path[i])
                by_level, weights = gpus_by_path[i][:, :, None], np.array([[fleet.HOURS_PER_DAY]])
            if pp.ownership == "rent":
                rent = _col(params, key("serving.gpu_hour_price")) * (1.0 + _col(params, key("serving.gpu_hour_price_change_per_year"))) ** years
                if pp.reserved:
                    reserved_cost, on_demand = _reserved(params, key, by_level, weights, live, months, horizon, pp, warnings)
                    add("serving_rent", i, on_success(on_demand * rent + reserved_cost))
                    if keep_components:
                        fleet_parts["reserved_gpus"][i] = _col(params, key("serving.reserved.gpus")) * is_live
                        fleet_parts["on_demand_gpu_hours"][i] = on_demand
                elif pp.scaling == "autoscale":
                    hours = fleet.gpu_hours(by_level, weights)
                    add("serving_rent", i, on_success(hours * rent))
                    if keep_components:
                        fleet_parts["on_demand_gpu_hours"][i] = hours
                else:
                    add("serving_rent", i, gpus_by_path[i] * on_success(MONTH_HOURS * rent))
                    if keep_components:
                        fleet_parts["on_demand_gpu_hours"][i] = gpus_by_path[i] * MONTH_HOURS
            else:
                purchase, running, maintenance, owned_fleet, credit = fleet.owned_fleet(
                    params, key, gpus_by_path[i], horizon, path.serving.residual)
                add("hardware_purchase", i, on_success(purchase))
                add("power_and_hosting", i, on_success(running))
                if maintenance is not None:
                    add("maintenance", i, on_success(maintenance))
                if keep_components:
                    fleet_parts["owned_gpus"][i] = owned_fleet
                credit = credit if certain else credit * p_success[:, 0]
                single_months.setdefault("residual_credit", {})[i] = (horizon - 1, credit)
                residual[:, i] += credit

        live_month[:, i] = live
        if live[0] >= horizon and (pp.kind != "api" or live[0] > 0):
            warnings.append(
                f"{pp.name}: goes live in month {live[0]:g}, after the {horizon}-month horizon: it never serves "
                "traffic here, so it is not recommended (lengthen horizon_months to judge it)"
            )
        is_live = months[None, :] >= live[:, None]
        if certain:
            fallback_weight, success_weight = ~is_live, is_live
        else:
            fallback_weight = ~is_live + (1.0 - p_success) * is_live
            success_weight = p_success * is_live

        if isinstance(path, ApiPath) and pp.has_managed_finetune:
            mf = key("managed_finetune.")
            tuned = _api_fees(params, mf, key("price_change_per_year"), years, inputs, cached, output)
            add("api_fees", i, base_fees(i) * fallback_weight + tuned * success_weight)
            fee = params[mf + "training_tokens"] * params[mf + "epochs"] / 1e6 * params[mf + "price_per_1m_training_tokens"]
            at_live = months[None, :] == live[:, None]
            refreshes = _events(months, live, params.get(mf + "refresh_months"))
            events = at_live if refreshes is None else at_live + refreshes * p_success
            add("managed_finetune", i, fee[:, None] * events + _col(params, mf + "hosting_fee_per_hour") * MONTH_HOURS * success_weight)
        elif isinstance(path, ApiPath):
            add("api_fees", i, base_fees(i) * success_weight)
            if pp.bridge is not None:
                add("bridge_fees", i, base_fees(pp.bridge) * fallback_weight)
            else:
                unserved_by_path[i] = tokens * fallback_weight
        else:
            if pp.bridge is not None:
                add("bridge_fees", i, base_fees(pp.bridge) * fallback_weight)
            else:
                unserved_by_path[i] = tokens * fallback_weight

        one_off = params[key("data.one_off")]
        if np.any(one_off != 0):
            single_months.setdefault("data", {})[i] = (0, one_off)
        staff_cost = 0.0
        for j in range(pp.staff_count):
            s = f"staff[{j}]."
            active_months = (months[None, :] >= _col(params, key(s + "start_month"))) & (months[None, :] < _col(params, key(s + "end_month")))
            monthly = _col(params, key(s + "count")) * _col(params, key(s + "annual_cost")) / 12.0
            staff_cost = staff_cost + monthly * (1.0 + _col(params, key(s + "salary_growth_per_year"))) ** years * active_months
        if pp.staff_count:
            add("staff", i, staff_cost if certain else staff_cost * (~is_live + p_success * is_live))
        if not keep_components:
            flush(i)

    if keep_components:
        for index in range(n_paths):
            flush(index)
    monthly_cost = monthly_by_path.transpose(1, 0, 2)
    gpus = gpus_by_path.transpose(1, 0, 2)
    unserved = unserved_by_path.transpose(1, 0, 2)
    discount = np.broadcast_to((1.0 + _col(params, "discount_rate")) ** (-years), (size, horizon))
    tokens = np.broadcast_to(tokens, (size, horizon))
    total_cost = monthly_cost.sum(axis=-1)
    npv = _discounted_sum(monthly_cost, discount)
    served_total = tokens.sum(axis=-1)[:, None] - unserved.sum(axis=-1)
    served_npv = np.einsum("bm,bm->b", tokens, discount)[:, None] - _discounted_sum(unserved, discount)
    with np.errstate(divide="ignore", invalid="ignore"):
        cpm = np.where(served_total > 0, total_cost / served_total * 1e6, np.nan)
        lcpm = np.where(served_npv > 0, npv / served_npv * 1e6, np.nan)

    static_ok = np.array([pp.infeasible_reason is None for pp in plan.paths])
    max_lead = sc.constraints.max_lead_time_months
    exceeded = (live_month > params["constraints.max_lead_time_months"][:, None]) if max_lead is not None else np.zeros_like(live_month, dtype=bool)
    feasible = static_ok[None, :] & ~exceeded

    return Result(
        plan=plan,
        params=_full(params, size),
        tokens=np.ascontiguousarray(tokens),
        components=Components(parts, shape, single_months, kept=keep_components),
        monthly_cost=monthly_cost,
        gpus=gpus,
        unserved_tokens=unserved,
        live_month=live_month,
        compute_months=compute_months,
        feasible=feasible,
        lead_time_exceeded=exceeded,
        total_cost=total_cost,
        npv=npv,
        capex=capex,
        residual_credit=residual,
        opex=total_cost - capex - residual,
        cost_per_million_tokens=cpm,
        levelised_cost_per_million_tokens=lcpm,
        discount=discount,
        training_gpu_hours=run_gpu_hours,
        warnings=warnings,
        fleet=_fleet_arrays(fleet_parts, plan, shape) if keep_components else None,
    )


FLEET_KEYS = ("reserved_gpus", "on_demand_gpu_hours", "owned_gpus")
"""`paths[].fleet` keys: GPUs reserved, GPU-hours paid on demand, GPUs owned, per month."""


def _fleet_arrays(parts: dict[str, dict[int, np.ndarray]], plan: Plan, shape: tuple[int, int, int]) -> dict[str, np.ndarray]:
    """The fleet split as [batch, path, month] arrays (zeros for paths without that kind of GPU)."""
    out = {}
    for name in FLEET_KEYS:
        array = np.zeros(shape)
        for index, values in parts[name].items():
            array[:, index] = values
        out[name] = array
    return out


def _autoscaled(params: Params, key, tokens: np.ndarray, months: np.ndarray, day) -> tuple[np.ndarray, np.ndarray]:
    """GPUs at each level of the day under autoscaling, [batch, month, level], and the levels' hours."""
    levels, weights = day
    per_replica = np.maximum(np.round(_col(params, key("serving.gpus_per_replica"))), 1.0)
    capacity = (_col(params, key("serving.tokens_per_second_per_gpu")) * _col(params, key("serving.target_utilization"))
                * per_replica * fleet.throughput_factor(params, key, months))
    by_level = fleet.autoscaled_fleet(
        tokens / SECONDS_PER_MONTH, levels, capacity, np.round(_col(params, key("serving.min_replicas"))),
        np.ceil(_col(params, key("serving.redundancy"))), per_replica,
    )
    return by_level, weights


def _reserved(params: Params, key, by_level, weights, live, months, horizon: int, pp, warnings: list[str]):
    """Reserved serving: R GPUs paid every hour of each term from go-live; on-demand GPU-hours above R.

    Returns the reserved cost and the on-demand GPU-hours, [batch, month] each.
    """
    reserved = _col(params, key("serving.reserved.gpus"))
    price = fleet.reserved_price(
        params[key("serving.reserved.gpu_hour_price")], params[key("serving.gpu_hour_price_change_per_year")],
        live, params[key("serving.reserved.term_months")], months,
    )
    is_live = months[None, :] >= live[:, None]
    cost = reserved * MONTH_HOURS * price * is_live
    term = float(params[key("serving.reserved.term_months")][0])
    if reserved[0, 0] > 0 and fleet.last_term_past_horizon(float(live[0]), term, horizon):
        warnings.append(
            f"{pp.name}: the last {term:g}-month reservation term runs past the {horizon}-month horizon; "
            "months after the horizon are not counted"
        )
    return cost, fleet.on_demand_hours(by_level, weights, reserved)


def _discounted_sum(values: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """Σ_m values[b, p, m]·discount[b, m], without a [batch, path, month] temporary."""
    if discount.strides[0] == 0:
        return np.einsum("bpm,m->bp", values, discount[0])
    return np.einsum("bpm,bm->bp", values, discount)


def _serving_gpus(params: Params, key, peak_tokens_per_second: np.ndarray, speedup=1.0) -> np.ndarray:
    """gpus[m] = whole replicas for ceil(peak / (tps_per_gpu · utilisation)) GPUs, ≥ 1, plus redundancy.

    ceil(ceil(x) / r) = ceil(x / r) for a whole replica size r, so the two roundings are one.
    """
    per_replica = np.maximum(np.round(_col(params, key("serving.gpus_per_replica"))), 1.0)
    per_replica_throughput = (
        _col(params, key("serving.tokens_per_second_per_gpu")) * _col(params, key("serving.target_utilization")) * per_replica
    )
    if not isinstance(speedup, float):
        per_replica_throughput = per_replica_throughput * speedup
    replicas = np.ceil(peak_tokens_per_second / per_replica_throughput - 1e-9)
    np.maximum(replicas, 1.0, out=replicas)
    replicas += np.ceil(_col(params, key("serving.redundancy")))
    replicas *= per_replica
    return replicas
