import datetime as dt
import sys

import pytest

from buildorbuy.catalog.apis import ApiPrice, genai_prices_version, list_api_models, lookup_api_price
from buildorbuy.errors import CatalogError


def test_version_is_pinned():
    assert genai_prices_version() == "0.2.3"


def test_gpt_4o_from_genai_prices():
    p = lookup_api_price("gpt-4o", at=dt.date(2025, 8, 1))
    assert isinstance(p, ApiPrice)
    assert (p.provider, p.input_per_1m_usd, p.cached_input_per_1m_usd, p.output_per_1m_usd) == ("openai", 2.5, 1.25, 10.0)
    assert p.currency == "USD" and "genai-prices 0.2.3" in p.source


def test_dated_price_change():
    assert lookup_api_price("o3", "openai", dt.date(2025, 1, 1)).input_per_1m_usd == 10.0
    assert lookup_api_price("o3", "openai", dt.date(2025, 7, 1)).input_per_1m_usd == 2.0


def test_long_context_tier_applies_per_request_only():
    normal = lookup_api_price("gemini-2.5-pro", "google", dt.date(2025, 8, 1))
    long = lookup_api_price("gemini-2.5-pro", "google", dt.date(2025, 8, 1), input_tokens_per_request=300_000)
    assert long.input_per_1m_usd > normal.input_per_1m_usd


def test_supplementary_cny_prices_by_date():
    old = lookup_api_price("deepseek-chat", "deepseek-official", dt.date(2025, 6, 1), currency="CNY")
    assert (old.currency, old.input_per_1m_usd, old.output_per_1m_usd) == ("CNY", 2.0, 8.0)
    assert (old.price_date, old.valid_to, old.market) == ("2025-02-26", "2025-09-05", "cn")
    usd = lookup_api_price("deepseek-chat", "deepseek-official", dt.date(2025, 6, 1))
    assert (usd.currency, usd.input_per_1m_usd, usd.market) == ("USD", 0.27, "intl")
    v31 = lookup_api_price("deepseek-v3", "deepseek-official", dt.date(2025, 9, 10))
    assert (v31.currency, v31.input_per_1m_usd) == ("USD", 0.56)
    assert lookup_api_price("doubao-pro-32k", "volcengine").currency == "CNY"
    assert lookup_api_price("ernie-speed", "baidu").output_per_1m_usd == 0.0
    assert lookup_api_price("qwen-long").provider == "dashscope"


def test_unknown_model_suggests():
    with pytest.raises(CatalogError, match="did you mean 'gpt-4o'"):
        lookup_api_price("gpt-4oo")
    with pytest.raises(CatalogError, match="qwen-long"):
        lookup_api_price("qwen-lon", "dashscope")


def test_unknown_provider():
    with pytest.raises(CatalogError) as info:
        lookup_api_price("gpt-4o", "no-such-cloud-zz")
    assert info.value.field == "provider"


def test_list_api_models():
    everything = list_api_models(at=dt.date(2025, 8, 1))
    assert len(everything) > 500
    assert all(p.output_per_1m_usd >= 0 for p in everything)
    qianfan = list_api_models("qianfan", at=dt.date(2025, 8, 1))
    assert {p.model for p in qianfan} >= {"ernie-speed", "ernie-lite", "ernie-4.5-turbo"}
    assert all(p.currency == "CNY" for p in qianfan)


def test_import_is_lazy():
    import importlib

    sys.modules.pop("buildorbuy.catalog.apis", None)
    before = "genai_prices" in sys.modules
    importlib.import_module("buildorbuy.catalog.apis")
    assert ("genai_prices" in sys.modules) == before
