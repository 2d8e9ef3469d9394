"""The cost engine: one vectorised evaluation of a Plan over a batch of parameter sets.

Arrays are shaped [batch, path, month]. compare is a batch of one; sweeps, tornado, break-even
and Monte Carlo are bigger batches of this same call. The equations are DESIGN §2–3; each
component below cites the line of the model it implements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

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
    "api_fixed_fees",
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
    "residual_credit": "residual value credit",
    "training_compute": "training compute",
    "finetune_compute": "fine-tune compute",
    "data": "data",
    "staff": "staff",
    "api_fixed_fees": "API fixed and setup fees",
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


def _full(params: Params, size: int) -> Params:
    """Parameters broadcast to the batch size (read-only views; no copies)."""
    return {key: np.broadcast_to(value, (size,)) for key, value in params.items()}


def _col(params: Params, key: str) -> np.ndarray:
    """A parameter as a column ([1, 1] or [batch, 1]) to broadcast over months."""
    return params[key][:, None]


TOKEN_TYPES = ("input", "cached_input", "cache_write", "output")


def _api_fees(params: Params, prefix: str, change_key: str, years: np.ndarray, I, C, O,
              path_prefix: str | None = None, offsets: dict[str, dict[str, float]] | None = None,
              steps: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """An api path's per-token fees, [batch or 1, month] (DESIGN §2 and §2b).

    List fees, per 1k tokens with p[m] = p0·(1+Δ)^(m/12):
        (I − C − W)·p_in + C·p_cached + W·p_write + O·p_out,   W = I · workload.cache_write_share
    each token type t then times (1 − discount)·[(1 − b − o) + b·(1 − bd_t) + o·(1 − od_t)], with
    b = batch_share, o = off_peak_share and bd_t, od_t the batch and off-peak discounts (one number
    for every type, or per type from the price data when `auto`: `offsets` holds each type's
    difference from the input type's discount). Without any of these (a scenario from before they
    existed) the arithmetic is exactly the section-2 formula. `steps` (catalog prices with dated
    changes inside the horizon) multiply a token type's price month by month. `prefix` names the prices (the path, or
    its managed fine-tune); `path_prefix` the path whose modifiers apply (default: prefix).
    """
    path_prefix = prefix if path_prefix is None else path_prefix
    factor = (1.0 + _col(params, change_key)) ** years
    W = _cache_writes(params, I)
    modifiers = [path_prefix + name for name in ("discount", "batch_share", "off_peak_share") if path_prefix + name in params]
    if W is None and not steps and not any(np.any(params[key] != 0) for key in modifiers):
        return factor * (
            (I - C) / 1000.0 * _col(params, prefix + "price_per_1k_input")
            + C / 1000.0 * _col(params, prefix + "price_per_1k_cached_input")
            + O / 1000.0 * _col(params, prefix + "price_per_1k_output")
        )
    W = 0.0 if W is None else W
    p_in = _col(params, prefix + "price_per_1k_input")
    write_key = prefix + "price_per_1k_cache_write"
    quantities = {"input": I - C - W, "cached_input": C, "cache_write": W, "output": O}
    prices = {"input": p_in, "cached_input": _col(params, prefix + "price_per_1k_cached_input"),
              "cache_write": _col(params, write_key) if write_key in params else p_in,
              "output": _col(params, prefix + "price_per_1k_output")}
    for t, step in (steps or {}).items():
        prices[t] = prices[t] * step[None, :]
    b = _col(params, path_prefix + "batch_share")
    o = _col(params, path_prefix + "off_peak_share")
    offsets = offsets or {}

    def kind_discount(kind: str, token_type: str):
        key = f"{path_prefix}{kind}_discount"
        if key not in params:  # auto with share 0: no discount is read
            return 0.0
        return _col(params, key) + offsets.get(kind, {}).get(token_type, 0.0)

    total = 0.0
    for t in TOKEN_TYPES:
        mix = (1.0 - b - o) + b * (1.0 - kind_discount("batch", t)) + o * (1.0 - kind_discount("off_peak", t))
        total = total + quantities[t] / 1000.0 * prices[t] * mix
    return factor * (1.0 - _col(params, path_prefix + "discount")) * total


def _cache_writes(params: Params, I) -> np.ndarray | None:
    """W = I · cache_write_share, or None when no batch element writes to a cache."""
    share = params.get("workload.cache_write_share")
    if share is None or not np.any(share != 0):
        return None
    return I * share[:, None]


def _api_fixed_fees(params: Params, path_prefix: str, months: np.ndarray, weight: np.ndarray) -> np.ndarray | None:
    """An api path's fixed fees where it carries traffic, [batch or 1, month] (DESIGN §2b).

    `fixed_fee_per_month` × weight[m] in every month (weight = 1 where the path surely carries
    traffic, the probability where it carries it only in some outcomes, 0 where it carries none), and
    `setup_fee` × weight in the first month with weight > 0. The same rule charges a bridge's fees to
    the paths it carries (weight = their fallback weight) and an api path's own (its service weight).
    None when both fees are 0.
    """
    fee_key, setup_key = path_prefix + "fixed_fee_per_month", path_prefix + "setup_fee"
    fee = params.get(fee_key)
    setup = params.get(setup_key)
    if (fee is None or not np.any(fee != 0)) and (setup is None or not np.any(setup != 0)):
        return None
    weight = np.asarray(weight, dtype=float)
    out = 0.0
    if fee is not None:
        out = fee[:, None] * weight
    if setup is not None:
        serving = weight > 0
        first = np.argmax(serving, axis=-1)
        at_first = (months[None, :] == first[:, None]) & serving.any(axis=-1)[:, None]
        out = out + setup[:, None] * weight * at_first
    return out


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

    def base_fees(index: int) -> np.ndarray:
        """An api path's per-token fees at full traffic (computed once: the bridge serves several paths)."""
        if index not in fees_cache:
            fees_cache[index] = _api_fees(params, f"paths[{index}].", f"paths[{index}].price_change_per_year", years, inputs, cached, output,
                                          offsets=plan.paths[index].discount_offsets, steps=plan.paths[index].price_steps)
        return fees_cache[index]

    def bridge_or_unserved(pp, fallback_weight: np.ndarray) -> None:
        """Traffic before go-live (or after a failure): the bridge's per-token fees and its fixed
        fees in the months it carries this path's tokens (`bridge_fees`), else unserved."""
        if pp.bridge is None:
            unserved_by_path[pp.index] = tokens * fallback_weight
            return
        add("bridge_fees", pp.index, base_fees(pp.bridge) * fallback_weight)
        fixed = _api_fixed_fees(params, f"paths[{pp.bridge}].", months, fallback_weight)
        if fixed is not None:
            add("bridge_fees", pp.index, fixed)

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

            serving_gpus = _serving_gpus(params, key, peak_tokens_per_second)
            is_live = months[None, :] >= live[:, None]
            np.multiply(serving_gpus, is_live, out=gpus_by_path[i])
            if pp.ownership == "rent":
                rent = _col(params, key("serving.gpu_hour_price")) * (1.0 + _col(params, key("serving.gpu_hour_price_change_per_year"))) ** years
                add("serving_rent", i, gpus_by_path[i] * on_success(MONTH_HOURS * rent))
            else:
                purchase, running, credit = _owned_fleet(params, key, gpus_by_path[i], horizon)
                add("hardware_purchase", i, on_success(purchase))
                add("power_and_hosting", i, on_success(running))
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
            tuned = _api_fees(params, mf, key("price_change_per_year"), years, inputs, cached, output,
                              path_prefix=key(""), offsets=pp.discount_offsets)
            add("api_fees", i, base_fees(i) * fallback_weight + tuned * success_weight)
            fee = params[mf + "training_tokens"] * params[mf + "epochs"] / 1e6 * params[mf + "price_per_1m_training_tokens"]
            at_live = months[None, :] == live[:, None]
            refreshes = _events(months, live, params.get(mf + "refresh_months"))
            events = at_live if refreshes is None else at_live + refreshes * p_success
            add("managed_finetune", i, fee[:, None] * events + _col(params, mf + "hosting_fee_per_hour") * MONTH_HOURS * success_weight)
        elif isinstance(path, ApiPath):
            add("api_fees", i, base_fees(i) * success_weight)
            bridge_or_unserved(pp, fallback_weight)
        else:
            bridge_or_unserved(pp, fallback_weight)
        if isinstance(path, ApiPath):
            own_weight = np.ones((1, horizon)) if pp.has_managed_finetune else success_weight
            fixed = _api_fixed_fees(params, key(""), months, own_weight)
            if fixed is not None:
                add("api_fixed_fees", i, fixed)

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
    )


def _discounted_sum(values: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """Σ_m values[b, p, m]·discount[b, m], without a [batch, path, month] temporary."""
    if discount.strides[0] == 0:
        return np.einsum("bpm,m->bp", values, discount[0])
    return np.einsum("bpm,bm->bp", values, discount)


def _serving_gpus(params: Params, key, peak_tokens_per_second: np.ndarray) -> np.ndarray:
    """gpus[m] = whole replicas for ceil(peak / (tps_per_gpu · utilisation)) GPUs, ≥ 1, plus redundancy.

    ceil(ceil(x) / r) = ceil(x / r) for a whole replica size r, so the two roundings are one.
    """
    per_replica = np.maximum(np.round(_col(params, key("serving.gpus_per_replica"))), 1.0)
    per_replica_throughput = (
        _col(params, key("serving.tokens_per_second_per_gpu")) * _col(params, key("serving.target_utilization")) * per_replica
    )
    replicas = np.ceil(peak_tokens_per_second / per_replica_throughput - 1e-9)
    np.maximum(replicas, 1.0, out=replicas)
    replicas += np.ceil(_col(params, key("serving.redundancy")))
    replicas *= per_replica
    return replicas


def _owned_fleet(params: Params, key, gpus_in_use: np.ndarray, horizon: int):
    """Owned GPUs: bought when the fleet grows, never sold; power and hosting monthly; residual credited.

    Returns purchases and running costs, [batch, month] each, and the residual credit for the last
    month, [batch] (negative). A GPU bought in month
    k is (horizon - k)/12 years old at the end; straight-line depreciation over depreciation_years.
    """
    fleet = np.maximum.accumulate(gpus_in_use, axis=-1)
    bought = np.diff(fleet, axis=-1, prepend=0.0)
    unit_price = _col(params, key("serving.purchase_price")) * (1.0 + _col(params, key("serving.server_overhead")))
    purchases = bought * unit_price
    kw = _col(params, key("serving.tdp_watts")) / 1000.0 if key("serving.tdp_watts") in params else 0.0
    pue = _col(params, key("serving.pue")) if key("serving.pue") in params else 1.0
    running = fleet * (
        _col(params, key("serving.hosting_per_gpu_month"))
        + kw * pue * MONTH_HOURS * _col(params, key("serving.power_price_per_kwh"))
    )
    age_years = (horizon - np.arange(horizon, dtype=float))[None, :] / 12.0
    remaining = np.clip(1.0 - age_years / _col(params, key("serving.depreciation_years")), 0.0, 1.0)
    return purchases, running, -np.einsum("bm,bm->b", purchases, np.broadcast_to(remaining, purchases.shape))
