"""API prices as they are really paid (DESIGN §2b): discounts, batch, off-peak, cache writes,
fixed and setup fees, the bridge's fixed fees, long-context tiers, native-currency rows and dated
price changes. Every expected figure is computed by hand in the test."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from buildorbuy import compare, load_scenario, scenario_from_dict
from buildorbuy.cli import app
from tests.conftest import REPO, api_path, base_scenario
from tests.engine._builders import hosted

ONE_MONTH = {"horizon_months": 1, "workload": {"tokens_per_month": 1e9, "output_share": 0.25}}
LIST_FEE = 0.75e9 / 1000 * 0.001 + 0.25e9 / 1000 * 0.002  # 750 + 500 = 1250 per month at list


def _one(path_extra: dict | None = None, **scenario_extra):
    data = base_scenario(**{**ONE_MONTH, **scenario_extra})
    data["paths"] = [api_path(**(path_extra or {}))]
    return compare(scenario_from_dict(data)).paths[0]


def test_negotiated_discount():
    path = _one({"discount": 0.15})
    assert path.components["api_fees"][0] == pytest.approx(1250 * 0.85)


def test_surcharge_is_a_negative_discount():
    assert _one({"discount": -0.1}).monthly_cost[0] == pytest.approx(1375.0)


def test_batch_share_with_a_typed_discount():
    # 60 % at list, 40 % at half price: 1250 × (0.6 + 0.4 × 0.5) = 1000
    assert _one({"batch_share": 0.4, "batch_discount": 0.5}).monthly_cost[0] == pytest.approx(1000.0)


def test_discount_batch_and_off_peak_together():
    # 1250 × (1 − 0.1) × [(1 − 0.4 − 0.3) + 0.4 × (1 − 0.5) + 0.3 × (1 − 0.5)] = 1250 × 0.9 × 0.65
    path = _one({"discount": 0.1, "batch_share": 0.4, "batch_discount": 0.5, "off_peak_share": 0.3, "off_peak_discount": 0.5})
    assert path.monthly_cost[0] == pytest.approx(731.25)


def test_cache_writes_at_their_own_price():
    workload = {"tokens_per_month": 1e9, "output_share": 0.25, "cached_input_share": 0.2, "cache_write_share": 0.1}
    path = _one({"price_per_1k_cached_input": 0.0001, "price_per_1k_cache_write": 0.00125}, workload=workload)
    # input 0.75e9: cached 0.15e9, written 0.075e9, uncached 0.525e9
    fee = 0.525e6 * 0.001 + 0.15e6 * 0.0001 + 0.075e6 * 0.00125 + 0.25e6 * 0.002
    assert fee == pytest.approx(1133.75)
    assert path.monthly_cost[0] == pytest.approx(fee)


def test_cache_writes_default_to_the_input_price():
    workload = {"tokens_per_month": 1e9, "output_share": 0.25, "cached_input_share": 0.2, "cache_write_share": 0.1}
    path = _one({"price_per_1k_cached_input": 0.0001}, workload=workload)
    assert path.monthly_cost[0] == pytest.approx(0.525e6 * 0.001 + 0.15e6 * 0.0001 + 0.075e6 * 0.001 + 0.25e6 * 0.002)
    assert "price_per_1k_input" in path.estimates["price_per_1k_cache_write"]["method"]


def test_fixed_and_setup_fees_of_an_api_path():
    data = base_scenario(horizon_months=3, workload={"tokens_per_month": 1e9, "output_share": 0.25})
    data["paths"] = [api_path(fixed_fee_per_month=1000, setup_fee=5000)]
    path = compare(scenario_from_dict(data)).paths[0]
    assert path.components["api_fixed_fees"] == pytest.approx([6000, 1000, 1000])
    assert path.monthly_cost == pytest.approx([1250 + 6000, 1250 + 1000, 1250 + 1000])


def test_fixed_fees_start_at_an_api_paths_go_live():
    data = base_scenario(horizon_months=4, workload={"tokens_per_month": 1e9, "output_share": 0.25})
    data["paths"] = [api_path(fixed_fee_per_month=1000, setup_fee=5000, lead_time_months=2)]
    assert compare(scenario_from_dict(data)).paths[0].components["api_fixed_fees"] == pytest.approx([0, 0, 6000, 1000])


def _hosted(**extra):
    """The shared hosted path live in month 3: 1000 tokens/s a replica, planned at 100 %."""
    return hosted(path={"lead_time_months": 3, **extra}, ownership="rent", tokens_per_second_per_gpu=1000,
                  target_utilization=1.0)


def test_the_bridges_fixed_fees_are_charged_to_the_path_it_carries():
    data = base_scenario(horizon_months=6, workload={"tokens_per_month": 1e9, "output_share": 0.25}, bridge="API",
                         paths=[api_path(fixed_fee_per_month=1000, setup_fee=5000), _hosted()])
    api, hosted = compare(scenario_from_dict(data)).paths
    # months 0-2 on the bridge: per-token fees + the fee once a month, the setup fee in month 0
    assert hosted.components["bridge_fees"] == pytest.approx([1250 + 6000, 1250 + 1000, 1250 + 1000, 0, 0, 0])
    assert "api_fixed_fees" not in hosted.components
    assert api.components["api_fixed_fees"] == pytest.approx([6000] + [1000] * 5)


def test_the_bridges_fixed_fees_after_a_possible_failure():
    data = base_scenario(horizon_months=6, workload={"tokens_per_month": 1e9, "output_share": 0.25}, bridge="API",
                         paths=[api_path(fixed_fee_per_month=1000, setup_fee=5000), _hosted(success_probability=0.25)])
    hosted = compare(scenario_from_dict(data)).paths[1]
    # after go-live the bridge carries the traffic only if the path failed (probability 0.75)
    assert hosted.components["bridge_fees"] == pytest.approx([7250, 2250, 2250] + [0.75 * 2250] * 3)


def test_bridge_setup_fee_when_the_path_is_live_at_once():
    hosted = _hosted(success_probability=0.5, lead_time_months=0)
    hosted["finetune"]["gpus"] = 4096  # a run shorter than a month: go-live month 1
    data = base_scenario(horizon_months=3, workload={"tokens_per_month": 1e9, "output_share": 0.25}, bridge="API",
                         paths=[api_path(setup_fee=5000), hosted])
    path = compare(scenario_from_dict(data)).paths[1]
    assert path.live_month == 1
    assert path.components["bridge_fees"] == pytest.approx([1250 + 5000, 0.5 * 1250, 0.5 * 1250])


# ---------------------------------------------------------------- price data


def _catalog(model: str, start: str, currency: str = "USD", path_extra: dict | None = None, workload: dict | None = None, horizon=1):
    data = {
        "name": "t", "start": start, "horizon_months": horizon, "currency": currency, "usd_exchange_rate": 7.2 if currency == "CNY" else 1.0,
        "workload": workload or {"tokens_per_month": 1e9, "output_share": 0.25},
        "paths": [{"name": "api", "kind": "api", "model": model, **(path_extra or {})}],
    }
    return compare(scenario_from_dict(data))


def test_qwen_plus_in_a_cny_scenario_gets_the_mainland_cny_price():
    cmp = _catalog("qwen-plus", "2026-11", "CNY")
    est = cmp.paths[0].estimates["price_per_1k_input"]
    assert est["value"] == pytest.approx(0.0008)  # 0.8 CNY per 1M, not 0.4 USD × 7.2 = 2.88
    assert "market cn" in est["method"] and "help.aliyun.com" in est["method"] and "2024-09-19" in est["method"]
    assert "× 7.2" not in est["method"]
    assert cmp.paths[0].monthly_cost[0] == pytest.approx(0.75e9 / 1e6 * 0.8 + 0.25e9 / 1e6 * 2.0)


def test_qwen_plus_in_a_usd_scenario_gets_the_international_row():
    est = _catalog("qwen-plus", "2026-11").paths[0].estimates["price_per_1k_input"]
    assert est["value"] == pytest.approx(0.0004) and "market intl" in est["method"]


def test_deepseek_chat_gets_the_price_in_force_on_start():
    assert _catalog("deepseek-chat", "2025-06", "CNY").paths[0].estimates["price_per_1k_output"]["value"] == pytest.approx(0.008)
    assert _catalog("deepseek-chat", "2025-10", "CNY").paths[0].estimates["price_per_1k_output"]["value"] == pytest.approx(0.003)
    usd = _catalog("deepseek-chat", "2026-01").paths[0].estimates["price_per_1k_input"]
    assert usd["value"] == pytest.approx(0.00028) and "2025-09-29" in usd["method"]


def test_a_dated_price_change_inside_the_horizon():
    # deepseek-chat CNY: 2 in / 8 out until 2025-09; from the 2025-09-29 row 2 in / 3 out (month 4 = 2025-10)
    cmp = _catalog("deepseek-chat", "2025-06", "CNY", horizon=6)
    before = 0.75e9 / 1e6 * 2 + 0.25e9 / 1e6 * 8
    after = 0.75e9 / 1e6 * 2 + 0.25e9 / 1e6 * 3
    assert cmp.paths[0].monthly_cost == pytest.approx([before] * 4 + [after] * 2)
    assert "2025-10 (month 4)" in cmp.paths[0].estimates["price_per_1k_output"]["method"]


def test_auto_batch_prices_per_token_type():
    # gpt-4o batch (genai-prices, in force from 2026-10-14): input 1.25, output 5; cached input keeps 1.25
    workload = {"tokens_per_month": 1e9, "output_share": 0.25, "cached_input_share": 0.2}
    cmp = _catalog("gpt-4o", "2026-11", path_extra={"batch_share": 1.0}, workload=workload)
    assert cmp.paths[0].monthly_cost[0] == pytest.approx(0.6e9 / 1e6 * 1.25 + 0.15e9 / 1e6 * 1.25 + 0.25e9 / 1e6 * 5)
    assert "cached input 0%" in cmp.paths[0].estimates["batch_discount"]["method"]


def test_auto_off_peak_prices():
    # deepseek-v4-pro CNY from 2026-08-17: peak (list) 6 / 12, off-peak 3 / 6: half the traffic off-peak
    cmp = _catalog("deepseek-v4-pro", "2026-11", "CNY", path_extra={"off_peak_share": 0.5})
    assert cmp.paths[0].monthly_cost[0] == pytest.approx((0.75e9 / 1e6 * 6 + 0.25e9 / 1e6 * 12) * 0.75)


def test_long_context_tier_at_the_request_size():
    workload = {"tokens_per_month": 1e9, "output_share": 0.25, "input_tokens_per_request": 200_000}
    est = _catalog("qwen-plus", "2026-11", "CNY", workload=workload).paths[0].estimates["price_per_1k_input"]
    assert est["value"] == pytest.approx(0.0024) and "long-context tier above 128,000" in est["method"]


def test_stale_price_warning():
    cmp = _catalog("doubao-pro-32k", "2026-01", "CNY")
    assert any("doubao-pro-32k: listed 2024-05, 20 months before start; check it or give price_per_1k_*" in w for w in cmp.warnings)
    assert not any("listed" in w for w in _catalog("qwen-plus", "2025-01", "CNY").warnings)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("extra,field", [
    ({"batch_share": 0.6, "off_peak_share": 0.5, "batch_discount": 0.5, "off_peak_discount": 0.5}, "off_peak_share"),
    ({"discount": 1}, "discount"),
    ({"batch_share": 0.1, "batch_discount": 1.2}, "batch_discount"),
    ({"fixed_fee_per_month": -5}, "fixed_fee_per_month"),
    ({"setup_fee": -1}, "setup_fee"),
    ({"batch_share": 0.2}, "batch_discount"),
])
def test_bad_api_fields_are_one_line_errors(write_yaml, extra, field):
    data = base_scenario(paths=[api_path(**extra)])
    result = CliRunner().invoke(app, ["compare", str(write_yaml(data))])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"paths[0].{field}" in lines[0] and "Traceback" not in result.output


def test_batch_share_without_a_batch_price_on_start_is_an_error(write_yaml):
    data = {"name": "t", "start": "2026-01", "workload": {"tokens_per_month": 1e9},
            "paths": [{"name": "api", "kind": "api", "model": "gpt-4o", "batch_share": 0.3}]}
    result = CliRunner().invoke(app, ["compare", str(write_yaml(data))])
    assert result.exit_code == 2
    assert "paths[0].batch_discount" in result.stderr and "no batch price" in result.stderr


def test_cache_shares_over_one(write_yaml):
    data = base_scenario(workload={"tokens_per_month": 1e9, "cached_input_share": 0.7, "cache_write_share": 0.4})
    result = CliRunner().invoke(app, ["compare", str(write_yaml(data))])
    assert result.exit_code == 2 and "workload.cache_write_share" in result.stderr


# ---------------------------------------------------------------- unchanged figures


@pytest.mark.parametrize("name", ["startup-assistant", "enterprise-support"])
def test_scenarios_without_the_new_fields_keep_their_figures(name):
    """Figures computed before the §2b fields existed (tests/golden/figures_before_api_pricing.json)."""
    pinned = json.loads((REPO / "tests" / "golden" / "figures_before_api_pricing.json").read_text())[name]
    cmp = compare(load_scenario(REPO / "scenarios" / f"{name}.yaml"))
    assert {p.name for p in cmp.paths} == set(pinned)
    for path in cmp.paths:
        before = pinned[path.name]
        # to rounding: the engine's compounding moved from pow to exp(log1p) (≈1e-15 relative)
        assert path.monthly_cost == pytest.approx(before["monthly_cost"], rel=1e-12)
        assert path.npv == pytest.approx(before["npv"], rel=1e-12)
        assert set(path.components) == set(before["components"])
        for name, values in before["components"].items():
            assert path.components[name] == pytest.approx(values, rel=1e-12), name


def test_readme_worked_example_batch_and_discount_change_the_answer():

    result = CliRunner().invoke(app, ["compare", str(REPO / "scenarios" / "enterprise-support.yaml"), "--format", "json",
                                      "--set", "paths[gpt-4o].discount=0.3", "--set", "paths[gpt-4o].batch_share=0.6"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    npv = {p["name"]: round(p["npv"]) for p in out["paths"]}
    assert npv == {"gpt-4o": 8_191_015, "Fine-tuned Llama 3.3 70B": 8_666_896}
    assert out["recommendation"]["path"] == "gpt-4o"
    # by hand, month 0 of gpt-4o: 120B tokens, 20 % output, 30 % of input cached
    i, o = 120e9 * 0.8, 120e9 * 0.2
    fees = ((i * 0.7) / 1000 * 0.0025 + i * 0.3 / 1000 * 0.00125 + o / 1000 * 0.010) * 0.7 * (0.4 + 0.6 * 0.5)
    gpt = next(p for p in out["paths"] if p["name"] == "gpt-4o")
    assert gpt["components"]["api_fees"][0] == pytest.approx(fees, rel=1e-9)

_share = st.floats(0, 1)
_disc = st.floats(0, 0.99)


@settings(max_examples=40, deadline=None)
@given(discount=_disc, b=_share, o=_share, bd=_disc, od=_disc, more=st.floats(0, 0.5))
def test_discounts_never_raise_the_fees_and_more_discount_never_costs_more(discount, b, o, bd, od, more):
    """Invariant: with discounts in [0, 1), fees are at most list and fall as any discount grows."""
    from buildorbuy.engine.core import evaluate
    from buildorbuy.engine.plan import compile_plan

    o = min(o, 1 - b)
    data = base_scenario(**ONE_MONTH)
    data["paths"] = [api_path(discount=discount, batch_share=b, off_peak_share=o, batch_discount=bd, off_peak_discount=od)]
    plan = compile_plan(scenario_from_dict(data))
    base = evaluate(plan).monthly_cost[0, 0, 0]
    assert base <= LIST_FEE * (1 + 1e-12)
    grown = evaluate(plan, {"paths[0].discount": min(0.999, discount + more), "paths[0].batch_discount": min(0.999, bd + more)})
    assert grown.monthly_cost[0, 0, 0] <= base * (1 + 1e-12)


def test_a_dated_genai_prices_change_inside_the_horizon():
    # o3 at openai: 10 / 40 USD per 1M until 2025-06-10, then 2 / 8 (genai-prices 0.2.3); month 6 = 2025-07
    data = {"name": "t", "start": "2025-01", "horizon_months": 8, "workload": {"tokens_per_month": 1e9, "output_share": 0.25},
            "paths": [{"name": "o3", "kind": "api", "model": "o3", "provider": "openai"}]}
    path = compare(scenario_from_dict(data)).paths[0]
    before = 0.75e9 / 1e6 * 10 + 0.25e9 / 1e6 * 40
    after = 0.75e9 / 1e6 * 2 + 0.25e9 / 1e6 * 8
    assert path.monthly_cost == pytest.approx([before] * 6 + [after] * 2)


def test_sweeping_a_share_whose_auto_discount_was_never_read_is_an_error():
    from buildorbuy.engine.core import evaluate
    from buildorbuy.engine.plan import compile_plan
    from buildorbuy.errors import ScenarioError

    plan = compile_plan(scenario_from_dict(base_scenario(**ONE_MONTH)))
    with pytest.raises(ScenarioError) as info:
        evaluate(plan, {"paths[0].batch_share": [0.0, 0.5]})
    assert info.value.field == "paths[0].batch_discount"
    typed = compile_plan(scenario_from_dict(base_scenario(**ONE_MONTH, paths=[api_path(batch_discount=0.5)])))
    swept = evaluate(typed, {"paths[0].batch_share": [0.0, 0.5]}).monthly_cost[:, 0, 0]
    assert swept == pytest.approx([1250, 1250 * 0.75])


def test_a_varied_share_pushing_batch_plus_off_peak_past_one_is_an_error():
    from buildorbuy.engine.core import evaluate
    from buildorbuy.engine.plan import compile_plan
    from buildorbuy.errors import ScenarioError

    data = base_scenario(**ONE_MONTH, paths=[api_path(batch_share=0.5, batch_discount=0.5, off_peak_share=0.4, off_peak_discount=0.5)])
    plan = compile_plan(scenario_from_dict(data))
    with pytest.raises(ScenarioError) as info:
        evaluate(plan, {"paths[0].batch_share": [0.5, 0.7]})
    assert info.value.field == "paths[0].off_peak_share"
