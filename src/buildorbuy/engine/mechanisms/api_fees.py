"""API fees: per-token fees of an api path and its managed fine-tune (DESIGN §2, API)."""

from __future__ import annotations

import numpy as np

from buildorbuy.engine.context import Context, Costs, PathContext, compound, product
from buildorbuy.scenario.models import MONTH_HOURS


def per_token_fees(ctx: Context, prefix: str, change_key: str) -> np.ndarray:
    """api_cost[m] = (I−C)/1000·p_in[m] + C/1000·p_cached[m] + O/1000·p_out[m]; p[m] = p0·(1+Δ)^(m/12).

    `prefix` names the prices (`paths[i].` or `paths[i].managed_finetune.`), `change_key` the
    yearly price change Δ. Full traffic, [batch or 1, month]. Computed as T[m]·(1+Δ)^(m/12)·q with
    the price per token of the workload's mix q = [(1−o)(1−c)·p_in + (1−o)c·p_cached + o·p_out]/1000
    (o output share, c cached share): one pass over the months instead of one per token type.
    """
    col = ctx.col
    output_share, cached_share = col("workload.output_share"), col("workload.cached_input_share")
    input_share = 1.0 - output_share
    per_token = (
        input_share * (1.0 - cached_share) * col(prefix + "price_per_1k_input")
        + input_share * cached_share * col(prefix + "price_per_1k_cached_input")
        + output_share * col(prefix + "price_per_1k_output")
    ) / 1000.0
    return product(ctx.tokens, per_token, compound(col(change_key), ctx.years))


def api_path_fees(ctx: Context, path: PathContext, fees: np.ndarray) -> Costs:
    """api_fees[m] = fees[m]·success_weight[m]: the path's own fees once live (weighted by p)."""
    return {"api_fees": fees * path.success_weight}


def managed_finetune_fees(ctx: Context, path: PathContext, fees: np.ndarray, events: np.ndarray | None) -> Costs:
    """A managed (vendor-hosted) fine-tune on an api path.

    api_fees[m] = base[m]·fallback_weight[m] + tuned[m]·success_weight[m] (tuned: the fine-tuned
    model's prices); managed_finetune[m] = training_tokens·epochs/1e6·price_per_1m_training_tokens
    at go-live and, weighted by p, at each refresh, + hosting_fee_per_hour·730·success_weight[m].
    `events` is the refresh mask (None: no refreshes).
    """
    mf = path.key("managed_finetune.")
    params = ctx.params
    tuned = per_token_fees(ctx, mf, path.key("price_change_per_year"))
    fee = params[mf + "training_tokens"] * params[mf + "epochs"] / 1e6 * params[mf + "price_per_1m_training_tokens"]
    at_live = ctx.months[None, :] == path.live[:, None]
    events = at_live if events is None else at_live + events * path.p_success
    return {
        "api_fees": fees * path.fallback_weight + tuned * path.success_weight,
        "managed_finetune": fee[:, None] * events + ctx.col(mf + "hosting_fee_per_hour") * MONTH_HOURS * path.success_weight,
    }
