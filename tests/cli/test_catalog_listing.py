"""`catalog apis` lists 2,000+ prices: one plain line per price, the package version looked up once."""

import importlib.metadata

from typer.testing import CliRunner

from buildorbuy.catalog import apis
from buildorbuy.cli import app
from buildorbuy.render.tables import LONG_TABLE_ROWS, plain_table


def test_long_listing_is_plain_text_one_line_per_price():
    prices = apis.list_api_models()
    assert len(prices) > LONG_TABLE_ROWS
    result = CliRunner().invoke(app, ["catalog", "apis"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # a few heading lines, then exactly one line per price, in order
    assert len(prices) <= len(lines) <= len(prices) + 5
    for line, price in zip(lines[len(lines) - len(prices):], prices):
        assert line.split()[:2] == [price.provider, price.model]
    assert not any(ch in result.output for ch in "┃│━─┏")


def test_package_version_looked_up_once(monkeypatch):
    calls = []
    real = importlib.metadata.version

    def counting(name):
        calls.append(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "version", counting)
    apis.genai_prices_version.cache_clear()
    try:
        prices = apis.list_api_models()
    finally:
        apis.genai_prices_version.cache_clear()
    assert len(prices) > 100 and calls.count("genai-prices") == 1


def test_plain_table_aligns_and_escapes_control_characters():
    text = plain_table("T", ["name", "price /1M"], [["a\x1b[2Jb", "1.5"], ["long name", "22"]], right_from=1)
    assert text.splitlines() == [
        "T",
        "",
        "name       price /1M",
        "---------  ---------",
        "a\\x1b[2Jb        1.5",
        "long name         22",
    ]
