"""Owned serving fleet: purchases when it grows, power and hosting, residual value (DESIGN §2, owned)."""

from __future__ import annotations

import numpy as np

from buildorbuy.engine.context import Context, Costs, OneMonth, PathContext
from buildorbuy.scenario.models import MONTH_HOURS


def owned_fleet(ctx: Context, path: PathContext, gpus: np.ndarray) -> Costs:
    """Owned GPUs: bought when the fleet grows, never sold; power and hosting monthly; residual credited.

    fleet[m] = max(gpus[0..m]); hardware_purchase[m] = (fleet[m] − fleet[m−1]) · purchase_price ·
    (1 + server_overhead); power_and_hosting[m] = fleet[m] · (hosting_per_gpu_month + tdp_kw · pue ·
    730 · power_price_per_kwh); residual_credit (last month, ≤ 0) = −Σ_k purchase[k] · clip(1 −
    age_k / depreciation_years, 0, 1) with age_k = (horizon − k)/12 years. All weighted by p.
    """
    col = lambda name: ctx.col(path.key("serving." + name))  # noqa: E731
    has = lambda name: path.key("serving." + name) in ctx.params  # noqa: E731
    horizon = ctx.horizon
    fleet = np.maximum.accumulate(gpus, axis=-1)
    purchases = np.empty_like(fleet)  # GPUs bought each month, then their price
    purchases[:, :1] = fleet[:, :1]
    np.subtract(fleet[:, 1:], fleet[:, :-1], out=purchases[:, 1:])
    purchases *= col("purchase_price") * (1.0 + col("server_overhead"))
    kw = col("tdp_watts") / 1000.0 if has("tdp_watts") else 0.0
    pue = col("pue") if has("pue") else 1.0
    running = fleet * (col("hosting_per_gpu_month") + kw * pue * MONTH_HOURS * col("power_price_per_kwh"))
    age_years = (horizon - np.arange(horizon, dtype=float))[None, :] / 12.0
    remaining = np.clip(1.0 - age_years / col("depreciation_years"), 0.0, 1.0)
    credit = -np.einsum("bm,bm->b", *np.broadcast_arrays(purchases, remaining))
    return {
        "hardware_purchase": path.on_success(purchases, in_place=True),
        "power_and_hosting": path.on_success(running, in_place=True),
        "residual_credit": OneMonth(horizon - 1, credit if path.certain else credit * path.p_success[:, 0]),
    }
