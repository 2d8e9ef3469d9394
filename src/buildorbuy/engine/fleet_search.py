"""`serving.reserved.gpus: auto` and `serving.max_gpus: auto`: the reservation and the capacity cap that
minimise NPV, found together by one batched engine call.

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


def _auto_fields(plan, i: int) -> list[str]:
    """The fleet fields of path i written `auto` that the search fixes: reserved.gpus, max_gpus."""
    serving = getattr(plan.scenario.paths[i], "serving", None)
    if serving is None:
        return []
    fields = []
    if serving.reserved is not None and serving.reserved.gpus == "auto":
        fields.append("reserved.gpus")
    if serving.max_gpus == "auto":
        fields.append("max_gpus")
    return fields


def _candidates(plan, params, i: int, fields: list[str]) -> dict[str, np.ndarray]:
    """Whole-replica candidates of path i's `auto` fields, as aligned columns (their grid when both).

    reserved.gpus: 0 … K replicas; max_gpus: 1 + redundancy … K replicas (K: the most any month needs
    uncapped, redundancy included); together, every pair with reserved ≤ max_gpus.
    """
    key = f"paths[{i}].serving."
    per_replica = max(round(float(params[key + "gpus_per_replica"][0])), 1)
    most = _max_replicas(plan, params, i)
    least_cap = 1 + math.ceil(float(params[key + "redundancy"][0]))
    caps = per_replica * np.arange(least_cap, max(most, least_cap) + 1, dtype=float)
    reserved = per_replica * np.arange(most + 1, dtype=float)
    if fields == ["reserved.gpus"]:
        return {"reserved.gpus": reserved}
    if fields == ["max_gpus"]:
        return {"max_gpus": caps}
    grid_r, grid_c = np.meshgrid(reserved, caps, indexing="ij")
    keep = grid_r <= grid_c
    return {"reserved.gpus": grid_r[keep], "max_gpus": grid_c[keep]}


def _curve(values: np.ndarray, npv: np.ndarray, best: int, along: np.ndarray | None = None) -> list[dict[str, float]]:
    """Up to CURVE_POINTS (value, npv) points centred on the best; `along` selects the candidates
    sharing the best's other field (a slice of a joint grid)."""
    index = np.arange(len(values)) if along is None else np.flatnonzero(along)
    at = int(np.searchsorted(index, best))
    lo = max(0, min(at - CURVE_POINTS // 2, len(index) - CURVE_POINTS))
    return [{"value": float(values[k]), "npv": float(npv[k])} for k in index[lo: lo + CURVE_POINTS]]


def choose_fleet_autos(plan, params=None) -> None:
    """Fix every `reserved.gpus: auto` and `max_gpus: auto` at the NPV-minimising whole-replica value
    (jointly when a path has both), all paths in one batched evaluation; record the curves.
    `params`: the plan's resolved parameters, when the caller has them."""
    from buildorbuy.engine.core import evaluate, resolve_params

    searched = {pp.index: _auto_fields(plan, pp.index) for pp in plan.paths}
    searched = {i: fields for i, fields in searched.items() if fields}
    if not searched:
        return
    if params is None:
        params, _ = resolve_params(plan)
    candidates = {i: _candidates(plan, params, i, fields) for i, fields in searched.items()}
    lengths = {i: len(next(iter(c.values()))) for i, c in candidates.items()}
    size = max(lengths.values())
    batch = {f"paths[{i}].serving.{name}": np.concatenate([v, np.full(size - len(v), v[-1])])
             for i, c in candidates.items() for name, v in c.items()}
    result = evaluate(plan, batch, keep_components=False)
    for i, columns in candidates.items():
        npv = result.npv[: lengths[i], i]
        best = int(np.argmin(npv))  # ties: the smallest value (the first candidate)
        for name, values in columns.items():
            others = [v for other, v in columns.items() if other != name]
            along = None if not others else others[0] == others[0][best]
            key = f"paths[{i}].serving.{name}"
            plan.base[key] = float(values[best])
            plan.fixed[key] = _method(name, values, best, len(columns) > 1)
            plan.curves[key] = _curve(values, npv, best, along)


def _method(name: str, values: np.ndarray, best: int, joint: bool) -> str:
    distinct = np.unique(values)
    what = "reservation" if name == "reserved.gpus" else "capacity cap"
    return (f"the NPV-minimising {what} among {len(distinct)} whole-replica counts {distinct[0]:g}–{distinct[-1]:g} "
            f"({'searched together with the other auto fleet field, ' if joint else ''}one batched evaluation); "
            f"{values[best]:g} GPUs")


choose_reserved_gpus = choose_fleet_autos
"""The earlier name (reserved GPUs only)."""
