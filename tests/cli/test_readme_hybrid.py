"""The README's hybrid-router outputs are the real outputs (regenerate with the COLUMNS shown)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import REPO

ROUTER = str(REPO / "scenarios" / "hybrid-router.yaml")
CASES = [
    ("$ buildorbuy compare scenarios/hybrid-router.yaml\n", ["compare", ROUTER], "110"),
    ("$ buildorbuy breakeven scenarios/hybrid-router.yaml --param 'paths[Tuned 8B].routing.escalation_rate'\n",
     ["breakeven", ROUTER, "--param", "paths[Tuned 8B].routing.escalation_rate"], "110"),
    ("$ buildorbuy when scenarios/hybrid-router.yaml --latest 12\n", ["when", ROUTER, "--latest", "12"], "100"),
]


@pytest.mark.parametrize("marker,args,columns", CASES, ids=["compare", "breakeven", "when"])
def test_readme_hybrid_output_is_current(monkeypatch, marker, args, columns):
    monkeypatch.setenv("COLUMNS", columns)
    readme = (REPO / "README.md").read_text()
    start = readme.index(marker) + len(marker)
    shown = readme[start : readme.index("\n```", start)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    actual = "\n".join(line.rstrip() for line in result.stdout.rstrip().splitlines())
    assert shown == actual, f"README drifted: regenerate with COLUMNS={columns} buildorbuy {' '.join(args[:1])} …"
