"""Start-up benchmark: whole CLI commands against the import floor of the project's dependencies.

    python benchmarks/startup_bench.py [--runs 15] [--only compare,validate]

Each command is a fresh process (`python -m buildorbuy …`, output to /dev/null, NO_COLOR=1),
what a user or a shell loop pays. The floor is `python -c "import numpy, pydantic, rich, typer,
yaml"`: what any CLI on this stack pays before doing anything. Commands are alternated with the
floor round by round (floor, compare, validate, …, floor, compare, …), so load on the machine
hits both alike; each ratio is the median over rounds of (command / that round's floor), for
wall time and for CPU time (user + system of the child: steadier on a loaded machine).
Compiled `.pyc` files are warmed first (one untimed run of each), with PYTHONDONTWRITEBYTECODE
removed from the commands' environment: an installed package has its bytecode (pip compiles it),
and without it a checkout recompiles ~60 modules at every start.

The program sets OPENBLAS_THREAD_TIMEOUT=4 for itself unless it is set (numpy's OpenBLAS workers
then sleep at once instead of busy-waiting after numpy's import; README, footnote 1). Every command
here, the floor included, runs with that setting (unless the caller's environment sets another
value): the floor is then the same interpreter, libraries and OpenBLAS behaviour as the program,
the strictest like-for-like baseline (without it the floor also pays OpenBLAS's busy-wait and the
ratios look ~0.2 better than they are).

Targets (issue 9): compare and validate ≤ 1.7×, estimate ≤ 1.9×, catalog apis ≤ 3×.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "scenarios" / "enterprise-support.yaml")
PY = sys.executable
ENV = {"OPENBLAS_THREAD_TIMEOUT": "4", **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "NO_COLOR": "1"}

COMMANDS = {
    "floor": ([PY, "-c", "import numpy, pydantic, rich, typer, yaml"], None),
    "compare": ([PY, "-m", "buildorbuy", "compare", SCENARIO], 1.7),
    "validate": ([PY, "-m", "buildorbuy", "validate", SCENARIO], 1.7),
    "estimate": ([PY, "-m", "buildorbuy", "estimate", "training", "--params", "70B", "--tokens", "2T", "--gpu", "a100-80gb",
                  "--gpus", "2048"], 1.9),
    "catalog apis": ([PY, "-m", "buildorbuy", "catalog", "apis"], 3.0),
}


def run(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", default="", help="comma-separated command names (default: all)")
    args = parser.parse_args()
    names = [n for n in COMMANDS if n != "floor" and (not args.only or n in args.only.split(","))]
    for name in ["floor", *names]:
        run(COMMANDS[name][0])
    times: dict[str, list[float]] = {name: [] for name in ["floor", *names]}
    cpu: dict[str, list[float]] = {name: [] for name in ["floor", *names]}
    ratios: dict[str, list[float]] = {name: [] for name in names}
    cpu_ratios: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(args.runs):
        floor, floor_cpu = run(COMMANDS["floor"][0])
        times["floor"].append(floor)
        cpu["floor"].append(floor_cpu)
        for name in names:
            t, c = run(COMMANDS[name][0])
            times[name].append(t)
            cpu[name].append(c)
            ratios[name].append(t / floor)
            cpu_ratios[name].append(c / floor_cpu)
    load = os.getloadavg()[0]
    print(f"{args.runs} alternated rounds, {os.cpu_count()} CPUs, load average {load:.1f}, Python {sys.version.split()[0]}")
    print(f"{'command':<14} {'wall s':>7} {'× floor':>8} {'CPU s':>7} {'× floor':>8} {'target':>7}")
    print(f"{'floor':<14} {statistics.median(times['floor']):>7.3f} {'1.00':>8} {statistics.median(cpu['floor']):>7.3f} {'1.00':>8}")
    for name in names:
        target = COMMANDS[name][1]
        ratio = statistics.median(ratios[name])
        print(f"{name:<14} {statistics.median(times[name]):>7.3f} {ratio:>8.2f} {statistics.median(cpu[name]):>7.3f} "
              f"{statistics.median(cpu_ratios[name]):>8.2f} {target:>6.1f}× {'ok' if ratio <= target else 'MISSED'} (wall)")

if __name__ == "__main__":
    main()
