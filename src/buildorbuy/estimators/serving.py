"""Serving: GPUs per replica from memory, and per-GPU throughput from a calibrated roofline.

Memory. A replica holds the weights, N_total · bytes_per_param, plus the KV cache of the
requests in flight, (input_len + output_len) · kv_bytes_per_token each, in
USABLE_MEMORY_FRACTION of each GPU's memory (the rest: activations, CUDA graphs, fragmentation).
GPUs per replica is the smallest power of two (1, 2, 4, 8: tensor parallelism within a node)
that holds the weights and SIZING_CONCURRENCY requests; beyond one node of 8, whole nodes
(a multiple of 8), with a warning: multi-node serving needs pipeline or expert parallelism
over the network.

Throughput. Requests are served with continuous batching at full load: B requests in flight,
B = what fits in the KV cache, at most `max_concurrency` (default DEFAULT_MAX_CONCURRENCY).
For B requests of `input_len` + `output_len` tokens a replica of g GPUs spends

- prefill, compute-bound: B · input_len · 2 · N_active FLOPs (Kaplan et al. 2020) at
  PREFILL_EFFICIENCY × peak;
- decode, output_len steps, each the slower of (roofline)
  compute: B · 2 · N_active FLOPs at DECODE_EFFICIENCY × peak, and
  memory: the weights (an MoE reads min(N_total, B · N_active) of them) plus every sequence's
  KV cache at BANDWIDTH_EFFICIENCY × bandwidth;

so output tokens/s per GPU = B · output_len / (prefill + decode) / g. `bound` names the
largest of the three times ('memory' when it is the decode memory time, else 'compute').
Peak is the dense rate at the serving precision, except that FP4 weights count at the FP8
rate: on TensorRT-LLM's B200 tables this fits better than the FP4 peak (the FP4 gain shows in
memory, not in achieved FLOP/s).

The three efficiencies are fitted (least absolute log error, `calibration.fit_serving`) to
TensorRT-LLM's published throughput (github:NVIDIA/TensorRT-LLM docs/source/performance/
perf-overview.md and its H200/H100 blogs: output tokens/s per tensor-parallel group, divided
by its GPU count): 118 configurations of Llama 3.1/3.3 8B-405B, Llama 2, GPT-J, Qwen3-235B-A22B
and Llama 4 Maverick on A100, H100, H200 and B200. Result: PREFILL_EFFICIENCY 0.54,
DECODE_EFFICIENCY 0.28, BANDWIDTH_EFFICIENCY 0.58; median |ln(predicted/published)| 0.18,
86 % within 1.5× (docs/ACCURACY.md lists every row). The misses are mostly MoE models, whose
expert-parallel efficiency differs by model (Qwen3 over-, Llama 4 Maverick under-predicted).

Without `gpus_per_replica`, the replica size is the memory minimum or up to three doublings
of it (within a node), whichever gives the most output tokens/s per GPU: more GPUs leave more
memory for KV cache, hence larger batches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from buildorbuy.catalog.gpus import GpuSpec
from buildorbuy.estimators._arrays import EstimatorError, positive

BYTES_PER_PARAM = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": 0.5, "fp4": 0.5}
"""Bytes per weight at each serving precision."""

KV_BYTES_PER_ELEMENT = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 2, "int4": 2, "fp4": 1}
"""KV-cache bytes per element: FP8 and FP4 deployments keep an FP8 KV cache (TensorRT-LLM's
FP8/NVFP4 recipes); INT8/INT4 weight-only quantisation leaves the cache in 16 bits."""

USABLE_MEMORY_FRACTION = 0.9
"""Share of GPU memory for weights and KV cache (vLLM's default gpu_memory_utilization is 0.9)."""
SIZING_CONCURRENCY = 16
"""Requests whose KV cache the smallest replica must hold besides the weights."""
DEFAULT_MAX_CONCURRENCY = 512
"""Cap on requests in flight per replica when none is given (scheduler batch limit)."""
PREFILL_EFFICIENCY = 0.54
"""Achieved share of dense peak FLOP/s in prefill (fitted)."""
DECODE_EFFICIENCY = 0.28
"""Achieved share of dense peak FLOP/s in compute-bound decode (fitted)."""
BANDWIDTH_EFFICIENCY = 0.58
"""Achieved share of memory bandwidth in decode (fitted)."""
KV_ELEMENTS_ANCHOR = 65536.0
"""KV elements per token (all layers, K and V) of an 8B-active model: Llama 3.1 8B has
32 layers × 8 KV heads × 128 dims × 2 (config.json of meta-llama/Llama-3.1-8B)."""
KV_ELEMENTS_EXPONENT = 0.4
"""Growth of KV elements per token with active parameters, from Llama 3.1 8B/70B/405B (65,536 /
163,840 / 258,048): ≈ N^0.4. Also close for Qwen3-235B-A22B and Llama 4 Maverick by active
parameters."""
NODE_GPUS = 8
SECONDS_PER_MONTH = 730 * 3600


@dataclass
class ServingEstimate:
    """Result of `estimate_serving`; arrays broadcast over the inputs."""

    gpus_per_replica: np.ndarray
    """GPUs per model replica (whole numbers stored as floats)."""
    output_tokens_per_second_per_gpu: np.ndarray
    """Generated tokens per second per GPU at full load."""
    tokens_per_second_per_gpu: np.ndarray
    """All tokens (input + output) per second per GPU at this request shape."""
    bound: str | np.ndarray
    """'memory' or 'compute': which roofline limits throughput."""
    method: str
    """The formula, in one line, for the output."""
    concurrency: np.ndarray | None = None
    """Requests in flight per replica used for the throughput."""
    warnings: list[str] = field(default_factory=list)


def _num(value) -> str:
    arr = np.asarray(value)
    return f"{float(arr.reshape(-1)[0]):g}" if arr.size == 1 else "fitted"


def _precision(precision: str) -> str:
    p = str(precision).lower()
    if p not in BYTES_PER_PARAM:
        raise EstimatorError(f"unknown precision '{precision}' (known: {', '.join(BYTES_PER_PARAM)})", field="precision")
    return p


def kv_bytes_per_token(layers, kv_heads, head_dim, precision: str = "bf16") -> np.ndarray:
    """KV-cache bytes per token of one sequence: 2 (K and V) · layers · kv_heads · head_dim · bytes."""
    p = _precision(precision)
    return 2.0 * np.asarray(layers, float) * np.asarray(kv_heads, float) * np.asarray(head_dim, float) * KV_BYTES_PER_ELEMENT[p]


def default_kv_bytes_per_token(active_params, precision: str = "bf16") -> np.ndarray:
    """KV bytes per token when the architecture is unknown: KV_ELEMENTS_ANCHOR · (N_active / 8e9)^0.4."""
    p = _precision(precision)
    n = positive(active_params, "active_params")
    return KV_ELEMENTS_ANCHOR * (n / 8e9) ** KV_ELEMENTS_EXPONENT * KV_BYTES_PER_ELEMENT[p]


def gpus_for_memory(required_bytes, gpu: GpuSpec) -> np.ndarray:
    """Smallest power of two ≤ 8 GPUs, else multiple of 8, whose usable memory holds `required_bytes`."""
    per_gpu = gpu.memory_bytes * USABLE_MEMORY_FRACTION
    need = np.maximum(np.asarray(required_bytes, float) / per_gpu, 1.0)
    in_node = 2.0 ** np.ceil(np.log2(need) - 1e-9)
    return np.where(need <= NODE_GPUS, in_node, NODE_GPUS * np.ceil(need / NODE_GPUS - 1e-9))


def _throughput(n_total, n_active, gpu, p, l_in, l_out, kv, cap, g, prefill_eff, decode_eff, bandwidth_eff):
    """(output tokens/s per GPU, batch, bound as array of str) for replicas of g GPUs."""
    weight_bytes = n_total * BYTES_PER_PARAM[p]
    free = g * gpu.memory_bytes * USABLE_MEMORY_FRACTION - weight_bytes
    batch = np.clip(np.floor(free / ((l_in + l_out) * kv)), 1.0, cap)
    peak = gpu.peak_flops("fp8" if p == "fp4" else p) * g
    prefill_s = batch * l_in * 2.0 * n_active / (peak * prefill_eff)
    decode_compute_s = l_out * batch * 2.0 * n_active / (peak * decode_eff)
    weights_read = np.minimum(n_total, batch * n_active) * BYTES_PER_PARAM[p]
    kv_read = batch * (l_in + l_out / 2.0) * kv
    decode_memory_s = l_out * (weights_read + kv_read) / (gpu.bandwidth_bytes_per_s * g * bandwidth_eff)
    seconds = prefill_s + np.maximum(decode_compute_s, decode_memory_s)
    bound = np.where((decode_memory_s > decode_compute_s) & (decode_memory_s > prefill_s), "memory", "compute")
    return batch * l_out / seconds / g, batch, bound


def estimate_serving(
    total_params,
    active_params,
    gpu: GpuSpec,
    precision: str,
    input_len,
    output_len,
    *,
    max_concurrency=None,
    kv_bytes_per_token=None,
    gpus_per_replica=None,
    prefill_efficiency=PREFILL_EFFICIENCY,
    decode_efficiency=DECODE_EFFICIENCY,
    bandwidth_efficiency=BANDWIDTH_EFFICIENCY,
) -> ServingEstimate:
    """Size a replica and estimate its full-load throughput per GPU; arguments broadcast.

    `kv_bytes_per_token`: per-sequence KV bytes per token at the serving precision (see
    `kv_bytes_per_token()`); estimated from N_active when None. `max_concurrency`: requests in
    flight per replica at most. `gpus_per_replica` overrides the sizing (e.g. a measured
    tensor-parallel degree). The efficiencies default to the fitted values.
    """
    p = _precision(precision)
    n_total = positive(total_params, "total_params")
    n_active = positive(active_params, "active_params")
    if np.any(n_active > n_total * (1 + 1e-9)):
        raise EstimatorError("active parameters cannot exceed total parameters", field="active_params")
    l_in = positive(input_len, "input_len")
    l_out = positive(output_len, "output_len")
    kv = default_kv_bytes_per_token(n_active, p) if kv_bytes_per_token is None else positive(kv_bytes_per_token, "kv_bytes_per_token")
    cap = np.floor(DEFAULT_MAX_CONCURRENCY if max_concurrency is None else positive(max_concurrency, "max_concurrency"))
    effs = (prefill_efficiency, decode_efficiency, bandwidth_efficiency)
    weight_bytes = n_total * BYTES_PER_PARAM[p]
    seq_bytes = (l_in + l_out) * kv

    if gpus_per_replica is None:
        g_min = gpus_for_memory(weight_bytes + np.minimum(SIZING_CONCURRENCY, cap) * seq_bytes, gpu)
        best_tps, best_g, best_batch, best_bound = None, None, None, None
        for doubling in (1.0, 2.0, 4.0, 8.0):
            g_try = np.where((g_min * doubling <= NODE_GPUS) | (doubling == 1.0), g_min * doubling, g_min)
            tps, batch, bound = _throughput(n_total, n_active, gpu, p, l_in, l_out, kv, cap, g_try, *effs)
            if best_tps is None:
                best_tps, best_g, best_batch, best_bound = tps, g_try, batch, bound
                continue
            better = tps > best_tps * (1 + 1e-9)
            best_tps = np.where(better, tps, best_tps)
            best_g = np.where(better, g_try, best_g)
            best_batch = np.where(better, batch, best_batch)
            best_bound = np.where(better, bound, best_bound)
        out_tps, g, batch, bound_arr = best_tps, best_g, best_batch, best_bound
    else:
        g = positive(gpus_per_replica, "gpus_per_replica") * np.ones_like(weight_bytes)
        if np.any(g * gpu.memory_bytes * USABLE_MEMORY_FRACTION < weight_bytes + seq_bytes):
            raise EstimatorError(f"the weights and one request's KV cache do not fit in the given number of {gpu.id} GPUs", field="gpus_per_replica")
        out_tps, batch, bound_arr = _throughput(n_total, n_active, gpu, p, l_in, l_out, kv, cap, g, *effs)

    share = l_out / (l_in + l_out)
    bound_arr = np.asarray(bound_arr)
    bound: str | np.ndarray = str(bound_arr) if bound_arr.ndim == 0 else bound_arr
    warnings: list[str] = []
    missing = {"fp8": gpu.fp8_tflops, "fp4": getattr(gpu, "fp4_tflops", None) or gpu.fp8_tflops}.get(p, True)
    if not missing:
        warnings.append(
            f"{gpu.id} has no {p.upper()} tensor cores: {p} weights save memory but compute runs at the BF16 rate"
        )
    if np.any(g > NODE_GPUS):
        warnings.append(
            f"a replica needs {int(np.max(g))} {gpu.id} GPUs, more than one node of {NODE_GPUS}: "
            "multi-node serving (pipeline or expert parallelism over the network)"
        )
    method = (
        f"full-load roofline: time = prefill 2·N_active·in·B/({_num(prefill_efficiency)}·peak) + out·max("
        f"2·N_active·B/({_num(decode_efficiency)}·peak), (weights + KV)/({_num(bandwidth_efficiency)}·bandwidth)), "
        f"B = requests whose KV cache fits in {USABLE_MEMORY_FRACTION:g} of memory (≤ {int(np.max(cap))}); "
        "efficiencies fitted to TensorRT-LLM tables"
    )
    return ServingEstimate(
        gpus_per_replica=np.asarray(g, float),
        output_tokens_per_second_per_gpu=out_tps,
        tokens_per_second_per_gpu=out_tps / share,
        bound=bound,
        method=method,
        concurrency=batch,
        warnings=warnings,
    )
