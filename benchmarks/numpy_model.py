"""A hand-written numpy version of scenarios/uncertain-enterprise.yaml: the baseline for `simulate`.

This is the anchor `benchmarks/montecarlo_bench.py` measures the engine against: the same cost
model, but only this scenario's terms, written the way a careful analyst would write it for this
one scenario — constants folded, every array [samples, months], float64, in-place arithmetic,
`exp(k·log1p(x))` instead of `pow`, discounting as one matrix-vector product per path. It keeps
the model's month-by-month form (serving GPUs are whole replicas per month, the owned fleet
only grows, refreshes every 6 months after go-live), so it computes the same numbers as the
engine, not an approximation: `check()` (run by the benchmark and by
tests/test_numpy_baseline.py) feeds both the same sampled inputs and requires the NPVs to agree
to a relative 1e-12.

`draw()` samples the scenario's distributions with numpy directly (triangular, PERT as a scaled
beta, lognormal from p10/p90, choice, uniform; the rank correlation 0.4 between traffic growth
and the rented GPU price by Iman–Conover on van der Waerden scores) and the success/failure
outcomes as Bernoulli draws; `summary()` gives what `simulate` reports first: P10/P50/P90 of
each path's NPV and the probability that each path is cheapest.

Every number below is the scenario's (file line in the comment) or the engine's stated constant.
"""

from __future__ import annotations

import math

import numpy as np

HORIZON = 60
MONTH_HOURS = 730.0
M = np.arange(HORIZON, dtype=float)
YEARS = M / 12.0
DISCOUNT = np.exp(-YEARS * math.log1p(0.08))  # discount_rate 0.08, start-of-month flows

T0 = 60e9  # tokens_per_month
OUT, CACHED = 0.2, 0.3  # output_share, cached_input_share
# gpt-4o fees per token at the start: (I − C)·p_in + C·p_cached + O·p_out, per 1k tokens
FEE_PER_TOKEN = ((1 - OUT) * (1 - CACHED) * 0.0025 + (1 - OUT) * CACHED * 0.00125 + OUT * 0.010) / 1000.0
PEAK_PER_TOKEN = 2.0 / (MONTH_HOURS * 3600.0)  # peak_to_average 2, tokens/month → tokens/s

# LoRA fine-tune of 70.6B on 200M tokens × 2 epochs: 4·N·D·epochs FLOPs on H100 SXM (989 TFLOP/s
# dense BF16) at MFU 0.35, 8 GPUs, 2.99 per GPU-hour
PEAK_FLOPS = 989e12
FT_GPU_HOURS = 4.0 * 70.6e9 * 200e6 * 2 / (PEAK_FLOPS * 0.35) / 3600.0
FT_RUN_MONTHS = max(1.0, math.ceil(FT_GPU_HOURS / 8 / MONTH_HOURS - 1e-9))
FT_COST = FT_GPU_HOURS * 2.99
REFRESH = 6
DATA_ONE_OFF, DATA_REFRESH = 250e3, 40e3
GPUS_PER_REPLICA, UTILISATION, REDUNDANCY = 2.0, 0.7, 1.0

STAFF_API = 1 * 250e3 / 12.0  # integration engineer, no raise
RAISE = np.exp(YEARS * math.log1p(0.04))
STAFF_RENT = (4 * 300e3 + 2 * 250e3) / 12.0 * RAISE
STAFF_OWN = (4 * 300e3 + 3 * 250e3) / 12.0 * RAISE
RENT_DECLINE = np.exp(YEARS * math.log1p(-0.15)) * MONTH_HOURS  # gpu_hour_price_change_per_year −0.15
UNIT_OVERHEAD = 1.4  # server_overhead 0.4
RUNNING_PER_GPU = 150.0 + 0.7 * 1.4 * MONTH_HOURS * 0.12  # hosting + TDP kW × PUE × hours × price
REMAINING = np.clip(1.0 - (HORIZON - M) / 12.0 / 4.0, 0.0, 1.0)  # straight line over 4 years

KEYS = {
    "growth": "workload.growth_per_year",
    "api_change": "paths[0].price_change_per_year",
    "rent": "paths[1].serving.gpu_hour_price",
    "tps1": "paths[1].serving.tokens_per_second_per_gpu",
    "lead1": "paths[1].lead_time_months",
    "p1": "paths[1].success_probability",
    "purchase": "paths[2].serving.purchase_price",
    "tps2": "paths[2].serving.tokens_per_second_per_gpu",
    "lead2": "paths[2].lead_time_months",
    "p2": "paths[2].success_probability",
}
"""The engine's parameter key for each input."""


def npv(x: dict[str, np.ndarray]) -> np.ndarray:
    """NPV of the three paths, [n, 3], for inputs given by the short names of KEYS ([n] arrays)."""
    n = x["growth"].shape[0]
    out = np.empty((n, 3))
    tokens = np.multiply(np.log1p(x["growth"])[:, None], YEARS)  # [n, m]
    np.exp(tokens, out=tokens)
    tokens *= T0
    fees = np.multiply(np.log1p(x["api_change"])[:, None], YEARS)
    np.exp(fees, out=fees)
    fees *= tokens
    fees *= FEE_PER_TOKEN * DISCOUNT  # discounted gpt-4o fees at full traffic, [n, m]
    fees_cum = np.zeros((n, HORIZON + 1))
    np.cumsum(fees, axis=1, out=fees_cum[:, 1:])  # fees_cum[:, k] = discounted fees of months < k
    total_fees = fees_cum[:, -1]
    out[:, 0] = total_fees + STAFF_API * DISCOUNT.sum()
    peak = tokens
    peak *= PEAK_PER_TOKEN  # tokens are no longer needed: reuse the array for peak tokens/s
    rows = np.arange(n)
    discount_cum = np.concatenate(([0.0], np.cumsum(DISCOUNT)))
    staff_api_after = STAFF_API * (discount_cum[-1] - discount_cum)  # discounted bridge staff of months ≥ k
    # Σ of the discount over the refresh months go-live + 6k (k ≥ 1), by go-live month
    refresh_d = np.zeros(HORIZON + 1)
    for k in range(REFRESH, HORIZON, REFRESH):
        refresh_d[: HORIZON - k] += DISCOUNT[k:]

    for j, (tps, lead, p, staff) in enumerate(((x["tps1"], x["lead1"], x["p1"], STAFF_RENT),
                                                (x["tps2"], x["lead2"], x["p2"], STAFF_OWN)), start=1):
        live_month = np.maximum(np.ceil(lead), FT_RUN_MONTHS).astype(np.int64)  # go-live month
        live = np.minimum(live_month, HORIZON)  # as an index into the month sums
        # bridge fees and staff: all of them before go-live, after it the failure/success share
        pre = fees_cum[rows, live]
        value = pre + (1.0 - p) * (total_fees - pre)
        staff_cum = np.concatenate(([0.0], np.cumsum(staff * DISCOUNT)))
        pre = staff_cum[live]
        value += pre + p * (staff_cum[-1] - pre)
        # after a failure the traffic stays on gpt-4o and its integration engineer is paid from go-live on
        value += (1.0 - p) * staff_api_after[live]
        # one-off data in month 0; the fine-tune run in the FT_RUN_MONTHS months before go-live
        value += DATA_ONE_OFF
        value += FT_COST / FT_RUN_MONTHS * (discount_cum[live] - discount_cum[np.minimum(live_month - int(FT_RUN_MONTHS), HORIZON)])
        # refreshes (compute and data), on success
        value += p * (FT_COST + DATA_REFRESH) * refresh_d[live]
        # serving GPUs per month once live: whole replicas, at least one, plus redundancy
        gpus = np.divide(peak, (tps * (UTILISATION * GPUS_PER_REPLICA))[:, None])
        gpus -= 1e-9
        np.ceil(gpus, out=gpus)
        np.maximum(gpus, 1.0, out=gpus)
        gpus += REDUNDANCY
        gpus *= GPUS_PER_REPLICA
        gpus *= M >= live_month[:, None]
        if j == 1:  # rented at a falling hourly price
            value += p * x["rent"] * (gpus @ (RENT_DECLINE * DISCOUNT))
        else:  # owned: bought as the fleet grows, running costs on the fleet, residual credit
            fleet = np.maximum.accumulate(gpus, axis=1)
            bought = np.diff(fleet, axis=1, prepend=0.0)
            unit = x["purchase"] * UNIT_OVERHEAD
            value += p * (unit * (bought @ (DISCOUNT - REMAINING * DISCOUNT[-1])) + RUNNING_PER_GPU * (fleet @ DISCOUNT))
        out[:, j] = value
    return out


def _correlate(a: np.ndarray, b: np.ndarray, rank: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Reorder a and b to rank correlation ≈ `rank` (Iman–Conover with random normal scores).

    The scores' Pearson correlation 2·sin(πr/6) gives Spearman r; each column is only permuted,
    so both marginals stay as drawn.
    """
    target = 2.0 * math.sin(math.pi * rank / 6.0)
    s1 = rng.standard_normal(a.shape[0])
    s2 = target * s1 + math.sqrt(1.0 - target * target) * rng.standard_normal(a.shape[0])
    a_out, b_out = np.empty_like(a), np.empty_like(b)
    a_out[np.argsort(s1)] = np.sort(a)
    b_out[np.argsort(s2)] = np.sort(b)
    return a_out, b_out


def draw(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The scenario's distributions, sampled with numpy directly."""
    growth = rng.triangular(0.1, 0.4, 1.0, n)
    api_change = -0.5 + 0.5 * rng.beta(1 + 4 * 0.5, 1 + 4 * 0.5, n)  # PERT(−0.5, −0.25, 0)
    mu, sigma = (math.log(2.0) + math.log(3.5)) / 2, (math.log(3.5) - math.log(2.0)) / (2 * 1.2815515655446004)
    rent = np.exp(mu + sigma * rng.standard_normal(n))
    growth, rent = _correlate(growth, rent, 0.4, rng)
    p1, p2 = rng.uniform(0.7, 0.95, n), rng.uniform(0.7, 0.95, n)
    return {
        "growth": growth,
        "api_change": api_change,
        "rent": rent,
        "tps1": rng.triangular(3000, 5000, 8000, n),
        "lead1": np.ceil(rng.triangular(3, 4, 8, n) - 1e-9),
        "p1": (rng.random(n) < p1).astype(float),
        "purchase": 25e3 + 15e3 * rng.beta(1 + 4 * 5 / 15, 1 + 4 * 10 / 15, n),  # PERT(25k, 30k, 40k)
        "tps2": rng.triangular(3000, 5000, 8000, n),
        "lead2": rng.choice(np.array([6.0, 9.0, 12.0]), n, p=[0.5, 0.3, 0.2]),
        "p2": (rng.random(n) < p2).astype(float),
    }


def summary(values: np.ndarray) -> dict[str, np.ndarray]:
    """P10/P50/P90 of each path's NPV and the share of samples where each path is cheapest."""
    return {"npv_p10_p50_p90": np.percentile(values, [10, 50, 90], axis=0),
            "win_probability": np.bincount(values.argmin(axis=1), minlength=values.shape[1]) / values.shape[0]}


BEST_CHUNK = 2_500
"""Samples per call of `npv` in `run`: the fastest measured (1e5 samples, CPU time: chunks of 1,000–5,000
take ~0.22 s, 10,000 ~0.75 s, 25,000 ~0.6 s on the project's machine: [chunk, 60] arrays that fit the cache)."""


def run(n: int, seed: int = 42, chunk: int = BEST_CHUNK) -> dict[str, np.ndarray]:
    """The whole baseline: draw, evaluate in cache-sized chunks, summarise."""
    rng = np.random.default_rng(seed)
    x = draw(n, rng)
    values = np.empty((n, 3))
    for lo in range(0, n, chunk):
        values[lo : lo + chunk] = npv({k: v[lo : lo + chunk] for k, v in x.items()})
    return summary(values)


def check(n: int = 20_000, seed: int = 7) -> float:
    """Largest relative difference between this model and the engine on the same inputs.

    Two batches: the inputs `simulate` draws (outcomes as 0/1), and the same with fractional
    success probabilities and go-live months spread over 0–70 (past the horizon), so every
    branch of the model is compared.
    """
    from pathlib import Path

    from buildorbuy.analysis.montecarlo import _sampler
    from buildorbuy.engine.core import evaluate
    from buildorbuy.engine.plan import compile_plan
    from buildorbuy.scenario.loading import load_scenario

    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "uncertain-enterprise.yaml")
    plan = compile_plan(scenario)
    rng = np.random.default_rng(seed)
    drawn = _sampler(scenario, plan).draw(rng, n).batch
    if set(drawn) != set(KEYS.values()):
        raise AssertionError(f"the scenario's sampled fields changed: {sorted(drawn)}")
    spread = dict(drawn)
    for j in (1, 2):
        spread[f"paths[{j}].success_probability"] = rng.random(n)
        spread[f"paths[{j}].lead_time_months"] = rng.integers(0, 71, n).astype(float)
    worst = 0.0
    for batch in (drawn, spread):
        engine = evaluate(plan, batch, keep_components=False).npv
        mine = npv({short: batch[key] for short, key in KEYS.items()})
        worst = max(worst, float(np.max(np.abs(mine - engine) / np.abs(engine))))
    return worst


if __name__ == "__main__":
    print(f"max relative difference to the engine: {check():.2e}")
