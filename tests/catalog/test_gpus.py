import pytest

from buildorbuy.catalog.gpus import GpuSpec, get_gpu, list_gpus
from buildorbuy.errors import CatalogError

REQUIRED_IDS = {
    "a100-40gb", "a100-80gb", "h100-sxm", "h100-pcie", "h200", "h800", "h20",
    "b200", "l40s", "l4", "rtx-4090", "mi300x", "ascend-910b",
}


def test_all_required_ids_present():
    assert REQUIRED_IDS <= {g.id for g in list_gpus()}


@pytest.mark.parametrize(
    "name, ident",
    [
        ("h100", "h100-sxm"),
        ("H100-SXM-80GB", "h100-sxm"),
        ("H100 SXM", "h100-sxm"),
        ("a100", "a100-80gb"),
        ("A100-80GB", "a100-80gb"),
        ("4090", "rtx-4090"),
        ("RTX-4090", "rtx-4090"),
        ("MI300X", "mi300x"),
    ],
)
def test_aliases_and_case(name, ident):
    assert get_gpu(name).id == ident


def test_unknown_gpu_suggests_close_matches():
    with pytest.raises(CatalogError) as info:
        get_gpu("h10")
    assert "did you mean" in info.value.message
    assert "h100-sxm" in info.value.message
    assert info.value.field == "gpu"


def test_unknown_gpu_without_close_match_still_lists_known():
    with pytest.raises(CatalogError) as info:
        get_gpu("zzzzzz")
    assert "a100-80gb" in info.value.message


def test_specs_are_sane():
    for g in list_gpus():
        assert isinstance(g, GpuSpec)
        assert g.bf16_tflops > 0 and g.memory_gb > 0 and g.bandwidth_tbps > 0 and g.tdp_watts > 0
        assert g.sources
        assert g.generation in {"ampere", "hopper", "blackwell", "ada", "cdna3", "ascend"}
        if g.fp8_tflops is not None:
            assert g.fp8_tflops >= g.bf16_tflops
        if g.rent_usd_per_hour is not None:
            assert g.price_date


def test_peak_flops_units_and_fallback():
    h100 = get_gpu("h100-sxm")
    assert h100.peak_flops("bf16") == pytest.approx(989e12)
    assert h100.peak_flops("fp16") == h100.peak_flops("bf16")
    assert h100.peak_flops("fp8") == pytest.approx(1979e12)
    assert h100.peak_flops("fp4") == h100.peak_flops("fp8")
    a100 = get_gpu("a100-80gb")
    assert a100.peak_flops("fp8") == a100.peak_flops("bf16")
    assert get_gpu("b200").peak_flops("fp4") == pytest.approx(9000e12)
    assert get_gpu("ascend-910b").peak_flops("int8") == get_gpu("ascend-910b").peak_flops("bf16")


def test_unknown_precision():
    with pytest.raises(CatalogError):
        get_gpu("h100").peak_flops("fp3")


def test_reference_prices():
    assert get_gpu("h800").rent_usd_per_hour == 2.0
    assert get_gpu("h100").purchase_usd == 30000
