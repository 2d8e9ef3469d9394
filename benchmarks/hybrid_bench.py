"""Hybrid-router benchmark: what the `auto` capacity searches cost in run time.

    python benchmarks/hybrid_bench.py [--runs 31] [--cli-runs 5]

Measures one compare of scenarios/hybrid-router.yaml with both `serving.max_gpus: auto` and
`serving.reserved.gpus: auto` (searched together: one batched engine call over every whole-replica
pair) against the same scenario with the values that search chose written in as numbers (no
search). (a) in process: load the file, compile the plan (which runs the search), evaluate,
summarise, render JSON; runs interleaved, median of --runs. (b) `buildorbuy compare --format json`
in a fresh process, median of --cli-runs. Prints each median and the ratio auto ÷ fixed.
Target (issue 13): ≤ 1.5.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "hybrid-router.yaml"
RESERVATION = {"gpu_hour_price": "auto", "term_months": 12}


def variants(folder: Path) -> tuple[Path, Path]:
    """The scenario with both searches, and with the chosen values fixed."""
    from buildorbuy.analysis.compare import compare
    from buildorbuy.scenario.loading import load_scenario

    data = yaml.safe_load(SCENARIO.read_text())
    auto = copy.deepcopy(data)
    serving = auto["paths"][1]["serving"]
    serving["max_gpus"] = "auto"
    serving["reserved"] = {"gpus": "auto", **RESERVATION}
    auto_path = folder / "auto.yaml"
    auto_path.write_text(yaml.safe_dump(auto, sort_keys=False))
    chosen = compare(load_scenario(auto_path)).paths[1].estimates
    fixed = copy.deepcopy(auto)
    fixed["paths"][1]["serving"]["max_gpus"] = chosen["serving.max_gpus"]["value"]
    fixed["paths"][1]["serving"]["reserved"]["gpus"] = chosen["serving.reserved.gpus"]["value"]
    fixed_path = folder / "fixed.yaml"
    fixed_path.write_text(yaml.safe_dump(fixed, sort_keys=False))
    print(f"chosen: max_gpus {chosen['serving.max_gpus']['value']:g}, reserved.gpus {chosen['serving.reserved.gpus']['value']:g} "
          f"({chosen['serving.max_gpus']['method']})")
    return auto_path, fixed_path


def in_process(paths: list[Path], runs: int) -> list[float]:
    from buildorbuy.analysis.compare import compare
    from buildorbuy.render.compare_render import render_json
    from buildorbuy.scenario.loading import load_scenario

    times: list[list[float]] = [[] for _ in paths]
    for _ in range(runs):
        for k, path in enumerate(paths):
            start = time.perf_counter()
            render_json(compare(load_scenario(path)))
            times[k].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def fresh_process(paths: list[Path], runs: int) -> list[float]:
    times: list[list[float]] = [[] for _ in paths]
    for _ in range(runs):
        for k, path in enumerate(paths):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "buildorbuy", "compare", str(path), "--format", "json"],
                           check=True, capture_output=True)
            times[k].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=31)
    parser.add_argument("--cli-runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        auto, fixed = variants(Path(folder))
        a, f = in_process([auto, fixed], args.runs)
        print(f"(a) compare in process, median of {args.runs}: auto {a * 1000:.1f} ms, fixed {f * 1000:.1f} ms, "
              f"ratio {a / f:.2f} (target ≤ 1.5)")
        a, f = fresh_process([auto, fixed], args.cli_runs)
        print(f"(b) buildorbuy compare --format json, fresh process, median of {args.cli_runs}: auto {a * 1000:.0f} ms, "
              f"fixed {f * 1000:.0f} ms, ratio {a / f:.2f} (target ≤ 1.5)")


if __name__ == "__main__":
    main()
