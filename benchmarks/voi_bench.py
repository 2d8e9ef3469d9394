"""voi's EVPPI limits, measured: time of the EVPPI estimator as candidate paths, inputs and samples grow.

    python benchmarks/voi_bench.py [--runs 3] [--worst-runs 3] [--skip-worst]

What it measures (in process, one Python process, after one warm-up):
- a synthetic scenario of P api paths (P candidates, similar prices so every one wins some samples)
  and I uncertain inputs: each path's input price, then staff costs, as triangular distributions;
- `simulate` once per configuration (not timed against the limits: the simulation's cost is the
  user's --samples), then `voi_from_simulation` on it, the EVPPI estimator the limits bound: wall
  time (median of --runs) and CPU time of this process (user + system, all threads), with the
  work units the estimator reports (`evppi_work` = kept samples × estimated inputs × path pairs)
  and the wall nanoseconds per unit;
- the worst cases within the limits, where EVPPI_WORK caps the work: 2 candidates (the most time a
  unit takes) with 32 inputs at 2,000,000 samples, and EVPPI_PATHS candidates with 16 inputs at
  1,000,000 samples (the most rows the simulation keeps): the estimator alone, then the whole
  `voi()` call of the second (simulation included, which grows with --samples, not these limits),
  median of --worst-runs.

The load average is printed before and after: on a shared machine compare runs taken at similar load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def scenario(paths: int, inputs: int):
    """P api paths at similar prices; I ≥ P uncertain inputs (path prices, then staff costs)."""
    from buildorbuy.scenario.loading import scenario_from_dict

    assert inputs >= paths
    extra = inputs - paths
    rows = []
    for i in range(paths):
        mode = 0.002 + 0.00005 * i
        staff = []
        for j in range(extra // paths + (1 if i < extra % paths else 0)):
            staff.append({"role": f"engineer {j}", "count": 1,
                          "annual_cost": {"dist": "triangular", "low": 100_000, "mode": 150_000 + 1_000 * i, "high": 250_000}})
        rows.append({"name": f"api {i}", "kind": "api", "price_per_1k_output": 0.008,
                     "price_per_1k_input": {"dist": "triangular", "low": mode * 0.6, "mode": mode, "high": mode * 1.5},
                     **({"staff": staff} if staff else {})})
    return scenario_from_dict({"name": f"voi bench {paths} paths {inputs} inputs", "currency": "USD", "start": "2026-01",
                               "horizon_months": 36, "discount_rate": 0.08,
                               "workload": {"tokens_per_month": "10B", "output_share": 0.25}, "paths": rows})


def cpu() -> float:
    t = os.times()
    return t.user + t.system


def measure(fn, runs: int) -> tuple[float, float, object]:
    """(median wall s, median CPU s, last result) over `runs` calls."""
    walls, cpus, out = [], [], None
    for _ in range(runs):
        w, c = time.perf_counter(), cpu()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(cpu() - c)
    return statistics.median(walls), statistics.median(cpus), out


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worst-runs", type=int, default=3)
    parser.add_argument("--skip-worst", action="store_true")
    args = parser.parse_args()

    from buildorbuy.analysis.montecarlo import simulate
    from buildorbuy.analysis.voi import EVPPI_PATHS, EVPPI_WORK, voi, voi_from_simulation

    print(f"{os.cpu_count()} cores, {load()}; EVPPI_PATHS={EVPPI_PATHS}, EVPPI_WORK={EVPPI_WORK:,}")
    voi_from_simulation(simulate(scenario(2, 2), 2_000, 1))  # warm-up: imports, first allocations
    print(f"{'paths':>5} {'inputs':>6} {'samples':>9} {'work units':>13} {'EVPPI wall s':>12} {'CPU s':>7} "
          f"{'ns/unit':>8} {'simulate s':>10}")
    per_unit = []
    for paths, inputs, samples in [(2, 16, 100_000), (4, 16, 100_000), (8, 16, 100_000), (8, 8, 100_000),
                                   (8, 16, 300_000), (4, 16, 1_000_000)]:
        s = scenario(paths, inputs)
        start = time.perf_counter()
        sim = simulate(s, samples, 42)
        simulated = time.perf_counter() - start
        wall, cpu_s, result = measure(lambda: voi_from_simulation(sim), args.runs)
        unit = wall / max(result.evppi_work, 1) * 1e9
        per_unit.append(unit)
        print(f"{paths:>5} {inputs:>6} {samples:>9,} {result.evppi_work:>13,} {wall:>12.2f} {cpu_s:>7.2f} {unit:>8.1f} {simulated:>10.2f}")
        sim = None  # freed before the next configuration
    print(f"median {statistics.median(per_unit):.1f} ns a work unit; at EVPPI_WORK that is "
          f"{statistics.median(per_unit) * EVPPI_WORK / 1e9:.1f} s; {load()}")
    if args.skip_worst:
        return
    # the worst cases within the limits: the work is capped at EVPPI_WORK units; per unit, few pairs
    # cost most (each input's sort and grouping is shared by fewer pairs), many pairs least
    for paths, inputs, samples in [(2, 32, 2_000_000), (EVPPI_PATHS, 16, 1_000_000)]:
        s = scenario(paths, inputs)
        start = time.perf_counter()
        sim = simulate(s, samples, 42)
        simulated = time.perf_counter() - start
        wall, cpu_s, result = measure(lambda: voi_from_simulation(sim), args.worst_runs)
        print(f"worst case within the limits, {paths} candidates, {inputs} inputs, {samples:,} samples: "
              f"{result.evppi_work:,} units ({result.estimator_samples:,} kept samples, {len(result.not_estimated)} inputs "
              f"not estimated): EVPPI {wall:.2f} s wall, {cpu_s:.2f} s CPU (the simulation: {simulated:.2f} s wall); {load()}")
        sim = None  # freed before the next configuration
    s = scenario(EVPPI_PATHS, 16)
    wall, cpu_s, _ = measure(lambda: voi(s, 1_000_000, 42), args.worst_runs)
    print(f"whole voi() call, {EVPPI_PATHS} candidates, 16 inputs, 1,000,000 samples: {wall:.2f} s wall, {cpu_s:.2f} s CPU; {load()}")

if __name__ == "__main__":
    main()
