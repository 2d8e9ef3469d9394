"""voi's work is bounded (issue #9): EVPPI compares at most EVPPI_PATHS candidates and, beyond a work
budget, is estimated for the inputs most rank-correlated with the regret only; both are reported."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from buildorbuy import simulate, voi
from buildorbuy.analysis.voi import EVPPI_PATHS, EVPPI_WORK, evppi_candidates, voi_from_simulation
from buildorbuy.cli import app
from buildorbuy.scenario.loading import load_scenario, scenario_from_dict

from tests.analysis.conftest import SCENARIOS, two_apis

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def _many_apis(count: int, losers: int = 0) -> dict:
    """`count` API paths whose input price is uncertain (means 0.0020, 0.0021, ... per 1k, sd 0.0003),
    then `losers` paths at a fixed, far higher price (never the cheapest)."""
    paths = [{"name": f"P{i}", "kind": "api", "price_per_1k_output": 0.002,
              "price_per_1k_input": {"dist": "normal", "mean": 0.002 + 0.0001 * i, "sd": 0.0003}} for i in range(count)]
    paths += [{"name": f"L{i}", "kind": "api", "price_per_1k_output": 0.01, "price_per_1k_input": 0.01} for i in range(losers)]
    return two_apis(paths=paths)


def test_evppi_candidates_most_wins_then_mean_and_always_the_decision_now():
    # columns 0..4; wins: col 3 three times, col 1 twice, col 4 once, cols 0 and 2 never
    y = np.array([[5, 5, 5, 1, 5], [5, 5, 5, 1, 5], [5, 5, 5, 1, 5],
                  [5, 1, 5, 5, 5], [5, 1, 5, 5, 5], [5, 5, 5, 5, 1]], dtype=float)
    means = y.mean(axis=0)
    assert evppi_candidates(y, means, now=1, limit=5) == [0, 1, 2, 3, 4]
    assert evppi_candidates(y, means, now=1, limit=2) == [1, 3]
    assert evppi_candidates(y, means, now=1, limit=3) == [1, 3, 4]
    # the decision now (column 0, no wins) replaces the last of the ranked
    assert evppi_candidates(y, means, now=0, limit=2) == [0, 3]


def test_many_candidates_evppi_compares_eight_and_says_which():
    scenario = scenario_from_dict(_many_apis(12, losers=2))
    result = voi(scenario, 2_000, 5)
    assert len(result.evppi_paths) == EVPPI_PATHS == 8
    assert result.decision_now in result.evppi_paths
    assert not {"L0", "L1"} & set(result.evppi_paths)
    # EVPI still compares all 14 candidates: simulate's smallest expected regret for the same samples
    sim = simulate(scenario, 2_000, 5)
    assert result.evpi == pytest.approx(min(p.expected_regret for p in sim.paths), rel=1e-12)
    # the work: estimator samples × inputs × pairs of 8 paths
    assert result.evppi_work == result.estimator_samples * 12 * (36 + 3)
    assert len(result.inputs) == 12 and result.not_estimated == []
    (note,) = [w for w in result.warnings if getattr(w, "key", None) == "voi_paths"]
    assert "EVPPI compares 8 of the 14 candidate paths" in note and "lower bounds" in note
    assert result.to_dict()["evppi_paths"] == result.evppi_paths
    # all 14 compared: more work, and the restriction only ever lowers an input's value (up to noise)
    full = voi_from_simulation(sim, max_paths=100)
    assert full.evppi_paths is None and full.evppi_work == full.estimator_samples * 12 * (14 * 15 // 2 + 3)
    assert full.evpi == result.evpi


def test_work_budget_estimates_the_inputs_most_correlated_with_the_regret():
    # A's price decides between A and B; C (never cheapest) has three uncertain inputs that move no decision
    paths = [{"name": "A", "kind": "api", "price_per_1k_output": 0.002,
              "price_per_1k_input": {"dist": "normal", "mean": 0.002, "sd": 0.0004}},
             {"name": "B", "kind": "api", "price_per_1k_output": 0.002, "price_per_1k_input": 0.0021},
             {"name": "C", "kind": "api",
              "price_per_1k_output": {"dist": "uniform", "low": 0.02, "high": 0.03},
              "price_per_1k_input": {"dist": "uniform", "low": 0.02, "high": 0.03},
              "price_change_per_year": {"dist": "uniform", "low": -0.2, "high": 0.0}}]
    sim = simulate(scenario_from_dict(two_apis(paths=paths)), 3_000, 2)
    rows = voi_from_simulation(sim).estimator_samples
    per_input = rows * (6 + 3)  # 3 candidates: 6 pairs (a ≤ b), + 3 for the input's own sort
    result = voi_from_simulation(sim, work_budget=per_input * 2 - 1)  # room for one input
    assert [i.field for i in result.inputs] == ["paths[0].price_per_1k_input"]
    assert result.evppi_work == per_input
    assert sorted(result.not_estimated) == sorted(k for k in sim.input_keys if k != "paths[0].price_per_1k_input")
    (note,) = [w for w in result.warnings if getattr(w, "key", None) == "voi_inputs"]
    assert "EVPPI estimated for 1 of 4 inputs" in note and "3 not estimated" in note
    assert result.to_dict()["not_estimated"] == result.not_estimated
    # the estimated input's figure is the one the unrestricted run gives
    full = {i.field: i.evppi for i in voi_from_simulation(sim).inputs}
    assert result.inputs[0].evppi == full["paths[0].price_per_1k_input"] > 0


@pytest.mark.parametrize("name", ["bank-onprem-cny", "domain-model-50b", "uncertain-enterprise"])
def test_bundled_scenarios_are_not_restricted_and_keep_their_figures(name):
    """The figures main gave before the bound (voi --format json, default samples and seed)."""
    result = voi(load_scenario(SCENARIOS / f"{name}.yaml"))
    assert result.evppi_paths is None and result.not_estimated == []
    assert result.evppi_work <= EVPPI_WORK
    want = json.loads((GOLDEN / f"voi_{name.replace('-', '_')}.json").read_text())
    got = result.to_dict()
    assert set(got) == set(want)
    assert got["decision_now"] == want["decision_now"] and got["samples"] == want["samples"]
    assert got["evpi"] == pytest.approx(want["evpi"], rel=1e-9, abs=1e-9)
    assert [i["field"] for i in got["inputs"]] == [i["field"] for i in want["inputs"]]
    for g, w in zip(got["inputs"], want["inputs"]):
        for key in ("evppi", "se"):
            assert g[key] == pytest.approx(w[key], rel=1e-9, abs=1e-9), (g["field"], key)


def test_many_paths_scenario_is_bounded_through_the_cli(tmp_path):
    # 60 uncertain API paths: without the cap EVPPI would build 1,830 pair products per sample and input
    source = tmp_path / "many.json"
    source.write_text(json.dumps(_many_apis(60)))
    scenario = load_scenario(source)
    result = voi(scenario, 1_000, 1)
    assert len(result.evppi_paths) == 8
    assert result.evppi_work == result.estimator_samples * 60 * (36 + 3) <= EVPPI_WORK
    runner = CliRunner()
    out = runner.invoke(app, ["voi", str(source), "--samples", "1000", "--seed", "1", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["evppi_paths"] == result.evppi_paths
    zh = runner.invoke(app, ["voi", str(source), "--samples", "1000", "--seed", "1", "--lang", "zh"])
    assert zh.exit_code == 0 and "EVPPI 只比较 60 个候选方案中的 8 个" in zh.output


def test_rank_scores_read_a_bounded_number_of_samples(monkeypatch):
    """Choosing the inputs to estimate ranks at most max(10,000, RANK_VALUES / inputs) samples of each
    (ranking every kept sample of many inputs cost more than the budgeted estimator; voi_bench.py)."""
    import buildorbuy.analysis.voi as voi_module

    paths = [{"name": "A", "kind": "api", "price_per_1k_output": 0.002,
              "price_per_1k_input": {"dist": "normal", "mean": 0.002, "sd": 0.0004}},
             {"name": "B", "kind": "api", "price_per_1k_output": {"dist": "uniform", "low": 0.0019, "high": 0.0021},
              "price_per_1k_input": 0.0021}]
    sim = simulate(scenario_from_dict(two_apis(paths=paths)), 30_000, 3)
    seen = []
    real = voi_module._rank_scores

    def recording(columns, rows, y, now):
        seen.append((rows.size, y.shape[0]))
        return real(columns, rows, y, now)

    monkeypatch.setattr(voi_module, "_rank_scores", recording)
    monkeypatch.setattr(voi_module, "RANK_VALUES", 1)
    result = voi_from_simulation(sim, work_budget=1)  # room for one input: the other is ranked out
    assert result.estimator_samples == 30_000 and len(result.inputs) == 1
    assert seen == [(10_000, 10_000)]
