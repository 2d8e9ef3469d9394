"""Interconnect rows of the GPU catalog: every GPU has one, sourced, and the per-direction rate."""

import pytest

from buildorbuy.catalog.gpus import get_gpu, list_gpus


def test_every_gpu_has_a_sourced_interconnect():
    kinds = {g.id: g.interconnect_kind for g in list_gpus()}
    assert kinds["h100-sxm"] == kinds["h200"] == kinds["b200"] == "nvswitch"
    assert kinds["l40s"] == kinds["l4"] == kinds["rtx-4090"] == kinds["h100-pcie"] == "pcie"
    assert kinds["mi300x"] == "infinity_fabric"
    assert {g.vendor for g in list_gpus()} >= {"nvidia", "amd"}


def test_per_direction_bandwidth():
    assert float(get_gpu("h100-sxm").interconnect_bytes_per_s(8)) == pytest.approx(450e9)
    assert float(get_gpu("l40s").interconnect_bytes_per_s(2)) == pytest.approx(32e9)
    mi300x = get_gpu("mi300x")  # 7 links of 128 GB/s both ways: a pair uses one, a node of 8 all seven
    assert float(mi300x.interconnect_bytes_per_s(2)) == pytest.approx(64e9)
    assert float(mi300x.interconnect_bytes_per_s(8)) == pytest.approx(448e9)
    assert float(mi300x.interconnect_bytes_per_s(16)) == pytest.approx(448e9)
