

def test_fp8_on_a_gpu_without_fp8_tensor_cores_warns():
    from buildorbuy.catalog.gpus import get_gpu
    from buildorbuy.estimators.serving import estimate_serving

    a100 = estimate_serving(70e9, 70e9, get_gpu("a100-80gb"), "fp8", 512, 256)
    assert any("no FP8 tensor cores" in w for w in a100.warnings)
    h100 = estimate_serving(70e9, 70e9, get_gpu("h100-sxm"), "fp8", 512, 256)
    assert not any("tensor cores" in w for w in h100.warnings)
