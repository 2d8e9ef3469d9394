"""Data costs: a one-off purchase in month 0 and a per-refresh cost (DESIGN §2)."""

from __future__ import annotations

import numpy as np

from buildorbuy.engine.context import Context, Costs, OneMonth, PathContext, as_float, gathered, pick


def refresh_data(ctx: Context, path: PathContext, refreshes: np.ndarray | None, refreshes_follow_live: bool = False,
                 groups: tuple[np.ndarray, np.ndarray] | None = None) -> Costs:
    """data[m] = p · per_refresh in each refresh month (`refreshes`: the compute run's mask, or None;
    `refreshes_follow_live`: the mask depends on the batch through the path's go-live month only;
    `groups`: or through the groups of `distinct_rows` given, of which p is one column)."""
    if refreshes is None or not refreshes.any():
        return {}
    per_refresh = ctx.col(path.key("data.per_refresh"))
    p = path.p_success
    if groups is None and refreshes_follow_live:
        groups = path.rows
    rows = groups if per_refresh.shape[0] == 1 and refreshes.shape[0] > 1 else None
    if rows is not None:  # the costs depend on the batch through (go-live, p) only: once per group
        refreshes, p = refreshes[rows[0]], pick(p, rows[0])
    costs = as_float(refreshes)
    per_refresh = per_refresh * p
    if costs.shape == np.broadcast_shapes(costs.shape, per_refresh.shape):
        costs *= per_refresh
    else:
        costs = costs * per_refresh
    return {"data": gathered(costs, rows)}


def one_off_data(ctx: Context, path: PathContext) -> Costs:
    """data[s] = one_off in the path's start month s (month 0 unless start_month is set; paid whatever
    the outcome; nothing when s is past the horizon), kept as a single-month cost when s is the same
    for the whole batch."""
    one_off = ctx.params[path.key("data.one_off")]
    if not np.any(one_off != 0):
        return {}
    start = ctx.params.get(path.key("start_month"))
    if start is None or (start.shape[0] == 1 and start[0] == 0):
        return {"data": OneMonth(0, one_off)}
    start = np.round(start)
    if start.shape[0] == 1:
        return {"data": OneMonth(int(start[0]), one_off)} if start[0] < ctx.horizon else {}
    return {"data": (ctx.months[None, :] == start[:, None]) * one_off[:, None]}
