"""Benchmark: a 10,000-point sweep as batched engine calls against one `evaluate` call per point.

    python benchmarks/sweep_bench.py [--runs 5] [--sample 200]

Scenario: the bundled three-path domain-model scenario with a 60-month horizon. The grid is 100
monthly token volumes (1e8 to 1e11, geometric) × 100 fine-tune GPU-hour prices (1 to 6). Times
are measured after imports and plan compilation (the median of several runs). The per-point loop
is timed on a random sample of points and extrapolated to the whole grid (printed as such).
Then break-even convergence: engine batches and the relative bracket width achieved.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from buildorbuy import breakeven, load_scenario, sweep
from buildorbuy import evaluate as evaluate_scenario
from buildorbuy.engine.core import evaluate
from buildorbuy.engine.plan import compile_plan

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "domain-model-50b.yaml"
TOKENS = "workload.tokens_per_month"
PRICE = "paths[1].serving.gpu_hour_price"


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sample", type=int, default=200)
    args = parser.parse_args()

    scenario = load_scenario(SCENARIO, ["horizon_months=60"])
    plan = compile_plan(scenario)
    tokens = np.geomspace(1e8, 1e11, 100)
    prices = np.linspace(1.0, 6.0, 100)
    grid = {TOKENS: tokens, PRICE: prices}
    points = len(tokens) * len(prices)

    result = sweep(plan, grid)  # warm-up (and the answer)
    batched = median_time(lambda: sweep(plan, grid), args.runs)

    rng = np.random.default_rng(0)
    flat_t, flat_p = (g.ravel() for g in np.meshgrid(tokens, prices, indexing="ij"))
    picks = rng.choice(points, size=min(args.sample, points), replace=False)

    def loop() -> None:
        for n in picks:
            evaluate(plan, {TOKENS: [flat_t[n]], PRICE: [flat_p[n]]})

    def loop_public() -> None:
        for n in picks:
            evaluate_scenario(scenario, {TOKENS: [flat_t[n]], PRICE: [flat_p[n]]})

    evaluate(plan, {TOKENS: [1e9], PRICE: [2.0]})
    per_point = median_time(loop, max(1, args.runs // 2)) / len(picks)
    looped = per_point * points
    per_point_public = median_time(loop_public, max(1, args.runs // 2)) / len(picks)
    # the loop must agree with the batch on the points it evaluated
    for n in picks[:20]:
        single = evaluate(plan, {TOKENS: [flat_t[n]], PRICE: [flat_p[n]]})
        np.testing.assert_allclose(single.npv[0], result.npv.reshape(points, -1)[n], rtol=1e-12)

    print(f"scenario: {scenario.name}, {len(plan.paths)} paths, {plan.horizon} months")
    print(f"sweep of {points:,} points (100 x 100), {result.engine_batches} engine batch(es): median {batched:.3f} s over {args.runs} runs")
    print(f"engine evaluate(plan) once per point: {per_point * 1e3:.3f} ms per point, measured on {len(picks)} random points "
          f"and extrapolated to {points:,}: {looped:.2f} s -> speed-up {looped / batched:.0f}x")
    print(f"public buildorbuy.evaluate(scenario) once per point (compiles the plan each call): {per_point_public * 1e3:.3f} ms "
          f"per point, extrapolated: {per_point_public * points:.2f} s -> speed-up {per_point_public * points / batched:.0f}x")
    print("targets: batched < 1 s, speed-up >= 50x")
    print(f"winner counts: {result.win_counts()}")

    print("\nbreak-even convergence (relative tolerance 1e-6, at most 60 engine batches):")
    enterprise = compile_plan(load_scenario(SCENARIO.parent / "enterprise-support.yaml"))
    cases = [
        (plan, TOKENS, ("Fine-tuned Llama 3.1 70B", "gpt-4.1")),
        (plan, "paths[gpt-4.1].price_per_1k_output", ("gpt-4.1", "Own 50B domain model")),
        (plan, "paths[Own 50B domain model].training.gpu_hour_price", ("Own 50B domain model", "Fine-tuned Llama 3.1 70B")),
        (enterprise, TOKENS, None),
        (enterprise, "paths[1].serving.tokens_per_second_per_gpu", None),
    ]
    for case_plan, param, between in cases:
        start = time.perf_counter()
        found = breakeven(case_plan, param, between=between)
        took = time.perf_counter() - start
        if found.value is None:
            print(f"  {case_plan.scenario.name}: {param}: {found.reason} ({found.engine_batches} batches, {took * 1e3:.0f} ms)")
            continue
        single = evaluate(case_plan, {found.param: [found.value]})
        a, b = single.npv[0, case_plan.scenario.path_index(found.a)], single.npv[0, case_plan.scenario.path_index(found.b)]
        print(
            f"  {case_plan.scenario.name}: {param} = {found.value:.6g}{' (capacity step)' if found.at_step else ''}: {found.engine_batches} engine batches "
            f"({found.iterations} refinements), bracket relative width {found.relative_tolerance:.1e}, "
            f"|NPV a - NPV b| / NPV = {abs(a - b) / max(abs(a), abs(b)):.1e}, {took * 1e3:.0f} ms"
        )


if __name__ == "__main__":
    main()
