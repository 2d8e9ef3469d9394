"""Sweep at scale, whole command: a 1e5-point 1-D sweep as a table, 1e6 points as JSON and CSV.

    python benchmarks/sweep_scale_bench.py [--runs 3]

Each case is a fresh process running `buildorbuy sweep scenarios/enterprise-support.yaml
--param workload.tokens_per_month --range 1e9:1e12:N:log …` (2 paths × 36 months), output to a
file in a temporary folder; wall time is measured around the process (interpreter start
included), CPU time (user + system) and peak memory (VmHWM) are the process's own. Medians of
--runs. On a shared machine the wall time exceeds the CPU time by however long the process waited
for a core; the single-threaded CPU time is what an idle machine's wall time approaches.

Targets (issue 9): 1e5 points as a table ≤ 3 s; 1e6 points as JSON ≤ 12 s and ≤ 1 GB, in the
`points[{values, npv, winner, excluded}]` shape (checked here by parsing the file).
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _memory import PEAK_MB_SOURCE  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "scenarios" / "enterprise-support.yaml")

CHILD = """
import sys
""" + PEAK_MB_SOURCE + """from buildorbuy.cli import main
sys.argv = ["buildorbuy", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)
print(_peak_mb(), usage.ru_utime + usage.ru_stime, file=sys.stderr)
"""


def case(points: int, fmt: str, out: Path, extra: tuple[str, ...] = ()) -> tuple[float, float, float]:
    """(wall s, peak RSS MB, CPU s of the process)."""
    argv = [sys.executable, "-c", CHILD, "sweep", SCENARIO, "--param", "workload.tokens_per_month",
            "--range", f"1e9:1e12:{points}:log", "--format", fmt, "--output", str(out), *extra]
    start = time.perf_counter()
    done = subprocess.run(argv, check=True, capture_output=True, text=True, env={"NO_COLOR": "1", "PATH": ""})
    wall = time.perf_counter() - start
    peak_mb, cpu = map(float, done.stderr.strip().splitlines()[-1].split())
    return wall, peak_mb, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cases = [(100_000, "table", (), 3.0, None), (1_000_000, "json", (), 12.0, 1024.0),
             (1_000_000, "json", ("--columnar",), None, None), (1_000_000, "csv", (), None, None)]
    with tempfile.TemporaryDirectory() as folder:
        for points, fmt, extra, seconds, megabytes in cases:
            out = Path(folder) / f"sweep.{fmt}"
            runs = [case(points, fmt, out, extra) for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in runs)
            rss = statistics.median(r[1] for r in runs)
            cpu = statistics.median(r[2] for r in runs)
            size = out.stat().st_size / 1e6
            target = " / ".join(t for t in (f"≤ {seconds:g} s" if seconds else "", f"≤ {megabytes:,.0f} MB" if megabytes else "") if t)
            label = f"{points:,} points, --format {fmt} {' '.join(extra)}".strip()
            print(f"{label:<42} {wall:6.2f} s wall  {cpu:6.2f} s CPU  peak RSS {rss:6.0f} MB  output {size:6.1f} MB  "
                  f"{('target ' + target) if target else ''}")
            if fmt == "json":
                document = json.loads(out.read_text(encoding="utf-8"))
                if extra:
                    assert len(document["columns"]["winner"]) == points
                else:
                    assert len(document["points"]) == points and set(document["points"][0]) == {"values", "npv", "winner", "excluded"}


if __name__ == "__main__":
    main()
