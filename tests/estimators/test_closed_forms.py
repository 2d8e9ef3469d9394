import numpy as np
import pytest

from buildorbuy.catalog.gpus import get_gpu
from buildorbuy.errors import BuildOrBuyError
from buildorbuy.estimators.finetune import FLOPS_PER_PARAM_TOKEN, finetune_flops, finetune_mfu, finetune_mfu_method
from buildorbuy.estimators.serving import BYTES_PER_PARAM, estimate_serving
from buildorbuy.estimators.training import training_flops, training_mfu, training_mfu_method


def test_training_flops_is_6nd():
    assert training_flops(70e9, 2e12) == pytest.approx(6 * 70e9 * 2e12)


def test_finetune_flops_full_and_lora():
    assert finetune_flops(7e9, 25e6, 3, "full") == pytest.approx(6 * 7e9 * 25e6 * 3)
    assert finetune_flops(7e9, 25e6, 3, "lora") == pytest.approx(4 * 7e9 * 25e6 * 3)
    assert FLOPS_PER_PARAM_TOKEN["lora"] == 4.0


def test_unknown_method_suggests():
    with pytest.raises(BuildOrBuyError, match="did you mean 'lora'"):
        finetune_flops(7e9, 1e6, 1, "lroa")


@pytest.mark.parametrize("bad", [0, -1, float("nan")])
def test_non_positive_tokens_rejected(bad):
    with pytest.raises(BuildOrBuyError):
        training_flops(7e9, bad)


def test_mfu_in_unit_interval_and_methods_are_text():
    for name in ["a100", "h100", "b200", "l4", "mi300x", "ascend-910b"]:
        gpu = get_gpu(name)
        mfu = training_mfu(gpu, np.logspace(8, 12, 9), np.logspace(10, 14, 9))
        assert np.all((mfu > 0) & (mfu <= 1))
        assert np.all((finetune_mfu(gpu, 7e9, "qlora") > 0))
        assert training_mfu_method(gpu) and finetune_mfu_method(gpu, "lora")


def test_serving_memory_sizing():
    h100 = get_gpu("h100-sxm")
    assert BYTES_PER_PARAM["int4"] == 0.5
    big = estimate_serving(671e9, 37e9, h100, "fp8", 512, 256)
    assert float(big.gpus_per_replica) % 8 == 0 and float(big.gpus_per_replica) > 8
    assert big.warnings
    small = estimate_serving(8e9, 8e9, h100, "bf16", 512, 256)
    assert float(small.gpus_per_replica) in (1, 2, 4, 8)
    assert not small.warnings
    assert small.bound in ("memory", "compute")
    share = 256 / (512 + 256)
    assert small.tokens_per_second_per_gpu == pytest.approx(small.output_tokens_per_second_per_gpu / share)
