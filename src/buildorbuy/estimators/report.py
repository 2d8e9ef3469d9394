"""One-call estimates for the `estimate` commands and for scripting: parse nothing, compute
everything, return plain dicts (JSON-ready floats, strings and lists).

A month is 730 hours (8760 / 12), as everywhere in buildorbuy.
"""

from __future__ import annotations

import math

import numpy as np

from buildorbuy.catalog.gpus import GpuSpec
from buildorbuy.estimators import finetune as ft
from buildorbuy.estimators import serving as sv
from buildorbuy.estimators import training as tr
from buildorbuy.estimators._arrays import EstimatorError, positive, unit_fraction
from buildorbuy.scenario.types import MAX_COUNT
from buildorbuy.phrases import Message

HOURS_PER_MONTH = 730.0
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600.0


def _f(x) -> float:
    return float(np.asarray(x, dtype=float))


def gpu_hour_price(gpu: GpuSpec, given: float | None) -> tuple[float | None, str | None]:
    """(USD per GPU-hour, where it came from): the given price, else the catalog rental price."""
    if given is not None:
        if not (given >= 0 and math.isfinite(given)):
            raise EstimatorError(f"must be a non-negative number, got {given:g}", field="gpu_hour_price")
        return float(given), "given"
    if gpu.rent_usd_per_hour is not None:
        return gpu.rent_usd_per_hour, f"catalog: {gpu.id} rental {gpu.rent_usd_per_hour:g} USD/GPU-hour ({gpu.price_date}; {gpu.rent_source})"
    return None, None


MIN_MFU = 0.001
"""A given MFU below this (0.1 %) is refused: it is a typing mistake and the GPU-hours run to 1e300."""


def _mfu(given, auto, auto_method: str) -> tuple[float, str, str]:
    if given is None:
        return _f(auto), "auto", auto_method
    value = _f(unit_fraction(given, "mfu"))
    if value < MIN_MFU:
        raise EstimatorError(f"must be at least {MIN_MFU:g} (real runs reach tens of percent; got {value:.3g})", field="mfu")
    return value, "given", Message("mfu_given")


def _finite(estimate):
    """Run an estimate with numpy's overflow warnings off; refuse a result that is not finite."""
    import functools

    @functools.wraps(estimate)
    def wrapper(*args, **kwargs) -> dict:
        with np.errstate(over="ignore", invalid="ignore"):
            out = estimate(*args, **kwargs)
        for key, value in out.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise EstimatorError("the estimate overflows: an input is far too large", field=key)
        return out

    return wrapper


@_finite
def estimate_training(
    gpu: GpuSpec, active_params: float, tokens: float, *, total_params: float | None = None,
    gpus: float | None = None, mfu: float | None = None, gpu_hour_price_usd: float | None = None,
    precision: str = "bf16",
) -> dict:
    """FLOPs, MFU, GPU-hours, wall-clock (with a cluster size) and cost of a pretraining run.
    `auto` MFU carries `error_factor_p80` (×/÷ covering 80 % of the calibration errors)."""
    precision = tr.check_precision(gpu, precision)
    flops = _f(tr.training_flops(active_params, tokens))
    moe = total_params is not None and total_params > active_params
    mfu_value, mfu_source, mfu_method = _mfu(
        mfu, tr.training_mfu(gpu, active_params, tokens, total_params=total_params, precision=precision),
        tr.training_mfu_method(gpu, precision, moe))
    hours = _f(tr.training_gpu_hours(flops, gpu, mfu_value))
    out: dict = {
        "gpu": gpu.id, "params": float(total_params or active_params), "active_params": float(active_params), "tokens": float(tokens),
        "precision": precision, "flops": flops, "mfu": mfu_value, "mfu_source": mfu_source, "gpu_hours": hours,
    }
    if mfu_source == "auto":
        out["error_factor_p80"] = tr.ERROR_FACTOR_P80
    _check_hours(hours, mfu_source, mfu_value)
    _add_run(out, gpu, hours, gpus, gpu_hour_price_usd)
    out["method"] = Message("est_training", tflops=f"{gpu.bf16_tflops:g}", mfu=mfu_method)
    return out


def _check_hours(hours: float, mfu_source: str, mfu: float) -> None:
    """GPU-hours that overflow with a given MFU: the MFU is the typing mistake, not the GPU-hours."""
    if not math.isfinite(hours) and mfu_source == "given":
        raise EstimatorError(f"far too small (got {mfu:.3g}): the GPU-hours overflow", field="mfu")


def _add_run(out: dict, gpu: GpuSpec, hours: float, gpus: float | None, gpu_hour_price_usd: float | None) -> None:
    """Wall-clock days on `gpus` GPUs and the cost at the given or catalog price, where known."""
    if gpus is not None:
        n = _f(positive(gpus, "gpus"))
        if n > MAX_COUNT:  # the bound on every GPU count of a scenario
            raise EstimatorError(f"must be at most {MAX_COUNT:,.0f} GPUs (got {n:.3g})", field="gpus")
        out["gpus"] = n
        out["wall_clock_days"] = hours / n / 24.0
    price, source = gpu_hour_price(gpu, gpu_hour_price_usd)
    if price is not None:
        out.update(gpu_hour_price=price, cost=hours * price, currency="USD", cost_source=source, price_source=source)


@_finite
def estimate_finetune(
    gpu: GpuSpec, params: float, tokens: float, epochs: float, method: str, *,
    gpus: float | None = None, mfu: float | None = None, gpu_hour_price_usd: float | None = None,
    precision: str = "bf16",
) -> dict:
    """FLOPs, MFU, GPU-hours, wall-clock and cost of a fine-tune (current stack). `auto` MFU
    carries `error_factor_p80`."""
    precision = tr.check_precision(gpu, precision)
    flops = _f(ft.finetune_flops(params, tokens, epochs, method))
    mfu_value, mfu_source, mfu_method = _mfu(mfu, ft.finetune_mfu(gpu, params, method, precision=precision),
                                             ft.finetune_mfu_method(gpu, method, precision))
    hours = _f(tr.training_gpu_hours(flops, gpu, mfu_value))
    out: dict = {
        "gpu": gpu.id, "params": float(params), "tokens": float(tokens), "epochs": float(epochs), "finetune_method": method.lower(),
        "precision": precision, "flops": flops, "mfu": mfu_value, "mfu_source": mfu_source, "gpu_hours": hours,
    }
    if mfu_source == "auto":
        out["error_factor_p80"] = ft.ERROR_FACTOR_P80
    _check_hours(hours, mfu_source, mfu_value)
    _add_run(out, gpu, hours, gpus, gpu_hour_price_usd)
    k = ft.FLOPS_PER_PARAM_TOKEN[method.lower()]
    out["method"] = Message("est_finetune", k=f"{k:g}", method=method.lower(), tflops=f"{gpu.bf16_tflops:g}", mfu=mfu_method)
    return out


@_finite
def estimate_serving_capacity(
    gpu: GpuSpec, total_params: float, active_params: float, precision: str, input_len: float, output_len: float, *,
    kv_bytes_per_token: float | None = None, max_concurrency: float | None = None,
    tokens_per_month: float | None = None, peak_to_average: float = 2.0, target_utilization: float = 0.7,
    gpu_hour_price_usd: float | None = None, layers: float | None = None, cached_input_share: float = 0.0,
    time_per_output_token_ms: float | None = None, time_to_first_token_ms: float | None = None,
    gpus_per_replica: float | None = None,
) -> dict:
    """Tensor-parallel degree, batch and throughput per GPU; with a monthly volume, the GPUs for its
    peak and the monthly rental cost (peak tokens/s = volume / (730·3600) × peak_to_average; GPUs =
    ceil(peak / (tokens/s per GPU × target utilisation)) rounded up to whole replicas). Latency
    targets (ms) cap the batch."""
    est = sv.estimate_serving(total_params, active_params, gpu, precision, input_len, output_len,
                              max_concurrency=max_concurrency, kv_bytes_per_token=kv_bytes_per_token, layers=layers,
                              cached_input_share=cached_input_share, gpus_per_replica=gpus_per_replica,
                              time_per_output_token_ms=time_per_output_token_ms, time_to_first_token_ms=time_to_first_token_ms)
    per_replica = _f(est.gpus_per_replica)
    tps = _f(est.tokens_per_second_per_gpu)
    out: dict = {
        "gpu": gpu.id, "params": float(total_params), "active_params": float(active_params), "precision": precision.lower(),
        "input_len": float(input_len), "output_len": float(output_len), "cached_input_share": float(cached_input_share),
        "gpus_per_replica": per_replica, "tensor_parallel": per_replica, "concurrency_per_replica": _f(est.concurrency),
        "batch_limit": str(est.batch_limit),
        "output_tokens_per_second_per_gpu": _f(est.output_tokens_per_second_per_gpu),
        "tokens_per_second_per_gpu": tps, "bound": str(est.bound),
        "time_per_output_token_ms": _f(est.time_per_output_token_ms), "time_to_first_token_ms": _f(est.time_to_first_token_ms),
        "interconnect": gpu.interconnect_kind,
    }
    if time_per_output_token_ms is not None or time_to_first_token_ms is not None:
        out["latency_target"] = {"time_per_output_token_ms": time_per_output_token_ms, "time_to_first_token_ms": time_to_first_token_ms,
                                 "met": bool(np.all(est.latency_met))}
    if est.candidates:
        out["output_tokens_per_second_per_gpu_by_tp"] = {str(k): round(v, 1) for k, v in est.candidates.items()}
    if tokens_per_month is not None:
        volume = _f(positive(tokens_per_month, "tokens_per_month"))
        peak_ratio = _f(positive(peak_to_average, "peak_to_average"))
        util = _f(unit_fraction(target_utilization, "target_utilization"))
        peak = volume / SECONDS_PER_MONTH * peak_ratio
        need = peak / (tps * util) / per_replica
        if not need * per_replica <= MAX_COUNT:  # the fleet bound of the engine (inf and NaN fail too)
            field, why = (("target_utilization", "target_utilization is far too small") if util < 0.01
                          else ("tokens_per_month", "the volume exceeds any real traffic"))
            raise EstimatorError(f"the serving fleet would need {need * per_replica:.3g} GPUs, more than "
                                 f"{MAX_COUNT:,.0f}: {why}", field=field)
        replicas = max(1.0, math.ceil(need - 1e-9))
        out.update(tokens_per_month=volume, peak_to_average=peak_ratio, target_utilization=util,
                   peak_tokens_per_second=peak, replicas=replicas, gpus=replicas * per_replica)
        price, source = gpu_hour_price(gpu, gpu_hour_price_usd)
        if price is not None:
            out.update(gpu_hour_price=price, monthly_cost=out["gpus"] * HOURS_PER_MONTH * price,
                       currency="USD", cost_source=source, price_source=source)
    from buildorbuy.estimators.error_bars import serving_error_factor_p80

    factor = serving_error_factor_p80()
    if factor is not None:
        out["error_factor_p80"] = factor
    out["method"] = est.method
    out["warnings"] = list(est.warnings)
    return out
