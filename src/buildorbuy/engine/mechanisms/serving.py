"""Serving fleet: GPUs sized for the peak, and the rent of a rented fleet (DESIGN §2, serving)."""

from __future__ import annotations

import math

import numpy as np

from buildorbuy.engine.context import SECONDS_PER_MONTH, Context, Costs, Factored, PathContext, compound, product
from buildorbuy.engine.mechanisms.fleet import throughput_factor
from buildorbuy.scenario.models import MONTH_HOURS
from buildorbuy.scenario.types import MAX_COUNT


def serving_gpus(ctx: Context, path: PathContext, out: np.ndarray | None, load: np.ndarray | None = None,
                 cap: np.ndarray | None = None) -> np.ndarray:
    """gpus[m] = whole replicas for ceil(peak / (tps_per_gpu[m] · utilisation)) GPUs, ≥ 1, plus redundancy,
    from go-live on: written into `out` ([batch, month], zeros: months before go-live stay 0; None: a new
    array) and returned.
    tps_per_gpu[m] = tokens_per_second_per_gpu · (1 + throughput_change_per_year)^(m/12).
    A routed path is sized on its own model's load (`load` = T·s tokens a month, DESIGN §2b) and
    its replicas before redundancy are at most `cap` (the max_gpus cap's replicas, a column).

    ceil(ceil(x) / r) = ceil(x / r) for a whole replica size r, so the two roundings are one.
    """
    col = lambda name: ctx.col(path.key("serving." + name))  # noqa: E731
    per_replica = np.maximum(np.round(col("gpus_per_replica")), 1.0)
    per_replica_throughput = col("tokens_per_second_per_gpu") * col("target_utilization") * per_replica
    speedup = throughput_factor(ctx, path)
    if not isinstance(speedup, float):
        per_replica_throughput = per_replica_throughput * speedup
    peak = ctx.peak_tokens_per_second if load is None else load * (ctx.col("workload.peak_to_average") / SECONDS_PER_MONTH)
    replicas = np.divide(peak, per_replica_throughput)
    replicas -= 1e-9
    np.ceil(replicas, out=replicas)
    np.maximum(replicas, 1.0, out=replicas)
    if cap is not None:
        replicas = np.minimum(replicas, cap)
    redundancy = np.ceil(col("redundancy"))
    if replicas.shape == np.broadcast_shapes(replicas.shape, redundancy.shape):
        replicas += redundancy  # replicas is this function's own temporary
    else:  # a month row [1, month] and a batched redundancy [batch, 1]
        replicas = replicas + redundancy
    if out is None:  # an array of its own: the same numbers as the masked writes into zeros below
        if replicas.shape == np.broadcast_shapes(replicas.shape, per_replica.shape):
            replicas *= per_replica
        else:
            replicas = replicas * per_replica
        gpus = np.where(path.is_live, replicas, 0.0)
    elif replicas.shape == out.shape:  # a masked copy is cheaper than a masked multiply
        replicas *= per_replica
        np.copyto(out, replicas, where=path.is_live)
        gpus = out
    else:
        gpus = np.multiply(replicas, per_replica, out=out, where=path.is_live)
    check_fleet(gpus, ctx, path)
    return gpus


def rented_serving(ctx: Context, path: PathContext, gpus: np.ndarray) -> Costs:
    """serving_rent[m] = gpus[m] · 730 · gpu_hour_price · (1 + gpu_hour_price_change_per_year)^(m/12), weighted by p."""
    col = lambda name: ctx.col(path.key("serving." + name))  # noqa: E731
    hourly, change = MONTH_HOURS * col("gpu_hour_price"), compound(col("gpu_hour_price_change_per_year"), ctx.years)

    def full() -> np.ndarray:
        rent = product(hourly, change)
        if rent.shape == np.broadcast_shapes(rent.shape, gpus.shape):
            rent *= gpus  # rent is a temporary of its own here: gpus·rent without a second array
            return path.on_success(rent, in_place=True)
        return path.on_success(gpus * rent, in_place=True)

    if change.shape[0] == 1 and gpus.shape[0] > 1:  # gpus[b, m] · change[m] · (hourly·p)[b]
        return {"serving_rent": Factored(full, gpus, change, hourly if path.certain else hourly * path.p_success)}
    return {"serving_rent": full()}


def check_fleet(gpus: np.ndarray, ctx: Context, path: PathContext) -> None:
    """A derived fleet is bounded like an input GPU count (MAX_COUNT): beyond it the throughput
    or traffic figures are typing mistakes, and the costs would run to 1e290 or overflow."""
    if gpus.size == 0 or float(np.max(gpus)) <= MAX_COUNT:  # NaN and inf fail the test: they are looked at below
        return
    with np.errstate(invalid="ignore"):
        largest = float(np.max(gpus, initial=0.0, where=np.isfinite(gpus))) if gpus.size else 0.0
        finite = bool(np.isfinite(gpus).all())
    if largest <= MAX_COUNT and finite:
        return
    raise fleet_too_large(largest if finite else float("inf"), path.key("serving."),
                          lambda name: ctx.params.get(path.key("serving." + name)))


def fleet_too_large(gpus: float, prefix: str, column) -> Exception:
    """The error for a serving fleet above MAX_COUNT GPUs, naming the field that makes it so:
    redundancy or min_replicas when they alone exceed the bound, else target_utilization when it is
    below 1 %, tokens_per_second_per_gpu when a GPU serves under a token a second, else the workload.
    `prefix`: "paths[i].serving."; `column(name)`: that field's values (array or None)."""
    from buildorbuy.errors import ScenarioError

    def low(name: str, default: float) -> float:
        v = column(name)
        return default if v is None else float(np.min(v))

    def high(name: str, default: float) -> float:
        v = column(name)
        return default if v is None else float(np.max(v))

    per_replica = max(round(high("gpus_per_replica", 1.0)), 1)
    redundancy = math.ceil(high("redundancy", 0.0))
    floor = max(round(high("min_replicas", 1.0)), 1)
    util, tps = low("target_utilization", 1.0), low("tokens_per_second_per_gpu", 1.0)
    shown = f"{gpus:.3g}" if math.isfinite(gpus) else "infinitely many"
    if (1 + redundancy) * per_replica > MAX_COUNT:
        reason, field = f"redundancy adds {redundancy * per_replica:,.0f} GPUs by itself", prefix + "redundancy"
    elif column("min_replicas") is not None and (floor + redundancy) * per_replica > MAX_COUNT:
        reason, field = f"min_replicas keeps {floor * per_replica:,.0f} GPUs by itself", prefix + "min_replicas"
    elif tps * util >= 1.0:  # a GPU serves at least a token a second: the traffic is absurd
        reason, field = "the workload's peak traffic exceeds any real volume", "workload"
    elif util < 0.01:
        reason, field = "target_utilization is far too small for the workload's peak traffic", prefix + "target_utilization"
    else:
        reason = "tokens_per_second_per_gpu is far too small for the workload's peak traffic"
        field = prefix + "tokens_per_second_per_gpu"
    return ScenarioError(f"the serving fleet would need {shown} GPUs, more than {MAX_COUNT:,.0f}: {reason}", field=field)
