"""Tables piped or written to a file (no terminal, no colour) have no trailing spaces: rich pads
every cell to its column's width, so each line used to end in spaces (noise in diffs, `grep ' $'`)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import REPO

runner = CliRunner()
S = REPO / "scenarios"

COMMANDS = {
    "compare": ["compare", S / "enterprise-support.yaml"],
    "compare zh": ["compare", S / "bank-onprem-cny.yaml", "--lang", "zh"],
    "tornado": ["tornado", S / "enterprise-support.yaml"],
    "simulate": ["simulate", S / "uncertain-enterprise.yaml", "-n", "2000"],
    "sweep": ["sweep", S / "enterprise-support.yaml", "-p", "workload.tokens_per_month", "--values", "1e8,1e9,1e10"],
    "breakeven": ["breakeven", S / "enterprise-support.yaml", "-p", "workload.tokens_per_month"],
    "when": ["when", S / "enterprise-support.yaml"],
    "whatif": ["whatif", S / "enterprise-support.yaml"],
    "voi": ["voi", S / "uncertain-enterprise.yaml", "-n", "2000"],
    "diff": ["diff", S / "enterprise-support.yaml", S / "startup-assistant.yaml"],
    "estimate serving": ["estimate", "serving", "--model", "llama-3.1-8b", "--gpu", "h100-sxm"],
    "catalog gpus": ["catalog", "gpus"],
    "catalog models": ["catalog", "models"],
}


def padded(text: str) -> list[str]:
    return [line for line in text.splitlines() if line != line.rstrip(" ")]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_piped_table_lines_end_at_their_last_character(command, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    result = runner.invoke(app, [str(a) for a in COMMANDS[command]])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") > 5
    assert padded(result.stdout) == []


@pytest.mark.parametrize("command", ["compare", "tornado", "catalog gpus"])
def test_a_table_written_with_o_has_no_trailing_spaces(command, tmp_path):
    out = tmp_path / "out.txt"
    result = runner.invoke(app, [*(str(a) for a in COMMANDS[command]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.count("\n") > 5 and padded(text) == []


def test_only_trailing_spaces_go(monkeypatch):
    """The same table on a colour terminal and piped: equal once colour codes and line ends are gone."""
    import re

    from buildorbuy.analysis.compare import compare
    from buildorbuy.render.compare_render import render_table
    from buildorbuy.scenario.loading import load_scenario

    result = compare(load_scenario(S / "enterprise-support.yaml"))
    plain = render_table(result, color=False, width=120)
    coloured = re.sub(r"\x1b\[[0-9;]*m", "", render_table(result, color=True, width=120))
    assert padded(plain) == [] and padded(coloured) != []
    assert plain.splitlines() == [line.rstrip(" ") for line in coloured.splitlines()]
