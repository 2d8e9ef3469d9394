"""Routing between a self-hosted path's own model and an api fallback, with a capacity cap (DESIGN §2b).

After go-live the own model is sent T[m]·s[m] tokens; what its fleet cannot carry under
`serving.max_gpus` overflows hour by hour; the fallback api path answers the rest of the traffic,
the overflow and the escalations (requests the own model failed on, answered again). Each demanded
token counts once in the path's served tokens; escalated tokens are billed twice (own fleet and
fallback fees), which is the cost of the own model's failures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from buildorbuy.engine.context import SECONDS_PER_MONTH, Context, Costs, PathContext
from buildorbuy.engine.mechanisms.fleet import DAYS_PER_MONTH, _distinct, day_levels, throughput_factor


@dataclass
class Route:
    """One routed path's split of the traffic after go-live (success case), [batch or 1, month] arrays.

    `own_tokens` = T·s (the own model's load, which sizes its fleet); `overflow` the tokens above the
    cap; `fallback_share` = fallback tokens / T = (1 − s) + ov/T + (s − ov/T)·e.
    """

    own_tokens: np.ndarray
    overflow: np.ndarray | float
    fallback_share: np.ndarray
    fallback: int
    """Index of the fallback api path."""
    is_live: np.ndarray | None = None
    """live ≤ m, [batch or 1, month]."""

    def split(self, tokens: np.ndarray) -> dict[str, np.ndarray]:
        """Tokens per month from go-live, success case ([batch or 1, month] each): `own_model_tokens`
        (answered by the own model: T·s − overflow), `overflow_tokens`, `fallback_tokens` (billed by the
        fallback: T·fallback_share)."""
        live = 1.0 if self.is_live is None else self.is_live
        return {"own_model_tokens": (self.own_tokens - self.overflow) * live,
                "overflow_tokens": np.broadcast_to(self.overflow, np.shape(self.own_tokens)) * live,
                "fallback_tokens": tokens * self.fallback_share * live}


def own_share(ctx: Context, path: PathContext) -> np.ndarray:
    """s[m] = share · min(1, (m − live + 1) / ramp_months) for m ≥ live; share when ramp_months = 0;
    0 before go-live. [batch or 1, month]."""
    share = ctx.col(path.key("routing.share"))
    ramp = np.round(ctx.col(path.key("routing.ramp_months")))
    since = ctx.months[None, :] - path.live[:, None] + 1.0
    ramped = np.clip(since / np.where(ramp > 0, ramp, 1.0), 0.0, 1.0)
    steps = np.where(ramp > 0, ramped, since > 0)
    return share * steps


def cap_replicas(ctx: Context, path: PathContext) -> np.ndarray | None:
    """Replicas the cap leaves for load, before redundancy: floor(max_gpus / per_replica) − redundancy,
    ≥ 1, as a column [batch or 1, 1]; None without a cap."""
    key = path.key("serving.max_gpus")
    if key not in ctx.params:
        return None
    per_replica = np.maximum(np.round(ctx.col(path.key("serving.gpus_per_replica"))), 1.0)
    usable = np.floor(ctx.col(key) / per_replica + 1e-9) - np.ceil(ctx.col(path.key("serving.redundancy")))
    return np.maximum(usable, 1.0)


def overflow_tokens(ctx: Context, path: PathContext, own_tokens: np.ndarray, replicas: np.ndarray) -> np.ndarray:
    """Tokens above the capped fleet's capacity in each month, hour by hour with the daily profile.

    C[m] = replicas · gpus_per_replica · tps[m] · target_utilization tokens/s;
    L[m, h] = own_tokens[m] / (730·3600) · level[h];
    overflow[m] = 730/24 · 3600 · Σ_h hours[h] · max(0, L[m, h] − C[m]). [batch or 1, month].
    """
    col = lambda name: ctx.col(path.key("serving." + name))  # noqa: E731
    per_replica = np.maximum(np.round(col("gpus_per_replica")), 1.0)
    capacity = replicas * per_replica * col("tokens_per_second_per_gpu") * col("target_utilization")
    capacity = capacity * throughput_factor(ctx, path)
    levels, hours = _distinct(*day_levels(ctx.params))
    mean_load = own_tokens / SECONDS_PER_MONTH
    per_month = np.zeros(np.broadcast_shapes(mean_load.shape, np.shape(capacity)))
    for level in range(levels.shape[1]):  # a loop over the day's distinct levels, never over the batch
        above = np.maximum(mean_load * levels[:, level:level + 1] - capacity, 0.0)
        per_month += hours[:, level:level + 1] * above
    return per_month * (DAYS_PER_MONTH * 3600.0)


def route(ctx: Context, path: PathContext, fallback: int, replicas: np.ndarray | None) -> Route:
    """The traffic split of a routed path once its go-live is known (`replicas`: cap_replicas)."""
    tokens = ctx.tokens
    if path.key("routing.share") in ctx.params:
        share = own_share(ctx, path)
        escalation = ctx.col(path.key("routing.escalation_rate"))
    else:  # a cap without routing: everything to the own model, overflow to the fallback
        share, escalation = np.ones((1, ctx.horizon)), np.zeros((1, 1))
    own = tokens * share
    if replicas is None:
        overflow, overflow_share = 0.0, 0.0
    else:
        overflow = overflow_tokens(ctx, path, own, replicas)
        safe = np.where(tokens > 0, tokens, 1.0)
        overflow_share = np.where(tokens > 0, overflow / safe, 0.0)
    fallback_share = (1.0 - share) + overflow_share + (share - overflow_share) * escalation
    return Route(own, overflow, fallback_share, fallback, path.is_live)


def fallback_fees(ctx: Context, path: PathContext, route_: Route, fees_full: np.ndarray, fallback_prefix: str,
                  carry_weight: np.ndarray | None = None) -> Costs:
    """fallback_fees[m] = fallback_api_cost[m] · fallback_share[m] · p·live[m] (its per-token fees at its
    own prices, discounts and modifiers), plus its fixed fees (DESIGN §2b): fixed_fee_per_month in
    every month from go-live in which it carries any of the path's tokens (weighted by p), its
    setup_fee in the first such month.

    `carry_weight`, when the fallback is also the bridge, is the combined weight of the months it
    carries tokens as either (so its fixed fee counts once a month and its setup fee once); the
    part from go-live is charged here, the part before it with the bridge fees.
    """
    from buildorbuy.engine.mechanisms.api_fees import fixed_fees

    weight = route_.fallback_share * path.success_weight
    fees = fees_full * weight
    if carry_weight is None:
        carry_weight = (route_.fallback_share > 0) * path.success_weight
    fixed = fixed_fees(ctx, fallback_prefix, carry_weight)
    if fixed is not None:
        fees = fees + fixed * path.is_live
    return {"fallback_fees": fees}


def shared_carry(ctx: Context, path: PathContext, route_: Route, bridge_prefix: str) -> tuple[np.ndarray, np.ndarray | None]:
    """When the bridge is also the fallback: the weight of the months it carries any of the path's
    tokens, as bridge or as fallback (fallback_weight + p·live·[fallback_share > 0], at most 1), and
    its fixed fees in the months before go-live (bridge_fees; from go-live they are fallback_fees).
    None when it has no fixed fees."""
    from buildorbuy.engine.mechanisms.api_fees import fixed_fees

    carry = path.fallback_weight + (route_.fallback_share > 0) * path.success_weight
    fixed = fixed_fees(ctx, bridge_prefix, carry)
    return carry, None if fixed is None else fixed * ~path.is_live
