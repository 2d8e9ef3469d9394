"""Serving fleets as they are bought (DESIGN §2b): hour-level load, autoscaling, reservations, owned terms.

Pure functions on arrays: `[batch, month]` (or `[1, month]` when nothing varies across the batch),
with an hour-level axis `[batch, month, level]` where the day matters. A *level* is one distinct
load of the day with its length in hours (`weights`): the explicit 24-hour profile has 24 levels of
one hour; the default day has two (peak and base).
"""

from __future__ import annotations

import numpy as np

from buildorbuy.scenario.models import MONTH_HOURS

HOURS_PER_DAY = 24.0
DAYS_PER_MONTH = MONTH_HOURS / HOURS_PER_DAY
"""730 / 24: every hour of the day occurs this many times a month."""


def day_levels(params, has_profile: bool) -> tuple[np.ndarray, np.ndarray]:
    """The day's load levels relative to the mean, and the hours each lasts: ([b, L], [b, L]).

    With `workload.daily_profile`: profile[h] / mean(profile), one hour each (24 levels).
    Without: `peak_hours` h_p hours at peak_to_average p and the rest at the base
    b = (24 − p·h_p) / (24 − h_p) that keeps the mean at 1; h_p defaults to min(4, 24 / p).
    """
    if has_profile:
        hours = np.stack(np.broadcast_arrays(*(params[f"workload.daily_profile[{h}]"] for h in range(24))), axis=1)
        levels = hours / (hours.sum(axis=1, keepdims=True) / HOURS_PER_DAY)
        return levels, np.ones((1, 24))
    peak = params["workload.peak_to_average"]
    peak_hours = params.get("workload.peak_hours")
    if peak_hours is None:
        peak_hours = np.minimum(4.0, HOURS_PER_DAY / peak)
    peak, peak_hours = np.broadcast_arrays(peak, peak_hours)
    off_hours = HOURS_PER_DAY - peak_hours
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.where(off_hours > 0, (HOURS_PER_DAY - peak * peak_hours) / np.where(off_hours > 0, off_hours, 1.0), peak)
    return np.stack([peak, np.maximum(base, 0.0)], axis=1), np.stack([peak_hours, off_hours], axis=1)


def throughput_factor(params, key, months: np.ndarray) -> np.ndarray | float:
    """tps[m] / tps[0] = (1 + g)^(m/12) for serving.throughput_change_per_year g ([b, month], or 1.0 when g = 0)."""
    name = key("serving.throughput_change_per_year")
    g = params.get(name)
    if g is None or (g.shape[0] == 1 and g[0] == 0.0):
        return 1.0
    return (1.0 + g[:, None]) ** (months[None, :] / 12.0)


def autoscaled_fleet(mean_tokens_per_second: np.ndarray, levels: np.ndarray, capacity_per_replica: np.ndarray,
                     min_replicas: np.ndarray, redundancy: np.ndarray, per_replica: np.ndarray) -> np.ndarray:
    """GPUs running at each level of the day, [batch, month, level].

    r[m, h] = max(min_replicas, ceil(L[m, h] / capacity)) + redundancy with L[m, h] = mean[m] · level[h];
    GPUs = r · gpus_per_replica. All inputs broadcast: mean [b, M], levels [b, L], the rest [b, 1] or [b, M].
    """
    load = mean_tokens_per_second[:, :, None] * levels[:, None, :]
    replicas = np.ceil(load / np.asarray(capacity_per_replica)[..., None] - 1e-9)
    np.maximum(replicas, np.asarray(min_replicas)[..., None], out=replicas)
    replicas += np.asarray(redundancy)[..., None]
    replicas *= np.asarray(per_replica)[..., None]
    return replicas


def gpu_hours(gpus_by_level: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """GPU-hours in a month: 730/24 · Σ_levels hours · GPUs, [batch, month]."""
    return DAYS_PER_MONTH * np.einsum("bml,bl->bm", gpus_by_level, np.broadcast_to(weights, (gpus_by_level.shape[0], weights.shape[1])))


def on_demand_hours(gpus_by_level: np.ndarray, weights: np.ndarray, reserved: np.ndarray) -> np.ndarray:
    """GPU-hours above the reservation R, paid on demand: 730/24 · Σ_levels hours · max(0, GPUs − R), [batch, month]."""
    excess = np.maximum(gpus_by_level - np.asarray(reserved)[..., None], 0.0)
    return gpu_hours(excess, weights)


def reserved_price(price: np.ndarray, change: np.ndarray, live: np.ndarray, term: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Reserved price per GPU-hour in each month, fixed within a term and moved at each renewal, [batch, month].

    A term starts at go-live + k·term_months; its price is p · (1 + Δ)^(start / 12), Δ the yearly change
    of the rented price. Before go-live the value is that of the first term (the caller masks it).
    """
    term = np.maximum(np.round(term), 1.0)[:, None]
    since = np.maximum(months[None, :] - live[:, None], 0.0)
    start = live[:, None] + np.floor(since / term) * term
    return price[:, None] * (1.0 + change[:, None]) ** (start / 12.0)


def last_term_past_horizon(live: float, term: float, horizon: int) -> bool:
    """Whether the last reservation term, started at go-live + k·term, ends after the horizon."""
    if live >= horizon:
        return False
    return (horizon - live) % max(round(term), 1) != 0


def owned_fleet(params, key, gpus_in_use: np.ndarray, horizon: int, residual: object):
    """Owned GPUs: existing ones from month 0, purchases for growth beyond them, running costs, resale.

    fleet[m] = max(owned_gpus, max_{k≤m} gpus[k]); bought = growth of the fleet beyond owned_gpus;
    unit = purchase_price · (1 + server_overhead); running per GPU-month = hosting
    + tdp_kW · power_utilization · pue · 730 · power_price; maintenance per GPU-month =
    unit · maintenance_per_year / 12. The residual credit (last month, ≤ 0) is the value of the
    purchased GPUs at the horizon: straight line over depreciation_years, declining balance
    unit · (1 − rate)^age_years, or none. Existing GPUs earn no credit.

    Returns purchases, running, maintenance and fleet ([batch, month]) and the credit ([batch]).
    """
    col = lambda name: params[key(name)][:, None]  # noqa: E731
    fleet = np.maximum.accumulate(gpus_in_use, axis=-1)
    owned = params.get(key("serving.owned_gpus"))
    if owned is not None and np.any(owned > 0):
        fleet = np.maximum(fleet, owned[:, None])
        bought = np.diff(fleet, axis=-1, prepend=owned[:, None])
    else:
        bought = np.diff(fleet, axis=-1, prepend=0.0)
    unit_price = col("serving.purchase_price") * (1.0 + col("serving.server_overhead"))
    purchases = bought * unit_price
    kw = col("serving.tdp_watts") / 1000.0 if key("serving.tdp_watts") in params else 0.0
    pue = col("serving.pue") if key("serving.pue") in params else 1.0
    utilization = params.get(key("serving.power_utilization"))
    if utilization is not None and not (utilization.shape[0] == 1 and utilization[0] == 1.0):
        kw = kw * utilization[:, None]
    running = fleet * (col("serving.hosting_per_gpu_month") + kw * pue * MONTH_HOURS * col("serving.power_price_per_kwh"))
    maintenance_rate = params.get(key("serving.maintenance_per_year"))
    maintenance = None
    if maintenance_rate is not None and np.any(maintenance_rate != 0):
        maintenance = fleet * unit_price * maintenance_rate[:, None] / 12.0
    age_years = (horizon - np.arange(horizon, dtype=float))[None, :] / 12.0
    if residual == "none":
        credit = np.zeros(purchases.shape[0])
    else:
        if isinstance(residual, str):
            remaining = np.clip(1.0 - age_years / col("serving.depreciation_years"), 0.0, 1.0)
        else:
            remaining = (1.0 - col("serving.residual.declining_balance")) ** age_years
        credit = -np.einsum("bm,bm->b", purchases, np.broadcast_to(remaining, purchases.shape))
    return purchases, running, maintenance, fleet, credit
