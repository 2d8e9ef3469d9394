"""Pretraining compute and the `auto` model FLOPs utilisation (MFU).

FLOPs = 6 · N_active · D (Kaplan et al. 2020, arXiv 2001.08361; Hoffmann et al. 2022,
arXiv 2203.15556): 2 FLOPs per parameter per token forward, 4 backward.

GPU-hours = FLOPs / (peak dense BF16 FLOP/s · MFU) / 3600. MFU is always relative to the
GPU's dense BF16 peak, also for FP8 training, so it is comparable across runs.

`auto` MFU (fitted to published pretraining runs; see `calibration.fit_training`):

    MFU = MFU_MAX / (1 + OVERHEAD · (F / F_A100) · (D / N) / 100)

- MFU_MAX: what a well-tuned large run reaches when overheads are negligible.
- F / F_A100: the GPU's dense BF16 peak relative to the A100's 312 TFLOP/s. Work that does not
  run on tensor cores (communication, memory-bound kernels, checkpointing, restarts) does not
  speed up with the tensor-core rate, so its share of wall-clock grows with it (Amdahl).
- D / N: training tokens per active parameter. Heavily over-trained small models (Llama 3 8B at
  15T tokens, Llama 3.2 at 9T) are spread over clusters that are large for their size, where
  per-step communication and synchronisation dominate, and their published hours bundle
  annealing, long-context and distillation stages that 6ND does not count.

- A GPU whose measured achievable matmul rate is a smaller share of its peak than the H100's
  (MI300X: 51 % against 80 %) gets MFU scaled by that ratio (`GpuSpec.matmul_efficiency_factor`);
  a physical prior from the stas00 MAMF table, not fitted (no calibration run is on AMD).

Both exponents are fixed at 1 (not fitted); the two free parameters are fitted by least
absolute log error of GPU-hours over the scored runs. Equivalently, GPU-hours =
6ND / (F · MFU_MAX) + k · D²: a fixed-per-token-squared overhead, which is why the fit should
not be extrapolated far beyond the calibrated range (D/N 2-7300, A100 to B200).

Fitted values (14 scored runs: LLaMA-1 7-33B, Llama 2 7/70B, Llama 3 8/70B, Llama 3.2 1/3B,
BLOOM 176B, Pythia 2.8/12B, Olmo Hybrid 7B, GPT-2 124M; grid steps 0.005 and 1 %):
MFU_MAX = 0.445, OVERHEAD = 0.0339. Median |ln(predicted/reported GPU-hours)| 0.10 with 93 %
of runs within 1.5× (constant MFU 0.4: 0.29 and 64 %); leave-one-out (refit without each run)
0.12 and 93 %. Out of sample, Llama 3.1 8B/70B/405B and DeepSeek-V3 (H800, MoE) are within
1.5× too. The one miss is Pythia 12B (predicted 0.59× its GPU-hours, which are unverified).
docs/ACCURACY.md lists every run.
"""

from __future__ import annotations

import numpy as np

from buildorbuy.catalog.gpus import GpuSpec
from buildorbuy.estimators._arrays import positive

FLOPS_PER_PARAM_TOKEN = 6.0
"""Training FLOPs per active parameter per token (Kaplan 2020; Hoffmann 2022)."""

MFU_MAX = 0.445
"""Fitted ceiling of `auto` MFU (dimensionless)."""
OVERHEAD = 0.0339
"""Fitted overhead coefficient at the reference peak and tokens per parameter."""
REFERENCE_PEAK_FLOPS = 312e12
"""A100 dense BF16 peak, FLOP/s: the speed at which OVERHEAD is expressed."""
REFERENCE_TOKENS_PER_PARAM = 100.0
DEFAULT_TOKENS_PER_PARAM = 20.0
"""Tokens per parameter assumed when the token count is not given: compute-optimal D ≈ 20 N
(Hoffmann et al. 2022)."""


def training_flops(active_params, tokens) -> np.ndarray:
    """Training FLOPs = 6 · N_active · D. Arrays broadcast."""
    n = positive(active_params, "active_params")
    d = positive(tokens, "tokens")
    return FLOPS_PER_PARAM_TOKEN * n * d


def training_mfu(gpu: GpuSpec, active_params, tokens=None, *, mfu_max: float = MFU_MAX, overhead: float = OVERHEAD) -> np.ndarray:
    """`auto` MFU (fraction of dense BF16 peak) for pretraining N_active parameters on `gpu`.

    `tokens` (D) sharpens the estimate; without it D = 20 · N is assumed. `mfu_max` and
    `overhead` default to the fitted values (the calibration passes its own).
    """
    n = positive(active_params, "active_params")
    d = n * DEFAULT_TOKENS_PER_PARAM if tokens is None else positive(tokens, "tokens")
    speed = gpu.peak_flops("bf16") / REFERENCE_PEAK_FLOPS
    return gpu.matmul_efficiency_factor * mfu_max / (1.0 + overhead * speed * (d / n) / REFERENCE_TOKENS_PER_PARAM)


def training_mfu_method(gpu: GpuSpec) -> str:
    """One line describing how `auto` MFU was obtained, for the output."""
    speed = gpu.peak_flops("bf16") / REFERENCE_PEAK_FLOPS
    factor = "" if gpu.matmul_efficiency_factor == 1.0 else f"{gpu.matmul_efficiency_factor:.2f} (achievable matmul vs H100) × "
    return (
        f"MFU = {factor}{MFU_MAX:g} / (1 + {OVERHEAD:g} × {speed:.3g} (peak vs A100) × (D/N)/100), "
        "fitted to published pretraining runs (LLaMA, Llama 2/3, BLOOM, Pythia, OLMo)"
    )


def training_gpu_hours(flops, gpu: GpuSpec, mfu) -> np.ndarray:
    """GPU-hours = FLOPs / (peak dense BF16 FLOP/s · MFU) / 3600."""
    return np.asarray(flops, dtype=float) / (gpu.peak_flops("bf16") * np.asarray(mfu, dtype=float)) / 3600.0
