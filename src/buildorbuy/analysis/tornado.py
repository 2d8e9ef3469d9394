"""tornado: move every numeric input down and up, one at a time, and rank them by effect.

All 2 × P moves (plus the base case) are one engine batch. The metric is the base winner's NPV
(`npv`) or its margin to the base runner-up (`margin`, runner-up NPV − winner NPV; negative means
the runner-up became cheaper). An input "flips" the decision when the cheapest recommendable path
at its low or high value is not the base winner.

By default each input moves by ±`swing` of its value, kept inside the field's valid range (whole
numbers rounded). `ranges` gives explicit (low, high) values per key instead, e.g. the 10th and
90th percentiles of a Monte Carlo distribution; with `params` the analysis covers only those keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Mapping

import numpy as np

from buildorbuy.analysis._common import (
    BRIDGE_FIXED,
    FIXED_PARAMETERS,
    as_plan,
    bridge_service_keys,
    base_value,
    clean,
    derived_keys,
    fractional_reservations,
    reservations,
    scenario_header,
    variable_parameter,
    versions,
    whole_replicas,
)
from buildorbuy.engine.core import evaluate, resolve_params
from buildorbuy.engine.plan import Plan
from buildorbuy.engine.summary import NO_WINNER, winner_and_runner_up
from buildorbuy.errors import AnalysisError
from buildorbuy.scenario.fields import check_values, field_bounds
from buildorbuy.scenario.models import Scenario
from buildorbuy.phrases import Message

Metric = Literal["npv", "margin"]


@dataclass
class TornadoRow:
    param: str
    base: float
    low: float
    """Input value at the low end (base × (1 − swing), or the given range's low)."""
    high: float
    metric_low: float
    """The metric with the input at `low`."""
    metric_high: float
    winner_low: str | None
    winner_high: str | None
    flips: bool
    """The winner at low or high is not the base winner."""
    effect: float
    """|metric_high − metric_low|: the sort key."""
    source: str
    """'swing' or 'range'."""
    clipped: bool = False
    """The ±swing value was moved to stay within the field's valid range (or rounded to a whole number; reserved
    GPUs outward to whole replicas)."""

    def to_dict(self) -> dict[str, Any]:
        return clean(dict(self.__dict__))


@dataclass
class TornadoResult:
    scenario: Scenario
    metric: str
    swing: float
    winner: str
    runner_up: str | None
    base_metric: float
    rows: list[TornadoRow]
    """Sorted by effect, largest first."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Inputs left out, with the reason."""
    engine_batches: int = 1
    warnings: list[str] = field(default_factory=list)

    @property
    def params(self) -> list[str]:
        return [r.param for r in self.rows]

    @property
    def metric_low(self) -> np.ndarray:
        return np.array([r.metric_low for r in self.rows])

    @property
    def metric_high(self) -> np.ndarray:
        return np.array([r.metric_high for r in self.rows])

    @property
    def effects(self) -> np.ndarray:
        return np.array([r.effect for r in self.rows])

    @property
    def flips(self) -> list[TornadoRow]:
        return [r for r in self.rows if r.flips]

    def to_dict(self) -> dict[str, Any]:
        return clean(
            {
                "scenario": scenario_header(self.scenario),
                "metric": self.metric,
                "swing": self.swing,
                "winner": self.winner,
                "runner_up": self.runner_up,
                "base_metric": self.base_metric,
                "rows": [r.to_dict() for r in self.rows],
                "skipped": self.skipped,
                "engine_batches": self.engine_batches,
                "warnings": self.warnings,
                "versions": versions(),
            }
        )


def _is_auto(plan: Plan, key: str) -> bool:
    """Whether the scenario says `auto` at this key (an estimate worth varying)."""
    from buildorbuy.scenario.loading import split_field_path

    node: Any = plan.scenario
    for part in split_field_path(key):
        try:
            node = node[part] if isinstance(part, int) else getattr(node, part)
        except (AttributeError, IndexError, TypeError):
            return False
    return node == "auto"


def _default_keys(plan: Plan) -> tuple[list[str], dict[str, str]]:
    """Inputs a tornado varies by default, and the ones it leaves out with the reason."""
    skipped: dict[str, str] = {}
    keys: list[str] = []
    derived = {d.key: d for d in plan.derived}
    bridge = bridge_service_keys(plan)
    for key in plan.parameters():
        if key in FIXED_PARAMETERS:
            skipped[key] = f"fixed: it {FIXED_PARAMETERS[key]}"
        elif key in bridge:
            skipped[key] = f"fixed: {BRIDGE_FIXED}"
        elif key in plan.locked:
            skipped[key] = f"cannot move alone: {plan.locked[key]}"
        elif key in plan.unused:
            skipped[key] = Message("skip_unused", detail=plan.unused[key])
        elif key == "usd_exchange_rate":
            skipped[key] = "only converts catalog prices when the scenario is read; the converted prices are varied instead"
        elif key in derived and not _is_auto(plan, key):
            method = derived[key].method
            skipped[key] = Message("skip_follows", detail=method if isinstance(method, str) else "derived")
        elif key.endswith(".end_month") and _defaulted(plan, key):
            skipped[key] = "defaults to the horizon"
        elif key.endswith(".success_probability") and _defaulted(plan, key):
            skipped[key] = "not given (default 1: no project risk modelled)"
        else:
            keys.append(key)
    return keys, skipped


def _defaulted(plan: Plan, key: str) -> bool:
    from buildorbuy.scenario.loading import split_field_path

    parts = split_field_path(key)
    node: Any = plan.scenario
    for part in parts[:-1]:
        node = node[part] if isinstance(part, int) else getattr(node, part)
    return parts[-1] not in node.model_fields_set


def tornado(
    scenario: Scenario | Plan,
    *,
    swing: float = 0.2,
    metric: Metric = "npv",
    ranges: Mapping[str, tuple[float, float]] | None = None,
    params: Iterable[str] | None = None,
) -> TornadoResult:
    """Rank inputs by how far moving each one (alone) moves the metric; one engine batch of 2 × P + 1.

    `ranges` maps field paths to explicit (low, high) values that replace ±swing for those keys
    (values are checked against the field's range); by default, every field the scenario gives as a
    distribution moves between its 10th and 90th percentiles, the others by ±swing. `params` restricts the inputs varied (default:
    every numeric input except the horizon, version, zero values and derived defaults).
    """
    if metric not in ("npv", "margin"):
        raise AnalysisError(f"unknown metric '{metric}'; use npv or margin", field="--metric")
    if not 0 < swing < 1:
        raise AnalysisError(f"swing must be between 0 and 1 (0.2 = ±20 %), got {swing:g}", field="--swing")
    plan = as_plan(scenario)
    derived = derived_keys(plan)
    if ranges is None:
        from buildorbuy.scenario.uncertainty import distribution_ranges

        ranges = distribution_ranges(plan.scenario)

    explicit: dict[str, tuple[float, float]] = {}
    for text, (low, high) in (ranges or {}).items():
        key, _ = variable_parameter(plan, text)
        if not low <= high:
            raise AnalysisError(f"range low {low:g} is above high {high:g}", field=text)
        check_values(plan.scenario, key, [low, high], label=text, cross_checks=key not in derived)
        explicit[key] = (float(low), float(high))

    if params is not None:
        keys = [variable_parameter(plan, text)[0] for text in params]
        skipped: dict[str, str] = {}
    else:
        keys, skipped = _default_keys(plan)
    keys = list(dict.fromkeys([*keys, *explicit]))

    base_values = {key: base_value(plan, key) for key in keys}
    replica_of = {reserved: base_value(plan, replica) for reserved, replica in reservations(plan).values()}
    rows_in: list[tuple[str, float, float, float, str, bool]] = []
    for key in keys:
        base = base_values[key]
        if key in explicit:
            low, high = explicit[key]
            rows_in.append((key, base, low, high, "range", False))
        elif base == 0:
            skipped[key] = "is 0, so a relative swing does not move it"
            continue
        else:
            bounds = field_bounds(plan.scenario, key)
            raw = np.array([base * (1 - swing), base * (1 + swing)])
            low, high = (float(v) for v in bounds.clip(raw))
            rows_in.append((key, base, low, high, "swing", bool(np.any(np.array([low, high]) != raw))))
        if key in replica_of:
            # reserved GPUs are whole replicas (as compare requires): the moves round outward to the
            # nearest whole replicas, so the input moves by at least one replica each way
            key, base, low, high, source, clipped = rows_in[-1]
            whole = whole_replicas(low, replica_of[key], "down"), whole_replicas(high, replica_of[key], "up")
            rows_in[-1] = (key, base, *whole, source, clipped or whole != (low, high))
    if not rows_in:
        raise AnalysisError("no input to vary")

    n = len(rows_in)
    size = 2 * n + 1
    batch: dict[str, np.ndarray] = {}
    for j, (key, base, low, high, _src, _clip) in enumerate(rows_in):
        if key in derived:
            continue
        values = np.full(size, base)
        values[1 + 2 * j], values[2 + 2 * j] = low, high
        batch[key] = values
    varied_derived = [(j, row) for j, row in enumerate(rows_in) if row[0] in derived]
    if varied_derived:
        # A derived parameter set in the batch no longer follows its inputs, so compute it per
        # element first (with the other inputs moved) and change it only where it is the one moved.
        resolved, resolved_size = resolve_params(plan, batch)
        for j, (key, _base, low, high, _src, _clip) in varied_derived:
            values = np.array(np.broadcast_to(resolved[key], (resolved_size,)), dtype=float)
            values[1 + 2 * j], values[2 + 2 * j] = low, high
            batch[key] = values
    result = evaluate(plan, batch)
    fractional = fractional_reservations(plan, result.params, size)
    if fractional.any():
        # a move that leaves some path's reserved GPUs off whole replicas (gpus_per_replica moved, or an input the
        # estimated replica size follows) would cost a fractional replica: the row is left out, with the reason
        kept = []
        for j, row in enumerate(rows_in):
            bad = np.flatnonzero(fractional[1 + 2 * j] | fractional[2 + 2 * j])
            if bad.size:
                i = int(bad[0])
                reserved_key, replica_key = reservations(plan)[i]
                per_replica = np.broadcast_to(result.params[replica_key], (size,))
                at = [f"{float(per_replica[e]):g}" for e in (1 + 2 * j, 2 + 2 * j) if fractional[e, i]]
                skipped[row[0]] = (f"moving it leaves the {base_value(plan, reserved_key):g} reserved GPUs of {plan.paths[i].name} "
                                   f"off whole replicas (gpus_per_replica {' and '.join(at)}); reservations are whole "
                                   "replicas, as compare requires")
            else:
                kept.append(j)
        if not kept:
            raise AnalysisError("no input to vary: every move leaves reserved GPUs off whole replicas")
    else:
        kept = list(range(len(rows_in)))

    winner, runner = winner_and_runner_up(result)
    w, r = int(winner[0]), int(runner[0])
    names = [p.name for p in plan.paths]
    if w == NO_WINNER:
        raise AnalysisError("no path is feasible and serves all traffic in the base case, so there is no winner to test")
    if metric == "margin":
        if r == NO_WINNER:
            raise AnalysisError("the margin needs a runner-up: only one path is feasible and serves all traffic", field="--metric")
        values = result.npv[:, r] - result.npv[:, w]
    else:
        values = result.npv[:, w]

    rows = []
    for j in kept:
        key, base, low, high, src, clipped = rows_in[j]
        lo_i, hi_i = 1 + 2 * j, 2 + 2 * j
        wl, wh = int(winner[lo_i]), int(winner[hi_i])
        rows.append(
            TornadoRow(
                param=key,
                base=base,
                low=low,
                high=high,
                metric_low=float(values[lo_i]),
                metric_high=float(values[hi_i]),
                winner_low=None if wl == NO_WINNER else names[wl],
                winner_high=None if wh == NO_WINNER else names[wh],
                flips=bool(wl != w or wh != w),
                effect=float(abs(values[hi_i] - values[lo_i])),
                source=src,
                clipped=clipped,
            )
        )
    rows.sort(key=lambda row: (-row.effect, row.param))
    return TornadoResult(
        scenario=plan.scenario,
        metric=metric,
        swing=swing,
        winner=names[w],
        runner_up=None if r == NO_WINNER else names[r],
        base_metric=float(values[0]),
        rows=rows,
        skipped=skipped,
        engine_batches=1,
        warnings=list(dict.fromkeys(result.warnings)),
    )
