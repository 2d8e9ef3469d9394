"""voi: what is it worth to find something out before deciding? (expected value of information)

Everything is computed from one Monte Carlo run (`simulate`, same samples and seed), in money:

- the decision now is the candidate path with the lowest mean NPV over the samples; candidates
  are the paths compare can recommend (feasible, serving all traffic, live within the horizon at
  the scenario's estimates). This is not compare's pick, which uses each distribution's estimate
  (a mode or median), not its mean;
- EVPI (expected value of perfect information) = mean over samples of
  NPV(decision now) − min NPV over the paths recommendable in that sample: the expected regret of
  deciding under today's uncertainty. It equals the smallest `expected_regret` simulate reports
  among the candidates (samples where no path is recommendable are left out, as there);
- EVPPI (partial EVPI) of one input X = E[NPV(decision now)] − E_X[min_d E[NPV_d | X]]: the expected
  saving from learning X alone before choosing among the candidates.

EVPPI estimator (single-input "binning" regression, after Strong & Oakley 2013, Med. Decis. Making
33(6):755–766): the samples are ordered by X and cut into B = ⌊√n⌋ groups of equal count (an input
with at most B distinct values, such as a success/failure outcome or a `choice`, is grouped by
value, which is exact); E[NPV_d | X] is each group's mean. Two biases pull in opposite directions:
a wide group averages E[NPV_d | X] over X (understates EVPPI, shrinks like 1/B), and the minimum
over paths of noisy group means is optimistic (overstates EVPPI, grows with B/n). √n balances the
two; the second is then estimated and removed with a parametric bootstrap: each group's mean vector
is redrawn R times from a normal with the group's sample covariance / count, the estimate is
recomputed, and bias = mean(redrawn) − estimate. The result is kept within [0, EVPI].

Standard error by batch means: the samples are split into G = 20 consecutive batches (samples are
independent, so each batch is a small independent run), the same estimator runs on each, and
SE = sd(batch estimates) / √G. This captures both the noise of the group means and the sampling
of the input itself (which a bootstrap of group means alone would miss when the input decides
the NPVs almost exactly).

Bounded work: the estimator's cost is estimator samples × inputs × (pairs of compared paths + 3). EVPPI
compares at most EVPPI_PATHS (8) candidates, the cheapest in the most samples (EVPI compares all;
the restricted EVPPIs are lower bounds), and beyond EVPPI_WORK units it is estimated only for the
inputs most rank-correlated with the regret; both restrictions are reported in a warning and in
`to_dict` (`evppi_paths`, `not_estimated`), which are absent when nothing was restricted.

The inputs are whatever the Monte Carlo run draws (`Simulation.input_keys`): every field given as
a distribution, every drawn success/failure outcome and, with `estimator_error`, each `auto`
estimate's error factor; anything the simulation learns to draw later is picked up without change
here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from buildorbuy.analysis._common import clean
from buildorbuy.errors import AnalysisError
from buildorbuy.phrases import Message

MIN_SAMPLES = 1_000
"""Fewer samples make EVPPI groups too small to estimate anything."""
BOOTSTRAP = 200
"""Parametric bootstrap replicates for each input's bias correction."""
BATCHES = 20
"""Batches for the standard error (batch means)."""
BATCH_BOOTSTRAP = 50
"""Bootstrap replicates for each batch's bias correction (its noise adds ~1 % to the batch variance)."""
EVPPI_PATHS = 8
"""At most this many candidate paths enter the EVPPI regressions (EVPI always compares every candidate).

The estimator's work and memory grow with the pairs of paths (k(k+1)/2 per-sample products and
group covariances per input): 1,326 pairs at 51 paths, against 36 at 8. Beyond 8 candidates, EVPPI
compares the 8 that are cheapest in the most samples (ties: lowest mean NPV), always including the
decision now, and says so in a warning. With a subset S containing the decision now,
E[NPV(now)] − E_X[min_{d∈S} E[NPV_d | X]] can only be smaller than over every candidate, so the
restricted EVPPIs are lower bounds. The simulation keeps at most about samples × 16 / inputs input
rows (`montecarlo.driver_rows`), so with this cap the work, rows × inputs × pairs, is bounded.
Measured (benchmarks/voi_bench.py, 2-core machine): one input at 1,000,000 kept samples with 8
candidates takes ~3 s CPU and a [samples, 36] products array (288 MB); 16 candidates (136 pairs)
would take ~4× that for a single input, past the ~10 s the work budget keeps voi under, so 8 stays."""
PAIR_EQUIVALENT_PER_INPUT = 3
"""Each estimated input's own sort and grouping cost about as much as 3 pairs of paths (measured,
benchmarks/voi_bench.py: at 1,000,000 samples one input takes ~0.44 s CPU with 2 candidates = 3
pairs, ~0.9 s with 4 = 10 pairs, ~3.0 s with 8 = 36 pairs: a + b·pairs with a ≈ 2.7 b)."""
EVPPI_WORK = 100_000_000
"""Budget for the EVPPI estimator's work, estimator samples × estimated inputs × (pairs of compared
paths + PAIR_EQUIVALENT_PER_INPUT). Measured, not chosen (benchmarks/voi_bench.py: in process, the
estimator alone, CPU time, on a shared 2-core machine at load average 4–7): 45–70 ns CPU a unit at
1,000,000 kept samples (25–50 ns at 100,000), so the worst cases within the limits stay under
~10 s: 2 candidates, 32 inputs, 2,000,000 samples (16 inputs estimated, 96,000,000 units) 5.8 s
CPU (11.3 s wall at load average ~7); 8 candidates, 16 inputs, 1,000,000 samples (2 estimated)
5.2 s CPU (10.4 s wall). The default 100,000 samples with 8 candidates and 16 inputs (62,400,000
units, 1.6 s CPU) are never restricted. Beyond it, EVPPI is estimated for the
⌊budget / (samples × (pairs + 3))⌋ inputs (at least one) with the largest |Spearman ρ| with the
regret (NPV of the decision now − the lowest NPV of the compared paths, sample by sample), ranked
on at most RANK_VALUES / inputs samples (at least 10,000); the others are listed as not estimated
(`VoiResult.not_estimated`) and a warning says how many. The simulation itself (which grows with
--samples) is not part of this budget."""
RANK_VALUES = 2_000_000
"""The rank scores that choose the inputs to estimate read at most this many sampled values (the
first max(10,000, RANK_VALUES / inputs) samples of every input): a Spearman ρ from 10,000 samples
is within ~0.01, and ranking every kept sample of many inputs would cost more than the budget."""


@dataclass
class InputValue:
    field: str
    """The sampled input: a field path (`paths[1].serving.gpu_hour_price`) or `<key> (outcome)`."""
    label: str
    """The same with paths by name, for people."""
    evppi: float
    """Expected saving from learning this input alone before deciding (currency)."""
    share_of_evpi: float | None
    se: float
    """Monte Carlo standard error of `evppi`."""
    groups: int
    """Groups the samples were cut into along this input."""


@dataclass
class VoiResult:
    scenario: Any
    samples: int
    seed: int
    evpi: float
    evpi_se: float
    decision_now: str
    """The candidate path with the lowest mean NPV over the samples."""
    mean_npv: dict[str, float]
    """Mean NPV of each candidate path over the samples used."""
    inputs: list[InputValue]
    """Sorted by EVPPI, largest first."""
    used_samples: int
    """Samples with some recommendable path (the others are left out, as in simulate's regret)."""
    estimator_samples: int
    """Samples the EVPPI regressions used (the first ones whose inputs the simulation kept)."""
    warnings: list[str] = field(default_factory=list)
    evppi_paths: list[str] | None = None
    """The candidate paths EVPPI compared when there were more than EVPPI_PATHS (None: all of them)."""
    evppi_work: int = 0
    """The EVPPI estimator's work: estimator samples × estimated inputs × (pairs of compared paths (a ≤ b)
    + PAIR_EQUIVALENT_PER_INPUT)."""
    not_estimated: list[str] = field(default_factory=list)
    """Inputs (fields) whose EVPPI was not estimated, the work budget being spent on the others (EVPPI_WORK)."""

    @property
    def currency(self) -> str:
        return self.scenario.currency

    def to_dict(self) -> dict[str, Any]:
        """`{"evpi", "decision_now", "inputs": [{"field", "evppi", "share_of_evpi", "se"}], "samples", "seed"}`."""
        return clean({
            "evpi": self.evpi,
            "decision_now": self.decision_now,
            "inputs": [{"field": i.field, "evppi": i.evppi, "share_of_evpi": i.share_of_evpi, "se": i.se} for i in self.inputs],
            "samples": self.samples,
            "seed": self.seed,
            **({"evppi_paths": self.evppi_paths} if self.evppi_paths is not None else {}),
            **({"not_estimated": self.not_estimated} if self.not_estimated else {}),
        })


def voi(scenario, samples: int | None = None, seed: int | None = None, *, progress=None,
        estimator_error: bool = False) -> VoiResult:
    """EVPI and each uncertain input's EVPPI from a Monte Carlo run of `samples` samples (≥ 1,000).

    `estimator_error` samples each `auto` estimate's calibrated error too (as `simulate` does), and
    values learning it. Raises AnalysisError when nothing is uncertain or no path can be recommended.
    """
    from buildorbuy.analysis.montecarlo import DEFAULT_SAMPLES, DEFAULT_SEED, is_uncertain, simulate

    samples = DEFAULT_SAMPLES if samples is None else samples
    seed = DEFAULT_SEED if seed is None else seed
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < MIN_SAMPLES:
        raise AnalysisError(f"value of information needs at least {MIN_SAMPLES:,} samples (got {samples!r})", field="samples")
    nothing = AnalysisError("nothing in the scenario is uncertain (no distributions, every success_probability is 1"
                            + (", no estimate with a calibrated error" if estimator_error else "") + "): there is no information to value")
    if not is_uncertain(scenario) and not estimator_error:
        raise nothing
    kwargs = {"estimator_error": True} if estimator_error else {}
    sim = simulate(scenario, samples, seed, progress=progress, **kwargs)
    if not sim.input_keys:
        raise nothing
    return voi_from_simulation(sim)


def candidates(scenario) -> list[int]:
    """Paths compare can recommend at the scenario's estimates (indexes)."""
    from buildorbuy.engine.core import evaluate
    from buildorbuy.engine.plan import compile_plan

    result = evaluate(compile_plan(scenario), keep_components=False)
    return [int(i) for i in np.flatnonzero(result.recommendable[0])]


def voi_from_simulation(sim, *, max_paths: int = EVPPI_PATHS, work_budget: int = EVPPI_WORK) -> VoiResult:
    """EVPI and EVPPI from a finished simulation (it must keep its per-sample arrays).

    EVPPI compares at most EVPPI_PATHS candidates and, beyond `work_budget` (EVPPI_WORK), is
    estimated for the inputs most rank-correlated with the NPV differences only."""
    if sim.recommendable is None or sim.columns is None:
        raise AnalysisError("internal error: the simulation did not keep its samples")
    names = [p.name for p in sim.paths]
    cand = candidates(sim.scenario)
    if not cand:
        raise AnalysisError("no path is feasible, serves all traffic and is live within the horizon at the scenario's estimates")
    from buildorbuy.analysis.montecarlo import _cheapest

    npv = sim.npv
    best = _cheapest(npv, sim.recommendable)[0]  # path by path: no [samples, paths] temporary
    has = np.isfinite(best)
    used = int(has.sum())
    if used == 0:
        raise AnalysisError("no path is recommendable in any sample")
    y = _candidate_columns(npv, np.flatnonzero(has), cand)
    means = y.mean(axis=0)
    now = int(np.argmin(means))
    regret = y[:, now] - best[has]
    evpi = float(regret.mean())
    evpi_se = float(regret.std(ddof=1) / math.sqrt(used)) if used > 1 else 0.0

    rows = sim.columns.shape[0]
    keep = has[:rows]
    keep_rows = np.flatnonzero(keep)
    compared = evppi_candidates(y, means, now, max_paths)
    y_est = _candidate_columns(npv, keep_rows, [cand[m] for m in compared])
    del y
    pairs = len(compared) * (len(compared) + 1) // 2
    per_input = max(int(keep_rows.size) * (pairs + PAIR_EQUIVALENT_PER_INPUT), 1)
    estimated = list(range(len(sim.input_keys)))
    if len(estimated) * per_input > work_budget:
        ranked = max(RANK_VALUES // max(len(estimated), 1), 10_000)
        score = _rank_scores(sim.columns, keep_rows[:ranked], y_est[:ranked], compared.index(now))
        fit = max(work_budget // per_input, 1)
        estimated = sorted(sorted(estimated, key=lambda j: (-score[j], j))[:fit])
    work = len(estimated) * per_input
    labels = [_label(names, key) for key in sim.input_keys]
    inputs = []
    for j in estimated:
        key = sim.input_keys[j]
        rng = np.random.Generator(np.random.PCG64([sim.seed, j]))
        value, se, groups = evppi(sim.columns[keep_rows, j], y_est, rng)  # one input's column at a time
        value = min(max(value, 0.0), evpi)
        inputs.append(InputValue(field=key, label=labels[j], evppi=value, se=se,
                                 share_of_evpi=value / evpi if evpi > 0 else None, groups=groups))
    inputs.sort(key=lambda i: (-i.evppi, i.field))
    warnings = list(sim.warnings)
    if len(cand) < len(names):
        left = [names[i] for i in range(len(names)) if i not in cand]
        warnings.append(Message("not_candidate", paths=left))
    evppi_paths = None
    if len(compared) < len(cand):
        evppi_paths = [names[cand[m]] for m in compared]
        warnings.append(Message("voi_paths", k=len(compared), n=len(cand), paths=evppi_paths))
    skipped = sorted(set(range(len(sim.input_keys))) - set(estimated))
    if skipped:
        warnings.append(Message("voi_inputs", k=f"{len(estimated):,}", n=f"{len(sim.input_keys):,}",
                                skipped=f"{len(skipped):,}", budget=f"{work_budget:,}"))
    return VoiResult(
        scenario=sim.scenario, samples=sim.samples, seed=sim.seed, evpi=evpi, evpi_se=evpi_se,
        decision_now=names[cand[now]], mean_npv={names[c]: float(m) for c, m in zip(cand, means)},
        inputs=inputs, used_samples=used, estimator_samples=int(keep.sum()), warnings=warnings,
        evppi_paths=evppi_paths, evppi_work=work, not_estimated=[sim.input_keys[j] for j in skipped],
    )


def _rank_scores(columns: np.ndarray, rows: np.ndarray, y: np.ndarray, now: int) -> np.ndarray:
    """Each input's |Spearman ρ| with the regret NPV_now − min_d NPV_d over the compared paths [inputs],
    from the kept samples `rows` of `columns` [kept, inputs] and their NPVs y [rows, compared paths].
    An input can only have EVPPI by changing which path is cheapest, which moves the regret. Ties get
    arbitrary (stable) ranks; constant inputs score 0. Input by input: no [rows, inputs] copy."""
    n = y.shape[0]
    scores = np.zeros(columns.shape[1])
    regret = y[:, now] - y.min(axis=1)
    if n < 2 or np.ptp(regret) == 0:
        return scores
    ranked = np.empty(n)
    ranked[np.argsort(regret, kind="stable")] = np.arange(n)
    ranked -= ranked.mean()
    ranked /= np.sqrt(ranked @ ranked)
    r = np.empty(n)
    for j in range(columns.shape[1]):
        x = columns[rows, j]
        if np.ptp(x) == 0:
            continue
        r[np.argsort(x, kind="stable")] = np.arange(n)
        r -= r.mean()
        scores[j] = abs(float(r @ ranked)) / math.sqrt(float(r @ r))
    return scores


def evppi_candidates(y: np.ndarray, means: np.ndarray, now: int, limit: int = EVPPI_PATHS) -> list[int]:
    """The columns of y [samples, candidates] EVPPI compares: all when there are at most `limit`;
    otherwise the `limit` cheapest in the most samples (ties: lower mean NPV, then order), always
    including `now` (the decision now), in their original order."""
    k = y.shape[1]
    if k <= limit:
        return list(range(k))
    wins = np.bincount(np.argmin(y, axis=1), minlength=k)
    ranked = sorted(range(k), key=lambda c: (-int(wins[c]), float(means[c]), c))
    chosen = ranked[:limit]
    if now not in chosen:
        chosen[-1] = now
    return sorted(chosen)


def _candidate_columns(npv: np.ndarray, rows: np.ndarray, cand: list[int]) -> np.ndarray:
    """npv[rows][:, cand] without its [rows, paths] intermediate: column by column into the same column-major
    layout numpy gives that expression (the means sum in that order, so the figures keep their bits)."""
    out = np.empty((rows.size, len(cand)), order="F")
    for m, c in enumerate(cand):
        out[:, m] = npv[rows, c]
    return out


def evppi(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, *, replicates: int = BOOTSTRAP,
          batches: int = BATCHES) -> tuple[float, float, int]:
    """(EVPPI, its standard error, groups) of input samples x [n] for path NPVs y [n, paths] (lower is better).

    See the module docstring for the estimator and its standard error. The input is sorted once;
    each batch's order is read off the whole sample's.
    """
    n, k = y.shape
    if n < 2 or k < 2:
        return 0.0, 0.0, 1
    column_mean = y.mean(axis=0)
    centred = y - column_mean  # for the covariances' precision; the group means get it back
    upper = np.triu_indices(k)
    products = centred[:, upper[0]] * centred[:, upper[1]]
    distinct = np.unique(x)
    order = np.argsort(x, kind="stable") if distinct.size > math.isqrt(max(n // batches, 1)) else None

    def groups_of(lo: int, hi: int) -> tuple[np.ndarray, int]:
        m = hi - lo
        bins = max(1, math.isqrt(m))
        if distinct.size <= bins:
            return np.searchsorted(distinct, x[lo:hi]), distinct.size
        inside = order if m == n else order[(order >= lo) & (order < hi)] - lo
        group = np.empty(m, dtype=np.intp)
        group[inside] = np.arange(m) * bins // m
        return group, bins

    def binned(lo: int, hi: int, draws: int) -> tuple[float, int]:
        group, bins = groups_of(lo, hi)
        return _binned(group, bins, centred[lo:hi], products[lo:hi], upper, column_mean, rng, draws)

    value, groups = binned(0, n, replicates)
    size = n // batches
    if size < 2:
        return value, float("nan"), groups
    each = [binned(b * size, (b + 1) * size, min(replicates, BATCH_BOOTSTRAP))[0] for b in range(batches)]
    return value, float(np.std(each, ddof=1) / math.sqrt(batches)), groups


def _binned(group: np.ndarray, bins: int, centred: np.ndarray, products: np.ndarray, upper, column_mean: np.ndarray,
            rng: np.random.Generator, replicates: int) -> tuple[float, int]:
    """The binning estimate of EVPPI with its bootstrap bias correction, and the number of (non-empty) groups.

    `centred` [n, paths] are the NPVs less `column_mean`; `products` [n, pairs] their products for
    the pairs (a ≤ b) in `upper`.
    """
    n, k = centred.shape
    count = np.bincount(group, minlength=bins).astype(float)
    used = count > 0
    if used.sum() < 2:
        return 0.0, int(used.sum())
    count = count[used]
    sums = np.stack([np.bincount(group, weights=centred[:, c], minlength=bins) for c in range(k)], axis=1)[used]
    mean = sums / count[:, None]
    second = np.empty((count.size, k, k))
    for j, (a, b) in enumerate(zip(*upper)):
        second[:, a, b] = second[:, b, a] = np.bincount(group, weights=products[:, j], minlength=bins)[used] / count
    cov = second - mean[:, :, None] * mean[:, None, :]
    cov *= (count / np.maximum(count - 1, 1))[:, None, None]
    cov_of_mean = cov / count[:, None, None]
    weight = count / n

    def estimate(m: np.ndarray) -> np.ndarray:
        """m [..., groups, paths] → EVPPI [...]."""
        return (m * weight[:, None]).sum(axis=-2).min(axis=-1) - (m.min(axis=-1) * weight).sum(axis=-1)

    mean = mean + column_mean
    value = float(estimate(mean))
    eigval, eigvec = np.linalg.eigh(cov_of_mean)
    root = eigvec * np.sqrt(np.clip(eigval, 0.0, None))[:, None, :]
    z = rng.standard_normal((count.size, k, replicates))
    redrawn = estimate(mean[None] + np.moveaxis(root @ z, -1, 0))
    bias = float(redrawn.mean()) - value
    return value - bias, int(count.size)


def _label(names: list[str], key: str) -> str:
    """The input as --set takes it, paths by name (`_common.shown_field`)."""
    from buildorbuy.analysis._common import shown_field

    return shown_field(key, names)
