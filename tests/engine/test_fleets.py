"""Fleets as they are bought (DESIGN §2b): autoscaling, reservations, owned terms, supply — checked by hand."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from buildorbuy import compare, scenario_from_dict
from buildorbuy.cli import app
from tests.conftest import REPO, api_path, base_scenario
from tests.engine._builders import SECONDS, hosted as _hosted


def _run(workload: dict, horizon: int = 12, **serving):
    data = base_scenario(horizon_months=horizon, workload={"output_share": 0.25, **workload}, paths=[_hosted(**serving)])
    return compare(scenario_from_dict(data))


# ---------------------------------------------------------------------------- autoscaling


@pytest.mark.parametrize("day", [
    {"daily_profile": [1.5] * 12 + [0.5] * 12},
    {"peak_to_average": 1.5, "peak_hours": 12},
], ids=["daily_profile", "peak_hours"])
def test_an_autoscaled_day_three_replicas_at_peak_one_at_base(day):
    # Mean load 2000 tokens/s; one replica serves 2000 · 0.5 = 1000 tokens/s.
    # Peak 1.5 × 2000 = 3000 → 3 replicas for 12 h; base 0.5 × 2000 = 1000 → 1 replica for 12 h.
    result = _run({"tokens_per_month": 2000 * SECONDS, **day}, scaling="autoscale")
    path = result.paths[0]
    hours = 730 / 24 * (12 * 3 + 12 * 1)  # 1460 GPU-hours, against 3 × 730 = 2190 for a fixed fleet
    assert path.live_month == 1
    assert path.gpus[0] == 0 and path.gpus[1] == 3
    assert path.components["serving_rent"][1] == pytest.approx(hours * 2.0, rel=1e-12)
    assert path.fleet["on_demand_gpu_hours"][1] == pytest.approx(hours, rel=1e-12)
    assert path.fleet["on_demand_gpu_hours"][0] == 0
    fixed = _run({"tokens_per_month": 2000 * SECONDS, **day}).paths[0]
    assert fixed.gpus[1] == 3 and fixed.components["serving_rent"][1] == pytest.approx(3 * 730 * 2.0)


def test_autoscale_floor_and_redundancy():
    # Base load 0.5 × 2000 = 1000 tokens/s → 1 replica, but min_replicas 2; +1 spare replica at every hour.
    result = _run({"tokens_per_month": 2000 * SECONDS, "daily_profile": [1.5] * 12 + [0.5] * 12},
                  scaling="autoscale", min_replicas=2, redundancy=1)
    hours = 730 / 24 * (12 * (3 + 1) + 12 * (2 + 1))
    assert result.paths[0].components["serving_rent"][1] == pytest.approx(hours * 2.0, rel=1e-12)
    assert result.paths[0].gpus[1] == 4


def test_throughput_change_per_year_shrinks_the_fleet():
    # 4000 tokens/s at peak (2000 mean × 2); per-GPU capacity 1000 · 1.21^(m/12): 4 GPUs, then 4/1.21 → 4 at m = 12? no:
    # month 12 capacity 1210 → ceil(4000 / 1210) = 4; month 24: 1464.1 → ceil(2.73) = 3.
    result = _run({"tokens_per_month": 2000 * SECONDS, "peak_to_average": 2}, horizon=25, throughput_change_per_year=0.21)
    gpus = result.paths[0].gpus
    assert gpus[1] == 4 and gpus[12] == 4 and gpus[24] == 3


# ---------------------------------------------------------------------------- reservations


def test_reservation_with_on_demand_excess_and_a_term_past_the_horizon():
    # Fixed fleet: peak 2 × 2000 = 4000 tokens/s, 1000 per GPU → 4 GPUs, + 1 spare replica = 5.
    # R = 3 reserved at 1.2 (first term, from go-live month 1), 12-month terms; rent falls 20 %/year.
    change = -0.2
    result = _run({"tokens_per_month": 2000 * SECONDS, "peak_to_average": 2}, horizon=24, redundancy=1,
                  gpu_hour_price_change_per_year=change, reserved={"gpus": 3, "gpu_hour_price": 1.2, "term_months": 12})
    path = result.paths[0]
    assert path.components["serving_rent"][0] == 0
    for m in (1, 12, 13, 23):
        term_start = 1 if m < 13 else 13
        reserved = 3 * 730 * 1.2 * (1 + change) ** (term_start / 12)
        on_demand = (5 - 3) * 730 * 2.0 * (1 + change) ** (m / 12)
        assert path.components["serving_rent"][m] == pytest.approx(reserved + on_demand, rel=1e-12)
        assert path.fleet["reserved_gpus"][m] == 3
        assert path.fleet["on_demand_gpu_hours"][m] == pytest.approx(2 * 730)
    # The second term (months 13–24) ends after month 23, the last of the horizon.
    assert any("runs past the 24-month horizon" in w for w in result.warnings)


def test_reservation_above_demand_pays_for_idle_gpus_and_no_on_demand():
    result = _run({"tokens_per_month": 2000 * SECONDS, "peak_to_average": 2}, reserved={"gpus": 6, "gpu_hour_price": 1.0,
                                                                                         "term_months": 11})
    path = result.paths[0]
    assert path.components["serving_rent"][1] == pytest.approx(6 * 730 * 1.0)
    assert path.fleet["on_demand_gpu_hours"][1] == 0
    assert not any("runs past" in w for w in result.warnings)  # go-live 1 + 11 = 12: the term ends with the horizon


def test_reserved_price_auto_is_the_sourced_share_of_on_demand():
    result = _run({"tokens_per_month": 2000 * SECONDS}, reserved={"gpus": 2})
    estimate = result.paths[0].estimates["serving.reserved.gpu_hour_price"]
    assert estimate["value"] == pytest.approx(2.0 * 0.63)
    assert "0.63" in estimate["method"]


def test_auto_reservation_is_the_best_of_an_explicit_sweep():
    workload = {"tokens_per_month": 2000 * SECONDS, "growth_per_month": 0.05, "daily_profile": [2] * 8 + [0.5] * 16}
    serving = {"scaling": "autoscale", "redundancy": 1, "gpus_per_replica": 2, "tokens_per_second_per_gpu": 1000}
    auto = _run(workload, horizon=24, reserved={"gpus": "auto", "gpu_hour_price": 1.3, "term_months": 12}, **serving)
    estimate = auto.paths[0].estimates["serving.reserved.gpus"]
    sweep = {}
    for r in range(0, 22, 2):
        sweep[r] = _run(workload, horizon=24, reserved={"gpus": r, "gpu_hour_price": 1.3, "term_months": 12}, **serving).paths[0].npv
    best = min(sweep, key=lambda r: (sweep[r], r))
    assert estimate["value"] == best and 0 < best < 20  # an interior optimum: the test can fail both ways
    assert auto.paths[0].npv == pytest.approx(sweep[best], rel=1e-12)
    curve = {point["value"]: point["npv"] for point in estimate["curve"]}
    for r, npv in sweep.items():
        if r in curve:
            assert curve[r] == pytest.approx(npv, rel=1e-12)
    assert min(curve.values()) == pytest.approx(sweep[best], rel=1e-12)


# ---------------------------------------------------------------------------- owned fleets


def test_owned_fleet_with_existing_gpus_maintenance_and_declining_balance():
    # 5 GPUs needed from go-live (4 + 1 spare); 4 already owned; procurement 3 months moves go-live to month 3.
    result = _run({"tokens_per_month": 2000 * SECONDS, "peak_to_average": 2}, redundancy=1, ownership="own",
                  purchase_price=10_000, server_overhead=0.5, hosting_per_gpu_month=100, tdp_watts=1000, pue=1.2,
                  power_price_per_kwh=0.1, power_utilization=0.5, maintenance_per_year=0.12, owned_gpus=4,
                  procurement_months=3, residual={"declining_balance": 0.3})
    path = result.paths[0]
    unit = 10_000 * 1.5
    per_gpu = 100 + 1.0 * 0.5 * 1.2 * 730 * 0.1  # hosting + power at half of TDP
    assert path.live_month == 3
    assert path.components["hardware_purchase"] == pytest.approx([0, 0, 0, 1 * unit] + [0] * 8)
    for m, fleet in ((0, 4), (2, 4), (3, 5), (11, 5)):
        assert path.components["power_and_hosting"][m] == pytest.approx(fleet * per_gpu, rel=1e-12)
        assert path.components["maintenance"][m] == pytest.approx(fleet * unit * 0.12 / 12, rel=1e-12)
        assert path.fleet["owned_gpus"][m] == fleet
    credit = -1 * unit * 0.7 ** ((12 - 3) / 12)  # only the GPU bought in month 3; existing ones earn nothing
    assert path.residual_credit == pytest.approx(credit, rel=1e-12)
    assert path.components["residual_credit"][11] == pytest.approx(credit, rel=1e-12)
    assert path.capex == pytest.approx(unit)


def test_owned_fleet_without_residual_and_auto_terms():
    data = base_scenario(currency="CNY", usd_exchange_rate=7.2, workload={"tokens_per_month": 2000 * SECONDS},
                         paths=[_hosted(ownership="own", purchase_price=100_000, tdp_watts=700, residual="none",
                                        power_price_per_kwh="auto", hosting_per_gpu_month="auto", server_overhead="auto",
                                        maintenance_per_year="auto", power_utilization="auto")])
    result = compare(scenario_from_dict(data))
    est = result.paths[0].estimates
    assert est["serving.power_price_per_kwh"]["value"] == pytest.approx(0.65)  # the CNY price, not USD × 7.2
    assert est["serving.hosting_per_gpu_month"]["value"] == pytest.approx(0.7 * 150 * 7.2)
    assert est["serving.server_overhead"]["value"] == pytest.approx(0.35)
    assert est["serving.maintenance_per_year"]["value"] == pytest.approx(0.1)
    assert est["serving.power_utilization"]["value"] == pytest.approx(0.7)
    assert result.paths[0].residual_credit == 0
    assert not any("costs nothing" in w for w in result.warnings)


def test_an_owned_fleet_with_power_or_hosting_at_zero_is_warned_naming_auto():
    result = _run({"tokens_per_month": 2000 * SECONDS}, ownership="own", purchase_price=10_000)
    warnings = " ".join(result.warnings)
    assert "power_price_per_kwh: auto" in warnings and "hosting_per_gpu_month: auto" in warnings


def test_owned_terms_left_out_are_one_warning_line_with_the_catalog_values_and_unchanged_figures(write_yaml):
    data = base_scenario(workload={"tokens_per_month": 2000 * SECONDS, "output_share": 0.25},
                         paths=[_hosted(path={"name": "Own"}, ownership="own", purchase_price="auto", power_price_per_kwh=0.1,
                                        hosting_per_gpu_month=100)])
    file = write_yaml(data)
    result = CliRunner().invoke(app, ["compare", str(file), "-f", "json"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "owned fleet without" in line]
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("Warning: Own: owned fleet without serving.server_overhead, serving.maintenance_per_year, "
                           "serving.power_utilization:")
    assert "0 (no servers, network or storage) and 0 (no maintenance) and 1 (draw at full TDP)" in line
    assert "write auto for the catalog's sourced values (+35% on the GPU price, 10% of the purchase a year, 0.7 of TDP)" in line
    assert line[len("Warning: "):] in json.loads(result.stdout)["warnings"]
    explicit = {"server_overhead": 0, "maintenance_per_year": 0, "power_utilization": 1}
    quiet = json.loads(CliRunner().invoke(app, ["compare", str(write_yaml(
        base_scenario(workload=data["workload"], paths=[{**data["paths"][0], "serving": {**data["paths"][0]["serving"],
                                                                                        **explicit}}]), "q.yaml")),
                                                "-f", "json"]).stdout)
    assert not any("owned fleet without" in w for w in quiet["warnings"])
    warned = json.loads(result.stdout)
    assert quiet["paths"][0]["npv"] == warned["paths"][0]["npv"]  # the defaults are unchanged: 0, 0, 1


def test_power_utilization_is_not_named_when_power_is_not_priced():
    result = _run({"tokens_per_month": 2000 * SECONDS}, ownership="own", purchase_price=10_000, server_overhead=0.3)
    line = next(w for w in result.warnings if "owned fleet without" in w)
    assert "serving.maintenance_per_year: it defaults to 0 (no maintenance);" in line
    assert "power_utilization" not in line and "server_overhead" not in line


# ---------------------------------------------------------------------------- supply


def test_the_cn_market_makes_owned_h800_infeasible_with_the_reason():
    data = base_scenario(constraints={"market": "cn"}, workload={"tokens_per_month": 2000 * SECONDS},
                         paths=[_hosted(gpu="h800", ownership="own", purchase_price=30_000, power_price_per_kwh=0.1,
                                        hosting_per_gpu_month=100)])
    path = compare(scenario_from_dict(data)).paths[0]
    assert not path.feasible
    assert "h800 is not sold new there since 2023-11-17" in path.infeasible_reason
    rented = base_scenario(constraints={"market": "cn"}, workload={"tokens_per_month": 2000 * SECONDS},
                           paths=[_hosted(gpu="h800")])
    assert compare(scenario_from_dict(rented)).paths[0].feasible  # renting existing capacity is allowed


def test_a_rule_dated_after_the_start_does_not_apply():
    data = base_scenario(start="2023-06", constraints={"market": "cn"}, workload={"tokens_per_month": 2000 * SECONDS},
                         paths=[_hosted(gpu="a800", ownership="own", purchase_price=15_000, power_price_per_kwh=0.1,
                                        hosting_per_gpu_month=100)])
    assert compare(scenario_from_dict(data)).paths[0].feasible


def test_inline_gpu_like_a_catalog_row():
    data = base_scenario(workload={"tokens_per_month": 2000 * SECONDS},
                         paths=[_hosted(gpu={"like": "a100-80gb", "name": "a800 custom", "nvlink_gbps": 400, "memory_gb": 80})])
    path = compare(scenario_from_dict(data)).paths[0]
    assert path.feasible and path.components["serving_rent"][1] > 0


# ---------------------------------------------------------------------------- unchanged figures


def test_a_scenario_without_the_new_fields_keeps_its_figures():
    """enterprise-support.yaml's figures, pinned from before fleets were added."""
    from buildorbuy import load_scenario

    pinned = json.loads((REPO / "tests" / "golden" / "enterprise_support_figures.json").read_text())
    result = compare(load_scenario(REPO / "scenarios" / "enterprise-support.yaml"))
    for path in result.paths:
        expected = pinned[path.name]
        assert path.npv == pytest.approx(expected["npv"], rel=1e-9)
        assert path.monthly_cost == pytest.approx(expected["monthly_cost"], rel=1e-9)
        assert path.gpus == expected["gpus"]
        assert set(path.components) == set(expected["components"])
        for name, values in expected["components"].items():
            assert path.components[name] == pytest.approx(values, rel=1e-9)


# ---------------------------------------------------------------------------- bad input

_WL = {"tokens_per_month": "1B"}
BAD = [
    ("profile_length", {"workload": {**_WL, "daily_profile": [1] * 23}}, "workload.daily_profile: daily_profile has 23 values"),
    ("profile_negative", {"workload": {**_WL, "daily_profile": [1] * 23 + [-1]}}, "workload.daily_profile[23]"),
    ("profile_zero", {"workload": {**_WL, "daily_profile": [0] * 24}}, "daily_profile is all zero"),
    ("peak_hours", {"workload": {**_WL, "peak_to_average": 3, "peak_hours": 9}}, "exceeds the 24-hour day"),
    ("profile_and_pta", {"workload": {**_WL, "peak_to_average": 2, "daily_profile": [1] * 24}},
     "give daily_profile or peak_to_average"),
    ("autoscale_owned", {"serving": {"ownership": "own", "scaling": "autoscale"}}, "autoscale applies to rented fleets"),
    ("reserved_owned", {"serving": {"ownership": "own", "reserved": {"gpus": 2}}}, "reserved applies to rented fleets"),
    ("reserved_multiple", {"serving": {"gpus_per_replica": 2, "reserved": {"gpus": 3}}}, "multiple of gpus_per_replica"),
    ("owned_gpus_huge", {"serving": {"ownership": "own", "owned_gpus": 2e7}}, "owned_gpus"),
    ("owned_terms_on_rent", {"serving": {"maintenance_per_year": 0.1}}, "applies to owned fleets only"),
    ("inline_no_market", {"constraints": {"market": "cn"},
                          "serving": {"ownership": "own", "purchase_price": 1000, "gpu": {
                              "name": "npu-x", "generation": "ascend", "bf16_tflops": 300, "memory_gb": 64,
                              "bandwidth_tbps": 1.6, "tdp_watts": 400,
                              "interconnect": {"kind": "hccs", "bandwidth_gb_per_s": 392}}}},
     "paths[0].serving.gpu: constraints.market is cn"),
    ("inline_incomplete", {"serving": {"gpu": {"name": "npu-x", "generation": "ascend", "bf16_tflops": 300}}},
     "paths[0].serving.gpu.memory_gb: missing"),
    ("inline_bad_field", {"serving": {"gpu": {"like": "a100", "name": "x", "memory_gb": -1}}}, "paths[0].serving.gpu.memory_gb"),
]


@pytest.mark.parametrize("label,change,expected", BAD, ids=[b[0] for b in BAD])
def test_bad_fleet_input_is_one_line_naming_the_field_exit_2(label, change, expected, write_yaml):
    path = _hosted(**change.get("serving", {}))
    data = base_scenario(paths=[path], **{k: v for k, v in change.items() if k != "serving"})
    result = CliRunner().invoke(app, ["compare", str(write_yaml(data))])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output
    assert expected in lines[0]


# ---------------------------------------------------------------------------- mechanisms called directly


def test_day_levels_default_two_level_day():
    import numpy as np

    from buildorbuy.engine.mechanisms.fleet import day_levels

    # peak 3 for min(4, 24/3) = 4 h; base (24 − 12) / 20 = 0.6 for 20 h: mean 1.
    levels, hours = day_levels({"workload.peak_to_average": np.array([3.0])})
    assert levels.tolist() == [[3.0, pytest.approx(0.6)]] and hours.tolist() == [[4.0, 20.0]]
    # peak 10: 2.4 h at 10 and a base of 0 (the whole day's load falls in the peak).
    levels, hours = day_levels({"workload.peak_to_average": np.array([10.0])})
    assert hours[0].tolist() == pytest.approx([2.4, 21.6]) and levels[0].tolist() == pytest.approx([10.0, 0.0])


def test_reserved_price_is_fixed_within_a_term():
    import numpy as np

    from tests.engine.test_mechanisms import make_context, make_path
    from buildorbuy.engine.mechanisms.fleet import reserved_price

    ctx = make_context([1.0] * 10, serving__reserved__gpu_hour_price=1.0, serving__reserved__term_months=4,
                       serving__gpu_hour_price_change_per_year=-0.5)
    pc = make_path(ctx, live=2)
    price = reserved_price(ctx, pc)[0]
    starts = [2, 2, 2, 2, 2, 2, 6, 6, 6, 6]  # terms from month 2: 2–5, 6–9
    assert price.tolist() == pytest.approx([0.5 ** (s / 12) for s in starts])


def test_owned_gpus_keep_the_existing_fleet_from_month_zero():
    import numpy as np

    from tests.engine.test_mechanisms import make_context, make_path
    from buildorbuy.engine.mechanisms.owned import owned_gpus

    ctx = make_context([1.0] * 5, serving__owned_gpus=3)
    pc = make_path(ctx, live=2)
    assert owned_gpus(ctx, pc, np.array([[0.0, 0.0, 2.0, 5.0, 4.0]]))[0].tolist() == [3, 3, 3, 5, 5]


def test_reserved_gpus_must_be_whole_estimated_replicas(write_yaml):
    path = _hosted(gpu="h100-sxm", gpus_per_replica="auto", reserved={"gpus": 3, "gpu_hour_price": 2})
    path["model"] = {"params": "70B"}  # 140 GB of bf16 weights: more than one 80 GB GPU per replica
    result = CliRunner().invoke(app, ["compare", str(write_yaml(base_scenario(paths=[path])))])
    assert result.exit_code == 2
    assert "paths[0].serving.reserved.gpus: must be a multiple of gpus_per_replica" in result.stderr
    assert "estimated" in result.stderr


def test_a_full_inline_gpu_with_its_own_market_rule():
    gpu = {"name": "npu-x", "generation": "ascend", "bf16_tflops": 300, "memory_gb": 64, "bandwidth_tbps": 1.6,
           "tdp_watts": 400, "interconnect": {"kind": "hccs", "bandwidth_gb_per_s": 392},
           "market": {"cn": {"new_sales": "yes", "since": "2024-01-01", "rule": "domestic part", "source": "vendor quote",
                             "verification": "unverified"}}}
    data = base_scenario(constraints={"market": "cn"}, workload={"tokens_per_month": 2000 * SECONDS},
                         paths=[_hosted(gpu=gpu, ownership="own", purchase_price=10_000, power_price_per_kwh=0.1,
                                        hosting_per_gpu_month=100)])
    path = compare(scenario_from_dict(data)).paths[0]
    assert path.feasible and path.components["hardware_purchase"][1] > 0


def test_existing_gpus_cost_before_go_live_whatever_the_outcome():
    # p = 0.5: before go-live (month 0) the 4 existing GPUs run for sure; from go-live, half the time.
    result = _run({"tokens_per_month": 2000 * SECONDS, "peak_to_average": 2}, redundancy=1, ownership="own",
                  purchase_price=10_000, hosting_per_gpu_month=100, power_price_per_kwh=0, owned_gpus=4)
    data = base_scenario(workload={"output_share": 0.25, "tokens_per_month": 2000 * SECONDS, "peak_to_average": 2},
                         paths=[{**_hosted(redundancy=1, ownership="own", purchase_price=10_000, hosting_per_gpu_month=100,
                                           power_price_per_kwh=0, owned_gpus=4), "success_probability": 0.5}])
    uncertain = compare(scenario_from_dict(data)).paths[0]
    assert result.paths[0].components["power_and_hosting"][:2] == pytest.approx([400, 500])
    assert uncertain.components["power_and_hosting"][:2] == pytest.approx([400, 0.5 * 500])


def test_autoscaled_fleet_and_its_rent_called_directly():
    import numpy as np

    from buildorbuy.engine.mechanisms.fleet import autoscaled_fleet, rented_fleet_costs
    from tests.engine.test_mechanisms import make_context, make_path

    # Mean 2000 tokens/s; capacity 1000 per replica of 2 GPUs; two-level day: 3 at peak (4 h), base 0.6.
    ctx = make_context([2000 * SECONDS] * 3, peak_to_average=3.0, serving__gpus_per_replica=2,
                       serving__tokens_per_second_per_gpu=1000, serving__target_utilization=0.5,
                       serving__min_replicas=1, serving__redundancy=1, serving__gpu_hour_price=2.0,
                       serving__gpu_hour_price_change_per_year=0.0, serving__reserved__gpus=4,
                       serving__reserved__gpu_hour_price=1.0, serving__reserved__term_months=12)
    ctx.params["workload.peak_to_average"] = np.array([3.0])
    pc = make_path(ctx, live=1)
    out = np.zeros((1, 3))
    fleet = autoscaled_fleet(ctx, pc, out)
    # peak 6000 tokens/s → 6 replicas + 1 = 14 GPUs for 4 h; base 1200 → 2 + 1 = 6 GPUs for 20 h.
    assert out[0].tolist() == [0, 14, 14]
    hours = 730 / 24 * (4 * 14 + 20 * 6)
    assert fleet.gpu_hours()[0].tolist() == pytest.approx([0, hours, hours])
    costs, split = rented_fleet_costs(ctx, pc, fleet, reserved=True)
    on_demand = 730 / 24 * (4 * (14 - 4) + 20 * (6 - 4))
    assert split["on_demand_gpu_hours"][0].tolist() == pytest.approx([0, on_demand, on_demand])
    assert costs["serving_rent"][0].tolist() == pytest.approx([0, on_demand * 2 + 4 * 730, on_demand * 2 + 4 * 730])


# ---------------------------------------------------------------------------- invariants

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(profile=st.lists(st.floats(0.05, 5.0), min_size=24, max_size=24),
       tokens=st.floats(1e8, 5e11), min_replicas=st.integers(1, 3), reserved=st.integers(0, 40))
def test_autoscaling_never_pays_more_than_the_fixed_fleet_and_zero_reservation_changes_nothing(
        profile, tokens, min_replicas, reserved):
    workload = {"tokens_per_month": tokens, "daily_profile": profile}
    fixed = _run(workload, redundancy=1)
    auto = _run(workload, redundancy=1, scaling="autoscale", min_replicas=min_replicas)
    peak_replicas = max(fixed.paths[0].gpus) - 1
    if min_replicas <= peak_replicas:
        assert sum(auto.paths[0].components["serving_rent"]) <= sum(fixed.paths[0].components["serving_rent"]) * (1 + 1e-12)
        assert auto.paths[0].gpus == fixed.paths[0].gpus  # the month's maximum is the peak sizing
    none = _run(workload, redundancy=1, scaling="autoscale", min_replicas=min_replicas, reserved={"gpus": 0, "gpu_hour_price": 1})
    assert none.paths[0].npv == pytest.approx(auto.paths[0].npv, rel=1e-12)
    # Reserving at a price above on-demand never helps.
    dear = _run(workload, redundancy=1, scaling="autoscale", min_replicas=min_replicas,
                reserved={"gpus": reserved, "gpu_hour_price": 2.5})
    assert dear.paths[0].npv >= auto.paths[0].npv * (1 - 1e-12)


def test_auto_reservation_over_a_huge_fleet_stays_bounded_and_is_locally_best(monkeypatch):
    """Thousands of whole-replica candidates: spread, then refined around the best, every call bounded."""
    from buildorbuy.engine import core, fleet_search

    monkeypatch.setattr(fleet_search, "MAX_CANDIDATES", 64)
    sizes = []
    real = core.evaluate

    def counting(plan, batch=None, **kw):
        if batch:
            sizes.append(max(len(v) for v in batch.values()))
        return real(plan, batch, **kw)

    monkeypatch.setattr(core, "evaluate", counting)
    workload = {"tokens_per_month": 2000 * SECONDS, "growth_per_month": 0.25, "daily_profile": [2] * 8 + [0.5] * 16}
    serving = {"scaling": "autoscale", "redundancy": 1, "gpus_per_replica": 1, "tokens_per_second_per_gpu": 1000}
    reserved = {"gpus": "auto", "gpu_hour_price": 1.3, "term_months": 12}
    auto = _run(workload, horizon=24, reserved=reserved, **serving)
    estimate = auto.paths[0].estimates["serving.reserved.gpus"]
    search_calls = [s for s in sizes if s > 1]
    assert len(search_calls) >= 2 and max(search_calls) <= 64
    chosen = int(estimate["value"])
    assert "batched evaluations" in estimate["method"]
    monkeypatch.setattr(core, "evaluate", real)
    near = {r: _run(workload, horizon=24, reserved={**reserved, "gpus": r}, **serving).paths[0].npv
            for r in range(max(0, chosen - 3), chosen + 4)}
    assert auto.paths[0].npv == pytest.approx(min(near.values()), rel=1e-12)


def test_compare_csv_carries_the_fleet_split_as_plain_numbers(write_yaml):
    # Autoscaled: mean 2000 tokens/s at 1.5× for 12 h and 0.5× for 12 h; 1000 tokens/s a replica of 1 GPU
    # → 3 GPUs at peak, 1 at base. R = 2 reserved from go-live (month 1): on demand 730/24 · 12 h · (3 − 2) = 365
    # GPU-hours a month. An owned fixed fleet is sized for the 3000 tokens/s peak: a replica of 2 GPUs serves
    # 2 · 1000 · 0.5 = 1000 tokens/s → 3 replicas = 6 GPUs owned from month 1.
    import csv
    import io

    workload = {"tokens_per_month": 2000 * SECONDS, "output_share": 0.25, "daily_profile": [1.5] * 12 + [0.5] * 12}
    rented = _hosted(scaling="autoscale", reserved={"gpus": 2, "gpu_hour_price": 1.0})
    owned = _hosted(path={"name": "Owned"}, ownership="own", purchase_price=10_000, tokens_per_second_per_gpu=1000,
                    gpus_per_replica=2)
    data = base_scenario(horizon_months=3, workload=workload, paths=[api_path(), rented, owned])
    scenario = str(write_yaml(data))
    result = CliRunner().invoke(app, ["compare", scenario, "--format", "csv"])
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0].split(",")
    assert header[:9] == ["path", "kind", "month", "date", "tokens", "served_tokens", "gpus", "monthly_cost", "cumulative_cost"]
    fleet_keys = ["reserved_gpus", "on_demand_gpu_hours", "owned_gpus"]
    at = header.index("reserved_gpus")
    assert header[at : at + 3] == fleet_keys and header[at - 1] == "fallback_fees"  # after the components of their time
    assert header[at + 3 :] == ["bridge_staff"]  # components added since are appended: columns keep their order
    rows = {(r["path"], int(r["month"])): r for r in csv.DictReader(io.StringIO(result.stdout))}
    split = lambda name, m: [float(rows[name, m][k]) for k in fleet_keys]  # noqa: E731
    assert split("API", 1) == [0, 0, 0]
    assert split("Hosted", 0) == [0, 0, 0]
    assert split("Hosted", 1) == split("Hosted", 2) == [2, pytest.approx(365), 0]
    assert split("Owned", 0) == [0, 0, 0]
    assert split("Owned", 1) == split("Owned", 2) == [0, 0, 6]
    fleet = {p["name"]: p["fleet"] for p in json.loads(CliRunner().invoke(app, ["compare", scenario, "-f", "json"]).stdout)["paths"]}
    for name in ("Hosted", "Owned"):
        for m in range(3):
            assert split(name, m) == pytest.approx([fleet[name][k][m] for k in fleet_keys], rel=1e-9)
