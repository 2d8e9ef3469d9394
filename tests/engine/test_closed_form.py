"""Figures a user reads, checked against values computed by hand in the test."""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest

from buildorbuy import compare, scenario_from_dict
from tests.conftest import api_path, base_scenario
from tests.engine._builders import hosted


def test_api_only_month_by_month():
    data = base_scenario(
        horizon_months=24,
        workload={"tokens_per_month": "2B", "output_share": 0.25, "cached_input_share": 0.3, "growth_per_month": 0.04},
        paths=[api_path(price_in=0.0008, price_out=0.002, price_per_1k_cached_input=0.0002, price_change_per_year=-0.3,
                        staff=[{"count": 1, "annual_cost": "450k", "salary_growth_per_year": 0.05}])],
    )
    result = compare(scenario_from_dict(data))
    path = result.paths[0]
    for m in (0, 1, 11, 23):
        tokens = 2e9 * 1.04**m
        out = tokens * 0.25
        inp = tokens - out
        cached = inp * 0.3
        price = 0.7 ** (m / 12)
        fees = ((inp - cached) / 1000 * 0.0008 + cached / 1000 * 0.0002 + out / 1000 * 0.002) * price
        staff = 450_000 / 12 * 1.05 ** (m / 12)
        assert path.monthly_cost[m] == pytest.approx(fees + staff, rel=1e-12)
        assert path.components["api_fees"][m] == pytest.approx(fees, rel=1e-12)
    assert path.total_cost == pytest.approx(sum(path.monthly_cost), rel=1e-12)
    assert path.cumulative_cost[-1] == pytest.approx(path.total_cost, rel=1e-12)
    served = sum(2e9 * 1.04**m for m in range(24))
    assert path.cost_per_million_tokens == pytest.approx(path.total_cost / served * 1e6, rel=1e-12)


def test_growth_per_year_converts_to_monthly():
    data = base_scenario(workload={"tokens_per_month": "1B", "growth_per_year": 0.5})
    result = compare(scenario_from_dict(data))
    assert result.tokens[12 - 1] == pytest.approx(1e9 * 1.5 ** (11 / 12), rel=1e-12)
    assert result.estimates["workload.growth_per_month"]["value"] == pytest.approx(1.5 ** (1 / 12) - 1)


def test_schedule_gives_every_month():
    schedule = [1e9 * (m + 1) for m in range(12)]
    data = base_scenario(workload={"schedule": schedule, "output_share": 0.5})
    result = compare(scenario_from_dict(data))
    assert result.tokens == pytest.approx(schedule)


def _rented(**serving):
    """The shared hosted path at 1000 tokens/s per GPU (500 a replica at 50 %) with one spare replica."""
    return hosted(**{"tokens_per_second_per_gpu": 1000, "redundancy": 1, **serving})


def test_rented_serving_with_given_throughput():
    data = base_scenario(workload={"tokens_per_month": 5.256e9, "output_share": 0.25, "peak_to_average": 2}, paths=[_rented()])
    result = compare(scenario_from_dict(data))
    path = result.paths[0]
    # Peak 5.256e9 / (730·3600) · 2 = 4000 tokens/s; 1000 · 0.5 per GPU → 8 GPUs, + 1 spare replica = 9.
    assert path.live_month == 1
    assert path.gpus[0] == 0 and path.gpus[1] == 9
    assert path.components["serving_rent"][1] == pytest.approx(9 * 730 * 2.0)
    # Fine-tune: 6 · 8e9 · 10M FLOPs at 0.4 × 312 TFLOP/s.
    gpu_hours = 6 * 8e9 * 1e7 / (312e12 * 0.4) / 3600
    assert path.components["finetune_compute"][0] == pytest.approx(gpu_hours * 2.0)
    assert path.unserved_tokens == pytest.approx(5.256e9)
    assert result.recommendation["path"] is None


def test_replicas_round_up_to_whole_replicas():
    data = base_scenario(workload={"tokens_per_month": 5.256e9, "peak_to_average": 2},
                         paths=[_rented(gpus_per_replica=4, redundancy=0)])
    path = compare(scenario_from_dict(data)).paths[0]
    # 8 GPUs needed → 2 replicas of 4.
    assert path.gpus[1] == 8


def test_lora_costs_two_thirds_of_full_finetune():
    full = compare(scenario_from_dict(base_scenario(paths=[_rented()]))).paths[0].components["finetune_compute"][0]
    lora_path = _rented()
    lora_path["finetune"]["method"] = "lora"
    lora = compare(scenario_from_dict(base_scenario(paths=[lora_path]))).paths[0].components["finetune_compute"][0]
    assert lora == pytest.approx(full * 4 / 6)


def test_finetune_with_bridge_counts_bridge_fees_until_go_live():
    hosted = _rented()
    hosted["lead_time_months"] = 3
    hosted["finetune"]["refresh_months"] = 4
    hosted["data"] = {"one_off": 1000, "per_refresh": 100}
    hosted["staff"] = [{"count": 2, "annual_cost": 120_000}]
    data = base_scenario(
        workload={"tokens_per_month": 5.256e9, "output_share": 0.25, "peak_to_average": 2},
        bridge="API",
        paths=[api_path(staff=[{"count": 1, "annual_cost": 999_999}]), hosted],
    )
    result = compare(scenario_from_dict(data))
    api, path = result.paths
    fee = (5.256e9 * 0.75 / 1000 * 0.001 + 5.256e9 * 0.25 / 1000 * 0.002)
    assert path.live_month == 3
    assert path.components["bridge_fees"][:3] == pytest.approx([fee] * 3)
    assert path.components["bridge_fees"][3:] == pytest.approx([0.0] * 9)
    assert path.unserved_tokens == 0
    run_cost = 6 * 8e9 * 1e7 / (312e12 * 0.4) / 3600 * 2.0
    compute = path.components["finetune_compute"]
    assert compute[2] == pytest.approx(run_cost) and compute[7] == pytest.approx(run_cost) and compute[11] == pytest.approx(run_cost)
    assert sum(compute) == pytest.approx(3 * run_cost)
    assert path.components["data"][0] == 1000 and path.components["data"][7] == 100 and path.components["data"][11] == 100
    assert path.components["staff"] == pytest.approx([20_000.0] * 12)
    expected = 3 * fee + 9 * 9 * 730 * 2.0 + 3 * run_cost + 1200 + 12 * 20_000
    assert path.total_cost == pytest.approx(expected)


def test_owned_fleet_residual_credited():
    owned = _rented(ownership="own", purchase_price=30_000, server_overhead=0.5, hosting_per_gpu_month=100,
                    tdp_watts=400, power_price_per_kwh=0.1, pue=1.5, depreciation_years=4)
    del owned["serving"]["gpu_hour_price"]
    data = base_scenario(horizon_months=24, workload={"tokens_per_month": 5.256e9, "peak_to_average": 2}, paths=[owned])
    result = compare(scenario_from_dict(data))
    path = result.paths[0]
    unit = 30_000 * 1.5
    assert path.components["hardware_purchase"][1] == pytest.approx(9 * unit)
    running = 9 * (100 + 0.4 * 1.5 * 730 * 0.1)
    assert path.components["power_and_hosting"][5] == pytest.approx(running)
    # Bought in month 1: (24 - 1)/12 years old at the end, 4-year straight line.
    residual = 9 * unit * (1 - (23 / 12) / 4)
    assert path.components["residual_credit"][-1] == pytest.approx(-residual)
    assert path.capex == pytest.approx(9 * unit)
    assert path.residual_credit == pytest.approx(-residual)
    assert path.opex == pytest.approx(path.total_cost - path.capex - path.residual_credit)


def test_owned_fleet_grows_but_is_never_sold():
    owned = _rented(ownership="own", purchase_price=10_000, redundancy=0)
    del owned["serving"]["gpu_hour_price"]
    schedule = [5.256e9] * 4 + [10.512e9] * 4 + [5.256e9] * 4
    data = base_scenario(workload={"schedule": schedule, "peak_to_average": 2}, paths=[owned])
    path = compare(scenario_from_dict(data)).paths[0]
    purchases = path.components["hardware_purchase"]
    assert purchases[1] == pytest.approx(8 * 10_000) and purchases[4] == pytest.approx(8 * 10_000)
    assert sum(purchases) == pytest.approx(16 * 10_000)


def test_npv_equals_numpy_financial():
    data = base_scenario(
        horizon_months=36, discount_rate=0.08,
        workload={"tokens_per_month": "2B", "growth_per_month": 0.03},
        paths=[api_path(staff=[{"count": 2, "annual_cost": 200_000}])],
    )
    path = compare(scenario_from_dict(data)).paths[0]
    monthly_rate = 1.08 ** (1 / 12) - 1
    assert path.npv == pytest.approx(npf.npv(monthly_rate, path.monthly_cost), rel=1e-12)


def test_levelised_cost_is_npv_over_discounted_tokens():
    data = base_scenario(horizon_months=24, discount_rate=0.1, workload={"tokens_per_month": "1B", "growth_per_month": 0.05})
    cmp = compare(scenario_from_dict(data))
    path = cmp.paths[0]
    discount = [(1.1) ** (-m / 12) for m in range(24)]
    tokens_npv = sum(t * d for t, d in zip(cmp.tokens, discount))
    assert path.levelised_cost_per_million_tokens == pytest.approx(path.npv / tokens_npv * 1e6)


def test_success_probability_mixes_success_and_failure_flows():
    hosted = _rented()
    hosted["lead_time_months"] = 2
    hosted["success_probability"] = 0.25
    hosted["staff"] = [{"count": 1, "annual_cost": 12_000}]
    data = base_scenario(workload={"tokens_per_month": 5.256e9, "peak_to_average": 2}, bridge="API", paths=[api_path(), hosted])
    path = compare(scenario_from_dict(data)).paths[1]
    fee = 5.256e9 * 0.75 / 1000 * 0.001 + 5.256e9 * 0.25 / 1000 * 0.002
    assert path.components["bridge_fees"][5] == pytest.approx(0.75 * fee)
    assert path.components["serving_rent"][5] == pytest.approx(0.25 * 9 * 730 * 2.0)
    assert path.components["staff"][0] == pytest.approx(1000) and path.components["staff"][5] == pytest.approx(250)


def test_training_wall_clock_moves_go_live_and_warns():
    build = {
        "name": "Own", "kind": "build", "model": {"params": "7B", "training_tokens": "1T"},
        "training": {"gpu": "a100-80gb", "gpus": 64, "mfu": 0.5, "gpu_hour_price": 2, "experiment_overhead": 1.0},
        "serving": {"gpu": "a100-80gb", "gpu_hour_price": 2, "tokens_per_second_per_gpu": 1000, "gpus_per_replica": 1},
        "lead_time_months": 1,
    }
    data = base_scenario(horizon_months=24, bridge="API", paths=[api_path(), build])
    cmp = compare(scenario_from_dict(data))
    gpu_hours = 6 * 7e9 * 1e12 / (312e12 * 0.5) / 3600
    months = math.ceil(gpu_hours / 64 / 730)
    assert cmp.paths[1].live_month == months
    assert any("go-live moved" in w for w in cmp.warnings)
    training = cmp.paths[1].components["training_compute"]
    assert sum(training) == pytest.approx(gpu_hours * 2)
    assert np.count_nonzero(training) == months


def test_breakeven_month_and_recommendation():
    cheap_later = _rented()
    cheap_later["lead_time_months"] = 0
    data = base_scenario(
        horizon_months=12,
        workload={"tokens_per_month": 5.256e9, "peak_to_average": 2},
        bridge="API",
        paths=[api_path(price_in=0.01, price_out=0.02), cheap_later],
    )
    cmp = compare(scenario_from_dict(data))
    api, hosted = cmp.paths
    cum_api = np.cumsum(api.monthly_cost)
    cum_h = np.cumsum(hosted.monthly_cost)
    expected = next(m for m in range(12) if all(cum_h[k] <= cum_api[k] for k in range(m, 12)))
    entry = next(e for e in cmp.breakeven if e["a"] == "Hosted" and e["b"] == "API")
    assert entry["month"] == expected
    assert cmp.recommendation["path"] == "Hosted"
    assert cmp.recommendation["margin"] == pytest.approx(api.npv - hosted.npv)


def test_infeasible_paths_are_never_recommended():
    data = base_scenario(
        constraints={"data_residency": "on_prem"},
        paths=[api_path("Public", price_in=0.0001, price_out=0.0001), api_path("Private", deployment="private")],
    )
    cmp = compare(scenario_from_dict(data))
    assert not cmp.paths[0].feasible and "on_prem" in cmp.paths[0].infeasible_reason
    assert cmp.recommendation["path"] == "Private"


def test_max_lead_time_makes_a_path_infeasible():
    hosted = _rented()
    hosted["lead_time_months"] = 6
    data = base_scenario(constraints={"max_lead_time_months": 3}, bridge="API", paths=[api_path(), hosted])
    cmp = compare(scenario_from_dict(data))
    assert not cmp.paths[1].feasible and "max_lead_time_months" in cmp.paths[1].infeasible_reason


def test_managed_finetune_fees():
    path = api_path(price_in=0.001, price_out=0.002, lead_time_months=1, managed_finetune={
        "training_tokens": "10M", "epochs": 2, "price_per_1m_training_tokens": 25, "refresh_months": 6,
        "hosting_fee_per_hour": 1.5, "price_per_1k_input": 0.003, "price_per_1k_output": 0.006})
    data = base_scenario(workload={"tokens_per_month": 1e9, "output_share": 0.25}, paths=[path])
    p = compare(scenario_from_dict(data)).paths[0]
    base_fee = 0.75e9 / 1000 * 0.001 + 0.25e9 / 1000 * 0.002
    tuned_fee = 0.75e9 / 1000 * 0.003 + 0.25e9 / 1000 * 0.006
    assert p.components["api_fees"][0] == pytest.approx(base_fee)
    assert p.components["api_fees"][1] == pytest.approx(tuned_fee)
    training = 10 * 2 * 25
    assert p.components["managed_finetune"][1] == pytest.approx(training + 1.5 * 730)
    assert p.components["managed_finetune"][7] == pytest.approx(training + 1.5 * 730)
    assert p.components["managed_finetune"][0] == 0
    assert p.unserved_tokens == 0


def test_a_path_that_goes_live_after_the_horizon_is_never_recommended():
    hosted = _rented()
    hosted["lead_time_months"] = 20
    data = base_scenario(workload={"tokens_per_month": 5.256e9, "peak_to_average": 2}, bridge="API",
                         paths=[api_path(staff=[{"count": 1, "annual_cost": 120_000}]), hosted])
    cmp = compare(scenario_from_dict(data))
    assert cmp.paths[1].live_month == 20 and cmp.paths[1].total_cost < cmp.paths[0].total_cost
    assert cmp.recommendation["path"] == "API"
    assert "after the 12-month horizon" in cmp.recommendation["reason"]
    assert any("after the 12-month horizon" in w for w in cmp.warnings)
