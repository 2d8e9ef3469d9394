"""Fine-tuning compute and the `auto` MFU for fine-tuning jobs, by method and stack generation.

FLOPs = k · N · D_ft · epochs, with k per method (FLOPS_PER_PARAM_TOKEN):

- full: 6 (2 forward + 4 backward per parameter per token; Kaplan et al. 2020).
- lora: 4. The frozen base needs no weight gradients, only activation gradients: 2 forward
  + 2 backward. Hu et al. 2021 (arXiv 2106.09685, §4.2) measured ~25 % higher training
  throughput than full fine-tuning on GPT-3 175B; NVIDIA NeMo's fine-tuning table shows LoRA at
  1.4-1.5× the tokens/s of SFT at about the same model TFLOP/s (docs.nvidia.com/nemo-framework,
  performance summary 24.12), consistent with 4 against 6.
- qlora: 6. The same 4 as LoRA plus a recomputed forward pass (2), because QLoRA trains with
  gradient checkpointing on (github:artidoro/qlora qlora.py). De-quantising the 4-bit weights
  costs time, not FLOPs, and shows in the MFU instead.

`auto` MFU = base MFU × JOB_EFFICIENCY[stack][method], where the base MFU is the pretraining
`auto` MFU of the same GPU, size and precision at 20 tokens per parameter (near its ceiling:
a fine-tune's short run has little of a pretraining run's overhead), and the job efficiency is
fitted per stack generation and method (geometric median of the implied efficiencies,
`calibration.fit_finetune_groups`):

- stack "current" (the default for estimates: packed sequences, fused kernels, FSDP2/ZeRO-3/
  Megatron, PEFT): full fine-tuning and LoRA share one efficiency (NeMo's SFT and LoRA rows reach
  the same model TFLOP/s; the FLOPs count already differs), fitted to NVIDIA NeMo 24.12's published
  SFT and LoRA throughput of Llama 2 7B/13B/70B on H100 (FP8, converted with the FP8 gain of the
  training model) and xtuner's published Llama 3 8B full fine-tunes on 2, 4 and 8 A100 80GB (BF16,
  8k context); QLoRA to axolotl's published Llama 4 Scout QLoRA throughput on one H100
  (de-quantisation on a single GPU; one point).
- stack "2023" (reference only: FSDP full fine-tunes on padded short examples, the Alpaca
  recipe): fitted to Stanford Alpaca 7B and the Alpaca recipe on Llama 2 7B (MFU 0.034 on A100);
  LoRA takes the same efficiency and QLoRA 0.7× it (an assumption: no 2023 LoRA/QLoRA run is
  scoreable).

The spread of the leave-one-out errors within groups gives `ERROR_FACTOR_P80`. docs/ACCURACY.md
lists every point.
"""

from __future__ import annotations

import numpy as np

from buildorbuy.catalog.gpus import GpuSpec
from buildorbuy.estimators._arrays import EstimatorError, positive
from buildorbuy.estimators.training import DEFAULT_TOKENS_PER_PARAM, training_mfu
from buildorbuy.phrases import Message

FLOPS_PER_PARAM_TOKEN = {"full": 6.0, "lora": 4.0, "qlora": 6.0}
"""FLOPs per base-model parameter per training token, by method (sources in the module docstring)."""

JOB_EFFICIENCY = {
    "current": {"full": 0.899, "lora": 0.899, "qlora": 0.169},
    "2023": {"full": 0.0686, "lora": 0.0686, "qlora": 0.048},
}
"""MFU of a fine-tuning job relative to the base MFU, by stack generation and method: fitted
(full and LoRA share one value per stack; current QLoRA), or assumed (2023 QLoRA = 0.7 × LoRA)."""

STACKS = tuple(JOB_EFFICIENCY)
DEFAULT_STACK = "current"
METHODS = tuple(FLOPS_PER_PARAM_TOKEN)

ERROR_FACTOR_P80 = 1.33
"""×/÷ factor covering 80 % of `auto` fine-tuning MFU: exp of the 90th percentile of |ln| of the
leave-one-out errors within the fitted groups (pinned by the tests)."""


def _method(method: str) -> str:
    m = str(method).lower()
    if m not in FLOPS_PER_PARAM_TOKEN:
        import difflib

        close = difflib.get_close_matches(m, METHODS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise EstimatorError(f"unknown fine-tuning method '{method}'{hint} (known: {', '.join(METHODS)})", field="method")
    return m


def finetune_flops(params, tokens, epochs, method: str) -> np.ndarray:
    """Fine-tuning FLOPs = k(method) · N · D_ft · epochs. Arrays broadcast."""
    k = FLOPS_PER_PARAM_TOKEN[_method(method)]
    return k * positive(params, "params") * positive(tokens, "tokens") * positive(epochs, "epochs")


def base_mfu(gpu: GpuSpec, params, *, total_params=None, precision: str = "bf16") -> np.ndarray:
    """The pretraining `auto` MFU at 20 tokens per parameter (fraction of dense BF16 peak)."""
    n = positive(params, "params")
    return training_mfu(gpu, n, n * DEFAULT_TOKENS_PER_PARAM, total_params=total_params, precision=precision)


def finetune_mfu(gpu: GpuSpec, params, method: str, *, precision: str = "bf16", stack: str = DEFAULT_STACK,
                 total_params=None) -> np.ndarray:
    """`auto` MFU (fraction of dense BF16 peak) of a fine-tune: base MFU × JOB_EFFICIENCY[stack][method]."""
    if stack not in JOB_EFFICIENCY:
        raise EstimatorError(f"unknown stack '{stack}' (known: {', '.join(STACKS)})", field="stack")
    return np.minimum(base_mfu(gpu, params, total_params=total_params, precision=precision) * JOB_EFFICIENCY[stack][_method(method)], 1.0)


def finetune_mfu_method(gpu: GpuSpec, method: str, precision: str = "bf16") -> str:
    """One line describing how `auto` fine-tuning MFU was obtained."""
    m = _method(method)
    p = "" if str(precision).lower() == "bf16" else Message("at_precision", precision=str(precision).lower())
    return Message("m_finetune_mfu", gpu=gpu.id, precision=p, efficiency=f"{JOB_EFFICIENCY['current'][m]:g}", method=m,
                   alpaca=f"{JOB_EFFICIENCY['2023'][m]:g}", factor=f"{ERROR_FACTOR_P80:g}")
