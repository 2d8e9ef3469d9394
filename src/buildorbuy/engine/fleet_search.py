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
from buildorbuy.phrases import Message

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
    change = params.get(key + "serving.throughput_change_per_year")
    if change is not None:  # a throughput that falls over the horizon needs more replicas later
        capacity = capacity * (1.0 + float(change[0])) ** (np.arange(horizon) / 12.0)
    peak = float(np.max(tokens / (MONTH_HOURS * 3600.0) * col("workload.peak_to_average") / capacity))
    floor = 1
    if key + "serving.min_replicas" in params:  # autoscale: the floor can exceed the peak need
        floor = max(floor, round(col(key + "serving.min_replicas")))
    return max(floor, math.ceil(peak - 1e-9)) + math.ceil(col(key + "serving.redundancy"))


def _bounded_max_replicas(plan, params, i: int, per_replica: int) -> int:
    """_max_replicas, refused (ScenarioError naming the field) when its GPUs exceed MAX_COUNT."""
    from buildorbuy.engine.mechanisms.serving import fleet_too_large
    from buildorbuy.scenario.types import MAX_COUNT

    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        try:
            most = _max_replicas(plan, params, i)
        except (OverflowError, ValueError):  # ceil of inf or NaN
            most = math.inf
    if most * per_replica > MAX_COUNT:
        raise fleet_too_large(float(most * per_replica), f"paths[{i}].serving.",
                              lambda name: params.get(f"paths[{i}].serving.{name}"))
    return most


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


SEARCH_ELEMENTS = 20_000_000
"""Budget of batch × paths × months per engine call of the search (about 160 MB per float array)."""
MAX_CANDIDATES = 4096
"""At most this many candidates (pairs, for a joint search) per engine call."""


def _candidate_limit(plan) -> int:
    """Candidates per engine call: MAX_CANDIDATES, less for scenarios with many paths or months."""
    per_candidate = max(1, len(plan.paths) * plan.horizon)
    return int(min(MAX_CANDIDATES, max(64, SEARCH_ELEMENTS // per_candidate)))


def _replica_ranges(params, i: int, fields: list[str], most: int) -> dict[str, tuple[int, int]]:
    """Whole-replica bounds of each field: reserved.gpus 0 … K; max_gpus 1 + redundancy … K
    (K: the most replicas any month needs uncapped, redundancy included)."""
    least_cap = 1 + math.ceil(float(params[f"paths[{i}].serving.redundancy"][0]))
    bounds = {"reserved.gpus": (0, most), "max_gpus": (least_cap, max(most, least_cap))}
    return {name: bounds[name] for name in fields}


def _grid(lo: int, hi: int, limit: int) -> np.ndarray:
    """Every whole count lo … hi, or `limit` of them evenly spread (ends included) when there are more."""
    if hi - lo + 1 <= limit:
        return np.arange(lo, hi + 1, dtype=float)
    return np.unique(np.round(np.linspace(lo, hi, limit)))


def _candidates(ranges: dict[str, tuple[int, int]], per_replica: int, limit: int) -> tuple[dict[str, np.ndarray], dict]:
    """Candidates of one path's `auto` fields in GPUs, as aligned columns (their grid when both, with
    reserved ≤ max_gpus), and the replica grid of each field (to refine around the best)."""
    if len(ranges) == 1:
        (name, (lo, hi)), = ranges.items()
        grid = _grid(lo, hi, limit)
        return {name: per_replica * grid}, {name: grid}
    per_field = max(2, math.isqrt(2 * limit))
    grids = {name: _grid(lo, hi, per_field) for name, (lo, hi) in ranges.items()}
    grid_r, grid_c = np.meshgrid(grids["reserved.gpus"], grids["max_gpus"], indexing="ij")
    keep = grid_r <= grid_c
    return {"reserved.gpus": per_replica * grid_r[keep], "max_gpus": per_replica * grid_c[keep]}, grids


def _narrowed(grids: dict[str, np.ndarray], best: dict[str, float]) -> dict[str, tuple[int, int]] | None:
    """The replica ranges between the best's neighbours on a coarse grid; None when the grid was whole."""
    if all(len(g) < 2 or np.all(np.diff(g) == 1) for g in grids.values()):
        return None
    ranges = {}
    for name, grid in grids.items():
        at = int(np.searchsorted(grid, best[name]))
        ranges[name] = (int(grid[max(at - 1, 0)]), int(grid[min(at + 1, len(grid) - 1)]))
    return ranges


def _curve(values: np.ndarray, npv: np.ndarray, best: int, along: np.ndarray | None = None) -> list[dict[str, float]]:
    """Up to CURVE_POINTS (value, npv) points centred on the best; `along` selects the candidates
    sharing the best's other field (a slice of a joint grid)."""
    index = np.arange(len(values)) if along is None else np.flatnonzero(along)
    at = int(np.searchsorted(index, best))
    lo = max(0, min(at - CURVE_POINTS // 2, len(index) - CURVE_POINTS))
    return [{"value": float(values[k]), "npv": float(npv[k])} for k in index[lo: lo + CURVE_POINTS]]


def _evaluate_candidates(plan, candidates: dict[int, dict[str, np.ndarray]]) -> dict[int, np.ndarray]:
    """NPV of every candidate of every searched path, from one batched engine call."""
    from buildorbuy.engine.core import evaluate

    lengths = {i: len(next(iter(c.values()))) for i, c in candidates.items()}
    size = max(lengths.values())
    batch = {f"paths[{i}].serving.{name}": np.concatenate([v, np.full(size - len(v), v[-1])])
             for i, c in candidates.items() for name, v in c.items()}
    result = evaluate(plan, batch, keep_components=False)
    return {i: result.npv[: lengths[i], i] for i in candidates}


def choose_fleet_autos(plan, params=None) -> None:
    """Fix every `reserved.gpus: auto` and `max_gpus: auto` at the NPV-minimising whole-replica value
    (jointly when a path has both), all paths in one batched evaluation; record the curves.

    When a path has more whole-replica candidates than one call may hold (_candidate_limit), the
    first call spreads them evenly over the range and each further call searches every whole count
    between the best's neighbours, until the step is one replica. `params`: the plan's resolved
    parameters, when the caller has them."""
    from buildorbuy.engine.core import resolve_params

    searched = {pp.index: _auto_fields(plan, pp.index) for pp in plan.paths}
    searched = {i: fields for i, fields in searched.items() if fields}
    if not searched:
        return
    if params is None:
        params, _ = resolve_params(plan)
    limit = _candidate_limit(plan)
    per_replica = {i: max(round(float(params[f"paths[{i}].serving.gpus_per_replica"][0])), 1) for i in searched}
    ranges = {i: _replica_ranges(params, i, fields, _bounded_max_replicas(plan, params, i, per_replica[i]))
              for i, fields in searched.items()}
    coarse = {i: False for i in searched}
    final: dict[int, tuple[dict[str, np.ndarray], np.ndarray]] = {}
    calls = 0
    while ranges:
        built = {i: _candidates(r, per_replica[i], limit) for i, r in ranges.items()}
        npvs = _evaluate_candidates(plan, {i: columns for i, (columns, _) in built.items()})
        calls += 1
        for i, (columns, grids) in built.items():
            best = int(np.argmin(npvs[i]))  # ties: the smallest value (the first candidate)
            final[i] = (columns, npvs[i])
            narrowed = _narrowed(grids, {name: columns[name][best] / per_replica[i] for name in columns})
            if narrowed is None or narrowed == ranges[i]:
                del ranges[i]
            else:
                coarse[i] = True
                ranges[i] = narrowed
    for i, (columns, npv) in final.items():
        best = int(np.argmin(npv))
        for name, values in columns.items():
            others = [v for other, v in columns.items() if other != name]
            along = None if not others else others[0] == others[0][best]
            key = f"paths[{i}].serving.{name}"
            plan.base[key] = float(values[best])
            plan.fixed[key] = _method(name, values, best, len(columns) > 1, coarse[i], calls)
            plan.curves[key] = _curve(values, npv, best, along)


def _method(name: str, values: np.ndarray, best: int, joint: bool, coarse: bool, calls: int) -> str:
    distinct = np.unique(values)
    what = Message("fs_reservation" if name == "reserved.gpus" else "fs_cap")
    together = Message("fs_together") if joint else ""
    counts = {"n": len(distinct), "lo": f"{distinct[0]:g}", "hi": f"{distinct[-1]:g}", "together": together}
    how = Message("fs_coarse", calls=calls, **counts) if coarse else Message("fs_one", **counts)
    return Message("m_fleet_search", what=what, how=how, gpus=f"{values[best]:g}")


choose_reserved_gpus = choose_fleet_autos
"""The earlier name (reserved GPUs only)."""
