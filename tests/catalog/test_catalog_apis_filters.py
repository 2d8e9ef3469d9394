"""`catalog apis` filters as a user types them: a vendor's genai-prices id, a month, nothing found."""

from __future__ import annotations

import csv
import datetime
import io

from typer.testing import CliRunner

from buildorbuy.catalog.apis import lookup_api_price
from buildorbuy.cli import app


def _rows(*args):
    result = CliRunner().invoke(app, ["catalog", "apis", *args, "--format", "csv"])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout))), result


def test_provider_deepseek_lists_the_rows_a_deepseek_lookup_uses():
    # `model: deepseek-chat, provider: deepseek` in a CNY scenario prices from deepseek-official's
    # mainland row; the listing for --provider deepseek must show that row too.
    used = lookup_api_price("deepseek-chat", "deepseek", None, currency="CNY")
    rows, _ = _rows("--provider", "deepseek", "--currency", "CNY")
    assert any(r["provider"] == used.provider and r["model"] == used.model and r["currency"] == "CNY" for r in rows)
    assert all(r["currency"] == "CNY" for r in rows)
    usd, _ = _rows("chat", "--provider", "deepseek")
    assert {r["provider"] for r in usd} == {"deepseek", "deepseek-official"}  # genai-prices rows are still listed


def test_date_as_a_month_means_its_first_day():
    month, _ = _rows("qwen-plus", "--date", "2024-10")
    day, _ = _rows("qwen-plus", "--date", "2024-10-01")
    assert month == day and month


def test_an_empty_listing_says_so():
    rows, result = _rows("--provider", "openai", "--currency", "CNY")
    assert rows == []
    assert "no API price matches provider openai, currency CNY" in result.stderr


def test_batch_auto_before_the_data_lists_a_batch_price_says_from_when(write_yaml):
    from tests.conftest import base_scenario

    from buildorbuy.catalog.apis import batch_listed_from

    listed = batch_listed_from("gpt-4o", "openai")
    assert listed is not None
    data = base_scenario(start="2026-01", paths=[{"name": "A", "kind": "api", "model": "gpt-4o", "provider": "openai",
                                                  "batch_share": 0.4}])
    assert listed > datetime.date(2026, 1, 1)  # genai-prices 0.2.3 (pinned) dates gpt-4o's batch price 2026-10-14
    result = CliRunner().invoke(app, ["compare", str(write_yaml(data))])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "paths[0].batch_discount" in line and f"it lists one only from {listed:%Y-%m-%d}" in line
