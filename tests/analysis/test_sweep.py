import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buildorbuy.analysis.sweep import parse_range, parse_values, sweep
from buildorbuy.api import evaluate
from buildorbuy.engine.summary import winner_and_runner_up
from buildorbuy.errors import AnalysisError, ScenarioError


def test_points_equal_separate_evaluations(domain):
    tokens = [1e9, 2e10, 1e11]
    prices = [1.5, 2.99, 6.0]
    result = sweep(domain, {"workload.tokens_per_month": tokens, "paths[Fine-tuned Llama 3.1 70B].serving.gpu_hour_price": prices})
    assert result.shape == (3, 3)
    assert result.npv.shape == (3, 3, 3)
    assert result.params == ["workload.tokens_per_month", "paths[1].serving.gpu_hour_price"]
    for i, t in enumerate(tokens):
        for j, p in enumerate(prices):
            single = evaluate(domain, {"workload.tokens_per_month": [t], "paths[1].serving.gpu_hour_price": [p]})
            np.testing.assert_allclose(result.npv[i, j], single.npv[0], rtol=1e-12)
            winner, _ = winner_and_runner_up(single)
            assert result.winner[i, j] == winner[0]


def test_json_points_contract(small):
    result = sweep(small, {"workload.tokens_per_month": [1e8, 1e9]})
    data = json.loads(json.dumps(result.to_dict()))
    assert data["params"] == ["workload.tokens_per_month"]
    assert len(data["points"]) == 2
    point = data["points"][1]
    assert point["values"] == {"workload.tokens_per_month": 1e9}
    assert point["npv"] == {"A": pytest.approx(30000.0), "B": pytest.approx(33000.0)}
    assert point["winner"] == "A"


def test_one_parameter_regions(small):
    # A's staff cost c: A = 18,000 + c, B = 33,000, so A wins while c < 15,000.
    result = sweep(small, {"paths[A].staff[0].annual_cost": [0, 10000, 14000, 16000, 30000]})
    assert [result.winner_name(int(w)) for w in result.winner] == ["A", "A", "A", "B", "B"]
    assert [r["winner"] for r in result.regions()] == ["A", "B"]


def test_derived_parameter_follows_swept_input(domain):
    # active_params defaults to params; sweeping params must move it (and the cost) too
    result = sweep(domain, {"paths[1].model.params": [8e9, 70.6e9]})
    assert result.npv[0, 1] < result.npv[1, 1]


@pytest.mark.parametrize(
    "values, message",
    [
        ({"workload.output_share": [0.5, 1.5]}, "outside the valid range"),
        ({"paths[0].lead_time_months": [2.5]}, "whole number"),
        ({"paths[A].price_per_1k_input": [-1]}, "≥ 0"),
        ({"paths[A].success_probability": [0]}, "> 0"),
    ],
)
def test_values_outside_field_range(small, values, message):
    with pytest.raises(ScenarioError, match=message) as info:
        sweep(small, values)
    assert next(iter(values)) in info.value.one_line()
    assert "\n" not in info.value.one_line()


def test_unvariable_and_unknown(small):
    with pytest.raises(AnalysisError, match="cannot be varied"):
        sweep(small, {"horizon_months": [12, 24]})
    with pytest.raises(ScenarioError, match="did you mean"):
        sweep(small, {"workload.tokens_per_mont": [1]})
    with pytest.raises(ScenarioError, match="not a numeric field"):
        sweep(small, {"paths[0].name": [1]})
    with pytest.raises(AnalysisError, match="twice"):
        sweep(small, {"workload.tokens_per_month": [1], "workload.tokens_per_month ": [2]})


def test_point_limit(small):
    with pytest.raises(AnalysisError, match="1,000,000"):
        sweep(small, [("workload.tokens_per_month", np.arange(1001.0)), ("paths[A].price_per_1k_input", np.arange(1000.0))])


def test_chunked_batches_match_one_batch(domain, monkeypatch):
    from buildorbuy.analysis import sweep as module

    values = np.geomspace(1e8, 1e11, 700)
    whole = sweep(domain, {"workload.tokens_per_month": values})
    monkeypatch.setattr(module, "chunk_size", lambda plan: 256)
    chunked = sweep(domain, {"workload.tokens_per_month": values})
    assert chunked.engine_batches == 3
    np.testing.assert_array_equal(whole.npv, chunked.npv)
    np.testing.assert_array_equal(whole.winner, chunked.winner)


def test_parse_values_and_ranges():
    np.testing.assert_allclose(parse_values("1e8, 2.5B,30%"), [1e8, 2.5e9, 0.3])
    np.testing.assert_allclose(parse_range("1:3:3"), [1, 2, 3])
    np.testing.assert_allclose(parse_range("1e8:1e10:3", log=True), [1e8, 1e9, 1e10])
    np.testing.assert_allclose(parse_range("1e8:1e10:3:log"), [1e8, 1e9, 1e10])
    assert len(parse_range("0:1")) == 11
    for bad in ["1:", "a:b", "1:2:0", "1:2:2.5", "5:1", "1:1:3", "1:2:3:4"]:
        with pytest.raises(AnalysisError):
            parse_range(bad)
    with pytest.raises(AnalysisError, match="positive"):
        parse_range("0:10", log=True)
    with pytest.raises(AnalysisError, match="limit"):
        parse_range("0:1:2000000")
    for bad in ["", "1,,2", "1,x"]:
        with pytest.raises(AnalysisError):
            parse_values(bad)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.floats(min_value=1e6, max_value=1e12), min_size=1, max_size=6))
def test_more_tokens_never_make_api_cheaper(small, values):
    values = sorted(values)
    result = sweep(small, {"workload.tokens_per_month": values})
    assert np.all(np.diff(result.npv[:, 0]) >= -1e-6)
    assert np.all(np.diff(result.npv[:, 1]) >= -1e-6)
