"""The hybrid-router scenario through every analysis: sweep, breakeven, tornado, simulate, diff, report."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import REPO

SCENARIO = REPO / "scenarios" / "hybrid-router.yaml"
SHARE = "paths[Tuned 8B].routing.share"
ESCALATION = "paths[Tuned 8B].routing.escalation_rate"


def _json(*args):
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_compare_shows_fallback_fees_and_the_chosen_cap_with_its_curve():
    data = _json("compare", str(SCENARIO))
    tuned = next(p for p in data["paths"] if p["name"] == "Tuned 8B")
    assert sum(tuned["components"]["fallback_fees"]) > 0
    cap = tuned["estimates"]["serving.max_gpus"]
    assert cap["value"] >= 2 and "whole-replica" in cap["method"]
    assert min(point["npv"] for point in cap["curve"]) == pytest.approx(tuned["npv"], rel=1e-9)
    assert max(tuned["gpus"]) <= cap["value"]


def test_sweep_over_the_share_lowers_the_tuned_paths_npv():
    data = _json("sweep", str(SCENARIO), "--param", SHARE, "--values", "0.5,0.7,0.85,1")
    npvs = [point["npv"]["Tuned 8B"] for point in data["points"]]
    assert npvs == sorted(npvs, reverse=True)  # more traffic on the 8B, less on GPT-4.1
    assert len({point["npv"]["GPT-4.1"] for point in data["points"]}) == 1


def test_breakeven_on_the_escalation_rate_in_words():
    data = _json("breakeven", str(SCENARIO), "--param", ESCALATION)
    assert 0.05 < data["value"] < 1 and data["cheaper_below"] == "Tuned 8B"
    result = CliRunner().invoke(app, ["breakeven", str(SCENARIO), "--param", ESCALATION])
    assert result.exit_code == 0, result.output
    pct = data["value"] * 100
    shown = f"{pct:.2g}" if pct < 10 else f"{pct:.3g}"
    assert f"hosting pays while the 8B model fails on fewer than {shown}% of requests" in " ".join(result.stdout.split())


def test_breakeven_on_the_share():
    data = _json("breakeven", str(SCENARIO), "--param", SHARE, "--range", "0.05:1")
    assert 0.05 < data["value"] < 0.8 and data["cheaper_above"] == "Tuned 8B"


def test_tornado_ranks_the_routing_inputs():
    data = _json("tornado", str(SCENARIO), "--param", SHARE, "--param", ESCALATION)
    rows = {row["param"]: row for row in data["rows"]}
    share, escalation = rows["paths[1].routing.share"], rows["paths[1].routing.escalation_rate"]
    assert share["metric_high"] < share["metric_low"]  # more traffic on the 8B: cheaper
    assert escalation["metric_high"] > escalation["metric_low"]  # more failures: dearer
    assert share["flips"] and share["winner_low"] == "GPT-4.1"
    assert share["effect"] > escalation["effect"] > 0


def test_simulate_with_share_and_escalation_as_distributions(tmp_path):
    data = yaml.safe_load(SCENARIO.read_text())
    routing = data["paths"][1]["routing"]
    routing["share"] = {"dist": "triangular", "low": 0.7, "mode": 0.8, "high": 0.85}
    routing["escalation_rate"] = {"dist": "pert", "low": 0.02, "mode": 0.05, "high": 0.15}
    path = tmp_path / "uncertain-router.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    out = _json("simulate", str(path), "--samples", "2000", "--seed", "1")
    text = json.dumps(out)
    assert "routing.share" in text and "routing.escalation_rate" in text
    compared = _json("compare", str(path))
    assert compared["paths"][1]["npv"] == pytest.approx(_json("compare", str(SCENARIO))["paths"][1]["npv"], rel=1e-12)


def test_diff_of_a_higher_escalation_rate():
    result = CliRunner().invoke(app, ["diff", str(SCENARIO), str(SCENARIO), "--set", f"{ESCALATION}=0.1",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["inputs"] == [{"field": ESCALATION, "base": 0.05, "proposal": 0.1}]
    paths = {p["name"]: p for p in data["paths"]}
    assert paths["GPT-4.1"]["delta"] == 0 and paths["Tuned 8B"]["delta"] > 0
