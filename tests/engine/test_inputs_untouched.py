"""The engine never writes into the batch it is given (simulate passes views of its kept inputs)."""

from __future__ import annotations

import numpy as np

from buildorbuy.analysis.montecarlo import _sampler
from buildorbuy.engine.core import evaluate
from buildorbuy.engine.plan import compile_plan
from buildorbuy.scenario.loading import load_scenario
from tests.conftest import REPO


def test_evaluate_leaves_its_batch_arrays_unchanged():
    for name in ("uncertain-enterprise.yaml", "hybrid-router.yaml", "enterprise-support-reserved.yaml"):
        scenario = load_scenario(REPO / "scenarios" / name)
        plan = compile_plan(scenario)
        draws = _sampler(scenario, plan).draw(np.random.default_rng(1), 500)
        batch = draws.batch or {"discount_rate": np.full(500, 0.08)}
        before = {key: value.copy() for key, value in batch.items()}
        columns = draws.columns.copy()
        for keep in (True, False):
            evaluate(plan, batch, keep_components=keep)
        assert all(np.array_equal(batch[key], before[key]) for key in batch), name
        assert np.array_equal(draws.columns, columns), name
