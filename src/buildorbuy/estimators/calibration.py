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
        params: float
        method: Literal["full", "lora", "qlora"]
        gpu: str
        tokens_per_second_per_gpu: float
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

    from buildorbuy.scenario._yaml import safe_load

    text = importlib.resources.files("buildorbuy.catalog").joinpath("data/calibration.yaml").read_text(encoding="utf-8")
    return _schema().model_validate(safe_load(text))  # libyaml when installed


# ---------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainingPoints:
    """Scored runs as arrays: active params, tokens, GPU bf16 peak (FLOP/s), reported GPU-hours."""

    names: tuple[str, ...]
    params: np.ndarray
    tokens: np.ndarray
    peak_flops: np.ndarray
    gpu_hours: np.ndarray
    matmul_factor: np.ndarray


def training_points(runs=None) -> TrainingPoints:
    data = calibration_data()
    runs = [r for r in (data.training_runs if runs is None else runs) if r.scored and r.gpu]
    return TrainingPoints(
        names=tuple(r.name for r in runs),
        params=np.array([r.params_active for r in runs]),
        tokens=np.array([r.tokens for r in runs]),
        peak_flops=np.array([get_gpu(r.gpu).peak_flops("bf16") for r in runs]),
        gpu_hours=np.array([r.gpu_hours for r in runs]),
        matmul_factor=np.array([get_gpu(r.gpu).matmul_efficiency_factor for r in runs]),
    )


def predict_training_hours(points: TrainingPoints, mfu_max, overhead) -> np.ndarray:
    """GPU-hours from the `auto` MFU equation (see estimators.training); parameters broadcast
    against a trailing run axis."""
    from buildorbuy.estimators.training import REFERENCE_PEAK_FLOPS, REFERENCE_TOKENS_PER_PARAM

    mfu_max = np.asarray(mfu_max, float)[..., None]
    overhead = np.asarray(overhead, float)[..., None]
    x = overhead * (points.peak_flops / REFERENCE_PEAK_FLOPS) * (points.tokens / points.params) / REFERENCE_TOKENS_PER_PARAM
    mfu = points.matmul_factor * mfu_max / (1.0 + x)
    return 6.0 * points.params * points.tokens / (points.peak_flops * mfu) / 3600.0


MFU_MAX_GRID = np.round(np.arange(0.30, 0.701, 0.005), 3)
OVERHEAD_GRID = np.round(np.logspace(-3, 0, 301), 6)


def fit_training(points: TrainingPoints, mask=None) -> tuple[float, float]:
    """(MFU_MAX, OVERHEAD) minimising the summed |ln(predicted/reported)| over the grid."""
    m, c = np.meshgrid(MFU_MAX_GRID, OVERHEAD_GRID, indexing="ij")
    pred = predict_training_hours(points, m, c)
    err = np.abs(np.log(pred / points.gpu_hours))
    if mask is not None:
        err = err[..., mask]
    loss = err.sum(axis=-1)
    i, j = np.unravel_index(np.argmin(loss), loss.shape)
    return float(m[i, j]), float(c[i, j])


def leave_one_out_training(points: TrainingPoints) -> np.ndarray:
    """Predicted GPU-hours of each run from a fit without it."""
    out = np.empty_like(points.gpu_hours)
    for k in range(points.gpu_hours.size):
        mask = np.arange(points.gpu_hours.size) != k
        m, c = fit_training(points, mask)
        out[k] = predict_training_hours(points, m, c)[k]
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


def finetune_hours(runs, job_efficiency=None) -> np.ndarray:
    """Predicted GPU-hours of fine-tunes with the `auto` MFU (or a given job efficiency)."""
    from buildorbuy.estimators.finetune import JOB_EFFICIENCY, finetune_flops
    from buildorbuy.estimators.training import training_mfu

    out = []
    for r in runs:
        gpu = get_gpu(r.gpu)
        eff = JOB_EFFICIENCY[r.method] if job_efficiency is None else job_efficiency
        mfu = training_mfu(gpu, r.params) * eff
        out.append(float(finetune_flops(r.params, r.tokens_per_epoch, r.epochs, r.method) / (gpu.peak_flops("bf16") * mfu) / 3600.0))
    return np.array(out)


def fit_finetune(runs) -> float:
    """Job efficiency minimising summed |ln(predicted/reported)|: the geometric median of the
    runs' implied efficiencies (their geometric mean when there are two)."""
    implied = finetune_hours(runs, 1.0) / np.array([r.gpu_hours for r in runs])
    return float(np.exp(np.median(np.log(implied))))
