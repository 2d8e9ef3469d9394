"""simulate: Monte Carlo over the fields given as distributions, through the one engine.

Each chunk of samples is one `engine.evaluate` call whose batch holds every sampled field:
- distributions are drawn with the chunk's own `numpy.random.Generator`, correlated by
  Iman–Conover where the scenario asks, and clipped/rounded into their field's range;
- a path with `success_probability` p < 1 (fixed or sampled) gets its outcome drawn per sample
  as a Bernoulli(p), passed to the engine as p = 1 or 0: the engine's expectation formula
  p·success + (1−p)·failure then gives exactly the success or the failure flows.

Reproducibility: chunk c draws from `SeedSequence(seed).spawn(n_chunks)[c]` and chunks have a
fixed size (`CHUNK_SIZE`), so a seed gives the same numbers on every machine, byte for byte.

Memory: each chunk is evaluated in engine calls of `engine_slice(plan)` samples, sized so the
engine's [slice, path, month] arrays stay near ENGINE_BYTES whatever the horizon and the number
of paths (a 60-month, 3-path scenario: 5,555 samples per call); each call is reduced at once to
per-sample, per-path figures (NPV, cost per 1M tokens, recommendable) and per-year winner
counts. What grows with the samples is 13·paths bytes per sample (NPV 8, recommendable 1, and the
cost per 1M tokens as a 4-byte float32 order key: its P10/P50/P90 re-evaluate the few samples
they read, so they are exact), plus the sampled inputs (8 bytes per input) for the first
`driver_rows` samples, which the drivers, the inputs' percentiles and voi use: every sample up to
DRIVER_SAMPLES while a scenario has at most INPUTS_PER_SAMPLE (16) inputs, fewer beyond, so they
never take more than 128 bytes per sample whatever the number of paths.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from buildorbuy.analysis.sampling import iman_conover, rankdata, ranks_and_order, round_relative, spearman_with
from buildorbuy.engine.core import evaluate
from buildorbuy.engine.plan import compile_plan
from buildorbuy.errors import AnalysisError
from buildorbuy.scenario.models import Scenario
from buildorbuy.phrases import Message

WORKERS = min(2, os.cpu_count() or 1)
"""Chunks evaluated at once in threads (numpy releases the GIL in its array loops); results do not depend on it.
At most this many: see `threads`."""
BUSY_MARGIN = 0.5
"""`threads` runs one thread when the 1-minute load average is above the CPUs − this margin (no idle CPU)."""


def threads(work: int = WORKERS) -> int:
    """Threads for `work` independent pieces: up to WORKERS, but one while the machine has no idle CPU (1-minute
    load average above its CPUs − BUSY_MARGIN). A second thread then only competes for the same CPUs: on the
    2-CPU development machine at load 3.5–6.3, a 100,000-sample simulate took 10–12 % less CPU time and wall
    time on one thread than on two (it shares caches and memory bandwidth with its sibling and gets no core
    of its own); on an idle machine two threads cut the wall time. Only the speed depends on it, never a figure."""
    count = max(1, min(WORKERS, work))
    if count > 1:
        try:
            cpus = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # pragma: no cover - not Linux
            cpus = os.cpu_count() or 1
        try:
            if os.getloadavg()[0] > cpus - BUSY_MARGIN:
                return 1
        except (AttributeError, OSError):  # pragma: no cover - no load average (Windows)
            pass
    return count
FEW_SAMPLES = 1_000
"""Below this many samples the summary says its figures are rough."""
DRIVER_BLOCK = 65_536
"""Rows per block when forming the rank correlation matrix (bounds its temporaries)."""
DRIVER_BLOCK_BYTES = 8 * 1024 * 1024
"""At most this many bytes per block of that matrix: fewer rows when there are many inputs (a
51-path scenario has ~200), so the block stays small whatever the number of paths."""
CHUNK_SIZE = 10_000
"""Samples per random-number stream (one chunk); fixed, so results never depend on the machine."""
ENGINE_BYTES = 96e6
"""Memory budget of one engine call's [slice, path, month] arrays (see `engine_slice`). Each call also costs
~1.3 ms of Python whatever its size, so fewer, bigger calls are cheaper until the arrays outgrow the cache:
at 60 months × 3 paths, 5,555-sample calls took ~5 % less CPU than 2,777-sample ones (48e6), 8,333-sample
ones ~10 % more."""
ENGINE_ARRAYS = 12
"""About how many [slice, path, month] float64 arrays an engine call holds at once (keep_components=False)."""
DRIVER_SAMPLES = 1_000_000
"""Drivers (rank correlations) and the sampled inputs' percentiles use the first this many samples:
their sampling error there is about 1/sqrt(1e6) = 0.001, and beyond it they would cost
8 bytes per sample per input (10 GB-scale at 1e7 samples with many inputs)."""
INPUTS_PER_SAMPLE = 16
"""Memory budget of the kept sampled inputs: 16 values (128 bytes) per sample of the run. A scenario
with at most 16 sampled inputs (every bundled one: 12 at most) keeps them for its first
DRIVER_SAMPLES samples; one with more keeps them for the first samples × 16 / inputs, in whole
chunks and at least one chunk, so their memory does not grow with the number of paths (see `driver_rows`)."""
MAX_SAMPLES = 10_000_000
DEFAULT_SAMPLES = 100_000
DEFAULT_SEED = 42
HISTOGRAM_BINS = 24

Progress = Callable[[int, int], None]
"""progress(samples done, samples in all), called after each chunk."""


@dataclass
class PathOutcome:
    name: str
    kind: str
    npv_p10: float
    npv_p50: float
    npv_p90: float
    npv_mean: float
    cost_per_million_tokens_p10: float | None
    cost_per_million_tokens_p50: float | None
    cost_per_million_tokens_p90: float | None
    win_probability: float
    """Share of samples where this path has the lowest NPV among the recommendable paths."""
    win_probability_by_year: list[float]
    """Share of samples where it has the lowest cumulative cost (undiscounted) at each year-end."""
    expected_regret: float | None
    """Mean of NPV(this path) − lowest NPV among recommendable paths (samples with any); None for a
    path never recommendable (an infeasible path is no choice: its NPV, often the lowest, is no regret)."""
    recommendable_probability: float
    """Share of samples where this path is feasible and serves all traffic."""
    success_rate: float | None
    """Share of samples whose drawn outcome was success (None: success_probability is 1)."""


@dataclass
class Simulation:
    """The result of `simulate`: summaries plus the per-sample NPVs ([samples, paths]; when nothing is drawn,
    every sample is the same and `npv`/`recommendable` are one row repeated, a read-only broadcast)."""

    scenario: Scenario
    samples: int
    seed: int
    chunk_size: int
    paths: list[PathOutcome]
    years: list[dict[str, int]]
    """Each year-end used for win_probability_by_year: {year, month} (month = last month, 0-based)."""
    no_winner_probability: float
    winner: str | None
    runner_up: str | None
    drivers: list[dict[str, Any]]
    """Inputs by |Spearman correlation| with NPV(winner) − NPV(runner-up), strongest first."""
    inputs: list[dict[str, Any]]
    """Every sampled input: field, label, how it is drawn, estimate, sampled P10/P50/P90."""
    histogram: dict[str, Any]
    warnings: list[str]
    npv: np.ndarray = field(repr=False)
    recommendable: np.ndarray | None = field(default=None, repr=False)
    """[samples, paths]: the path is feasible, serves all traffic and is live in that sample."""
    columns: np.ndarray | None = field(default=None, repr=False)
    """[rows, inputs] the sampled inputs as drawn, one column per `input_keys` (rows ≤ samples: the first ones)."""
    input_keys: list[str] = field(default_factory=list)
    """Names of `columns`: sampled fields, then `<key> (outcome)` for drawn success/failure outcomes."""
    estimator_error: list[dict[str, Any]] | None = None
    """With `estimator_error`: each sampled `auto` estimate {field, error_factor_p80, sigma}."""

    @property
    def currency(self) -> str:
        return self.scenario.currency

    def to_dict(self) -> dict[str, Any]:
        """Plain data for `--format json`: `samples`, `seed`, `paths` [{name, npv_p10, npv_p50, npv_p90,
        win_probability, …}] are the contract; the rest may grow."""
        from buildorbuy.analysis.compare import _clean

        from buildorbuy.analysis._common import scenario_header, versions

        return _clean({
            "scenario": scenario_header(self.scenario),
            "samples": self.samples,
            "seed": self.seed,
            "chunk_size": self.chunk_size,
            "paths": [dict(p.__dict__) for p in self.paths],
            "years": self.years,
            "no_winner_probability": self.no_winner_probability,
            "winner": self.winner,
            "runner_up": self.runner_up,
            "drivers": self.drivers,
            "inputs": self.inputs,
            "histogram": self.histogram,
            **({"estimator_error": self.estimator_error} if self.estimator_error else {}),
            "warnings": self.warnings,
            "versions": versions(),
        })


@dataclass
class _Draws:
    batch: dict[str, np.ndarray]
    """What the engine gets: sampled fields and 0/1 outcomes."""
    columns: np.ndarray
    """[n, inputs] the sampled inputs as drawn (success_probability as p, outcomes as 0/1)."""


@dataclass
class _Sampler:
    """What to draw for a scenario: its distributions, correlations and uncertain outcomes."""

    keys: list[str]
    uncertain: list[Any]
    correlated: list[int]
    rank_matrix: np.ndarray | None
    outcomes: list[tuple[int, str]]
    """(path index, success_probability key) of paths whose outcome is drawn."""
    base: dict[str, float]

    @property
    def labels(self) -> list[str]:
        return self.keys + [f"{key} (outcome)" for _, key in self.outcomes]

    def draw(self, rng: np.random.Generator, n: int) -> _Draws:
        k = len(self.uncertain)
        # column-major: each input is one contiguous column, and the engine's batch holds views of
        # `columns` (the engine never writes into its inputs), not a second copy of every input
        columns = np.empty((n, k + len(self.outcomes)), order="F")
        raw = columns[:, :k]
        for j, item in enumerate(self.uncertain):
            raw[:, j] = item.distribution.sample(rng, n)
        if self.correlated:
            raw[:, self.correlated] = iman_conover(raw[:, self.correlated], self.rank_matrix, rng)
        batch: dict[str, np.ndarray] = {}
        for j, item in enumerate(self.uncertain):
            raw[:, j] = item.range.to_field(raw[:, j])
            batch[item.key] = columns[:, j]
        for m, (_, key) in enumerate(self.outcomes):
            p = batch[key] if key in batch else np.full(n, self.base[key])
            np.less(rng.random(n), p, out=columns[:, k + m])  # success as 1.0 / 0.0
            batch[key] = columns[:, k + m]
        return _Draws(batch=batch, columns=columns)


def engine_slice(plan) -> int:
    """Samples per engine call: ENGINE_BYTES over the bytes one sample takes ([path, month] arrays).

    Depends only on the scenario's shape, never on the machine; results do not depend on it at
    all (each sample is evaluated on its own).
    """
    per_sample = 8.0 * max(len(plan.paths), 1) * plan.horizon * ENGINE_ARRAYS
    return int(min(CHUNK_SIZE, max(64, ENGINE_BYTES // per_sample)))


def driver_rows(samples: int, inputs: int) -> int:
    """Samples whose sampled inputs are kept (the first ones), for drivers, input percentiles and voi's EVPPI.

    min(samples, DRIVER_SAMPLES) while the inputs fit INPUTS_PER_SAMPLE values per sample; beyond,
    samples × INPUTS_PER_SAMPLE / inputs rounded down to whole chunks, at least one chunk (CHUNK_SIZE;
    a rank correlation's sampling error is then ≤ ~1/sqrt(10,000) = 0.01).
    """
    rows = min(samples, DRIVER_SAMPLES)
    if inputs > INPUTS_PER_SAMPLE:
        budget = samples * INPUTS_PER_SAMPLE // inputs // CHUNK_SIZE * CHUNK_SIZE
        rows = min(rows, max(budget, CHUNK_SIZE))
    return rows


def _sampler(scenario: Scenario, plan) -> _Sampler:
    from buildorbuy.scenario.uncertainty import rank_correlation_matrix

    uncertain = list(scenario._distributions.values())
    known = set(plan.base) | {d.key for d in plan.derived}
    for item in uncertain:
        if item.key not in known:
            raise AnalysisError("this field is given as a distribution but the scenario does not use its value",
                                field=item.key, source=scenario._source)
    keys = [item.key for item in uncertain]
    correlated: list[int] = []
    matrix = None
    if scenario.correlations:
        corr_keys, rank = rank_correlation_matrix(scenario)
        correlated = [keys.index(key) for key in corr_keys]
        matrix = np.array(rank)
    outcomes = []
    for i in range(len(scenario.paths)):
        key = f"paths[{i}].success_probability"
        if key in keys or plan.base.get(key, 1.0) < 1.0:
            outcomes.append((i, key))
    return _Sampler(keys=keys, uncertain=uncertain, correlated=correlated, rank_matrix=matrix, outcomes=outcomes, base=plan.base)


def _estimator_errors(plan) -> list[tuple[str, float]]:
    """(key, log-space σ) of every derived estimate with a calibrated error factor."""
    from buildorbuy.estimators.error_bars import sigma_from_factor

    return [(d.key, sigma_from_factor(d.error_factor_p80)) for d in plan.derived if getattr(d, "error_factor_p80", None)]


def _with_estimator_error(plan, batch: dict[str, np.ndarray], errors, rng: np.random.Generator, n: int,
                          factors: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The batch with each estimate set to its value (following the sampled inputs) × a lognormal
    factor exp(σ·z); MFUs are capped at 1. Draws come after the sampler's, so they change nothing else.
    The factors drawn are written into `factors` [n, errors] when given."""
    from buildorbuy.engine.core import resolve_params

    params, _ = resolve_params(plan, batch)
    out = dict(batch)
    for j, (key, sigma) in enumerate(errors):
        factor = np.exp(sigma * rng.standard_normal(n))
        if factors is not None:
            factors[:, j] = factor
        value = np.broadcast_to(params[key], (n,)) * factor
        out[key] = np.minimum(value, 1.0) if key.endswith(".mfu") else value
    return out


NOTHING_UNCERTAIN = "nothing in the scenario is uncertain"


def is_uncertain(scenario: Scenario) -> bool:
    """Whether a simulation can differ from compare: some field is a distribution or some path may fail."""
    return bool(scenario._distributions) or any(path.success_probability < 1 for path in scenario.paths)


def _check_samples(samples: Any) -> int:
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or not 1 <= samples <= MAX_SAMPLES:
        raise AnalysisError(f"must be a whole number from 1 to {MAX_SAMPLES:,} (got {samples!r})", field="samples")
    return int(samples)


def simulate(
    scenario: Scenario,
    samples: int = DEFAULT_SAMPLES,
    seed: int | None = DEFAULT_SEED,
    *,
    progress: Progress | None = None,
    estimator_error: bool = False,
) -> Simulation:
    """Monte Carlo over the scenario's distributions and success/failure outcomes.

    `estimator_error`: also sample each `auto` estimate that has a calibrated error (training
    and fine-tuning MFU, serving throughput) as a lognormal around its value with
    σ = ln(error_factor_p80) / 1.2816, so estimator error shows in the percentiles and win
    probabilities. Off by default: then the draws are exactly those of a run without it.

    The same `seed` gives the same result on every machine; `seed=None` draws a fresh seed and
    reports it (in `Simulation.seed`), so any run can be repeated.
    """
    samples = _check_samples(samples)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise AnalysisError(f"must be a whole number ≥ 0 (got {seed!r})", field="seed")
    seed = int(seed)
    plan = compile_plan(scenario)
    sampler = _sampler(scenario, plan)
    errors = _estimator_errors(plan) if estimator_error else []
    horizon = plan.horizon
    n_paths = len(plan.paths)
    year_ends = list(range(11, horizon, 12))
    if not year_ends or year_ends[-1] != horizon - 1:
        year_ends.append(horizon - 1)

    if not sampler.uncertain and not sampler.outcomes and not errors:  # nothing is drawn: every sample is the same
        once = _simulate_once(scenario, plan, sampler, samples, seed, year_ends)
        if once is not None:
            if progress is not None:
                progress(samples, samples)
            return once

    n_chunks = math.ceil(samples / CHUNK_SIZE)
    seeds = np.random.SeedSequence(seed).spawn(n_chunks)
    npv = np.empty((samples, n_paths))
    # cost per 1M tokens only feeds three percentiles per path: float32 order keys (4 bytes, not 8);
    # the few samples the percentiles read are evaluated again for their exact figures (`_KeyPercentiles`)
    cpm = np.empty((samples, n_paths), dtype=np.float32)
    # the keys' base: each path's cost per 1M tokens at the scenario's estimates (0 where not finite)
    cpm_base = evaluate(plan, keep_components=False).cost_per_million_tokens[0]
    cpm_base = np.where(np.isfinite(cpm_base), cpm_base, 0.0)
    # per chunk and path: finite figures that are not base + their key exactly (then the key alone gives no figure)
    cpm_inexact = np.zeros((n_chunks, n_paths), dtype=np.int64)
    recommendable = np.empty((samples, n_paths), dtype=bool)
    # the sampled inputs are kept for the first `driver_rows` samples only (drivers, input
    # percentiles, voi's EVPPI); outcome successes and per-year winners are counted chunk by chunk
    kept = driver_rows(samples, len(sampler.labels) + len(errors))
    columns = np.empty((kept, len(sampler.labels)), order="F")  # column-major: drivers and voi read it column by column
    successes = np.zeros((n_chunks, len(sampler.outcomes)), dtype=np.int64)
    chunk_year_wins = np.zeros((n_chunks, len(year_ends), n_paths + 1), dtype=np.int64)
    warnings: list[str] = []
    step = engine_slice(plan)
    k = len(sampler.uncertain)
    error_factors = np.empty((kept, len(errors)))  # drawn estimator-error factors, kept like the sampled inputs

    def chunk_batch(c: int, factors: np.ndarray | None = None) -> tuple[int, _Draws, dict[str, np.ndarray]]:
        """Chunk c's size, draws and engine batch (the same numbers each time it is called)."""
        lo = c * CHUNK_SIZE
        n = min(CHUNK_SIZE, samples - lo)
        rng = np.random.Generator(np.random.PCG64(seeds[c]))
        draws = sampler.draw(rng, n)
        batch = draws.batch or {"discount_rate": np.full(n, plan.base["discount_rate"])}
        if errors:
            batch = _with_estimator_error(plan, batch, errors, rng, n, factors)
        if next(iter(batch.values())).shape[0] != n:  # pragma: no cover - defensive
            raise AnalysisError("internal error: batch of the wrong size")
        return n, draws, batch

    def store_cpm(c: int, start: int, values: np.ndarray) -> None:
        """Keep an engine call's cost per 1M tokens [slice, paths] from row `start` as order keys, and its range."""
        key = _order_key(values, cpm_base)
        cpm[start : start + values.shape[0]] = key
        cpm_inexact[c] += np.count_nonzero(np.isfinite(values) & (key.astype(np.float64) + cpm_base != values), axis=0)

    def evaluate_cpm(batch: dict[str, np.ndarray], pick: np.ndarray, out: np.ndarray) -> None:
        """out[pick] = the cost per 1M tokens of the batch's rows, in engine calls of `step` samples at most."""
        for a in range(0, pick.size, step):
            out[pick[a : a + step]] = evaluate(plan, {key: value[a : a + step] for key, value in batch.items()},
                                               keep_components=False, year_ends=year_ends).cost_per_million_tokens

    def exact_cpm(rows: np.ndarray) -> np.ndarray:
        """Cost per 1M tokens [rows, paths] of the given samples (sorted, unique), evaluated again: from the kept
        sampled inputs where they are the whole batch (the first `kept` samples, no estimator error), else
        from their chunk's draws, chunk by chunk."""
        out = np.empty((rows.size, n_paths))
        from_kept = rows < kept if not errors and sampler.labels else np.zeros(rows.size, dtype=bool)
        if from_kept.any():
            pick = np.flatnonzero(from_kept)
            stored = {item.key: columns[rows[pick], j] for j, item in enumerate(sampler.uncertain)}
            stored.update({key: columns[rows[pick], k + m] for m, (_, key) in enumerate(sampler.outcomes)})
            evaluate_cpm(stored, pick, out)
        chunk_of = np.where(from_kept, -1, rows // CHUNK_SIZE)
        for c in np.unique(chunk_of[chunk_of >= 0]):
            pick = np.flatnonzero(chunk_of == c)
            batch = chunk_batch(int(c))[2]
            local = rows[pick] - int(c) * CHUNK_SIZE
            evaluate_cpm({key: value[local] for key, value in batch.items()}, pick, out)
            del batch  # before the next chunk's draws: one chunk's inputs at a time
        return out

    def run_chunk(c: int) -> tuple[int, list[str]]:
        """Draw and evaluate chunk c, writing its rows; chunks touch disjoint rows, so they can run at once.

        The chunk's draws are evaluated `step` samples at a time: per-sample results do not
        depend on the slicing, and the engine's [slice, path, month] arrays stay within
        ENGINE_BYTES whatever the horizon and the number of paths.
        """
        lo = c * CHUNK_SIZE
        n = min(CHUNK_SIZE, samples - lo)
        _, draws, batch = chunk_batch(c, error_factors[lo : lo + n] if lo + n <= kept else None)
        if lo < kept:
            columns[lo : lo + n] = draws.columns[: kept - lo]
        if sampler.outcomes:
            successes[c] = draws.columns[:, k:].sum(axis=0)
        chunk_warnings: list[str] = []
        for a in range(0, n, step):
            b = min(a + step, n)
            result = evaluate(plan, {key: value[a:b] for key, value in batch.items()}, keep_components=False,
                              year_ends=year_ends)
            npv[lo + a : lo + b] = result.npv
            store_cpm(c, lo + a, result.cost_per_million_tokens)
            rec = result.recommendable
            recommendable[lo + a : lo + b] = rec
            if a == 0:
                chunk_warnings = list(dict.fromkeys(result.warnings))
            cumulative = result.year_end_costs  # [slice, path, year]
            del result
            best = _cheapest_by_year(cumulative, rec)
            best += np.arange(len(year_ends)) * (n_paths + 1)  # one count of (year, path) pairs for every year at once
            chunk_year_wins[c] += np.bincount(best.ravel(), minlength=len(year_ends) * (n_paths + 1)).reshape(len(year_ends), -1)
        return lo + n, chunk_warnings

    workers = threads(n_chunks)
    if workers == 1:
        outcomes = map(run_chunk, range(n_chunks))
        executor = None
    else:
        from concurrent.futures import ThreadPoolExecutor

        executor = ThreadPoolExecutor(max_workers=workers)
        outcomes = executor.map(run_chunk, range(n_chunks))
    try:
        for c, (done, chunk_warnings) in enumerate(outcomes):
            if c == 0:
                warnings = chunk_warnings
            if progress is not None:
                progress(done, samples)
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    year_wins = chunk_year_wins.sum(axis=0)
    success_rates = successes.sum(axis=0) / samples
    reading = _KeyPercentiles(cpm, base=cpm_base, exact=cpm_inexact.sum(axis=0) == 0)
    del cpm  # the keys are done with once the samples to read again are known: freed before their draws
    cpm_percentiles = reading.finish(exact_cpm(reading.rows))
    result = _summarise(scenario, plan, sampler, samples, seed, npv, cpm_percentiles, recommendable, columns, success_rates,
                        year_wins, year_ends, warnings)
    if kept < min(samples, DRIVER_SAMPLES):  # beyond the inputs' memory budget (never a scenario with ≤ 16 inputs)
        result.warnings = result.warnings + [Message("drivers_budget", rows=f"{kept:,}", n=f"{samples:,}", per=INPUTS_PER_SAMPLE,
                                                     inputs=len(sampler.labels) + len(errors), error=f"{1 / math.sqrt(kept):.2f}")]
    if errors:
        factors = {d.key: d.error_factor_p80 for d in plan.derived}
        result.estimator_error = [{"field": key, "error_factor_p80": factors[key], "sigma": sigma} for key, sigma in errors]
        # the sampled estimator error varies the samples: 'every sample equals compare' would be false
        result.warnings = [w for w in result.warnings if not w.startswith(NOTHING_UNCERTAIN)]
        # the drawn error factors are inputs too (value of information reads `columns`; drivers are unchanged)
        result.columns = np.hstack([result.columns, error_factors])
        result.input_keys = result.input_keys + [f"{key} (estimator error)" for key, _ in errors]
    return result


def _simulate_once(scenario: Scenario, plan, sampler: _Sampler, samples: int, seed: int, year_ends: list[int]) -> Simulation | None:
    """`simulate` when nothing is drawn (no distribution, no success_probability below 1, no estimator
    error): every sample's batch holds the same numbers, so the engine is called once, on the batch the
    first engine call of a sample-by-sample run gets (so its warnings are that run's), and every per-sample
    array is that row repeated (a read-only broadcast, no memory per sample). The summary is the same code
    on the same values, so the figures are those of the sample-by-sample run. None if the rows of that
    call differ (never expected: then the caller runs sample by sample)."""
    n_paths = len(plan.paths)
    size = min(engine_slice(plan), samples)
    result = evaluate(plan, {"discount_rate": np.full(size, plan.base["discount_rate"])}, keep_components=False,
                      year_ends=year_ends)
    rows = [result.npv, result.cost_per_million_tokens, result.recommendable, result.year_end_costs]
    if not all(np.array_equal(a, np.broadcast_to(a[:1], a.shape), equal_nan=a.dtype.kind == "f") for a in rows):  # pragma: no cover
        return None
    npv = np.broadcast_to(result.npv[0], (samples, n_paths))
    recommendable = np.broadcast_to(result.recommendable[0], (samples, n_paths))
    cheapest = _cheapest_by_year(result.year_end_costs[:1], result.recommendable[:1])[0]  # [year]
    year_wins = np.zeros((len(year_ends), n_paths + 1), dtype=np.int64)
    year_wins[np.arange(len(year_ends)), cheapest] = samples
    quantiles = np.true_divide(np.asarray((10, 50, 90), dtype=float), 100)
    cpm_percentiles: list[list[float | None]] = []
    for figure in result.cost_per_million_tokens[0]:  # every sample's figure is this one (percentiles read finite figures)
        cpm_percentiles.append([float(_lerp_percentile(v, np.floor(v), lambda r, x=np.float64(figure): x, samples))
                                for v in (samples - 1) * quantiles] if np.isfinite(figure) else [None, None, None])
    columns = np.empty((driver_rows(samples, 0), 0), order="F")
    warnings = list(dict.fromkeys(result.warnings))
    simulation = _summarise(scenario, plan, sampler, samples, seed, npv, cpm_percentiles, recommendable, columns,
                            np.zeros(0), year_wins, year_ends, warnings)
    if samples > 1:
        simulation.warnings = simulation.warnings + [Message("evaluated_once", n=f"{samples:,}")]
    return simulation


def _percentiles(values: np.ndarray) -> list[float | None]:
    """np.percentile's P10/P50/P90 of the finite values. They are read off a sort of the copy: numpy's sort
    (vectorised) is ~3× faster than the partition at np.percentile's several positions, and the values at
    those positions are the same."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [None, None, None]
    finite.sort()  # `finite` is a copy already
    figures = _sorted_percentiles(finite.__getitem__, finite.size, (10, 50, 90))
    if figures is None:  # a zero read: np.percentile's own choice between 0.0 and −0.0
        figures = np.percentile(finite, [10, 50, 90], overwrite_input=True)
    return [float(v) for v in figures]


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _order_key(values: np.ndarray, base: np.ndarray | float = 0.0) -> np.ndarray:
    """float32 keys in the order of `values` (float64), as values − base: a rounded subtraction of a fixed
    base and rounding to float32 never reverse two values; finite differences are clipped into float32's
    range (so they stay finite), inf and NaN are kept. Measured from a base near the values (each path's
    figure at the scenario's estimates), figures that differ only by rounding noise (an API path's cost
    per 1M tokens: 4 ± 4e-15) still get distinct keys."""
    difference = values - base
    return np.where(np.isfinite(values), np.clip(difference, -_FLOAT32_MAX, _FLOAT32_MAX), values).astype(np.float32)


def _lerp_percentile(virtual: float, previous: float, order_statistic: Callable[[int], float], total: int) -> float:
    """np.percentile's 'linear' value at position `virtual` of `total` sorted values, from its order statistics:
    numpy's own arithmetic (`_get_indexes`, `_get_gamma`, `_lerp`), so the figure is the same bits."""
    if virtual >= total - 1:  # numpy reads the last value twice, with its position set to −1 (and gamma from it)
        a = b = np.float64(order_statistic(total - 1))
        gamma = virtual - np.float64(-1.0)
    else:
        a, b = np.float64(order_statistic(int(previous))), np.float64(order_statistic(int(previous) + 1))
        gamma = virtual - previous
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


def _sorted_percentiles(order_statistic: Callable[[int], float], total: int, q: tuple[float, ...]) -> list[float] | None:
    """np.percentile(values, q) of `total` values from their order statistics (the same bits), or None where
    np.percentile's own handling is needed: a NaN among the values (every figure is NaN), or a figure read
    from a zero (0.0 and −0.0 are equal, and np.percentile may read either)."""
    if total == 0 or np.isnan(order_statistic(total - 1)):
        return None
    virtual = (total - 1) * np.true_divide(np.asarray(q, dtype=float), 100)
    previous = np.floor(virtual)
    read: list[float] = []

    def checked(rank: int) -> float:
        value = order_statistic(rank)
        read.append(value)
        return value

    figures = [_lerp_percentile(v, p, checked, total) for v, p in zip(virtual, previous)]
    return None if any(value == 0 for value in read) else figures


class _KeyPercentiles:
    """Per path (column), `_percentiles` of the float64 figures whose `_order_key`s from `base` are `keys`
    [samples, paths], the same bits as np.percentile over those figures.

    Where every finite figure of a path is base + its key exactly (`exact[i]`: an API path, whose cost
    per 1M tokens is one value but for rounding noise of a few units in the last place), the keys give
    the figures. Otherwise the keys are ordered like the figures, so the r-th smallest figure is among
    the samples whose key is the r-th smallest key, at place r − (keys below it) within them: those
    samples (`rows`, a handful per percentile) are read again, and `finish` takes their float64
    figures [rows, paths]. The object does not keep `keys`, so they can be freed before that.
    """

    def __init__(self, keys: np.ndarray, base: np.ndarray, exact: np.ndarray, q: tuple[float, ...] = (10, 50, 90)):
        self.q, self.base = q, np.broadcast_to(np.asarray(base, dtype=float), (keys.shape[1],))
        self.quantiles = np.true_divide(np.asarray(q, dtype=float), 100)
        self.wanted: list[list[tuple[int, np.ndarray, int]]] = []  # per path: (rank, rows with its key, keys below)
        self.known: list[dict[int, float]] = []  # per path: figures at the ranks read off exact keys
        self.totals: list[int] = []
        for i in range(keys.shape[1]):
            column = keys[:, i]
            finite = column[np.isfinite(column)]
            self.totals.append(finite.size)
            self.wanted.append([])
            self.known.append({})
            if finite.size == 0:
                continue
            virtual = (finite.size - 1) * self.quantiles
            ranks = sorted({r for v in virtual for r in ((finite.size - 1,) if v >= finite.size - 1 else (int(v), int(v) + 1))})
            finite.sort()  # the values at `ranks`, as a partition there would place them; numpy's sort is faster
            if exact[i]:
                self.known[i] = {r: float(np.float64(finite[r]) + self.base[i]) for r in ranks}
            else:
                self.wanted[i] = [(r, np.flatnonzero(column == finite[r]), int(np.searchsorted(finite, finite[r], side="left")))
                                  for r in ranks]  # (rank, rows with its key, keys below it)
            del finite
        self.rows = np.unique(np.concatenate([np.zeros(0, dtype=np.intp)] + [w[1] for path in self.wanted for w in path]))
        self.keys_at_rows = keys[self.rows]

    def finish(self, figures: np.ndarray) -> list[list[float | None]]:
        """P10/P50/P90 (`q`) per path from the figures [rows, paths] of the samples `rows`."""
        if not np.array_equal(_order_key(figures, self.base), self.keys_at_rows, equal_nan=True):  # pragma: no cover - defensive
            raise AnalysisError("internal error: samples evaluated again differ from the first evaluation")
        out: list[list[float | None]] = []
        for i, path in enumerate(self.wanted):
            total = self.totals[i]
            if not total:
                out.append([None] * len(self.q))
                continue
            stats = dict(self.known[i])
            stats.update({r: float(np.sort(figures[np.searchsorted(self.rows, found), i])[r - below]) for r, found, below in path})
            virtual = (total - 1) * self.quantiles
            out.append([float(_lerp_percentile(v, np.floor(v), stats.__getitem__, total)) for v in virtual])
        return out


def _summarise(scenario, plan, sampler, samples, seed, npv, cpm_percentiles, recommendable, columns, success_rates, year_wins,
               year_ends, warnings) -> Simulation:
    n_paths = len(plan.paths)
    best, winner_index = _cheapest(npv, recommendable)
    has = np.isfinite(best)
    wins = np.bincount(winner_index, minlength=n_paths + 1)
    with_winner = int(has.sum())
    outcome_keys = {key: m for m, (_, key) in enumerate(sampler.outcomes)}
    k = len(sampler.uncertain)

    # winner and runner-up: most often cheapest, ties broken by the lower median NPV
    def median_if_recommendable(i: int) -> float:
        """Median NPV with samples where the path is not recommendable counted as +inf."""
        return float(np.median(np.where(recommendable[:, i], npv[:, i], np.inf))) if np.any(recommendable[:, i]) else np.inf

    # the median only orders paths with equal wins: it is computed for those alone
    tied = [i for i in range(n_paths) if int(np.count_nonzero(wins[:n_paths] == wins[i])) > 1]
    medians = {i: median_if_recommendable(i) for i in tied}
    order = sorted(range(n_paths), key=lambda i: (-wins[i], medians.get(i, 0.0), i))
    winner = order[0] if wins[order[0]] > 0 else None
    runner = order[1] if winner is not None and n_paths > 1 and np.any(recommendable[:, order[1]]) else None
    drivers: list[dict[str, Any]] = []
    labels = [_label(plan, key) for key in sampler.labels]
    # the inputs' P10/P50/P90: read off the drivers' sort of each column where they rank it (before the ranks
    # overwrite `columns`), else np.percentile's
    percentiles: dict[int, list[float]] = {}
    pending = None
    if winner is not None and runner is not None and columns.shape[1]:
        used = columns.shape[0]

        def rank_drivers() -> list[dict[str, Any]]:
            return _drivers(columns, npv[:used, winner], npv[:used, runner], sampler.labels, labels,  # ranks columns in place
                            percentiles=percentiles, percentile_columns=k)

        if threads() > 1:  # the drivers (columns) beside the paths' figures and the histogram (NPVs, read only)
            from concurrent.futures import ThreadPoolExecutor

            executor = ThreadPoolExecutor(max_workers=1)
            pending = executor.submit(rank_drivers)
            executor.shutdown(wait=False)
        else:
            drivers = rank_drivers()

    outcomes = []
    for i, pp in enumerate(plan.paths):
        p10, p50, p90 = _percentiles(npv[:, i])  # column by column: a copy of one column at a time
        c10, c50, c90 = cpm_percentiles[i]
        key = f"paths[{i}].success_probability"
        outcomes.append(PathOutcome(
            name=pp.name,
            kind=pp.kind,
            npv_p10=p10, npv_p50=p50, npv_p90=p90,
            npv_mean=float(npv[:, i].mean()),
            cost_per_million_tokens_p10=c10, cost_per_million_tokens_p50=c50, cost_per_million_tokens_p90=c90,
            win_probability=wins[i] / samples,
            win_probability_by_year=[int(year_wins[y, i]) / samples for y in range(len(year_ends))],
            expected_regret=float((npv[:, i] - best)[has].mean()) if with_winner and recommendable[:, i].any() else None,
            recommendable_probability=float(recommendable[:, i].mean()),
            success_rate=float(success_rates[outcome_keys[key]]) if key in outcome_keys else None,
        ))

    histogram = _histogram(plan, npv)
    if pending is not None:
        drivers = pending.result()
    inputs = []
    for j, item in enumerate(sampler.uncertain):
        lo, mid, hi = percentiles[j] if j in percentiles else np.percentile(columns[:, j], [10, 50, 90])
        inputs.append({"field": item.key, "label": labels[j], "distribution": item.distribution.model_dump(),
                       "describe": item.distribution.describe(), "estimate": item.estimate,
                       "p10": float(lo), "p50": float(mid), "p90": float(hi)})

    if not is_uncertain(scenario):
        warnings = warnings + [Message("nothing_uncertain")]
    if samples < FEW_SAMPLES:
        warnings = warnings + [Message("few_samples_one" if samples == 1 else "few_samples", n=f"{samples:,}", need=f"{FEW_SAMPLES:,}")]
    if samples and with_winner < samples:
        warnings = warnings + [Message("none_recommendable", share=f"{1 - with_winner / samples:.1%}")]
    return Simulation(
        scenario=scenario,
        samples=samples,
        seed=seed,
        chunk_size=CHUNK_SIZE,
        paths=outcomes,
        years=[{"year": y + 1, "month": m} for y, m in enumerate(year_ends)],
        no_winner_probability=int(wins[n_paths]) / samples,
        winner=plan.paths[winner].name if winner is not None else None,
        runner_up=plan.paths[runner].name if runner is not None else None,
        drivers=drivers,
        inputs=inputs,
        histogram=histogram,
        warnings=warnings,
        npv=npv,
        recommendable=recommendable,
        columns=columns,
        input_keys=list(sampler.labels),
    )


def _cheapest(npv: np.ndarray, recommendable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lowest NPV among the recommendable paths and its path ([samples] each; inf and n_paths where none
    is), path by path: no [samples, paths] temporary (240 MB at 1e7 samples × 3 paths)."""
    n, n_paths = npv.shape
    best = np.full(n, np.inf)
    index = np.full(n, n_paths, dtype=np.intp)
    for i in range(n_paths):
        candidate = np.where(recommendable[:, i], npv[:, i], np.inf)
        better = candidate < best  # strict: on a tie the earlier path stays, as argmin would keep it
        np.copyto(best, candidate, where=better)
        index[better] = i
    return best, index


def _cheapest_by_year(cumulative: np.ndarray, recommendable: np.ndarray) -> np.ndarray:
    """Per sample and year-end, the path with the lowest cumulative cost among the recommendable ones
    ([slice, year]; n_paths where none is, or where a recommendable path's cost is NaN): what
    argmin over the paths of where(recommendable, cumulative, inf) gives, with a non-finite minimum
    read as none, path by path on [slice, year] arrays (no argmin along the middle axis)."""
    n, n_paths, years = cumulative.shape
    best = np.full((n, years), np.inf)
    index = np.zeros((n, years), dtype=np.intp)
    for i in range(n_paths):
        candidate = np.where(recommendable[:, i, None], cumulative[:, i, :], np.inf)
        np.putmask(index, candidate < best, i)  # strict: on a tie the earlier path stays, as argmin keeps it
        np.minimum(best, candidate, out=best)  # a NaN stays NaN, as argmin and min stop at it: not finite below
    index[~np.isfinite(best)] = n_paths
    return index


def _drivers(columns: np.ndarray, winner_npv: np.ndarray, runner_npv: np.ndarray, keys: list[str],
             labels: list[str], percentiles: dict[int, list[float]] | None = None, percentile_columns: int = 0) -> list[dict[str, Any]]:
    """Spearman ρ of each input with the NPV difference winner − runner-up, and the partial rank
    correlation (PRCC).

    ρ is the plain rank correlation the brief asks for; PRCC removes the linear effect (on ranks)
    of the other inputs, so an input correlated with a strong driver is not credited with its
    effect. Inputs constant over the samples are left out. The difference is ranked after
    `round_relative` (differences equal but for rounding noise tie). `columns` is overwritten with ranks.
    With `percentiles`, the P10/P50/P90 of each of the first `percentile_columns` columns as drawn, as
    np.percentile gives them, are stored there by column (read off the sort that ranks the column, or
    np.percentile's own where NaN or signed zeros need its handling).
    """
    n, k = columns.shape
    ranks = columns  # ranked in place: the sampled inputs are not needed afterwards (no second [n, inputs] matrix)
    npv_scale = max(float(np.max(np.abs(winner_npv), initial=0.0)), float(np.max(np.abs(runner_npv), initial=0.0)))
    target = rankdata(round_relative(winner_npv - runner_npv, npv_scale))
    rho_of = spearman_with(target)
    rhos_by_column: list[float | None] = [None] * k

    def rank_into(j: int) -> None:
        column, order_statistic = ranks_and_order(ranks[:, j])  # contiguous: ρ is computed here, not on the strided column
        if percentiles is not None and j < percentile_columns:
            figures = _sorted_percentiles(order_statistic, n, (10, 50, 90))
            percentiles[j] = figures if figures is not None else list(np.percentile(ranks[:, j], [10, 50, 90]))
        rhos_by_column[j] = rho_of(column)
        ranks[:, j] = column

    workers = threads(k)
    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as executor:
            list(executor.map(rank_into, range(k)))
    else:
        for j in range(k):
            rank_into(j)
    kept: list[int] = []
    rhos: list[float] = []
    for j in range(k):
        rho = rhos_by_column[j]
        if rho is not None:
            if j != len(kept):
                ranks[:, len(kept)] = ranks[:, j]
            kept.append(j)
            rhos.append(rho)
    partial: list[float | None] = [None] * len(kept)
    if kept:
        width = len(kept)
        centre = (n + 1) / 2.0  # the mean of any rank vector, ties averaged
        gram = np.zeros((width + 1, width + 1))
        rows = int(max(1, min(DRIVER_BLOCK, DRIVER_BLOCK_BYTES // (8 * (width + 1)))))
        buffer = np.empty((min(rows, n), width + 1))  # one block's memory, filled again for each block
        for lo in range(0, n, rows):
            block = buffer[: min(rows, n - lo)]
            block[:, :width] = ranks[lo : lo + rows, :width]
            block[:, width] = target[lo : lo + rows]
            block -= centre
            gram += block.T @ block
        scale = np.sqrt(np.diag(gram))
        matrix = gram / np.outer(scale, scale)
        del ranks
        if np.linalg.matrix_rank(matrix) == matrix.shape[0]:
            precision = np.linalg.inv(matrix)
            y = len(kept)
            partial = [float(-precision[m, y] / np.sqrt(precision[m, m] * precision[y, y])) for m in range(len(kept))]
    drivers = [{"field": keys[j], "label": labels[j], "spearman": rhos[m], "partial_spearman": partial[m]} for m, j in enumerate(kept)]
    drivers.sort(key=lambda d: (-abs(d["spearman"]), d["field"]))
    return drivers


def _label(plan, key: str) -> str:
    """`paths[1].serving.gpu_hour_price` → `paths[Fine-tuned Llama].serving.gpu_hour_price`."""
    if key.startswith("paths["):
        index = int(key[6 : key.index("]")])
        return f"paths[{plan.paths[index].name}]" + key[key.index("]") + 1 :]
    return key


PERCENTILE_BLOCK = 1 << 16
"""Values per block when `_flat_percentiles` reads a [samples, paths] array (512 KiB temporaries; past the first
blocks most values are only compared with the kept ones' bound, so small blocks cost little: 1e5 × 3 NPVs in
~0.8 ms against np.percentile's ~3.7 ms)."""


def _flat_percentiles(values: np.ndarray, q: list[float]) -> np.ndarray:
    """`np.percentile(values, q)` over every element (method 'linear'), without its flattened copy.

    np.percentile copies the whole array to partition it (240 MB for 1e7 samples × 3 paths, 41 MB for
    1e5 × 51). Only the order statistics beside each quantile's position matter, so the array is read
    in row blocks, keeping the smallest values up to the highest low position and the largest down to
    the lowest high one; the interpolation is numpy's own formula (its `_lerp`), so the figures are
    the same bits. Falls back to np.percentile for small arrays, NaNs or positions near the middle.
    """
    total = values.size
    quantiles = np.true_divide(np.asarray(q, dtype=float), 100)
    virtual = (total - 1) * quantiles
    previous = np.floor(virtual)
    # positions p and p + 1 are read: the smallest p + 2 values, or the largest total − p
    below = [int(p) + 2 for p in previous if p < (total - 1) / 2]
    above = [total - int(p) for p in previous if p >= (total - 1) / 2]
    low_count, high_count = max(below, default=0), max(above, default=0)
    if total <= 2 * PERCENTILE_BLOCK or low_count + high_count > total // 4:
        return np.percentile(values, q)
    rows = max(1, PERCENTILE_BLOCK // max(values.shape[1] if values.ndim > 1 else 1, 1))
    smallest, largest = _Extremes(low_count), _Extremes(high_count, largest=True)
    for start in range(0, values.shape[0], rows):
        block = values[start : start + rows].ravel()
        if np.isnan(block).any():  # NaN sorts last in numpy and makes every percentile NaN: numpy's own way
            return np.percentile(values, q)
        smallest.add(block)
        largest.add(block)
        del block
    low, high = smallest.result(), largest.result()

    def order_statistic(rank: int) -> float:
        """The value at 0-based position `rank` of the sorted array."""
        return low[rank] if rank < low_count else high[rank - (total - high_count)]

    return np.array([_lerp_percentile(v, p, order_statistic, total) for v, p in zip(virtual, previous)])


class _Extremes:
    """The `count` smallest (or largest) of values given block by block, sorted, without keeping the rest:
    once `count` are kept, a value can only enter if it is below the largest kept (above the smallest kept)
    — one equal to it would only swap equal values — so most blocks cost one comparison per value, and
    the kept values are partitioned again only when they have grown to twice `count`."""

    def __init__(self, count: int, largest: bool = False):
        self.count, self.largest = count, largest
        self.parts: list[np.ndarray] = []
        self.size = 0
        self.bound: float | None = None

    def add(self, block: np.ndarray) -> None:
        if not self.count:
            return
        if self.bound is not None:
            block = block[block > self.bound] if self.largest else block[block < self.bound]
        if block.size:
            self.parts.append(block)
            self.size += block.size
            if self.size > 2 * self.count:
                self._trim()

    def _trim(self) -> None:
        kept = np.concatenate(self.parts) if self.parts else np.empty(0)  # a copy: blocks may be views of the values
        if kept.size > self.count:
            if self.largest:
                kept.partition(kept.size - self.count)
                kept = kept[-self.count :].copy()
                self.bound = kept[0]
            else:
                kept.partition(self.count - 1)
                kept = kept[: self.count].copy()
                self.bound = kept[-1]
        self.parts, self.size = [kept], kept.size

    def result(self) -> np.ndarray:
        self._trim()
        kept = self.parts[0]
        kept.sort()
        return kept


def _histogram(plan, npv: np.ndarray) -> dict[str, Any]:
    """NPV histogram per path on common bins spanning the 0.5–99.5 percentiles (tails in the end bins)."""
    lo, hi = _flat_percentiles(npv, [0.5, 99.5])
    if not hi > lo:
        lo, hi = lo - max(abs(lo) * 0.01, 1.0), hi + max(abs(hi) * 0.01, 1.0)
    edges = np.linspace(lo, hi, HISTOGRAM_BINS + 1)
    counts = {}
    for i, pp in enumerate(plan.paths):
        counts[pp.name] = np.histogram(np.clip(npv[:, i], lo, hi), bins=edges)[0].tolist()
    return {"edges": edges.tolist(), "counts": counts}
