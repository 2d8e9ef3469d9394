"""Value of information against closed forms, and against simulate's expected regret."""

from __future__ import annotations

import math

import numpy as np

import pytest

from buildorbuy import compare, simulate, voi
from buildorbuy.errors import AnalysisError
from buildorbuy.scenario.loading import load_scenario, scenario_from_dict

from tests.analysis.conftest import SCENARIOS, two_apis

MONTHLY_TOKENS = 1e9
SCALE = 12 * MONTHLY_TOKENS / 1000 * 0.5
"""two_apis: 12 months, half output, no discounting: NPV = SCALE × (price in + price out) per 1k, no staff."""


def _normal_partial(mean: float, sd: float) -> float:
    """E[max(0, D)] for D ~ N(mean, sd)."""
    z = mean / sd
    return mean * 0.5 * (1 + math.erf(z / math.sqrt(2))) + sd * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def _normal_case(sd_in: float, sd_out: float | None):
    """A: prices N(0.002, sd_in) in and N(0.002, sd_out) out (or 0.002 fixed); B: 0.002 in, 0.0021 out, fixed."""
    a = {"name": "A", "kind": "api", "price_per_1k_input": {"dist": "normal", "mean": 0.002, "sd": sd_in},
         "price_per_1k_output": 0.002 if sd_out is None else {"dist": "normal", "mean": 0.002, "sd": sd_out}}
    b = {"name": "B", "kind": "api", "price_per_1k_input": 0.002, "price_per_1k_output": 0.0021}
    return scenario_from_dict(two_apis(paths=[a, b]))


def test_one_normal_input_evpi_and_evppi_match_the_closed_form():
    # D = NPV(A) − NPV(B) = SCALE·(X − 0.0021 + 0.002 − 0.002 ...) ~ N(−600, SCALE·sd): A is chosen now
    sd = 0.0003
    result = voi(_normal_case(sd, None), 100_000, 3)
    mean, spread = SCALE * (0.004 - 0.0041), SCALE * sd
    expected = _normal_partial(mean, spread)
    assert result.decision_now == "A"
    assert abs(result.evpi - expected) <= 3 * result.evpi_se
    (only,) = result.inputs
    assert only.field == "paths[0].price_per_1k_input"
    assert abs(only.evppi - expected) <= 3 * only.se
    assert only.share_of_evpi == pytest.approx(only.evppi / result.evpi)


def test_two_normal_inputs_each_evppi_matches_the_closed_form():
    sd_in, sd_out = 0.0003, 0.0002
    result = voi(_normal_case(sd_in, sd_out), 100_000, 11)
    mean = SCALE * (0.004 - 0.0041)
    evpi = _normal_partial(mean, SCALE * math.hypot(sd_in, sd_out))
    assert abs(result.evpi - evpi) <= 3 * result.evpi_se
    by_field = {i.field: i for i in result.inputs}
    for key, sd in (("paths[0].price_per_1k_input", sd_in), ("paths[0].price_per_1k_output", sd_out)):
        # learning one price leaves the other's noise: E[D | X] ~ N(mean, SCALE·sd)
        expected = _normal_partial(mean, SCALE * sd)
        assert abs(by_field[key].evppi - expected) <= 3 * by_field[key].se, key
        assert by_field[key].evppi < result.evpi
    assert [i.field for i in result.inputs] == ["paths[0].price_per_1k_input", "paths[0].price_per_1k_output"]


def test_skewed_input_mode_and_mean_pick_different_paths():
    # X ~ triangular(0.001, 0.0015, 0.005): mode 0.0015, mean 0.0025. A = SCALE·(X + 0.002), B = SCALE·0.004:
    # at the mode A is cheaper (compare), on average B is (decide now); they tie at X = 0.002.
    low, mode, high, tie = 0.001, 0.0015, 0.005, 0.002
    a = {"name": "A", "kind": "api", "price_per_1k_input": {"dist": "triangular", "low": low, "mode": mode, "high": high},
         "price_per_1k_output": 0.002}
    b = {"name": "B", "kind": "api", "price_per_1k_input": 0.002, "price_per_1k_output": 0.002}
    scenario = scenario_from_dict(two_apis(paths=[a, b]))
    assert compare(scenario).recommendation["path"] == "A"
    result = voi(scenario, 100_000, 5)
    assert result.decision_now == "B"
    # regret of B = SCALE·E[max(0, tie − X)] = SCALE·∫_low^tie F(x) dx, F the triangular CDF
    below_mode = (mode - low) ** 2 / (3 * (high - low))
    above_mode = (tie - mode) - ((high - mode) ** 3 - (high - tie) ** 3) / (3 * (high - low) * (high - mode))
    expected = SCALE * (below_mode + above_mode)
    assert abs(result.evpi - expected) <= 3 * result.evpi_se
    assert abs(result.inputs[0].evppi - expected) <= 3 * result.inputs[0].se


def test_evpi_is_simulates_smallest_expected_regret_for_the_same_samples_and_seed():
    scenario = load_scenario(SCENARIOS / "uncertain-enterprise.yaml")
    sim = simulate(scenario, 20_000, 9)
    result = voi(scenario, 20_000, 9)
    assert result.evpi == pytest.approx(min(p.expected_regret for p in sim.paths), rel=1e-12)
    assert result.decision_now == min(sim.paths, key=lambda p: p.expected_regret).name
    # every input the sampler draws is valued: distributions and drawn outcomes
    assert {i.field for i in result.inputs} == set(sim.input_keys)
    assert any(i.field.endswith("success_probability (outcome)") for i in result.inputs)
    for item in result.inputs:
        assert 0 <= item.evppi <= result.evpi and item.se >= 0


def test_json_shape():
    scenario = load_scenario(SCENARIOS / "uncertain-enterprise.yaml")
    data = voi(scenario, 2_000, 1).to_dict()
    assert set(data) == {"evpi", "decision_now", "inputs", "samples", "seed"}
    assert data["samples"] == 2_000 and data["seed"] == 1
    for item in data["inputs"]:
        assert set(item) == {"field", "evppi", "share_of_evpi", "se"}
    evppis = [i["evppi"] for i in data["inputs"]]
    assert evppis == sorted(evppis, reverse=True)


def test_bad_input():
    with pytest.raises(AnalysisError, match="nothing in the scenario is uncertain"):
        voi(scenario_from_dict(two_apis()), 1_000)
    with pytest.raises(AnalysisError, match="at least 1,000"):
        voi(_normal_case(0.0003, None), 999)


def test_estimator_error_is_an_input_when_simulated():
    scenario = load_scenario(SCENARIOS / "domain-model-50b.yaml")
    result = voi(scenario, 2_000, 3, estimator_error=True)
    errors = [i.field for i in result.inputs if i.field.endswith("(estimator error)")]
    assert errors == ["paths[2].training.mfu (estimator error)"]
    sim = simulate(scenario, 2_000, 3, estimator_error=True)
    assert sim.input_keys[-1] == errors[0]
    assert result.evpi == pytest.approx(min(p.expected_regret for p in sim.paths), rel=1e-12, abs=1e-9)
    plain = voi(scenario, 2_000, 3)
    assert not any(i.field.endswith("(estimator error)") for i in plain.inputs)


def test_candidate_columns_are_numpys_indexing_in_its_layout():
    """voi takes the candidates' NPVs column by column: the same values and the same column-major layout as
    npv[rows][:, cand], whose column means (summed in that layout) the figures depend on to the last bit."""
    from buildorbuy.analysis.voi import _candidate_columns

    npv = np.random.default_rng(3).normal(size=(5_000, 6)) * 1e6
    rows = np.flatnonzero(np.random.default_rng(4).random(5_000) < 0.8)
    want = npv[rows][:, [0, 2, 5]]
    got = _candidate_columns(npv, rows, [0, 2, 5])
    assert np.array_equal(got, want) and got.strides == want.strides
    assert got.mean(axis=0).tobytes() == want.mean(axis=0).tobytes()
