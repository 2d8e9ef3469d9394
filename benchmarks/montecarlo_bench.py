"""Monte Carlo benchmark: `simulate` against a hand-written numpy version of the same model.

    python benchmarks/montecarlo_bench.py [--runs 7] [--samples 100000] [--no-memory]

The anchor is benchmarks/numpy_model.py: scenarios/uncertain-enterprise.yaml's model written
by hand for that one scenario (constants folded, in-place numpy, [samples, months] arrays),
checked here to agree with the engine to a relative 1e-12 before anything is timed.

(a) in-process, after imports, the two alternated run by run, medians of --runs:
    - whole `simulate(scenario, 100,000, seed)` (sampling, correlation, engine chunks, summary
      with drivers, histogram and per-year winners; on two threads, or one while the machine has
      no idle CPU, as printed) against the baseline's `run()` (sampling,
      correlation, model in chunks of its fastest size, P10/P50/P90 and win probabilities);
    - the engine alone (`evaluate`, called as simulate calls it: keep_components=False with the
      year-ends, the reduced mode) against the baseline's `npv()` on the same inputs, at the
      batch size simulate uses, at the baseline's best chunk and at 10,000 samples. Measured
      after a 32 MB array is freed, as inside simulate and `run()`, whose big per-sample arrays
      raise glibc's dynamic mmap/trim thresholds: before that, a loop of few-megabyte calls gets
      its freed memory returned to the system and mapped back page by page (~2,300-2,700 page
      faults per call on either side, a third of its time, measured with getrusage), which
      neither side pays inside simulate or `run()` (`run()`: no faults; simulate: a few thousand over
      its 20 engine calls for 100,000 samples).
(b) whole command as a subprocess (`python -m buildorbuy simulate … --format json`).
(c) peak memory (VmHWM of a fresh process running load + simulate + JSON): 1e5 samples of
    3 paths × 60 months, of 600 months, and of 51 paths (the scenario's paths repeated); 1e6 and
    1e7 samples.

Machine noise matters: on a shared 2-core machine, runs vary by ±15 % or more. (a) prints wall and
CPU-time ratios (simulate runs its chunks on two threads when a CPU is idle, the baseline on one)
and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy_model  # noqa: E402
from _memory import PEAK_MB_SOURCE  # noqa: E402

SCENARIO = ROOT / "scenarios" / "uncertain-enterprise.yaml"


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _times(fn) -> tuple[float, float]:
    """(wall, CPU) seconds of one call; CPU is the process's, all threads (simulate uses two)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def alternate(a, b, runs: int) -> tuple[list[float], list[float]]:
    ta, tb = [], []
    for _ in range(runs):
        ta.append(_time(a))
        tb.append(_time(b))
    return ta, tb


def alternate_cpu(a, b, runs: int) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Like `alternate`, with (wall, CPU) per run."""
    ta, tb = [], []
    for _ in range(runs):
        ta.append(_times(a))
        tb.append(_times(b))
    return ta, tb


def _ratio_line(a: list[tuple[float, float]], b: list[tuple[float, float]], k: int) -> float:
    return statistics.median([x[k] / y[k] for x, y in zip(a, b)])


CHILD = """
import json, sys, time
""" + PEAK_MB_SOURCE + """start = time.perf_counter()
from buildorbuy.analysis.montecarlo import simulate
from buildorbuy.render.simulate_render import render_json
from buildorbuy.scenario.loading import load_scenario
text = render_json(simulate(load_scenario(sys.argv[1], sys.argv[3:]), int(sys.argv[2]), 42))
wall = time.perf_counter() - start
print(json.dumps({"wall": wall, "max_rss_mb": _peak_mb()}))
"""


def peak(scenario: Path, samples: int, overrides: list[str] | None = None) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(scenario), str(samples), *(overrides or [])],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def many_paths(folder: Path, copies: int) -> Path:
    """uncertain-enterprise with its three paths repeated to `copies` × 3 paths (names numbered)."""
    import yaml

    data = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    paths = data["paths"]
    data["correlations"] = []
    data["paths"] = [dict(p, name=f"{p['name']} #{c}") for c in range(copies) for p in paths]
    data["paths"][0]["name"] = paths[0]["name"]  # the bridge keeps its name
    out = folder / "many-paths.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--no-memory", action="store_true", help="skip (c)")
    args = parser.parse_args()
    os.environ.setdefault("NO_COLOR", "1")

    from buildorbuy.analysis.montecarlo import CHUNK_SIZE, _sampler, engine_slice, simulate, threads
    from buildorbuy.engine.core import evaluate
    from buildorbuy.engine.plan import compile_plan
    from buildorbuy.scenario.loading import load_scenario

    worst = numpy_model.check()
    print(f"baseline check: max relative NPV difference to the engine {worst:.1e} (must be ≤ 1e-12)")
    if worst > 1e-12:
        raise SystemExit("the hand-written model and the engine disagree: fix one before timing")

    scenario = load_scenario(SCENARIO)
    n = args.samples
    simulate(scenario, 2_000, 1)
    numpy_model.run(2_000)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    used: list[int] = []  # threads each simulate run used (one while the machine has no idle CPU: see `threads`)
    whole, base = alternate_cpu(lambda: (used.append(threads(-(-n // CHUNK_SIZE))), simulate(scenario, n, 42)),
                                lambda: numpy_model.run(n, 42), args.runs)
    print(f"(a) {n:,} samples × 3 paths × 60 months, in-process, medians of {args.runs} alternated runs:")
    print(f"    simulate() {statistics.median(w for w, _ in whole):.3f} s wall, {statistics.median(c for _, c in whole):.3f} s CPU"
          f" (threads per run: {','.join(map(str, used))}); hand-written numpy {statistics.median(w for w, _ in base):.3f} s wall,"
          f" {statistics.median(c for _, c in base):.3f} s CPU (one thread)")
    print(f"    → wall ratio {_ratio_line(whole, base, 0):.2f}× (target ≤ 1.5×), CPU ratio {_ratio_line(whole, base, 1):.2f}×")

    plan = compile_plan(scenario)
    year_ends = [*range(11, plan.horizon, 12)]  # as simulate asks: NPV, totals and year-end cumulative costs
    if year_ends[-1] != plan.horizon - 1:
        year_ends.append(plan.horizon - 1)
    warm_allocator = np.ones(4_000_000)  # 32 MB: see the docstring (engine alone)
    del warm_allocator
    for size in (engine_slice(plan), numpy_model.BEST_CHUNK, 10_000):
        batch = _sampler(scenario, plan).draw(np.random.default_rng(0), size).batch
        short = {s: batch[k] for s, k in numpy_model.KEYS.items()}
        engine, hand = alternate_cpu(lambda: evaluate(plan, batch, keep_components=False, year_ends=year_ends),
                                     lambda: numpy_model.npv(short),
                                     args.runs * 3)
        print(f"    engine alone, one batch of {size:,} samples: evaluate {statistics.median(w for w, _ in engine) * 1e3:.1f} ms, "
              f"numpy_model.npv {statistics.median(w for w, _ in hand) * 1e3:.1f} ms → ratio {_ratio_line(engine, hand, 0):.2f}× wall,"
              f" {_ratio_line(engine, hand, 1):.2f}× CPU")
    print(f"load average after (a): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    sub = [_time(lambda: subprocess.run([sys.executable, "-m", "buildorbuy", "simulate", str(SCENARIO), "--samples", str(n),
                                         "--format", "json"], check=True, stdout=subprocess.DEVNULL)) for _ in range(max(3, args.runs // 2))]
    print(f"(b) whole command as a subprocess, {n:,} samples: median {statistics.median(sub):.2f} s")

    if args.no_memory:
        return
    print("(c) peak RSS of a fresh process (load + simulate + JSON); horizon and paths at 100,000 samples, where the")
    print("    engine's working set dominates (the per-sample results, [samples, paths], are kept by design):")
    base_run = peak(SCENARIO, 100_000)
    print(f"    1e5 samples, 3 paths × 60 months: {base_run['wall']:.1f} s, {base_run['max_rss_mb']:.0f} MB")
    # traffic growing up to 100 %/yr for 50 years needs more GPUs than the fleet bound allows:
    # the horizon comparison draws growth from 0–6 %/yr in both runs
    steady = ["workload.growth_per_year={dist: triangular, low: 0.0, mode: 0.03, high: 0.06}"]
    short_run = peak(SCENARIO, 100_000, steady)
    long_run = peak(SCENARIO, 100_000, [*steady, "horizon_months=600"])
    print(f"    1e5 samples, growth 0–6 %/yr, 3 paths × 60 / 600 months: {short_run['max_rss_mb']:.0f} MB / {long_run['max_rss_mb']:.0f} MB "
          f"({long_run['max_rss_mb'] / short_run['max_rss_mb']:.2f}×; target ≤ 2×), {long_run['wall']:.1f} s at 600 months")
    with tempfile.TemporaryDirectory() as folder:
        wide = many_paths(Path(folder), 17)
        wide_run = peak(wide, 100_000)
    print(f"    1e5 samples, 51 paths × 60 months: {wide_run['wall']:.1f} s, {wide_run['max_rss_mb']:.0f} MB "
          f"({wide_run['max_rss_mb'] / base_run['max_rss_mb']:.2f}× the 3-path run; target ≤ 2×)")
    million = peak(SCENARIO, 1_000_000)
    print(f"    1e6 samples, 3 paths × 60 months: {million['wall']:.1f} s, {million['max_rss_mb']:.0f} MB")
    big = peak(SCENARIO, 10_000_000)
    print(f"    1e7 samples, 3 paths × 60 months: {big['wall']:.1f} s, {big['max_rss_mb']:.0f} MB (target ≤ 1,500 MB)")


if __name__ == "__main__":
    main()
