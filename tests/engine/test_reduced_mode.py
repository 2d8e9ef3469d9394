"""simulate's reduced mode (`evaluate(…, keep_components=False, year_ends=…)`) gives the full mode's figures.

The reduced mode reduces each cost straight to NPV, total and the cumulative costs at year-ends (one
matrix product per cost, per group for grouped terms) instead of summing monthly totals first: the
same terms summed in another order, so equal to 1e-12 relative, not bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildorbuy.analysis.montecarlo import _sampler
from buildorbuy.engine.core import evaluate
from buildorbuy.engine.ledger import reduce_rows
from buildorbuy.engine.plan import compile_plan
from buildorbuy.errors import ScenarioError
from buildorbuy import scenario_from_dict
from buildorbuy.scenario.loading import load_scenario
from tests.conftest import SCENARIOS

TOLERANCE = 1e-12


def _year_ends(horizon: int) -> list[int]:
    ends = list(range(11, horizon, 12))
    if not ends or ends[-1] != horizon - 1:
        ends.append(horizon - 1)
    return ends


def _close(got: np.ndarray, expected: np.ndarray, scale: np.ndarray, what: str) -> None:
    """|got − expected| ≤ 1e-12 × (|expected| + scale) elementwise; NaN where and only where expected."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=what)
    ok = ~np.isnan(expected)
    bound = TOLERANCE * (np.abs(expected) + scale)
    assert np.all(np.abs(got - expected)[ok] <= bound[ok]), f"{what}: {np.max((np.abs(got - expected) / bound)[ok]):.3g}× the tolerance"


def _compare_modes(plan, batch) -> None:
    ends = _year_ends(plan.horizon)
    full = evaluate(plan, batch, keep_components=True)
    reduced = evaluate(plan, batch, keep_components=False, year_ends=ends)
    rate = np.atleast_1d(np.asarray(batch.get("discount_rate", plan.base["discount_rate"])))
    if np.all(rate == rate[0]):
        assert reduced.monthly_cost is None  # the reduced mode ran: no monthly totals formed
    scale = np.abs(full.monthly_cost).sum(axis=-1)  # [batch, path]: the size of the terms summed
    cumulative = np.cumsum(full.monthly_cost, axis=-1)[..., ends]
    _close(reduced.year_end_costs, cumulative, scale[..., None], "year_end_costs")
    for name in ("npv", "total_cost", "capex", "opex"):
        _close(getattr(reduced, name), getattr(full, name), scale, name)
    for name in ("cost_per_million_tokens", "levelised_cost_per_million_tokens"):
        expected = getattr(full, name)
        _close(getattr(reduced, name), expected, np.where(np.isfinite(expected), np.abs(expected), 0.0), name)
    for name in ("residual_credit", "live_month", "recommendable", "unserved_total", "feasible"):
        np.testing.assert_array_equal(getattr(reduced, name), getattr(full, name), err_msg=name)
    assert reduced.warnings == full.warnings


def _sampled_batch(path, size: int, seed: int):
    scenario = load_scenario(path)
    plan = compile_plan(scenario)
    rng = np.random.default_rng(seed)
    if scenario._distributions:
        return plan, _sampler(scenario, plan).draw(rng, size).batch
    batch = {}  # vary go-live and the outcome of every path as simulate would
    for i in range(len(plan.paths)):
        if f"paths[{i}].lead_time_months" in plan.base:
            batch[f"paths[{i}].lead_time_months"] = rng.choice([0.0, 2.0, 3.0, 7.0, 99.0], size)
            batch[f"paths[{i}].success_probability"] = rng.choice([0.0, 1.0, 0.5], size)
    return plan, batch


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_reduced_mode_equals_the_full_mode_on_every_bundled_scenario(path):
    plan = compile_plan(load_scenario(path))
    _compare_modes(plan, {})  # compare's batch of one
    plan, batch = _sampled_batch(path, 700, 3)  # ≥ GROUPED_BATCH: grouped terms reduced per group
    _compare_modes(plan, batch)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 700), st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.3, 1.0]),
       st.sampled_from(["uncertain-enterprise.yaml", "enterprise-support-reserved.yaml", "hybrid-router.yaml"]))
def test_reduced_mode_equals_the_full_mode_on_random_batches(size, seed, spread, name):
    # outcomes drawn (0/1) or fractional; go-live months from a few values to one per row, past the horizon too
    plan, batch = _sampled_batch(next(p for p in SCENARIOS if p.name == name), size, seed)
    rng = np.random.default_rng(seed)
    if spread:
        for j in range(len(plan.paths)):
            if f"paths[{j}].lead_time_months" not in plan.base:
                continue
            p = batch.get(f"paths[{j}].success_probability", np.full(size, plan.base[f"paths[{j}].success_probability"]))
            lead = batch.get(f"paths[{j}].lead_time_months", np.full(size, plan.base[f"paths[{j}].lead_time_months"]))
            batch[f"paths[{j}].success_probability"] = np.where(rng.random(size) < spread, rng.random(size), p)
            batch[f"paths[{j}].lead_time_months"] = np.where(rng.random(size) < spread, rng.integers(0, 70, size) * 1.0, lead)
    _compare_modes(plan, batch)


def test_a_discount_rate_varying_over_the_batch_keeps_the_monthly_totals():
    path = next(p for p in SCENARIOS if p.name == "uncertain-enterprise.yaml")
    plan, batch = _sampled_batch(path, 300, 5)
    batch["discount_rate"] = np.linspace(0.0, 0.2, 300)
    ends = _year_ends(plan.horizon)
    reduced = evaluate(plan, batch, keep_components=False, year_ends=ends)
    full = evaluate(plan, batch, keep_components=False)
    assert reduced.monthly_cost is not None
    starts = [0] + [end + 1 for end in ends[:-1]]
    np.testing.assert_array_equal(reduced.year_end_costs, np.cumsum(np.add.reduceat(full.monthly_cost, starts, axis=-1), axis=-1))
    np.testing.assert_array_equal(reduced.npv, full.npv)
    _compare_modes(plan, batch)


def _huge_api(price_per_1k: float):
    """An api path at `price_per_1k` per 1k tokens on 1e12 tokens a month growing 100 %/yr, over 24 months."""
    return compile_plan(scenario_from_dict({
        "version": 1, "name": "huge", "currency": "USD", "start": "2026-01", "horizon_months": 24, "discount_rate": 0.05,
        "workload": {"tokens_per_month": 1e12, "growth_per_year": 1.0, "output_share": 0.2},
        "paths": [{"name": "api", "kind": "api", "price_per_1k_input": price_per_1k, "price_per_1k_output": price_per_1k}],
    }))


def test_the_monthly_cost_bound_is_decided_on_the_monthly_totals():
    # a month above MAX_MONTHLY_COST: the same error in both modes
    plan = _huge_api(1e13)
    with pytest.raises(ScenarioError) as full:
        evaluate(plan, {"discount_rate": np.full(300, 0.05)}, keep_components=False)
    with pytest.raises(ScenarioError) as reduced:
        evaluate(plan, {"discount_rate": np.full(300, 0.05)}, keep_components=False, year_ends=[11, 23])
    assert str(reduced.value) == str(full.value)
    assert "beyond any real budget" in str(full.value)


def test_a_total_above_the_bound_with_every_month_below_it_is_no_error():
    # the reduced mode cannot tell from the total: it evaluates again with the monthly totals
    plan = _huge_api(1e11)
    batch = {"discount_rate": np.full(300, 0.05)}
    full = evaluate(plan, batch, keep_components=False)
    monthly_max = float(full.monthly_cost.max())
    assert monthly_max < 1e21 < float(full.total_cost.max())
    reduced = evaluate(plan, batch, keep_components=False, year_ends=[11, 23])
    assert reduced.monthly_cost is not None
    np.testing.assert_array_equal(reduced.npv, full.npv)


@pytest.mark.parametrize("rows, months, columns", [(1, 60, 7), (5_000, 60, 7), (700, 600, 52), (3, 1, 3), (0, 12, 3)])
def test_reduce_rows_is_the_matrix_product(rows, months, columns):
    rng = np.random.default_rng(rows + months)
    values, matrix = rng.random((rows, months)), rng.random((months, columns))
    got = reduce_rows(values, matrix)
    expected = np.einsum("bm,mk->bk", values, matrix)
    assert got.shape == (rows, columns)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0.0)
