import json

import numpy as np
import pytest

from buildorbuy.analysis.tornado import tornado
from buildorbuy.api import evaluate
from buildorbuy.errors import AnalysisError, ScenarioError


def test_order_by_hand(small):
    # NPV of A = 12 × (T/1000)(0.5·0.001 + 0.5·0.002) + 12,000 = 18,000 + 12,000 at T = 1e9.
    # ±20 % moves: tokens ±3,600; price_out, staff cost, staff count ±2,400; price_in, output_share ±1,200.
    result = tornado(small, swing=0.2)
    assert result.winner == "A" and result.runner_up == "B"
    assert result.base_metric == pytest.approx(30000)
    moving = [(r.param, round(r.effect)) for r in result.rows if r.effect > 1e-6]
    assert moving == [
        ("workload.tokens_per_month", 7200),
        ("paths[0].price_per_1k_output", 4800),
        ("paths[0].staff[0].annual_cost", 4800),
        ("paths[0].staff[0].count", 4800),
        ("paths[0].price_per_1k_input", 2400),
        ("workload.output_share", 2400),
    ]
    top = result.rows[0]
    assert top.metric_low == pytest.approx(30000 - 3600) and top.metric_high == pytest.approx(30000 + 3600)
    # B's price moves B alone: no effect on A's NPV, but −20 % on B's output price makes B cheaper
    b_out = next(r for r in result.rows if r.param == "paths[1].price_per_1k_output")
    assert b_out.effect == 0
    assert b_out.flips and b_out.winner_low == "B" and b_out.winner_high == "A"
    assert [r.param for r in result.flips] == ["paths[1].price_per_1k_output"]


def test_margin_metric_by_hand(small):
    # margin = B − A = 3,000; B's output fees are 21,000 a year, so ±20 % moves the margin by ±4,200
    result = tornado(small, metric="margin")
    assert result.base_metric == pytest.approx(3000)
    top = result.rows[0]
    assert top.param == "paths[1].price_per_1k_output"
    assert top.metric_low == pytest.approx(3000 - 4200)
    assert top.effect == pytest.approx(8400)


def test_skipped_inputs_are_explained(small):
    result = tornado(small)
    assert "horizon_months" in result.skipped and "version" in result.skipped
    assert result.skipped["workload.cached_input_share"].startswith("is 0")
    assert "paths[0].price_per_1k_cached_input" in result.skipped  # follows price_per_1k_input
    assert all("horizon_months" != r.param for r in result.rows)


def test_swing_kept_inside_field_bounds(enterprise):
    result = tornado(enterprise, swing=0.5)
    rows = {r.param: r for r in result.rows}
    share = rows["workload.output_share"]
    assert 0 <= share.low <= share.high <= 1
    lead = rows["paths[1].lead_time_months"]  # whole months, 4 ± 50 %
    assert (lead.low, lead.high) == (2, 6)
    util = rows["paths[1].serving.target_utilization"]  # 0.8 + 50 % is capped at 1
    assert util.high == 1 and util.clipped


def test_rows_equal_separate_evaluations(enterprise):
    result = tornado(enterprise)
    for row in result.rows[:3]:
        low = evaluate(enterprise, {row.param: [row.low]})
        w = enterprise.path_index(result.winner)
        assert low.npv[0, w] == pytest.approx(row.metric_low, rel=1e-12)


def test_explicit_ranges_replace_swing(small):
    result = tornado(small, ranges={"paths[A].staff[0].annual_cost": (0, 30000)}, params=["paths[A].staff[0].annual_cost"])
    (row,) = result.rows
    assert (row.low, row.high, row.source) == (0, 30000, "range")
    assert row.winner_high == "B" and row.flips
    with pytest.raises(ScenarioError):
        tornado(small, ranges={"workload.output_share": (0.2, 1.2)})


def test_json_and_arrays(small):
    result = tornado(small)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["rows"][0]["param"] == "workload.tokens_per_month"
    assert isinstance(result.effects, np.ndarray) and result.effects[0] == pytest.approx(7200)


def test_bad_arguments(small):
    with pytest.raises(AnalysisError):
        tornado(small, swing=1.5)
    with pytest.raises(AnalysisError):
        tornado(small, metric="irr")  # type: ignore[arg-type]


def test_fields_given_as_distributions_move_between_their_p10_and_p90():
    from buildorbuy import scenario_from_dict, tornado
    from tests.conftest import api_path, base_scenario

    data = base_scenario(paths=[
        api_path("A", price_in={"dist": "uniform", "low": 0.001, "high": 0.003}),
        api_path("B", price_in={"dist": "lognormal", "p10": 0.001, "p90": 0.004}),
    ])
    result = tornado(scenario_from_dict(data))
    rows = {row.param: row for row in result.rows}
    a = rows["paths[0].price_per_1k_input"]
    assert (a.low, a.high) == pytest.approx((0.0012, 0.0028))
    assert a.source == "range"
    b = rows["paths[1].price_per_1k_input"]
    assert (b.low, b.high) == pytest.approx((0.001, 0.004), rel=1e-6)
    swung = rows["paths[0].price_per_1k_output"]
    assert swung.source == "swing" and (swung.low, swung.high) == pytest.approx((0.0016, 0.0024))


def test_inputs_a_path_does_not_use_are_skipped_with_the_reason():
    from buildorbuy import load_scenario, tornado
    from tests.conftest import REPO

    result = tornado(load_scenario(REPO / "scenarios" / "enterprise-support.yaml"))
    assert "rented" in result.skipped["paths[1].serving.depreciation_years"]
    assert all(row.param != "paths[1].serving.depreciation_years" for row in result.rows)
