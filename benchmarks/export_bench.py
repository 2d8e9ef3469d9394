"""Benchmark: `buildorbuy export` of the largest bundled scenario, as a whole process.

    python benchmarks/export_bench.py [--runs 5]

Picks the bundled scenario with the most path-months (paths × horizon_months), then times
`python -m buildorbuy export SCENARIO -o <tmp>.xlsx` in a fresh process (imports, scenario
loading, engine, workbook writing and the atomic file write: what a user waits for), and, in
this process, the workbook build alone (`build_workbook` after `compare`). Prints the median of
several runs, the budget (2 s whole process) and the ratio to it, plus the workbook's size.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 2.0


def largest_scenario() -> Path:
    def size(path: Path) -> int:
        data = yaml.safe_load(path.read_text())
        return len(data["paths"]) * int(data.get("horizon_months", 36))

    return max(sorted((REPO / "scenarios").glob("*.yaml")), key=size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    scenario = largest_scenario()
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "model.xlsx"
        process_times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "buildorbuy", "export", str(scenario), "-o", str(target)],
                           check=True, capture_output=True)
            process_times.append(time.perf_counter() - start)
        size_kb = target.stat().st_size / 1024

    from buildorbuy.analysis.compare import compare
    from buildorbuy.render.workbook import build_workbook
    from buildorbuy.scenario.loading import load_scenario

    cmp = compare(load_scenario(scenario))
    build_times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        build_workbook(cmp.result.plan, cmp.result)
        build_times.append(time.perf_counter() - start)
    median = statistics.median(process_times)
    print(f"scenario: {scenario.name} ({len(cmp.paths)} paths × {cmp.scenario.horizon} months), workbook {size_kb:.0f} KiB")
    print(f"export, whole process (median of {args.runs}): {median:.2f} s; budget {BUDGET_SECONDS:.1f} s; "
          f"ratio {median / BUDGET_SECONDS:.2f}")
    print(f"build_workbook alone (median of {args.runs}): {statistics.median(build_times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
