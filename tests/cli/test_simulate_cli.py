"""`buildorbuy simulate` through the CLI: formats, reproducibility, one-line errors with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app

SCENARIO = str(Path(__file__).resolve().parents[2] / "scenarios" / "uncertain-enterprise.yaml")


@pytest.fixture
def runner():
    return CliRunner()


def _run(runner, *args):
    return runner.invoke(app, ["simulate", *args])


def test_json_is_reproducible_byte_for_byte(runner):
    first = _run(runner, SCENARIO, "--samples", "3000", "--seed", "9", "--format", "json")
    second = _run(runner, SCENARIO, "--samples", "3000", "--seed", "9", "--format", "json")
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    assert data["samples"] == 3000 and data["seed"] == 9
    for path in data["paths"]:
        assert {"name", "npv_p10", "npv_p50", "npv_p90", "win_probability"} <= set(path)
        assert path["npv_p10"] <= path["npv_p50"] <= path["npv_p90"]


@pytest.mark.parametrize("fmt, marker", [("table", "Probability of being cheapest"), ("markdown", "### Cheapest by"), ("csv", "path,kind,npv_p10")])
def test_formats(runner, fmt, marker):
    result = _run(runner, SCENARIO, "-n", "2000", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert marker in result.stdout


def test_output_file(runner, tmp_path):
    out = tmp_path / "sim" / "result.json"
    result = _run(runner, SCENARIO, "-n", "1000", "-f", "json", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["samples"] == 1000


def test_set_overrides_a_distribution(runner):
    result = _run(runner, SCENARIO, "-n", "1000", "-f", "json", "--set", "paths[gpt-4o].price_change_per_year=-0.25")
    assert result.exit_code == 0, result.output
    fields = {i["field"] for i in json.loads(result.stdout)["inputs"]}
    assert "paths[0].price_change_per_year" not in fields


@pytest.mark.parametrize("samples", ["0", "-1", "10000001"])
def test_sample_limits_are_one_line_errors(runner, samples):
    result = _run(runner, SCENARIO, "--samples", samples)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: --samples: must be a whole number from 1 to 10,000,000")
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "value, field",
    [
        ("{dist: triangular, low: 3, mode: 2, high: 1}", "paths[0].price_per_1k_input"),
        ("{dist: lognormal, p10: 0.004, p90: 0.001}", "paths[0].price_per_1k_input"),
        ("{dist: normal, mean: 0.002, sd: -1}", "paths[0].price_per_1k_input.sd"),
        ("{dist: choice, values: [0.001, 0.002], weights: [0.4, 0.4]}", "paths[0].price_per_1k_input"),
        ("{dist: beta, a: 1}", "paths[0].price_per_1k_input.dist"),
        ("{dist: uniform, low: 0.001, high: 0.002, sd: 1}", "paths[0].price_per_1k_input.sd"),
    ],
)
def test_bad_distribution_is_a_one_line_error_with_line(runner, tmp_path, value, field):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\nworkload:\n  tokens_per_month: 1B\npaths:\n  - name: API\n    kind: api\n"
        f"    price_per_1k_input: {value}\n    price_per_1k_output: 0.01\n"
    )
    for command in ("simulate", "compare"):
        result = runner.invoke(app, [command, str(path)])
        assert result.exit_code == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: {path}:7: {field}: "), lines
        assert "Traceback" not in result.output


def test_compare_works_on_the_uncertain_scenario(runner):
    result = runner.invoke(app, ["compare", SCENARIO, "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["recommendation"]["path"]


def test_help_lists_simulate(runner):
    result = runner.invoke(app, ["--help"])
    assert "simulate" in result.stdout


def test_table_shows_field_paths_without_markup_escapes():
    from tests.conftest import REPO

    result = CliRunner().invoke(app, ["simulate", str(REPO / "scenarios" / "uncertain-enterprise.yaml"), "--samples", "2000"])
    assert result.exit_code == 0, result.output
    assert "paths[gpt-4o]" in result.stdout and "\\[" not in result.stdout


@pytest.mark.parametrize("given,expected", [("1e3", 1000), ("2k", 2000)])
def test_samples_accept_quantities(given, expected):
    from tests.conftest import REPO

    result = CliRunner().invoke(app, ["simulate", str(REPO / "scenarios" / "uncertain-enterprise.yaml"), "--samples", given, "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["samples"] == expected
