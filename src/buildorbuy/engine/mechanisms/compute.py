"""Training and fine-tune compute: the run's GPU-hours, its months of wall-clock, go-live, refreshes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from buildorbuy.engine.context import (
    Context, Costs, PathContext, as_float, distinct_rows, gathered, month_windows, pick, refresh_events,
)
from buildorbuy.scenario.models import MONTH_HOURS
from buildorbuy.phrases import Message


@dataclass
class ComputeRun:
    """One training or fine-tune run of a self-hosted path, [batch or 1] arrays."""

    section: str
    """'training' (build paths) or 'finetune'."""
    gpu_hours: np.ndarray
    wall_hours: np.ndarray
    run_months: np.ndarray
    """ceil(wall-clock months), at least 1."""
    lead: np.ndarray
    """ceil(lead_time_months)."""
    live: np.ndarray
    """Go-live month: max(lead, run_months)."""
    run_cost: np.ndarray
    refreshes: np.ndarray | None
    """Refresh months as a [batch or 1, month] mask (None: no refreshes)."""


def run_flops(ctx: Context, path: PathContext, section: str, flops_per_param_token: float) -> np.ndarray:
    """FLOPs of one run: build 6·N_active·D (Kaplan 2020); fine-tune k·N_active·D_ft·epochs (k: method).

    `flops_per_param_token` is k for a fine-tune (6 full, 4 LoRA: estimators.finetune); ignored for a build.
    """
    params = ctx.params
    active = params[path.key("model.active_params")]
    if section == "training":
        return 6.0 * active * params[path.key("model.training_tokens")]
    return flops_per_param_token * active * params[path.key("finetune.tokens")] * params[path.key("finetune.epochs")]


def compute_run(ctx: Context, path: PathContext, section: str, flops: np.ndarray, peak_flops: float) -> ComputeRun:
    """gpu_hours = FLOPs / (peak·mfu) / 3600 · experiment_overhead; wall = gpu_hours / gpus / goodput.

    run_months = max(1, ceil(wall / 730)); live = start_month + max(ceil(lead_time_months), run_months)
    (DESIGN §2b: the whole path shifts by start_month);
    run_cost = gpu_hours · gpu_hour_price; refreshes at live + k·refresh_months (k ≥ 1).
    Overhead and goodput apply to build paths (`training`) only.
    """
    params = ctx.params
    key = lambda name: path.key(f"{section}.{name}")  # noqa: E731
    overhead, goodput = (params[key("experiment_overhead")], params[key("goodput")]) if section == "training" else (1.0, 1.0)
    gpu_hours = flops / (peak_flops * params[key("mfu")]) / 3600.0 * overhead
    wall_hours = gpu_hours / params[key("gpus")] / goodput
    run_months = np.maximum(1.0, np.ceil(wall_hours / MONTH_HOURS - 1e-9))
    lead = np.ceil(params[path.key("lead_time_months")])
    live = np.maximum(lead, run_months) + start_month(ctx, path)
    run_cost = gpu_hours * params[key("gpu_hour_price")]
    refreshes = refresh_events(ctx.months, live, params.get(key("refresh_months")))
    return ComputeRun(section, gpu_hours, wall_hours, run_months, lead, live, run_cost, refreshes)


def start_month(ctx: Context, path: PathContext) -> np.ndarray | float:
    """The path's start_month (DESIGN §2b), [batch or 1]; 0.0 when absent."""
    start = ctx.params.get(path.key("start_month"))
    return 0.0 if start is None else np.round(start)


def compute_costs(ctx: Context, path: PathContext, run: ComputeRun) -> Costs:
    """{section}_compute[m] = run_cost / run_months in the run_months just before go-live,
    + p·run_cost in each refresh month."""
    run_mask, refreshes, p = _run_months_mask(ctx, run), run.refreshes, path.p_success
    any_refresh = refreshes is not None and refreshes.any()
    rows = run_rows(ctx, path, run)  # the costs depend on the batch through (the run's go-live, p) only: once per group
    if rows is not None:
        run_mask, p = pick(run_mask, rows[0]), pick(p, rows[0])
        refreshes = pick(refreshes, rows[0]) if any_refresh else refreshes
    costs = as_float(run_mask)  # 0/1 as floats: a float × float product (bool × float casts, 2× slower)
    per_month = (run.run_cost / run.run_months)[:, None]
    if costs.shape == np.broadcast_shapes(costs.shape, per_month.shape):
        costs *= per_month
    else:
        costs = costs * per_month
    if any_refresh:
        per_refresh = run.run_cost[:, None] * p
        # refreshes come after go-live, the run before it: the months are disjoint, so adding
        # (0 + cost in a refresh month, cost + 0 elsewhere) gives exactly the masked write
        refresh_costs = as_float(refreshes)
        if refresh_costs.shape == np.broadcast_shapes(refresh_costs.shape, per_refresh.shape):
            refresh_costs *= per_refresh
        else:
            refresh_costs = refresh_costs * per_refresh
        if costs.shape == np.broadcast_shapes(costs.shape, refresh_costs.shape):
            costs += refresh_costs
        else:
            costs = costs + refresh_costs
    return {f"{run.section}_compute": gathered(costs, rows)}


def run_rows(ctx: Context, path: PathContext, run: ComputeRun, costs: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
    """The batch grouped by (the run's go-live month, p) (`distinct_rows`) when the run's refresh
    months (one refresh period for the batch) and, with `costs`, its costs (one run cost and length)
    depend on the batch through those only, else None. The path's own grouping when the run sets
    go-live; computed once."""
    period = ctx.params.get(path.key(f"{run.section}.refresh_months"))
    if not (period is None or period.shape[0] == 1):
        return None
    if costs and (run.run_cost.shape[0] != 1 or run.run_months.shape[0] != 1):
        return None
    if path.live is run.live:
        return path.rows
    key = ("run", run.section)
    if key not in path._weights:  # go-live moved by procurement: group by the run's own go-live
        path._weights[key] = distinct_rows(run.live, path.p_success[:, 0])
    return path._weights[key]


def _run_months_mask(ctx: Context, run: ComputeRun) -> np.ndarray:
    """live − run_months ≤ m < live, [batch or 1, month] bool (windows of one table when the batch
    shares one whole run length)."""
    live, length = run.live, run.run_months
    if length.shape[0] == 1 and length[0] == np.floor(length[0]) and length[0] <= ctx.horizon:
        windows = month_windows(ctx.horizon, live, -int(length[0]), 0)
        if windows is not None:
            return windows
    months = ctx.months[None, :]
    return (months >= (live - length)[:, None]) & (months < live[:, None])


def late_run_warning(name: str, run: ComputeRun) -> str | None:
    """The warning when the run's wall-clock is longer than the lead time (go-live moves later)."""
    if not np.any(run.run_months[:1] > run.lead[:1]):
        return None
    hours = float(run.wall_hours[0])
    if hours < MONTH_HOURS:  # a run shorter than a month still takes the whole first month
        took = Message("under_a_day") if hours < 24 else Message("days", days=f"{hours / 24:.0f}")
        return Message("late_run_short", path=name, section=run.section, took=took, month=f"{run.live[0]:g}",
                       lead=f"{run.lead[0]:g}")
    return Message("late_run", path=name, section=run.section, months=f"{run.wall_hours[0] / MONTH_HOURS:.1f}",
                   lead=f"{run.lead[0]:g}", month=f"{run.live[0]:g}")
