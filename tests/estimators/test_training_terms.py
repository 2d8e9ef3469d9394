"""Invariants of the training MFU terms (hypothesis)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from buildorbuy.catalog.gpus import get_gpu
from buildorbuy.estimators import training as tr

params = st.floats(1e8, 2e12)
tokens = st.floats(1e9, 1e14)
GPUS = ["a100-80gb", "h100-sxm", "h200", "b200", "mi300x"]


@settings(max_examples=60, deadline=None)
@given(n=params, d=tokens, gpu=st.sampled_from(GPUS), sparsity=st.floats(0.0, 0.99))
def test_mfu_in_unit_interval_and_monotone(n, d, gpu, sparsity):
    g = get_gpu(gpu)
    total = n / (1 - sparsity)
    mfu = float(tr.training_mfu(g, n, d, total_params=total))
    assert 0 < mfu <= 1
    # more tokens never raise MFU; MoE routing never raises it; FP8 never lowers it on an FP8 GPU
    assert float(tr.training_mfu(g, n, d * 2, total_params=total)) <= mfu
    assert mfu <= float(tr.training_mfu(g, n, d)) + 1e-15
    if g.fp8_tflops:
        assert float(tr.training_mfu(g, n, d, total_params=total, precision="fp8")) >= mfu


@settings(max_examples=40, deadline=None)
@given(n=params, d=tokens)
def test_faster_gpu_has_lower_mfu_same_matmul_factor(n, d):
    """Amdahl: at the same achievable-matmul share, a faster tensor-core rate leaves a larger overhead share."""
    assert float(tr.training_mfu(get_gpu("h100-sxm"), n, d)) < float(tr.training_mfu(get_gpu("a100-80gb"), n, d))
