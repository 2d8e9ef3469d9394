"""Bounded, seeded mutation fuzzing of the loader and every command (see tests/fuzz_cases.py).

2,000 cases: 1,700 through the loader, 300 command lines through the CLI runner (every command).
`python benchmarks/fuzz.py --cases 50000` runs many more.
"""

from __future__ import annotations

import random

from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.fuzz_cases import check_command, check_loader, commands, make_case, patch_cached_command

SEED = 9
LOADER_CASES = 1700
COMMAND_CASES = 300
MAX_REPORTS = 2
"""`report` draws charts (seconds per valid scenario): a couple of cases here, more in benchmarks/fuzz.py."""


def test_the_loader_survives_mutated_scenarios(tmp_path):
    problems = []
    for number in range(LOADER_CASES):
        case = make_case(number, SEED)
        problem = check_loader(case, tmp_path)
        if problem:
            problems.append(f"case {number} ({', '.join(case.operators)}; --set {case.sets}): {problem}")
    assert not problems, "\n".join(problems[:20])


def test_every_command_survives_mutated_scenarios(tmp_path, monkeypatch):
    patch_cached_command(monkeypatch.setattr)
    runner = CliRunner()
    rng = random.Random(SEED)
    problems = []
    seen = set()
    reports = 0
    succeeded = 0
    for number in range(COMMAND_CASES):
        case = make_case(LOADER_CASES + number, SEED, mild_share=0.4)
        path = tmp_path / f"case{case.suffix}"
        path.write_bytes(case.data)
        args = commands(case, path, rng, report=reports < MAX_REPORTS)
        reports += args[0] == "report"
        seen.add(" ".join(args[:2]) if args[0] in ("estimate", "catalog") else args[0])
        problem, status = check_command(runner, app, args, tmp_path)
        succeeded += status == 0
        if problem:
            problems.append(f"case {number} {args[:4]} ({', '.join(case.operators)}): {problem}")
    assert not problems, "\n".join(problems[:20])
    assert succeeded >= COMMAND_CASES // 6  # the mild cases keep some files valid: commands run to the end
    assert {"validate", "compare", "tornado", "breakeven", "sweep", "diff", "simulate", "report",
            "estimate training", "estimate serving", "estimate finetune"} <= seen
