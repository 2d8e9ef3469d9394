"""A percent sign is read on shares and rates (`30%` → 0.3) and refused, with the field and the
file line, on amounts (tokens, prices, counts, months), where `50 %` would silently become 0.5."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from buildorbuy.scenario.loading import load_scenario

runner = CliRunner()

SCENARIO = """\
version: 1
name: percent
start: 2026-01
horizon_months: 12
discount_rate: {discount_rate}
workload:
  tokens_per_month: {tokens_per_month}
  output_share: {output_share}
  growth_per_year: {growth_per_year}
paths:
  - name: api
    kind: api
    price_per_1k_input: {price_per_1k_input}
    price_per_1k_output: 0.01
    batch_discount: {batch_discount}
    staff:
      - {{role: engineer, count: {count}, annual_cost: 100k}}
  - name: tuned
    kind: finetune
    model: {{params: 8B}}
    finetune: {{tokens: 20M, gpu: h100-sxm, gpus: {gpus}, gpu_hour_price: 2.99}}
    serving: {{gpu: h100-sxm, ownership: rent, gpu_hour_price: 2.99, redundancy: {redundancy}}}
    lead_time_months: {lead_time_months}
"""
GOOD = {"discount_rate": "0.08", "batch_discount": "50%", "tokens_per_month": "1B", "output_share": "'25 %'", "growth_per_year": "50%",
        "price_per_1k_input": "0.0025", "count": "1", "gpus": "8", "redundancy": "1", "lead_time_months": "2"}
LINES = {"tokens_per_month": 7, "price_per_1k_input": 13, "count": 17, "gpus": 21, "redundancy": 22,
         "lead_time_months": 23}
FIELDS = {"tokens_per_month": "workload.tokens_per_month", "price_per_1k_input": "paths[0].price_per_1k_input",
          "count": "paths[0].staff[0].count", "gpus": "paths[1].finetune.gpus",
          "redundancy": "paths[1].serving.redundancy", "lead_time_months": "paths[1].lead_time_months"}


def write(tmp_path, **values) -> str:
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO.format(**{**GOOD, **values}))
    return str(path)


def test_shares_and_rates_keep_their_percent(tmp_path):
    scenario = load_scenario(write(tmp_path))
    assert scenario.paths[0].batch_discount == pytest.approx(0.5)
    assert scenario.workload.output_share == pytest.approx(0.25)
    assert scenario.workload.growth_per_year == pytest.approx(0.5)
    result = runner.invoke(app, ["validate", write(tmp_path)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("field", sorted(LINES))
@pytest.mark.parametrize("text", ["'50 %'", "50%", "'100%'"])
def test_a_percent_on_an_amount_is_refused_with_field_and_line(tmp_path, field, text):
    result = runner.invoke(app, ["compare", write(tmp_path, **{field: text})])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert re.match(rf"Error: \S*scenario\.yaml:{LINES[field]}: {re.escape(FIELDS[field])}: ", lines[0]), lines[0]
    assert "percentage" in lines[0]


def test_a_percent_on_an_amount_from_set_is_refused(tmp_path):
    result = runner.invoke(app, ["compare", write(tmp_path), "--set", "workload.tokens_per_month=50%"])
    assert result.exit_code == 2, result.output
    assert "workload.tokens_per_month" in result.output and "percentage" in result.output
    assert "--set" in result.output


def test_estimate_refuses_a_percent_token_count():
    result = runner.invoke(app, ["estimate", "finetune", "--model", "llama-3.1-8b", "--tokens", "50%", "--gpu", "h100-sxm"])
    assert result.exit_code == 2, result.output
    assert "tokens" in result.output and "percentage" in result.output


@pytest.mark.parametrize("args", [
    ["sweep", "-p", "workload.tokens_per_month", "--values", "50%,1e9"],
    ["sweep", "-p", "paths[api].staff[0].count", "--range", "1%:5"],
    ["breakeven", "-p", "workload.tokens_per_month", "--range", "1%:90%"],
])
def test_sweep_and_breakeven_refuse_a_percent_on_an_amount(tmp_path, args):
    result = runner.invoke(app, [args[0], write(tmp_path), *args[1:]])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "percentage" in lines[0] and args[2] in lines[0], result.output


def test_sweep_keeps_percent_on_a_share(tmp_path):
    result = runner.invoke(app, ["sweep", write(tmp_path), "-p", "workload.output_share", "--values", "20%,30%",
                                 "-f", "json"])
    assert result.exit_code == 0, result.output
    import json

    assert [p["values"] for p in json.loads(result.stdout)["points"]] == [{"workload.output_share": 0.2},
                                                                       {"workload.output_share": 0.3}]
