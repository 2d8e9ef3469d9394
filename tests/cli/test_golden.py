"""Golden outputs for rendered tables. Regenerate after an intended change with UPDATE_GOLDEN=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import REPO

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CASES = [
    ("bank-onprem-cny.yaml", "markdown", "compare_bank.md"),
    ("startup-assistant.yaml", "table", "compare_startup.txt"),
    ("bank-onprem-cny.yaml", "csv", "compare_bank.csv"),
]


@pytest.mark.parametrize("scenario,fmt,golden", CASES, ids=[c[2] for c in CASES])
def test_rendered_output_matches_golden(scenario, fmt, golden, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    result = CliRunner().invoke(app, ["compare", str(REPO / "scenarios" / scenario), "--format", fmt])
    assert result.exit_code == 0, result.output
    path = GOLDEN / golden
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(result.stdout)
    assert result.stdout == path.read_text()
