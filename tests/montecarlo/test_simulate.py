"""simulate: reproducibility, consistency with compare, an analytic answer, Iman–Conover."""

from __future__ import annotations

from tests.conftest import REPO
import json
import math

import numpy as np
import pytest
from helpers import api_vs_rent
from hypothesis import given, settings
from hypothesis import strategies as st

from buildorbuy import compare, simulate
from buildorbuy.analysis.montecarlo import CHUNK_SIZE
from buildorbuy.analysis.sampling import iman_conover, rankdata
from buildorbuy.engine.core import evaluate
from buildorbuy.engine.plan import compile_plan
from buildorbuy.errors import AnalysisError
from buildorbuy.scenario.loading import load_scenario, scenario_from_dict

UNCERTAIN = {
    "paths[Rented].serving.gpu_hour_price": {"dist": "lognormal", "p10": 0.7, "p90": 1.6},
    "workload.growth_per_month": {"dist": "triangular", "low": 0.0, "mode": 0.02, "high": 0.06},
    "paths[Rented].lead_time_months": {"dist": "choice", "values": [1, 2, 4], "weights": [0.2, 0.5, 0.3]},
    "paths[Rented].success_probability": {"dist": "uniform", "low": 0.6, "high": 0.9},
}


def _uncertain():
    data = api_vs_rent(**UNCERTAIN)
    data["correlations"] = [{"a": "workload.growth_per_month", "b": "paths[Rented].serving.gpu_hour_price", "rank": 0.5}]
    return scenario_from_dict(data)


def test_same_seed_same_bytes_and_chunks_do_not_change_results():
    scenario = _uncertain()
    n = CHUNK_SIZE + 2_500
    first = json.dumps(simulate(scenario, n, 7).to_dict())
    assert first == json.dumps(simulate(scenario, n, 7).to_dict())
    assert first != json.dumps(simulate(scenario, n, 8).to_dict())
    # chunk c always draws from SeedSequence(seed).spawn(...)[c]: a longer run extends a shorter one
    np.testing.assert_array_equal(simulate(scenario, n, 7).npv[:CHUNK_SIZE], simulate(scenario, CHUNK_SIZE, 7).npv)


def test_win_probabilities_sum_to_one():
    result = simulate(_uncertain(), 5_000, 1)
    assert result.no_winner_probability == 0
    assert sum(p.win_probability for p in result.paths) == pytest.approx(1.0, abs=1e-12)
    for y in range(len(result.years)):
        assert sum(p.win_probability_by_year[y] for p in result.paths) == pytest.approx(1.0, abs=1e-12)
    assert [y["month"] for y in result.years] == [11, 23]
    assert all(p.expected_regret >= 0 for p in result.paths)


def test_outcomes_follow_success_probability():
    result = simulate(_uncertain(), 20_000, 3)
    rented = result.paths[1]
    assert rented.success_rate == pytest.approx(0.75, abs=0.015)
    assert any(d["field"] == "paths[1].success_probability (outcome)" for d in result.drivers)


def test_fixed_inputs_equal_compare():
    scenario = scenario_from_dict(api_vs_rent())
    result = simulate(scenario, 1_000, 5)
    reference = compare(scenario)
    for sim_path, cmp_path in zip(result.paths, reference.paths):
        assert sim_path.npv_p10 == sim_path.npv_p50 == sim_path.npv_p90 == cmp_path.npv
        assert sim_path.cost_per_million_tokens_p50 == cmp_path.cost_per_million_tokens
        assert sim_path.win_probability == (1.0 if cmp_path.name == reference.recommendation["path"] else 0.0)
    assert result.drivers == [] and result.inputs == []


def test_fixed_success_probability_is_drawn_per_sample():
    scenario = scenario_from_dict(api_vs_rent(**{"paths[Rented].success_probability": 0.5}))
    result = simulate(scenario, 4_000, 5)
    assert result.paths[1].success_rate == pytest.approx(0.5, abs=0.03)
    plan = compile_plan(scenario)
    outcomes = evaluate(plan, {"paths[1].success_probability": np.array([1.0, 0.0])}).npv[:, 1]
    assert set(np.unique(np.round(result.npv[:, 1], 4))) == set(np.round(outcomes, 4))
    # the mean of the outcomes is compare's expectation
    assert result.paths[1].npv_mean == pytest.approx(compare(scenario).paths[1].npv, rel=0.01)


def test_lognormal_price_matches_the_analytic_probability():
    """API vs rented GPUs, one lognormal GPU price: P(API cheaper) = 1 − Φ((ln t − μ)/σ)."""
    plan = compile_plan(scenario_from_dict(api_vs_rent()))
    key = "paths[1].serving.gpu_hour_price"
    npv = evaluate(plan, {key: np.array([0.0, 1.0])}).npv
    intercept, slope = npv[0, 1], npv[1, 1] - npv[0, 1]
    threshold = (npv[0, 0] - intercept) / slope  # the rented path's NPV is linear in its GPU price
    assert threshold > 0
    p10, p90 = threshold / 1.6, threshold * 1.3
    scenario = scenario_from_dict(api_vs_rent(**{"paths[Rented].serving.gpu_hour_price": {"dist": "lognormal", "p10": p10, "p90": p90}}))
    n = 40_000
    result = simulate(scenario, n, 11)
    z90 = 1.2815515655446004
    mu, sigma = (math.log(p10) + math.log(p90)) / 2, (math.log(p90) - math.log(p10)) / (2 * z90)
    expected = 1 - 0.5 * math.erfc(-((math.log(threshold) - mu) / sigma) / math.sqrt(2))
    tolerance = 4 * math.sqrt(expected * (1 - expected) / n)
    assert result.paths[0].win_probability == pytest.approx(expected, abs=tolerance)
    assert result.drivers[0]["field"] == key


def test_iman_conover_in_simulation_reaches_the_target():
    result = simulate(_uncertain(), 20_000, 2)
    growth = next(i for i in result.inputs if i["field"] == "workload.growth_per_month")
    assert growth["estimate"] == 0.02


@settings(max_examples=20, deadline=None)
@given(rank=st.floats(min_value=-0.9, max_value=0.9), seed=st.integers(min_value=0, max_value=2**32))
def test_iman_conover_keeps_marginals_and_reaches_rank_correlation(rank, seed):
    rng = np.random.default_rng(seed)
    n = 20_000
    samples = np.column_stack([rng.lognormal(0, 1, n), rng.beta(2, 5, n), rng.choice([1.0, 2.0, 3.0], n)])
    target = np.array([[1.0, rank, 0.0], [rank, 1.0, 0.0], [0.0, 0.0, 1.0]])
    out = iman_conover(samples, target, rng)
    for j in range(3):
        np.testing.assert_array_equal(np.sort(out[:, j]), np.sort(samples[:, j]))
    achieved = np.corrcoef(rankdata(out[:, 0]), rankdata(out[:, 1]))[0, 1]
    assert achieved == pytest.approx(rank, abs=0.03)


def test_sample_count_limits():
    scenario = scenario_from_dict(api_vs_rent())
    for bad in (0, -5, 10_000_001, 2.5, True):
        with pytest.raises(AnalysisError) as info:
            simulate(scenario, bad)
        assert info.value.one_line().startswith("samples: must be a whole number from 1 to 10,000,000")


def test_bundled_uncertain_scenario_runs(tmp_path):
    scenario = load_scenario(REPO / "scenarios" / "uncertain-enterprise.yaml")
    assert len(scenario._distributions) >= 6 and scenario.correlations
    cmp = compare(scenario)
    assert cmp.recommendation["path"] is not None
    result = simulate(scenario, 3_000, 42)
    data = result.to_dict()
    assert data["samples"] == 3_000 and data["seed"] == 42
    assert {"name", "npv_p10", "npv_p50", "npv_p90", "win_probability"} <= set(data["paths"][0])
    assert sum(p["win_probability"] for p in data["paths"]) == pytest.approx(1.0)
