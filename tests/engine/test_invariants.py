"""Invariants of the model (DESIGN §5), checked with hypothesis."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from buildorbuy import compile_plan, scenario_from_dict
from buildorbuy.engine.core import evaluate
from tests.conftest import api_path, base_scenario

money = st.floats(min_value=0.0, max_value=0.05, allow_nan=False)
volume = st.floats(min_value=1e6, max_value=1e12, allow_nan=False)


def _hosted(ownership="rent"):
    serving = {"gpu": "h100-sxm", "ownership": ownership, "tokens_per_second_per_gpu": 2000, "gpus_per_replica": 2}
    if ownership == "rent":
        serving["gpu_hour_price"] = 3.0
    else:
        serving.update(purchase_price=30000, tdp_watts=700, power_price_per_kwh=0.1, hosting_per_gpu_month=50)
    return {"name": "Hosted", "kind": "finetune", "model": {"params": "8B"},
            "finetune": {"tokens": "10M", "gpu": "h100-sxm", "gpu_hour_price": 3, "mfu": 0.3, "refresh_months": 5},
            "serving": serving, "lead_time_months": 2, "staff": [{"count": 1, "annual_cost": 100000}]}


def _plan(rate=0.0, ownership="rent", horizon=24):
    data = base_scenario(horizon_months=horizon, discount_rate=rate, bridge="API",
                         workload={"tokens_per_month": "1B", "growth_per_month": 0.05},
                         paths=[api_path(staff=[{"count": 1, "annual_cost": 50000}]), _hosted(ownership)])
    return compile_plan(scenario_from_dict(data))


@settings(max_examples=40, deadline=None)
@given(volume, volume, money, money)
def test_more_tokens_never_make_an_api_path_cheaper(v1, v2, p_in, p_out):
    plan = _plan()
    low, high = sorted((v1, v2))
    r = evaluate(plan, {"workload.tokens_per_month": np.array([low, high]),
                        "paths[0].price_per_1k_input": p_in, "paths[0].price_per_1k_output": p_out})
    assert r.total_cost[1, 0] >= r.total_cost[0, 0] - 1e-6
    assert r.npv[1, 0] >= r.npv[0, 0] - 1e-6


@settings(max_examples=40, deadline=None)
@given(st.floats(0.1, 20), st.floats(0.1, 20), volume)
def test_higher_gpu_price_never_makes_self_hosting_cheaper(g1, g2, v):
    plan = _plan()
    low, high = sorted((g1, g2))
    r = evaluate(plan, {"paths[1].serving.gpu_hour_price": np.array([low, high]),
                        "paths[1].finetune.gpu_hour_price": np.array([low, high]), "workload.tokens_per_month": v})
    assert r.total_cost[1, 1] >= r.total_cost[0, 1] - 1e-6


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 0.5), volume)
def test_npv_at_most_total_when_rate_non_negative(rate, v):
    plan = _plan(rate=rate)
    r = evaluate(plan, {"workload.tokens_per_month": v})
    assert np.all(r.npv <= r.total_cost + 1e-6)


@settings(max_examples=30, deadline=None)
@given(volume, st.sampled_from(["rent", "own"]))
def test_cumulative_never_falls_except_at_residual_credit(v, ownership):
    plan = _plan(ownership=ownership)
    r = evaluate(plan, {"workload.tokens_per_month": v})
    steps = np.diff(r.cumulative_before_residual, axis=-1)
    assert np.all(steps >= -1e-9)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 50), volume)
def test_batch_of_identical_inputs_gives_identical_results(n, v):
    plan = _plan(ownership="own")
    r = evaluate(plan, {"workload.tokens_per_month": np.full(n, v)})
    assert np.all(r.monthly_cost == r.monthly_cost[:1])
    single = evaluate(plan, {"workload.tokens_per_month": v})
    np.testing.assert_allclose(r.npv[0], single.npv[0], rtol=1e-12)


def test_one_schedule_month_can_vary_across_a_batch():
    schedule = [1e9] * 12
    plan = compile_plan(scenario_from_dict(base_scenario(workload={"schedule": schedule})))
    r = evaluate(plan, {"workload.schedule[3]": np.array([1e9, 2e9])})
    assert r.tokens.shape == (2, 12)
    assert r.tokens[1, 3] == 2e9 and r.tokens[1, 4] == 1e9
    assert r.total_cost[1, 0] > r.total_cost[0, 0]
