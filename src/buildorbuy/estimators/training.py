"""Pretraining compute and the `auto` model FLOPs utilisation (MFU).

FLOPs = 6 · N_active · D (Kaplan et al. 2020, arXiv 2001.08361; Hoffmann et al. 2022,
arXiv 2203.15556): 2 FLOPs per parameter per token forward, 4 backward.

GPU-hours = FLOPs / (peak dense BF16 FLOP/s · MFU) / 3600. MFU is always relative to the
GPU's dense BF16 peak, also for FP8 training, so it is comparable across runs (an FP8 run's
MFU can then exceed what BF16 reaches).

`auto` MFU (fitted to published pretraining runs; see `calibration.fit_training`):

    MFU = f · MFU_MAX / (1 + OVERHEAD · s · (D / 1T)^TOKENS_EXPONENT · (10B / N_active)^SIZE_EXPONENT)
              / (1 + MOE_OVERHEAD · (1 − N_active / N_total)) · g

- MFU_MAX: what a well-tuned run reaches when overheads are negligible.
- s = the GPU's dense BF16 peak / the A100's 312 TFLOP/s. Work that does not run on tensor cores
  (communication, memory-bound kernels, checkpointing, restarts) does not speed up with the
  tensor-core rate, so its share of wall-clock grows with it (Amdahl).
- (D / 1T)^0.45, the tokens term: long runs are spread over large clusters (more communication
  per step, more failures and restarts) and bundle annealing and long-context stages that 6ND
  does not count. Fitted on plain pretraining runs only: Llama 3.2 1B/3B, whose hours include
  pruning and distillation, are listed and not scored.
- (10B / N)^0.2: small models run smaller matmuls, so the non-matmul share is larger.
- MoE: tokens routed to experts on other GPUs cross the network twice per MoE layer forward and
  backward (all-to-all dispatch and combine); the overhead scales with the routed share
  1 − N_active/N_total (0 for a dense model).
- g, precision: 1 for BF16; for FP8, (FP8 peak / BF16 peak) · FP8_EFFICIENCY: the FP8 peak
  with its own efficiency (amax bookkeeping, casts and the BF16 parts of the step do not speed
  up). A GPU without FP8 tensor cores cannot run an FP8 estimate.
- f: a GPU whose measured achievable matmul rate is a smaller share of its peak than the H100's
  (MI300X: 51 % against 80 %) gets MFU scaled by that ratio (`GpuSpec.matmul_efficiency_factor`);
  a physical prior from the stas00 MAMF table, not fitted (no calibration run is on AMD).

The two exponents are fixed, not fitted by the grid search: they were chosen among 0.2-0.45
(tokens) and -0.1-0.3 (size) by the lowest leave-one-out error (neighbouring choices give
leave-one-out medians of 0.10-0.17), so the leave-one-out score is slightly optimistic; the
out-of-sample runs (validation_runs: Falcon, Olmo 3, Phi-3, Phi-4) check it. Five constants
are fitted by least absolute log error of GPU-hours over the scored runs: MFU_MAX, OVERHEAD,
MOE_OVERHEAD, FP8_EFFICIENCY (DeepSeek-V3 and Llama 4 are the FP8 runs, all MoE; DeepSeek-V2
is the BF16 MoE run that separates the two) and LEGACY_STACK_FACTOR, the factor of runs on
2021-22 training stacks without fused attention (BLOOM, Pythia, BloombergGPT), which explains
the A100-40GB-era runs and is never applied to an estimate (a run today uses a current stack).
Scores, every run and the leave-one-out errors: docs/ACCURACY.md (`benchmarks/accuracy.py`).
"""

from __future__ import annotations

import numpy as np

from buildorbuy.catalog.gpus import GpuSpec
from buildorbuy.estimators._arrays import EstimatorError, positive
from buildorbuy.phrases import Message

FLOPS_PER_PARAM_TOKEN = 6.0
"""Training FLOPs per active parameter per token (Kaplan 2020; Hoffmann 2022)."""

MFU_MAX = 0.53
"""Fitted ceiling of `auto` MFU (dimensionless, BF16)."""
OVERHEAD = 0.144544
"""Fitted overhead coefficient at the reference peak, tokens and size."""
MOE_OVERHEAD = 0.32
"""Fitted all-to-all overhead of a mixture of experts, per unit of routed share (1 − active/total)."""
FP8_EFFICIENCY = 0.87
"""Fitted share of the FP8-over-BF16 peak ratio that FP8 training realises."""
LEGACY_STACK_FACTOR = 0.535
"""Fitted MFU factor of 2021-22 training stacks (calibration only; never applied to estimates)."""
TOKENS_EXPONENT = 0.45
SIZE_EXPONENT = 0.2
REFERENCE_PEAK_FLOPS = 312e12
"""A100 dense BF16 peak, FLOP/s: the speed at which OVERHEAD is expressed."""
REFERENCE_TOKENS = 1e12
REFERENCE_PARAMS = 10e9
DEFAULT_TOKENS_PER_PARAM = 20.0
"""Tokens per parameter assumed when the token count is not given: compute-optimal D ≈ 20 N
(Hoffmann et al. 2022)."""

ERROR_FACTOR_P80 = 1.32
"""×/÷ factor covering 80 % of `auto` GPU-hours (and MFU): exp of the 90th percentile of
|ln(predicted/reported)| under leave-one-out over the scored runs (pinned by the tests)."""

PRECISIONS = ("bf16", "fp8")


def training_flops(active_params, tokens) -> np.ndarray:
    """Training FLOPs = 6 · N_active · D. Arrays broadcast."""
    n = positive(active_params, "active_params")
    d = positive(tokens, "tokens")
    return FLOPS_PER_PARAM_TOKEN * n * d


def check_precision(gpu: GpuSpec, precision: str, field: str = "precision") -> str:
    """The precision, lowercase; EstimatorError for an unknown one or FP8 on a GPU without FP8."""
    p = str(precision).lower()
    if p not in PRECISIONS:
        raise EstimatorError(f"unknown training precision '{precision}' (known: {', '.join(PRECISIONS)})", field=field)
    if p == "fp8" and not gpu.fp8_tflops:
        raise EstimatorError(f"{gpu.id} has no FP8 tensor cores: use bf16", field=field)
    return p


def precision_gain(gpu: GpuSpec, precision: str = "bf16", *, fp8_efficiency: float = FP8_EFFICIENCY) -> float:
    """Throughput of the precision relative to BF16: 1, or (FP8 peak / BF16 peak) · FP8_EFFICIENCY."""
    if check_precision(gpu, precision) == "bf16":
        return 1.0
    return gpu.peak_flops("fp8") / gpu.peak_flops("bf16") * fp8_efficiency


def overhead_ratio(peak_flops, active_params, tokens, overhead: float = OVERHEAD) -> np.ndarray:
    """x = OVERHEAD · (peak / A100 peak) · (D / 1T)^0.45 · (10B / N)^0.2 (dimensionless)."""
    return (overhead * (np.asarray(peak_flops, float) / REFERENCE_PEAK_FLOPS)
            * (np.asarray(tokens, float) / REFERENCE_TOKENS) ** TOKENS_EXPONENT
            * (REFERENCE_PARAMS / np.asarray(active_params, float)) ** SIZE_EXPONENT)


def moe_factor(active_params, total_params, moe_overhead: float = MOE_OVERHEAD) -> np.ndarray:
    """1 / (1 + MOE_OVERHEAD · (1 − N_active / N_total)); 1 for a dense model."""
    routed = np.clip(1.0 - np.asarray(active_params, float) / np.asarray(total_params, float), 0.0, 1.0)
    return 1.0 / (1.0 + moe_overhead * routed)


def training_mfu(gpu: GpuSpec, active_params, tokens=None, *, total_params=None, precision: str = "bf16",
                 mfu_max: float = MFU_MAX, overhead: float = OVERHEAD) -> np.ndarray:
    """`auto` MFU (fraction of dense BF16 peak) for pretraining N_active parameters on `gpu`.

    `tokens` (D) sharpens the estimate; without it D = 20 · N is assumed. `total_params` (default:
    dense) adds the mixture-of-experts overhead; `precision` bf16 or fp8. Capped at 1.
    """
    n = positive(active_params, "active_params")
    d = n * DEFAULT_TOKENS_PER_PARAM if tokens is None else positive(tokens, "tokens")
    total = n if total_params is None else np.maximum(positive(total_params, "total_params"), n)
    x = overhead_ratio(gpu.peak_flops("bf16"), n, d, overhead)
    mfu = gpu.matmul_efficiency_factor * mfu_max / (1.0 + x) * moe_factor(n, total) * precision_gain(gpu, precision)
    return np.minimum(mfu, 1.0)


def training_mfu_method(gpu: GpuSpec, precision: str = "bf16", moe: bool = False) -> str:
    """One line describing how `auto` MFU was obtained, for the output."""
    speed = gpu.peak_flops("bf16") / REFERENCE_PEAK_FLOPS
    factor = "" if gpu.matmul_efficiency_factor == 1.0 else f"{gpu.matmul_efficiency_factor:.2f} (achievable matmul vs H100) × "
    text = (f"MFU = {factor}{MFU_MAX:g} / (1 + {OVERHEAD:g} × {speed:.3g} (peak vs A100) × (D/1T)^{TOKENS_EXPONENT:g} "
            f"× (10B/N)^{SIZE_EXPONENT:g})")
    if moe:
        text += f" / (1 + {MOE_OVERHEAD:g} × (1 − active/total), MoE all-to-all)"
    if check_precision(gpu, precision) == "fp8":
        text += f" × {precision_gain(gpu, 'fp8'):.3g} (FP8: peak ratio {gpu.peak_flops('fp8') / gpu.peak_flops('bf16'):.3g} × efficiency {FP8_EFFICIENCY:g})"
    return Message("m_training_mfu", formula=text, runs=FITTED_RUNS, factor=f"{ERROR_FACTOR_P80:g}")


FITTED_RUNS = "LLaMA, Llama 2/3/3.1/4, BLOOM, Pythia, Falcon, TinyLlama, SmolLM3, DeepSeek, OLMo"
"""The model families whose published pretraining runs `auto` MFU is fitted to (see calibration)."""


def training_gpu_hours(flops, gpu: GpuSpec, mfu) -> np.ndarray:
    """GPU-hours = FLOPs / (peak dense BF16 FLOP/s · MFU) / 3600."""
    return np.asarray(flops, dtype=float) / (gpu.peak_flops("bf16") * np.asarray(mfu, dtype=float)) / 3600.0
