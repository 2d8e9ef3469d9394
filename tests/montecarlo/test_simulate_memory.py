"""simulate's memory bounds: engine slices sized by horizon × paths, drivers from a capped prefix.

Neither may change a figure: slicing a chunk into engine calls gives the same bytes, and the
driver cap uses exactly the samples a shorter run would.
"""

from __future__ import annotations

import json

import numpy as np
from helpers import api_vs_rent

from buildorbuy import simulate
from buildorbuy.analysis import montecarlo
from buildorbuy.analysis.montecarlo import CHUNK_SIZE, engine_slice
from buildorbuy.engine.plan import compile_plan
from buildorbuy.scenario.loading import scenario_from_dict

UNCERTAIN = {
    "paths[Rented].serving.gpu_hour_price": {"dist": "lognormal", "p10": 0.7, "p90": 1.6},
    "workload.growth_per_month": {"dist": "triangular", "low": 0.0, "mode": 0.02, "high": 0.06},
    "paths[Rented].lead_time_months": {"dist": "choice", "values": [1, 2, 4], "weights": [0.2, 0.5, 0.3]},
    "paths[Rented].success_probability": {"dist": "uniform", "low": 0.6, "high": 0.9},
}


def _scenario(**extra):
    data = api_vs_rent(**UNCERTAIN)
    data.update(extra)
    return scenario_from_dict(data)


def test_engine_slice_shrinks_with_horizon_and_paths():
    short, long = compile_plan(_scenario(horizon_months=24)), compile_plan(_scenario(horizon_months=240))
    assert 64 <= engine_slice(long) < engine_slice(short) <= CHUNK_SIZE
    # bytes per engine call stay within the budget whatever the horizon
    for plan in (short, long):
        per_sample = 8 * len(plan.paths) * plan.horizon * montecarlo.ENGINE_ARRAYS
        assert engine_slice(plan) * per_sample <= montecarlo.ENGINE_BYTES or engine_slice(plan) == 64


def test_slicing_the_engine_calls_changes_no_figure(monkeypatch):
    scenario = _scenario()
    n = CHUNK_SIZE + 1_234
    whole = json.dumps(simulate(scenario, n, 3).to_dict())
    monkeypatch.setattr(montecarlo, "ENGINE_BYTES", 1.0)  # 64-sample engine calls
    assert engine_slice(compile_plan(scenario)) == 64
    assert json.dumps(simulate(scenario, n, 3).to_dict()) == whole


def test_drivers_and_input_percentiles_use_the_first_driver_samples(monkeypatch):
    scenario = _scenario()
    short = simulate(scenario, CHUNK_SIZE, 5)
    monkeypatch.setattr(montecarlo, "DRIVER_SAMPLES", CHUNK_SIZE)
    long = simulate(scenario, 3 * CHUNK_SIZE, 5)
    assert long.drivers == short.drivers and long.drivers
    assert long.inputs == short.inputs
    # everything else uses every sample: the success rate counts outcomes over all 30,000
    rented = next(p for p in long.paths if p.name == "Rented")
    assert rented.success_rate is not None and rented.success_rate * 3 * CHUNK_SIZE == round(rented.success_rate * 3 * CHUNK_SIZE)
    np.testing.assert_array_equal(long.npv[:CHUNK_SIZE], short.npv)


def test_success_rate_and_yearly_wins_are_counted_over_every_sample(monkeypatch):
    scenario = _scenario()
    reference = simulate(scenario, 2 * CHUNK_SIZE + 10, 9)
    monkeypatch.setattr(montecarlo, "DRIVER_SAMPLES", 100)
    capped = simulate(scenario, 2 * CHUNK_SIZE + 10, 9)
    for a, b in zip(reference.paths, capped.paths):
        assert a.success_rate == b.success_rate
        assert a.win_probability_by_year == b.win_probability_by_year
        assert a.npv_p50 == b.npv_p50
