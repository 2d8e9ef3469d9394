"""The sweep, tornado and breakeven commands: outputs, the JSON contract, and one-line errors (exit 2)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from buildorbuy.api import evaluate
from buildorbuy.cli import app
from buildorbuy.scenario.loading import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
DOMAIN = str(SCENARIOS / "domain-model-50b.yaml")
ENTERPRISE = str(SCENARIOS / "enterprise-support.yaml")

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_sweep_json_points(tmp_path):
    out = tmp_path / "sweep.json"
    result = run("sweep", DOMAIN, "--param", "workload.tokens_per_month", "--values", "1e9,1e11", "-f", "json", "-o", out)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["params"] == ["workload.tokens_per_month"]
    assert [p["winner"] for p in data["points"]] == ["gpt-4.1", "Fine-tuned Llama 3.1 70B"]
    assert set(data["points"][0]) >= {"values", "npv", "winner"}
    single = evaluate(load_scenario(DOMAIN), {"workload.tokens_per_month": [1e11]})
    assert data["points"][1]["npv"]["gpt-4.1"] == pytest.approx(single.npv[0, 0], rel=1e-12)


def test_sweep_pairs_params_with_values_and_ranges_in_order():
    result = run(
        "sweep", DOMAIN,
        "--param", "paths[gpt-4.1].price_per_1k_output", "--values", "0.004,0.008",
        "--param", "workload.tokens_per_month", "--range", "1e9:1e11:3:log",
        "-f", "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["params"] == ["paths[0].price_per_1k_output", "workload.tokens_per_month"]
    assert [a["values"] for a in data["axes"]] == [[0.004, 0.008], pytest.approx([1e9, 1e10, 1e11])]
    assert len(data["points"]) == 6


def test_sweep_pairs_range_given_before_values():
    # click gathers --values and --range separately; the pairing must follow the command line
    result = run(
        "sweep", DOMAIN,
        "--param", "workload.tokens_per_month", "--range", "1e9:1e11:3:log",
        "--param", "paths[gpt-4.1].price_per_1k_output", "--values", "0.004,0.008",
        "-f", "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["params"] == ["workload.tokens_per_month", "paths[0].price_per_1k_output"]
    assert [a["values"] for a in data["axes"]] == [pytest.approx([1e9, 1e10, 1e11]), [0.004, 0.008]]


def test_sweep_two_d_table_and_other_formats():
    args = ["sweep", DOMAIN, "-p", "workload.tokens_per_month", "-r", "1e9:1e12:6", "--log", "-p", "paths[1].serving.gpu_hour_price", "-r", "1:5:5"]
    table = run(*args)
    assert table.exit_code == 0 and "A = gpt-4.1" in table.stdout and "B = Fine-tuned Llama 3.1 70B" in table.stdout
    markdown = run(*args, "-f", "markdown")
    assert markdown.stdout.startswith("## Sweep") and "| ---: |" in markdown.stdout.replace(":---", "---:")
    csv = run(*args, "-f", "csv")
    lines = csv.stdout.strip().splitlines()
    assert lines[0].startswith("workload.tokens_per_month,paths[1].serving.gpu_hour_price,npv:gpt-4.1")
    assert len(lines) == 1 + 30


def test_tornado_outputs():
    table = run("tornado", ENTERPRISE, "--top", "5")
    assert table.exit_code == 0, table.output
    assert "█" in table.stdout and "workload.tokens_per_month" in table.stdout
    data = json.loads(run("tornado", ENTERPRISE, "--metric", "margin", "-f", "json").stdout)
    assert data["metric"] == "margin" and data["winner"] == "Fine-tuned Llama 3.3 70B"
    effects = [r["effect"] for r in data["rows"]]
    assert effects == sorted(effects, reverse=True)
    assert "horizon_months" in data["skipped"]
    assert run("tornado", ENTERPRISE, "-f", "csv").stdout.startswith("param,base,low,high")
    assert "## Tornado" in run("tornado", ENTERPRISE, "-f", "markdown").stdout


def test_breakeven_json_and_check():
    result = run("breakeven", DOMAIN, "--param", "workload.tokens_per_month", "--between", "Fine-tuned Llama 3.1 70B", "gpt-4.1", "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"param", "value", "a", "b", "at_step", "iterations", "engine_batches", "npv"} <= set(data)
    single = evaluate(load_scenario(DOMAIN), {data["param"]: [data["value"]]})
    assert single.npv[0, 1] == pytest.approx(single.npv[0, 0], rel=1e-3)
    assert data["engine_batches"] <= 60


def test_breakeven_at_step_json():
    data = json.loads(run("breakeven", ENTERPRISE, "-p", "paths[1].serving.tokens_per_second_per_gpu", "-f", "json").stdout)
    assert data["at_step"] is True
    scenario = load_scenario(ENTERPRISE)
    ends = [evaluate(scenario, {data["param"]: [data["value"] * f]}).npv[0] for f in (1 - 1e-4, 1 + 1e-4)]
    assert np.sign(ends[0][1] - ends[0][0]) != np.sign(ends[1][1] - ends[1][0])


def test_breakeven_no_crossover_and_set():
    result = run("breakeven", DOMAIN, "-p", "workload.tokens_per_month", "--range", "1e8:1e9", "-f", "json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["value"] is None and "no crossover" in data["reason"]
    text = run("breakeven", DOMAIN, "-p", "workload.tokens_per_month", "--set", "paths[gpt-4.1].price_per_1k_output=0.03")
    assert text.exit_code == 0 and "Break-even" in text.stdout


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["sweep", DOMAIN, "-p", "workload.tokens_per_mont", "--values", "1"], "did you mean"),
        (["sweep", DOMAIN, "-p", "paths[Nope].lead_time_months", "--values", "1"], "no path named"),
        (["sweep", DOMAIN, "-p", "paths[0].name", "--values", "1"], "not a numeric field"),
        (["sweep", DOMAIN, "-p", "workload.tokens_per_month", "--range", "1e9:1e8"], "empty range"),
        (["sweep", DOMAIN, "-p", "workload.tokens_per_month", "--range", "0:1e9", "--log"], "positive"),
        (["sweep", DOMAIN, "-p", "workload.tokens_per_month", "--range", "1:2:1001", "-p", "discount_rate", "--range", "0:1:1000"], "1,000,000"),
        (["sweep", DOMAIN, "-p", "workload.tokens_per_month", "--range", "1e8-1e9"], "LO:HI"),
        (["sweep", DOMAIN, "-p", "workload.tokens_per_month", "--values", "1e8,abc"], "not a number"),
        (["sweep", DOMAIN, "-p", "workload.tokens_per_month"], "one --values or --range"),
        (["sweep", DOMAIN, "-p", "workload.output_share", "--values", "0.5,1.5"], "valid range"),
        (["sweep", DOMAIN, "-p", "horizon_months", "--values", "12,24"], "cannot be varied"),
        (["tornado", DOMAIN, "--swing", "2"], "swing"),
        (["tornado", DOMAIN, "-p", "paths[0].kind"], "not a numeric field"),
        (["breakeven", DOMAIN, "-p", "workload.tokens_per_month", "--between", "gpt-4.1", "gpt4.1x"], "no path named"),
        (["breakeven", DOMAIN, "-p", "workload.tokens_per_month", "--range", "5:1"], "empty range"),
        (["breakeven", DOMAIN, "-p", "nope"], "unknown parameter"),
        (["sweep", DOMAIN, "-p", "workload.tokens_per_month", "--values", "1", "--set", "workload.output_share=2"], "output_share"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, fragment):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0]
    assert "Traceback" not in result.output


def test_help_does_not_import_numpy():
    code = "import sys; from buildorbuy.cli import app; sys.argv=['buildorbuy','--help']\ntry:\n    app()\nexcept SystemExit:\n    pass\nprint('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False")


@pytest.mark.parametrize("command", ["sweep", "tornado", "breakeven"])
def test_commands_have_help(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "--set" in result.stdout and "--format" in result.stdout


def test_example_script_runs():
    script = Path(__file__).resolve().parents[2] / "examples" / "sensitivity.py"
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True, cwd=script.parent.parent.parent)
    assert "break-even volume" in out.stdout and "winner (rows" in out.stdout
