"""Fit and score the estimators' `auto` values against the published runs shipped in
`catalog/data/calibration.yaml`.

Score = median |ln(predicted / reported)| and the share of points within 1.5× (|ln| ≤ ln 1.5).
Fits minimise the sum of |ln(predicted / reported)| (least absolute log error, robust to the
few runs whose hours include work 6ND does not count) by grid search: deterministic and
dependency-free. Leave-one-out refits without each run and predicts it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from buildorbuy.catalog.gpus import GpuSpec, get_gpu

WITHIN = 1.5
"""A prediction is 'within' when it is between reported / 1.5 and reported × 1.5."""


@dataclass(frozen=True)
class Score:
    median_abs_log_ratio: float
    share_within: float
    count: int

    def __str__(self) -> str:
        return f"median |ln ratio| {self.median_abs_log_ratio:.3f}, {self.share_within:.0%} within {WITHIN:g}× (n={self.count})"


def score(predicted, reported) -> Score:
    """Median |ln(predicted/reported)| and share within 1.5× over all points."""
    ratio = np.abs(np.log(np.asarray(predicted, float) / np.asarray(reported, float)))
    return Score(float(np.median(ratio)), float(np.mean(ratio <= math.log(WITHIN) + 1e-12)), int(ratio.size))


def _schema():
    from typing import Literal

    from pydantic import BaseModel, ConfigDict, Field

    Verification = Literal["verified_primary", "verified_secondary", "derived", "unverified"]

    class _Strict(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)

    class TrainingRun(_Strict):
        name: str
        date: str | None = None
        precision: Literal["bf16", "fp8"] = "bf16"
        stack: Literal["current", "legacy"] = "current"
        params_active: float = Field(gt=0)
        params_total: float = Field(gt=0)
        tokens: float = Field(gt=0)
        gpu: str | None
        accelerator: str | None = None
        peak_tflops: float | None = None
        gpu_hours: float = Field(gt=0)
        hours_verification: Verification
        scored: bool = True
        reason: str | None = None
        source: str

    class FinetuneRun(_Strict):
        name: str
        date: str | None = None
        stack: Literal["2023", "current"] = "2023"
        params: float = Field(gt=0)
        method: Literal["full", "lora", "qlora"]
        tokens_per_epoch: float | None
        epochs: float | None
        gpu: str | None
        gpu_hours: float = Field(gt=0)
        hours_verification: Verification
        tokens_verification: Verification | None = None
        tokens_note: str | None = None
        scored: bool = True
        reason: str | None = None
        source: str

    class FinetuneThroughput(_Strict):
        name: str
        date: str | None = None
        params: float
        params_total: float | None = None
        method: Literal["full", "lora", "qlora"]
        gpu: str
        precision: Literal["bf16", "fp8"] = "bf16"
        tokens_per_second_per_gpu: float
        scored: bool = True
        reason: str | None = None
        source: str

    class ServingModel(_Strict):
        params_total: float
        params_active: float
        layers: int
        kv_heads: int
        head_dim: int

    class ServingTable(_Strict):
        model: str
        gpu: str
        gpus: int
        precision: str
        source: str
        output_tokens_per_second: dict[str, float]

    class ServingRow(_Strict):
        model: str
        gpu: str
        gpus: int
        precision: str
        batch: int
        isl: int
        osl: int
        output_tokens_per_second: float
        source: str
        note: str | None = None

    class CalibrationFile(_Strict):
        schema_version: Literal[1]
        training_runs: list[TrainingRun]
        validation_runs: list[TrainingRun]
        finetune_runs: list[FinetuneRun]
        finetune_throughput: list[FinetuneThroughput]
        serving_models: dict[str, ServingModel]
        serving_tables: list[ServingTable]
        serving_rows: list[ServingRow]

    return CalibrationFile


@functools.cache
def calibration_data():
    """The shipped calibration points, validated (strict pydantic model)."""
    import importlib.resources

    import yaml

    text = importlib.resources.files("buildorbuy.catalog").joinpath("data/calibration.yaml").read_text(encoding="utf-8")
    return _schema().model_validate(yaml.safe_load(text))


# ---------------------------------------------------------------- training


def error_factor_p80(log_residuals) -> float:
    """×/÷ factor covering 80 % of the points: exp of the 90th percentile of |ln(predicted/reported)|
    (so 80 % of a two-sided lognormal-like spread lies within reported ×/÷ factor)."""
    r = np.abs(np.asarray(log_residuals, float))
    return float(np.exp(np.percentile(r, 90)))


@dataclass(frozen=True)
class TrainingPoints:
    """Scored runs as arrays: active and total params, tokens, GPU bf16 peak (FLOP/s), reported
    GPU-hours, matmul factor, FP8 peak ratio (FP8 peak / BF16 peak, 0 for BF16 runs) and
    whether the run used a legacy stack."""

    names: tuple[str, ...]
    params: np.ndarray
    tokens: np.ndarray
    peak_flops: np.ndarray
    gpu_hours: np.ndarray
    matmul_factor: np.ndarray
    params_total: np.ndarray | None = None
    fp8_ratio: np.ndarray | None = None
    legacy: np.ndarray | None = None


@dataclass(frozen=True)
class TrainingFit:
    mfu_max: float
    overhead: float
    moe_overhead: float
    fp8_efficiency: float
    legacy_factor: float


def training_points(runs=None) -> TrainingPoints:
    data = calibration_data()
    runs = [r for r in (data.training_runs if runs is None else runs) if r.scored and r.gpu]
    gpus = [get_gpu(r.gpu) for r in runs]
    return TrainingPoints(
        names=tuple(r.name for r in runs),
        params=np.array([r.params_active for r in runs]),
        tokens=np.array([r.tokens for r in runs]),
        peak_flops=np.array([g.peak_flops("bf16") for g in gpus]),
        gpu_hours=np.array([r.gpu_hours for r in runs]),
        matmul_factor=np.array([g.matmul_efficiency_factor for g in gpus]),
        params_total=np.array([r.params_total for r in runs]),
        fp8_ratio=np.array([g.peak_flops("fp8") / g.peak_flops("bf16") if r.precision == "fp8" else 0.0 for r, g in zip(runs, gpus)]),
        legacy=np.array([r.stack == "legacy" for r in runs]),
    )


def predict_training_hours(points: TrainingPoints, mfu_max, overhead, moe_overhead=0.0, fp8_efficiency=1.0, legacy_factor=1.0) -> np.ndarray:
    """GPU-hours from the `auto` MFU equation (see estimators.training), with the legacy-stack
    factor on legacy runs; parameters broadcast against a trailing run axis."""
    from buildorbuy.estimators.training import moe_factor, overhead_ratio

    mfu_max, overhead, moe_overhead, fp8_efficiency, legacy_factor = (
        np.asarray(v, float)[..., None] for v in (mfu_max, overhead, moe_overhead, fp8_efficiency, legacy_factor))
    n = points.params
    total = n if points.params_total is None else points.params_total
    fp8 = np.zeros_like(n) if points.fp8_ratio is None else points.fp8_ratio
    legacy = np.zeros(n.shape, bool) if points.legacy is None else points.legacy
    mfu = points.matmul_factor * mfu_max / (1.0 + overhead_ratio(points.peak_flops, n, points.tokens, 1.0) * overhead)
    mfu = mfu * moe_factor(n, total, moe_overhead) * np.where(fp8 > 0, fp8 * fp8_efficiency, 1.0) * np.where(legacy, legacy_factor, 1.0)
    return 6.0 * n * points.tokens / (points.peak_flops * mfu) / 3600.0


MFU_MAX_GRID = np.round(np.arange(0.30, 0.701, 0.005), 3)
OVERHEAD_GRID = np.round(np.logspace(-3, 0.5, 176), 6)
MOE_GRID = np.round(np.arange(0.0, 1.501, 0.02), 3)
FP8_GRID = np.round(np.arange(0.40, 1.001, 0.01), 3)
LEGACY_GRID = np.round(np.arange(0.40, 1.001, 0.005), 3)


def fit_training(points: TrainingPoints, mask=None, iterations: int = 4) -> TrainingFit:
    """Constants minimising the summed |ln(predicted/reported)| over the grids: MFU_MAX and
    OVERHEAD jointly on every run, then the legacy-stack factor on legacy runs and the MoE and
    FP8 constants jointly on MoE/FP8 runs (they touch only those), alternating `iterations` times."""
    n_runs = points.gpu_hours.size
    mask = np.ones(n_runs, bool) if mask is None else np.asarray(mask, bool)
    total = points.params if points.params_total is None else points.params_total
    fp8 = np.zeros(n_runs) if points.fp8_ratio is None else points.fp8_ratio
    legacy = np.zeros(n_runs, bool) if points.legacy is None else points.legacy
    special = (total > points.params * 1.0001) | (fp8 > 0)
    fit = TrainingFit(0.45, 0.1, 0.0, 0.75, 1.0)

    def loss(pred, sel):
        return np.abs(np.log(pred / points.gpu_hours))[..., sel].sum(axis=-1)

    for _ in range(iterations):
        m, c = np.meshgrid(MFU_MAX_GRID, OVERHEAD_GRID, indexing="ij")
        err = loss(predict_training_hours(points, m, c, fit.moe_overhead, fit.fp8_efficiency, fit.legacy_factor), mask)
        i, j = np.unravel_index(np.argmin(err), err.shape)
        fit = TrainingFit(float(m[i, j]), float(c[i, j]), fit.moe_overhead, fit.fp8_efficiency, fit.legacy_factor)
        sel = mask & legacy
        if sel.any():
            err = loss(predict_training_hours(points, fit.mfu_max, fit.overhead, fit.moe_overhead, fit.fp8_efficiency, LEGACY_GRID), sel)
            fit = TrainingFit(fit.mfu_max, fit.overhead, fit.moe_overhead, fit.fp8_efficiency, float(LEGACY_GRID[np.argmin(err)]))
        sel = mask & special
        if sel.any():
            mo, fe = np.meshgrid(MOE_GRID, FP8_GRID, indexing="ij")
            err = loss(predict_training_hours(points, fit.mfu_max, fit.overhead, mo, fe, fit.legacy_factor), sel)
            i, j = np.unravel_index(np.argmin(err), err.shape)
            fit = TrainingFit(fit.mfu_max, fit.overhead, float(mo[i, j]), float(fe[i, j]), fit.legacy_factor)
    return fit


def shipped_training_fit() -> TrainingFit:
    """The constants in estimators.training."""
    from buildorbuy.estimators import training as tr

    return TrainingFit(tr.MFU_MAX, tr.OVERHEAD, tr.MOE_OVERHEAD, tr.FP8_EFFICIENCY, tr.LEGACY_STACK_FACTOR)


def predict_with(points: TrainingPoints, fit: TrainingFit) -> np.ndarray:
    return predict_training_hours(points, fit.mfu_max, fit.overhead, fit.moe_overhead, fit.fp8_efficiency, fit.legacy_factor)


def leave_one_out_training(points: TrainingPoints) -> np.ndarray:
    """Predicted GPU-hours of each run from a fit without it."""
    out = np.empty_like(points.gpu_hours)
    for k in range(points.gpu_hours.size):
        mask = np.arange(points.gpu_hours.size) != k
        out[k] = predict_with(points, fit_training(points, mask))[k]
    return out


def constant_mfu_hours(points: TrainingPoints, mfu: float = 0.4) -> np.ndarray:
    return 6.0 * points.params * points.tokens / (points.peak_flops * mfu) / 3600.0


# ---------------------------------------------------------------- serving


@dataclass(frozen=True)
class ServingPoints:
    labels: tuple[str, ...]
    gpus: tuple[GpuSpec, ...]
    precision: tuple[str, ...]
    tp: np.ndarray
    params_total: np.ndarray
    params_active: np.ndarray
    layers: np.ndarray
    kv_heads: np.ndarray
    head_dim: np.ndarray
    isl: np.ndarray
    osl: np.ndarray
    batch: np.ndarray
    reported_per_gpu: np.ndarray


def serving_points() -> ServingPoints:
    data = calibration_data()
    rows = []
    for t in data.serving_tables:
        for shape, tps in t.output_tokens_per_second.items():
            isl, osl = (int(v) for v in shape.split("/"))
            rows.append((f"{t.model} {t.gpu}×{t.gpus} {t.precision} {shape}", t.model, t.gpu, t.gpus, t.precision, isl, osl, np.nan, tps))
    for r in data.serving_rows:
        rows.append((f"{r.model} {r.gpu}×{r.gpus} {r.precision} {r.isl}/{r.osl} batch {r.batch}", r.model, r.gpu, r.gpus, r.precision, r.isl, r.osl, r.batch, r.output_tokens_per_second))
    models = data.serving_models
    return ServingPoints(
        labels=tuple(r[0] for r in rows),
        gpus=tuple(get_gpu(r[2]) for r in rows),
        precision=tuple(r[4] for r in rows),
        tp=np.array([r[3] for r in rows], float),
        params_total=np.array([models[r[1]].params_total for r in rows]),
        params_active=np.array([models[r[1]].params_active for r in rows]),
        layers=np.array([models[r[1]].layers for r in rows], float),
        kv_heads=np.array([models[r[1]].kv_heads for r in rows], float),
        head_dim=np.array([models[r[1]].head_dim for r in rows], float),
        isl=np.array([r[5] for r in rows], float),
        osl=np.array([r[6] for r in rows], float),
        batch=np.array([r[7] for r in rows], float),
        reported_per_gpu=np.array([r[8] / r[3] for r in rows]),
    )


def predict_serving(points: ServingPoints, prefill_efficiency, decode_efficiency, bandwidth_efficiency) -> tuple[np.ndarray, np.ndarray]:
    """(output tokens/s per GPU, bound) for each point at its published tensor-parallel degree;
    efficiencies broadcast against a trailing point axis."""
    from buildorbuy.estimators.serving import estimate_serving, kv_bytes_per_token

    pe = np.asarray(prefill_efficiency, float)[..., None]
    de = np.asarray(decode_efficiency, float)[..., None]
    be = np.asarray(bandwidth_efficiency, float)[..., None]
    out = np.empty(np.broadcast_shapes(pe.shape, de.shape, be.shape)[:-1] + (points.tp.size,))
    bound = np.empty(points.tp.size, dtype=object)
    groups: dict[tuple[str, str], list[int]] = {}
    for k, (gpu, prec) in enumerate(zip(points.gpus, points.precision)):
        groups.setdefault((gpu.id, prec), []).append(k)
    for (gpu_id, prec), idx in groups.items():
        idx_arr = np.array(idx)
        kv = kv_bytes_per_token(points.layers[idx_arr], points.kv_heads[idx_arr], points.head_dim[idx_arr], prec)
        batch = points.batch[idx_arr]
        est = estimate_serving(
            points.params_total[idx_arr], points.params_active[idx_arr], get_gpu(gpu_id), prec,
            points.isl[idx_arr], points.osl[idx_arr],
            kv_bytes_per_token=kv, gpus_per_replica=points.tp[idx_arr],
            max_concurrency=np.where(np.isnan(batch), _default_cap(), batch),
            prefill_efficiency=pe, decode_efficiency=de, bandwidth_efficiency=be,
        )
        out[..., idx_arr] = est.output_tokens_per_second_per_gpu
        b = np.broadcast_to(np.asarray(est.bound), est.output_tokens_per_second_per_gpu.shape)
        bound[idx_arr] = b.reshape(-1, len(idx))[0]
    return out, bound


def _default_cap() -> float:
    from buildorbuy.estimators.serving import DEFAULT_MAX_CONCURRENCY

    return float(DEFAULT_MAX_CONCURRENCY)


EFFICIENCY_GRID = np.round(np.arange(0.10, 1.001, 0.02), 3)


def fit_serving(points: ServingPoints) -> tuple[float, float, float]:
    """(PREFILL, DECODE, BANDWIDTH efficiency) minimising summed |ln(predicted/reported)| on a
    0.02 grid from 0.1 to 1."""
    de, be = np.meshgrid(EFFICIENCY_GRID, EFFICIENCY_GRID, indexing="ij")
    best = (np.inf, 0.0, 0.0, 0.0)
    for pe in EFFICIENCY_GRID:
        pred, _ = predict_serving(points, pe, de, be)
        loss = np.abs(np.log(pred / points.reported_per_gpu)).sum(axis=-1)
        i, j = np.unravel_index(np.argmin(loss), loss.shape)
        if loss[i, j] < best[0] - 1e-12:
            best = (float(loss[i, j]), float(pe), float(de[i, j]), float(be[i, j]))
    return best[1], best[2], best[3]


# ---------------------------------------------------------------- fine-tuning


def scored_finetune_runs():
    return [r for r in calibration_data().finetune_runs if r.scored and r.gpu and r.tokens_per_epoch and r.epochs]


def scored_finetune_throughput():
    return [t for t in calibration_data().finetune_throughput if t.scored]


def _base_mfu(gpu, params, params_total=None, precision="bf16"):
    from buildorbuy.estimators.finetune import base_mfu

    return float(base_mfu(gpu, params, total_params=params_total, precision=precision))


def finetune_hours(runs, job_efficiency=None) -> np.ndarray:
    """Predicted GPU-hours of fine-tunes with the `auto` MFU of their stack (or a given job efficiency)."""
    from buildorbuy.estimators.finetune import JOB_EFFICIENCY, finetune_flops

    out = []
    for r in runs:
        gpu = get_gpu(r.gpu)
        eff = JOB_EFFICIENCY[r.stack][r.method] if job_efficiency is None else job_efficiency
        mfu = _base_mfu(gpu, r.params) * eff
        out.append(float(finetune_flops(r.params, r.tokens_per_epoch, r.epochs, r.method) / (gpu.peak_flops("bf16") * mfu) / 3600.0))
    return np.array(out)


def implied_job_efficiency_throughput(rows) -> np.ndarray:
    """Job efficiency each throughput row implies: its MFU (k·N·tokens/s over the BF16 peak) over
    the base `auto` MFU of the same GPU, size and precision."""
    from buildorbuy.estimators.finetune import FLOPS_PER_PARAM_TOKEN

    out = []
    for t in rows:
        gpu = get_gpu(t.gpu)
        mfu = t.tokens_per_second_per_gpu * FLOPS_PER_PARAM_TOKEN[t.method] * t.params / gpu.peak_flops("bf16")
        out.append(mfu / _base_mfu(gpu, t.params, t.params_total, t.precision))
    return np.array(out)


def fit_finetune(runs) -> float:
    """Job efficiency minimising summed |ln(predicted/reported)|: the geometric median of the
    runs' implied efficiencies (their geometric mean when there are two)."""
    implied = finetune_hours(runs, 1.0) / np.array([r.gpu_hours for r in runs])
    return float(np.exp(np.median(np.log(implied))))


def finetune_points() -> list[tuple[str, str, str, float]]:
    """(name, stack, method, implied job efficiency) of every scored fine-tune and throughput row."""
    runs = scored_finetune_runs()
    pts = [(r.name, r.stack, r.method, float(e)) for r, e in zip(runs, finetune_hours(runs, 1.0) / np.array([r.gpu_hours for r in runs]))]
    rows = scored_finetune_throughput()
    pts += [(t.name, "current", t.method, float(e)) for t, e in zip(rows, implied_job_efficiency_throughput(rows))]
    return pts


def fit_finetune_groups(points=None) -> dict[tuple[str, str], float]:
    """Job efficiency per (stack, method): the geometric median of the group's implied efficiencies."""
    groups: dict[tuple[str, str], list[float]] = {}
    for _, stack, method, eff in finetune_points() if points is None else points:
        groups.setdefault((stack, method), []).append(eff)
    return {key: float(np.exp(np.median(np.log(v)))) for key, v in groups.items()}


def leave_one_out_finetune() -> np.ndarray:
    """ln(predicted / implied) job efficiency of each point from its group without it (groups of
    two or more points only)."""
    pts = finetune_points()
    out = []
    for k, (_, stack, method, eff) in enumerate(pts):
        rest = [p for j, p in enumerate(pts) if j != k and (p[1], p[2]) == (stack, method)]
        if rest:
            out.append(float(np.log(np.exp(np.median(np.log([p[3] for p in rest]))) / eff)))
    return np.array(out)
