"""The engine's shortcuts for Monte Carlo slices give exactly the general path's figures.

Terms that depend on the batch only through a path's (go-live month, success probability) are
computed once per distinct pair and gathered (`engine.context.distinct_rows`); the results must be
bit-for-bit those of the row-by-row arithmetic, components included.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildorbuy.analysis.montecarlo import _sampler
from buildorbuy.engine.core import evaluate
from buildorbuy.engine.plan import compile_plan
from buildorbuy.scenario.loading import load_scenario
from tests.conftest import SCENARIOS

FIELDS = ("npv", "total_cost", "monthly_cost", "cost_per_million_tokens", "levelised_cost_per_million_tokens",
          "capex", "residual_credit", "opex", "gpus", "live_month", "recommendable", "unserved_total")


def _uncertain_batch(name: str, size: int, seed: int):
    scenario = load_scenario(next(p for p in SCENARIOS if p.name == name))
    plan = compile_plan(scenario)
    return plan, _sampler(scenario, plan).draw(np.random.default_rng(seed), size).batch


def _assert_same(a, b):
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.warnings == b.warnings


def _grouping(monkeypatch, on: bool):
    import buildorbuy.engine.context as context

    monkeypatch.setattr(context, "GROUPED_BATCH", 2 if on else 10**9)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_grouped_terms_give_the_same_figures_on_every_bundled_scenario(path, monkeypatch):
    # terms computed once per (go-live, p) group and gathered == computed row by row
    scenario = load_scenario(path)
    plan = compile_plan(scenario)
    rng = np.random.default_rng(11)
    size = 300
    if scenario._distributions:
        batch = _sampler(scenario, plan).draw(rng, size).batch
    else:  # vary go-live and the outcome of every path as simulate would
        batch = {}
        for i in range(len(plan.paths)):
            if f"paths[{i}].lead_time_months" in plan.base:
                batch[f"paths[{i}].lead_time_months"] = rng.choice([0.0, 2.0, 3.0, 7.0, 99.0], size)
                batch[f"paths[{i}].success_probability"] = rng.choice([0.0, 1.0, 0.5], size)
    _grouping(monkeypatch, False)
    expected = evaluate(plan, batch, keep_components=True)
    _grouping(monkeypatch, True)
    got = evaluate(plan, batch, keep_components=True)
    _assert_same(got, expected)
    for name in expected.components:
        np.testing.assert_array_equal(got.components[name], expected.components[name], err_msg=name)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 400), st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.3, 1.0]))
def test_grouped_terms_over_random_uncertain_batches(size, seed, spread):
    # outcomes drawn (0/1) or fractional; go-live months from few values to one per row
    import buildorbuy.engine.context as context

    plan, batch = _uncertain_batch("uncertain-enterprise.yaml", size, seed)
    rng = np.random.default_rng(seed)
    if spread:
        for j in (1, 2):
            batch[f"paths[{j}].success_probability"] = np.where(rng.random(size) < spread, rng.random(size),
                                                                batch[f"paths[{j}].success_probability"])
            batch[f"paths[{j}].lead_time_months"] = np.where(rng.random(size) < spread, rng.integers(0, 70, size) * 1.0,
                                                             batch[f"paths[{j}].lead_time_months"])
    saved = context.GROUPED_BATCH
    try:
        context.GROUPED_BATCH = 10**9
        expected = evaluate(plan, batch, keep_components=True)
        context.GROUPED_BATCH = 2
        got = evaluate(plan, batch, keep_components=True)
    finally:
        context.GROUPED_BATCH = saved
    _assert_same(got, expected)
    for name in expected.components:
        np.testing.assert_array_equal(got.components[name], expected.components[name], err_msg=name)


def test_distinct_rows_groups_bit_patterns():
    from buildorbuy.engine.context import distinct_rows

    live = np.array([3.0, 5.0, 3.0, 5.0, 0.0, -0.0] * 50)
    p = np.array([1.0, 1.0, 0.0, 1.0, np.nan, np.nan] * 50)
    rows, group = distinct_rows(live, p, most=1.0)
    assert len(rows) == 5  # (3,1) (5,1) (3,0) (0,nan) (−0,nan): −0.0 is not 0.0
    np.testing.assert_array_equal(live[rows][group].view(np.int64), live.view(np.int64))
    np.testing.assert_array_equal(p[rows][group].view(np.int64), p.view(np.int64))
    assert distinct_rows(np.arange(300.0), p) is None  # too many groups
    assert distinct_rows(np.ones(300), np.ones(1)) is None  # nothing varies


def test_the_ledger_writes_a_first_cost_as_if_added_to_zeros():
    # the monthly buffer is not zero-filled: the first [batch, month] cost is written as 0 + cost
    # (−0.0 becomes +0.0 as in 0.0 + −0.0), a path with only shared rows is zeroed at flush
    from buildorbuy.engine.ledger import Ledger

    ledger = Ledger(2, 2, 3, keep_components=False)
    ledger.monthly_by_path[...] = np.nan  # whatever the memory held
    ledger.add(0, {"staff": np.array([[-0.0, 1.0, 2.0], [3.0, -0.0, 5.0]])})
    ledger.add(0, {"data": np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])})
    ledger.add(1, {"staff": np.array([[4.0, 5.0, 6.0]])})  # one row for the batch: shared
    ledger.flush(0)
    ledger.flush(1)
    np.testing.assert_array_equal(ledger.monthly_by_path[0], [[1.0, 2.0, 3.0], [4.0, 1.0, 6.0]])
    np.testing.assert_array_equal(ledger.monthly_by_path[1], [[4.0, 5.0, 6.0], [4.0, 5.0, 6.0]])
    only = Ledger(1, 1, 2, keep_components=False)
    only.add(0, {"staff": np.array([[-0.0, 0.0]])})  # batch of one: a shared row
    only.monthly_by_path[...] = np.nan
    only.flush(0)
    assert not np.signbit(only.monthly_by_path).any() and not np.isnan(only.monthly_by_path).any()
    signed = Ledger(2, 1, 1, keep_components=False)
    signed.add(0, {"staff": np.array([[-0.0], [-0.0]])})
    assert not np.signbit(signed.monthly_by_path).any()
