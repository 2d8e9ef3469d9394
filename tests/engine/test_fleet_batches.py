"""Fleet inputs varied in a batch (sweep, breakeven) and the reservation search's candidates."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from buildorbuy import compare, evaluate, scenario_from_dict
from buildorbuy.cli import app
from tests.conftest import REPO, base_scenario
from tests.engine._builders import SECONDS, hosted as _hosted


def _scenario(workload=None, horizon=12, **serving):
    workload = {"tokens_per_month": 2000 * SECONDS, "output_share": 0.25, **(workload or {})}
    return scenario_from_dict(base_scenario(horizon_months=horizon, workload=workload, paths=[_hosted(**serving)]))


def test_redundancy_varied_in_a_batch_gives_each_values_fleet():
    # Peak 2 × 2000 = 4000 tokens/s, 1000 per GPU → 4 GPUs + redundancy; rent 730 · 2 per GPU.
    result = evaluate(_scenario(), {"paths[0].serving.redundancy": np.array([0.0, 1.0, 3.0])})
    for b, spare in enumerate((0, 1, 3)):
        assert result.gpus[b, 0, 1] == 4 + spare
        assert result.components["serving_rent"][b, 0, 1] == pytest.approx((4 + spare) * 730 * 2.0, rel=1e-12)


def test_min_replicas_varied_in_a_batch_under_autoscale():
    # Two-level day: 1.5 × 2000 = 3000 tokens/s (3 replicas) for 12 h, 0.5 × 2000 (1 replica) for 12 h.
    scenario = _scenario({"daily_profile": [1.5] * 12 + [0.5] * 12}, scaling="autoscale")
    result = evaluate(scenario, {"paths[0].serving.min_replicas": np.array([1.0, 2.0, 5.0])})
    for b, (peak, base) in enumerate(((3, 1), (3, 2), (5, 5))):
        hours = 730 / 24 * (12 * peak + 12 * base)
        assert result.components["serving_rent"][b, 0, 1] == pytest.approx(hours * 2.0, rel=1e-12)


@pytest.mark.parametrize("param,values", [
    ("paths[Hosted].serving.redundancy", "0,1,2"),
    ("paths[Hosted].serving.min_replicas", "1,4"),
])
def test_sweeping_a_replica_count_through_the_cli(param, values, write_yaml):
    data = base_scenario(workload={"tokens_per_month": 2000 * SECONDS, "daily_profile": [1.5] * 12 + [0.5] * 12},
                         paths=[_hosted(scaling="autoscale")])
    result = CliRunner().invoke(app, ["sweep", str(write_yaml(data)), "--param", param, "--values", values,
                                      "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1 + len(values.split(","))


def test_auto_reservation_considers_the_autoscale_floor():
    # The floor (6 replicas) is above the peak need (3): every hour runs 6 GPUs, so reserving all 6
    # at 1.3 beats on-demand at 2.0; a search capped at the peak need would stop at 3.
    day = {"daily_profile": [1.5] * 12 + [0.5] * 12}
    auto = compare(_scenario(day, scaling="autoscale", min_replicas=6,
                             reserved={"gpus": "auto", "gpu_hour_price": 1.3, "term_months": 12})).paths[0]
    assert auto.estimates["serving.reserved.gpus"]["value"] == 6
    six = compare(_scenario(day, scaling="autoscale", min_replicas=6,
                            reserved={"gpus": 6, "gpu_hour_price": 1.3, "term_months": 12})).paths[0]
    assert auto.npv == pytest.approx(six.npv, rel=1e-12)
    assert six.components["serving_rent"][1] == pytest.approx(6 * 730 * 1.3, rel=1e-12)


def test_auto_reservation_considers_a_falling_throughput():
    # Throughput falls 50 % a year: month 11's peak needs ceil(4 / 0.5^(11/12)) = 8 GPUs, not month 0's 4.
    auto = compare(_scenario({"peak_to_average": 2}, throughput_change_per_year=-0.5,
                             reserved={"gpus": "auto", "gpu_hour_price": 0.2, "term_months": 12})).paths[0]
    assert max(auto.gpus) == 8
    assert auto.estimates["serving.reserved.gpus"]["value"] == 8  # reserved at a tenth of on-demand: reserve all


# ---------------------------------------------------------------------------- supply and inline GPUs


def test_owned_h800_in_cn_without_a_purchase_price_is_infeasible_not_an_error():
    # The catalog has no purchase price for the H800 (not sold new in China since 2023-11-17):
    # the path is infeasible with the rule, rather than an error asking for a price.
    data = base_scenario(constraints={"market": "cn"}, workload={"tokens_per_month": 2000 * SECONDS},
                         paths=[{"name": "API", "kind": "api", "price_per_1k_input": 0.001, "price_per_1k_output": 0.002},
                                _hosted(gpu="h800", ownership="own", power_price_per_kwh=0.1, hosting_per_gpu_month=100)])
    path = compare(scenario_from_dict(data)).paths[1]
    assert not path.feasible
    assert "h800 is not sold new there since 2023-11-17" in path.infeasible_reason
    global_market = base_scenario(workload={"tokens_per_month": 2000 * SECONDS},
                                  paths=[_hosted(gpu="h800", ownership="own")])
    with pytest.raises(Exception, match="no purchase price for h800"):
        compare(scenario_from_dict(global_market))  # elsewhere the missing price is still asked for


INLINE_BAD = [
    ("tdp", {"like": "a100-80gb", "name": "x", "tdp_watts": 1e300}, "paths[0].serving.gpu.tdp_watts"),
    ("memory", {"like": "a100-80gb", "name": "x", "memory_gb": 1e300}, "paths[0].serving.gpu.memory_gb"),
    ("rates", {"like": "a100-80gb", "name": "x", "bandwidth_tbps": 1e300, "bf16_tflops": 1e300},
     "paths[0].serving.gpu.bf16_tflops"),
    ("rent", {"like": "a100-80gb", "name": "x", "rent": {"usd_per_hour": 1e300}}, "paths[0].serving.gpu.rent.usd_per_hour"),
    ("link", {"like": "a100-80gb", "name": "x", "nvlink_gbps": 1e300}, "paths[0].serving.gpu.nvlink_gbps"),
    ("unknown_like", {"like": "a100-80gbz", "name": "x"}, "scenario.yaml:"),
]


@pytest.mark.parametrize("label,gpu,expected", INLINE_BAD, ids=[b[0] for b in INLINE_BAD])
def test_absurd_inline_gpus_are_one_line_errors(label, gpu, expected, write_yaml):
    data = base_scenario(paths=[_hosted(gpu=gpu)])
    result = CliRunner().invoke(app, ["compare", str(write_yaml(data))])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output and "RuntimeWarning" not in result.output
    assert expected in lines[0]
    if label == "unknown_like":
        assert "paths[0].serving.gpu.like: unknown GPU 'a100-80gbz'" in lines[0]


def test_an_inline_gpu_keeps_its_name_in_the_market_reason():
    data = base_scenario(constraints={"market": "cn"}, workload={"tokens_per_month": 2000 * SECONDS},
                         paths=[_hosted(gpu={"like": "h100-sxm", "name": "H100 cheap"}, ownership="own",
                                        purchase_price=20_000)])
    path = compare(scenario_from_dict(data)).paths[0]
    assert "h100-cheap is not sold new there" in path.infeasible_reason


UNION_BAD = [
    ("gpu_without_name", {"gpu": {"like": "a100-80gb"}}, "paths[0].serving.gpu.name: required field is missing"),
    ("declining_too_big", {"ownership": "own", "purchase_price": 1000, "residual": {"declining_balance": 1.5}},
     "paths[0].serving.residual.declining_balance: Input should be less than 1"),
    ("residual_word", {"ownership": "own", "purchase_price": 1000, "residual": "linear"},
     "paths[0].serving.residual: Input should be 'straight_line' or 'none'"),
]


@pytest.mark.parametrize("label,serving,expected", UNION_BAD, ids=[b[0] for b in UNION_BAD])
def test_a_mapping_for_a_union_field_is_blamed_on_its_own_problem(label, serving, expected, write_yaml):
    # Not "gpu: Input should be a valid string" / "residual.DecliningBalance…" for a mapping the user wrote.
    path = write_yaml(base_scenario(paths=[_hosted(**serving)]))
    for command in ("compare", "validate"):
        result = CliRunner().invoke(app, [command, str(path)])
        assert result.exit_code == 2, result.output
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and expected in lines[0], lines


def test_declining_balance_takes_a_percentage():
    owned = dict(ownership="own", purchase_price=10_000, power_price_per_kwh=0.1, hosting_per_gpu_month=100)
    pct = compare(_scenario(residual={"declining_balance": "35%"}, **owned)).paths[0]
    frac = compare(_scenario(residual={"declining_balance": 0.35}, **owned)).paths[0]
    assert pct.residual_credit == frac.residual_credit < 0


def test_a_run_shorter_than_a_month_is_reported_in_hours():
    # The fine-tune takes hours; with lead_time_months 0 go-live still moves to month 1, and the
    # warning must not read "takes 0.0 months of wall-clock, longer than lead_time_months 0".
    warnings = compare(_scenario()).warnings
    late = [w for w in warnings if "wall-clock" in w]
    assert late and "0.0 months" not in late[0] and "under a day of wall-clock" in late[0]


def test_the_starter_template_shows_an_inline_gpu():
    from importlib.resources import files

    text = files("buildorbuy.templates").joinpath("starter.yaml").read_text(encoding="utf-8")
    assert "gpu: {like: a100-80gb, name: a800" in text


def test_a_daily_profile_hour_varied_in_a_batch_with_a_capped_fleet():
    # max_gpus caps the fleet, so the overflow above it is computed hour by hour from the profile:
    # a batch over one hour of the profile must give, element by element, the single runs' figures.
    from buildorbuy import load_scenario

    file = REPO / "scenarios" / "hybrid-router.yaml"
    chosen = {i: p.estimates["serving.max_gpus"]["value"] for i, p in enumerate(compare(load_scenario(file)).paths)
              if "serving.max_gpus" in p.estimates}
    assert chosen  # the scenario caps a fleet
    fixed = [f"paths[{i}].serving.max_gpus={v:g}" for i, v in chosen.items()]  # a batch keeps the searched cap
    key = "workload.daily_profile[10]"
    values = np.array([0.5, 1.0, 3.0])
    batch = evaluate(load_scenario(file, overrides=fixed), {key: values})
    for b, value in enumerate(values):
        single = evaluate(load_scenario(file, overrides=[*fixed, f"{key}={value}"]))
        assert batch.npv[b] == pytest.approx(single.npv[0], rel=1e-9)


def test_a_huge_autoscale_floor_keeps_the_reservation_search_small():
    # min_replicas 2 million: every hour runs 2M replicas. The search must not evaluate 2M+1
    # scenarios in one batch (tens of GB); it spreads a bounded grid of whole counts and still
    # finds "reserve everything" when the reserved price is far below on-demand.
    result = compare(_scenario({"daily_profile": [1.5] * 12 + [0.5] * 12}, scaling="autoscale", min_replicas=2_000_000,
                               reserved={"gpus": "auto", "gpu_hour_price": 0.2, "term_months": 12})).paths[0]
    estimate = result.estimates["serving.reserved.gpus"]
    assert estimate["value"] == 2_000_000
