"""Narrow terminals (80 and 100 columns): tables fit, and no number or name is split or cut.

Low-value columns are dropped (and named under the table) instead; full names stay in
`--format markdown|csv|json`.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from buildorbuy.cli import app
from buildorbuy.render import formatting as fmt
from tests.conftest import REPO

SC = REPO / "scenarios"
WIDTHS = (80, 100)


def run(width, *args):
    result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.stdout


def check_fits(text: str, width: int) -> None:
    for line in text.splitlines():
        assert len(line.rstrip()) <= width, f"{len(line.rstrip())} > {width}: {line!r}"
    assert not re.search(r"\S…", text), "a cell was cut"


def tokens(text: str) -> set[str]:
    return set(re.findall(r"[^\s│┃]+", text))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("scenario", ["bank-onprem-cny.yaml", "enterprise-support.yaml", "uncertain-enterprise.yaml"])
def test_compare_fits_and_keeps_every_npv_whole(width, scenario):
    text = run(width, "compare", SC / scenario)
    check_fits(text, width)
    data = json.loads(run(width, "compare", SC / scenario, "-f", "json"))
    words = tokens(text)
    hidden = " ".join(line for line in text.splitlines() if "not shown at this width" in line)
    for path in data["paths"]:
        assert fmt.money(path["npv"]) in words, path["name"]
        assert fmt.unit_cost(path["levelised_cost_per_million_tokens"]) in words or "Levelised" in hidden
        assert fmt.money(path["total_cost"]) in words, path["name"]
        for word in path["name"].split():
            assert word in words or word + " ★" in text


@pytest.mark.parametrize("width", WIDTHS)
def test_tornado_keeps_whole_field_names(width):
    text = run(width, "tornado", SC / "enterprise-support.yaml")
    check_fits(text, width)
    rows = json.loads(run(width, "tornado", SC / "enterprise-support.yaml", "-f", "json"))["rows"]
    names = [p["name"] for p in json.loads(run(width, "compare", SC / "enterprise-support.yaml", "-f", "json"))["paths"]]
    for row in rows[:10]:
        assert _whole_field(row["param"], names, text), row["param"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("args", [
    ("catalog", "gpus"), ("catalog", "models"), ("catalog", "apis", "--provider", "openai"),
    ("estimate", "serving", "--model", "llama-3.1-70b", "--gpu", "h100-sxm", "--tokens-per-month", "5B"),
    ("simulate", SC / "uncertain-enterprise.yaml", "-n", "2000"),
    ("diff", SC / "enterprise-support.yaml", SC / "enterprise-support.yaml", "-s", "workload.tokens_per_month=50B"),
    ("breakeven", SC / "enterprise-support.yaml", "-p", "workload.tokens_per_month"),
])
def test_other_tables_fit(width, args):
    check_fits(run(width, *args), width)


@pytest.mark.parametrize("width", WIDTHS)
def test_catalog_names_are_never_split(width):
    text = run(width, "catalog", "apis", "--provider", "anthropic")
    words = tokens(text)
    for record in json.loads(run(width, "catalog", "apis", "--provider", "anthropic", "-f", "json")):
        assert record["model"] in words and record["provider"] in words
    text = run(width, "catalog", "models")
    words = tokens(text)
    for record in json.loads(run(width, "catalog", "models", "-f", "json")):
        assert record["id"] in words


@pytest.mark.parametrize("width", WIDTHS)
def test_renderers_fit_a_given_console_width(width):
    from buildorbuy import compare, load_scenario
    from buildorbuy.analysis.tornado import tornado
    from buildorbuy.render.compare_render import render_table as compare_table
    from buildorbuy.render.tornado_render import render_table as tornado_table

    scenario = load_scenario(SC / "uncertain-enterprise.yaml")
    check_fits(compare_table(compare(scenario), color=False, width=width), width)
    result = tornado(scenario)
    text = tornado_table(result, color=False, width=width, top=12)
    check_fits(text, width)
    names = [p.name for p in scenario.paths]
    assert all(_whole_field(row.param, names, text) for row in result.rows[:12])


def _whole_field(key: str, names: list[str], text: str) -> bool:
    """The field path on one line, whole: by index (`paths[1].x`) or, where it fits, by name (`paths[Name].x`)."""
    from buildorbuy.analysis._common import shown_field

    return key in tokens(text) or any(shown_field(key, names) in line for line in text.splitlines())


def test_cjk_checks_match_the_patterns_they_replace():
    """render.tables tests code points instead of compiling a ~40k-character class at start-up."""
    import re

    from buildorbuy.render.tables import _cjk_break, _is_cjk

    pattern = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
    for code in (*range(0x2E70, 0x2E90), *range(0x9FF0, 0xAC10), *range(0xD7A0, 0xF910), *range(0xFAF0, 0xFF10),
                 *range(0xFFE0, 0x10010), ord("a"), ord("中"), ord("（")):
        assert _is_cjk(chr(code)) == bool(pattern.match(chr(code))), hex(code)
    split = re.compile(r"(?<=[\u2e80-\u9fff])(?=（)")
    for word in ("", "（", "中（", "a（", "净现值（CNY）", "（中（（x）中（", "\u2e80（\u2e7f（\u9fff（\ua000（"):
        assert _cjk_break(word) == split.split(word), word


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_table_that_fits_at_natural_widths_is_printed_as_the_full_check_would(data):
    """NarrowTable skips _laid_out_well when _legacy_fits: only where that check keeps the legacy table."""
    from buildorbuy.render import tables
    from buildorbuy.render.escape import terminal

    cell = st.lists(st.sampled_from(["a", "7", ",", " ", "\n", "\t", "中", "（", "e\u0301", "\u2028", "[", "\\", "—", "ab cd"]),
                    max_size=8).map("".join)
    n = data.draw(st.integers(1, 5))
    header = [terminal(h) for h in data.draw(st.lists(cell, min_size=n, max_size=n))]
    rows = [[terminal(c) for c in r] for r in data.draw(st.lists(st.lists(cell, min_size=n, max_size=n), max_size=4))]
    width = data.draw(st.integers(20, 120))
    right_from = data.draw(st.integers(0, n + 1))
    prose = tuple(i for i in range(n) if data.draw(st.booleans()))
    if not tables._legacy_fits(header, rows, width, width, right_from=right_from, prose=prose):
        return
    console = tables.text_console(color=False, width=width)
    old, keep = tables._legacy_table("T", header, rows, right_from=right_from, width=width, drop=(), prose=prose, lang="en")
    options = console.options.update_width(width)
    assert keep == list(range(n))
    assert len(tables._layout(header, rows, width, drop=(), prose=prose)[0]) == n
    assert tables._laid_out_well(old, keep, header, rows, console, options, width, prose)
