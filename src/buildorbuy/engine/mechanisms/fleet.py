"""Rented fleets as they are bought (DESIGN §2b): hour-level load, autoscaling, reservations.

An hour-level axis `[batch, month, level]` is added where the day matters. A *level* is one load
of the day relative to the mean, with the hours it lasts (`weights`): an explicit 24-hour
`workload.daily_profile` gives 24 levels of one hour; without it the day has two levels, peak and
base. A fixed fleet is one level (its size) lasting 24 hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from buildorbuy.engine.context import SECONDS_PER_MONTH, Context, Costs, PathContext, compound
from buildorbuy.scenario.models import MONTH_HOURS
from buildorbuy.phrases import Message

HOURS_PER_DAY = 24.0
DAYS_PER_MONTH = MONTH_HOURS / HOURS_PER_DAY
"""730 / 24: each hour of the day occurs this many times a month."""


@dataclass
class RentedFleet:
    """A rented fleet hour by hour.

    `replicas` [batch, month, level] before redundancy (a fixed fleet: its GPUs, one level); GPUs at
    a level = (replicas + redundancy) · per_replica; `weights` [b, level] the levels' hours a day;
    `is_live` [b, month] masks the months before go-live (None: already masked).
    """

    replicas: np.ndarray
    weights: np.ndarray
    per_replica: np.ndarray | float = 1.0
    redundancy: np.ndarray | float = 0.0
    is_live: np.ndarray | None = None

    @classmethod
    def fixed(cls, gpus: np.ndarray) -> "RentedFleet":
        """A fleet sized for the peak: one level lasting the whole day."""
        return cls(gpus[:, :, None], np.array([[HOURS_PER_DAY]]))

    def _monthly(self, level_sum: np.ndarray, extra: np.ndarray | float) -> np.ndarray:
        hours = DAYS_PER_MONTH * self.per_replica * (level_sum + extra)
        return hours if self.is_live is None else hours * self.is_live

    def gpu_hours(self) -> np.ndarray:
        """GPU-hours in a month: 730/24 · Σ_levels hours · GPUs, [batch, month]."""
        return self._monthly(_level_sum(self.replicas, self.weights), self.redundancy * self.weights.sum(axis=-1)[:, None])

    def on_demand_hours(self, reserved: np.ndarray) -> np.ndarray:
        """GPU-hours above R reserved GPUs: 730/24 · Σ_levels hours · max(0, GPUs − R), [batch, month]."""
        threshold = np.asarray(reserved / self.per_replica - self.redundancy)[..., None]
        return self._monthly(_level_sum(np.maximum(self.replicas - threshold, 0.0), self.weights), 0.0)


def _level_sum(by_level: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ_levels hours · values, [batch, month]."""
    if weights.shape[0] == 1:
        return by_level @ weights[0]
    return np.einsum("bml,bl->bm", by_level, np.broadcast_to(weights, (by_level.shape[0], weights.shape[1])))


def day_levels(params) -> tuple[np.ndarray, np.ndarray]:
    """The day's load levels relative to the mean and the hours each lasts, ([b, L], [b, L]).

    With `workload.daily_profile`: profile[h] / mean(profile), one hour each. Without: `peak_hours`
    h_p hours at peak_to_average p and the rest at the base b = (24 − p·h_p) / (24 − h_p) that
    keeps the mean at 1; h_p defaults to min(4, 24 / p).
    """
    if "workload.daily_profile[0]" in params:
        hours = np.stack(np.broadcast_arrays(*(params[f"workload.daily_profile[{h}]"] for h in range(24))), axis=1)
        return hours / (hours.sum(axis=1, keepdims=True) / HOURS_PER_DAY), np.ones((1, 24))
    peak = params["workload.peak_to_average"]
    peak_hours = params.get("workload.peak_hours")
    if peak_hours is None:
        peak_hours = np.minimum(4.0, HOURS_PER_DAY / peak)
    peak, peak_hours = np.broadcast_arrays(peak, peak_hours)
    off_hours = HOURS_PER_DAY - peak_hours
    safe = np.where(off_hours > 0, off_hours, 1.0)
    base = np.where(off_hours > 0, (HOURS_PER_DAY - peak * peak_hours) / safe, peak)
    return np.stack([peak, np.maximum(base, 0.0)], axis=1), np.stack([peak_hours, off_hours], axis=1)


def throughput_factor(ctx: Context, path: PathContext) -> np.ndarray | float:
    """tps[m] / tps[0] = (1 + g)^(m/12), g = serving.throughput_change_per_year ([b, month]; 1.0 when g = 0)."""
    g = ctx.params.get(path.key("serving.throughput_change_per_year"))
    if g is None or (g.shape[0] == 1 and g[0] == 0.0):
        return 1.0
    return compound(g[:, None], ctx.years)


def autoscaled_fleet(ctx: Context, path: PathContext, out: np.ndarray, load: np.ndarray | None = None,
                     cap: np.ndarray | None = None) -> RentedFleet:
    """Replicas hour by hour, from go-live on; the month's maximum GPUs is written into `out` ([batch, month]).

    r[m, h] = max(min_replicas, ceil(L[m, h] / (tps[m] · utilisation · per_replica))) + redundancy,
    L[m, h] = T[m] / (730 · 3600) · level[h]; GPUs = r · gpus_per_replica. Equal levels of the day
    are computed once (their hours added), so a 24-hour profile costs its distinct values. A routed
    path scales on its own model's load (`load` = T·s) and at most `cap` replicas before redundancy.
    """
    col = lambda name: ctx.col(path.key("serving." + name))  # noqa: E731
    levels, weights = _distinct(*day_levels(ctx.params))
    per_replica = np.maximum(np.round(col("gpus_per_replica")), 1.0)
    capacity = col("tokens_per_second_per_gpu") * col("target_utilization") * per_replica * throughput_factor(ctx, path)
    mean_replicas = (ctx.tokens if load is None else load) / SECONDS_PER_MONTH / capacity
    replicas = mean_replicas[:, :, None] * levels[:, None, :]
    replicas -= 1e-9
    np.ceil(replicas, out=replicas)
    replicas = np.maximum(replicas, np.round(col("min_replicas"))[..., None])  # min_replicas may be the batched input
    if cap is not None:
        replicas = np.minimum(replicas, cap[..., None])
    redundancy = np.ceil(col("redundancy"))
    top = replicas[..., -1] if levels.shape[0] == 1 else replicas.max(axis=-1)  # levels ascend when shared
    np.multiply(top + redundancy, per_replica, out=out, where=path.is_live)
    from buildorbuy.engine.mechanisms.serving import check_fleet

    check_fleet(out, ctx, path)  # the same bound as a fleet sized for the peak
    return RentedFleet(replicas, weights, per_replica, redundancy, path.is_live)


def _distinct(levels: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Levels shared by the whole batch, merged where equal and sorted ascending, with their hours summed."""
    if levels.shape[0] != 1 or weights.shape[0] != 1:
        return levels, weights
    values, inverse = np.unique(levels[0], return_inverse=True)
    hours = np.bincount(inverse.ravel(), weights=weights[0], minlength=values.shape[0])
    return values[None, :], hours[None, :]


def reserved_price(ctx: Context, path: PathContext) -> np.ndarray:
    """Reserved price per GPU-hour, fixed within a term and moved at each renewal, [batch, month].

    Terms start at go-live + k·term_months; a term's price is p_reserved · (1 + Δ)^(start / 12), Δ the
    yearly change of the rented price (gpu_hour_price_change_per_year).
    """
    params = ctx.params
    term = np.maximum(np.round(params[path.key("serving.reserved.term_months")]), 1.0)[:, None]
    live = path.live[:, None]
    start = live + np.floor(np.maximum(ctx.months[None, :] - live, 0.0) / term) * term
    change = params[path.key("serving.gpu_hour_price_change_per_year")][:, None]
    return params[path.key("serving.reserved.gpu_hour_price")][:, None] * compound(change, start / 12.0)


def rented_fleet_costs(ctx: Context, path: PathContext, fleet: RentedFleet, reserved: bool) -> tuple[Costs, dict]:
    """serving_rent of an autoscaled and/or reserved fleet, and its split (paths[].fleet).

    Without a reservation: GPU-hours · on-demand price[m]. With R reserved GPUs: R · 730 ·
    reserved price[m] in every month from go-live, plus the GPU-hours above R (hour by hour) at the
    on-demand price; on-demand price[m] = gpu_hour_price · (1 + change)^(m/12). Weighted by p.
    """
    col = lambda name: ctx.col(path.key("serving." + name))  # noqa: E731
    rent = col("gpu_hour_price") * compound(col("gpu_hour_price_change_per_year"), ctx.years)
    if not reserved:
        hours = fleet.gpu_hours()
        return {"serving_rent": path.on_success(hours * rent)}, {"on_demand_gpu_hours": hours}
    count = col("reserved.gpus")
    on_demand = fleet.on_demand_hours(count)
    cost = on_demand * rent + count * MONTH_HOURS * reserved_price(ctx, path) * path.is_live
    split = {"on_demand_gpu_hours": on_demand, "reserved_gpus": count * path.is_live}
    return {"serving_rent": path.on_success(cost)}, split


def last_term_warning(ctx: Context, path: PathContext) -> str | None:
    """The warning when a reservation's last term (from go-live, whole terms) ends after the horizon."""
    count = ctx.params[path.key("serving.reserved.gpus")][0]
    live = float(path.live[0])
    term = max(round(float(ctx.params[path.key("serving.reserved.term_months")][0])), 1)
    if count <= 0 or live >= ctx.horizon or (ctx.horizon - live) % term == 0:
        return None
    return Message("last_term", path=path.plan.name, term=term, horizon=ctx.horizon)
