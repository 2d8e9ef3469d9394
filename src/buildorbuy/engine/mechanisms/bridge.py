"""The bridge api path serves a path's traffic before go-live and after a failure: its fees; after a
failure also its staff (the company is then an api shop of the bridge)."""

from __future__ import annotations

import numpy as np

from buildorbuy.engine.context import Context, Costs, PathContext, UntilLive, gathered, pick


def bridge_fees(ctx: Context, path: PathContext, bridge_fees_full: np.ndarray, bridge_prefix: str | None = None) -> Costs:
    """bridge_fees[m] = bridge_api_cost[m]·fallback_weight[m] (the bridge's per-token fees, not its
    staff), plus the bridge's fixed fees in the months it carries this path's tokens (DESIGN §2b):
    fixed_fee_per_month·fallback_weight[m], setup_fee in the first such month.

    fallback_weight = 1 before go-live, 1 − p after it; `bridge_fees_full` is the bridge path's
    per-token fees at full traffic ([batch or 1, month]); `bridge_prefix` its parameter prefix.
    """
    from buildorbuy.engine.mechanisms.api_fees import fixed_fees, has_fixed_fees

    has_fixed = bridge_prefix is not None and has_fixed_fees(ctx, bridge_prefix)
    fixed = fixed_fees(ctx, bridge_prefix, path.fallback_weight) if has_fixed else None

    def full() -> np.ndarray:
        if path.certain:
            return bridge_fees_full * path.fallback_weight
        # the same figures without a [batch, month] weight array: full fees, × (1 − p) from go-live
        fees = np.empty(np.broadcast_shapes(bridge_fees_full.shape, path.is_live.shape, path.p_success.shape))
        fees[...] = bridge_fees_full
        np.multiply(fees, 1.0 - path.p_success, out=fees, where=path.is_live)
        return fees

    if fixed is not None:
        return {"bridge_fees": full() + fixed}
    live = path.live
    if live.shape[0] > 1 and path.is_live.shape[0] == live.shape[0] and not np.isnan(live).any():
        first_live = int(min(ctx.horizon, max(0.0, float(np.max(np.ceil(live))))))  # months ≥ this are live in every row
        return {"bridge_fees": UntilLive(full, bridge_fees_full, ~path.is_live[:, :first_live],
                                         None if path.certain else path.p_success, first_live)}
    return {"bridge_fees": full()}


def unserved_tokens(ctx: Context, path: PathContext) -> np.ndarray:
    """Without a bridge: unserved[m] = T[m]·fallback_weight[m] tokens, [batch or 1, month].

    A weight that is 0 in every month (an api path live from month 0 with p = 1: the usual bridge
    itself) leaves nothing unserved: one zero row, not a [batch, month] product of zeros."""
    weight = path.fallback_weight
    if weight.shape[0] == 1 and not np.any(weight):
        return np.zeros((1, ctx.horizon))
    return ctx.tokens * weight


def bridge_staff(ctx: Context, path: PathContext, bridge_staff_full: np.ndarray | float) -> Costs:
    """bridge_staff[m] = bridge_staff_full[m]·(1 − p)·live[m]: after a failure (known at the planned
    go-live) the path's traffic stays on the bridge for the rest of the horizon, and a company whose
    own model failed is an api shop that pays the bridge path's operating staff (DESIGN §2).

    `bridge_staff_full` is the bridge path's staff lines exactly as that path computes them
    (`staff.staff_lines`: count·annual_cost/12·salary growth, each line's start/end months, in the
    scenario's months: the bridge starts in month 0), [batch or 1, month]; 0.0 when it has none.
    Before go-live the bridge carries the traffic as a supplier (its fees, `bridge_fees`), not its
    staff: those months are not charged. Nothing when p = 1 for the whole batch."""
    if path.certain or not np.any(bridge_staff_full):
        return {}
    rows = path.rows if np.shape(bridge_staff_full)[0] == 1 else None  # then it depends on the batch through (live, p)
    is_live, p = path.is_live, path.p_success
    if rows is not None:
        is_live, p = pick(is_live, rows[0]), pick(p, rows[0])
    weighted = np.zeros(np.broadcast_shapes(np.shape(bridge_staff_full), is_live.shape, p.shape))
    np.multiply(bridge_staff_full, 1.0 - p, out=weighted, where=is_live)
    return {"bridge_staff": gathered(weighted, rows)}
