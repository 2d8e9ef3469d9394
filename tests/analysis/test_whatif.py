"""What would have to be true: hand-computed tie values, the JSON contract, and agreement with breakeven."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildorbuy import breakeven, compile_plan, whatif
from buildorbuy.errors import AnalysisError
from buildorbuy.scenario.loading import load_scenario, scenario_from_dict

from tests.analysis.conftest import SCENARIOS, two_apis


def test_two_apis_hand_computed():
    # A: 18,000 fees (1e9 tokens/month, half output, 0.001/0.002 per 1k) + 12,000 staff = 30,000; B: 33,000 in fees.
    result = whatif(scenario_from_dict(two_apis()))
    assert result.winner == "A" and result.losers == ["B"]
    found = {c.field: c for c in result.conditions}
    expected = {
        "paths[1].price_per_1k_output": 0.003,       # 6e6·(0.002 + p) = 30,000
        "workload.tokens_per_month": 8e8,            # 12,000 + 1.8e-5·T = 3.3e-5·T
        "paths[1].price_per_1k_input": 0.0015,       # 6e6·(p + 0.0035) = 30,000
        "paths[0].price_per_1k_output": 0.0025,      # 6e6·(0.001 + p) + 12,000 = 33,000
        "paths[0].staff[0].annual_cost": 15_000,     # 18,000 + x = 33,000
        "paths[0].staff[0].count": 1.25,
        "paths[0].price_per_1k_input": 0.0015,       # 6e6·(p + 0.002) + 12,000 = 33,000
    }
    for key, value in expected.items():
        assert found[key].value == pytest.approx(value, rel=1e-6, abs=1e-12), key
        assert found[key].path == "B" and not found[key].at_step
    assert found["paths[1].price_per_1k_output"].change_fraction == pytest.approx(-1 / 7)
    assert found["paths[1].price_per_1k_output"].direction == "≤"
    assert found["paths[0].staff[0].annual_cost"].direction == "≥"
    assert found["paths[0].staff[0].annual_cost"].label == "paths[A].staff[0].annual_cost"
    assert found["paths[1].price_per_1k_input"].label == "paths[B].price_per_1k_input"  # as --set takes it
    # discounting scales both flat paths alike: no tie
    assert "discount_rate" not in found
    fractions = [round(abs(c.change_fraction), 9) for c in result.conditions if c.change_fraction is not None]
    assert fractions == sorted(fractions)  # to 9 digits: equal changes sort by path and field
    from_zero = [c for c in result.conditions if c.change_fraction is None]
    assert result.conditions[len(fractions):] == from_zero  # changes from 0 have no fraction: listed last


def test_json_contract():
    data = whatif(scenario_from_dict(two_apis())).to_dict()
    assert set(data) == {"winner", "conditions"}
    assert data["winner"] == "A"
    for item in data["conditions"]:
        assert set(item) == {"path", "field", "current", "value", "change_fraction", "at_step"}


def test_agrees_with_breakeven_and_skips_ignored_inputs():
    scenario = load_scenario(SCENARIOS / "enterprise-support.yaml")
    result = whatif(scenario)
    plan = compile_plan(scenario)
    assert result.conditions
    for c in result.conditions:
        assert c.field not in plan.unused and c.field != "horizon_months"
    for c in [c for c in result.conditions if not c.at_step][:4]:
        single = breakeven(scenario, c.field, between=(c.path, result.winner))
        assert single.value == pytest.approx(c.value, rel=1e-5), c.field


def test_owned_fleet_fields_are_not_searched_for_a_rented_fleet():
    scenario = load_scenario(SCENARIOS / "uncertain-enterprise.yaml")
    plan = compile_plan(scenario)
    result = whatif(scenario)
    rented_unused = [key for key in plan.unused if key.startswith("paths[1].serving.")]
    assert rented_unused
    assert not {c.field for c in result.conditions} & set(rented_unused)
    assert {c.path for c in result.conditions} <= set(result.losers)
    assert result.winner not in result.losers


def test_one_recommendable_path_has_no_conditions():
    data = two_apis()
    data["paths"] = data["paths"][:1]
    result = whatif(scenario_from_dict(data))
    assert result.conditions == [] and result.losers == []


def test_no_winner_is_an_error():
    data = two_apis(constraints={"max_lead_time_months": 0})
    data["paths"][0]["lead_time_months"] = 3
    data["paths"][1]["lead_time_months"] = 3
    with pytest.raises(AnalysisError):
        whatif(scenario_from_dict(data))


@settings(max_examples=8, deadline=None)
@given(price_in=st.floats(0.0021, 0.01), price_out=st.floats(0.0036, 0.02))
def test_loser_input_price_tie_matches_the_algebra(price_in, price_out):
    data = two_apis()
    data["paths"][1]["price_per_1k_input"] = price_in
    data["paths"][1]["price_per_1k_output"] = price_out
    result = whatif(scenario_from_dict(data))
    tie = {c.field: c.value for c in result.conditions}.get("paths[1].price_per_1k_input")
    expected = 30_000 / 6e6 - price_out  # 6e6·(p + out) = 30,000
    if expected >= price_in / 100:  # searched from /100 to ×100 of today's value
        assert tie == pytest.approx(expected, rel=1e-6)
    else:
        assert tie is None


def test_a_batch_share_is_searched_only_when_its_discount_was_read():
    result = whatif(scenario_from_dict(two_apis()))
    assert "paths[1].batch_share" not in result.searched
    assert "no batch price was read" in result.skipped["paths[1].batch_share"]
    data = two_apis()
    data["paths"][1]["batch_discount"] = 0.5
    result = whatif(scenario_from_dict(data))
    assert "paths[1].batch_share" in result.searched
    tie = {c.field: c for c in result.conditions}["paths[1].batch_share"]
    # B's fees 33,000·(1 − 0.5·share) = 30,000 → share = 2/11
    assert tie.value == pytest.approx(2 / 11, rel=1e-6) and tie.direction == "≥"
