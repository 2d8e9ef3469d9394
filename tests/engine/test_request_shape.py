"""workload.output_share against the request shape (input/output tokens per request): a warning
when they disagree, and the auto throughput and `estimate serving` related by the two shares."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from buildorbuy import compare, scenario_from_dict
from buildorbuy.cli import app
from tests.conftest import api_path, base_scenario

runner = CliRunner()


def _hosted_auto():
    return {"name": "Own", "kind": "finetune", "model": {"params": "14.7B"},
            "finetune": {"tokens": "10M", "gpu": "a100-80gb", "gpu_hour_price": 2.0, "mfu": 0.4},
            "serving": {"gpu": "a100-80gb", "gpu_hour_price": 2.0, "tokens_per_second_per_gpu": "auto",
                        "gpus_per_replica": 2}}


def _workload(share, tokens_in, tokens_out):
    out = {"tokens_per_month": "1B", "input_tokens_per_request": tokens_in, "output_tokens_per_request": tokens_out}
    if share is not None:
        out["output_share"] = share
    return out


def test_a_contradictory_share_is_warned_and_explains_the_gap_with_estimate_serving(write_yaml):
    file = write_yaml(base_scenario(workload=_workload(0.3, 2000, 400), bridge="API", paths=[api_path(), _hosted_auto()]))
    result = runner.invoke(app, ["compare", str(file), "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    shape = [w for w in data["warnings"] if w.startswith("workload.output_share 0.3 disagrees")]
    assert len(shape) == 1, data["warnings"]
    assert ("input_tokens_per_request 2000 and output_tokens_per_request 400, which imply an output share of 0.167: "
            "the costs use output_share 0.3") in shape[0]
    assert "gives 0.556 × the tokens/s per GPU of `estimate serving`, which uses 0.167" in shape[0]
    assert f"Warning: {shape[0]}" in result.stderr
    compared = data["paths"][1]["estimates"]["serving.tokens_per_second_per_gpu"]["value"]
    est = json.loads(runner.invoke(app, ["estimate", "serving", "--params", "14.7B", "--gpu", "a100-80gb",
                                         "--input-len", "2000", "--output-len", "400", "--tensor-parallel", "2",
                                         "-f", "json"]).stdout)
    # both are one output throughput, divided by 0.3 in compare and by 400 / 2400 in estimate serving
    assert compared * 0.3 == pytest.approx(est["output_tokens_per_second_per_gpu"], rel=1e-6)
    assert est["tokens_per_second_per_gpu"] * (400 / 2400) == pytest.approx(est["output_tokens_per_second_per_gpu"], rel=1e-6)
    assert compared / est["tokens_per_second_per_gpu"] == pytest.approx((400 / 2400) / 0.3, rel=1e-6)


@pytest.mark.parametrize("share,tokens_in,tokens_out,warned", [
    (0.2, 1000, 250, False),    # exactly 250 / 1250
    (0.209, 1000, 250, False),  # 4.5 % above 0.2: within 5 %
    (0.211, 1000, 250, True),   # 5.5 % above
    (0.18, 1000, 250, True),
    (None, 1000, 250, True),    # the default 0.25 against a shape that gives 0.2
    (None, 750, 250, False),    # the default 0.25 and a shape that agrees
])
def test_the_warning_fires_beyond_five_percent_of_the_implied_share(share, tokens_in, tokens_out, warned):
    result = compare(scenario_from_dict(base_scenario(workload=_workload(share, tokens_in, tokens_out))))
    shape = [w for w in result.warnings if w.startswith("workload.output_share")]
    assert bool(shape) is warned, result.warnings
    if share is None and warned:
        assert shape[0].startswith("workload.output_share 0.25 (the default) disagrees")
    if warned:
        assert "tokens_per_second_per_gpu: auto" not in shape[0]  # no path estimates its throughput here


def test_no_warning_without_a_request_shape_and_figures_do_not_move():
    plain = base_scenario(workload={"tokens_per_month": "1B", "output_share": 0.4})
    result = compare(scenario_from_dict(plain))
    assert not any(w.startswith("workload.output_share") for w in result.warnings)
    warned = compare(scenario_from_dict(base_scenario(workload={**plain["workload"], "input_tokens_per_request": 1000})))
    assert any(w.startswith("workload.output_share") for w in warned.warnings)
    assert warned.paths[0].npv == result.paths[0].npv  # a warning only


def test_the_starter_template_is_consistent_and_warns_nothing(tmp_path):
    target = tmp_path / "s.yaml"
    assert runner.invoke(app, ["init", "-o", str(target)]).exit_code == 0
    result = runner.invoke(app, ["compare", str(target), "-f", "json"])
    assert result.exit_code == 0
    assert not any(w.startswith("workload.output_share") for w in json.loads(result.stdout)["warnings"])
