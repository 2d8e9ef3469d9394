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
        kv_heads: int | None = None
        head_dim: int | None = None
        kv_elements_per_token: float | None = None
        hidden_size: int
        experts_per_token: int | None = None

        @property
        def kv_elements(self) -> float:
            return self.kv_elements_per_token or 2.0 * self.layers * self.kv_heads * self.head_dim

    class ServingTable(_Strict):
        model: str
        gpu: str
        gpus: int
        precision: str
        engine: str
        date: str
        source: str
        verification: Verification = "verified_primary"
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
        engine: str | None = None
        date: str | None = None
        note: str | None = None

    class ServingLatencyCheck(_Strict):
        model: str
        gpu: str
        gpus: int
        precision: str
        isl: int
        osl: int
        concurrency: int
        time_per_output_token_ms: float
        output_tokens_per_second: float
        engine: str
        date: str
        source: str

    class ServingReference(_Strict):
        name: str
        model: str
        gpu: str
        precision: str
        output_tokens_per_second_per_gpu: float
        date: str
        note: str
        source: str

    class CalibrationFile(_Strict):
        schema_version: Literal[1]
        training_runs: list[TrainingRun]
        validation_runs: list[TrainingRun]
        finetune_runs: list[FinetuneRun]
        finetune_throughput: list[FinetuneThroughput]
        serving_models: dict[str, ServingModel]
        serving_tables: list[ServingTable]
        serving_rows: list[ServingRow]
        serving_reference: list[ServingReference] = []
        serving_latency_checks: list[ServingLatencyCheck] = []

    return CalibrationFile


@functools.cache
def calibration_data():
    """The shipped calibration points, validated (strict pydantic model)."""
    from buildorbuy.catalog._lookup import load_data

    return _schema().model_validate(load_data("calibration.yaml"))


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
    """Scored serving configurations as arrays, one element per configuration and request shape;
    per-point hardware so one vectorised call predicts them all."""

    labels: tuple[str, ...]
    models: tuple[str, ...]
    gpus: tuple[GpuSpec, ...]
    precision: tuple[str, ...]
    engines: tuple[str, ...]
    tp: np.ndarray
    params_total: np.ndarray
    params_active: np.ndarray
    layers: np.ndarray
    hidden: np.ndarray
    experts_per_token: np.ndarray
    kv_bytes: np.ndarray
    isl: np.ndarray
    osl: np.ndarray
    batch: np.ndarray
    """Published batch (max concurrency); NaN where the table ran at infinite rate."""
    reported_per_gpu: np.ndarray
    weight_bytes_per_param: np.ndarray
    memory_bytes: np.ndarray
    peak_flops: np.ndarray
    bandwidth: np.ndarray
    link_bytes_per_s: np.ndarray
    is_amd: np.ndarray

    def groups(self, by: str) -> tuple[str, ...]:
        """Group label of each point: by 'vendor' (NVIDIA NVLink / NVIDIA PCIe / AMD), 'interconnect',
        'engine', 'precision', 'size' (total parameters), 'tp' or 'architecture' (dense / MoE)."""
        if by == "vendor":
            return tuple(_vendor_group(g) for g in self.gpus)
        if by == "interconnect":
            return tuple(g.interconnect_kind for g in self.gpus)
        if by == "engine":
            return tuple(e.split()[0] for e in self.engines)
        if by == "precision":
            return self.precision
        if by == "size":
            return tuple("< 20B" if n < 20e9 else "20-100B" if n < 100e9 else "> 100B" for n in self.params_total)
        if by == "tp":
            return tuple(f"TP {int(t)}" for t in self.tp)
        if by == "architecture":
            return tuple("MoE" if a < t else "dense" for a, t in zip(self.params_active, self.params_total))
        raise ValueError(f"unknown grouping '{by}'")


SERVING_GROUPINGS = ("vendor", "interconnect", "engine", "precision", "size", "tp", "architecture")


def _vendor_group(gpu: GpuSpec) -> str:
    if gpu.vendor == "amd":
        return "AMD"
    if gpu.vendor != "nvidia":
        return gpu.vendor
    return "NVIDIA PCIe" if gpu.interconnect_kind == "pcie" else "NVIDIA NVLink"


def serving_points() -> ServingPoints:
    from buildorbuy.estimators.serving import BYTES_PER_PARAM, DEFAULT_MAX_CONCURRENCY, KV_BYTES_PER_ELEMENT, MOE_DEFAULT_EXPERTS_PER_TOKEN

    data = calibration_data()
    rows = []
    for t in data.serving_tables:
        for shape, tps in t.output_tokens_per_second.items():
            isl, osl = (int(v) for v in shape.split("/"))
            rows.append((f"{t.model} {t.gpu}×{t.gpus} {t.precision} {shape}", t.model, t.gpu, t.gpus, t.precision, isl, osl, np.nan, tps, t.engine))
    for r in data.serving_rows:
        rows.append((f"{r.model} {r.gpu}×{r.gpus} {r.precision} {r.isl}/{r.osl} batch {r.batch}", r.model, r.gpu, r.gpus, r.precision,
                     r.isl, r.osl, r.batch, r.output_tokens_per_second, r.engine or "TensorRT-LLM"))
    models = data.serving_models
    gpus = tuple(get_gpu(r[2]) for r in rows)
    prec = tuple(r[4] for r in rows)
    tp = np.array([r[3] for r in rows], float)
    del DEFAULT_MAX_CONCURRENCY
    return ServingPoints(
        labels=tuple(r[0] for r in rows),
        models=tuple(r[1] for r in rows),
        gpus=gpus,
        precision=prec,
        engines=tuple(r[9] for r in rows),
        tp=tp,
        params_total=np.array([models[r[1]].params_total for r in rows]),
        params_active=np.array([models[r[1]].params_active for r in rows]),
        layers=np.array([models[r[1]].layers for r in rows], float),
        hidden=np.array([models[r[1]].hidden_size for r in rows], float),
        experts_per_token=np.array([models[r[1]].experts_per_token or MOE_DEFAULT_EXPERTS_PER_TOKEN for r in rows], float),
        kv_bytes=np.array([models[r[1]].kv_elements * KV_BYTES_PER_ELEMENT[r[4]] for r in rows]),
        isl=np.array([r[5] for r in rows], float),
        osl=np.array([r[6] for r in rows], float),
        batch=np.array([r[7] for r in rows], float),
        reported_per_gpu=np.array([r[8] / r[3] for r in rows]),
        weight_bytes_per_param=np.array([BYTES_PER_PARAM[p] for p in prec], float),
        memory_bytes=np.array([g.memory_bytes for g in gpus]),
        peak_flops=np.array([g.peak_flops("fp8" if p == "fp4" else p) for g, p in zip(gpus, prec)]),
        bandwidth=np.array([g.bandwidth_bytes_per_s for g in gpus]),
        link_bytes_per_s=np.array([float(g.interconnect_bytes_per_s(t)) for g, t in zip(gpus, tp)]),
        is_amd=np.array([g.vendor != "nvidia" for g in gpus]),
    )


SERVING_PARAMETERS = ("prefill_efficiency", "decode_efficiency", "bandwidth_efficiency", "comm_efficiency",
                      "collective_latency_s", "amd_efficiency", "moe_comm_factor")
"""The fitted serving constants, in the order `fit_serving` returns them."""


def serving_constants() -> tuple[float, ...]:
    """The shipped values of SERVING_PARAMETERS (estimators.serving)."""
    from buildorbuy.estimators import serving as sv

    return (sv.PREFILL_EFFICIENCY, sv.DECODE_EFFICIENCY, sv.BANDWIDTH_EFFICIENCY, sv.COMM_EFFICIENCY,
            sv.COLLECTIVE_LATENCY_S, sv.VENDOR_EFFICIENCY["amd"], sv.MOE_COMM_FACTOR)


def predict_serving(points: ServingPoints, *params) -> tuple[np.ndarray, np.ndarray]:
    """(output tokens/s per GPU, bound) of each point at its published tensor-parallel degree and
    batch; `params` (SERVING_PARAMETERS order, default the shipped constants) broadcast against a
    trailing point axis."""
    from buildorbuy.estimators.serving import DEFAULT_MAX_CONCURRENCY, replica_throughput

    values = params or serving_constants()
    pe, de, be, ce, lat, amd, moe = (np.asarray(v, float)[..., None] for v in values)
    rep = replica_throughput(
        n_total=points.params_total, n_active=points.params_active, weight_bytes_per_param=points.weight_bytes_per_param,
        kv=points.kv_bytes, layers=points.layers, hidden=points.hidden, experts_per_token=points.experts_per_token,
        l_in=points.isl, l_out=points.osl, cached=0.0, g=points.tp,
        cap=np.where(np.isnan(points.batch), float(DEFAULT_MAX_CONCURRENCY), points.batch),
        memory_bytes=points.memory_bytes, peak_flops=points.peak_flops, bandwidth=points.bandwidth,
        link_bytes_per_s=points.link_bytes_per_s, vendor_eff=np.where(points.is_amd, amd, 1.0),
        prefill_eff=pe, decode_eff=de, bandwidth_eff=be, comm_eff=ce, collective_latency_s=lat, moe_comm_factor=moe,
    )
    bound = np.broadcast_to(rep.bound, rep.tps.shape).reshape(-1, points.tp.size)[0]
    return rep.tps, bound


SERVING_GRIDS = (
    np.round(np.arange(0.10, 1.001, 0.02), 3),          # prefill efficiency
    np.round(np.arange(0.10, 1.001, 0.02), 3),          # decode efficiency
    np.round(np.arange(0.10, 1.001, 0.02), 3),          # bandwidth efficiency
    np.round(np.arange(0.05, 1.001, 0.05), 3),          # comm efficiency
    np.round(np.arange(0.0, 40.1e-6, 2e-6), 9),         # collective latency, s
    np.round(np.arange(0.20, 1.201, 0.02), 3),          # AMD software efficiency
    np.round(np.arange(0.0, 2.001, 0.05), 3),           # MoE all-to-all volume factor
)
SERVING_FIT_START = (0.5, 0.3, 0.6, 0.5, 10e-6, 0.6, 1.0)
"""Starting point of the coordinate search (fixed, so the fit does not depend on the shipped values)."""


def _serving_loss(points: ServingPoints, mask, params) -> np.ndarray:
    pred, _ = predict_serving(points, *params)
    err = np.abs(np.log(pred / points.reported_per_gpu))
    if mask is not None:
        err = err[..., mask]
    return err.sum(axis=-1)


def fit_serving(points: ServingPoints, mask=None, start=None) -> tuple[float, ...]:
    """SERVING_PARAMETERS minimising summed |ln(predicted/reported)|: coordinate search over
    SERVING_GRIDS from SERVING_FIT_START (each sweep sets every parameter to its best grid value
    given the others) until a sweep changes nothing. Deterministic."""
    current = [float(v) for v in (start or SERVING_FIT_START)]
    for _ in range(30):
        changed = False
        for i, grid in enumerate(SERVING_GRIDS):
            trial = [np.asarray(v) for v in current]
            trial[i] = grid
            loss = _serving_loss(points, mask, trial)
            best = float(grid[int(np.argmin(loss))])
            if best != current[i]:
                current[i] = best
                changed = True
        if not changed:
            break
    return tuple(current)


def leave_one_out_serving(points: ServingPoints, params=None) -> np.ndarray:
    """Predicted output tokens/s per GPU of each point from a fit without it (started from the
    full fit, which converges in a sweep or two)."""
    full = params or fit_serving(points)
    out = np.empty_like(points.reported_per_gpu)
    for k in range(out.size):
        mask = np.arange(out.size) != k
        fitted = fit_serving(points, mask, start=full)
        out[k] = predict_serving(points, *fitted)[0][k]
    return out


def serving_latency_checks() -> list[tuple[object, float]]:
    """(published point, predicted output tokens/s per GPU at its time per output token and
    tensor-parallel degree) for the latency checks in the calibration data (not used in the fit)."""
    from buildorbuy.estimators.serving import KV_BYTES_PER_ELEMENT, estimate_serving

    data = calibration_data()
    out = []
    for c in data.serving_latency_checks:
        m = data.serving_models[c.model]
        est = estimate_serving(m.params_total, m.params_active, get_gpu(c.gpu), c.precision, c.isl, c.osl,
                               kv_bytes_per_token=m.kv_elements * KV_BYTES_PER_ELEMENT[c.precision], layers=m.layers,
                               hidden_size=m.hidden_size, gpus_per_replica=c.gpus,
                               time_per_output_token_ms=c.time_per_output_token_ms)
        out.append((c, float(np.asarray(est.output_tokens_per_second_per_gpu).reshape(-1)[0])))
    return out


@dataclass(frozen=True)
class ServingResidual:
    """One scored configuration: predicted (shipped constants) vs reported output tokens/s per GPU."""

    label: str
    model: str
    gpu: str
    tensor_parallel: int
    precision: str
    engine: str
    vendor_group: str
    predicted_per_gpu: float
    reported_per_gpu: float

    @property
    def log_ratio(self) -> float:
        """ln(predicted / reported)."""
        return math.log(self.predicted_per_gpu / self.reported_per_gpu)


@functools.cache
def _loo_predictions() -> tuple[float, ...]:
    points = serving_points()
    return tuple(float(v) for v in leave_one_out_serving(points, serving_constants()))


def serving_residuals(leave_one_out: bool = False) -> list[ServingResidual]:
    """Per-configuration predicted vs reported serving throughput (output tokens/s per GPU) over the
    shipped calibration points. Predicted from the fitted model (the shipped constants), or with
    `leave_one_out` from a refit without that point (slow: one refit per point; cached)."""
    points = serving_points()
    pred = np.asarray(_loo_predictions()) if leave_one_out else predict_serving(points)[0]
    return [
        ServingResidual(points.labels[k], points.models[k], points.gpus[k].id, int(points.tp[k]), points.precision[k],
                        points.engines[k], _vendor_group(points.gpus[k]), float(pred[k]), float(points.reported_per_gpu[k]))
        for k in range(pred.size)
    ]


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


def finetune_group(method: str) -> str:
    """Full fine-tunes and LoRA share a job efficiency (their MFU differs only by the FLOPs counted:
    NeMo's SFT and LoRA rows reach the same model TFLOP/s); QLoRA has its own."""
    return "full/lora" if method in ("full", "lora") else method


def fit_finetune_groups(points=None) -> dict[tuple[str, str], float]:
    """Job efficiency per (stack, method group): the geometric median of the group's implied efficiencies."""
    groups: dict[tuple[str, str], list[float]] = {}
    for _, stack, method, eff in finetune_points() if points is None else points:
        groups.setdefault((stack, finetune_group(method)), []).append(eff)
    return {key: float(np.exp(np.median(np.log(v)))) for key, v in groups.items()}


def leave_one_out_finetune() -> np.ndarray:
    """ln(predicted / implied) job efficiency of each point from its group without it (groups of
    two or more points only)."""
    pts = finetune_points()
    out = []
    for k, (_, stack, method, eff) in enumerate(pts):
        rest = [p for j, p in enumerate(pts) if j != k and (p[1], finetune_group(p[2])) == (stack, finetune_group(method))]
        if rest:
            out.append(float(np.log(np.exp(np.median(np.log([p[3] for p in rest]))) / eff)))
    return np.array(out)
