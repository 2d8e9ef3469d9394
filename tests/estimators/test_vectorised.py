import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from buildorbuy.catalog.gpus import get_gpu
from buildorbuy.estimators.finetune import finetune_flops, finetune_mfu
from buildorbuy.estimators.serving import estimate_serving
from buildorbuy.estimators.training import training_flops, training_mfu

PARAMS = [1.2e9, 8e9, 70e9, 405e9]
TOKENS = [1e11, 2e12, 15e12]


def test_training_grid_equals_scalars():
    gpu = get_gpu("h100")
    n = np.array(PARAMS)[:, None]
    d = np.array(TOKENS)[None, :]
    grid = training_mfu(gpu, n, d)
    flops = training_flops(n, d)
    assert grid.shape == (4, 3)
    for i, ni in enumerate(PARAMS):
        for j, dj in enumerate(TOKENS):
            assert grid[i, j] == training_mfu(gpu, ni, dj)
            assert flops[i, j] == training_flops(ni, dj)


def test_finetune_vector_equals_scalars():
    gpu = get_gpu("a100")
    vec = finetune_flops(np.array(PARAMS), 25e6, np.array([1, 2, 3, 4]), "lora")
    mfu = finetune_mfu(gpu, np.array(PARAMS), "full")
    for k, n in enumerate(PARAMS):
        assert vec[k] == finetune_flops(n, 25e6, k + 1, "lora")
        assert mfu[k] == finetune_mfu(gpu, n, "full")


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.sampled_from([(8e9, 8e9), (70e9, 70e9), (235e9, 22e9), (671e9, 37e9), (0.5e9, 0.5e9)]), min_size=1, max_size=5),
    st.sampled_from(["bf16", "fp8", "int4", "fp4"]),
    st.sampled_from(["h100", "a100-40gb", "b200", "l4", "mi300x"]),
)
def test_serving_vector_equals_scalars(models, precision, gpu_name):
    gpu = get_gpu(gpu_name)
    total = np.array([m[0] for m in models])
    active = np.array([m[1] for m in models])
    in_len = np.linspace(128, 4096, len(models))
    vec = estimate_serving(total, active, gpu, precision, in_len, 256)
    for k in range(len(models)):
        one = estimate_serving(total[k], active[k], gpu, precision, in_len[k], 256)
        assert vec.gpus_per_replica[k] == one.gpus_per_replica
        np.testing.assert_allclose(vec.output_tokens_per_second_per_gpu[k], one.output_tokens_per_second_per_gpu, rtol=1e-12)
        assert vec.bound[k] == one.bound
