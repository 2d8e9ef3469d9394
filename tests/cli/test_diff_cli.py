"""buildorbuy diff through the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import REPO, SCENARIOS, api_path, base_scenario
from tests.report.helpers import markdown_tables

runner = CliRunner()
ENTERPRISE = REPO / "scenarios" / "enterprise-support.yaml"


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def as_json(*args):
    result = run("diff", *args, "-f", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_a_scenario_against_itself_differs_in_nothing(scenario):
    data = as_json(scenario, scenario)
    assert set(data) >= {"inputs", "paths", "winner", "breakeven"}
    assert data["inputs"] == []
    assert all(p["delta"] == 0 and p["status"] == "same" for p in data["paths"])
    assert data["winner"]["changed"] is False and data["winner"]["base"] == data["winner"]["proposal"]
    assert not any(e["changed"] for e in data["breakeven"])
    table = run("diff", scenario, scenario)
    assert table.exit_code == 0 and "No input differs." in table.stdout


def test_a_changed_price_shows_the_field_and_the_npv_delta(write_yaml):
    base = write_yaml(base_scenario(paths=[api_path("Cheap"), api_path("Dear", price_in=0.01, price_out=0.02)]), "base.yaml")
    proposal = write_yaml(base_scenario(paths=[api_path("Cheap", price_in=0.002), api_path("Dear", price_in=0.01, price_out=0.02)]),
                          "proposal.yaml")
    data = as_json(base, proposal)
    assert data["inputs"] == [{"field": "paths[Cheap].price_per_1k_input", "base": 0.001, "proposal": 0.002}]
    cheap = next(p for p in data["paths"] if p["name"] == "Cheap")
    # 12 months × 0.75e9 input tokens × 0.001 more per 1k (discount rate 0)
    assert cheap["delta"] == pytest.approx(12 * 0.75e9 / 1000 * 0.001)
    assert cheap["npv_proposal"] - cheap["npv_base"] == pytest.approx(cheap["delta"])
    assert cheap["delta_fraction"] == pytest.approx(cheap["delta"] / cheap["npv_base"])
    dear = next(p for p in data["paths"] if p["name"] == "Dear")
    assert dear["delta"] == 0
    table = run("diff", base, proposal).stdout
    assert "paths[Cheap].price_per_1k_input" in table and "+9,000,000" not in table and "+9,000" in table
    markdown = run("diff", base, proposal, "-f", "markdown").stdout
    for t in markdown_tables(markdown):
        assert all(len(row) == len(t[0]) for row in t)


def test_set_applies_to_the_proposal_and_can_flip_the_winner():
    data = as_json(ENTERPRISE, ENTERPRISE, "--set", "paths[gpt-4o].price_per_1k_input=0.0001",
                   "--set", "paths[gpt-4o].price_per_1k_output=0.0004")
    assert [e["field"] for e in data["inputs"]] == ["paths[gpt-4o].price_per_1k_input", "paths[gpt-4o].price_per_1k_output"]
    assert data["winner"] == {"base": "Fine-tuned Llama 3.3 70B", "proposal": "gpt-4o", "changed": True}
    assert any(e["changed"] for e in data["breakeven"])
    table = run("diff", ENTERPRISE, ENTERPRISE, "--set", "paths[gpt-4o].price_per_1k_input=0.0001",
                "--set", "paths[gpt-4o].price_per_1k_output=0.0004").stdout
    assert "The recommendation changes: Fine-tuned Llama 3.3 70B → gpt-4o." in table


def test_paths_matched_by_name_added_and_removed(write_yaml):
    base = write_yaml(base_scenario(paths=[api_path("A"), api_path("B")]), "base.yaml")
    proposal = write_yaml(base_scenario(paths=[api_path("C"), api_path("A")]), "proposal.yaml")
    data = as_json(base, proposal)
    status = {p["name"]: p["status"] for p in data["paths"]}
    assert status == {"A": "same", "B": "removed", "C": "added"}
    assert {"field": "paths[B]", "base": "api", "proposal": None} in data["inputs"]
    assert {"field": "paths[C]", "base": None, "proposal": "api"} in data["inputs"]
    # the order of paths is no difference
    assert not [e for e in data["inputs"] if e["field"].startswith("paths[A]")]


def test_defaults_count_as_values(write_yaml):
    base = write_yaml(base_scenario(), "base.yaml")
    explicit = base_scenario()
    explicit["paths"][0]["price_change_per_year"] = 0.0  # the default, written out
    assert as_json(base, write_yaml(explicit, "explicit.yaml"))["inputs"] == []


def test_chinese_diff(write_yaml):
    base = write_yaml(base_scenario(), "base.yaml")
    result = run("diff", base, base, "--lang", "zh", "-f", "markdown")
    assert result.exit_code == 0
    assert "### 不同的输入" in result.stdout and "### 各方案净现值" in result.stdout and "没有不同的输入。" in result.stdout


def test_diff_output_file_and_bad_input(write_yaml, tmp_path):
    base = write_yaml(base_scenario(), "base.yaml")
    out = tmp_path / "reports" / "diff.md"
    assert run("diff", base, base, "-f", "markdown", "-o", out).exit_code == 0 and out.exists()
    bad = run("diff", base, tmp_path / "missing.yaml", "-o", tmp_path / "never.md")
    assert bad.exit_code == 2 and bad.stderr.startswith("Error: ") and len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "never.md").exists()
    (tmp_path / "blocker").write_text("x")
    blocked = run("diff", base, base, "-o", tmp_path / "blocker" / "diff.md")
    assert blocked.exit_code == 2 and blocked.stderr.startswith("Error: ")
