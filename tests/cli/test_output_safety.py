"""Hostile names in CSV and HTML outputs: no formulas, no raw control characters.

Every command with a `csv` format runs on a scenario whose path names start with `= + - @`, a tab
or a CR and carry terminal control sequences; each cell, parsed back with the csv module, must be
safe to open in a spreadsheet (no cell starts a formula unless it is a plain number) and hold no
control character but tab and newline.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
import yaml
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import REPO, cli_commands

runner = CliRunner()

NAME_SETS = {
    "equals-tab-cr": ['=HYPERLINK("http://evil","a")', "\tTAB\x1b[31mred\x07", "\rCR=1+1"],
    "at-plus-minus": ["@SUM(1)", "+1+1", "-2+3"],
}
"""Names for the three paths of the uncertain enterprise scenario (API, rented, owned)."""

CSV_ARGS = {
    "compare": [],
    "breakeven": ["-p", "workload.tokens_per_month"],
    "tornado": [],
    "simulate": ["-n", "1000"],
    "sweep": ["-p", "workload.tokens_per_month", "--values", "1e9,1e11"],
    "when": [],
    "whatif": [],
    "voi": ["-n", "1000"],
}
"""Every command that reads a scenario and has `--format csv`, with the options it needs."""

NO_SCENARIO = {"estimate training", "estimate finetune", "estimate serving", "catalog gpus", "catalog models", "catalog apis"}
"""Commands with a csv format that print no user text (catalog and estimator figures only)."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def _rename(obj, names: dict):
    if isinstance(obj, dict):
        return {k: _rename(v, names) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rename(v, names) for v in obj]
    return names.get(obj, obj) if isinstance(obj, str) else obj


def hostile_scenario(tmp_path, names: list[str], scenario_name: str = "@SUM(1)\x1b]0;title\x07") -> str:
    data = yaml.safe_load((REPO / "scenarios" / "uncertain-enterprise.yaml").read_text())
    data["correlations"][0]["b"] = "paths[1].serving.gpu_hour_price"  # by index: the names change below
    data = _rename(data, dict(zip([p["name"] for p in data["paths"]], names)))
    data["name"] = scenario_name
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def _choices(param) -> list[str]:
    """The values an enum option accepts (click's `type.choices`, or typer's annotation)."""
    choices = getattr(getattr(param, "type", None), "choices", None)
    if choices is None:
        annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
        choices = [member.value for member in annotation] if isinstance(annotation, type) else []
    return [getattr(c, "value", c) for c in choices]


def test_the_matrix_covers_every_command_with_a_csv_format():
    with_csv = set()
    for name, command in cli_commands():
        for param in command.params:
            if "--format" in getattr(param, "opts", []) and "csv" in _choices(param):
                with_csv.add(name)
    assert with_csv == set(CSV_ARGS) | NO_SCENARIO


def _assert_safe_cells(text: str, where) -> int:
    """Check every cell; return how many were made inert with a leading `'`."""
    prefixed = 0
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            prefixed += cell.startswith("'")
            assert not CONTROL.search(cell), (where, cell)
            if cell.startswith(FORMULA_START):
                assert NUMBER.fullmatch(cell), (where, cell)
    return prefixed


@pytest.mark.parametrize("names", NAME_SETS.values(), ids=NAME_SETS.keys())
@pytest.mark.parametrize("command", CSV_ARGS)
def test_no_csv_cell_starts_a_formula_or_holds_a_control_character(tmp_path, command, names):
    scenario = hostile_scenario(tmp_path, names)
    result = run(command, scenario, *CSV_ARGS[command], "-f", "csv")
    assert result.exit_code == 0, result.output
    assert _assert_safe_cells(result.stdout, command) > 0  # the hostile names are there, made inert


@pytest.mark.parametrize("command", ["whatif", "voi"])
def test_whatif_and_voi_csv_prefix_formula_names(tmp_path, command):
    scenario = hostile_scenario(tmp_path, NAME_SETS["at-plus-minus"])
    result = run(command, scenario, *CSV_ARGS[command], "-f", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    key = "decision_now" if command == "voi" else "winner"
    assert rows and {row[key] for row in rows} <= {"'@SUM(1)", "'+1+1", "'-2+3"}  # before: @SUM(1) verbatim
    if command == "whatif":
        assert {row["path"] for row in rows} <= {"'@SUM(1)", "'+1+1", "'-2+3"}


def test_compare_csv_on_stdout_has_no_raw_escape_or_bell(tmp_path):
    scenario = hostile_scenario(tmp_path, ["API", "ctl\x1b[31mred\x07\x01", "own\x9b2J"])
    result = run("compare", scenario, "-f", "csv")
    assert result.exit_code == 0, result.output
    assert not CONTROL.search(result.stdout.replace("\t", "")), repr(result.stdout[:300])  # before: raw ESC, BEL
    assert "ctl\ufffd[31mred\ufffd\ufffd" in result.stdout


@pytest.mark.parametrize(
    "value, expected",
    [("a\x1b[2Jb", "a\ufffd[2Jb"), ("x\x07\x00\x7f\x85", "x\ufffd\ufffd\ufffd\ufffd"), ("a\r\nb\rc", "a\nb\nc"),
     ("tab\there", "tab\there"), ("\u202eevil", "\ufffdevil"), ("-inf", "'-inf"), ("1_000", "1_000"),
     ("-1_000", "'-1_000"), ("-1e5", "-1e5"), ("\n=1", "'\n=1"), ("=\x1b", "'=\ufffd")],
)
def test_csv_cell_replaces_control_characters(value, expected):
    from buildorbuy.render.escape import csv_cell

    assert csv_cell(value) == expected


def test_html_report_has_no_raw_control_characters(tmp_path, monkeypatch):
    from buildorbuy.render import charts
    from buildorbuy.render import report as report_mod

    monkeypatch.setattr(charts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(report_mod, "optional_analyses", lambda *a, **k: (None, None, None))
    data = yaml.safe_load((REPO / "scenarios" / "startup-assistant.yaml").read_text())
    old = data["paths"][0]["name"]
    data = _rename(data, {old: "api\x01\x1b[31mred\x07"})
    data["name"] = "plan\x1b]0;title\x07\x85"
    scenario = tmp_path / "ctl.json"
    import json

    scenario.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "ctl.html"
    result = run("report", scenario, "-o", out)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert not CONTROL.search(text), repr(CONTROL.search(text))  # before: raw \x01 and \x1b
    assert "api\ufffd\ufffd[31mred\ufffd" in text
