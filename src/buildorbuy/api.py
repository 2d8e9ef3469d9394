"""The scripting API's entry points that take a scenario rather than a compiled plan."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from buildorbuy.engine.core import Result
from buildorbuy.engine.core import evaluate as _evaluate
from buildorbuy.engine.plan import compile_plan
from buildorbuy.scenario.models import Scenario


def evaluate(scenario: Scenario, batch: Mapping[str, np.ndarray | float] | None = None) -> Result:
    """Evaluate a scenario on a batch of parameter values (dotted keys → [batch] arrays).

    `evaluate(scenario)` is a batch of one. Keys are the dotted field paths `--set` uses, with
    list indexes: `workload.tokens_per_month`, `paths[1].serving.gpu_hour_price`.
    """
    return _evaluate(compile_plan(scenario), dict(batch or {}))
