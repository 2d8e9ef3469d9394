"""User text is data in every output: escaped for Markdown, the terminal and spreadsheets (CSV).

Path and scenario names below carry GFM markup, raw HTML, newlines, terminal control sequences
and spreadsheet formulas; each output must show them as written and never act on them.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
import yaml
from typer.testing import CliRunner

from buildorbuy.cli import app
from buildorbuy.render.escape import csv_cell, markdown, markdown_code, terminal
from tests.conftest import REPO

runner = CliRunner()

API = "*gpt* _mini_ <b>x</b> `t` | # a\rb"
TUNED = "# Tuned\n- injected item"
ESC = "\x1b[2J\x1b]0;owned\x07\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\"


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def _scenario(tmp_path, api: str = API, tuned: str = TUNED, name: str = "Evil\n- injected <script>") -> str:
    data = yaml.safe_load((REPO / "scenarios" / "startup-assistant.yaml").read_text())
    data["name"] = name
    data["bridge"] = api
    data["paths"][0]["name"] = api
    data["paths"][1]["name"] = tuned
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def _assert_safe_markdown(text: str) -> None:
    assert "<b>" not in text and "<script>" not in text, text
    assert "\r" not in text
    assert not any(line.startswith("- injected") for line in text.splitlines()), text
    assert "\\<b\\>" in text or "\\<script\\>" in text
    for line in text.splitlines():
        if line.startswith("**"):  # the recommendation / winner line keeps its own bold markup balanced
            assert line.count("**") - line.count("\\**") >= 2


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "{s}", "-f", "markdown"],
        ["compare", "{s}", "-f", "markdown", "--lang", "zh"],
        ["breakeven", "{s}", "-p", "workload.tokens_per_month", "-f", "markdown"],
        ["tornado", "{s}", "-f", "markdown"],
        ["sweep", "{s}", "-p", "workload.tokens_per_month", "--values", "1e9,1e11", "-f", "markdown"],
        ["diff", "{s}", "{s}", "-f", "markdown"],
    ],
    ids=lambda a: "-".join(a[:1] + a[-2:]),
)
def test_every_markdown_renderer_escapes_user_text(tmp_path, args):
    scenario = _scenario(tmp_path)
    result = run(*[a.replace("{s}", scenario) for a in args])
    assert result.exit_code == 0, result.output
    _assert_safe_markdown(result.stdout)


def test_the_markdown_report_escapes_user_text_and_its_html_shows_it_plainly(tmp_path):
    scenario = _scenario(tmp_path)
    out = tmp_path / "r.md"
    result = run("report", scenario, "-o", out)
    assert result.exit_code == 0, result.output
    _assert_safe_markdown(out.read_text())
    html_out = tmp_path / "r.html"
    result = run("report", scenario, "-f", "html", "-o", html_out)
    assert result.exit_code == 0, result.output
    html = html_out.read_text()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "\\&lt;" not in html and "\\*" not in html  # Markdown escapes are not shown as backslashes


def test_the_recommendation_stays_bold_whatever_the_name(tmp_path):
    result = run("compare", _scenario(tmp_path, api="**", tuned="x**y"), "-f", "markdown")
    assert result.exit_code == 0, result.output
    reco = next(line for line in result.stdout.splitlines() if line.startswith("**Recommendation"))
    assert re.match(r"^\*\*Recommendation: (\\\*\\\*|x\\\*\\\*y)\.\*\* ", reco), reco


def test_terminal_output_shows_control_sequences_as_text(tmp_path):
    scenario = _scenario(tmp_path, api="API" + ESC, tuned="Tuned" + ESC, name="Name" + ESC)
    for args in (["compare", scenario], ["validate", scenario], ["tornado", scenario],
                 ["breakeven", scenario, "-p", "workload.tokens_per_month"]):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout, args
        assert "\\x1b[2J" in result.stdout, args


def test_errors_on_stderr_show_control_sequences_as_text(tmp_path):
    scenario = _scenario(tmp_path)
    result = run("compare", scenario, "--set", f"paths[1].serving.gpu=h100{ESC}")
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\\x1b[2J" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_csv_cells_that_start_a_formula_are_prefixed_but_numbers_are_not(tmp_path):
    scenario = _scenario(tmp_path, api="=HYPERLINK(\"http://evil\")", tuned="-2+3")
    result = run("compare", scenario, "-f", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    names = {row[0] for row in rows[1:]}
    assert names == {"'=HYPERLINK(\"http://evil\")", "'-2+3"}
    for row in rows[1:]:
        for cell in row[1:]:
            assert not cell.startswith("'"), row  # numbers (negative residual credits too) stay numbers


@pytest.mark.parametrize("value, expected", [("=1+1", "'=1+1"), ("+1x", "'+1x"), ("@SUM(A1)", "'@SUM(A1)"),
                                             ("\tx", "'\tx"), ("\rx", "'\nx"), ("-x", "'-x"), ("-1250.5", "-1250.5"),
                                             ("+3", "+3"), ("plain", "plain"), (-3.5, -3.5)])
def test_csv_cell(value, expected):
    assert csv_cell(value) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("*a* _b_ data_residency", "\\*a\\* \\_b\\_ data_residency"), ("<b>x</b>", "\\<b\\>x\\</b\\>"),
     ("# h", "\\# h"), ("1. one", "1\\. one"), ("- item", "\\- item"), ("a|b", "a\\|b"), ("a\nb\rc", "a b c"),
     ("[x](http://e)", "[x\\](http://e)"), ("`c`", "\\`c\\`"), ("1.5B tokens", "1.5B tokens")],
)
def test_markdown_escaping(text, expected):
    assert markdown(text) == expected


def test_markdown_code_span_holds_backticks():
    assert markdown_code("a`b") == "`` a`b ``"


def test_terminal_escaping_keeps_text_and_newlines():
    assert terminal("a\x1b[2Jb\n中文\u202e") == "a\\x1b[2Jb\n中文\\u202e"
    assert terminal("a\nb", one_line=True) == "a\\x0ab"
