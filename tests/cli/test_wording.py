"""What a new user reads: field names that do not lie, one spelling of a field path, consistent
help and wording in both languages."""

import csv
import io
import json

from typer.testing import CliRunner

from buildorbuy.cli import app

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_catalog_apis_keys_do_not_call_a_cny_price_usd():
    records = json.loads(run("catalog", "apis", "qwen-plus", "-f", "json"))
    cny = next(r for r in records if r["currency"] == "CNY" and r["provider"] == "dashscope")
    usd = next(r for r in records if r["currency"] == "USD")
    # the listing currency's figures under currency-neutral keys
    assert (cny["input_per_1m"], cny["output_per_1m"]) == (0.8, 2.0)
    # a CNY row has no USD figure: the _usd keys are null, not 0.8 "USD"
    assert cny["input_per_1m_usd"] is None and cny["output_per_1m_usd"] is None and cny["cached_input_per_1m_usd"] is None
    # a USD row keeps its _usd keys (compatibility) equal to the neutral ones
    assert usd["input_per_1m_usd"] == usd["input_per_1m"] == 0.4
    rows = list(csv.DictReader(io.StringIO(run("catalog", "apis", "qwen-plus", "-f", "csv"))))
    row = next(r for r in rows if r["currency"] == "CNY" and r["provider"] == "dashscope")
    assert (row["input_per_1m"], row["input_per_1m_usd"]) == ("0.8", "")
