"""Staff costs (DESIGN §2, staff)."""

from __future__ import annotations

import numpy as np

from buildorbuy.engine.context import Context, Costs, PathContext, compound


def staff_costs(ctx: Context, path: PathContext, staff_count: int) -> Costs:
    """staff[m] = Σ_j count_j · annual_cost_j / 12 · (1 + salary_growth_per_year_j)^(m/12) for
    s + start_month_j ≤ m < s + end_month_j (s: the path's start_month, DESIGN §2b); after go-live
    weighted by p (a failed path's staff stop)."""
    if not staff_count:
        return {}
    col = lambda name: ctx.col(path.key(name))  # noqa: E731
    months = ctx.months[None, :]
    shift = ctx.params.get(path.key("start_month"))
    if shift is not None and np.any(shift != 0):
        months = months - np.round(shift)[:, None]
    total = 0.0
    for j in range(staff_count):
        s = f"staff[{j}]."
        active_months = (months >= col(s + "start_month")) & (months < col(s + "end_month"))
        monthly = col(s + "count") * col(s + "annual_cost") / 12.0
        total = total + monthly * compound(col(s + "salary_growth_per_year"), ctx.years) * active_months
    if path.certain:
        return {"staff": total}
    weighted = np.empty(np.broadcast_shapes(np.shape(total), path.is_live.shape, path.p_success.shape))
    weighted[...] = total
    np.multiply(total, path.p_success, out=weighted, where=path.is_live)
    return {"staff": weighted}
