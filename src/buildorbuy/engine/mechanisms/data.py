"""Data costs: a one-off purchase in month 0 and a per-refresh cost (DESIGN §2)."""

from __future__ import annotations

import numpy as np

from buildorbuy.engine.context import Context, Costs, OneMonth, PathContext


def refresh_data(ctx: Context, path: PathContext, refreshes: np.ndarray | None) -> Costs:
    """data[m] = p · per_refresh in each refresh month (`refreshes`: the compute run's mask, or None)."""
    if refreshes is None or not refreshes.any():
        return {}
    return {"data": refreshes * (ctx.col(path.key("data.per_refresh")) * path.p_success)}


def one_off_data(ctx: Context, path: PathContext) -> Costs:
    """data[0] = one_off (paid whatever the outcome), kept as a single-month cost."""
    one_off = ctx.params[path.key("data.one_off")]
    return {"data": OneMonth(0, one_off)} if np.any(one_off != 0) else {}
