"""Staff costs (DESIGN §2, staff)."""

from __future__ import annotations

import numpy as np

from buildorbuy.engine.context import Context, Costs, PathContext, compound, gathered, pick


def staff_lines(ctx: Context, prefix: str, staff_count: int) -> np.ndarray | float:
    """Σ_j count_j · annual_cost_j / 12 · (1 + salary_growth_per_year_j)^(m/12) for
    s + start_month_j ≤ m < s + end_month_j (s: the start_month of the path at `prefix`, DESIGN §2b),
    unweighted by any outcome, [batch or 1, month] (0.0 without staff lines)."""
    col = lambda name: ctx.col(prefix + name)  # noqa: E731
    months = ctx.months[None, :]
    shift = ctx.params.get(prefix + "start_month")
    if shift is not None and np.any(shift != 0):
        months = months - np.round(shift)[:, None]
    total = 0.0
    for j in range(staff_count):
        s = f"staff[{j}]."
        active_months = (months >= col(s + "start_month")) & (months < col(s + "end_month"))
        monthly = col(s + "count") * col(s + "annual_cost") / 12.0
        total = total + monthly * compound(col(s + "salary_growth_per_year"), ctx.years) * active_months
    return total


def staff_costs(ctx: Context, path: PathContext, staff_count: int) -> Costs:
    """staff[m] = Σ_j count_j · annual_cost_j / 12 · (1 + salary_growth_per_year_j)^(m/12) for
    s + start_month_j ≤ m < s + end_month_j (s: the path's start_month, DESIGN §2b); after go-live
    weighted by p (a failed path's staff stop)."""
    if not staff_count:
        return {}
    total = staff_lines(ctx, path.prefix, staff_count)
    if path.certain:
        return {"staff": total}
    rows = path.rows if np.shape(total)[0] == 1 else None  # then it depends on the batch through (live, p) only
    is_live, p = path.is_live, path.p_success
    if rows is not None:
        is_live, p = pick(is_live, rows[0]), pick(p, rows[0])
    weighted = np.empty(np.broadcast_shapes(np.shape(total), is_live.shape, p.shape))
    weighted[...] = total
    np.multiply(total, p, out=weighted, where=is_live)
    return {"staff": gathered(weighted, rows)}
