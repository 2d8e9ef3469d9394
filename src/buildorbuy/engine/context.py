"""What every cost mechanism reads: the month grid, the workload and the parameters (Context), and
one path's identity, go-live and success weights (PathContext).

Shapes: parameters are [batch] arrays of length 1 (the same for the whole batch) or of the batch
size; `Context.col` turns one into a column that broadcasts over months. Month arrays are
[batch or 1, month]: a quantity nothing in the batch varies stays at one row.

A mechanism returns `Costs`: component name → [batch or 1, month] array, or `OneMonth` for a cost
that falls in a single month (kept out of the full arrays). The composer adds them up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import numpy as np

from buildorbuy.engine.plan import Params, PathPlan, Plan
from buildorbuy.scenario.models import MONTH_HOURS

SECONDS_PER_MONTH = MONTH_HOURS * 3600.0


@dataclass(frozen=True)
class OneMonth:
    """A cost that falls in one month only: `values` ([batch] or [1]) in month `month`."""

    month: int
    values: np.ndarray


Costs = dict[str, Union[np.ndarray, OneMonth]]
"""A mechanism's output: component name (engine.core.COMPONENTS) → [batch or 1, month] or OneMonth."""


@dataclass
class Context:
    """The month grid and the workload shared by every path, [batch or 1, month] arrays.

    tokens T[m]; output O = T·output_share; input I = T − O; cached input C = I·cached_input_share;
    peak load T / (730·3600) · peak_to_average tokens/s.
    """

    params: Params
    size: int
    """Batch size."""
    horizon: int
    months: np.ndarray
    """Month numbers 0 … horizon−1 as floats, [month]."""
    years: np.ndarray
    """m / 12, [1, month]."""
    tokens: np.ndarray
    inputs: np.ndarray
    cached: np.ndarray
    output: np.ndarray
    peak_tokens_per_second: np.ndarray

    def col(self, key: str) -> np.ndarray:
        """A parameter as a column ([1, 1] or [batch, 1]) to broadcast over months."""
        return self.params[key][:, None]


def workload_context(plan: Plan, params: Params, size: int) -> Context:
    """T[m] = tokens_per_month·(1 + growth_per_month)^m (or the schedule); O, I, C and the peak from it."""
    horizon = plan.horizon
    months = np.arange(horizon, dtype=float)
    col = lambda key: params[key][:, None]  # noqa: E731
    if plan.scenario.workload.schedule is not None:
        tokens = np.stack(np.broadcast_arrays(*(params[f"workload.schedule[{m}]"] for m in range(horizon))), axis=1)
    else:
        tokens = col("workload.tokens_per_month") * (1.0 + col("workload.growth_per_month")) ** months[None, :]
    output = tokens * col("workload.output_share")
    inputs = tokens - output
    cached = inputs * col("workload.cached_input_share")
    peak = tokens / SECONDS_PER_MONTH * col("workload.peak_to_average")
    return Context(params, size, horizon, months, months[None, :] / 12.0, tokens, inputs, cached, output, peak)


@dataclass
class PathContext:
    """One path as the mechanisms see it: its parameter keys, success probability and go-live.

    With success probability p (failure known at go-live), flows after go-live that need success
    are weighted by `success_weight` = p·live[m]; traffic left to the bridge by `fallback_weight`
    = (1 − live[m]) + (1 − p)·live[m]. `certain` (p = 1 for the whole batch) skips the products.
    """

    plan: PathPlan
    prefix: str
    p_success: np.ndarray
    """[batch or 1, 1]."""
    certain: bool
    live: np.ndarray | None = None
    """Go-live month, [batch or 1] (set once known)."""
    is_live: np.ndarray | None = None
    """live ≤ m, [batch or 1, month] bool."""
    success_weight: np.ndarray | None = None
    fallback_weight: np.ndarray | None = None

    @property
    def index(self) -> int:
        return self.plan.index

    def key(self, name: str) -> str:
        """The parameter key of this path's field `name` (e.g. 'serving.gpu_hour_price')."""
        return self.prefix + name

    def on_success(self, values: np.ndarray) -> np.ndarray:
        """Weight a flow that happens only if the path succeeds (no copy when p = 1)."""
        return values if self.certain else values * self.p_success

    def go_live(self, ctx: Context, live: np.ndarray) -> None:
        """Record the go-live month and the success/fallback weights that follow from it."""
        self.live = live
        self.is_live = ctx.months[None, :] >= live[:, None]
        if self.certain:
            self.fallback_weight, self.success_weight = ~self.is_live, self.is_live
        else:
            self.fallback_weight = ~self.is_live + (1.0 - self.p_success) * self.is_live
            self.success_weight = self.p_success * self.is_live


def path_context(ctx: Context, path: PathPlan) -> PathContext:
    prefix = f"paths[{path.index}]."
    p_success = ctx.col(prefix + "success_probability")
    certain = p_success.shape[0] == 1 and p_success[0, 0] == 1.0
    return PathContext(path, prefix, p_success, certain)


def refresh_events(months: np.ndarray, live: np.ndarray, every: np.ndarray | None) -> np.ndarray | None:
    """Refresh months: go-live + k·every for k ≥ 1, as a [batch, month] mask (None: no refreshes)."""
    if every is None:
        return None
    horizon = months.shape[0]
    since = np.clip(np.arange(horizon)[None, :] - live.astype(np.int64)[:, None], -horizon, horizon)
    period = np.maximum(np.round(every), 1.0).astype(np.int64)
    if period.shape[0] == 1:
        steps = np.arange(-horizon, horizon + 1)
        table = (steps > 0) & (steps % period[0] == 0)
        return table[since + horizon]
    return (since > 0) & (since % period[:, None] == 0)
