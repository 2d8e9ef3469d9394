"""Fuzzing at scale: the seeded mutation fuzzer of tests/test_fuzz.py over many more cases.

    python benchmarks/fuzz.py [--cases 20000] [--seed 1] [--command-share 0.15] [--report-every 500] [--more]

Each case mutates a bundled scenario (see tests/fuzz_cases.py). Most cases go through the loader
(`load_scenario`, in-process); a share of them run a whole command line through the CLI runner
(every command, with JSON output where it has one). A case fails when anything other than a
one-line error comes out, when a command exits with a status other than 0 or 2 or prints a
traceback, or when its JSON holds NaN or Infinity. Prints the cases per second and every failure
(case number, mutation, message); exits 1 when any case failed. A failing case is reproduced
with the same --seed and its case number.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fuzz_cases import check_command, check_loader, commands, make_case, patch_cached_command  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--command-share", type=float, default=0.15, help="share of cases run as a CLI command")
    parser.add_argument("--report-every", type=int, default=1000)
    parser.add_argument("--case", type=int, default=None, help="run only this case number (to reproduce a failure)")
    parser.add_argument("--more", action="store_true", help="also run when, whatif, voi and export (slower)")
    args = parser.parse_args()

    from typer.testing import CliRunner

    from buildorbuy.cli import app

    patch_cached_command(setattr)
    runner = CliRunner()
    failures: list[str] = []
    counts = {"loader": 0, "command": 0, "command ok": 0}
    numbers = [args.case] if args.case is not None else range(args.cases)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for done, number in enumerate(numbers, start=1):
            rng = random.Random(f"command:{args.seed}:{number}")
            as_command = rng.random() < args.command_share
            case = make_case(number, args.seed, mild_share=0.4 if as_command else 0.0)
            if as_command:
                path = work / f"case{case.suffix}"
                path.write_bytes(case.data)
                line = commands(case, path, rng, more=args.more)
                problem, status = check_command(runner, app, line, work)
                counts["command"] += 1
                counts["command ok"] += status == 0
                where = " ".join(part if len(part) < 60 else part[:57] + "…" for part in line[:4])
            else:
                problem = check_loader(case, work)
                counts["loader"] += 1
                where = "loader"
            if problem:
                failures.append(f"case {number} [{where}] ({', '.join(case.operators)}; --set {case.sets}): {problem}")
                print(failures[-1], flush=True)
            if done % args.report_every == 0:
                rate = done / (time.perf_counter() - start)
                print(f"{done:,} cases, {len(failures)} failures, {rate:,.0f} cases/s", flush=True)
    elapsed = time.perf_counter() - start
    total = counts["loader"] + counts["command"]
    print(f"seed {args.seed}: {total:,} cases ({counts['loader']:,} loader, {counts['command']:,} command lines, "
          f"{counts['command ok']:,} of them exit 0) "
          f"in {elapsed:.1f} s ({total / elapsed:,.0f} cases/s): {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
