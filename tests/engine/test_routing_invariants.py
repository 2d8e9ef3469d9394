"""Invariants of routing and the capacity cap (DESIGN §2b), checked with hypothesis."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from buildorbuy import compile_plan, scenario_from_dict
from buildorbuy.engine.core import evaluate
from tests.conftest import api_path, base_scenario

fraction = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
volume = st.floats(min_value=1e8, max_value=5e11, allow_nan=False)


def _hosted(routing=None, autoscale=False, **serving):
    path = {"name": "Hosted", "kind": "finetune", "model": {"params": "8B"},
            "finetune": {"tokens": "10M", "gpu": "h100-sxm", "gpu_hour_price": 3, "mfu": 0.3, "refresh_months": 5},
            "serving": {"gpu": "l40s", "gpu_hour_price": 0.9, "tokens_per_second_per_gpu": 3000, "gpus_per_replica": 1,
                        **({"scaling": "autoscale"} if autoscale else {}), **serving},
            "lead_time_months": 2, "staff": [{"count": 1, "annual_cost": 100000}]}
    if routing is not None:
        path["routing"] = routing
    return path


def _plan(hosted, *, profile=True, fees=True):
    api = api_path(fixed_fee_per_month=500 if fees else 0, setup_fee=2000 if fees else 0)
    workload = {"tokens_per_month": "20B", "growth_per_month": 0.05}
    if profile:
        workload["daily_profile"] = [0.4] * 8 + [1.6] * 8 + [1.0] * 8
    data = base_scenario(horizon_months=24, discount_rate=0.1, bridge="API", workload=workload,
                         paths=[api, api_path("Other", 0.003, 0.01), hosted])
    return compile_plan(scenario_from_dict(data))


@settings(max_examples=40, deadline=None)
@given(fraction, fraction, fraction, st.integers(2, 40), st.booleans(), volume)
def test_a_higher_escalation_rate_never_lowers_a_routed_paths_cost(e1, e2, share, cap, autoscale, tokens):
    plan = _plan(_hosted({"share": 0.5, "escalation_rate": 0.1, "ramp_months": 2}, autoscale, max_gpus=40))
    low, high = sorted((e1, e2))
    r = evaluate(plan, {"paths[2].routing.escalation_rate": np.array([low, high]), "paths[2].routing.share": share,
                        "paths[2].serving.max_gpus": float(cap), "workload.tokens_per_month": tokens})
    assert r.total_cost[1, 2] >= r.total_cost[0, 2] - 1e-6 * abs(r.total_cost[0, 2])
    assert r.npv[1, 2] >= r.npv[0, 2] - 1e-6 * abs(r.npv[0, 2])


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 60), st.integers(2, 60), fraction, fraction, st.booleans(), volume)
def test_a_lower_cap_never_lowers_fallback_fees(c1, c2, share, escalation, autoscale, tokens):
    plan = _plan(_hosted({"share": 0.5, "escalation_rate": 0.1, "fallback": "Other"}, autoscale, max_gpus=40))
    low, high = sorted((c1, c2))
    r = evaluate(plan, {"paths[2].serving.max_gpus": np.array([low, high], dtype=float),
                        "paths[2].routing.share": share, "paths[2].routing.escalation_rate": escalation,
                        "workload.tokens_per_month": tokens})
    fees = r.components["fallback_fees"][:, 2]
    assert np.all(fees[0] >= fees[1] - 1e-9 * np.abs(fees[1]))
    assert np.all(r.gpus[0, 2] <= r.gpus[1, 2])  # and never a bigger fleet


@settings(max_examples=30, deadline=None)
@given(volume, st.booleans(), st.booleans(), st.booleans(), st.sampled_from(["API", "Other"]))
def test_share_one_escalation_zero_equals_the_unrouted_path_exactly(tokens, profile, autoscale, fees, fallback):
    plain = evaluate(_plan(_hosted(None, autoscale), profile=profile, fees=fees), {"workload.tokens_per_month": tokens})
    routed = evaluate(_plan(_hosted({"share": 1, "escalation_rate": 0, "fallback": fallback}, autoscale),
                            profile=profile, fees=fees), {"workload.tokens_per_month": tokens})
    assert np.array_equal(plain.monthly_cost, routed.monthly_cost)
    assert np.array_equal(plain.npv, routed.npv)
    assert np.array_equal(plain.gpus, routed.gpus)
    assert not routed.components["fallback_fees"].any()
