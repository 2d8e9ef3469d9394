import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buildorbuy.analysis.breakeven import breakeven
from buildorbuy.api import evaluate
from buildorbuy.errors import AnalysisError, ScenarioError
from buildorbuy.scenario.loading import scenario_from_dict



def _npvs(scenario, result, value):
    single = evaluate(scenario, {result.param: [value]})
    return single.npv[0, scenario.path_index(result.a)], single.npv[0, scenario.path_index(result.b)]


def check_answer(scenario, result):
    """Equal NPVs within 0.1 % at the value, or (at a step) a sign change within 1e-4 relative of it."""
    assert result.value is not None
    if result.at_step:
        below = _npvs(scenario, result, result.value * (1 - 1e-4))
        above = _npvs(scenario, result, result.value * (1 + 1e-4))
        assert np.sign(below[0] - below[1]) != np.sign(above[0] - above[1])
    else:
        a, b = _npvs(scenario, result, result.value)
        assert a == pytest.approx(b, rel=1e-3)
    assert result.engine_batches <= 60
    if not result.integer:
        assert result.relative_tolerance <= 1e-6


@pytest.mark.parametrize(
    "param",
    ["workload.tokens_per_month", "paths[gpt-4o].price_per_1k_output", "paths[1].staff[0].count", "paths[0].price_change_per_year",
     "paths[1].serving.tokens_per_second_per_gpu"],
)
def test_enterprise_answers_check_out(enterprise, param):
    result = breakeven(enterprise, param)
    assert {result.a, result.b} == {"gpt-4o", "Fine-tuned Llama 3.3 70B"}
    check_answer(enterprise, result)


def test_capacity_step_is_reported(enterprise):
    result = breakeven(enterprise, "paths[1].serving.tokens_per_second_per_gpu")
    assert result.at_step
    data = result.to_dict()
    assert data["at_step"] is True and data["bracket"][0] < data["value"] < data["bracket"][1]


def test_volume_at_which_finetuning_beats_the_api(domain):
    result = breakeven(domain, "workload.tokens_per_month", between=("Fine-tuned Llama 3.1 70B", "gpt-4.1"))
    assert result.cheaper_below == "gpt-4.1" and result.cheaper_above == "Fine-tuned Llama 3.1 70B"
    assert result.value > 5e9
    check_answer(domain, result)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(price_out_b=st.floats(min_value=0.0025, max_value=0.02))
def test_staff_cost_closed_form(make_two_apis, price_out_b):
    two_apis = make_two_apis
    # A = 18,000 + c (one person, 12 months); B = 12 × 5e5 × (0.002 + price_out_b) → c* = B − 18,000
    scenario = scenario_from_dict(two_apis(paths=[*two_apis()["paths"][:1], {**two_apis()["paths"][1], "price_per_1k_output": price_out_b}]))
    expected = 12 * 5e5 * (0.002 + price_out_b) - 18000
    result = breakeven(scenario, "paths[A].staff[0].annual_cost", between=("A", "B"), low=1, high=1e6)
    assert result.value == pytest.approx(expected, rel=1e-6)
    assert not result.at_step
    assert result.engine_batches <= 60


def test_no_crossover_is_null(small):
    result = breakeven(small, "paths[A].staff[0].annual_cost", low=0, high=1000)
    assert result.value is None and "no crossover in [0, 1000]" in result.reason
    assert json.loads(json.dumps(result.to_dict()))["value"] is None


def test_whole_number_field(enterprise):
    result = breakeven(enterprise, "paths[1].lead_time_months")
    assert result.integer and result.value == int(result.value) and result.at_step
    lo, hi = result.bracket
    assert hi - lo == 1
    before, after = _npvs(enterprise, result, lo), _npvs(enterprise, result, hi)
    assert np.sign(before[0] - before[1]) != np.sign(after[0] - after[1])


def test_errors(small):
    with pytest.raises(ScenarioError, match="did you mean 'B'"):
        breakeven(small, "workload.tokens_per_month", between=("A", "Bb"))
    with pytest.raises(AnalysisError, match="two different"):
        breakeven(small, "workload.tokens_per_month", between=("A", "0"))
    with pytest.raises(AnalysisError, match="empty range"):
        breakeven(small, "workload.tokens_per_month", low=5, high=1)
    with pytest.raises(ScenarioError, match="valid range"):
        breakeven(small, "workload.output_share", low=0.1, high=2)
