"""API fees: per-token fees of an api path and its managed fine-tune (DESIGN §2, API)."""

from __future__ import annotations

import numpy as np

from buildorbuy.engine.context import Context, Costs, Factored, PathContext, compound, product
from buildorbuy.errors import ScenarioError
from buildorbuy.scenario.models import MONTH_HOURS


TOKEN_TYPES = ("input", "cached_input", "cache_write", "output")


def per_token_fees(ctx: Context, prefix: str, change_key: str, *, path_prefix: str | None = None,
                   offsets: dict[str, dict[str, float]] | None = None,
                   steps: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """An api path's per-token fees at full traffic, [batch or 1, month] (DESIGN §2 and §2b).

    api_cost[m] = T[m]·(1+Δ)^(m/12)·q, with q the price per token of the workload's mix
    (o output share, c cached share, w cache-write share, per 1k tokens):
        q = [(1−o)(1−c−w)·p_in + (1−o)c·p_cached + (1−o)w·p_write + o·p_out] / 1000,
    each token type t times (1 − discount)·[(1 − b − o') + b·(1 − bd_t) + o'·(1 − od_t)] with
    b = batch_share, o' = off_peak_share and bd_t / od_t the batch / off-peak discounts (one number
    for every type, or per type from the price data when `auto`: `offsets` holds each type's
    difference from the input type's discount, whose value is the parameter). `steps` (catalog
    prices the data changes inside the horizon) multiply a type's price month by month, making q
    [1, month]. Without any of these the arithmetic is the section-2 formula, as before.

    `prefix` names the prices (`paths[i].` or `paths[i].managed_finetune.`), `change_key` the
    yearly price change Δ, `path_prefix` the path whose modifiers apply (default: prefix).
    """
    col, params = ctx.col, ctx.params
    path_prefix = prefix if path_prefix is None else path_prefix
    output_share, cached_share = col("workload.output_share"), col("workload.cached_input_share")
    input_share = 1.0 - output_share
    write_share = cache_write_share(ctx)
    modifiers = [path_prefix + n for n in ("discount", "batch_share", "off_peak_share") if path_prefix + n in params]
    if write_share is None and not steps and not any(np.any(params[key] != 0) for key in modifiers):
        per_token = (
            input_share * (1.0 - cached_share) * col(prefix + "price_per_1k_input")
            + input_share * cached_share * col(prefix + "price_per_1k_cached_input")
            + output_share * col(prefix + "price_per_1k_output")
        ) / 1000.0
        change = compound(col(change_key), ctx.years)  # a temporary of its own
        if change.shape == np.broadcast_shapes(change.shape, ctx.tokens.shape, per_token.shape):
            change *= ctx.tokens  # the fees in the exp's array: one [batch, month] array, not two
            change *= per_token
            return change
        return product(ctx.tokens, per_token, change)
    w = 0.0 if write_share is None else write_share
    shares = {"input": input_share * (1.0 - cached_share - w), "cached_input": input_share * cached_share,
              "cache_write": input_share * w, "output": output_share}
    p_in = col(prefix + "price_per_1k_input")
    write_key = prefix + "price_per_1k_cache_write"
    prices = {"input": p_in, "cached_input": col(prefix + "price_per_1k_cached_input"),
              "cache_write": col(write_key) if write_key in params else p_in, "output": col(prefix + "price_per_1k_output")}
    for t, step in (steps or {}).items():
        prices[t] = prices[t] * step[None, :]
    b, o = col(path_prefix + "batch_share"), col(path_prefix + "off_peak_share")
    if np.any(b + o > 1.0 + 1e-12):  # a sweep or sample may push the sum past 1
        raise ScenarioError("batch_share + off_peak_share must not exceed 1 (a varied value pushes it past 1)",
                            field=path_prefix + "off_peak_share")
    offsets = offsets or {}

    shares_of = {"batch": b, "off_peak": o}

    def kind_discount(kind: str, token_type: str):
        key = f"{path_prefix}{kind}_discount"
        if key not in params:  # auto with the scenario's share at 0: no discount was read
            if np.any(shares_of[kind] != 0):
                raise ScenarioError(f"{kind}_share > 0 here but {kind}_discount is auto and the scenario's own {kind}_share "
                                    f"is 0, so no {kind} price was read: give {kind}_discount a number", field=key)
            return 0.0
        return col(key) + offsets.get(kind, {}).get(token_type, 0.0)

    per_token = 0.0
    for t in TOKEN_TYPES:
        mix = (1.0 - b - o) + b * (1.0 - kind_discount("batch", t)) + o * (1.0 - kind_discount("off_peak", t))
        per_token = per_token + shares[t] * prices[t] * mix
    per_token = per_token * (1.0 - col(path_prefix + "discount")) / 1000.0
    return product(ctx.tokens, per_token, compound(col(change_key), ctx.years))


def cache_write_share(ctx: Context) -> np.ndarray | None:
    """workload.cache_write_share as a column; None when no batch element writes to a cache."""
    share = ctx.params.get("workload.cache_write_share")
    if share is None or not np.any(share != 0):
        return None
    return share[:, None]


def api_path_fees(ctx: Context, path: PathContext, fees: np.ndarray) -> Costs:
    """api_fees[m] = fees[m]·success_weight[m]: the path's own fees once live (weighted by p).

    A weight of 1 in every month (live from month 0, p = 1) leaves `fees` as they are (no copy)."""
    weight = path.success_weight
    if weight.dtype == bool and weight.shape[0] == 1 and weight.all():
        # Factored: a ledger keeping only reductions reduces `fees` once for this path and the ones it bridges
        return {"api_fees": Factored(lambda: fees, fees) if fees.shape[0] > 1 else fees}
    return {"api_fees": fees * weight}


def managed_finetune_fees(ctx: Context, path: PathContext, fees: np.ndarray, events: np.ndarray | None) -> Costs:
    """A managed (vendor-hosted) fine-tune on an api path.

    api_fees[m] = base[m]·fallback_weight[m] + tuned[m]·success_weight[m] (tuned: the fine-tuned
    model's prices); managed_finetune[m] = training_tokens·epochs/1e6·price_per_1m_training_tokens
    at go-live and, weighted by p, at each refresh, + hosting_fee_per_hour·730·success_weight[m].
    `events` is the refresh mask (None: no refreshes).
    """
    mf = path.key("managed_finetune.")
    params = ctx.params
    tuned = per_token_fees(ctx, mf, path.key("price_change_per_year"), path_prefix=path.prefix,
                           offsets=path.plan.discount_offsets)
    fee = params[mf + "training_tokens"] * params[mf + "epochs"] / 1e6 * params[mf + "price_per_1m_training_tokens"]
    at_live = ctx.months[None, :] == path.live[:, None]
    events = at_live if events is None else at_live + events * path.p_success
    return {
        "api_fees": fees * path.fallback_weight + tuned * path.success_weight,
        "managed_finetune": fee[:, None] * events + ctx.col(mf + "hosting_fee_per_hour") * MONTH_HOURS * path.success_weight,
    }


def fixed_fees(ctx: Context, path_prefix: str, weight: np.ndarray) -> np.ndarray | None:
    """An api path's fixed fees where it carries traffic, [batch or 1, month] (DESIGN §2b).

    fixed_fee_per_month·weight[m] every month, plus setup_fee·weight[m] in the first month with
    weight > 0. weight = 1 where the path surely carries the traffic, the probability where it
    carries it only in some outcomes, 0 where it carries none: the path's own service weight, or,
    for a bridge, the fallback weight of the path it carries. None when both fees are 0.
    """
    if not has_fixed_fees(ctx, path_prefix):
        return None
    fee, setup = ctx.params.get(path_prefix + "fixed_fee_per_month"), ctx.params.get(path_prefix + "setup_fee")
    weight = np.asarray(weight, dtype=float)
    out = 0.0 if fee is None else fee[:, None] * weight
    if setup is not None:
        serving = weight > 0
        first = np.argmax(serving, axis=-1)
        at_first = (ctx.months[None, :] == first[:, None]) & serving.any(axis=-1)[:, None]
        out = out + setup[:, None] * weight * at_first
    return out


def has_fixed_fees(ctx: Context, path_prefix: str) -> bool:
    """Whether the api path at `path_prefix` has a fixed or setup fee other than 0 in some batch element."""
    fee, setup = ctx.params.get(path_prefix + "fixed_fee_per_month"), ctx.params.get(path_prefix + "setup_fee")
    return (fee is not None and bool(np.any(fee != 0))) or (setup is not None and bool(np.any(setup != 0)))


def own_fixed_fees(ctx: Context, path: PathContext) -> Costs:
    """api_fixed_fees: the path's own fixed and setup fees in the months it serves (from go-live,
    weighted by p; every month with a managed fine-tune, whose base model serves before it)."""
    weight = np.ones((1, ctx.horizon)) if path.plan.has_managed_finetune else path.success_weight
    fees = fixed_fees(ctx, path.prefix, weight)
    return {} if fees is None else {"api_fixed_fees": fees}
