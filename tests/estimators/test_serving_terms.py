"""Each term of the serving model against a hand-computed case, and the replica/batch choices."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from buildorbuy import compare, scenario_from_dict
from buildorbuy.catalog.gpus import get_gpu
from buildorbuy.cli.app import app
from buildorbuy.estimators import serving as sv
from tests.conftest import base_scenario

# A toy replica with round numbers: 1B parameters at 1 byte, 1000 KV bytes per token, 10 layers of
# hidden 1000; 100 tokens in, 100 out; a GPU of 1 PFLOP/s, 1 TB/s, 1 TB of memory, 100 GB/s link.
TOY = dict(
    n_total=1e9, n_active=1e9, weight_bytes_per_param=1.0, kv=1000.0, layers=10.0, hidden=1000.0,
    experts_per_token=8.0, l_in=100.0, l_out=100.0, cached=0.0, cap=10.0, memory_bytes=1e12,
    peak_flops=1e15, bandwidth=1e12, link_bytes_per_s=1e11, vendor_eff=1.0, prefill_eff=1.0,
    decode_eff=1.0, bandwidth_eff=1.0, comm_eff=1.0, collective_latency_s=1e-5,
)


def toy(**over):
    return sv.replica_throughput(**{**TOY, "g": 1.0, **over})


def test_single_gpu_roofline_by_hand():
    # prefill 10 · 100 · 2e9 / 1e15 = 2e-3 s; decode memory 100 · (1e9 + 10 · 150 · 1000) / 1e12
    # = 0.10015 s (weights + KV at the mean context of in + out/2); compute 100 · 10 · 2e9 / 1e15 = 2e-3
    r = toy()
    assert float(r.batch) == 10 and str(r.limit) == "max_concurrency"
    assert float(r.tps) == pytest.approx(10 * 100 / (2e-3 + 0.10015))
    assert str(r.bound) == "memory"


def test_tensor_parallel_communication_by_hand():
    # g = 2: dense model, two all-reduces per layer, ring moves 2·(g−1)/g = 1 of B·hidden·2 bytes
    # each: 10 layers · 4000 bytes per sequence / 1e11 = 4e-7 s per sequence per step, plus
    # 10 · 2 · 1e-5 = 2e-4 s of collective latency per step; prefill carries 100 · 4e-7 per request.
    r = toy(g=2.0)
    prefill = 10 * (1e-4 + 100 * 4e-7)
    memory = 100 * (1e9 / 2e12 + 10 * 150 * 1000 / 2e12)
    comm = 100 * (2e-4 + 10 * 4e-7)
    assert float(r.tps) == pytest.approx(10 * 100 / (prefill + memory + comm) / 2)
    slow_link = toy(g=2.0, link_bytes_per_s=1e9)
    assert float(slow_link.tps) < float(r.tps)
    assert str(toy(g=2.0, link_bytes_per_s=1e8).bound) == "interconnect"


def test_moe_all_to_all_volume_by_hand():
    # MoE at g = 2: one all-reduce (2 bytes·hidden) + dispatch and combine of k copies ×
    # MOE_COMM_FACTOR, all × (g−1)/g: (2 + 2 · 8 · f) · 0.5 · 1000 · 2 bytes per sequence per layer.
    f = 0.5
    r = toy(g=2.0, n_active=1e8, moe_comm_factor=f, collective_latency_s=0.0)
    k1 = 10 * (2 + 2 * 8 * f) * 0.5 * 1000 * 2 / 1e11
    prefill = 10 * (100 * 2e8 / 2e15 + 100 * k1)
    memory = 100 * (min(1e9, 10 * 1e8) / 2e12 + 10 * 150 * 1000 / 2e12)
    comm = 100 * 10 * k1
    assert float(r.tps) == pytest.approx(1000 / (prefill + max(memory, 100 * 10 * 2e8 / 2e15) + comm) / 2)


def test_kv_reads_grow_with_batch_times_context():
    short, long = toy(l_in=100.0), toy(l_in=1100.0)
    # decode memory per step grows by B · Δin · kv / bandwidth = 10 · 1000 · 1000 / 1e12 = 1e-5 s
    t_short = 10 * 100 / float(short.tps)
    t_long = 10 * 100 / float(long.tps)
    extra_prefill = 10 * 1000 * 2e9 / 1e15
    assert t_long - t_short == pytest.approx(extra_prefill + 100 * 1e-5)


def test_prefix_cache_saves_prefill():
    full, half = toy(), toy(cached=0.5)
    assert 10 * 100 / float(full.tps) - 10 * 100 / float(half.tps) == pytest.approx(0.5 * 2e-3)


def test_vendor_efficiency_scales_every_time():
    r = toy(vendor_eff=0.5)
    assert float(r.tps) == pytest.approx(0.5 * float(toy().tps))
    mi300x = get_gpu("mi300x")
    est = sv.estimate_serving(70e9, 70e9, mi300x, "fp8", 1000, 1000, gpus_per_replica=8)
    as_nvidia = sv.estimate_serving(70e9, 70e9, mi300x, "fp8", 1000, 1000, gpus_per_replica=8, vendor_eff=1.0)
    assert sv.VENDOR_EFFICIENCY["amd"] < sv.VENDOR_EFFICIENCY["nvidia"] == 1.0
    assert float(est.output_tokens_per_second_per_gpu) == pytest.approx(
        sv.VENDOR_EFFICIENCY["amd"] * float(as_nvidia.output_tokens_per_second_per_gpu))


def test_latency_cap_by_hand():
    # g = 1, cap 1000: TPOT(B) = B·p1/out + max(c1·B, m0 + m1·B) with p1 = 2e-4, c1 = 2e-6,
    # m0 = 1e-3, m1 = 1.5e-7. A 2 ms target: B ≤ 2e-3/4e-6 = 500 and B ≤ 1e-3/2.15e-6 = 465.1 → 465.
    r = toy(cap=1000.0, tpot_target_s=2e-3, collective_latency_s=0.0)
    assert float(r.batch) == 465 and str(r.limit) == "latency" and bool(r.latency_ok)
    assert float(r.tpot_s) <= 2e-3
    assert float(toy(cap=466.0).tpot_s) > 2e-3
    # TTFT = one prefill (2e-4) + one step: B ≤ (1e-3 − 2e-4 − 1e-3)/… < 0 → not met, batch 1
    miss = toy(cap=1000.0, ttft_target_s=1e-3)
    assert not bool(miss.latency_ok) and float(miss.batch) == 1


def test_default_architecture_for_a_bare_70b_is_llama3_70b():
    layers, hidden, kv = sv.default_architecture(70e9)
    assert float(layers) == 80 and float(kv) == 2 * 80 * 8 * 128
    assert float(hidden) == pytest.approx(8192, rel=0.01)
    assert float(sv.default_architecture(8.03e9)[0]) == 32


def test_one_gpu_per_replica_for_8b_bf16_on_pcie_gpus():
    for gpu in ("l40s", "l4"):
        est = sv.estimate_serving(8e9, 8e9, get_gpu(gpu), "bf16", 1000, 250)
        assert float(est.gpus_per_replica) == 1, gpu
        assert "fits one GPU" in est.method


def test_70b_fp8_on_h100_takes_the_cheapest_tp_degree():
    est = sv.estimate_serving(70e9, 70e9, get_gpu("h100-sxm"), "fp8", 1000, 1000)
    cands = est.candidates
    assert set(cands) == {1, 2, 4, 8}  # TP 1 holds the weights and 16 requests in 80 GiB
    assert cands[1] < cands[2] / 2  # but its KV cache is too small for a useful batch
    best = max(cands, key=cands.get)
    assert float(est.gpus_per_replica) == best
    assert float(est.output_tokens_per_second_per_gpu) == pytest.approx(cands[best])
    assert "lowest cost per token" in est.method and f"TP {best} chosen" in est.method
    for g, tps in cands.items():  # each candidate is the estimate at that fixed degree
        fixed = sv.estimate_serving(70e9, 70e9, get_gpu("h100-sxm"), "fp8", 1000, 1000, gpus_per_replica=g)
        assert float(fixed.output_tokens_per_second_per_gpu) == pytest.approx(tps)


def test_h200_over_h100_on_70b():
    args = (70e9, 70e9)
    h100 = sv.estimate_serving(*args, get_gpu("h100-sxm"), "fp8", 1000, 1000)
    h200 = sv.estimate_serving(*args, get_gpu("h200"), "fp8", 1000, 1000)
    ratio = float(h200.output_tokens_per_second_per_gpu / h100.output_tokens_per_second_per_gpu)
    assert 1.3 <= ratio <= 1.5


def test_pcie_tp8_is_worse_per_gpu_than_tp4_for_70b():
    l40s = get_gpu("l40s")
    tp4 = sv.estimate_serving(70e9, 70e9, l40s, "fp8", 1000, 1000, gpus_per_replica=4)
    tp8 = sv.estimate_serving(70e9, 70e9, l40s, "fp8", 1000, 1000, gpus_per_replica=8)
    assert float(tp8.output_tokens_per_second_per_gpu) < float(tp4.output_tokens_per_second_per_gpu)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([8e9, 70e9, 405e9]), st.sampled_from(["h100-sxm", "h200", "mi300x", "a100-80gb"]),
       st.floats(10, 200))
def test_a_latency_target_never_raises_throughput(params, gpu, tpot_ms):
    g = get_gpu(gpu)
    free = sv.estimate_serving(params, params, g, "fp8", 1000, 500)
    capped = sv.estimate_serving(params, params, g, "fp8", 1000, 500, time_per_output_token_ms=tpot_ms)
    if bool(np.all(capped.latency_met)):
        assert float(capped.time_per_output_token_ms) <= tpot_ms * (1 + 1e-9)
        assert float(capped.output_tokens_per_second_per_gpu) <= float(free.output_tokens_per_second_per_gpu) * (1 + 1e-9)


def test_cli_json_names_tp_batch_and_latency():
    run = CliRunner().invoke(app, ["estimate", "serving", "--params", "70B", "--gpu", "h100-sxm", "--precision", "fp8",
                                   "--input-len", "1000", "--output-len", "1000", "--tpot-ms", "30", "--format", "json"])
    assert run.exit_code == 0, run.output
    out = json.loads(run.stdout)
    assert out["tensor_parallel"] == out["gpus_per_replica"] in (2.0, 4.0, 8.0)
    assert out["batch_limit"] == "latency" and out["time_per_output_token_ms"] <= 30 + 1e-9
    assert out["latency_target"]["met"] is True
    bad = CliRunner().invoke(app, ["estimate", "serving", "--params", "70B", "--gpu", "h100", "--ttft-ms", "0"])
    assert bad.exit_code == 2 and "--ttft-ms" in bad.output


def _latency_scenario(latency=None):
    serving = {"gpu": "h100-sxm", "precision": "fp8", "gpu_hour_price": 2.5}
    if latency is not None:
        serving["latency"] = latency
    return base_scenario(
        workload={"tokens_per_month": "20B", "output_share": 0.5, "input_tokens_per_request": 1000,
                  "output_tokens_per_request": 1000},
        paths=[{"name": "GPT", "kind": "api", "price_per_1k_input": 0.001, "price_per_1k_output": 0.002},
               {"name": "Own", "kind": "finetune", "model": {"params": "70B"}, "finetune": {"tokens": "10M", "gpu": "h100", "gpus": 8},
                "serving": serving}],
    )


def test_scenario_latency_caps_the_auto_throughput():
    free = compare(scenario_from_dict(_latency_scenario())).paths[1].estimates
    capped = compare(scenario_from_dict(_latency_scenario({"time_per_output_token_ms": 25}))).paths[1].estimates
    tps_free = free["serving.tokens_per_second_per_gpu"]["value"]
    direct = sv.estimate_serving(70e9, 70e9, get_gpu("h100-sxm"), "fp8", 1000, 1000)
    assert tps_free == pytest.approx(float(direct.tokens_per_second_per_gpu))
    assert capped["serving.tokens_per_second_per_gpu"]["value"] < tps_free
    assert "25 ms per output token" in capped["serving.tokens_per_second_per_gpu"]["method"]


def test_scenario_latency_needs_a_target():
    from buildorbuy.errors import ScenarioError

    with pytest.raises(ScenarioError, match="time_per_output_token_ms"):
        scenario_from_dict(_latency_scenario({}))


def test_hbm_memory_is_counted_in_gib():
    """HBM GPUs' marketed 'GB' are GiB (H100 80GB: 80 × 2^30 bytes), so a 70B FP8 model on one
    H100 has 0.9 · 80 · 2^30 − 70e9 = 7.31e9 bytes of KV cache: 22 requests of 2,000 tokens at
    163,840 bytes per token (6 if the 80 were decimal GB). GDDR parts (L40S) stay decimal."""
    h100 = get_gpu("h100-sxm")
    assert h100.memory_bytes == 80 * 2**30
    assert get_gpu("mi300x").memory_bytes == 192 * 2**30
    assert get_gpu("l40s").memory_bytes == 48e9
    est = sv.estimate_serving(70e9, 70e9, h100, "fp8", 1000, 1000, gpus_per_replica=1, kv_bytes_per_token=163840)
    assert float(est.concurrency) == 22
