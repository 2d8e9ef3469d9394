"""`buildorbuy voi` and `buildorbuy whatif` through the CLI: formats, languages, JSON contracts, one-line errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
UNCERTAIN = str(SCENARIOS / "uncertain-enterprise.yaml")
CERTAIN = str(SCENARIOS / "enterprise-support.yaml")


@pytest.fixture
def runner():
    return CliRunner()


def test_voi_json_contract_and_reproducible(runner):
    first = runner.invoke(app, ["voi", UNCERTAIN, "-n", "2000", "--seed", "4", "--format", "json"])
    second = runner.invoke(app, ["voi", UNCERTAIN, "-n", "2000", "--seed", "4", "--format", "json"])
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    assert set(data) == {"evpi", "decision_now", "inputs", "samples", "seed"}
    assert data["samples"] == 2000 and data["seed"] == 4 and data["evpi"] > 0
    assert all(set(item) == {"field", "evppi", "share_of_evpi", "se"} for item in data["inputs"])


def test_voi_evpi_equals_simulates_smallest_regret(runner):
    voi = json.loads(runner.invoke(app, ["voi", UNCERTAIN, "-n", "3000", "--seed", "2", "-f", "json"]).stdout)
    sim = json.loads(runner.invoke(app, ["simulate", UNCERTAIN, "-n", "3000", "--seed", "2", "-f", "json"]).stdout)
    assert voi["evpi"] == pytest.approx(min(p["expected_regret"] for p in sim["paths"]), rel=1e-12)


@pytest.mark.parametrize("fmt, marker", [("table", "before deciding is worth"), ("markdown", "### Value of learning"),
                                         ("csv", "field,label,evppi,share_of_evpi,se")])
def test_voi_formats(runner, fmt, marker):
    result = runner.invoke(app, ["voi", UNCERTAIN, "-n", "2000", "--format", fmt])
    assert result.exit_code == 0, result.output
    assert marker in result.stdout
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert rows and all(float(r["evppi"]) >= 0 for r in rows)


def test_voi_chinese(runner):
    result = runner.invoke(app, ["voi", UNCERTAIN, "-n", "2000", "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "信息价值" in result.stdout and "决策前弄清" in result.stdout


def test_voi_nothing_uncertain_is_a_one_line_error(runner):
    result = runner.invoke(app, ["voi", CERTAIN])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "nothing in the scenario is uncertain" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("samples", ["999", "10"])
def test_voi_too_few_samples_names_the_minimum(runner, samples):
    result = runner.invoke(app, ["voi", UNCERTAIN, "--samples", samples])
    assert result.exit_code == 2
    assert "1,000" in result.stderr and result.stderr.count("\n") == 1


def test_voi_writes_the_output_file(runner, tmp_path):
    out = tmp_path / "voi.json"
    result = runner.invoke(app, ["voi", UNCERTAIN, "-n", "1000", "-f", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["samples"] == 1000


def test_whatif_json_contract(runner):
    result = runner.invoke(app, ["whatif", CERTAIN, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"winner", "conditions"}
    assert data["conditions"]
    for item in data["conditions"]:
        assert set(item) == {"path", "field", "current", "value", "change_fraction", "at_step"}
    fractions = [round(abs(c["change_fraction"]), 9) for c in data["conditions"] if c["change_fraction"] is not None]
    assert fractions == sorted(fractions)
    compare = json.loads(runner.invoke(app, ["compare", CERTAIN, "--format", "json"]).stdout)
    assert data["winner"] == compare["recommendation"]["path"]


def test_whatif_field_is_what_set_takes(runner):
    data = json.loads(runner.invoke(app, ["whatif", CERTAIN, "-f", "json"]).stdout)
    first = next(c for c in data["conditions"] if not c["at_step"])
    moved = runner.invoke(app, ["compare", CERTAIN, "-f", "json", "--set", f"{first['field']}={first['value']!r}"])
    assert moved.exit_code == 0, moved.output
    npv = {p["name"]: p["npv"] for p in json.loads(moved.stdout)["paths"]}
    assert npv[first["path"]] == pytest.approx(npv[data["winner"]], rel=1e-4)


@pytest.mark.parametrize("fmt, marker", [("table", "wins if"), ("markdown", "### What would make"), ("csv", "winner,path,field")])
def test_whatif_formats(runner, fmt, marker):
    result = runner.invoke(app, ["whatif", UNCERTAIN, "--format", fmt, "--top", "3"])
    assert result.exit_code == 0, result.output
    assert marker in result.stdout


def test_whatif_chinese(runner):
    result = runner.invoke(app, ["whatif", CERTAIN, "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "胜出的条件" in result.stdout


@pytest.mark.parametrize("command", ["voi", "whatif"])
def test_help_has_examples(runner, command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and f"buildorbuy {command} scenarios/" in result.stdout


def test_report_has_before_you_decide(runner, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "plan.md"
    result = runner.invoke(app, ["report", UNCERTAIN, "-o", str(out), "--samples", "2000", "--seed", "3"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    section = text[text.index("## Before you decide"):]
    voi = json.loads(runner.invoke(app, ["voi", UNCERTAIN, "-n", "2000", "--seed", "3", "-f", "json"]).stdout)
    assert f"{voi['evpi']:,.0f} USD" in section and f"**{voi['decision_now']}**" in section
    assert "What would have to be true" in section


def test_report_with_too_few_samples_for_voi_says_so(runner, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "plan.md"
    result = runner.invoke(app, ["report", UNCERTAIN, "-o", str(out), "--samples", "500"])
    assert result.exit_code == 0, result.output
    assert "value of information needs at least 1,000 samples" in result.stderr
    assert "EVPI" not in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("args, first", [
    (["voi", UNCERTAIN], "Enterprise support platform (uncertain) — value of information"),
    (["whatif", UNCERTAIN, "--top", "4"], "Enterprise support platform (uncertain) — what would have to be true"),
])
def test_readme_output_is_current(runner, monkeypatch, args, first):
    """Regenerate with COLUMNS=110 buildorbuy voi|whatif scenarios/uncertain-enterprise.yaml."""
    monkeypatch.setenv("COLUMNS", "110")
    readme = (SCENARIOS.parent / "README.md").read_text()
    start = readme.index(first)
    shown = readme[start : readme.index("\n```", start)].splitlines()
    actual = [line.rstrip() for line in runner.invoke(app, args).stdout.splitlines()]
    assert shown == actual[: len(shown)]


def test_markdown_escapes_user_text(tmp_path):
    from tests.cli.test_escaping import ESC, _assert_safe_markdown, _scenario, run

    import yaml

    scenario = _scenario(tmp_path)
    result = run("whatif", scenario, "-f", "markdown")
    assert result.exit_code == 0, result.output
    _assert_safe_markdown(result.stdout)
    # voi needs something uncertain: make the API price a distribution
    data = yaml.safe_load(Path(scenario).read_text(encoding="utf-8"))
    data["paths"][0]["price_per_1k_input"] = {"dist": "triangular", "low": 0.0001, "mode": 0.00015, "high": 0.0004}
    uncertain = tmp_path / "evil-uncertain.yaml"
    uncertain.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run("voi", uncertain, "-n", "1000", "-f", "markdown")
    assert result.exit_code == 0, result.output
    _assert_safe_markdown(result.stdout)
    terminal_scenario = _scenario(tmp_path, api="API" + ESC, tuned="Tuned" + ESC, name="Name" + ESC)
    result = run("whatif", terminal_scenario)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout


def test_whatif_param_restricts_the_search(runner):
    result = runner.invoke(app, ["whatif", CERTAIN, "-f", "json", "-p", "workload.tokens_per_month", "-p", "paths[gpt-4o].price_per_1k_output"])
    assert result.exit_code == 0, result.output
    fields = {c["field"] for c in json.loads(result.stdout)["conditions"]}
    assert fields == {"workload.tokens_per_month", "paths[0].price_per_1k_output"}
    bad = runner.invoke(app, ["whatif", CERTAIN, "-p", "workload.tokens_per_mont"])
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1 and "tokens_per_mont" in bad.stderr
