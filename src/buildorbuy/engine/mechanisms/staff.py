"""Staff costs (DESIGN §2, staff)."""

from __future__ import annotations

import numpy as np

from buildorbuy.engine.context import Context, Costs, PathContext


def staff_costs(ctx: Context, path: PathContext, staff_count: int) -> Costs:
    """staff[m] = Σ_j count_j · annual_cost_j / 12 · (1 + salary_growth_per_year_j)^(m/12) for
    start_month_j ≤ m < end_month_j; after go-live weighted by p (a failed path's staff stop)."""
    if not staff_count:
        return {}
    col = lambda name: ctx.col(path.key(name))  # noqa: E731
    months = ctx.months[None, :]
    total = 0.0
    for j in range(staff_count):
        s = f"staff[{j}]."
        active_months = (months >= col(s + "start_month")) & (months < col(s + "end_month"))
        monthly = col(s + "count") * col(s + "annual_cost") / 12.0
        total = total + monthly * (1.0 + col(s + "salary_growth_per_year")) ** ctx.years * active_months
    if path.certain:
        return {"staff": total}
    return {"staff": total * (~path.is_live + path.p_success * path.is_live)}
