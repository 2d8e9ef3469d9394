"""The compare table's notes (infeasible paths, chances of success) end with a blank line, as every
other block does: the next heading must not read as the last note's continuation."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app

BANK = Path(__file__).resolve().parents[2] / "scenarios" / "bank-onprem-cny.yaml"


@pytest.mark.parametrize(("lang", "heading"), [("en", "Cost by year"), ("zh", "按年成本")])
def test_the_notes_are_followed_by_a_blank_line(lang, heading):
    result = CliRunner().invoke(app, ["compare", str(BANK), "--lang", lang])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = lines.index(heading)
    assert lines[at - 1] == "", lines[at - 3: at + 1]
    assert "Own 70B model" in lines[at - 2] or "Own 70B model" in lines[at - 3]  # the last note is just above


def test_without_notes_the_summary_keeps_its_single_blank_line():
    start = Path(__file__).resolve().parents[2] / "scenarios" / "startup-assistant.yaml"
    lines = CliRunner().invoke(app, ["compare", str(start)]).stdout.splitlines()
    at = lines.index("Cost by year")
    assert lines[at - 1] == "" and lines[at - 2] != ""
