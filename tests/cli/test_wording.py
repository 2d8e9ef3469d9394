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


def test_every_analysis_names_a_field_as_set_takes_it(tmp_path):
    """tornado, whatif, voi, sweep and breakeven show `paths[Name].…` (not `paths[1].…`, nor the bare
    `staff[0].…` whatif used for a path's own fields), and that text works as a --set field."""
    import re

    from tests.conftest import REPO

    sc = str(REPO / "scenarios" / "uncertain-enterprise.yaml")
    own = "paths[Llama 3.3 70B, own H100].staff[0].annual_cost"
    rented = "paths[Llama 3.3 70B, rented H100].staff[0].annual_cost"
    wide = {"COLUMNS": "200"}

    def out(*args):
        result = runner.invoke(app, [str(a) for a in args], env=wide)
        assert result.exit_code == 0, result.output
        return result.stdout

    whatif = out("whatif", sc)
    assert own in whatif and not re.search(r"(?<![\].\w])staff\[0\]", whatif)
    tornado = out("tornado", sc)
    assert rented in tornado and "paths[1]" not in tornado
    assert "paths[1]" not in out("sweep", sc, "-p", "paths[1].staff[0].annual_cost", "-v", "2e5,3e5")
    breakeven = out("breakeven", sc, "-p", "paths[1].staff[0].annual_cost")
    assert breakeven.startswith(f"Break-even of {rented}")
    assert "paths[1]" not in out("voi", sc, "-n", "1000")
    # what is shown is a field --set accepts: pasting it changes the figure
    moved = json.loads(out("compare", sc, "--set", f"{own}=100000", "-f", "json"))
    base = json.loads(out("compare", sc, "-f", "json"))
    assert moved["paths"][2]["npv"] < base["paths"][2]["npv"]
    # JSON keeps the index form (data contract)
    assert any(c["field"] == "paths[2].staff[0].annual_cost" for c in json.loads(out("whatif", sc, "-f", "json"))["conditions"])
