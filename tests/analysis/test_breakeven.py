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


def _apis_and_hosted(lead_time=2, bridge="A", staff=0.5, success_probability=None):
    from tests.analysis.conftest import two_apis

    hosted = {"name": "Hosted", "kind": "finetune", "model": {"params": "8B"},
              "finetune": {"tokens": "10M", "gpu": "a100-80gb", "gpu_hour_price": 2, "mfu": 0.3},
              "serving": {"gpu": "h100-sxm", "gpu_hour_price": 2, "tokens_per_second_per_gpu": 2000, "gpus_per_replica": 1},
              "lead_time_months": lead_time, "staff": [{"role": "ML engineer", "count": staff, "annual_cost": 60000}]}
    if success_probability is not None:
        hosted["success_probability"] = success_probability
    data = two_apis()
    data["paths"].append(hosted)
    if bridge:
        data["bridge"] = bridge
    return scenario_from_dict(data)


def test_default_pair_is_the_best_api_path_and_the_best_self_hosted_path():
    scenario = _apis_and_hosted()
    npv = evaluate(scenario).npv[0]
    assert npv[0] < npv[1] < npv[2]  # both APIs beat the hosted path: winner and runner-up are APIs
    result = breakeven(scenario, "workload.tokens_per_month")
    assert (result.a, result.b) == ("A", "Hosted")
    assert "cheapest API path (A)" in result.pair and "cheapest self-hosted path (Hosted)" in result.pair
    assert result.value is not None
    check_answer(scenario, result)
    assert result.to_dict()["pair"] == result.pair
    named = breakeven(scenario, "workload.tokens_per_month", between=("A", "B"))
    assert "--between" in named.pair


def test_only_api_paths_fall_back_to_the_winner_and_runner_up(small):
    result = breakeven(small, "workload.tokens_per_month")
    assert (result.a, result.b) == ("A", "B") and "winner (A) and the runner-up (B)" in result.pair


def test_bridge_fees_that_dominate_a_self_hosted_path_are_named():
    scenario = _apis_and_hosted(lead_time=10, bridge="B", staff=0.1)
    result = breakeven(scenario, "workload.tokens_per_month")
    note = " ".join(result.notes)
    assert "Hosted" in note and "bridge" in note and "B" in note
    share = float(note.split("% of")[0].split()[-1])
    res = evaluate(scenario)
    expected = 100 * (res.components["bridge_fees"][0, 2] * res.discount[0]).sum() / res.npv[0, 2]
    assert share == pytest.approx(expected, abs=0.5) and share >= 50
    assert not breakeven(_apis_and_hosted(lead_time=1, bridge="B", staff=0.1), "workload.tokens_per_month").notes


def test_a_dominant_bridge_note_counts_the_fees_after_a_failure_as_such():
    """At a 1% chance of success most bridge fees fall after the failed go-live, not before it: the
    note must not say they are all paid "until go-live"."""
    risky = _apis_and_hosted(lead_time=2, bridge="B", staff=0.1, success_probability=0.01)
    result = breakeven(risky, "workload.tokens_per_month")
    note = " ".join(result.notes)
    assert "Hosted" in note
    res = evaluate(risky)
    fees = res.components["bridge_fees"][0, 2] * res.discount[0]
    live = int(res.live_month[0, 2])
    before = 100 * fees[:live].sum() / res.npv[0, 2]
    after = 100 * fees[live:].sum() / res.npv[0, 2]
    assert after > before  # hand check: the failure months carry most of the fees
    whole, first = round(before + after), round(before)  # the parts add up to the share as printed
    assert f"{whole}% of its NPV" in note
    assert f"{first}% until go-live in month {live}" in note
    assert f"{whole - first}% after a failure (99% chance)" in note
    facts = result.note_facts[0]
    assert facts["fail"] == "99" and facts["before"] == f"{first}" and facts["after"] == f"{whole - first}"
    # a sure path keeps the sentence it had
    sure = " ".join(breakeven(_apis_and_hosted(lead_time=10, bridge="B", staff=0.1), "workload.tokens_per_month").notes)
    assert "after a failure" not in sure and "serving its traffic until go-live in month" in sure


def test_the_failure_share_of_a_dominant_bridge_is_said_in_chinese_too(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from buildorbuy.cli import app

    risky = _apis_and_hosted(lead_time=2, bridge="B", staff=0.1, success_probability=0.01)
    file = tmp_path / "s.yaml"
    file.write_text(yaml.safe_dump(risky.model_dump(mode="json", exclude_unset=True)))
    facts = breakeven(risky, "workload.tokens_per_month").note_facts[0]
    out = CliRunner().invoke(app, ["breakeven", str(file), "-p", "workload.tokens_per_month", "--lang", "zh"]).stdout
    flat = "".join(out.split())
    assert f"其中{facts['before']}%在第{facts['month']}月上线前，{facts['after']}%在失败之后（失败概率99%）" in flat


def test_the_cli_says_which_pair_it_compared_and_names_a_dominant_bridge(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from buildorbuy.cli import app
    from tests.analysis.conftest import two_apis

    data = two_apis()
    data["paths"].append(_apis_and_hosted(lead_time=10, bridge="B", staff=0.1).model_dump(mode="json", exclude_unset=True)["paths"][2])
    data["bridge"] = "B"
    file = tmp_path / "s.yaml"
    file.write_text(yaml.safe_dump(data))
    for fmt in ("table", "markdown"):
        out = CliRunner().invoke(app, ["breakeven", str(file), "-p", "workload.tokens_per_month", "-f", fmt]).stdout
        assert "Compared the cheapest API path (A) and the cheapest self-hosted path (Hosted)" in out
        assert "Bridge fees dominate Hosted" in " ".join(out.split())
