"""Decision-analysis benchmark: voi against simulate, whatif against compare (ratios from one run).

    python benchmarks/decision_bench.py [--runs 5] [--samples 100000]

(a) scenarios/uncertain-enterprise.yaml (3 paths × 60 months, 10 fields given as distributions
    and 2 drawn success/failure outcomes): `voi` and `simulate` at --samples samples, in process
    (load, analyse, render JSON), alternated run by run; medians and their ratio.
    Target: voi ≤ 3 × simulate.
(b) A 3-path, 36-month scenario (two API paths and a fine-tune on rented GPUs) written below:
    `whatif` on 30 of its inputs (`--param`, the target's size) and on all of them (about 50), and
    `compare`, in process (load, analyse, render JSON) and as whole commands in a subprocess
    (`python -m buildorbuy …`, all inputs), alternated; medians and ratios. Target: whatif on 30
    inputs ≤ 5 × one compare. The in-process figure is the strict one: a compare
    call takes a few milliseconds, while every whatif engine batch covers all inputs × 2
    losing paths.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNCERTAIN = ROOT / "scenarios" / "uncertain-enterprise.yaml"

THREE_PATHS = {
    "name": "three paths (benchmark)", "currency": "USD", "start": "2026-01", "horizon_months": 36, "discount_rate": 0.08,
    "workload": {"tokens_per_month": "20B", "output_share": 0.25, "growth_per_year": 0.5, "cached_input_share": 0.3},
    "bridge": "gpt-4o",
    "paths": [
        {"name": "gpt-4o", "kind": "api", "price_per_1k_input": 0.0025, "price_per_1k_cached_input": 0.00125,
         "price_per_1k_output": 0.01, "price_change_per_year": -0.25},
        {"name": "gpt-4o-mini", "kind": "api", "price_per_1k_input": 0.00015, "price_per_1k_output": 0.0006,
         "price_change_per_year": -0.2, "staff": [{"role": "eval engineer", "count": 1, "annual_cost": "200k"}]},
        {"name": "Tuned 8B", "kind": "finetune", "model": {"params": "8B"},
         "finetune": {"tokens": "50M", "gpu": "h100-sxm", "gpus": 8, "gpu_hour_price": 2.99, "mfu": 0.35, "refresh_months": 6},
         "serving": {"gpu": "l40s", "gpu_hour_price": 0.9, "tokens_per_second_per_gpu": 3000, "gpus_per_replica": 1,
                     "target_utilization": 0.6},
         "lead_time_months": 3, "data": {"one_off": "100k"},
         "staff": [{"role": "ML engineer", "count": 2, "annual_cost": "250k"}]},
    ],
}


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_simulate(samples: int) -> None:
    from buildorbuy.analysis.montecarlo import simulate
    from buildorbuy.render.simulate_render import render_json
    from buildorbuy.scenario.loading import load_scenario

    render_json(simulate(load_scenario(UNCERTAIN), samples, 42))


def run_voi(samples: int) -> None:
    from buildorbuy.analysis.voi import voi
    from buildorbuy.render.voi_render import render_json
    from buildorbuy.scenario.loading import load_scenario

    render_json(voi(load_scenario(UNCERTAIN), samples, 42))


def run_compare(path: Path) -> None:
    from buildorbuy.analysis.compare import compare
    from buildorbuy.render.compare_render import RENDERERS
    from buildorbuy.scenario.loading import load_scenario

    RENDERERS["json"](compare(load_scenario(path)))


def run_whatif(path: Path, params: list[str] | None = None) -> None:
    from buildorbuy.analysis.whatif import whatif
    from buildorbuy.render.whatif_render import render_json
    from buildorbuy.scenario.loading import load_scenario

    render_json(whatif(load_scenario(path), params=params))


def command(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "buildorbuy", *args], check=True, stdout=subprocess.DEVNULL)


def alternate(runs: int, **tasks) -> dict[str, float]:
    """Median seconds of each task, the tasks alternated in every round (after one warm-up round)."""
    times: dict[str, list[float]] = {name: [] for name in tasks}
    for name, fn in tasks.items():
        fn()
    for _ in range(runs):
        for name, fn in tasks.items():
            times[name].append(timed(fn))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=100_000)
    args = parser.parse_args()

    from buildorbuy.analysis.whatif import whatif
    from buildorbuy.scenario.loading import load_scenario

    uncertain = load_scenario(UNCERTAIN)
    print(f"(a) {UNCERTAIN.name}: {len(uncertain._distributions)} distributions, {args.samples:,} samples, median of {args.runs}")
    a = alternate(args.runs, simulate=lambda: run_simulate(args.samples), voi=lambda: run_voi(args.samples))
    print(f"    simulate {a['simulate']:.3f} s   voi {a['voi']:.3f} s   ratio voi/simulate {a['voi'] / a['simulate']:.2f} (target ≤ 3)")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "three-paths.json"
        path.write_text(json.dumps(THREE_PATHS))
        every = whatif(load_scenario(path))
        thirty = every.searched[:30]
        print(f"(b) 3 paths × 36 months: {len(every.searched)} numeric inputs ({every.engine_batches} engine batches), "
              f"and the first 30 of them (--param), median of {args.runs}")
        b = alternate(args.runs, compare=lambda: run_compare(path), whatif30=lambda: run_whatif(path, thirty),
                      whatif=lambda: run_whatif(path))
        print(f"    in process:  compare {b['compare'] * 1e3:.1f} ms   whatif, 30 inputs {b['whatif30'] * 1e3:.1f} ms   "
              f"ratio {b['whatif30'] / b['compare']:.1f} (target ≤ 5)   all {len(every.searched)} inputs {b['whatif'] * 1e3:.1f} ms   "
              f"ratio {b['whatif'] / b['compare']:.1f}")
        c = alternate(args.runs, compare=lambda: command("compare", str(path), "-f", "json"),
                      whatif=lambda: command("whatif", str(path), "-f", "json"))
        print(f"    whole command: compare {c['compare']:.3f} s   whatif {c['whatif']:.3f} s   ratio {c['whatif'] / c['compare']:.2f} (target ≤ 5)")


if __name__ == "__main__":
    main()
