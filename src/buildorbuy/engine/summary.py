"""Decisions drawn from engine results, vectorised over the batch: winners and break-even months."""

from __future__ import annotations

import numpy as np

from buildorbuy.engine.core import Result

NO_WINNER = -1


def ranked_npv(result: Result) -> np.ndarray:
    """NPV with paths that cannot be recommended (infeasible or leaving traffic unserved) set to +inf."""
    return np.where(result.recommendable, result.npv, np.inf)


def winner_and_runner_up(result: Result) -> tuple[np.ndarray, np.ndarray]:
    """Indexes of the cheapest and second-cheapest recommendable paths by NPV, [batch] each (-1: none)."""
    ranked = ranked_npv(result)
    order = np.argsort(ranked, axis=-1, kind="stable")
    sorted_npv = np.take_along_axis(ranked, order, axis=-1)
    winner = np.where(np.isfinite(sorted_npv[:, 0]), order[:, 0], NO_WINNER)
    if ranked.shape[1] > 1:
        runner = np.where(np.isfinite(sorted_npv[:, 1]), order[:, 1], NO_WINNER)
    else:
        runner = np.full(ranked.shape[0], NO_WINNER)
    return winner, runner


def breakeven_months(result: Result) -> np.ndarray:
    """[batch, a, b]: first month from which a's cumulative cost stays ≤ b's to the end (-1: never).

    Undiscounted, before the final residual credit (DESIGN §2). A pair where either path goes live
    only at or after the horizon has no break-even (-1): a path that never serves has nothing to break
    even with (its cumulative cost, preparation only, would be "below" the other's from month 0).
    """
    cum = result.cumulative_before_residual
    diff = cum[:, :, None, :] - cum[:, None, :, :]
    scale = np.maximum(np.abs(cum).max(axis=-1), 1.0)
    at_or_below = diff <= 1e-9 * scale[:, :, None, None]
    holds_to_end = np.flip(np.logical_and.accumulate(np.flip(at_or_below, axis=-1), axis=-1), axis=-1)
    any_month = holds_to_end.any(axis=-1)
    first = np.argmax(holds_to_end, axis=-1)
    never_live = result.live_month >= cum.shape[-1]  # [batch, path]
    serves = ~(never_live[:, :, None] | never_live[:, None, :])
    return np.where(any_month & serves, first, -1)
