"""Serving fleet: GPUs sized for the peak, and the rent of a rented fleet (DESIGN §2, serving)."""

from __future__ import annotations

import numpy as np

from buildorbuy.engine.context import Context, Costs, PathContext, compound, product
from buildorbuy.scenario.models import MONTH_HOURS


def serving_gpus(ctx: Context, path: PathContext, out: np.ndarray) -> np.ndarray:
    """gpus[m] = whole replicas for ceil(peak / (tps_per_gpu · utilisation)) GPUs, ≥ 1, plus redundancy,
    from go-live on: written into `out` ([batch, month], zeros: months before go-live stay 0) and returned.

    ceil(ceil(x) / r) = ceil(x / r) for a whole replica size r, so the two roundings are one.
    """
    col = lambda name: ctx.col(path.key("serving." + name))  # noqa: E731
    per_replica = np.maximum(np.round(col("gpus_per_replica")), 1.0)
    per_replica_throughput = col("tokens_per_second_per_gpu") * col("target_utilization") * per_replica
    replicas = np.divide(ctx.peak_tokens_per_second, per_replica_throughput)
    replicas -= 1e-9
    np.ceil(replicas, out=replicas)
    np.maximum(replicas, 1.0, out=replicas)
    replicas = replicas + np.ceil(col("redundancy"))  # not in place: redundancy alone may vary over the batch
    return np.multiply(replicas, per_replica, out=out, where=path.is_live)


def rented_serving(ctx: Context, path: PathContext, gpus: np.ndarray) -> Costs:
    """serving_rent[m] = gpus[m] · 730 · gpu_hour_price · (1 + gpu_hour_price_change_per_year)^(m/12), weighted by p."""
    col = lambda name: ctx.col(path.key("serving." + name))  # noqa: E731
    rent = product(MONTH_HOURS * col("gpu_hour_price"), compound(col("gpu_hour_price_change_per_year"), ctx.years))
    return {"serving_rent": path.on_success(gpus * rent, in_place=True)}
