"""sweep: evaluate a scenario over a grid of parameter values, as one engine batch.

One parameter gives a line of points, two give a grid (every combination). Each point records
every path's NPV and the winner (the cheapest path that is feasible and serves all traffic).
Large grids are split into a few big batches so memory stays bounded; there is never a Python
loop per point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from buildorbuy.analysis._common import (
    MAX_POINTS,
    as_plan,
    base_value,
    chunk_size,
    clean,
    derived_keys,
    fractional_reservations,
    reservations,
    scenario_header,
    variable_parameter,
    versions,
)
from buildorbuy.engine.core import evaluate
from buildorbuy.engine.plan import Plan
from buildorbuy.engine.summary import NO_WINNER, winner_and_runner_up
from buildorbuy.errors import AnalysisError
from buildorbuy.scenario.fields import check_values
from buildorbuy.scenario.models import Scenario
from buildorbuy.scenario.types import parse_quantity
from buildorbuy.phrases import Message

DEFAULT_RANGE_POINTS = 11


def _number(text: str, what: str) -> float:
    try:
        value = float(parse_quantity(text.strip()))
    except (ValueError, TypeError):
        raise AnalysisError(f"'{text.strip()}' is not a number (e.g. 1e9, 2.5B, 0.3, 30%)", field=what) from None
    if not math.isfinite(value):
        raise AnalysisError(f"'{text.strip()}' is not a finite number", field=what)
    return value


def refuse_percent_on_amounts(scenario: Scenario, specs: "list[tuple[str, str, str]]") -> None:
    """A one-line error when values for an amount field (tokens, money, a count, months) are written
    with a percent sign (`--values 50%` for tokens_per_month would read 0.5 tokens), as in the
    scenario file; shares and rates keep `30%`. `specs`: (field as given, values text, option named)."""
    from buildorbuy.engine.plan import compile_plan, resolve_parameter
    from buildorbuy.scenario.fields import takes_percent

    given = [spec for spec in specs if "%" in spec[1]]
    if not given:
        return
    plan = compile_plan(scenario)
    for param, text, what in given:
        if not takes_percent(scenario, resolve_parameter(plan, param)):
            raise AnalysisError(f"'{text}' holds a percentage, but {param} is an amount (tokens, money, a count, "
                                "months), not a share: write the numbers themselves", field=what)


def parse_values(text: str, *, what: str = "--values") -> np.ndarray:
    """`1e8,1e9,2.5B` → array; quantity suffixes and `%` accepted, at least one value."""
    items = [item for item in text.split(",")]
    if not text.strip() or any(not item.strip() for item in items):
        raise AnalysisError(f"expected comma-separated numbers such as 1e8,1e9,1e10, got '{text}'", field=what)
    if len(items) > MAX_POINTS:
        raise AnalysisError(f"{len(items):,} values is more than the limit of {MAX_POINTS:,}", field=what)
    return np.array([_number(item, what) for item in items])


def parse_range(text: str, *, log: bool = False, what: str = "--range", default_points: int = DEFAULT_RANGE_POINTS) -> np.ndarray:
    """`LO:HI[:N][:log|:lin]` → N values from LO to HI inclusive, evenly spaced (geometrically with log).

    A trailing `:log` or `:lin` overrides the `log` argument for this range.
    """
    parts = text.split(":")
    if len(parts) >= 3 and parts[-1].strip().lower() in ("log", "lin"):
        log = parts.pop().strip().lower() == "log"
    if len(parts) not in (2, 3) or any(not p.strip() for p in parts):
        raise AnalysisError(f"expected LO:HI or LO:HI:N (e.g. 1e8:1e11:25), got '{text}'", field=what)
    low, high = _number(parts[0], what), _number(parts[1], what)
    count = default_points
    if len(parts) == 3:
        raw = _number(parts[2], what)
        if raw != int(raw) or raw < 1:
            raise AnalysisError(f"the number of points must be a whole number ≥ 1, got '{parts[2].strip()}'", field=what)
        count = int(raw)
    if count > MAX_POINTS:
        raise AnalysisError(f"{count:,} points is more than the limit of {MAX_POINTS:,}", field=what)
    if high < low or (high == low and count > 1):
        raise AnalysisError(f"empty range {text}: LO must be below HI", field=what)
    if log:
        if low <= 0:
            raise AnalysisError(f"--log needs positive bounds, got {low:g}", field=what)
        return np.geomspace(low, high, count)
    return np.linspace(low, high, count)


@dataclass
class SweepResult:
    """NPVs and winners over a grid; arrays are shaped [*grid shape] or [*grid shape, path]."""

    scenario: Scenario
    params: list[str]
    """Parameter keys, one per grid axis (first axis outermost)."""
    values: list[np.ndarray]
    """The values of each axis."""
    names: list[str]
    """Path names, in scenario order."""
    npv: np.ndarray
    total_cost: np.ndarray
    recommendable: np.ndarray
    """Feasible and serving all traffic, per point and path."""
    winner: np.ndarray
    """Index of the cheapest recommendable path per point (-1: none)."""
    runner_up: np.ndarray
    engine_batches: int
    warnings: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    """The parameters as the user wrote them."""

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.values)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def winner_name(self, index: int) -> str | None:
        return None if index == NO_WINNER else self.names[index]

    def grid(self) -> list[np.ndarray]:
        """The value of each parameter at every point, each shaped like the grid."""
        return list(np.meshgrid(*self.values, indexing="ij"))

    def iter_points(self) -> Iterator[dict[str, Any]]:
        """Points in row-major order (first parameter outermost), as plain dicts."""
        flat_values = [g.ravel() for g in self.grid()]
        npv = self.npv.reshape(self.size, len(self.names))
        ok = self.recommendable.reshape(self.size, len(self.names))
        winner = self.winner.ravel()
        for n in range(self.size):
            yield {
                "values": {p: float(v[n]) for p, v in zip(self.params, flat_values)},
                "npv": {name: float(npv[n, i]) for i, name in enumerate(self.names)},
                "winner": self.winner_name(int(winner[n])),
                "excluded": [name for i, name in enumerate(self.names) if not ok[n, i]],
            }

    def regions(self) -> list[dict[str, Any]]:
        """For one parameter: runs of consecutive values with the same winner."""
        if len(self.params) != 1:
            raise AnalysisError("winner regions are defined for a one-parameter sweep")
        starts, ends = self._runs()
        values = self.values[0]
        return [{"winner": self.winner_name(int(self.winner[a])), "from": float(values[a]), "to": float(values[b])}
                for a, b in zip(starts, ends)]

    def _runs(self) -> tuple[np.ndarray, np.ndarray]:
        """First and last index of each run of equal winners along a one-parameter sweep."""
        w = self.winner
        change = np.flatnonzero(w[1:] != w[:-1]) + 1
        return np.r_[0, change], np.r_[change - 1, w.shape[0] - 1]

    def sample_indices(self, rows: int) -> np.ndarray:
        """For one parameter: about `rows` point indexes to show a long sweep in a table.

        Both ends of every winner region come first (so no change of winner is hidden); the rest
        of the budget is spread evenly over the sweep. Sorted, without repeats; every index when
        the sweep has at most `rows` points.
        """
        n = self.winner.shape[0]
        if n <= rows:
            return np.arange(n)
        starts, ends = self._runs()
        edges = np.unique(np.r_[starts, ends])
        spare = max(rows - edges.shape[0], 2)
        even = np.unique(np.round(np.linspace(0, n - 1, spare)).astype(np.int64))
        return np.unique(np.r_[edges, even])

    def win_counts(self) -> dict[str | None, int]:
        counts: dict[str | None, int] = {}
        for i in range(-1, len(self.names)):
            n = int((self.winner == i).sum())
            if n:
                counts[self.winner_name(i)] = n
        return counts

    def to_dict(self, *, points: bool = True) -> dict[str, Any]:
        """Plain data for JSON; `points=False` leaves out the points (renderers stream them)."""
        return clean(
            {
                "scenario": scenario_header(self.scenario),
                "params": list(self.params),
                "axes": [{"param": p, "values": v} for p, v in zip(self.params, self.values)],
                "paths": list(self.names),
                **({"points": list(self.iter_points())} if points else {}),
                "wins": {str(k): v for k, v in self.win_counts().items()},
                "engine_batches": self.engine_batches,
                "warnings": self.warnings,
                "versions": versions(),
            }
        )


def _refuse_fractional_reservations(plan: Plan, params, size: int, lead: int, keys: list[str], labels: list[str],
                                    chunk: Mapping[str, np.ndarray]) -> None:
    """AnalysisError at the first point whose reserved GPUs are not whole replicas (see `sweep`)."""
    if not reservations(plan):
        return
    bad = fractional_reservations(plan, params, size)[lead:]
    if not bad.any():
        return
    point, path = (int(v) for v in np.argwhere(bad)[0])
    reserved_key, replica_key = reservations(plan)[path]
    value = lambda key: float(np.broadcast_to(params[key], (size,))[lead + point])  # noqa: E731
    reserved, per_replica = value(reserved_key), value(replica_key)
    rule = "reservations are whole replicas, as compare requires"
    if reserved_key in keys:
        raise AnalysisError(f"{reserved:g} GPUs is not a whole number of replicas of {per_replica:g} GPUs (gpus_per_replica): "
                            f"{rule}; sweep multiples of {per_replica:g}", field=labels[keys.index(reserved_key)])
    if replica_key in keys:
        raise AnalysisError(f"{per_replica:g} GPUs per replica do not divide the {reserved:g} reserved GPUs of "
                            f"{plan.paths[path].name} (serving.reserved.gpus): {rule}", field=labels[keys.index(replica_key)])
    at = ", ".join(f"{label} = {float(chunk[key][lead + point]):g}" for key, label in zip(keys, labels))
    raise AnalysisError(f"at {at} the estimated gpus_per_replica of {plan.paths[path].name} is {per_replica:g}, which does "
                        f"not divide its {reserved:g} reserved GPUs: {rule}", field=labels[0])


def sweep(
    scenario: Scenario | Plan,
    params: Mapping[str, Sequence[float] | np.ndarray] | Sequence[tuple[str, Sequence[float] | np.ndarray]],
    *,
    max_points: int = MAX_POINTS,
) -> SweepResult:
    """Evaluate every combination of the given parameter values (one axis per parameter).

    `params` maps field paths (as `--set` writes them, e.g. `paths[API].price_per_1k_input`) to
    values. Each value is checked against the field's valid range first (ScenarioError naming the
    field). The whole grid is evaluated in as few engine batches as memory allows.
    """
    plan = as_plan(scenario)
    items = list(params.items()) if isinstance(params, Mapping) else list(params)
    if not items:
        raise AnalysisError("give at least one parameter to sweep")
    keys: list[str] = []
    labels: list[str] = []
    axes: list[np.ndarray] = []
    derived = derived_keys(plan)
    for text, raw_values in items:
        key, _bounds = variable_parameter(plan, text)
        if key in keys:
            raise AnalysisError("is swept twice; give each parameter once", field=text)
        values = np.atleast_1d(np.asarray(raw_values, dtype=float))
        if values.ndim != 1 or values.size == 0:
            raise AnalysisError("needs at least one value", field=text)
        if values.size > max_points:
            raise AnalysisError(f"{values.size:,} values is more than the limit of {max_points:,}", field=text)
        check_values(plan.scenario, key, values, label=text, cross_checks=key not in derived)
        keys.append(key)
        labels.append(text)
        axes.append(values)
    total = math.prod(len(a) for a in axes)
    if total > max_points:
        raise AnalysisError(f"the grid has {total:,} points, more than the limit of {max_points:,}; use fewer values")

    n_paths = len(plan.paths)
    npv = np.empty((total, n_paths))
    total_cost = np.empty((total, n_paths))
    recommendable = np.empty((total, n_paths), dtype=bool)
    winner = np.empty(total, dtype=int)
    runner = np.empty(total, dtype=int)
    grid = [g.ravel() for g in np.meshgrid(*axes, indexing="ij")]
    step = chunk_size(plan)
    warnings: list[str] = []
    batches = 0
    bases = [base_value(plan, key) for key in keys]
    for start in range(0, total, step):
        stop = min(start + step, total)
        chunk = {key: g[start:stop] for key, g in zip(keys, grid)}
        lead = 0
        if start == 0:
            # the scenario's own values lead the first batch, so the engine's warnings describe it
            chunk = {key: np.concatenate([[b], v]) for (key, v), b in zip(chunk.items(), bases)}
            lead = 1
        result = evaluate(plan, chunk, keep_components=False)
        _refuse_fractional_reservations(plan, result.params, stop - start + lead, lead, keys, labels, chunk)
        batches += 1
        if start == 0:
            warnings = list(dict.fromkeys(result.warnings))
        npv[start:stop] = result.npv[lead:]
        total_cost[start:stop] = result.total_cost[lead:]
        recommendable[start:stop] = result.recommendable[lead:]
        w, r = winner_and_runner_up(result)
        winner[start:stop], runner[start:stop] = w[lead:], r[lead:]
    warnings += [Message("not_used_sweep", key=key, why=plan.unused[key]) for key in keys if key in plan.unused]
    shape = tuple(len(a) for a in axes)
    return SweepResult(
        scenario=plan.scenario,
        params=keys,
        values=axes,
        names=[p.name for p in plan.paths],
        npv=npv.reshape(*shape, n_paths),
        total_cost=total_cost.reshape(*shape, n_paths),
        recommendable=recommendable.reshape(*shape, n_paths),
        winner=winner.reshape(shape),
        runner_up=runner.reshape(shape),
        engine_batches=batches,
        warnings=warnings,
        labels=labels,
    )
