"""Any one parameter may vary over the batch on its own (what-if and break-even batches move one key at a time)."""

from __future__ import annotations

import numpy as np
import pytest

from buildorbuy.engine.core import evaluate, resolve_params
from buildorbuy.engine.plan import compile_plan
from buildorbuy.scenario.loading import load_scenario
from tests.conftest import REPO

SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_each_parameter_alone_over_a_batch_gives_the_base_figures(path):
    plan = compile_plan(load_scenario(path))
    base = evaluate(plan, keep_components=False)
    params, _ = resolve_params(plan)
    differ = set()
    for key in plan.base:
        value = params[key][0]  # the value in force: a derived key (peak_to_average from a daily profile) included
        try:
            result = evaluate(plan, {key: np.full(3, value)}, keep_components=False)
        except ValueError:
            differ.add(key)
            continue
        if not np.allclose(result.npv, np.repeat(base.npv, 3, axis=0), rtol=1e-12, atol=0):
            differ.add(key)
    assert differ == set()
