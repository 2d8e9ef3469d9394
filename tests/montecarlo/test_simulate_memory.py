"""simulate's memory bounds: engine slices sized by horizon × paths, drivers from a capped prefix.

Neither may change a figure: slicing a chunk into engine calls gives the same bytes, and the
driver cap uses exactly the samples a shorter run would.
"""

from __future__ import annotations

import copy
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


# --- what simulate keeps per sample stays bounded whatever the number of paths and inputs ---------

def _wide(copies: int) -> dict:
    """api_vs_rent with `copies` rented paths, each with three distributions and a drawn outcome
    (4 sampled inputs + 1 outcome per path, plus the workload's growth)."""
    data = api_vs_rent(**{"workload.growth_per_month": UNCERTAIN["workload.growth_per_month"]})
    rented = data["paths"][1]
    data["paths"] = [data["paths"][0]] + [dict(copy.deepcopy(rented), name=f"Rented {c}") for c in range(copies)]
    from buildorbuy.scenario.loading import set_field

    for c in range(copies):
        for key in ("serving.gpu_hour_price", "lead_time_months", "success_probability"):
            set_field(data, f"paths[Rented {c}].{key}", UNCERTAIN[f"paths[Rented].{key}"])
        set_field(data, f"paths[Rented {c}].serving.target_utilization",
                  {"dist": "uniform", "low": 0.5, "high": 0.7})
    return data


def test_driver_rows_keep_every_sample_up_to_sixteen_inputs_and_bound_the_bytes_beyond():
    from buildorbuy.analysis.montecarlo import DRIVER_SAMPLES, INPUTS_PER_SAMPLE, driver_rows

    assert INPUTS_PER_SAMPLE == 16
    for samples in (1, 999, 10_000, 123_457, DRIVER_SAMPLES, 10_000_000):
        for inputs in (0, 1, 12, 16):
            assert driver_rows(samples, inputs) == min(samples, DRIVER_SAMPLES)
    # beyond 16 inputs: samples × 16 / inputs, in whole chunks, at least one chunk
    assert driver_rows(100_000, 188) == 10_000  # 8,510 → one chunk
    assert driver_rows(1_000_000, 188) == 80_000  # 85,106 → 8 chunks
    assert driver_rows(10_000_000, 188) == 850_000
    assert driver_rows(10_000_000, 17) == DRIVER_SAMPLES
    assert driver_rows(5_000, 188) == 5_000
    for samples in (20_000, 100_000, 1_000_000, 10_000_000):
        for inputs in (17, 50, 188, 1_000):
            rows = driver_rows(samples, inputs)
            assert rows % CHUNK_SIZE == 0 and CHUNK_SIZE <= rows <= min(samples, DRIVER_SAMPLES)
            assert rows * inputs <= max(samples * INPUTS_PER_SAMPLE, CHUNK_SIZE * inputs)


def test_kept_per_sample_data_is_bounded_whatever_the_number_of_paths():
    """npv (8 bytes) and recommendable (1 byte) per path; the inputs within 16 values per sample."""
    samples = 3 * CHUNK_SIZE
    for copies in (1, 8):
        sim = simulate(scenario_from_dict(_wide(copies)), samples, 4)
        paths, inputs = len(sim.paths), len(sim.input_keys)
        assert sim.npv.nbytes == 8 * paths * samples and sim.recommendable.nbytes == paths * samples
        assert sim.columns.nbytes <= max(8 * 16 * samples, 8 * CHUNK_SIZE * inputs)
        if copies == 8:
            assert inputs == 8 * 5 + 1 and sim.columns.shape[0] == CHUNK_SIZE  # 30,000 × 16 / 41 → 11,707 → one chunk
            assert sim.columns.shape[0] < samples


def test_the_input_budget_takes_the_first_rows_as_a_driver_cap_would(monkeypatch):
    """Beyond the budget, drivers, inputs and voi's EVPPI come from the first driver_rows samples:
    exactly what a run capped at those samples by DRIVER_SAMPLES gives; everything else uses every sample."""
    scenario = scenario_from_dict(_wide(4))  # 21 inputs: 30,000 × 16 / 21 → 22,857 → 20,000 rows
    budgeted = simulate(scenario, 3 * CHUNK_SIZE, 8)
    assert budgeted.columns.shape == (20_000, 21)
    monkeypatch.setattr(montecarlo, "INPUTS_PER_SAMPLE", 10**6)
    monkeypatch.setattr(montecarlo, "DRIVER_SAMPLES", 20_000)
    capped = simulate(scenario, 3 * CHUNK_SIZE, 8)
    budgeted_out, capped_out = budgeted.to_dict(), capped.to_dict()
    budgeted_out["warnings"] = [w for w in budgeted_out["warnings"] if "use the first" not in w]
    assert json.dumps(budgeted_out) == json.dumps(capped_out)
    monkeypatch.setattr(montecarlo, "DRIVER_SAMPLES", 10**6)
    whole = simulate(scenario, 3 * CHUNK_SIZE, 8)
    assert whole.columns.shape == (3 * CHUNK_SIZE, 21)
    a, b = budgeted.to_dict(), whole.to_dict()
    assert a["paths"] == b["paths"] and a["histogram"] == b["histogram"] and a["winner"] == b["winner"]
    assert a["drivers"] != b["drivers"]
    # the output says so, only beyond the budget
    said = [w for w in budgeted.warnings if w.startswith("drivers and the inputs' percentiles use the first")]
    assert said == ["drivers and the inputs' percentiles use the first 20,000 of 30,000 samples (21 sampled inputs keep "
                    "at most 16 values per sample): rank correlations ±0.01"]
    assert not any("use the first" in w for w in whole.warnings + simulate(_scenario(), 3 * CHUNK_SIZE, 8).warnings)


def _cpm_of_every_sample(monkeypatch, scenario, samples, seed) -> tuple[object, np.ndarray]:
    """simulate on one thread, with every cost per 1M tokens the engine returned in its first pass."""
    monkeypatch.setattr(montecarlo, "WORKERS", 1)
    seen = []
    real = montecarlo.evaluate

    def recording(plan, batch=None, **kwargs):
        result = real(plan, batch, **kwargs)
        seen.append(result.cost_per_million_tokens.copy())
        return result

    monkeypatch.setattr(montecarlo, "evaluate", recording)
    sim = simulate(scenario, samples, seed)
    everything = np.concatenate(seen)
    return sim, everything[1 : samples + 1], everything.shape[0] - samples - 1  # a first call at the estimates (keys' base),
    # then every sample, then the samples read again


def test_cost_per_million_tokens_percentiles_are_numpys_over_the_float64_figures(monkeypatch):
    scenario = _scenario()
    sim, cpm, read_again = _cpm_of_every_sample(monkeypatch, scenario, 2 * CHUNK_SIZE + 77, 11)
    assert cpm.shape == (2 * CHUNK_SIZE + 77, 2)
    for i, path in enumerate(sim.paths):
        finite = cpm[np.isfinite(cpm[:, i]), i]
        want = np.percentile(finite, [10, 50, 90])
        got = [path.cost_per_million_tokens_p10, path.cost_per_million_tokens_p50, path.cost_per_million_tokens_p90]
        assert np.asarray(got).tobytes() == want.tobytes(), path.name
    # beyond the kept inputs (a wide scenario keeps 20,000 of 30,000 samples' inputs), samples are drawn again
    wide, cpm_wide, _ = _cpm_of_every_sample(monkeypatch, scenario_from_dict(_wide(4)), 3 * CHUNK_SIZE, 12)
    assert wide.columns.shape[0] == 2 * CHUNK_SIZE
    for i, path in enumerate(wide.paths):
        want = np.percentile(cpm_wide[np.isfinite(cpm_wide[:, i]), i], [10, 50, 90])
        got = [path.cost_per_million_tokens_p10, path.cost_per_million_tokens_p50, path.cost_per_million_tokens_p90]
        assert np.asarray(got).tobytes() == want.tobytes(), path.name
    # the API path's cost per 1M tokens is one value but for rounding noise (one float32, many float64 values):
    # keys measured from the estimate's figure give them exactly; only the rented path's samples are read again
    assert 0 < np.ptp(cpm[:, 0]) < 1e-12 * cpm[0, 0] and np.unique(cpm[:, 0].astype(np.float32)).size == 1
    assert 0 < read_again <= 6 * 4


def test_key_percentiles_match_numpy_on_ties_float32_collisions_and_non_finite_values():
    from buildorbuy.analysis.montecarlo import _KeyPercentiles, _order_key

    rng = np.random.default_rng(5)
    noisy = 4.0 + rng.integers(-2, 3, 2_000) * 2.0**-50  # an API path's figure with rounding noise
    collide = 1.0 + rng.integers(0, 4, 2_000) * 2.0**-40  # distinct float64 values, one float32 key from 0
    cases = [
        np.column_stack([rng.lognormal(0, 1, 2_000), noisy, collide, np.full(2_000, 3.25), rng.integers(0, 3, 2_000) * 1.0]),
        np.column_stack([np.where(rng.random(2_000) < 0.2, np.inf, rng.normal(size=2_000)),
                         np.where(rng.random(2_000) < 0.2, np.nan, rng.normal(size=2_000) * 1e300),
                         np.full(2_000, np.nan), np.r_[np.full(1_999, -np.inf), 7.0], rng.normal(size=2_000)]),
    ]
    for figures in cases:
        for base in (np.zeros(5), np.array([1.0, 4.0, 1.0, 3.25, 1.0])):
            keys = _order_key(figures, base)
            finite = np.isfinite(figures)
            exact = np.all((keys.astype(np.float64) + base == figures) | ~finite, axis=0)
            reading = _KeyPercentiles(keys, base, exact)
            got = reading.finish(figures[reading.rows])
            for i in range(figures.shape[1]):
                values = figures[finite[:, i], i]
                want = [None] * 3 if values.size == 0 else [float(v) for v in np.percentile(values, [10, 50, 90])]
                assert got[i] == want, (i, base)
            # near the figures, few samples are read again; from 0, all of `collide` (one key), and beyond float32's
            # range (1e300) all share the clipped key: slow, still exact
            if base[0] and figures is cases[0]:
                assert reading.rows.size < 200
    # the collisions are real: four float64 values share one key, and they are told apart by the figures
    assert np.unique(_order_key(collide)).size == 1 and np.unique(collide).size == 4
    # measured from 4, the noisy figures are base + key exactly
    assert np.array_equal(_order_key(noisy, 4.0).astype(np.float64) + 4.0, noisy)


def test_histogram_percentiles_without_a_flat_copy_are_numpys(monkeypatch):
    from buildorbuy.analysis.montecarlo import _flat_percentiles

    monkeypatch.setattr(montecarlo, "PERCENTILE_BLOCK", 512)
    rng = np.random.default_rng(2)
    for rows, paths in ((5_000, 3), (1_201, 51), (40_000, 1)):
        for values in (rng.normal(size=(rows, paths)) * 1e6, rng.integers(-3, 3, (rows, paths)).astype(float),
                       np.round(rng.lognormal(12, 1, (rows, paths)), 2)):
            for q in ([0.5, 99.5], [0.0, 100.0], [1.0, 99.0, 99.99]):
                assert _flat_percentiles(values, q).tobytes() == np.percentile(values, q).tobytes()
