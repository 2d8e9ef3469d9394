"""`when` benchmark: NPV by start month over 24 start months against one compare.

    python benchmarks/when_bench.py [--runs 21] [--latest 24]

For each bundled scenario with a bridge and a self-hosted path, in process (scenario loaded once,
outside the timing): compile the plan and run `when` over start months 0 … --latest (one batched
engine call), against compile + compare of the same scenario. Runs interleaved; medians and the
ratio when ÷ compare. Target (issue 14): ≤ 2.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ["hybrid-router.yaml", "enterprise-support.yaml", "startup-assistant.yaml", "enterprise-support-reserved.yaml"]


def main() -> None:
    from buildorbuy.analysis.compare import compare
    from buildorbuy.analysis.when import when
    from buildorbuy.scenario.loading import load_scenario

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--latest", type=int, default=24)
    args = parser.parse_args()
    for name in SCENARIOS:
        scenario = load_scenario(ROOT / "scenarios" / name)
        compare(scenario)
        times: dict[str, list[float]] = {"compare": [], "when": []}
        for _ in range(args.runs):
            start = time.perf_counter()
            compare(scenario)
            times["compare"].append(time.perf_counter() - start)
            start = time.perf_counter()
            when(scenario, latest=args.latest)
            times["when"].append(time.perf_counter() - start)
        c, w = statistics.median(times["compare"]), statistics.median(times["when"])
        print(f"{name}: compare {c * 1000:.1f} ms, when over {args.latest + 1} start months {w * 1000:.1f} ms, "
              f"ratio {w / c:.2f} (target ≤ 2)")


if __name__ == "__main__":
    main()
