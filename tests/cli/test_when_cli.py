"""`buildorbuy when`: NPV by start month in one engine call, the best month, the cost of starting now."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from buildorbuy import compare
from buildorbuy.analysis.when import when
from buildorbuy.cli import app
from buildorbuy.scenario.loading import load_scenario
from tests.conftest import REPO, api_path, base_scenario

ROUTER = REPO / "scenarios" / "hybrid-router.yaml"
ENTERPRISE = REPO / "scenarios" / "enterprise-support.yaml"


@pytest.mark.parametrize("scenario", [ROUTER, ENTERPRISE])
def test_each_start_month_is_the_compare_of_that_start_month(scenario):
    result = when(load_scenario(scenario), latest=6)
    for timing in result.paths:
        for k in (0, 3, 6):
            name = timing.name
            expected = compare(load_scenario(scenario, [f"paths[{name}].start_month={k}"]))
            path = next(p for p in expected.paths if p.name == name)
            assert timing.npv_by_start_month[k] == pytest.approx(path.npv, rel=1e-12), (name, k)
            assert timing.live_month_by_start_month[k] == path.live_month
        npvs = timing.npv_by_start_month
        best = min(range(len(npvs)), key=lambda k: npvs[k])
        assert timing.best_start_month == best
        assert timing.cost_of_starting_now == pytest.approx(npvs[0] - npvs[best], abs=1e-6)


def test_json_contract_and_the_other_formats(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["when", str(ROUTER), "--latest", "4", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (path,) = data["paths"]
    assert set(path) == {"name", "best_start_month", "npv_by_start_month", "cost_of_starting_now", "at_search_limit",
                         "search_limit"}
    assert path["at_search_limit"] is False and path["search_limit"] is None  # starting now is best
    assert len(path["npv_by_start_month"]) == 5 and path["name"] == "Tuned 8B"
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["when", str(ROUTER), "--latest", "4", "-f", "csv"]).stdout)))
    assert [int(r["start_month"]) for r in rows] == [0, 1, 2, 3, 4]
    assert [r["best"] for r in rows].count("true") == 1
    markdown = runner.invoke(app, ["when", str(ROUTER), "--latest", "4", "-f", "markdown"]).stdout
    assert markdown.startswith("## When to start") and "| Start month |" in markdown
    out = tmp_path / "when.md"
    table = runner.invoke(app, ["when", str(ROUTER), "--latest", "4", "--lang", "zh", "-o", str(out)])
    assert table.exit_code == 0 and "何时启动" in out.read_text(encoding="utf-8")
    assert runner.invoke(app, ["when", "--help"]).stdout.count("buildorbuy when") >= 2


def test_set_changes_the_answer():
    runner = CliRunner()
    now = json.loads(runner.invoke(app, ["when", str(ROUTER), "--latest", "6", "-f", "json"]).stdout)
    later = json.loads(runner.invoke(app, ["when", str(ROUTER), "--latest", "6", "-f", "json",
                                           "--set", "workload.tokens_per_month=10B"]).stdout)
    assert now["paths"][0]["best_start_month"] == 0 and now["paths"][0]["cost_of_starting_now"] == 0
    assert later["paths"][0]["best_start_month"] == 6  # modest volume today: every month of waiting is cheaper
    npvs = later["paths"][0]["npv_by_start_month"]
    assert later["paths"][0]["cost_of_starting_now"] == pytest.approx(npvs[0] - npvs[6])


@pytest.mark.parametrize("change,args,words", [
    (lambda d: d.pop("bridge"), [], "bridge"),
    (lambda d: d.update(paths=[api_path("API"), api_path("Other")]), [], "no self-hosted"),
    (lambda d: None, ["--path", "API"], "--path"),
    (lambda d: None, ["--path", "Nope"], "--path"),
])
def test_bad_input_is_one_line(write_yaml, change, args, words):
    hosted = {"name": "Hosted", "kind": "finetune", "model": {"params": "8B"},
              "finetune": {"tokens": "10M", "gpu": "a100-80gb", "gpu_hour_price": 2, "mfu": 0.3},
              "serving": {"gpu": "l40s", "gpu_hour_price": 0.9, "tokens_per_second_per_gpu": 3000, "gpus_per_replica": 1}}
    data = base_scenario(bridge="API", paths=[api_path("API"), hosted])
    change(data)
    result = CliRunner().invoke(app, ["when", str(write_yaml(data)), *args])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0], result.stderr


def test_report_blocks_for_before_you_decide():
    from buildorbuy.render.report import Paragraph, Table
    from buildorbuy.render.when_render import report_blocks

    data = when(load_scenario(ROUTER), latest=6).to_dict()
    paragraph, table = report_blocks(data, "en", "USD")
    assert isinstance(paragraph, Paragraph) and "Tuned 8B: start now" in paragraph.text
    assert isinstance(table, Table) and table.rows[0][:2] == ["Tuned 8B", "month 0"]
    assert report_blocks(None) == []


def test_the_lead_time_limit_counts_from_the_start_month(write_yaml):
    hosted = {"name": "Hosted", "kind": "finetune", "model": {"params": "8B"}, "lead_time_months": 2,
              "finetune": {"tokens": "10M", "gpu": "a100-80gb", "gpu_hour_price": 2, "mfu": 0.3},
              "serving": {"gpu": "l40s", "gpu_hour_price": 0.9, "tokens_per_second_per_gpu": 3000, "gpus_per_replica": 1}}
    data = base_scenario(bridge="API", constraints={"max_lead_time_months": 3}, paths=[api_path("API"), hosted])
    result = when(load_scenario(write_yaml(data)), latest=5)
    assert all(npv is not None for npv in result.paths[0].npv_by_start_month)  # live at start + 2 ≤ start + 3


def test_a_best_start_at_the_searched_limit_is_said_to_be_the_limit_not_the_best():
    runner = CliRunner()
    more = ["--set", "workload.tokens_per_month=10B", "--set", "horizon_months=60"]
    data = json.loads(runner.invoke(app, ["when", str(ROUTER), "-f", "json", *more]).stdout)
    (path,) = data["paths"]
    assert path["best_start_month"] == 24 == data["latest"]  # the cost falls every month up to the default --latest
    assert path["at_search_limit"] is True and path["search_limit"] == "latest"
    table = runner.invoke(app, ["when", str(ROUTER), *more], env={"COLUMNS": "400"}).stdout
    assert "start in month 24" not in table and "month 24+" in table
    assert "Tuned 8B: the cost still falls at month 24, the latest searched: the best start is at or beyond it (try --latest 59)" in table
    markdown = runner.invoke(app, ["when", str(ROUTER), "-f", "markdown", *more]).stdout
    assert "| Tuned 8B | month 24+ |" in markdown and "the latest searched" in markdown
    longer = json.loads(runner.invoke(app, ["when", str(ROUTER), "-f", "json", "--latest", "40", *more]).stdout)
    assert longer["paths"][0]["best_start_month"] == 40 and longer["paths"][0]["search_limit"] == "latest"
    zh = runner.invoke(app, ["when", str(ROUTER), "--lang", "zh", *more], env={"COLUMNS": "400"}).stdout
    assert "第 24 月或更晚" in zh and "成本到第 24 月（搜索的最后一个月）仍在下降" in zh


def test_a_best_start_at_the_last_month_that_goes_live_says_the_horizon_is_the_limit():
    runner = CliRunner()
    data = json.loads(runner.invoke(app, ["when", str(ROUTER), "-f", "json", "--set", "workload.tokens_per_month=10B"]).stdout)
    (path,) = data["paths"]
    horizon = data["scenario"]["horizon_months"]
    best = path["best_start_month"]
    assert path["npv_by_start_month"][best + 1:] == [None] * (len(path["npv_by_start_month"]) - best - 1)  # not live in time
    assert path["search_limit"] == "horizon" and path["at_search_limit"] is True
    table = runner.invoke(app, ["when", str(ROUTER), "--set", "workload.tokens_per_month=10B"], env={"COLUMNS": "400"}).stdout
    assert (f"Tuned 8B: the cost still falls at month {best}, the last start that goes live within the {horizon}-month "
            "horizon: starting within the horizon is not better than waiting longer") in table
