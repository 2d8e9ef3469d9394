"""Paths that lean on the catalogs: `model: gpt-4o`, `model: {catalog: …}`, `auto` fields."""

from __future__ import annotations

import pytest

from buildorbuy import compare, scenario_from_dict
from buildorbuy.catalog.gpus import get_gpu
from buildorbuy.errors import ScenarioError
from tests.conftest import base_scenario


def _auto_scenario(**extra):
    return base_scenario(
        start="2025-09", currency="CNY", usd_exchange_rate=7.2, horizon_months=24,
        workload={"tokens_per_month": "20B"}, bridge="GPT",
        paths=[
            {"name": "GPT", "kind": "api", "model": "gpt-4o"},
            {"name": "Qwen", "kind": "finetune", "model": {"catalog": "qwen2.5-32b"},
             "finetune": {"tokens": "50M", "gpu": "h100", "gpus": 8}, "serving": {"gpu": "h100-sxm", "precision": "fp8"},
             "lead_time_months": 3},
        ],
        **extra,
    )


def test_api_model_prices_come_from_the_catalog_converted_to_currency():
    cmp = compare(scenario_from_dict(_auto_scenario()))
    estimates = cmp.paths[0].estimates
    assert estimates["price_per_1k_input"]["value"] == pytest.approx(2.5 / 1000 * 7.2)
    assert estimates["price_per_1k_output"]["value"] == pytest.approx(10 / 1000 * 7.2)
    assert "genai-prices" in estimates["price_per_1k_input"]["method"]
    assert cmp.to_dict()["versions"]["genai_prices"]


def test_typed_prices_win_over_the_catalog():
    data = _auto_scenario()
    data["paths"][0]["price_per_1k_input"] = 0.001
    cmp = compare(scenario_from_dict(data))
    assert "price_per_1k_input" not in cmp.paths[0].estimates
    assert cmp.result.params["paths[0].price_per_1k_input"][0] == 0.001


def test_catalog_model_and_gpu_fill_auto_fields():
    cmp = compare(scenario_from_dict(_auto_scenario()))
    est = cmp.paths[1].estimates
    assert est["model.params"]["value"] > 30e9
    assert est["serving.gpu_hour_price"]["value"] == pytest.approx(get_gpu("h100-sxm").rent_usd_per_hour * 7.2)
    for field in ("finetune.mfu", "serving.tokens_per_second_per_gpu", "serving.gpus_per_replica"):
        assert field in est and est[field]["method"]
    assert cmp.paths[1].peak_gpus >= 1


def test_catalog_prices_need_an_exchange_rate_outside_usd():
    data = _auto_scenario()
    del data["usd_exchange_rate"]
    with pytest.raises(ScenarioError, match="usd_exchange_rate"):
        compare(scenario_from_dict(data))


def test_unknown_api_model_suggests_names():
    data = _auto_scenario()
    data["paths"][0]["model"] = "gpt-4oo"
    with pytest.raises(Exception) as info:
        compare(scenario_from_dict(data))
    assert "paths[0].model" in info.value.one_line()


def test_a_replica_larger_than_a_node_is_a_warning_not_an_error():
    data = base_scenario(
        workload={"tokens_per_month": "200B"}, bridge="API",
        paths=[
            {"name": "API", "kind": "api", "price_per_1k_input": 0.0003, "price_per_1k_output": 0.001},
            {"name": "DS", "kind": "finetune", "model": {"catalog": "deepseek-v3"},
             "finetune": {"tokens": "100M", "gpu": "h100", "gpus": 64, "gpu_hour_price": 2.5},
             "serving": {"gpu": "h100-sxm", "precision": "fp8", "gpu_hour_price": 2.5}, "lead_time_months": 4},
        ],
    )
    cmp = compare(scenario_from_dict(data))
    assert cmp.paths[1].estimates["serving.gpus_per_replica"]["value"] > 8
    assert any("more than one node" in w for w in cmp.warnings)
