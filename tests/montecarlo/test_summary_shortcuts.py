"""The summary's shortcuts give numpy's own figures, and a scenario with nothing drawn is evaluated once.

Each shortcut is checked against the plain numpy computation it replaces, on data that exercises its
edge cases (ties, whole numbers, NaN, infinities, signed zeros, constant columns).
"""

from __future__ import annotations

import json

import numpy as np
from helpers import api_vs_rent
from hypothesis import given, settings
from hypothesis import strategies as st

from buildorbuy import simulate
from buildorbuy.analysis import montecarlo
from buildorbuy.analysis.montecarlo import CHUNK_SIZE, _cheapest_by_year, _flat_percentiles, _sorted_percentiles
from buildorbuy.analysis.sampling import rankdata, ranks_and_order
from buildorbuy.scenario.loading import scenario_from_dict


def _argmin_by_year(cumulative: np.ndarray, recommendable: np.ndarray) -> np.ndarray:
    """The plain form: argmin over the paths, none (n_paths) where the minimum is not finite."""
    ranked = np.where(recommendable[:, :, None], cumulative, np.inf)
    best = np.argmin(ranked, axis=1)
    best[~np.isfinite(np.min(ranked, axis=1))] = cumulative.shape[1]
    return best


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 5), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_cheapest_by_year_is_argmin_over_the_recommendable_paths(n, paths, years, seed):
    rng = np.random.default_rng(seed)
    cumulative = rng.integers(0, 4, (n, paths, years)).astype(float)  # many ties
    special = rng.random(cumulative.shape)
    cumulative[special < 0.05] = np.nan
    cumulative[(special >= 0.05) & (special < 0.1)] = np.inf
    cumulative[(special >= 0.1) & (special < 0.12)] = -np.inf
    recommendable = rng.random((n, paths)) < 0.7
    with np.errstate(invalid="ignore"):
        want = _argmin_by_year(cumulative, recommendable)
    assert np.array_equal(_cheapest_by_year(cumulative, recommendable), want)


def _old_rankdata(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], values.shape[0]]
    ranks = np.empty(values.shape[0])
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def test_ranks_and_order_give_numpys_percentiles_and_average_ranks():
    rng = np.random.default_rng(11)
    columns = [
        rng.normal(size=5_001),  # continuous: no ties
        np.round(rng.normal(size=5_000), 1),  # many ties
        rng.integers(0, 7, 4_000).astype(float),  # whole numbers: ranked by counting
        (rng.random(3_000) < 0.3).astype(float),  # an outcome
        np.where(rng.random(3_000) < 0.01, np.nan, rng.normal(size=3_000)),  # NaN: np.percentile's NaN
        np.r_[np.zeros(10), -np.zeros(10), rng.normal(size=30)],  # signed zeros
        np.full(100, 2.5),
        np.array([7.0]),
    ]
    for values in columns:
        ranks, order_statistic = ranks_and_order(values)
        if not np.isnan(values).any():
            assert np.array_equal(ranks, _old_rankdata(values))
            assert np.array_equal(rankdata(values), ranks)
        got = _sorted_percentiles(order_statistic, values.size, (10, 50, 90))
        with np.errstate(invalid="ignore"):
            want = np.percentile(values, [10, 50, 90])
        if got is None:  # NaN or a zero read: left to np.percentile
            assert np.isnan(want).any() or 0.0 in want
        else:
            assert np.asarray(got).tobytes() == want.tobytes()


def test_drivers_input_percentiles_are_numpys_on_the_drawn_columns():
    scenario = scenario_from_dict(api_vs_rent(**{
        "paths[Rented].serving.gpu_hour_price": {"dist": "lognormal", "p10": 0.7, "p90": 1.6},
        "paths[Rented].lead_time_months": {"dist": "choice", "values": [1, 2, 4], "weights": [0.2, 0.5, 0.3]},
        "workload.growth_per_month": {"dist": "uniform", "low": 0.0, "high": 0.05},
    }))
    sim = simulate(scenario, 3_001, 4)
    assert sim.drivers  # the inputs' percentiles came from the drivers' sort
    sampler = montecarlo._sampler(scenario, montecarlo.compile_plan(scenario))
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(4).spawn(1)[0]))  # the one chunk's stream
    columns = sampler.draw(rng, 3_001).columns
    for j, item in enumerate(sim.inputs):
        want = np.percentile(columns[:, j], [10, 50, 90])
        assert np.asarray([item["p10"], item["p50"], item["p90"]]).tobytes() == want.tobytes(), item["field"]


def test_flat_percentiles_of_constant_broadcast_and_tied_values_are_numpys(monkeypatch):
    monkeypatch.setattr(montecarlo, "PERCENTILE_BLOCK", 256)
    rng = np.random.default_rng(3)
    for values in (np.broadcast_to(np.array([3.0, -1.5, 8.0]), (4_000, 3)), np.full((3_000, 2), 1e6),
                   rng.integers(0, 2, (5_000, 3)).astype(float), np.sort(rng.normal(size=(6_000, 1)), axis=0),
                   np.sort(rng.normal(size=(6_000, 1)), axis=0)[::-1]):
        for q in ([0.5, 99.5], [2.0, 97.0]):
            assert _flat_percentiles(values, q).tobytes() == np.percentile(values, q).tobytes()


def _fixed():
    data = api_vs_rent()
    data["paths"][1]["success_probability"] = 1.0
    return scenario_from_dict(data)


def test_nothing_drawn_is_evaluated_once_with_the_sample_by_sample_figures(monkeypatch):
    scenario = _fixed()
    n = 2 * CHUNK_SIZE + 17
    calls = []
    evaluate = montecarlo.evaluate
    monkeypatch.setattr(montecarlo, "evaluate", lambda *a, **k: calls.append(1) or evaluate(*a, **k))
    once = simulate(scenario, n, 5)
    assert len(calls) == 1
    assert once.warnings[-1].key == "evaluated_once" and f"{n:,}" in once.warnings[-1]
    assert once.npv.strides[0] == 0  # one row, repeated: no memory per sample
    monkeypatch.setattr(montecarlo, "_simulate_once", lambda *a: None)  # sample by sample
    full = simulate(scenario, n, 5)
    assert len(calls) > 3
    assert np.array_equal(once.npv, full.npv) and np.array_equal(once.recommendable, full.recommendable)
    a, b = once.to_dict(), full.to_dict()
    assert a.pop("warnings")[:-1] == b.pop("warnings")
    assert json.dumps(a) == json.dumps(b)
    assert a["paths"][0]["npv_p10"] == a["paths"][0]["npv_p90"]


def test_a_drawn_outcome_is_not_evaluated_once():
    data = api_vs_rent()
    data["paths"][1]["success_probability"] = 0.9
    sim = simulate(scenario_from_dict(data), 2_000, 1)
    assert sim.paths[1].success_rate is not None and sim.npv.strides[0] != 0
    assert not any(getattr(w, "key", None) == "evaluated_once" for w in sim.warnings)


def test_one_thread_on_a_busy_machine_and_the_same_figures_either_way(monkeypatch):
    monkeypatch.setattr(montecarlo, "WORKERS", 2)
    monkeypatch.setattr(montecarlo.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(montecarlo.os, "getloadavg", lambda: (0.4, 0.4, 0.4))
    assert montecarlo.threads(10) == 2 and montecarlo.threads(1) == 1
    scenario = scenario_from_dict(api_vs_rent(**{
        "paths[Rented].serving.gpu_hour_price": {"dist": "lognormal", "p10": 0.7, "p90": 1.6},
        "paths[Rented].success_probability": {"dist": "uniform", "low": 0.6, "high": 0.9},
    }))
    idle = simulate(scenario, 2 * CHUNK_SIZE + 5, 2)
    monkeypatch.setattr(montecarlo.os, "getloadavg", lambda: (1.6, 1.0, 1.0))
    assert montecarlo.threads(10) == 1
    busy = simulate(scenario, 2 * CHUNK_SIZE + 5, 2)
    assert json.dumps(idle.to_dict()) == json.dumps(busy.to_dict()) and np.array_equal(idle.npv, busy.npv)
