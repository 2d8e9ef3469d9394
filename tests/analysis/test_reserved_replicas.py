"""Reserved GPUs are whole replicas in every analysis, as compare requires (DESIGN §2b).

The hosted path serves a 4000 tokens/s peak (mean 2000, peak_to_average 2) with replicas of 2 GPUs at
2 · 2000 · 0.5 = 2000 tokens/s: 2 replicas, 4 GPUs, from month 1 of 12. R reserved GPUs cost
R · 730 · 1.0 a month, the other 4 − R GPUs 730 · 2.0 on demand: each replica reserved (2 GPUs) saves
2 · 730 · (2.0 − 1.0) = 1460 a month up to R = 4, and each replica above it adds 2 · 730 · 1.0 = 1460.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from buildorbuy import compare, scenario_from_dict
from buildorbuy.analysis.sweep import sweep
from buildorbuy.analysis.tornado import tornado
from buildorbuy.analysis.whatif import whatif
from buildorbuy.cli import app
from buildorbuy.errors import AnalysisError
from tests.conftest import api_path, base_scenario
from tests.engine._builders import SECONDS, hosted

RESERVED = "paths[1].serving.reserved.gpus"
PER_REPLICA = "paths[1].serving.gpus_per_replica"
LIVE_MONTHS = 11


def _data(reserved=4, per_replica=2, price=0.0006):
    path = hosted(gpus_per_replica=per_replica, reserved={"gpus": reserved, "gpu_hour_price": 1.0})
    workload = {"tokens_per_month": 2000 * SECONDS, "output_share": 0.25, "peak_to_average": 2}
    return base_scenario(bridge="API", workload=workload, paths=[api_path(price_in=price, price_out=price), path])


def _npv(reserved, **changes):
    return compare(scenario_from_dict(_data(reserved=reserved, **changes))).paths[1].npv


def test_sweep_over_whole_replicas_matches_compare():
    result = sweep(scenario_from_dict(_data()), {RESERVED: [0, 2, 4, 6]})
    npv = result.npv[:, 1]
    assert npv[1] - npv[0] == pytest.approx(-2 * 730 * 1.0 * LIVE_MONTHS, rel=1e-12)
    assert npv[3] - npv[2] == pytest.approx(+2 * 730 * 1.0 * LIVE_MONTHS, rel=1e-12)
    assert list(npv) == pytest.approx([_npv(r) for r in (0, 2, 4, 6)], rel=1e-12)


def test_sweep_refuses_reserved_gpus_off_whole_replicas():
    with pytest.raises(AnalysisError) as caught:
        sweep(scenario_from_dict(_data()), {RESERVED: [2, 3, 4]})
    assert caught.value.field == RESERVED
    assert str(caught.value).startswith("3 GPUs is not a whole number of replicas of 2 GPUs (gpus_per_replica)")


def test_sweep_refuses_a_replica_size_that_does_not_divide_the_reservation():
    with pytest.raises(AnalysisError) as caught:
        sweep(scenario_from_dict(_data()), {PER_REPLICA: [1, 2, 3]})
    assert caught.value.field == PER_REPLICA
    assert "3 GPUs per replica do not divide the 4 reserved GPUs of Hosted" in str(caught.value)


def test_sweep_cli_says_so_in_one_line(write_yaml):
    path = write_yaml(_data())
    result = CliRunner().invoke(app, ["sweep", str(path), "-p", "paths[Hosted].serving.reserved.gpus", "-r", "0:8:5"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["sweep", str(path), "-p", "paths[Hosted].serving.reserved.gpus", "-r", "0:8:9"])
    assert result.exit_code == 2
    assert result.stderr == ("Error: paths[Hosted].serving.reserved.gpus: 1 GPUs is not a whole number of replicas of 2 GPUs "
                             "(gpus_per_replica): reservations are whole replicas, as compare requires; sweep multiples of 2\n")


def test_tornado_moves_reserved_gpus_by_whole_replicas():
    result = tornado(scenario_from_dict(_data()), params=[RESERVED])
    row = result.rows[0]
    # ±20 % of 4 is 3.2 … 4.8: outward to whole replicas of 2, 2 … 6
    assert (row.low, row.high, row.clipped) == (2, 6, True)
    assert row.metric_low == pytest.approx(_npv(2), rel=1e-12)
    assert row.metric_high == pytest.approx(_npv(6), rel=1e-12)
    assert row.metric_low - _npv(4) == pytest.approx(2 * 730 * LIVE_MONTHS, rel=1e-9)


def test_tornado_leaves_out_a_replica_size_move_that_breaks_the_reservation(write_yaml):
    # 8 GPUs a replica, 16 reserved: ±20 % gives 6 and 10 GPUs a replica, neither divides 16
    result = tornado(scenario_from_dict(_data(reserved=16, per_replica=8)))
    assert PER_REPLICA not in result.params
    assert "off whole replicas (gpus_per_replica 6 and 10)" in result.skipped[PER_REPLICA]
    assert {r.param for r in result.rows} >= {RESERVED}
    row = next(r for r in result.rows if r.param == RESERVED)
    assert (row.low, row.high) == (8, 24)
    out = CliRunner().invoke(app, ["tornado", str(write_yaml(_data(reserved=4))), "-f", "markdown"])
    assert out.exit_code == 0, out.output
    assert "reserved GPUs to whole replicas" in out.stdout


def test_whatif_reports_the_first_whole_replica_past_the_tie():
    # Hosted wins with 4 reserved; with fewer, on-demand hours cost more, and at 2 (one replica) the API wins.
    result = whatif(scenario_from_dict(_data()), params=[RESERVED])
    (condition,) = result.conditions
    assert (condition.path, condition.current, condition.value, condition.at_step) == ("API", 4, 2, True)
    winner = lambda r: compare(scenario_from_dict(_data(reserved=r))).recommendation["path"]  # noqa: E731
    assert winner(4) == "Hosted" and winner(2) == "API"


def test_breakeven_scans_and_answers_in_whole_replicas():
    from buildorbuy.analysis.breakeven import breakeven

    # Above 4 reserved GPUs the idle replicas cost 1460 a month each: the API wins from 6 on (5 would be half a replica).
    result = breakeven(scenario_from_dict(_data()), RESERVED, low=4, high=12)
    assert [float(x) for x in result.scan_values] == [4, 6, 8, 10, 12]
    assert (result.value, result.at_step, result.bracket) == (6, True, (4, 6))
    assert (result.cheaper_below, result.cheaper_above) == ("Hosted", "API")
