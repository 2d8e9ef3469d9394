"""Fine-tuning compute and the `auto` MFU for fine-tuning jobs.

FLOPs = k · N · D_ft · epochs, with k per method (FLOPS_PER_PARAM_TOKEN):

- full: 6 (2 forward + 4 backward per parameter per token; Kaplan et al. 2020).
- lora: 4. The frozen base needs no weight gradients, only activation gradients: 2 forward
  + 2 backward. Hu et al. 2021 (arXiv 2106.09685, §4.2) measured ~25 % higher training
  throughput than full fine-tuning on GPT-3 175B; NVIDIA NeMo's fine-tuning table shows LoRA at
  1.4-1.5× the tokens/s of SFT at about the same model TFLOP/s (docs.nvidia.com/nemo-framework,
  performance summary 24.12), consistent with 4 against 6.
- qlora: 6. The same 4 as LoRA plus a recomputed forward pass (2), because QLoRA trains with
  gradient checkpointing on: `gradient_checkpointing` defaults to True ("You want to use
  this") in github:artidoro/qlora qlora.py and the Guanaco scripts pass it. De-quantising
  the 4-bit weights costs time, not FLOPs, and shows in the MFU instead.

`auto` MFU of a fine-tune = the pretraining `auto` MFU on the same GPU (at few tokens per
parameter, ≈ its ceiling) × JOB_EFFICIENCY[method]. Fine-tunes are short single-node jobs on
short, padded instruction examples, where GEMMs are small and sharding traffic dominates.
JOB_EFFICIENCY is fitted (geometric median, `calibration.fit_finetune`) to the published
fine-tunes with a catalog GPU and a known token count: Stanford Alpaca 7B (8 A100 × 3 h) and
the Alpaca recipe on Llama 2 7B (4 A100 × 5.5 h), 52K examples × ~140 tokens × 3 epochs
(token count derived): 0.077, i.e. an MFU of ~0.034 on A100; both runs are then within 1.1×
(leave-one-out too). This is the conservative end: an optimised stack with packed 4K-token
sequences (NVIDIA NeMo, FP8 on H100) reaches 0.5-0.7 MFU by the same accounting, 15-20×
less GPU time; pass an explicit MFU when you run such a stack. Other published fine-tunes
(Vicuna, Guanaco/QLoRA, Dolly) lack a token count or run outside the catalog and are listed,
not scored. LoRA gets the same job efficiency as full fine-tuning (counted at 4ND, NeMo's LoRA
and SFT runs reach the same model TFLOP/s); QLoRA 0.7× that for de-quantising the 4-bit
weights in every matmul: an assumption, not fitted (no published QLoRA run is scoreable).
"""

from __future__ import annotations

import numpy as np

from buildorbuy.catalog.gpus import GpuSpec
from buildorbuy.estimators._arrays import EstimatorError, positive
from buildorbuy.estimators.training import training_mfu

FLOPS_PER_PARAM_TOKEN = {"full": 6.0, "lora": 4.0, "qlora": 6.0}
"""FLOPs per base-model parameter per training token, by method (sources in the module docstring)."""

JOB_EFFICIENCY = {"full": 0.077, "lora": 0.077, "qlora": 0.054}
"""MFU of a fine-tuning job relative to the pretraining `auto` MFU on the same GPU: fitted to
published community fine-tunes for full and LoRA; QLoRA = 0.7 × LoRA (assumption)."""

METHODS = tuple(FLOPS_PER_PARAM_TOKEN)


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


def finetune_mfu(gpu: GpuSpec, params, method: str) -> np.ndarray:
    """`auto` MFU (fraction of dense BF16 peak) of a fine-tune: the pretraining fit at few tokens
    per parameter × JOB_EFFICIENCY[method]."""
    return training_mfu(gpu, params) * JOB_EFFICIENCY[_method(method)]


def finetune_mfu_method(gpu: GpuSpec, method: str) -> str:
    """One line describing how `auto` fine-tuning MFU was obtained."""
    m = _method(method)
    return (
        f"MFU = pretraining auto MFU on {gpu.id} × {JOB_EFFICIENCY[m]:g} ({m} job efficiency, "
        "fitted to published community fine-tunes; optimised stacks run up to ~20× faster)"
    )
