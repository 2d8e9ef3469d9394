"""Hybrid portfolios (DESIGN §2b): start_month, routing with escalation, the capacity cap — checked by hand."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from buildorbuy import compare, scenario_from_dict
from buildorbuy.cli import app
from tests.conftest import api_path, base_scenario
from tests.engine._builders import SECONDS, hosted as _hosted

PRICE = 0.002
"""Per 1k tokens for input and output alike: every token costs 2e-6 whatever the mix."""
Q = PRICE / 1000
T = 2000 * SECONDS
"""Mean 2000 tokens/s."""


def _scenario(hosted, *, api=None, extra_paths=(), horizon=12, **top):
    api = api or api_path("API", PRICE, PRICE, fixed_fee_per_month=100, setup_fee=1000)
    workload = {"tokens_per_month": T, "output_share": 0.25, "daily_profile": [1.5] * 12 + [0.5] * 12}
    data = base_scenario(horizon_months=horizon, workload=workload, bridge="API",
                         paths=[api, *extra_paths, hosted], **top)
    return scenario_from_dict(data)


def _path(cmp, name="Hosted"):
    return next(p for p in cmp.paths if p.name == name)


def test_a_month_with_share_escalation_and_overflow():
    # Own model: 0.8 · T, i.e. 2400 tokens/s at the 12 peak hours and 800 at the 12 base hours.
    # Cap 2 GPUs = 2 replicas = 2000 tokens/s: 400 tokens/s overflow for 12 h a day.
    cmp = compare(_scenario(_hosted({"share": 0.8, "escalation_rate": 0.05}, max_gpus=2)))
    hosted = _path(cmp)
    overflow = 400 * 3600 * 12 * 730 / 24
    own_served = 0.8 * T - overflow
    fallback_tokens = 0.2 * T + overflow + own_served * 0.05
    assert hosted.live_month == 1
    assert hosted.gpus[1] == 2  # uncapped it would be ceil(2400 / 1000) = 3
    assert hosted.components["serving_rent"][1] == pytest.approx(2 * 730 * 2.0, rel=1e-12)
    # month 0: the bridge carries everything (fees, the fixed fee and the setup fee, once)
    assert hosted.components["bridge_fees"][0] == pytest.approx(T * Q + 100 + 1000, rel=1e-12)
    assert hosted.components["fallback_fees"][0] == 0
    # month 1: the fallback (the same api path) bills its share, the overflow and the escalations, + its monthly fee
    assert hosted.components["fallback_fees"][1] == pytest.approx(fallback_tokens * Q + 100, rel=1e-12)
    assert hosted.components["bridge_fees"][1] == 0
    # the tokens themselves (JSON paths[].routing)
    assert hosted.routing["own_model_tokens"][1] == pytest.approx(own_served, rel=1e-12)
    assert hosted.routing["overflow_tokens"][1] == pytest.approx(overflow, rel=1e-12)
    assert hosted.routing["fallback_tokens"][1] == pytest.approx(fallback_tokens, rel=1e-12)
    assert hosted.routing["own_model_tokens"][0] == hosted.routing["fallback_tokens"][0] == 0  # the bridge's month
    assert _path(cmp, "API").routing is None
    # each demanded token counts once
    assert hosted.served_tokens == pytest.approx(12 * T, rel=1e-12)


def test_a_separate_fallback_pays_its_setup_fee_in_its_first_month():
    fallback = api_path("Frontier", 2 * PRICE, 2 * PRICE, fixed_fee_per_month=50, setup_fee=500)
    cmp = compare(_scenario(_hosted({"share": 0.9, "fallback": "Frontier"}), extra_paths=[fallback]))
    hosted = _path(cmp)
    # no cap: own load 0.9 T peaks at 2700 tokens/s → 3 GPUs; the fallback carries 0.1 T at twice the price
    assert hosted.gpus[1] == 3
    assert hosted.components["bridge_fees"][0] == pytest.approx(T * Q + 100 + 1000, rel=1e-12)
    assert hosted.components["fallback_fees"][1] == pytest.approx(0.1 * T * 2 * Q + 50 + 500, rel=1e-12)
    assert hosted.components["fallback_fees"][2] == pytest.approx(0.1 * T * 2 * Q + 50, rel=1e-12)


def test_the_ramp():
    # live month 1, ramp 4 months: s = 0.2, 0.4, 0.6, 0.8, then 0.8
    cmp = compare(_scenario(_hosted({"share": 0.8, "ramp_months": 4, "escalation_rate": 0.1})))
    fees = _path(cmp).components["fallback_fees"]
    for month, s in [(1, 0.2), (2, 0.4), (3, 0.6), (4, 0.8), (5, 0.8), (11, 0.8)]:
        assert fees[month] == pytest.approx(T * (1 - s + s * 0.1) * Q + 100, rel=1e-12), month
    assert _path(cmp).gpus[1] == 1 and _path(cmp).gpus[4] == 3  # 0.2·3000 → 1 GPU; 0.8·3000 = 2400 → 3


def test_share_one_without_escalation_is_the_unrouted_path():
    plain = compare(_scenario(_hosted()))
    routed = compare(_scenario(_hosted({"share": 1, "escalation_rate": 0})))
    a, b = _path(plain), _path(routed)
    assert a.monthly_cost == b.monthly_cost
    assert a.npv == b.npv and a.gpus == b.gpus
    assert sum(b.components.get("fallback_fees", [0])) == 0


# ---------------------------------------------------------------------------- start_month


def test_start_month_shifts_the_whole_path():
    staff = [{"role": "ML engineer", "count": 1, "annual_cost": 120_000}]
    now = _hosted()
    now.update(staff=staff, data={"one_off": 5000})
    later = dict(now, start_month=3)
    a, b = _path(compare(_scenario(now))), _path(compare(_scenario(later)))
    assert a.live_month == 1 and b.live_month == 4
    # the bridge serves until go-live
    assert b.components["bridge_fees"][:4] == pytest.approx([T * Q + 100 + 1000] + [T * Q + 100] * 3)
    assert b.components["staff"][:3] == [0, 0, 0] and b.components["staff"][3] == pytest.approx(10_000)
    assert b.components["data"][3] == 5000 and b.components["data"][0] == 0
    assert b.components["finetune_compute"][3] == pytest.approx(a.components["finetune_compute"][0])
    assert b.components["serving_rent"][4:] == pytest.approx(a.components["serving_rent"][1:-3])


def test_no_start_month_gives_the_same_figures_as_start_month_zero():
    a = _path(compare(_scenario(_hosted())))
    b = _path(compare(_scenario(dict(_hosted(), start_month=0))))
    assert a.monthly_cost == b.monthly_cost


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("change,field", [
    (lambda d: d["paths"][1].update(routing={"share": 1.2}), "routing.share"),
    (lambda d: d["paths"][1].update(routing={"escalation_rate": -0.1}), "routing.escalation_rate"),
    (lambda d: d["paths"][1].update(routing={"fallback": "Hosted"}), "routing.fallback"),
    (lambda d: d["paths"][1].update(routing={"fallback": "Nope"}), "routing.fallback"),
    (lambda d: d["paths"][0].update(routing={"share": 0.5}), "routing"),
    (lambda d: d["paths"][1]["serving"].update(max_gpus=1, redundancy=1), "serving.max_gpus"),
    (lambda d: (d.pop("bridge"), d["paths"][1]["serving"].update(max_gpus="auto")), "serving.max_gpus"),
    (lambda d: d["paths"][0].update(start_month=2), "start_month"),
    (lambda d: (d.update(constraints={"data_residency": "on_prem"}),
                d["paths"].insert(0, api_path("Private", deployment="private")), d.update(bridge="Private"),
                d["paths"][2]["serving"].update(location="on_prem"),
                d["paths"][2]["finetune"].update(location="on_prem"),
                d["paths"][2].update(routing={"fallback": "API"})), "routing.fallback"),
], ids=["share", "escalation", "fallback-not-api", "fallback-unknown", "routing-on-api", "cap-below-redundancy",
        "auto-cap-without-fallback", "bridge-start-month", "fallback-residency"])
def test_bad_routing_input_is_one_line_naming_the_field(write_yaml, change, field):
    data = base_scenario(workload={"tokens_per_month": T, "output_share": 0.25}, bridge="API",
                         paths=[api_path("API", PRICE, PRICE), _hosted()])
    change(data)
    result = CliRunner().invoke(app, ["compare", str(write_yaml(data))])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and field in lines[0], result.stderr
    assert "Traceback" not in result.output


# ---------------------------------------------------------------------------- max_gpus: auto


def _auto_case(**serving):
    # a GPU used only at the peak hours costs more per token than the fallback: the best cap (2) is below the need (3)
    fallback = api_path("Frontier", 0.002, 0.002)
    hosted = _hosted({"share": 0.85, "escalation_rate": 0.05, "fallback": "Frontier"}, **serving)
    return _scenario(hosted, extra_paths=[fallback], horizon=24)


def test_max_gpus_auto_is_the_best_of_an_explicit_sweep():
    from buildorbuy import sweep

    auto = compare(_auto_case(max_gpus="auto", gpu_hour_price=3.0))
    chosen = _path(auto).estimates["serving.max_gpus"]
    explicit = _auto_case(max_gpus=1, gpu_hour_price=3.0)
    values = [float(c["value"]) for c in chosen["curve"]]
    swept = sweep(explicit, {"paths[Hosted].serving.max_gpus": values})
    npvs = list(swept.npv[:, swept.names.index("Hosted")])
    best = values[int(min(range(len(values)), key=lambda k: (npvs[k], k)))]
    assert chosen["value"] == best == 2.0
    assert _path(auto).npv == pytest.approx(min(npvs), rel=1e-12)
    # the curve is the engine's NPV at each candidate
    assert [c["npv"] for c in chosen["curve"]] == pytest.approx(npvs, rel=1e-12)
    assert "whole-replica" in chosen["method"]


def test_max_gpus_and_reserved_auto_are_searched_together():
    both = compare(_auto_case(max_gpus="auto", gpu_hour_price=3.0,
                              reserved={"gpus": "auto", "gpu_hour_price": 1.5, "term_months": 12}))
    hosted = _path(both)
    cap, reserved = hosted.estimates["serving.max_gpus"]["value"], hosted.estimates["serving.reserved.gpus"]["value"]
    assert reserved <= cap
    # no explicit pair does better
    for r in range(0, 4):
        for c in range(1, 5):
            if r > c:
                continue
            fixed = compare(_auto_case(max_gpus=c, gpu_hour_price=3.0,
                                       reserved={"gpus": r, "gpu_hour_price": 1.5, "term_months": 12}))
            assert hosted.npv <= _path(fixed).npv + 1e-6, (r, c)


def test_start_month_on_an_owned_fleet_and_on_an_api_path():
    owned = _hosted()
    owned["serving"] = {"gpu": "a100-80gb", "ownership": "own", "purchase_price": 10_000, "tokens_per_second_per_gpu": 2000,
                        "gpus_per_replica": 1, "target_utilization": 0.5, "redundancy": 0, "owned_gpus": 1,
                        "procurement_months": 2, "hosting_per_gpu_month": 100, "power_price_per_kwh": 0.1}
    owned["start_month"] = 3
    later_api = api_path("Later API", PRICE, PRICE, start_month=2)
    cmp = compare(_scenario(owned, extra_paths=[later_api]))
    hosted = _path(cmp)
    # procurement from the start month: go-live at 3 + 2; the GPU already owned runs from month 0
    assert hosted.live_month == 5
    assert hosted.components["power_and_hosting"][0] > 0
    assert hosted.components["hardware_purchase"][:5] == [0] * 5 and hosted.components["hardware_purchase"][5] > 0
    api = _path(cmp, "Later API")
    assert api.live_month == 2
    assert api.components["bridge_fees"][:2] == pytest.approx([T * Q + 100 + 1000, T * Q + 100])
    assert api.components["api_fees"][:2] == [0, 0] and api.components["api_fees"][2] == pytest.approx(T * Q)


def test_routing_on_a_build_path():
    build = {"name": "Hosted", "kind": "build", "model": {"params": "1B", "training_tokens": "1B"},
             "training": {"gpu": "a100-80gb", "gpus": 64, "gpu_hour_price": 2.0, "mfu": 0.4},
             "serving": _hosted()["serving"], "routing": {"share": 0.5, "escalation_rate": 0.2}}
    hosted = _path(compare(_scenario(build)))
    live = hosted.live_month
    assert hosted.components["fallback_fees"][live] == pytest.approx(T * (0.5 + 0.5 * 0.2) * Q + 100, rel=1e-12)
    assert hosted.gpus[live] == 2  # 0.5 · 3000 = 1500 tokens/s at the peak → 2 GPUs


def test_a_fallback_that_is_not_live_from_month_0_is_refused(write_yaml):
    data = base_scenario(workload={"tokens_per_month": T, "output_share": 0.25}, bridge="API",
                         paths=[api_path("API", PRICE, PRICE), api_path("Late", PRICE, PRICE, lead_time_months=2),
                                _hosted({"share": 0.5, "fallback": "Late"})])
    result = CliRunner().invoke(app, ["compare", str(write_yaml(data))])
    assert result.exit_code == 2 and "paths[2].routing.fallback" in result.stderr and "month 0" in result.stderr

