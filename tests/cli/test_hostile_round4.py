"""Hostile input found by another round of attacks on every command: each case here used to end
in a traceback, a silently ignored value or a file written where the user did not ask for one."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import REPO, one_line_error

runner = CliRunner()
UNCERTAIN = REPO / "scenarios" / "uncertain-enterprise.yaml"
STARTUP = REPO / "scenarios" / "startup-assistant.yaml"


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


# ------------------------------------------------------------ choice weights that overflow a sum

def test_choice_weights_whose_sum_overflows_are_one_line(tmp_path):
    text = UNCERTAIN.read_text(encoding="utf-8")
    old = "gpu_hour_price: {dist: lognormal, p10: 2.0, p90: 3.5}"
    assert old in text
    path = tmp_path / "s.yaml"
    path.write_text(text.replace(old, "gpu_hour_price: {dist: choice, values: [1, 2], weights: [1e308, 1e308]}"),
                    encoding="utf-8")
    for command in ("validate", "compare"):
        line = one_line_error(run(command, path), "paths[1].serving.gpu_hour_price", "weights must sum to 1")
        assert f"{path}:" in line


# ------------------------------------------------------------ -o -: standard output, never a file named "-"

@pytest.mark.parametrize("args", [
    ["compare", STARTUP, "-f", "json"],
    ["schema"],
    ["catalog", "gpus", "-f", "csv"],
    ["estimate", "training", "--params", "8B", "--tokens", "1T", "--gpu", "h100-sxm", "-f", "json"],
    ["diff", STARTUP, STARTUP, "-f", "json"],
])
def test_output_dash_prints_to_stdout_and_writes_no_file(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    expected = run(*args)
    assert expected.exit_code == 0, expected.output
    result = run(*args, "-o", "-")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "-").exists()
    assert result.stdout == expected.stdout
    assert "wrote" not in result.stderr


# ------------------------------------------------------------ init: names too long for the file system

@pytest.mark.parametrize("name", ["y" * 300 + ".yaml", "/".join(["d" * 200] * 25) + "/s.yaml"])
def test_init_with_a_name_too_long_is_one_line(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    for extra in ([], ["--force"]):
        one_line_error(run("init", "-o", name, *extra))
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------ breakeven: the scan's point count is bounded

def test_breakeven_refuses_an_absurd_scan_and_keeps_a_modest_one():
    line = one_line_error(run("breakeven", STARTUP, "-p", "workload.tokens_per_month", "-r", "1M:1T:1000000"),
                          "--range", "1,000,000", "1,000")
    assert "Traceback" not in line
    fine = run("breakeven", STARTUP, "-p", "workload.tokens_per_month", "-r", "1M:1T:64", "-f", "json")
    assert fine.exit_code == 0, fine.output


# ------------------------------------------------------------ estimate: bad option values are refused, used or not

SERVING = ["estimate", "serving", "--params", "8B", "--gpu", "h100-sxm"]


@pytest.mark.parametrize("args, option", [
    (SERVING + ["--gpu-hour-price", "-1"], "--gpu-hour-price"),
    (SERVING + ["--gpu-hour-price", "nan"], "--gpu-hour-price"),
    (SERVING + ["--gpu-hour-price", "inf"], "--gpu-hour-price"),
    (SERVING + ["--tokens-per-month", "1B", "--gpu-hour-price", "1e308"], "--gpu-hour-price"),
    (SERVING + ["--peak-to-average", "1e308"], "--peak-to-average"),
    (SERVING + ["--tokens-per-month", "1B", "--peak-to-average", "1e308"], "--peak-to-average"),
    (["estimate", "training", "--params", "8B", "--tokens", "1T", "--gpu", "h100-sxm", "--gpu-hour-price", "1e308"],
     "--gpu-hour-price"),
    (["estimate", "finetune", "--params", "8B", "--tokens", "10M", "--gpu", "h100-sxm", "--gpu-hour-price", "1e308"],
     "--gpu-hour-price"),
])
def test_estimate_option_out_of_range_is_named(args, option):
    one_line_error(run(*args, "-f", "json"), option)


def test_estimate_serving_at_the_bounds_still_runs():
    result = run(*SERVING, "--tokens-per-month", "1B", "--gpu-hour-price", "0", "--peak-to-average", "1000", "-f", "json")
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------ Markdown: warnings escaped, table cells escaped once

def _hostile_names(tmp_path) -> "Path":
    import json

    import yaml

    data = yaml.safe_load(UNCERTAIN.read_text(encoding="utf-8"))
    data["paths"][1]["name"] = "<b>x</b>"
    data["paths"][2]["name"] = "own\n# H\n- item"  # an owned fleet: its name starts an engine warning
    data["correlations"][0]["b"] = "paths[1].serving.gpu_hour_price"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_tornado_markdown_warnings_cannot_add_headings_or_items(tmp_path):
    result = run("tornado", _hostile_names(tmp_path), "-f", "markdown")
    assert result.exit_code == 0, result.output
    assert "owned fleet without" in result.stdout  # the warning is there…
    lines = result.stdout.splitlines()
    assert "# H" not in lines and not any(line.startswith("- item") for line in lines)  # …on its own bullet


def test_when_markdown_and_report_escape_a_name_once(tmp_path):
    path = _hostile_names(tmp_path)
    result = run("when", path, "-f", "markdown")
    assert result.exit_code == 0, result.output
    assert "\\<b\\>x\\</b\\>" in result.stdout and "\\\\" not in result.stdout
    out = tmp_path / "r.md"
    result = run("report", path, "-n", "300", "-o", out)
    assert result.exit_code == 0, result.output
    rows = [line for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("| \\<b\\>x")]
    assert rows and not any("\\\\" in row for row in rows), rows


# ------------------------------------------------------------ a field that holds a list or fields: said in words

@pytest.mark.parametrize("command", [["tornado"], ["whatif"], ["breakeven"], ["sweep", "-v", "1,2"]])
@pytest.mark.parametrize("param, words", [("paths", "a list of 2 entries"), ("paths[0].staff", "a list of 1 entry"),
                                          ("workload", "the fields ")])
def test_a_non_numeric_group_is_described_without_python_reprs(command, param, words):
    line = one_line_error(run(command[0], STARTUP, "-p", param, *command[1:]), param, "is not a numeric field", words)
    assert "ApiPath(" not in line and "Workload(" not in line and "Staff(" not in line


# ------------------------------------------------------------ JSON: C1 controls and bidi overrides as \u escapes

@pytest.mark.parametrize("args", [["compare"], ["tornado"], ["when"], ["whatif"], ["simulate", "-n", "50"],
                                  ["sweep", "-p", "discount_rate", "-v", "0.05,0.1"],
                                  ["breakeven", "-p", "discount_rate"]])
def test_json_output_holds_no_raw_c1_control_or_bidi_override(tmp_path, args):
    import json
    import re

    import yaml

    data = yaml.safe_load(STARTUP.read_text(encoding="utf-8"))
    name = "\u202egnp.exe\x9b31m\x85"
    data["paths"][1]["name"] = name
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run(args[0], path, *args[1:], "-f", "json")
    assert result.exit_code == 0, result.output
    assert not re.search("[\x80-\x9f\u202a-\u202e\u2066-\u2069]", result.stdout)
    assert name in json.dumps(json.loads(result.stdout), ensure_ascii=False)  # the same data, escaped


# ------------------------------------------------------------ --set into a list written as null (found by the fuzzer)

@pytest.mark.parametrize("paths", ["null", "[]", ""])
@pytest.mark.parametrize("override", ["paths[0].name=x", "paths[0].serving.tokens_per_second_per_gpu=1e-300", "paths[1]=1"])
def test_set_into_an_empty_or_null_list_is_one_line(tmp_path, paths, override):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: m\nstart: 2026-01\nworkload: {{tokens_per_month: 1B}}\npaths: {paths}\n", encoding="utf-8")
    for command in ("validate", "compare", "report"):
        one_line_error(run(command, path, "--set", override, *(["-o", tmp_path / "r.md"] if command == "report" else [])),
                       "--set", "out of range (there are 0)")


# ------------------------------------------------------------ TOML: a huge integer gets the words and line YAML and JSON give

def test_a_huge_toml_integer_names_its_line_like_yaml_and_json(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('name = "x"\nhorizon_months = ' + "9" * 5000 + "\n", encoding="utf-8")
    one_line_error(run("validate", path), f"{path}:2:", "a whole number of 5,000 digits")


# ------------------------------------------------------------ a stdout encoding that cannot hold "—"

def test_validate_on_a_latin1_stdout_prints_instead_of_crashing(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONIOENCODING="latin-1")
    done = subprocess.run([sys.executable, "-m", "buildorbuy", "validate", str(STARTUP)], capture_output=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr.decode("latin-1")
    assert b"Traceback" not in done.stderr
    assert b"valid" in done.stdout and b"2 paths (gpt-4o-mini, Fine-tuned Llama 3.1 8B)" in done.stdout


# ------------------------------------------------------------ whatif: a search that would take minutes is refused

def _many_paths(tmp_path, count: int) -> "Path":
    import copy
    import json

    import yaml

    data = yaml.safe_load(STARTUP.read_text(encoding="utf-8"))
    api, tuned = data["paths"]
    data["paths"] = [dict(copy.deepcopy(api if i % 2 == 0 else tuned), name=f"path {i}") for i in range(count)]
    data["bridge"] = "path 0"
    path = tmp_path / "many.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_whatif_over_too_many_path_inputs_asks_for_params(tmp_path):
    from buildorbuy.analysis.whatif import MAX_SEARCH

    path = _many_paths(tmp_path, 40)  # 40 paths × ~750 inputs: 43 s before the cap
    line = one_line_error(run("whatif", path, "-f", "json"), "--param", "40 paths", f"{MAX_SEARCH:,}")
    assert "inputs" in line
    named = run("whatif", path, "-p", "discount_rate", "-p", "workload.tokens_per_month", "-f", "json")
    assert named.exit_code == 0, named.output


def test_report_leaves_an_oversized_whatif_out_with_a_note(tmp_path):
    from buildorbuy.render.report import decision_analyses
    from buildorbuy.scenario.loading import load_scenario

    notes: list[str] = []
    voi, whatif, when = decision_analyses(load_scenario(_many_paths(tmp_path, 40)), notes=notes)
    assert whatif is None and when is not None
    assert len(notes) == 1 and "left out of 'Before you decide'" in notes[0] and "--param" in notes[0]
