"""Owned serving fleet: existing GPUs, purchases when it grows, running costs, maintenance, residual value
(DESIGN §2 owned, §2b owned terms)."""

from __future__ import annotations

import numpy as np

from buildorbuy.engine.context import Context, Costs, Factored, OneMonth, PathContext
from buildorbuy.scenario.models import MONTH_HOURS


def owned_gpus(ctx: Context, path: PathContext, gpus: np.ndarray) -> np.ndarray:
    """fleet[m] = max(owned_gpus, max(gpus[0..m])): GPUs owned in each month, [batch, month].

    owned_gpus (already owned at month 0) are there from month 0, before go-live too.
    """
    fleet = running_max(gpus)
    owned = _existing(ctx, path)
    return fleet if owned is None else np.maximum(fleet, owned)


def running_max(gpus: np.ndarray) -> np.ndarray:
    """max(gpus[..., 0..m]) along months, [batch, month]: `gpus` itself when it never falls (the usual
    growing fleet; one comparison instead of numpy's unvectorised maximum.accumulate), else accumulated."""
    if gpus.shape[-1] < 2 or bool(np.all(gpus[..., 1:] >= gpus[..., :-1])):
        return gpus
    return np.maximum.accumulate(gpus, axis=-1)


def _existing(ctx: Context, path: PathContext) -> np.ndarray | None:
    """serving.owned_gpus as a column, or None when no batch element owns any."""
    owned = ctx.params.get(path.key("serving.owned_gpus"))
    return owned[:, None] if owned is not None and np.any(owned > 0) else None


def owned_fleet(ctx: Context, path: PathContext, gpus: np.ndarray) -> Costs:
    """Owned GPUs: bought when the fleet grows beyond those already owned, never sold; running costs; resale.

    fleet[m] = max(owned_gpus, max(gpus[0..m])); unit = purchase_price · (1 + server_overhead);
    hardware_purchase[m] = (fleet[m] − fleet[m−1]) · unit with fleet[−1] = owned_gpus;
    power_and_hosting[m] = fleet[m] · (hosting_per_gpu_month + tdp_kw · power_utilization · pue · 730 ·
    power_price_per_kwh); maintenance[m] = fleet[m] · unit · maintenance_per_year / 12;
    residual_credit (last month, ≤ 0) = −Σ_k purchase[k] · remaining_k with age_k = (horizon − k)/12
    years and remaining = clip(1 − age / depreciation_years, 0, 1) (straight line), (1 − rate)^age
    (declining balance) or 0 (none). Existing GPUs are neither bought nor credited. Flows from go-live
are weighted by p; the running costs of existing GPUs before go-live are certain.
    """
    col = lambda name: ctx.col(path.key("serving." + name))  # noqa: E731
    has = lambda name: path.key("serving." + name) in ctx.params  # noqa: E731
    horizon = ctx.horizon
    fleet = owned_gpus(ctx, path, gpus)
    existing = _existing(ctx, path)
    unit_price = col("purchase_price") * (1.0 + col("server_overhead"))
    purchases = np.empty(np.broadcast_shapes(fleet.shape, np.shape(existing) if existing is not None else (1, 1)))
    purchases[:, :1] = fleet[:, :1] if existing is None else fleet[:, :1] - existing  # GPUs bought each month
    np.subtract(fleet[:, 1:], fleet[:, :-1], out=purchases[:, 1:])
    purchases *= unit_price
    kw = col("tdp_watts") / 1000.0 if has("tdp_watts") else 0.0
    pue = col("pue") if has("pue") else 1.0
    utilization = ctx.params.get(path.key("serving.power_utilization"))
    if utilization is not None and not (utilization.shape[0] == 1 and utilization[0] == 1.0):
        kw = kw * utilization[:, None]
    per_gpu = col("hosting_per_gpu_month") + kw * pue * MONTH_HOURS * col("power_price_per_kwh")
    credit = -np.einsum("bm,bm->b", *np.broadcast_arrays(purchases, _remaining(ctx, path, horizon)))
    # Running existing GPUs before go-live is paid whatever the outcome; from go-live, only on success.
    weigh = path.on_success if existing is None else (lambda values, in_place=False: _certain_until_live(path, values))
    # fleet[b, m] times a per-sample figure (and p): Factored, so a ledger keeping only reductions
    # reduces the fleet once for both running costs and maintenance
    factored = existing is None and fleet.shape[0] > 1 and np.ndim(per_gpu) == 2 and per_gpu.shape[1] == 1
    p = None if path.certain else path.p_success
    costs: Costs = {
        "hardware_purchase": (Factored(lambda: path.on_success(purchases, in_place=True), purchases, None, p)
                              if p is not None and purchases.shape[0] > 1 else path.on_success(purchases, in_place=True)),
        "power_and_hosting": (Factored(lambda: weigh(fleet * per_gpu, in_place=True), fleet, None,
                                       per_gpu if p is None else per_gpu * p)
                              if factored else weigh(fleet * per_gpu, in_place=True)),
        "residual_credit": OneMonth(horizon - 1, credit if path.certain else credit * path.p_success[:, 0]),
    }
    rate = ctx.params.get(path.key("serving.maintenance_per_year"))
    if rate is not None and np.any(rate != 0):
        full = lambda: weigh(fleet * unit_price * rate[:, None] / 12.0, in_place=True)  # noqa: E731
        if factored:
            column = unit_price * rate[:, None] / 12.0
            costs["maintenance"] = Factored(full, fleet, None, column if p is None else column * p)
        else:
            costs["maintenance"] = full()
    return costs


def _certain_until_live(path: PathContext, values: np.ndarray) -> np.ndarray:
    """values · (1 − (1 − p) · live[m]): certain before go-live, weighted by p from it."""
    if path.certain:
        return values
    return values * (1.0 - (1.0 - path.p_success) * path.is_live)


def _remaining(ctx: Context, path: PathContext, horizon: int) -> np.ndarray:
    """Share of a GPU's price left at the horizon by purchase month, [batch or 1, month] (serving.residual)."""
    age_years = (horizon - np.arange(horizon, dtype=float))[None, :] / 12.0
    residual = getattr(path.plan, "residual", "straight_line")
    if residual == "declining_balance":
        return (1.0 - ctx.col(path.key("serving.residual.declining_balance"))) ** age_years
    if residual == "none":
        return np.zeros((1, horizon))
    return np.clip(1.0 - age_years / ctx.col(path.key("serving.depreciation_years")), 0.0, 1.0)
