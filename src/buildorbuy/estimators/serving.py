"""Serving: tensor-parallel degree, batch and per-GPU throughput from a calibrated roofline with
tensor-parallel communication, per-vendor software efficiency and an optional latency target.

Memory (`GpuSpec.memory_bytes`: HBM parts' marketed GB are GiB, an H100's 80 GB is 85.9e9
bytes). A replica of g GPUs (tensor parallel degree g) holds the weights, N_total · bytes_per_param,
plus the KV cache of the requests in flight, (input_len + output_len) · kv_bytes_per_token each,
in USABLE_MEMORY_FRACTION of each GPU's memory (the rest: activations, CUDA graphs,
fragmentation). The smallest replica is the smallest power of two (1, 2, 4, 8: one node) that holds
the weights and SIZING_CONCURRENCY requests; beyond one node of 8, whole nodes (a multiple of 8),
with a warning: multi-node serving needs pipeline or expert parallelism over the network.

Time. B requests in flight (continuous batching at full load) of `input_len` + `output_len`
tokens cost a replica, per cycle in which each of them is served once:

- prefill, compute-bound: B · input_len · (1 − cached_input_share) · 2 · N_active FLOPs
  (Kaplan et al. 2020; prefix-cache hits skip their prefill) at PREFILL_EFFICIENCY × peak;
- output_len decode steps, each
  max(compute: B · 2 · N_active FLOPs at DECODE_EFFICIENCY × peak,
      memory: weights (an MoE reads min(N_total, B · N_active) of them) + every sequence's KV
      cache, B · (input_len + output_len / 2) · kv_bytes, at BANDWIDTH_EFFICIENCY × bandwidth)
  + communication (g > 1): per layer two all-reduces of B · hidden · 2 bytes (BF16
  activations) for a dense model — ring all-reduce moves 2 (g − 1) / g of it per GPU — or, for
  an MoE, one all-reduce (attention) and the expert-parallel all-to-all dispatch + combine of
  experts_per_token copies, MOE_COMM_FACTOR · 2 · k · (g − 1) / g · B · hidden · 2 bytes; at
  COMM_EFFICIENCY × the per-direction interconnect bandwidth (catalog `interconnect`:
  `GpuSpec.interconnect_bytes_per_s`), plus COLLECTIVE_LATENCY_S per collective. Prefill moves
  the same activations per token, so each request's prefill also carries
  input_len · (1 − cached_input_share) × that per-sequence volume.

The architecture (layers, hidden size, KV heads) comes from the caller; for a bare parameter
count it is Llama 3's (`default_architecture`: 70B → 80 layers, hidden 8192, 8 KV heads × 128).

Peak is the dense rate at the serving precision, except that FP4 weights count at the FP8 rate
(on TensorRT-LLM's B200 tables the FP4 gain shows in memory, not in achieved FLOP/s). Every
time is divided by the GPU vendor's software efficiency (VENDOR_EFFICIENCY: NVIDIA stacks 1,
AMD's ROCm stacks fitted lower). Output tokens/s per GPU = B · output_len / time / g. `bound`
names the largest of prefill, decode (memory or compute) and communication time.

Batch. B is what fits in the KV cache, at most `max_concurrency` (default
DEFAULT_MAX_CONCURRENCY), and, with a latency target, at most the batch whose time per output
token (cycle time / output_len) and time to first token (one request's prefill on the replica
plus one decode step) meet it. Both are linear in B piece by piece, so the cap is closed-form.

Tensor-parallel degree. Without `gpus_per_replica`, the candidates are the smallest replica and
its doublings within a node; the one with the most output tokens/s per GPU — the lowest cost
per token, since every GPU-hour costs the same — that meets the latency target wins (a doubling
must gain > 1 % to be taken, so no more GPUs than needed). More GPUs leave more memory for KV
cache (larger batches) and split the weight reads, but add communication. A model that fits one
PCIe GPU stays on one unless the latency target needs more (PCIE_SINGLE_GPU_STAYS).

The seven constants PREFILL_EFFICIENCY, DECODE_EFFICIENCY, BANDWIDTH_EFFICIENCY, COMM_EFFICIENCY,
COLLECTIVE_LATENCY_S, VENDOR_EFFICIENCY['amd'] and MOE_COMM_FACTOR are fitted together (least
absolute log error, `calibration.fit_serving`) to the published throughput in
catalog/data/calibration.yaml at each configuration's published tensor-parallel degree: 411
configurations from TensorRT-LLM tables (A100, H100, H200, B200 and L40S at TP 1-8; dense Llama
7B-405B and GPT-J, MoE Mixtral 8x7B/8x22B, Qwen3-235B and Llama 4 Maverick) and vLLM on
8 × MI300X (AMD, Oracle). Median |ln(predicted/published)| 0.088, 92 % within 1.5× (NVIDIA
NVLink 91 %, NVIDIA PCIe 100 %, AMD 100 %; leave-one-out 92 %); docs/ACCURACY.md lists every
configuration. The time to first token has no queueing and is not fitted; throughput at a latency
target is checked (not fitted) against NVIDIA NIM's published figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from buildorbuy.catalog.gpus import GpuSpec
from buildorbuy.estimators._arrays import EstimatorError, positive
from buildorbuy.phrases import And, Message

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
ACTIVATION_BYTES = 2
"""Bytes per activation element in tensor-parallel collectives (BF16/FP16, also under FP8 weights)."""
MOE_DEFAULT_EXPERTS_PER_TOKEN = 8
"""Routed experts per token when an MoE's is not given (DeepSeek-V3, Qwen3 MoE: 8)."""
NODE_GPUS = 8
PCIE_SINGLE_GPU_STAYS = True
"""Over PCIe a model that fits one GPU is served one replica per GPU, unless a latency target needs
more: replicas then share nothing (no collectives over PCIe, no peer-to-peer needed; the RTX 4090
has none), which is how 8B-class models run on L4/L40S. The roofline alone would split a
memory-starved model (8B BF16 on a 24 GB L4) over two GPUs for a larger batch, a gain no published
PCIe TP1-vs-TP2 pair confirms; in every published PCIe pair of the calibration (L40S: Llama 3.1 70B
and Mixtral 8x7B at TP 4 and 8, nine request shapes each) the larger degree gave fewer output
tokens/s per GPU, as the model predicts. Models that need several PCIe GPUs anyway choose their
degree by cost per token like the others."""
SECONDS_PER_MONTH = 730 * 3600

# Fitted by calibration.fit_serving (tests/estimators/test_accuracy.py refits and compares).
PREFILL_EFFICIENCY = 0.6
"""Achieved share of dense peak FLOP/s in prefill (fitted)."""
DECODE_EFFICIENCY = 0.36
"""Achieved share of dense peak FLOP/s in compute-bound decode (fitted)."""
BANDWIDTH_EFFICIENCY = 0.64
"""Achieved share of memory bandwidth in decode (fitted)."""
COMM_EFFICIENCY = 0.55
"""Achieved share of per-direction interconnect bandwidth in decode collectives (fitted)."""
COLLECTIVE_LATENCY_S = 14e-6
"""Fixed cost of one collective (all-reduce or all-to-all) in a decode step, seconds (fitted)."""
MOE_COMM_FACTOR = 0.6
"""Share of the nominal all-to-all volume (experts_per_token copies each way) an MoE moves (fitted:
deduplicated and FP8 dispatch, tokens routed to experts on their own GPU)."""
VENDOR_EFFICIENCY = {"nvidia": 1.0, "amd": 0.64}
"""Serving software efficiency relative to NVIDIA's stacks (TensorRT-LLM, vLLM on CUDA): AMD
fitted to vLLM-on-ROCm results; other vendors (Huawei Ascend) take AMD's value, unverified."""

LLAMA3_SHAPES = (
    # (params, layers, hidden, KV heads × head_dim): config.json of meta-llama/Llama-3.2-1B,
    # Llama-3.2-3B, Llama-3.1-8B, Llama-3.1-70B, Llama-3.1-405B on Hugging Face.
    (1.23e9, 16, 2048, 8 * 64),
    (3.21e9, 28, 3072, 8 * 128),
    (8.03e9, 32, 4096, 8 * 128),
    (70.6e9, 80, 8192, 8 * 128),
    (405.9e9, 126, 16384, 8 * 128),
)
"""Architecture assumed for a bare parameter count: Llama 3's, interpolated in log-parameters
(exact at the published sizes, clipped outside 1.23B-405.9B)."""


@dataclass
class ServingEstimate:
    """Result of `estimate_serving`; arrays broadcast over the inputs."""

    gpus_per_replica: np.ndarray
    """GPUs per model replica = tensor-parallel degree (whole numbers stored as floats)."""
    output_tokens_per_second_per_gpu: np.ndarray
    """Generated tokens per second per GPU at full load."""
    tokens_per_second_per_gpu: np.ndarray
    """All tokens (input + output) per second per GPU at this request shape."""
    bound: str | np.ndarray
    """'memory', 'compute' or 'interconnect': which time limits throughput."""
    method: str
    """The formula, in one line, for the output."""
    concurrency: np.ndarray | None = None
    """Requests in flight per replica (the batch) used for the throughput."""
    warnings: list[str] = field(default_factory=list)
    batch_limit: str | np.ndarray = "memory"
    """What caps the batch: 'memory' (KV cache), 'max_concurrency' or 'latency'."""
    time_per_output_token_ms: np.ndarray | None = None
    """Average time between a request's output tokens at that batch, ms."""
    time_to_first_token_ms: np.ndarray | None = None
    """One request's prefill on the replica plus one decode step, ms (no queueing)."""
    latency_met: np.ndarray | None = None
    """True where the latency target (if any) is met."""
    candidates: dict[int, float] | None = None
    """Scalar inputs without gpus_per_replica: output tokens/s per GPU of each TP degree tried."""


def _one(value) -> float:
    """The single element of a size-1 array (or a scalar) as a float."""
    return float(np.asarray(value, float).reshape(-1)[0])


def _num(value) -> str:
    arr = np.asarray(value)
    return f"{float(arr.reshape(-1)[0]):g}" if arr.size == 1 else "fitted"


def _precision(precision: str) -> str:
    p = str(precision).lower()
    if p not in BYTES_PER_PARAM:
        raise EstimatorError(f"unknown precision '{precision}' (known: {', '.join(BYTES_PER_PARAM)})", field="precision")
    return p


def vendor_efficiency(gpu: GpuSpec) -> float:
    """Serving software efficiency of the GPU's vendor (VENDOR_EFFICIENCY; non-NVIDIA → AMD's)."""
    vendor = getattr(gpu, "vendor", "nvidia")
    return float(VENDOR_EFFICIENCY.get(vendor, VENDOR_EFFICIENCY["amd"]))


def kv_bytes_per_token(layers, kv_heads, head_dim, precision: str = "bf16") -> np.ndarray:
    """KV-cache bytes per token of one sequence: 2 (K and V) · layers · kv_heads · head_dim · bytes."""
    p = _precision(precision)
    return 2.0 * np.asarray(layers, float) * np.asarray(kv_heads, float) * np.asarray(head_dim, float) * KV_BYTES_PER_ELEMENT[p]


def default_architecture(active_params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(layers, hidden size, KV elements per token) assumed for a model of `active_params`
    parameters whose architecture is not given: Llama 3's (LLAMA3_SHAPES), interpolated in
    log-parameters; 70B gives 80 layers, hidden 8192, 8 KV heads × 128 (163,840 KV elements)."""
    n = positive(active_params, "active_params")
    x = np.log([s[0] for s in LLAMA3_SHAPES])
    ln = np.log(n)
    layers = np.round(np.interp(ln, x, [s[1] for s in LLAMA3_SHAPES]))
    hidden = np.exp(np.interp(ln, x, np.log([s[2] for s in LLAMA3_SHAPES])))
    kv_width = np.round(np.exp(np.interp(ln, x, np.log([s[3] for s in LLAMA3_SHAPES]))))
    return layers, hidden, 2.0 * layers * kv_width


def default_kv_bytes_per_token(active_params, precision: str = "bf16") -> np.ndarray:
    """KV bytes per token when the architecture is unknown (see `default_architecture`)."""
    p = _precision(precision)
    return default_architecture(active_params)[2] * KV_BYTES_PER_ELEMENT[p]


def hidden_from_params(active_params, layers) -> np.ndarray:
    """Hidden size when only the layer count is known: √(N_active / (12 · layers)) (a transformer
    block holds ≈ 12 · hidden² parameters); within 5 % of Llama 3 70B/405B's."""
    return np.sqrt(np.asarray(active_params, float) / (12.0 * np.asarray(layers, float)))


def is_replica_size(gpus: float) -> bool:
    """Whether a tensor-parallel degree is one the estimator sizes replicas in: a power of two up
    to NODE_GPUS (1, 2, 4, 8: within one node), else whole nodes (a multiple of NODE_GPUS)."""
    g = float(gpus)
    if not (g >= 1 and g == int(g)):
        return False
    return (g <= NODE_GPUS and int(g) & (int(g) - 1) == 0) or g % NODE_GPUS == 0


def gpus_for_memory(required_bytes, gpu: GpuSpec) -> np.ndarray:
    """Smallest power of two ≤ 8 GPUs, else multiple of 8, whose usable memory holds `required_bytes`."""
    per_gpu = gpu.memory_bytes * USABLE_MEMORY_FRACTION
    need = np.maximum(np.asarray(required_bytes, float) / per_gpu, 1.0)
    in_node = 2.0 ** np.ceil(np.log2(need) - 1e-9)
    return np.where(need <= NODE_GPUS, in_node, NODE_GPUS * np.ceil(need / NODE_GPUS - 1e-9))


@dataclass
class _Replica:
    tps: np.ndarray
    batch: np.ndarray
    bound: np.ndarray
    limit: np.ndarray
    tpot_s: np.ndarray
    ttft_s: np.ndarray
    latency_ok: np.ndarray


def replica_throughput(
    *, n_total, n_active, weight_bytes_per_param, kv, layers, hidden, experts_per_token,
    l_in, l_out, cached, g, cap, memory_bytes, peak_flops, bandwidth, link_bytes_per_s, vendor_eff,
    prefill_eff, decode_eff, bandwidth_eff, comm_eff, collective_latency_s, moe_comm_factor=None,
    tpot_target_s=None, ttft_target_s=None,
) -> _Replica:
    """Per-GPU output tokens/s of replicas of g GPUs; every argument broadcasts (the calibration
    passes one GPU per point, `estimate_serving` one GPU for all). See the module docstring."""
    moe = n_active < n_total * (1 - 1e-9)
    weight_bytes = n_total * weight_bytes_per_param
    free = g * memory_bytes * USABLE_MEMORY_FRACTION - weight_bytes
    b_mem = np.floor(free / ((l_in + l_out) * kv))
    v = vendor_eff
    # Per-cycle coefficients, seconds: time(B) = B·p1 + l_out·(max(c1·B, m0 + m1·B) + k0 + k1·B)
    p1 = l_in * (1.0 - cached) * 2.0 * n_active / (g * peak_flops * prefill_eff) / v
    c1 = 2.0 * n_active / (g * peak_flops * decode_eff) / v
    mem_rate = g * bandwidth * bandwidth_eff * v
    m1 = (l_in + l_out / 2.0) * kv / mem_rate
    multi = g > 1
    share = np.where(multi, (g - 1.0) / g, 0.0)
    k_moe = np.where(moe, experts_per_token, 0.0)
    # bytes per sequence per layer a GPU sends: dense 2 all-reduces × 2(g−1)/g; MoE 1 all-reduce + all-to-all
    moe_factor = MOE_COMM_FACTOR if moe_comm_factor is None else moe_comm_factor
    volume = np.where(moe, 2.0 + 2.0 * k_moe * moe_factor, 4.0) * share * hidden * ACTIVATION_BYTES
    collectives = np.where(multi, np.where(moe, 3.0, 2.0), 0.0)
    k0 = layers * collectives * collective_latency_s / v
    k1 = layers * volume / (link_bytes_per_s * comm_eff) / v
    p1 = p1 + l_in * (1.0 - cached) * k1  # prefill moves the same activations per token

    def weights_s(batch):
        return np.minimum(n_total, batch * n_active) * weight_bytes_per_param / mem_rate

    b_cap = np.minimum(np.maximum(b_mem, 1.0), cap)
    limit = np.where(b_mem <= cap, "memory", "max_concurrency")
    b_lat = np.full(np.broadcast(b_cap).shape, np.inf)
    m0 = weight_bytes / mem_rate  # all weights: the latency cap errs towards smaller batches for MoE
    if tpot_target_s is not None:
        slope = p1 / l_out + k1
        b_lat = np.minimum(b_lat, np.minimum((tpot_target_s - k0) / (slope + c1), (tpot_target_s - k0 - m0) / (slope + m1)))
    if ttft_target_s is not None:
        b_lat = np.minimum(b_lat, np.minimum((ttft_target_s - p1 - k0) / (c1 + k1), (ttft_target_s - p1 - k0 - m0) / (m1 + k1)))
    b_lat = np.floor(b_lat + 1e-9)
    latency_ok = b_lat >= 1.0
    batch = np.maximum(np.minimum(b_cap, b_lat), 1.0)
    limit = np.where(b_lat < b_cap, "latency", limit)

    prefill = batch * p1
    compute = l_out * c1 * batch
    memory = l_out * (weights_s(batch) + m1 * batch)
    comm = l_out * (k0 + k1 * batch)
    seconds = prefill + np.maximum(compute, memory) + comm
    decode = np.maximum(compute, memory)
    bound = np.where((comm > decode) & (comm > prefill), "interconnect",
                     np.where((memory > compute) & (memory > prefill), "memory", "compute"))
    tpot = seconds / l_out
    ttft = p1 + (np.maximum(c1 * batch, weights_s(batch) + m1 * batch) + k0 + k1 * batch)
    return _Replica(batch * l_out / seconds / g, batch, bound, limit, tpot, ttft, latency_ok)


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
    layers=None,
    hidden_size=None,
    experts_per_token=None,
    cached_input_share=0.0,
    time_per_output_token_ms=None,
    time_to_first_token_ms=None,
    prefill_efficiency=PREFILL_EFFICIENCY,
    decode_efficiency=DECODE_EFFICIENCY,
    bandwidth_efficiency=BANDWIDTH_EFFICIENCY,
    comm_efficiency=COMM_EFFICIENCY,
    collective_latency_s=COLLECTIVE_LATENCY_S,
    vendor_eff=None,
) -> ServingEstimate:
    """Choose the tensor-parallel degree and batch and estimate full-load throughput per GPU;
    arguments broadcast.

    `kv_bytes_per_token`: per-sequence KV bytes per token at the serving precision (see
    `kv_bytes_per_token()`); `layers`/`hidden_size`: the model's, for the all-reduce volume. Unknown
    ones come from `default_architecture(active_params)` (Llama 3-like). `max_concurrency`: requests
    in flight per replica at most. `gpus_per_replica` fixes the TP degree. `cached_input_share`:
    share of input tokens served from the prefix cache (no prefill). Latency targets in ms cap the
    batch. The efficiencies default to the fitted values.
    """
    p = _precision(precision)
    n_total = positive(total_params, "total_params")
    n_active = positive(active_params, "active_params")
    if np.any(n_active > n_total * (1 + 1e-9)):
        raise EstimatorError("active parameters cannot exceed total parameters", field="active_params")
    l_in = positive(input_len, "input_len")
    l_out = positive(output_len, "output_len")
    cached = np.asarray(cached_input_share, float)
    if not np.all((cached >= 0) & (cached <= 1)):
        raise EstimatorError("must be in [0, 1]", field="cached_input_share")
    d_layers, d_hidden, d_kv = default_architecture(n_active)
    kv = d_kv * KV_BYTES_PER_ELEMENT[p] if kv_bytes_per_token is None else positive(kv_bytes_per_token, "kv_bytes_per_token")
    n_layers = d_layers if layers is None else positive(layers, "layers")
    if hidden_size is not None:
        hidden = positive(hidden_size, "hidden_size")
    else:
        hidden = d_hidden if layers is None else hidden_from_params(n_active, n_layers)
    topk = MOE_DEFAULT_EXPERTS_PER_TOKEN if experts_per_token is None else positive(experts_per_token, "experts_per_token")
    cap = np.floor(DEFAULT_MAX_CONCURRENCY if max_concurrency is None else positive(max_concurrency, "max_concurrency"))
    tpot_s = None if time_per_output_token_ms is None else positive(time_per_output_token_ms, "time_per_output_token_ms") / 1e3
    ttft_s = None if time_to_first_token_ms is None else positive(time_to_first_token_ms, "time_to_first_token_ms") / 1e3
    v = vendor_efficiency(gpu) if vendor_eff is None else vendor_eff
    weight_bytes = n_total * BYTES_PER_PARAM[p]
    seq_bytes = (l_in + l_out) * kv

    def run(g):
        return replica_throughput(
            n_total=n_total, n_active=n_active, weight_bytes_per_param=BYTES_PER_PARAM[p], kv=kv,
            layers=n_layers, hidden=hidden, experts_per_token=topk, l_in=l_in, l_out=l_out, cached=cached,
            g=g, cap=cap, memory_bytes=gpu.memory_bytes, peak_flops=gpu.peak_flops("fp8" if p == "fp4" else p),
            bandwidth=gpu.bandwidth_bytes_per_s, link_bytes_per_s=gpu.interconnect_bytes_per_s(g), vendor_eff=v,
            prefill_eff=prefill_efficiency, decode_eff=decode_efficiency, bandwidth_eff=bandwidth_efficiency,
            comm_eff=comm_efficiency, collective_latency_s=collective_latency_s,
            tpot_target_s=tpot_s, ttft_target_s=ttft_s,
        )

    candidates: dict[int, float] | None = None
    if gpus_per_replica is None:
        g_min = gpus_for_memory(weight_bytes + np.minimum(SIZING_CONCURRENCY, cap) * seq_bytes, gpu)
        best, best_g = None, None
        tried = []
        single_pcie = (gpu.interconnect_kind == "pcie") & (g_min == 1) if PCIE_SINGLE_GPU_STAYS else np.zeros_like(g_min, bool)
        for doubling in (1.0, 2.0, 4.0, 8.0):
            g_try = np.where((g_min * doubling <= NODE_GPUS) | (doubling == 1.0), g_min * doubling, g_min)
            r = run(g_try)
            tried.append((g_try, r))
            if best is None:
                best, best_g = r, g_try
                continue
            # a feasible degree beats an infeasible one; otherwise > 1 % more tokens/s per GPU
            # (without a feasible one: the lower time per output token). A model that fits one
            # PCIe GPU is widened only for a latency target (see PCIE_SINGLE_GPU_STAYS).
            gain = ~single_pcie & (r.tps > best.tps * 1.01)
            better = np.where(
                r.latency_ok & ~best.latency_ok, True,
                np.where(best.latency_ok & ~r.latency_ok, False,
                         np.where(best.latency_ok, gain, r.tpot_s < best.tpot_s * 0.99)),
            )
            best = _Replica(*(np.where(better, getattr(r, f), getattr(best, f)) for f in _Replica.__dataclass_fields__))
            best_g = np.where(better, g_try, best_g)
        rep, g = best, best_g
        if np.size(rep.tps) == 1:
            candidates = {}
            for g_try, r in tried:
                candidates.setdefault(int(_one(g_try)), _one(r.tps))
    else:
        g = positive(gpus_per_replica, "gpus_per_replica") * np.ones_like(weight_bytes)
        if np.any(g * gpu.memory_bytes * USABLE_MEMORY_FRACTION < weight_bytes + seq_bytes):
            raise EstimatorError(f"the weights and one request's KV cache do not fit in the given number of {gpu.id} GPUs", field="gpus_per_replica")
        rep = run(g)

    def scalar_or_array(arr):
        arr = np.asarray(arr)
        return str(arr) if arr.ndim == 0 else arr

    share = l_out / (l_in + l_out)
    warnings: list[str] = []
    missing = {"fp8": gpu.fp8_tflops, "fp4": getattr(gpu, "fp4_tflops", None) or gpu.fp8_tflops}.get(p, True)
    if not missing:
        warnings.append(Message("no_tensor_cores", gpu=gpu.id, upper=p.upper(), lower=p))
    if np.any(g > NODE_GPUS):
        warnings.append(Message("multi_node", gpus=int(np.max(g)), gpu=gpu.id, node=NODE_GPUS))
    if (tpot_s is not None or ttft_s is not None) and not np.all(rep.latency_ok):
        warnings.append(Message("latency_unmet", gpu=gpu.id))
    method = _method(gpu, v, cap, prefill_efficiency, decode_efficiency, bandwidth_efficiency, comm_efficiency,
                     collective_latency_s, g, rep, candidates, tpot_s, ttft_s)
    return ServingEstimate(
        gpus_per_replica=np.asarray(g, float),
        output_tokens_per_second_per_gpu=rep.tps,
        tokens_per_second_per_gpu=rep.tps / share,
        bound=scalar_or_array(rep.bound),
        method=method,
        concurrency=rep.batch,
        warnings=warnings,
        batch_limit=scalar_or_array(rep.limit),
        time_per_output_token_ms=rep.tpot_s * 1e3,
        time_to_first_token_ms=rep.ttft_s * 1e3,
        latency_met=rep.latency_ok,
        candidates=candidates,
    )


def _method(gpu, v, cap, pe, de, be, ce, lat, g, rep, candidates, tpot_s, ttft_s) -> str:
    meeting = ""
    if tpot_s is not None or ttft_s is not None:
        parts = [Message("sv_tpot", ms=f"{tpot_s * 1e3:g}") if tpot_s is not None else None,
                 Message("sv_ttft", ms=f"{ttft_s * 1e3:g}") if ttft_s is not None else None]
        meeting = Message("sv_meeting", targets=And(x for x in parts if x))
    roofline = Message("sv_roofline", pe=_num(pe), de=_num(de), be=_num(be), kind=gpu.interconnect_kind, ce=_num(ce),
                       bw=f"{gpu.interconnect_gb_per_s:g}", lat=_num(np.asarray(lat) * 1e6), vendor=gpu.vendor, v=_num(v),
                       frac=f"{USABLE_MEMORY_FRACTION:g}", cap=int(np.max(cap)), meeting=meeting)
    tp = batch = ""
    if candidates is not None:
        chosen = int(_one(g))
        tried = ", ".join(f"TP{k} {val:,.0f}" for k, val in candidates.items())
        if len(candidates) > 1:
            if gpu.interconnect_kind == "pcie" and min(candidates) == 1 and chosen == 1:
                tp = Message("sv_tp_pcie", tried=tried)
            else:
                tp = Message("sv_tp_chosen", tp=chosen, tried=tried)
        else:
            tp = Message("sv_tp_only", tp=chosen, tried=tried)
    if np.size(rep.batch) == 1 and np.size(rep.limit) == 1:
        batch = Message("sv_batch", batch=int(_one(rep.batch)), limit=np.asarray(rep.limit).reshape(-1)[0],
                        tpot=f"{_one(rep.tpot_s) * 1e3:.0f}", ttft=f"{_one(rep.ttft_s) * 1e3:.0f}")
    return Message("sv_method", roofline=roofline, tp=tp, batch=batch)
