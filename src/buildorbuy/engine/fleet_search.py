"""`serving.reserved.gpus: auto`: the reservation that minimises NPV, found by one batched engine call.

Candidates are whole replicas, R = k · gpus_per_replica for k = 0 … K, K the most replicas any
month of the horizon needs at peak (the fixed-fleet sizing, which bounds autoscaling too). Every
path with `auto` is searched in the same call: batch element k holds each path's k-th candidate
(paths with fewer candidates repeat their last). The chosen count is fixed in the plan, so sweeps,
tornado, Monte Carlo and what-if keep it; the estimates show it with the NPV curve (DESIGN §2b).
"""

from __future__ import annotations

import math

import numpy as np

from buildorbuy.scenario.models import MONTH_HOURS

CURVE_POINTS = 21
"""At most this many (value, npv) points are shown, centred on the chosen count."""


def _max_replicas(plan, params, i: int) -> int:
    """The most replicas (redundancy included) the fixed sizing needs in any month of the horizon."""
    sc = plan.scenario
    horizon = plan.horizon
    col = lambda name: float(params[name][0])  # noqa: E731
    key = f"paths[{i}]."
    if sc.workload.schedule is not None:
        tokens = np.array([col(f"workload.schedule[{m}]") for m in range(horizon)])
    else:
        tokens = col("workload.tokens_per_month") * (1.0 + col("workload.growth_per_month")) ** np.arange(horizon)
    per_replica = max(round(col(key + "serving.gpus_per_replica")), 1)
    capacity = col(key + "serving.tokens_per_second_per_gpu") * col(key + "serving.target_utilization") * per_replica
    peak = tokens.max() / (MONTH_HOURS * 3600.0) * col("workload.peak_to_average")
    return max(1, math.ceil(peak / capacity - 1e-9)) + math.ceil(col(key + "serving.redundancy"))


def choose_reserved_gpus(plan) -> None:
    """Fix every `reserved.gpus: auto` at the NPV-minimising whole-replica count; record the curve."""
    from buildorbuy.engine.core import evaluate, resolve_params

    searched = []
    for pp in plan.paths:
        path = plan.scenario.paths[pp.index]
        reserved = getattr(getattr(path, "serving", None), "reserved", None)
        if reserved is not None and reserved.gpus == "auto":
            searched.append(pp.index)
    if not searched:
        return
    params, _ = resolve_params(plan)
    candidates = {}
    for i in searched:
        per_replica = max(round(float(params[f"paths[{i}].serving.gpus_per_replica"][0])), 1)
        candidates[i] = per_replica * np.arange(_max_replicas(plan, params, i) + 1, dtype=float)
    size = max(len(c) for c in candidates.values())
    batch = {f"paths[{i}].serving.reserved.gpus": np.concatenate([c, np.full(size - len(c), c[-1])])
             for i, c in candidates.items()}
    result = evaluate(plan, batch, keep_components=False)
    for i, values in candidates.items():
        npv = result.npv[: len(values), i]
        best = int(np.argmin(npv))  # ties: the smallest reservation
        lo = max(0, min(best - CURVE_POINTS // 2, len(values) - CURVE_POINTS))
        curve = [{"value": float(values[k]), "npv": float(npv[k])} for k in range(lo, min(len(values), lo + CURVE_POINTS))]
        key = f"paths[{i}].serving.reserved.gpus"
        plan.base[key] = float(values[best])
        plan.fixed[key] = (
            f"the NPV-minimising reservation among {len(values)} whole-replica counts 0–{values[-1]:g} "
            f"(one batched evaluation); {values[best]:g} GPUs"
        )
        plan.curves[key] = curve
