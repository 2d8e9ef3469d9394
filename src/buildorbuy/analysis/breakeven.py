"""breakeven: the value of one parameter at which two paths cost the same (equal NPV).

Goal-seek with a bracketing search where every step is one engine batch:

1. scan: ~32 points over the range (geometric when the range is positive and spans a factor of
   10 or more) in one batch, and find where d(x) = NPV(a) − NPV(b) changes sign; the crossing
   nearest the parameter's current value is refined, the others are listed;
2. refine: each batch evaluates `sections − 1` points inside the bracket (a vectorised
   multi-section search: the bracket shrinks `sections`-fold per batch, and it cannot be fooled by
   jumps the way a secant step can) until the bracket is within `rtol` relative;
3. finish: one batch at the linear interpolation inside the final bracket. When d there is
   within 1e-4 of the NPVs, that is the break-even value. Otherwise d jumps across zero inside
   the bracket — a whole-GPU capacity step or a whole-month step — so no exact equality exists:
   `at_step` is true and the value is the step location (the bracket's midpoint).

Whole-number fields (months, GPU counts) are searched over whole numbers; the answer is the first
whole value on the far side of the sign change, always reported `at_step`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from buildorbuy.analysis._common import (
    as_plan,
    base_value,
    clean,
    derived_keys,
    reservations,
    resolve_path,
    scenario_header,
    variable_parameter,
    versions,
    whole_replicas,
)
from buildorbuy.engine.core import evaluate
from buildorbuy.engine.plan import Plan
from buildorbuy.engine.summary import NO_WINNER, ranked_npv, winner_and_runner_up
from buildorbuy.errors import AnalysisError, BuildOrBuyError
from buildorbuy.scenario.fields import Bounds, check_values
from buildorbuy.scenario.models import Scenario
from buildorbuy.phrases import Message

SCAN_POINTS = 32
SECTIONS = 16
MAX_BATCHES = 60
MAX_SCAN_POINTS = 1_000
"""The most points a scan may take (`--range LO:HI:N`): the scan is one engine batch, whose memory
grows with N (1,000,000 points took 1.7 GB, 10,000 over 600 months 0.67 GB); the refinement finds the crossing to 1e-6 anyway."""
EQUAL_TOLERANCE = 1e-4
"""|NPV(a) − NPV(b)| / max(|NPV|) below this at the answer counts as equal (else: a step)."""


@dataclass
class BreakevenResult:
    scenario: Scenario
    param: str
    label: str
    a: str
    b: str
    current: float
    """The parameter's value in the scenario."""
    low: float
    high: float
    """The range searched."""
    value: float | None
    """Where NPV(a) = NPV(b) (or the step where their order changes); None: no crossover in range."""
    at_step: bool
    bracket: tuple[float, float] | None
    """The final bracket around the value: the sign of NPV(a) − NPV(b) differs at its ends."""
    relative_tolerance: float | None
    """Achieved: bracket width / |value|."""
    npv_a: float | None
    npv_b: float | None
    """NPVs at the value."""
    cheaper_below: str | None
    cheaper_above: str | None
    """Which of a and b is cheaper just below and just above the value."""
    iterations: int
    """Refinement batches after the scan."""
    engine_batches: int
    other_crossings: list[float] = field(default_factory=list)
    """Approximate locations of further sign changes seen in the scan."""
    reason: str | None = None
    """Why there is no value, when there is none."""
    scan_values: np.ndarray | None = None
    scan_difference: np.ndarray | None = None
    """The scan: parameter values and NPV(a) − NPV(b) there."""
    warnings: list[str] = field(default_factory=list)
    log_scale: bool = False
    integer: bool = False
    pair: str = ""
    """Which two paths were compared and why (named with --between, or chosen by default)."""
    notes: list[str] = field(default_factory=list)
    """Facts that qualify the answer (a self-hosted path whose cost is mostly bridge fees)."""
    pair_facts: dict[str, Any] = field(default_factory=dict)
    """`pair` as facts, for renderers in other languages: {rule: between|api_hosted|winner_runner, api, hosted}."""
    note_facts: list[dict[str, Any]] = field(default_factory=list)
    """`notes` as facts: {path, share (percent), bridge, month} per bridge-dominated path; a path that may fail
    also has before/after (percent of its NPV paid to the bridge before go-live and after a failure) and fail
    (percent chance of failure)."""

    def to_dict(self) -> dict[str, Any]:
        return clean(
            {
                "scenario": scenario_header(self.scenario),
                "param": self.param,
                "a": self.a,
                "b": self.b,
                "value": self.value,
                "at_step": self.at_step,
                "bracket": list(self.bracket) if self.bracket else None,
                "relative_tolerance": self.relative_tolerance,
                "npv": None if self.value is None else {self.a: self.npv_a, self.b: self.npv_b},
                "cheaper_below": self.cheaper_below,
                "cheaper_above": self.cheaper_above,
                "current_value": self.current,
                "range": [self.low, self.high],
                "iterations": self.iterations,
                "engine_batches": self.engine_batches,
                "other_crossings": self.other_crossings,
                "reason": self.reason,
                "pair": self.pair,
                "notes": self.notes,
                "warnings": self.warnings,
                "versions": versions(),
            }
        )


def default_range(current: float, bounds: Bounds) -> tuple[float, float]:
    """/100 to ×100 around a positive value (×100 to /100 for a negative one), within the field's range."""
    if current > 0:
        low, high = current / 100.0, current * 100.0
    elif current < 0:
        low, high = current * 100.0, current / 100.0
    else:
        low, high = -1.0, 1.0
    clipped = bounds.clip(np.array([low, high]))
    low, high = float(clipped[0]), float(clipped[1])
    if bounds.integer:
        # whole numbers: at least the neighbourhood 0…2×current+10 (capped by the bounds)
        wide = bounds.clip(np.array([0.0, max(2 * abs(current), abs(current) + 10)]))
        low, high = min(low, float(wide[0])), max(high, float(wide[1]))
    return low, high


def _grid(low: float, high: float, n: int, log: bool, integer: bool) -> np.ndarray:
    if integer:
        low_i, high_i = math.ceil(low), math.floor(high)
        if high_i - low_i + 1 <= n:
            return np.arange(low_i, high_i + 1, dtype=float)
        values = np.geomspace(max(low_i, 1), high_i, n) if log and low_i > 0 else np.linspace(low_i, high_i, n)
        return np.unique(np.concatenate([[low_i], np.round(values), [high_i]]))
    if log:
        values = np.geomspace(low, high, n)
        values[0], values[-1] = low, high
        return values
    return np.linspace(low, high, n)


def _interior(lo: float, hi: float, sections: int, log: bool, integer: bool) -> np.ndarray:
    if integer:
        inner = np.unique(np.round(np.linspace(lo, hi, sections + 1)[1:-1]))
        return inner[(inner > lo) & (inner < hi)]
    if log and lo > 0:
        return np.geomspace(lo, hi, sections + 1)[1:-1]
    return np.linspace(lo, hi, sections + 1)[1:-1]


def _width(lo: float, hi: float) -> float:
    scale = max(abs(lo), abs(hi))
    return (hi - lo) / scale if scale > 0 else 0.0


def breakeven(
    scenario: Scenario | Plan,
    param: str,
    *,
    between: tuple[str, str] | None = None,
    low: float | None = None,
    high: float | None = None,
    rtol: float = 1e-6,
    scan_points: int = SCAN_POINTS,
    sections: int = SECTIONS,
    max_batches: int = MAX_BATCHES,
) -> BreakevenResult:
    """Find the value of `param` at which paths a and b have equal NPV.

    `between` names the two paths (name or 0-based index); default: the cheapest API path and the
    cheapest self-hosted path at the scenario's values when both are recommendable, else the winner
    and the runner-up. `low`/`high` bound the search (default: /100 to ×100 of the current
    value, within the field's valid range). Raises ScenarioError/AnalysisError naming the problem.
    """
    if scan_points > MAX_SCAN_POINTS:
        raise AnalysisError(f"a scan of {scan_points:,} points is more than the limit of {MAX_SCAN_POINTS:,} "
                            "(the search refines the crossing itself: LO:HI is enough)", field="--range")
    plan = as_plan(scenario)
    key, bounds = variable_parameter(plan, param)
    current = base_value(plan, key)
    names = [p.name for p in plan.paths]
    base_result = None
    if between is not None:
        ia, ib = resolve_path(plan, between[0]), resolve_path(plan, between[1])
        if ia == ib:
            raise AnalysisError("name two different paths", field="--between")
        pair = f"{names[ia]} and {names[ib]}, named with --between"
        pair_facts: dict[str, Any] = {"rule": "between"}
    else:
        base_result = evaluate(plan)
        ia, ib, pair, pair_facts = _default_pair(plan, base_result)
    notes, note_facts = _bridge_notes(plan, base_result if base_result is not None else evaluate(plan), (ia, ib))
    d_low, d_high = default_range(current, bounds)
    low = d_low if low is None else float(low)
    high = d_high if high is None else float(high)
    if not high > low:
        raise AnalysisError(f"empty range {low:g}:{high:g}: LO must be below HI", field="--range")
    check_values(plan.scenario, key, [low, high], label=param, cross_checks=key not in derived_keys(plan))
    integer = bounds.integer
    log = low > 0 and high / low >= 10
    batches = 1 if base_result is not None else 0

    def diff(values: np.ndarray) -> tuple[np.ndarray, Any]:
        nonlocal batches
        if batches >= max_batches:
            raise AnalysisError(f"no convergence within {max_batches} engine batches")
        result = evaluate(plan, {key: values})
        batches += 1
        return result.npv[:, ia] - result.npv[:, ib], result

    xs = _grid(low, high, max(scan_points, 2), log, integer)
    per_replica = {r: base_value(plan, g) for r, g in reservations(plan).values()}.get(key)
    if per_replica is not None:
        # reserved GPUs are whole replicas (as compare requires): scan those; the costs are linear between them
        xs = np.unique([whole_replicas(x, per_replica, "nearest") for x in xs])
        xs = xs[(xs >= low) & (xs <= high)] if np.count_nonzero((xs >= low) & (xs <= high)) >= 2 else xs
    if base_result is None:
        # the current value leads the scan batch, so the engine's warnings describe the scenario itself
        ds, scan_result = diff(np.concatenate([[current], xs]))
        ds = ds[1:]
        scan_rec = np.asarray(scan_result.recommendable)[1:]
    else:
        ds, scan_result = diff(xs)
        scan_rec = np.asarray(scan_result.recommendable)
        scan_result = base_result
    ok = scan_rec[:, ia] & scan_rec[:, ib]  # a crossing counts only where both paths can be recommended
    warnings = list(dict.fromkeys(scan_result.warnings))
    for i in (ia, ib):
        if not scan_rec[:, i].all():
            warnings.append(_unrecommendable(plan, key, param, names[i], i, xs, scan_rec[:, i], integer, diff))
    if key in plan.unused:
        warnings.append(Message("not_used_breakeven", key=key, why=plan.unused[key]))
    common = dict(
        scenario=plan.scenario, param=key, label=param, a=names[ia], b=names[ib], current=current, low=low, high=high,
        scan_values=xs, scan_difference=ds, warnings=warnings, log_scale=log, integer=integer, pair=pair, notes=notes,
        pair_facts=pair_facts, note_facts=note_facts,
    )
    signs = np.sign(ds)
    changes = [i for i in range(len(xs) - 1) if ok[i] and ok[i + 1]
               and (signs[i] * signs[i + 1] < 0 or (signs[i] == 0) != (signs[i + 1] == 0))]
    exact = [i for i in range(len(xs)) if ok[i] and signs[i] == 0]
    if not ok.any():
        return BreakevenResult(
            **common, value=None, at_step=False, bracket=None, relative_tolerance=None, npv_a=None, npv_b=None,
            cheaper_below=None, cheaper_above=None, iterations=0, engine_batches=batches,
            reason=f"no crossover in [{low:g}, {high:g}]: {names[ia]} and {names[ib]} are never both recommendable there",
        )
    if not changes and not exact:
        cheaper = names[ia] if ds[ok][0] < 0 else names[ib]
        where = "" if ok.all() else " where both paths can be recommended"
        return BreakevenResult(
            **common, value=None, at_step=False, bracket=None, relative_tolerance=None, npv_a=None, npv_b=None,
            cheaper_below=cheaper, cheaper_above=cheaper, iterations=0, engine_batches=batches,
            reason=f"no crossover in [{low:g}, {high:g}]{where}: {cheaper} is cheaper throughout",
        )
    if exact and len(exact) == int(ok.sum()):
        return BreakevenResult(
            **common, value=None, at_step=False, bracket=None, relative_tolerance=None, npv_a=None, npv_b=None,
            cheaper_below=None, cheaper_above=None, iterations=0, engine_batches=batches,
            reason="the two paths cost the same everywhere in the range: the parameter does not separate them",
        )

    def location(i: int) -> float:
        return float(xs[i]) if signs[i] == 0 else float(np.sqrt(xs[i] * xs[i + 1]) if log else (xs[i] + xs[i + 1]) / 2)

    candidates = sorted(set(changes), key=lambda i: abs(location(i) - current))
    chosen = candidates[0]
    others = sorted({location(i) for i in candidates[1:]} | {float(xs[i]) for i in exact} - {location(chosen)})
    lo, hi = float(xs[chosen]), float(xs[chosen + 1])
    d_lo, d_hi = float(ds[chosen]), float(ds[chosen + 1])
    iterations = 0
    if d_lo == 0 or d_hi == 0:
        x0 = lo if d_lo == 0 else hi
        _, res = diff(np.array([x0]))
        return _finish(common, res.npv[0], ia, ib, x0, False, (x0, x0), 0.0, d_lo, d_hi, names, iterations, batches, others)

    def converged() -> bool:
        return hi - lo <= 1 if integer else _width(lo, hi) <= rtol

    while not converged():
        inner = _interior(lo, hi, sections, log, integer)
        if inner.size == 0:
            break
        d_inner, _ = diff(inner)
        iterations += 1
        points = np.concatenate([[lo], inner, [hi]])
        values = np.concatenate([[d_lo], d_inner, [d_hi]])
        zero = np.flatnonzero(values == 0)
        if zero.size:
            x0 = float(points[zero[0]])
            lo = hi = x0
            d_lo = d_hi = 0.0
            break
        k = int(np.flatnonzero(np.sign(values[:-1]) != np.sign(values[1:]))[0])
        lo, hi, d_lo, d_hi = float(points[k]), float(points[k + 1]), float(values[k]), float(values[k + 1])

    if lo == hi:
        _, res = diff(np.array([lo]))
        return _finish(common, res.npv[0], ia, ib, lo, False, (lo, hi), 0.0, d_lo, d_hi, names, iterations, batches, others)
    if integer:
        if per_replica is not None:  # the first whole replica past the swap
            lo, hi = whole_replicas(lo, per_replica, "down"), whole_replicas(hi, per_replica, "up")
        _, res = diff(np.array([hi]))
        return _finish(common, res.npv[0], ia, ib, hi, True, (lo, hi), _width(lo, hi), d_lo, d_hi, names, iterations, batches, others)
    guess = lo - d_lo * (hi - lo) / (d_hi - d_lo)
    guess = min(max(guess, lo), hi)
    mid = float(np.sqrt(lo * hi)) if log else (lo + hi) / 2
    d_guess, res = diff(np.array([guess, mid]))
    scale = max(abs(float(res.npv[0, ia])), abs(float(res.npv[0, ib])), 1e-12)
    if abs(float(d_guess[0])) <= EQUAL_TOLERANCE * scale:
        return _finish(common, res.npv[0], ia, ib, guess, False, (lo, hi), (hi - lo) / max(abs(guess), 1e-300), d_lo, d_hi,
                       names, iterations, batches, others)
    return _finish(common, res.npv[1], ia, ib, mid, True, (lo, hi), (hi - lo) / max(abs(mid), 1e-300), d_lo, d_hi,
                   names, iterations, batches, others)


UNRECOMMENDABLE_REFINE = 2048
"""At most this many whole values between the scan points are evaluated to locate where a path stops
(or starts) being recommendable."""


def _unrecommendable(plan: Plan, key: str, param: str, name: str, i: int, xs: np.ndarray, rec: np.ndarray,
                     integer: bool, diff) -> str:
    """Where in the scan path i cannot be recommended (goes live after the horizon, infeasible or leaves
    traffic unserved), as one sentence; a whole-valued boundary is located exactly with one batch."""
    why = Message("unrec_why")
    if not rec.any():
        return Message("unrec_anywhere", path=name, param=param, why=why)
    first_bad, last_bad = int(np.argmin(rec)), len(rec) - 1 - int(np.argmin(rec[::-1]))
    tail = bool(rec[:first_bad].all() and not rec[first_bad:].any())
    head = bool(not rec[: last_bad + 1].any() and rec[last_bad + 1:].all())
    if not (tail or head):
        return Message("unrec_some", path=name, param=param, why=why)
    lo, hi = (float(xs[first_bad - 1]), float(xs[first_bad])) if tail else (float(xs[last_bad]), float(xs[last_bad + 1]))
    if integer and 1 < hi - lo <= UNRECOMMENDABLE_REFINE:
        inner = np.arange(lo + 1, hi, dtype=float)
        try:
            _, res = diff(inner)
            points = np.concatenate([[lo], inner, [hi]])
            good = np.concatenate([[tail], np.asarray(res.recommendable)[:, i], [not tail]])
            k = int(np.flatnonzero(good[:-1] != good[1:])[0])  # the first change along the points
            lo, hi = float(points[k]), float(points[k + 1])
        except AnalysisError:  # out of engine batches: keep the scan's bracket
            pass
    exact = integer and hi - lo <= 1
    if tail:
        where = Message("from_on", value=f"{hi:g}") if exact else Message("from_between_on", lo=f"{lo:g}", hi=f"{hi:g}")
    else:
        where = Message("up_to", value=f"{lo:g}") if exact else Message("up_to_between", lo=f"{lo:g}", hi=f"{hi:g}")
    return Message("unrec_where", path=name, param=param, where=where, why=why)


def _default_pair(plan: Plan, result) -> tuple[int, int, str, dict[str, Any]]:
    """The cheapest API path and the cheapest self-hosted path when both are recommendable (the
    build-or-buy question), else the winner and the runner-up; with a sentence saying which."""
    ranked = ranked_npv(result)[0]
    names = [p.name for p in plan.paths]
    best: dict[bool, int] = {}
    for i, p in enumerate(plan.paths):
        hosted = p.kind != "api"
        if np.isfinite(ranked[i]) and (hosted not in best or ranked[i] < ranked[best[hosted]]):
            best[hosted] = i
    if False in best and True in best:
        ia, ib = sorted((best[False], best[True]), key=lambda i: ranked[i])
        return ia, ib, (f"the cheapest API path ({names[best[False]]}) and the cheapest self-hosted path "
                        f"({names[best[True]]})"), {"rule": "api_hosted", "api": names[best[False]], "hosted": names[best[True]]}
    winner, runner = winner_and_runner_up(result)
    ia, ib = int(winner[0]), int(runner[0])
    if ia == NO_WINNER or ib == NO_WINNER:
        raise AnalysisError("fewer than two paths are feasible and serve all traffic; name two with --between")
    return ia, ib, f"the winner ({names[ia]}) and the runner-up ({names[ib]})", {"rule": "winner_runner"}


BRIDGE_DOMINANT_SHARE = 0.5
"""A self-hosted path whose bridge fees are at least this share of its NPV is called bridge-dominated."""


def _bridge_notes(plan: Plan, result, pair: tuple[int, int]) -> tuple[list[str], list[dict[str, Any]]]:
    """One sentence per compared self-hosted path whose NPV is mostly bridge fees (scenario values), and its facts."""
    notes = []
    facts: list[dict[str, Any]] = []
    discount = result.discount[0]
    for i in pair:
        p = plan.paths[i]
        npv = float(result.npv[0, i])
        if p.bridge is None or npv <= 0:
            continue
        paid = result.components["bridge_fees"][0, i] * discount
        fees = float(paid.sum())
        if fees >= BRIDGE_DOMINANT_SHARE * npv:
            live = int(result.live_month[0, i])
            bridge = plan.paths[p.bridge].name
            share = f"{100 * fees / npv:.0f}"
            fail = 1.0 - float(plan.base.get(f"paths[{i}].success_probability", 1.0))
            after = float(paid[live:].sum())
            if fail > 0 and after > 0:
                # a path that may fail keeps paying the bridge after its go-live: say how much of the share that is
                # the two parts add up to the rounded share (13% + 57% = 70%, not 13% + 56%)
                whole = round(100 * fees / npv)
                share = f"{whole}"
                first = round(100 * (fees - after) / npv)
                before, after = f"{first}", f"{whole - first}"
                fail_pct = f"{100 * fail:.3g}"
                notes.append(
                    f"Bridge fees dominate {p.name}: {share}% of its NPV is {bridge} serving its traffic, {before}% until "
                    f"go-live in month {live} and {after}% after a failure ({fail_pct}% chance), so the break-even mostly "
                    f"moves with the bridge's prices, the lead time and the chance of success."
                )
                facts.append({"path": p.name, "share": share, "bridge": bridge, "month": live, "before": before,
                              "after": after, "fail": fail_pct})
                continue
            notes.append(
                f"Bridge fees dominate {p.name}: {share}% of its NPV is {bridge} "
                f"serving its traffic until go-live in month {live}, so the break-even mostly "
                f"moves with the bridge's prices and the lead time."
            )
            facts.append({"path": p.name, "share": share, "bridge": bridge, "month": live})
    return notes, facts


def _finish(common, npv: np.ndarray, ia, ib, value, at_step, bracket, rel, d_lo, d_hi, names, iterations, batches, others) -> BreakevenResult:
    def cheaper(d: float) -> str | None:
        return None if d == 0 else (names[ia] if d < 0 else names[ib])

    return BreakevenResult(
        **common,
        value=float(value),
        at_step=at_step,
        bracket=(float(bracket[0]), float(bracket[1])),
        relative_tolerance=float(rel),
        npv_a=float(npv[ia]),
        npv_b=float(npv[ib]),
        cheaper_below=cheaper(d_lo),
        cheaper_above=cheaper(d_hi),
        iterations=iterations,
        engine_batches=batches,
        other_crossings=others,
    )


# ---------------------------------------------------------------------- batched over inputs

BATCH_SECTIONS = 8
"""Points per pair and refinement batch in `breakeven_batch`: the regula-falsi guess and 7 section points."""
BATCH_SCAN_POINTS = 16
SLICE_BYTES = 4e6
"""An engine call's [rows, path, month] arrays stay near this size (cache-sized slices run several times faster per row)."""


@dataclass
class BatchBreakeven:
    """`breakeven_batch`'s answer, one entry per pair (key, a, b)."""

    current: np.ndarray
    value: np.ndarray
    """Where NPV(a) = NPV(b), the crossing nearest the key's current value (NaN: none in range)."""
    at_step: np.ndarray
    """The paths swap order at a jump (whole GPU, whole month) rather than at an exact tie."""
    ranges: list[tuple[float, float]]
    """The range searched, per key."""
    skipped: dict[str, str]
    """Keys not searched, with the reason."""
    engine_batches: int


def search_range(current: float, bounds: Bounds) -> tuple[np.ndarray, bool]:
    """Scan points for a key and whether they are geometric: /100 to ×100 of its value (geometric), and the value.

    A value of 0 or below gets 9 more evenly spaced points across its valid range (at most 100 × |value|, or 100,
    away), so a negative rate can be searched up past 0.
    """
    lo, hi = default_range(current, bounds)
    log = lo > 0 and hi / lo >= 10
    parts = [_grid(lo, hi, BATCH_SCAN_POINTS, log, bounds.integer), [current]]
    if current <= 0:
        scale = abs(current) if current != 0 else 1.0
        parts.append(np.linspace(max(bounds.low, min(lo, -100 * scale)), min(bounds.high, max(hi, 100 * scale)), 9))
    return np.unique(bounds.clip(np.concatenate(parts))), log


def _rows_batch(plan: Plan, assignments: list[tuple[str, np.ndarray]]) -> tuple[dict[str, np.ndarray], int]:
    """One batch in which each (key, values) block of rows moves one key, every other key at its base value."""
    from buildorbuy.engine.core import resolve_params

    derived = derived_keys(plan)
    size = sum(len(values) for _, values in assignments)
    batch: dict[str, np.ndarray] = {}
    later: list[tuple[str, int, np.ndarray]] = []
    start = 0
    for key, values in assignments:
        if key in derived:
            later.append((key, start, values))
        else:
            if key not in batch:
                batch[key] = np.full(size, plan.base[key], dtype=float)
            batch[key][start : start + len(values)] = values
        start += len(values)
    if not batch:
        batch["discount_rate"] = np.full(size, plan.base["discount_rate"], dtype=float)
    if later:
        # a derived parameter set in the batch stops following its inputs: compute it row by row first
        resolved, _ = resolve_params(plan, batch)
        for key, start, values in later:
            if key not in batch:
                batch[key] = np.array(np.broadcast_to(resolved[key], (size,)), dtype=float)
            batch[key][start : start + len(values)] = values
    return batch, size


def evaluate_rows(plan: Plan, batch: dict[str, np.ndarray], size: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(NPV [rows, paths], recommendable [rows, paths], warnings): one logical engine batch, evaluated in cache-sized slices."""
    n_paths = len(plan.paths)
    step = max(64, int(SLICE_BYTES // (8 * max(n_paths, 1) * plan.horizon * 12)))
    npv = np.empty((size, n_paths))
    recommendable = np.empty((size, n_paths), dtype=bool)
    warnings: list[str] = []
    for a in range(0, size, step):
        b = min(size, a + step)
        result = evaluate(plan, {key: values[a:b] for key, values in batch.items()}, keep_components=False)
        npv[a:b] = result.npv
        recommendable[a:b] = result.recommendable
        if a == 0:
            warnings = list(dict.fromkeys(result.warnings))
    return npv, recommendable, warnings


def _nearest_bracket(xs: np.ndarray, ds: np.ndarray, current: float) -> tuple[float, float, float, float] | None:
    """The sign change (or exact zero) of ds over xs nearest `current`: (lo, hi, d_lo, d_hi); NaN points are skipped."""
    ok = np.isfinite(ds)
    x, d = xs[ok], ds[ok]
    if x.size == 0:
        return None
    best = None
    zeros = np.flatnonzero(d == 0)
    for i in zeros:
        distance = abs(x[i] - current)
        if best is None or distance < best[0]:
            best = (distance, (float(x[i]), float(x[i]), 0.0, 0.0))
    changes = np.flatnonzero(d[:-1] * d[1:] < 0)
    for i in changes:
        distance = 0.0 if x[i] <= current <= x[i + 1] else min(abs(x[i] - current), abs(x[i + 1] - current))
        if best is None or distance < best[0]:
            best = (distance, (float(x[i]), float(x[i + 1]), float(d[i]), float(d[i + 1])))
    return None if best is None else best[1]


def breakeven_batch(
    plan: Plan,
    pairs: list[tuple[str, int, int]],
    *,
    rtol: float = 1e-6,
    recommendable_only: bool = True,
    max_batches: int = MAX_BATCHES,
) -> BatchBreakeven:
    """For each (key, a, b): the value of `key` nearest its current value at which NPV(a) = NPV(b).

    The same bracketing search as `breakeven`, batched over every key and pair: one engine batch scans
    all keys (`search_range` points each), then each refinement batch holds, for every unfinished pair,
    the regula-falsi guess and `BATCH_SECTIONS − 1` section points of its bracket. A pair is done when
    the guess ties within EQUAL_TOLERANCE (exact) or the bracket is narrower than `rtol` (a step: the
    value is the bracket's middle) — for whole-number keys, when the bracket is two neighbours: the
    value is the one farther from the current value (the first whole value past the swap), at a step.
    With `recommendable_only`, points where a or b cannot be recommended do not count.
    """
    keys = list(dict.fromkeys(key for key, _, _ in pairs))
    currents: dict[str, float] = {}
    scans: dict[str, np.ndarray] = {}
    logs: dict[str, bool] = {}
    integer: dict[str, bool] = {}
    skipped: dict[str, str] = {}
    derived = derived_keys(plan)
    from buildorbuy.errors import ScenarioError

    from buildorbuy.scenario.fields import field_bounds

    known = set(plan.parameters())
    for key in keys:
        bounds = field_bounds(plan.scenario, key) if key in known else variable_parameter(plan, key)[1]
        current = base_value(plan, key)
        xs, log = search_range(current, bounds)
        # the scan stays inside each field's own bounds by construction; rules across fields are checked on the answers
        currents[key], scans[key], logs[key], integer[key] = current, xs, log, bounds.integer

    batches = 0
    # keys at 0 or below scan their whole valid range, where the engine may refuse a value (a fleet too large to be
    # real): they go last, in their own engine call, so a refusal there costs the others nothing
    wide = [key for key in scans if currents[key] <= 0]
    assignments = [(key, scans[key]) for key in scans if currents[key] > 0] + [(key, scans[key]) for key in wide]
    offsets: dict[str, int] = {}
    start = 0
    for key, values in assignments:
        offsets[key] = start
        start += len(values)
    n = len(pairs)
    value = np.full(n, np.nan)
    at_step = np.zeros(n, dtype=bool)
    current_of = np.array([currents.get(key, np.nan) for key, _, _ in pairs])
    if not assignments:
        return BatchBreakeven(current_of, value, at_step, [], skipped, batches)
    npv, rec = _scan(plan, assignments, len(assignments) - len(wide), skipped)
    batches += 1

    def difference(npv_rows: np.ndarray, rec_rows: np.ndarray, a: int, b: int) -> np.ndarray:
        d = npv_rows[:, a] - npv_rows[:, b]
        if recommendable_only:
            d = np.where(rec_rows[:, a] & rec_rows[:, b], d, np.nan)
        return d

    brackets: dict[int, list[float]] = {}
    for p, (key, a, b) in enumerate(pairs):
        if key not in scans:
            continue
        lo_row = offsets[key]
        rows = slice(lo_row, lo_row + len(scans[key]))
        found = _nearest_bracket(scans[key], difference(npv[rows], rec[rows], a, b), currents[key])
        if found is None:
            continue
        lo, hi, d_lo, d_hi = found
        if lo == hi:
            value[p] = lo
            continue
        brackets[p] = [lo, hi, d_lo, d_hi]

    def finished(p: int) -> bool:
        lo, hi = brackets[p][0], brackets[p][1]
        return hi - lo <= 1 if integer[pairs[p][0]] else _width(lo, hi) <= rtol

    def settle_step(p: int) -> None:
        key = pairs[p][0]
        lo, hi = brackets.pop(p)[:2]
        if integer[key]:
            value[p] = hi if abs(hi - currents[key]) >= abs(lo - currents[key]) else lo
        else:
            value[p] = float(np.sqrt(lo * hi)) if logs[key] and lo > 0 else (lo + hi) / 2
        at_step[p] = True

    for p in [p for p in brackets if finished(p)]:
        settle_step(p)
    while brackets:
        if batches >= max_batches:
            for p in list(brackets):
                settle_step(p)
            break
        active = sorted(brackets)
        blocks = []
        for p in active:
            key = pairs[p][0]
            lo, hi, d_lo, d_hi = brackets[p]
            guess = min(max(lo - d_lo * (hi - lo) / (d_hi - d_lo), lo), hi)
            inner = _interior(lo, hi, BATCH_SECTIONS - 1, logs[key], integer[key])
            points = np.concatenate([[round(guess) if integer[key] else guess], inner])
            blocks.append((key, points))
        try:
            batch, size = _rows_batch(plan, blocks)
            npv, rec, _ = evaluate_rows(plan, batch, size)
        except (BuildOrBuyError, ValueError) as exc:
            # a value inside a bracket the engine refuses: leave those pairs without an answer, with the reason
            for p in active:
                skipped.setdefault(pairs[p][0], f"not searched: {exc.one_line() if isinstance(exc, BuildOrBuyError) else exc}")
                del brackets[p]
            break
        batches += 1
        start = 0
        for p, (key, points) in zip(active, blocks):
            rows = slice(start, start + len(points))
            start += len(points)
            a, b = pairs[p][1], pairs[p][2]
            d = difference(npv[rows], rec[rows], a, b)
            lo, hi, d_lo, d_hi = brackets[p]
            if not integer[key] and np.isfinite(d[0]):
                scale = max(abs(float(npv[rows][0, a])), abs(float(npv[rows][0, b])), 1e-12)
                if abs(float(d[0])) <= EQUAL_TOLERANCE * scale:
                    value[p] = float(points[0])
                    del brackets[p]
                    continue
            xs = np.concatenate([[lo], points, [hi]])
            ds = np.concatenate([[d_lo], d, [d_hi]])
            order = np.argsort(xs, kind="stable")
            xs, ds = xs[order], ds[order]
            keep = (xs >= lo) & (xs <= hi)
            found = _nearest_bracket(xs[keep], ds[keep], currents[key])
            if found is None:  # pragma: no cover - the ends keep their signs
                del brackets[p]
                continue
            if found[0] == found[1]:
                value[p] = found[0]
                del brackets[p]
                continue
            brackets[p] = list(found)
            if finished(p):
                settle_step(p)
    for p, (key, _, _) in enumerate(pairs):
        # an answer must keep the scenario valid under its rules across fields (start_month ≤ end_month, …)
        if np.isfinite(value[p]) and key not in derived and _has_cross_rules(plan, key):
            try:
                check_values(plan.scenario, key, [float(value[p])], label=key)
            except ScenarioError:
                value[p], at_step[p] = np.nan, False
    ranges = [(float(scans[k][0]), float(scans[k][-1])) for k in scans]
    return BatchBreakeven(current_of, value, at_step, ranges, skipped, batches)


def _scan(plan: Plan, assignments: list[tuple[str, np.ndarray]], split: int, skipped: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """The scan's rows: `assignments[:split]` and `assignments[split:]` in one engine call each. When the engine
    refuses some key's values, the keys are halved until each refusing key stands alone (skipped with the reason;
    its rows NaN); groups that evaluate keep their figures, so a few bad keys cost a few extra calls."""
    size = sum(len(values) for _, values in assignments)
    npv = np.full((size, len(plan.paths)), np.nan)
    rec = np.zeros((size, len(plan.paths)), dtype=bool)
    offsets = np.cumsum([0] + [len(values) for _, values in assignments])

    def run(lo: int, hi: int) -> None:
        if lo >= hi:
            return
        rows = slice(int(offsets[lo]), int(offsets[hi]))
        try:
            batch, n = _rows_batch(plan, assignments[lo:hi])
            npv[rows], rec[rows], _ = evaluate_rows(plan, batch, n)
        except (BuildOrBuyError, ValueError) as exc:  # ValueError: an engine defect for this key; never a traceback
            if hi - lo == 1:
                skipped[assignments[lo][0]] = f"not searched: {exc.one_line() if isinstance(exc, BuildOrBuyError) else exc}"
                return
            mid = (lo + hi) // 2
            run(lo, mid)
            run(mid, hi)

    run(0, split)
    run(split, len(assignments))
    return npv, rec


def _has_cross_rules(plan: Plan, key: str) -> bool:
    """Whether the model holding `key` has validators across its fields (so a value needs checking with the others)."""
    from buildorbuy.scenario.loading import split_field_path

    node: Any = plan.scenario
    for part in split_field_path(key)[:-1]:
        try:
            node = node[part] if isinstance(part, int) else getattr(node, part)
        except (AttributeError, IndexError, KeyError, TypeError):
            return True  # cannot tell: check
    decorators = getattr(type(node), "__pydantic_decorators__", None)
    return decorators is None or bool(decorators.model_validators)
