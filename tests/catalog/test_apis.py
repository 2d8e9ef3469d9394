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


def test_every_superseded_row_has_an_end_date_and_rows_never_overlap():
    from buildorbuy.catalog.apis import _extra

    data = _extra()[0]
    groups: dict = {}
    for e in data.prices:
        groups.setdefault((e.provider, e.model, e.currency), []).append(e)
        assert e.market == ("cn" if e.currency == "CNY" else "intl")
        assert e.source.strip()
    for key, rows in groups.items():
        rows.sort(key=lambda e: e.valid_from or dt.date.min)
        for earlier, later in zip(rows, rows[1:]):
            assert earlier.valid_to is not None, key
            assert earlier.valid_to <= later.valid_from, key


def test_cny_row_wins_in_a_cny_lookup():
    cny = lookup_api_price("qwen-plus", at=dt.date(2026, 11, 1), currency="CNY")
    assert (cny.currency, cny.market, cny.input_per_1m_usd, cny.output_per_1m_usd) == ("CNY", "cn", 0.8, 2.0)
    assert "help.aliyun.com" in cny.source
    usd = lookup_api_price("qwen-plus", at=dt.date(2026, 11, 1))
    assert (usd.currency, usd.market, usd.input_per_1m_usd) == ("USD", "intl", 0.4)
    # a 2024 start gets the 2024 price
    assert lookup_api_price("qwen-plus", at=dt.date(2024, 6, 1), currency="CNY").input_per_1m_usd == 4.0


def test_batch_tiers_and_cache_writes_from_genai_prices():
    claude = lookup_api_price("claude-sonnet-4-5", "anthropic", dt.date(2026, 11, 1))
    assert claude.cache_write_per_1m == 3.75
    assert claude.batch_discount == {"input": 0.5, "cached_input": 0.5, "cache_write": 0.5, "output": 0.5}
    # gpt-4o's batch rates are dated 2026-10-14 in the pinned snapshot: none in force before
    assert lookup_api_price("gpt-4o", "openai", dt.date(2026, 1, 1)).batch_discount is None
    long = lookup_api_price("gemini-2.5-pro", "google", dt.date(2026, 11, 1), input_tokens_per_request=300_000)
    assert long.tier == "long-context tier above 200,000 input tokens per request"


def test_catalog_apis_filters_and_columns():
    from typer.testing import CliRunner

    from buildorbuy.cli import app

    result = CliRunner().invoke(app, ["catalog", "apis", "qwen-plus", "--currency", "CNY", "--date", "2026-11-30", "--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    rows = json.loads(result.stdout)
    assert [(r["provider"], r["model"], r["market"], r["currency"]) for r in rows] == [("dashscope", "qwen-plus", "cn", "CNY")]
    assert rows[0]["unverified"] is True and "help.aliyun.com" in rows[0]["source"]
    table = CliRunner().invoke(app, ["catalog", "apis", "deepseek", "--provider", "deepseek-official", "--date", "2025-06-01"])
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[2].split()[:2] == ["provider", "model"] and "market" in lines[2] and "source" in lines[2]
    body = [line for line in lines[4:] if line.strip()]
    assert body and all(line.startswith("deepseek-official ") for line in body)  # never wrapped
    assert any(" cn " in line and "-50%" in line for line in body)


def test_naming_the_genai_provider_of_a_vendor_with_own_lists():
    # deepseek (genai-prices) and deepseek-official (supplementary) are the same vendor
    cny = lookup_api_price("deepseek-v4-pro", "deepseek", dt.date(2026, 11, 1), currency="CNY")
    assert (cny.provider, cny.currency, cny.input_per_1m_usd) == ("deepseek-official", "CNY", 6.0)
    usd = lookup_api_price("deepseek-v4-pro", "deepseek", dt.date(2026, 11, 1))
    assert (usd.provider, usd.currency) == ("deepseek", "USD")  # no USD row in the table: genai-prices
    chat = lookup_api_price("deepseek-chat", "deepseek", dt.date(2026, 1, 1))
    assert (chat.provider, chat.input_per_1m_usd) == ("deepseek-official", 0.28)  # not the stale 0.27 row
    # a row in a currency the caller cannot convert is returned only when nothing else prices it
    assert lookup_api_price("doubao-pro-32k", at=dt.date(2026, 1, 1), currency="EUR").currency == "CNY"
