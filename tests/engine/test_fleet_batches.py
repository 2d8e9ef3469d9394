"""Fleet inputs varied in a batch (sweep, breakeven) and the reservation search's candidates."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from buildorbuy import compare, evaluate, scenario_from_dict
from buildorbuy.cli import app
from tests.conftest import REPO, base_scenario

SECONDS = 730 * 3600


def _hosted(**serving):
    return {
        "name": "Hosted",
        "kind": "finetune",
        "model": {"params": "8B"},
        "finetune": {"tokens": "10M", "epochs": 1, "method": "full", "gpu": "a100-80gb", "gpus": 8,
                     "gpu_hour_price": 2.0, "mfu": 0.4},
        "serving": {"gpu": "a100-80gb", "gpu_hour_price": 2.0, "tokens_per_second_per_gpu": 2000,
                    "gpus_per_replica": 1, "target_utilization": 0.5, "redundancy": 0, **serving},
    }


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
