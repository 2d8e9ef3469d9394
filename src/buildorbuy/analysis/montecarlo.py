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
of paths (a 60-month, 3-path scenario: ~5,800 samples per call); each call is reduced at once to
per-sample, per-path figures (NPV, cost per 1M tokens, recommendable) and per-year winner
counts. What grows with the samples is 17·paths bytes per sample, plus the sampled inputs
(8 bytes per input) for the first DRIVER_SAMPLES samples, which the drivers use.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from buildorbuy.analysis.sampling import iman_conover, rankdata, round_relative, spearman_of_ranks
from buildorbuy.engine.core import evaluate
from buildorbuy.engine.plan import compile_plan
from buildorbuy.errors import AnalysisError
from buildorbuy.scenario.models import Scenario
from buildorbuy.phrases import Message

WORKERS = min(2, os.cpu_count() or 1)
"""Chunks evaluated at once in threads (numpy releases the GIL in its array loops); results do not depend on it."""
FEW_SAMPLES = 1_000
"""Below this many samples the summary says its figures are rough."""
DRIVER_BLOCK = 65_536
"""Rows per block when forming the rank correlation matrix (bounds its temporaries)."""
DRIVER_BLOCK_BYTES = 8 * 1024 * 1024
"""At most this many bytes per block of that matrix: fewer rows when there are many inputs (a
51-path scenario has ~200), so the block stays small whatever the number of paths."""
CHUNK_SIZE = 10_000
"""Samples per random-number stream (one chunk); fixed, so results never depend on the machine."""
ENGINE_BYTES = 48e6
"""Memory budget of one engine call's [slice, path, month] arrays (see `engine_slice`)."""
ENGINE_ARRAYS = 12
"""About how many [slice, path, month] float64 arrays an engine call holds at once (keep_components=False)."""
DRIVER_SAMPLES = 1_000_000
"""Drivers (rank correlations) and the sampled inputs' percentiles use the first this many samples:
their sampling error there is about 1/sqrt(1e6) = 0.001, and beyond it they would cost
8 bytes per sample per input (10 GB-scale at 1e7 samples with many inputs)."""
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
    """Mean of NPV(this path) − lowest NPV among recommendable paths (samples with any)."""
    recommendable_probability: float
    """Share of samples where this path is feasible and serves all traffic."""
    success_rate: float | None
    """Share of samples whose drawn outcome was success (None: success_probability is 1)."""


@dataclass
class Simulation:
    """The result of `simulate`: summaries plus the per-sample NPVs ([samples, paths])."""

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

    n_chunks = math.ceil(samples / CHUNK_SIZE)
    seeds = np.random.SeedSequence(seed).spawn(n_chunks)
    npv = np.empty((samples, n_paths))
    cpm = np.empty((samples, n_paths))
    recommendable = np.empty((samples, n_paths), dtype=bool)
    # the sampled inputs are kept for the first DRIVER_SAMPLES samples only (drivers and input
    # percentiles); outcome successes and per-year winners are counted chunk by chunk
    kept = min(samples, DRIVER_SAMPLES)
    columns = np.empty((kept, len(sampler.labels)))
    successes = np.zeros((n_chunks, len(sampler.outcomes)), dtype=np.int64)
    chunk_year_wins = np.zeros((n_chunks, len(year_ends), n_paths + 1), dtype=np.int64)
    warnings: list[str] = []
    step = engine_slice(plan)
    k = len(sampler.uncertain)
    error_factors = np.empty((kept, len(errors)))  # drawn estimator-error factors, kept like the sampled inputs

    def run_chunk(c: int) -> tuple[int, list[str]]:
        """Draw and evaluate chunk c, writing its rows; chunks touch disjoint rows, so they can run at once.

        The chunk's draws are evaluated `step` samples at a time: per-sample results do not
        depend on the slicing, and the engine's [slice, path, month] arrays stay within
        ENGINE_BYTES whatever the horizon and the number of paths.
        """
        lo = c * CHUNK_SIZE
        n = min(CHUNK_SIZE, samples - lo)
        rng = np.random.Generator(np.random.PCG64(seeds[c]))
        draws = sampler.draw(rng, n)
        batch = draws.batch or {"discount_rate": np.full(n, plan.base["discount_rate"])}
        if errors:
            batch = _with_estimator_error(plan, batch, errors, rng, n, error_factors[lo : lo + n] if lo + n <= kept else None)
        if next(iter(batch.values())).shape[0] != n:  # pragma: no cover - defensive
            raise AnalysisError("internal error: batch of the wrong size")
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
            cpm[lo + a : lo + b] = result.cost_per_million_tokens
            rec = result.recommendable
            recommendable[lo + a : lo + b] = rec
            if a == 0:
                chunk_warnings = list(dict.fromkeys(result.warnings))
            cumulative = result.year_end_costs  # [slice, path, year]
            del result
            ranked = np.where(rec[:, :, None], cumulative, np.inf)
            best = np.argmin(ranked, axis=1)
            best[~np.isfinite(np.min(ranked, axis=1))] = n_paths
            for y in range(len(year_ends)):
                chunk_year_wins[c, y] += np.bincount(best[:, y], minlength=n_paths + 1)
        return lo + n, chunk_warnings

    workers = max(1, min(WORKERS, n_chunks))
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
    result = _summarise(scenario, plan, sampler, samples, seed, npv, cpm, recommendable, columns, success_rates, year_wins,
                        year_ends, warnings)
    if errors:
        factors = {d.key: d.error_factor_p80 for d in plan.derived}
        result.estimator_error = [{"field": key, "error_factor_p80": factors[key], "sigma": sigma} for key, sigma in errors]
        # the sampled estimator error varies the samples: 'every sample equals compare' would be false
        result.warnings = [w for w in result.warnings if not w.startswith(NOTHING_UNCERTAIN)]
        # the drawn error factors are inputs too (value of information reads `columns`; drivers are unchanged)
        result.columns = np.hstack([result.columns, error_factors])
        result.input_keys = result.input_keys + [f"{key} (estimator error)" for key, _ in errors]
    return result


def _percentiles(values: np.ndarray) -> list[float | None]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [None, None, None]
    return [float(v) for v in np.percentile(finite, [10, 50, 90])]


def _summarise(scenario, plan, sampler, samples, seed, npv, cpm, recommendable, columns, success_rates, year_wins, year_ends,
               warnings) -> Simulation:
    n_paths = len(plan.paths)
    best, winner_index = _cheapest(npv, recommendable)
    has = np.isfinite(best)
    wins = np.bincount(winner_index, minlength=n_paths + 1)
    with_winner = int(has.sum())
    outcome_keys = {key: m for m, (_, key) in enumerate(sampler.outcomes)}
    k = len(sampler.uncertain)

    outcomes = []
    for i, pp in enumerate(plan.paths):
        p10, p50, p90 = _percentiles(npv[:, i])  # column by column: a copy of one column at a time
        c10, c50, c90 = _percentiles(cpm[:, i])
        key = f"paths[{i}].success_probability"
        outcomes.append(PathOutcome(
            name=pp.name,
            kind=pp.kind,
            npv_p10=p10, npv_p50=p50, npv_p90=p90,
            npv_mean=float(npv[:, i].mean()),
            cost_per_million_tokens_p10=c10, cost_per_million_tokens_p50=c50, cost_per_million_tokens_p90=c90,
            win_probability=wins[i] / samples,
            win_probability_by_year=[int(year_wins[y, i]) / samples for y in range(len(year_ends))],
            expected_regret=float((npv[:, i] - best)[has].mean()) if with_winner else None,
            recommendable_probability=float(recommendable[:, i].mean()),
            success_rate=float(success_rates[outcome_keys[key]]) if key in outcome_keys else None,
        ))

    # winner and runner-up: most often cheapest, ties broken by the lower median NPV
    def median_if_recommendable(i: int) -> float:
        """Median NPV with samples where the path is not recommendable counted as +inf."""
        return float(np.median(np.where(recommendable[:, i], npv[:, i], np.inf))) if np.any(recommendable[:, i]) else np.inf

    order = sorted(range(n_paths), key=lambda i: (-wins[i], median_if_recommendable(i), i))
    winner = order[0] if wins[order[0]] > 0 else None
    runner = order[1] if winner is not None and n_paths > 1 and np.any(recommendable[:, order[1]]) else None
    drivers: list[dict[str, Any]] = []
    labels = [_label(plan, key) for key in sampler.labels]
    inputs = []
    for j, item in enumerate(sampler.uncertain):
        lo, mid, hi = np.percentile(columns[:, j], [10, 50, 90])
        inputs.append({"field": item.key, "label": labels[j], "distribution": item.distribution.model_dump(),
                       "describe": item.distribution.describe(), "estimate": item.estimate,
                       "p10": float(lo), "p50": float(mid), "p90": float(hi)})

    if winner is not None and runner is not None and columns.shape[1]:
        used = columns.shape[0]
        drivers = _drivers(columns, npv[:used, winner], npv[:used, runner], sampler.labels, labels)  # ranks columns in place

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
        histogram=_histogram(plan, npv),
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


def _drivers(columns: np.ndarray, winner_npv: np.ndarray, runner_npv: np.ndarray, keys: list[str],
             labels: list[str]) -> list[dict[str, Any]]:
    """Spearman ρ of each input with the NPV difference winner − runner-up, and the partial rank
    correlation (PRCC).

    ρ is the plain rank correlation the brief asks for; PRCC removes the linear effect (on ranks)
    of the other inputs, so an input correlated with a strong driver is not credited with its
    effect. Inputs constant over the samples are left out. The difference is ranked after
    `round_relative` (differences equal but for rounding noise tie). `columns` is overwritten with ranks.
    """
    n, k = columns.shape
    ranks = columns  # ranked in place: the sampled inputs are not needed afterwards (no second [n, inputs] matrix)
    npv_scale = max(float(np.max(np.abs(winner_npv), initial=0.0)), float(np.max(np.abs(runner_npv), initial=0.0)))
    target = rankdata(round_relative(winner_npv - runner_npv, npv_scale))
    rhos_by_column: list[float | None] = [None] * k

    def rank_into(j: int) -> None:
        column = rankdata(ranks[:, j])  # contiguous: ρ is computed here, not on the strided column
        rhos_by_column[j] = spearman_of_ranks(column, target)
        ranks[:, j] = column

    if WORKERS > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=WORKERS) as executor:
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
        for lo in range(0, n, rows):
            block = np.column_stack([ranks[lo : lo + rows, :width], target[lo : lo + rows]])
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


def _histogram(plan, npv: np.ndarray) -> dict[str, Any]:
    """NPV histogram per path on common bins spanning the 0.5–99.5 percentiles (tails in the end bins)."""
    lo, hi = np.percentile(npv, [0.5, 99.5])
    if not hi > lo:
        lo, hi = lo - max(abs(lo) * 0.01, 1.0), hi + max(abs(hi) * 0.01, 1.0)
    edges = np.linspace(lo, hi, HISTOGRAM_BINS + 1)
    counts = {}
    for i, pp in enumerate(plan.paths):
        counts[pp.name] = np.histogram(np.clip(npv[:, i], lo, hi), bins=edges)[0].tolist()
    return {"edges": edges.tolist(), "counts": counts}
