"""Fleet benchmark: what autoscaling and `reserved.gpus: auto` cost in run time.

    python benchmarks/fleet_bench.py [--runs 31] [--mc-runs 3] [--samples 100000]

(a) compare, in process (load the file, compile the plan — which runs the batched reservation
    search — evaluate, summarise, render JSON; also timed without reading the file, and as the
    `buildorbuy compare --format json` command in a fresh process): scenarios/enterprise-support-reserved.yaml
    (autoscaled, `reserved.gpus: auto`, 24-hour profile) against the same scenario with a fixed
    fleet (scaling, min_replicas and reserved removed). Interleaved runs, median of --runs; ratio autoscaled ÷ fixed.
(b) simulate, in process, --samples samples of scenarios/uncertain-enterprise.yaml with its
    rented path autoscaled (default two-level day) against the file as it is (fixed fleets);
    and the same with a 24-hour daily_profile instead of peak_to_average. Median of --mc-runs;
    ratio autoscaled ÷ fixed.
Targets (issue 12): (a) ≤ 1.2, (b) ≤ 2.
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
RESERVED = ROOT / "scenarios" / "enterprise-support-reserved.yaml"
UNCERTAIN = ROOT / "scenarios" / "uncertain-enterprise.yaml"
PROFILE = [0.3, 0.25, 0.2, 0.2, 0.25, 0.4, 0.7, 1.1, 1.5, 1.8, 1.9, 1.8,
           1.6, 1.7, 1.8, 1.8, 1.6, 1.3, 1.0, 0.8, 0.7, 0.6, 0.45, 0.35]


def _write(data: dict, folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _median(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_compares(paths: list[Path], runs: int) -> tuple[list[float], list[float]]:
    """Median time of each file's compare, with and without reading the file (runs interleaved,
    so machine load hits every file alike)."""
    from buildorbuy.analysis.compare import compare
    from buildorbuy.render.compare_render import render_json
    from buildorbuy.scenario.loading import load_scenario

    whole: list[list[float]] = [[] for _ in paths]
    model: list[list[float]] = [[] for _ in paths]
    for _ in range(runs):
        for i, path in enumerate(paths):
            start = time.perf_counter()
            scenario = load_scenario(path)
            loaded = time.perf_counter()
            render_json(compare(scenario))
            end = time.perf_counter()
            whole[i].append(end - start)
            model[i].append(end - loaded)
    return [statistics.median(t) for t in whole], [statistics.median(t) for t in model]


def time_commands(paths: list[Path], runs: int) -> list[float]:
    """Median wall time of `buildorbuy compare FILE --format json` in a fresh process (interleaved)."""
    times: list[list[float]] = [[] for _ in paths]
    for _ in range(runs):
        for i, path in enumerate(paths):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "buildorbuy", "compare", str(path), "--format", "json"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def time_simulate(path: Path, samples: int, runs: int) -> float:
    from buildorbuy.analysis.montecarlo import simulate
    from buildorbuy.scenario.loading import load_scenario

    return _median(lambda: simulate(load_scenario(path), samples, 42), runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=31)
    parser.add_argument("--mc-runs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=100_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        reserved = yaml.safe_load(RESERVED.read_text())
        fixed = copy.deepcopy(reserved)
        for path in fixed["paths"]:
            for name in ("scaling", "min_replicas", "reserved"):
                path.get("serving", {}).pop(name, None)
        fixed_file = _write(fixed, folder, "fixed.yaml")
        auto_file = _write(reserved, folder, "auto.yaml")  # written the same way as the fixed one (no comments)
        time_compares([auto_file, fixed_file], 2)  # warm imports and caches
        (w_fixed, w_auto), (m_fixed, m_auto) = time_compares([fixed_file, auto_file], args.runs)
        print(f"(a) compare incl. reading the YAML, median of {args.runs}: fixed fleet {w_fixed * 1000:.1f} ms, "
              f"autoscaled + reserved.gpus auto {w_auto * 1000:.1f} ms, ratio {w_auto / w_fixed:.2f} (target ≤ 1.2)")
        c_fixed, c_auto = time_commands([fixed_file, auto_file], max(3, args.runs // 4))
        print(f"(a) the compare command in a fresh process, median of {max(3, args.runs // 4)}: fixed {c_fixed * 1000:.0f} ms, "
              f"autoscaled + auto {c_auto * 1000:.0f} ms, ratio {c_auto / c_fixed:.2f}")
        print(f"(a) compare of the loaded scenario (compile incl. the reservation search, evaluate, summarise, JSON): "
              f"fixed {m_fixed * 1000:.1f} ms, autoscaled + auto {m_auto * 1000:.1f} ms, ratio {m_auto / m_fixed:.2f}")

        uncertain = yaml.safe_load(UNCERTAIN.read_text())
        two_level = copy.deepcopy(uncertain)
        profile = copy.deepcopy(uncertain)
        for data in (two_level, profile):
            for path in data["paths"]:
                serving = path.get("serving")
                if serving and serving.get("ownership", "rent") == "rent":
                    serving["scaling"] = "autoscale"
        profile["workload"].pop("peak_to_average", None)
        profile["workload"]["daily_profile"] = PROFILE
        files = {"fixed": UNCERTAIN, "autoscaled (two-level day)": _write(two_level, folder, "auto2.yaml"),
                 "autoscaled (24-hour profile)": _write(profile, folder, "auto24.yaml")}
        times = {label: time_simulate(file, args.samples, args.mc_runs) for label, file in files.items()}
        base = times["fixed"]
        for label, seconds in times.items():
            ratio = "" if label == "fixed" else f", ratio {seconds / base:.2f} (target ≤ 2)"
            print(f"(b) simulate {args.samples:,} samples, median of {args.mc_runs}, {label}: {seconds:.2f} s{ratio}")


if __name__ == "__main__":
    main()
