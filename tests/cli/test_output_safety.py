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


# ---------------------------------------------------------------------- -o: existing files, links, suffixes

import os  # noqa: E402
import stat  # noqa: E402

from tests.conftest import base_scenario  # noqa: E402


def _one_line_error(result, *words):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


OUTPUT_COMMANDS = {
    "compare": lambda s, out: ["compare", s, "-f", "json", "-o", out],
    "schema": lambda s, out: ["schema", "-o", out],
    "init": lambda s, out: ["init", "--force", "-o", out.with_suffix(".yaml")],
}


@pytest.mark.parametrize("command", ["compare", "schema"])
def test_a_read_only_file_is_never_replaced(write_yaml, tmp_path, command):
    scenario = write_yaml(base_scenario())
    out = tmp_path / "locked.json"
    out.write_text("keep me")
    out.chmod(0o444)  # as root too: no write bit at all means read-only
    result = run(*OUTPUT_COMMANDS[command](scenario, out))
    _one_line_error(result, "read-only")  # before: replaced, exit 0
    assert out.read_text() == "keep me" and stat.S_IMODE(out.stat().st_mode) == 0o444
    assert sorted(p.name for p in tmp_path.iterdir()) == ["locked.json", "scenario.yaml"]  # no temp file left


def test_a_read_only_report_target_is_never_replaced(write_yaml, tmp_path, monkeypatch):
    from buildorbuy.render import report as report_mod

    monkeypatch.setattr(report_mod, "optional_analyses", lambda *a, **k: (None, None, None))
    scenario = write_yaml(base_scenario())
    out = tmp_path / "plan.md"
    out.write_text("keep me")
    out.chmod(0o444)
    _one_line_error(run("report", scenario, "-o", out), "read-only")
    assert out.read_text() == "keep me"
    assert not (tmp_path / "plan_charts").exists()  # nothing half-written


@pytest.mark.parametrize("command", ["compare", "init"])
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_a_replaced_file_keeps_its_permission_bits(write_yaml, tmp_path, command, mode):
    scenario = write_yaml(base_scenario())
    out = (tmp_path / "private.json") if command == "compare" else (tmp_path / "private.yaml")
    out.write_text("old")
    out.chmod(mode)
    result = run(*OUTPUT_COMMANDS[command](scenario, out))
    assert result.exit_code == 0, result.output
    assert out.read_text() != "old"
    assert stat.S_IMODE(out.stat().st_mode) == mode  # before: 0o600 became 0o644 (umask 022)


def test_a_new_file_gets_the_umask_mode(write_yaml, tmp_path):
    scenario = write_yaml(base_scenario())
    old = os.umask(0o027)
    try:
        result = run("compare", scenario, "-f", "json", "-o", tmp_path / "new.json")
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o640


@pytest.mark.parametrize("command", ["compare", "schema"])
def test_a_symlink_is_followed_and_kept(write_yaml, tmp_path, command):
    scenario = write_yaml(base_scenario())
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "t9.json"
    target.write_text("old")
    target.chmod(0o600)
    link = tmp_path / "l9.json"
    link.symlink_to(target)
    result = run(*OUTPUT_COMMANDS[command](scenario, link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(target)  # before: the link became a regular file
    assert target.read_text().startswith("{") and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["t9.json"]


def test_a_symlink_to_a_read_only_file_is_refused(write_yaml, tmp_path):
    scenario = write_yaml(base_scenario())
    target = tmp_path / "t.json"
    target.write_text("keep")
    target.chmod(0o444)
    (tmp_path / "l.json").symlink_to(target)
    _one_line_error(run("compare", scenario, "-f", "json", "-o", tmp_path / "l.json"), "read-only")
    assert target.read_text() == "keep" and (tmp_path / "l.json").is_symlink()


def test_a_symlink_loop_is_one_line(write_yaml, tmp_path):
    scenario = write_yaml(base_scenario())
    (tmp_path / "a.json").symlink_to(tmp_path / "b.json")
    (tmp_path / "b.json").symlink_to(tmp_path / "a.json")
    _one_line_error(run("compare", scenario, "-f", "json", "-o", tmp_path / "a.json"), "loop")


@pytest.mark.parametrize(
    "args, existing",
    [(["compare", "{s}", "-f", "json", "-o", "w10.xlsx"], "w10.xlsx"),
     (["compare", "{s}", "-f", "csv", "-o", "r.xlsx"], None),
     (["compare", "{s}", "-f", "json", "-o", "r.csv"], "r.csv"),
     (["compare", "{s}", "-o", "r.json"], None),
     (["tornado", "{s}", "-f", "markdown", "-o", "t.html"], None),
     (["diff", "{s}", "{s}", "-f", "json", "-o", "d.md"], None),
     (["catalog", "gpus", "-f", "csv", "-o", "g.json"], None),
     (["estimate", "training", "--params", "7B", "--tokens", "1T", "--gpu", "h100-sxm", "-f", "json", "-o", "e.yaml"], None),
     (["schema", "-o", "s.yaml"], None),
     (["init", "-o", "i11.json"], None),
     (["init", "-o", "i11.toml"], None)],
)
def test_an_output_suffix_naming_another_format_is_refused(write_yaml, tmp_path, args, existing):
    scenario = write_yaml(base_scenario())
    if existing:
        (tmp_path / existing).write_bytes(b"PK\x03\x04 workbook")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run(*[str(scenario) if a == "{s}" else a for a in args])
    _one_line_error(result, "--output")  # before: exit 0 and the workbook overwritten with JSON
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if existing:
        assert (tmp_path / existing).read_bytes() == b"PK\x03\x04 workbook"


@pytest.mark.parametrize(
    "args, out",
    [(["compare", "{s}", "-f", "json", "-o", "r.JSON"], "r.JSON"), (["compare", "{s}", "-o", "r.txt"], "r.txt"),
     (["compare", "{s}", "-f", "csv", "-o", "r.out"], "r.out"), (["compare", "{s}", "-f", "markdown", "-o", "r"], "r"),
     (["compare", "{s}", "-f", "markdown", "-o", "r.markdown"], "r.markdown"), (["init", "-o", "plain"], "plain"),
     (["init", "-o", "s.yml"], "s.yml")],
)
def test_matching_or_unknown_suffixes_are_written(write_yaml, tmp_path, args, out):
    scenario = write_yaml(base_scenario())
    result = run(*[str(scenario) if a == "{s}" else a for a in args])
    assert result.exit_code == 0, result.output
    assert (tmp_path / out).stat().st_size > 0


def test_init_without_a_suffix_is_read_back_as_yaml(tmp_path):
    assert run("init", "-o", "plain").exit_code == 0
    assert run("validate", "plain").exit_code == 0


@pytest.mark.parametrize("link", ["folder", "file"])
def test_report_refuses_a_symlinked_chart_folder_or_file(write_yaml, tmp_path, monkeypatch, link):
    from buildorbuy.render import report as report_mod

    monkeypatch.setattr(report_mod, "optional_analyses", lambda *a, **k: (None, None, None))
    scenario = write_yaml(base_scenario())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if link == "folder":
        (tmp_path / "plan_charts").symlink_to(elsewhere, target_is_directory=True)
    else:
        (tmp_path / "plan_charts").mkdir()
        (elsewhere / "victim.png").write_bytes(b"keep")
        (tmp_path / "plan_charts" / "cumulative.png").symlink_to(elsewhere / "victim.png")
    result = run("report", scenario, "-o", tmp_path / "plan.md")
    _one_line_error(result, "symbolic link")  # before: charts written into the link's target
    assert not (tmp_path / "plan.md").exists()
    assert sorted(p.name for p in elsewhere.iterdir()) == ([] if link == "folder" else ["victim.png"])
    if link == "file":
        assert (elsewhere / "victim.png").read_bytes() == b"keep"


@pytest.mark.parametrize("command", ["validate", "compare"])
def test_a_fifo_as_scenario_is_refused_without_waiting(tmp_path, command):
    import subprocess
    import sys

    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "buildorbuy", command, str(fifo)], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)  # before: waited for a writer until the timeout
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [f"Error: {fifo}: is a FIFO (named pipe), not a scenario file: give a regular file"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_character_device_as_scenario_is_refused(tmp_path):
    _one_line_error(run("validate", "/dev/zero"), "is a device")


def test_markdown_report_charts_hold_no_raw_control_characters(tmp_path, monkeypatch):
    from buildorbuy.render import charts
    from buildorbuy.render import report as report_mod

    monkeypatch.setattr(charts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(report_mod, "optional_analyses", lambda *a, **k: (None, None, None))
    data = yaml.safe_load((REPO / "scenarios" / "startup-assistant.yaml").read_text())
    data = _rename(data, {data["paths"][0]["name"]: "api\x01\x1b[31mred\x07"})
    scenario = tmp_path / "ctl.yaml"
    scenario.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run("report", scenario, "-o", tmp_path / "plan.md")
    assert result.exit_code == 0, result.output
    written = [tmp_path / "plan.md", *sorted((tmp_path / "plan_charts").glob("*.svg"))]
    assert len(written) > 1
    for path in written:
        assert not CONTROL.search(path.read_text(encoding="utf-8")), path  # before: raw \x01 \x1b \x07 in the SVG
