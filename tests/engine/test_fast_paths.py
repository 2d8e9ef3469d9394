"""The engine's shortcuts for Monte Carlo slices give exactly the general path's figures.

`evaluate(..., workspace=...)` reuses buffers across calls; the results must be bit-for-bit those of
a call without it, whatever the sequence of batch sizes (buffers grow and shrink) and scenarios.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildorbuy.analysis.montecarlo import _sampler
from buildorbuy.engine.core import Workspace, evaluate
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


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_workspace_gives_the_same_figures_on_every_bundled_scenario(path):
    scenario = load_scenario(path)
    plan = compile_plan(scenario)
    workspace = Workspace()
    rng = np.random.default_rng(3)
    discount = plan.base["discount_rate"]
    for size in (5, 64, 17, 64, 1):  # grow, shrink, grow back: views of one buffer
        batch = {"discount_rate": discount * rng.uniform(0.5, 1.5, size)}
        if scenario._distributions:
            batch = _sampler(scenario, plan).draw(rng, size).batch
        expected = evaluate(plan, batch, keep_components=False)
        got = evaluate(plan, batch, keep_components=False, workspace=workspace)
        _assert_same(got, expected)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 300), min_size=1, max_size=4), st.integers(0, 2**32 - 1))
def test_workspace_over_random_slices_of_the_uncertain_scenario(sizes, seed):
    workspace = Workspace()
    for k, size in enumerate(sizes):
        plan, batch = _uncertain_batch("uncertain-enterprise.yaml", size, seed + k)
        _assert_same(evaluate(plan, batch, keep_components=False, workspace=workspace),
                     evaluate(plan, batch, keep_components=False))


def test_a_result_from_a_workspace_is_a_view_until_the_next_call():
    # documented behaviour: the next call with the same workspace reuses the buffers
    plan, batch = _uncertain_batch("uncertain-enterprise.yaml", 50, 1)
    workspace = Workspace()
    first = evaluate(plan, batch, keep_components=False, workspace=workspace)
    kept = first.monthly_cost.copy()
    evaluate(plan, {key: value[::-1].copy() for key, value in batch.items()}, keep_components=False, workspace=workspace)
    assert not np.array_equal(first.monthly_cost, kept)


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
