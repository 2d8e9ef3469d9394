"""One style for the same thing across commands: percentages, distribution parameters, the
"+N more problems" count, long and short catalog listings, and the `estimate` table."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from rich.cells import cell_len
from typer.testing import CliRunner

from buildorbuy.cli import app
from buildorbuy.render import tables
from tests.cli.test_lang_zh_matrix import _allowed
from tests.conftest import REPO

SC = REPO / "scenarios"


def run(*args, width=120, code=0):
    result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": str(width), "NO_COLOR": "1"})
    assert result.exit_code == code, result.output
    return result


# ---------------------------------------------------------------------------------------- percentages

PERCENT_CASES = [
    ("compare", SC / "hybrid-router.yaml"),  # the tie sentence
    ("compare", SC / "domain-model-50b.yaml", "-f", "markdown"),  # an estimate's ×/÷ factor at 80%
    ("compare", SC / "uncertain-enterprise.yaml"),  # the owned-fleet warning's catalog values
    ("voi", SC / "uncertain-enterprise.yaml", "-n", "2000"),
    ("whatif", SC / "uncertain-enterprise.yaml"),
    ("breakeven", SC / "hybrid-router.yaml", "-p", "paths[1].routing.escalation_rate"),
    ("estimate", "training", "--params", "8B", "--tokens", "1T", "--gpu", "h100-sxm"),
]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("args", PERCENT_CASES, ids=lambda a: " ".join(str(x) for x in a[:2]).replace(str(SC) + "/", ""))
def test_percentages_are_written_one_way(args, lang):
    """`97.5%` everywhere (what the tables and goldens use; Chinese writes it the same way), never `89 %`;
    the catalogs' quoted sources keep their own spelling."""
    result = run(*args, "--lang", lang, width=400)
    text = result.stdout + result.stderr
    for quoted in _allowed(args[1] if str(args[1]).endswith(".yaml") else None):
        text = text.replace(quoted, " ")
    assert "%" in text, text
    assert not re.search(r"\d %", text), re.findall(r".{30}\d %.{10}", text)


# ---------------------------------------------------------------------------------------- distributions


def test_distribution_parameters_are_readable_numbers():
    from buildorbuy.scenario.distributions import Lognormal, Triangular

    assert Lognormal(dist="lognormal", p10=5e9, p90=2.25e10).describe() == "lognormal (p10: 5B, p90: 22.5B)"
    assert Triangular(dist="triangular", low=2e-5, mode=0.00008, high=3e6).describe() == \
        "triangular (low: 0.00002, mode: 0.00008, high: 3M)"


def test_simulate_shows_distributions_like_the_other_numbers(tmp_path):
    data = yaml.safe_load((SC / "bank-onprem-cny.yaml").read_text(encoding="utf-8"))
    data["workload"]["tokens_per_month"] = {"dist": "lognormal", "p10": "1B", "p90": "4B"}
    file = tmp_path / "s.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for lang in ("en", "zh"):
        text = run("simulate", file, "-n", "500", "--lang", lang, width=200).stdout
        assert "lognormal (p10: 1B, p90: 4B)" in text and "e+09" not in text


# ---------------------------------------------------------------------------------------- +N more problems

BAD = """version: 1
name: Bad
currency: USD
start: 2026-01
horizon_months: 24
workload: {tokens_per_month: 5B}
paths:
  - {name: A, kind: api, model: gpt-nope}
  - {name: B, kind: api, model: gpt-nope-either}
  - name: C
    kind: finetune
    model: {catalog: llama-9000}
    finetune: {tokens: 20M, gpu: h999}
    serving: {gpu: h998}
    lead_time_months: LEAD
"""


@pytest.mark.parametrize("lead", ["-1", "1"], ids=["field-and-catalog-errors", "catalog-errors-only"])
@pytest.mark.parametrize("command", [["compare"], ["tornado"], ["simulate", "-n", "200"], ["report", "-o", "r.md"]])
def test_the_more_problems_count_is_the_count_validate_lists(lead, command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    file = tmp_path / "bad.yaml"
    file.write_text(BAD.replace("LEAD", lead))
    listed = [line for line in run("validate", file, code=2).stderr.splitlines() if line.startswith("Error:")]
    assert len(listed) >= 5
    err = run(command[0], file, *command[1:], code=2).stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error:")
    more = re.search(r"\(\+(\d+) more problems?: `buildorbuy validate` lists them all\)", err[0])
    assert more and int(more.group(1)) == len(listed) - 1, (err, listed)
    assert err[0].replace(more.group(0), "").rstrip() == listed[0]  # the first problem validate lists


# ---------------------------------------------------------------------------------------- catalog listings


def _cells(line: str) -> list[str]:
    """The line as terminal cells (a wide character fills two)."""
    out = []
    for ch in line:
        out += [ch] + [""] * (cell_len(ch) - 1)
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_long_api_listing_is_laid_out_like_the_other_tables(lang):
    """Title, blank line, heading, rule, one row per price; the price columns right-aligned on the
    heading's cells in both languages (a Chinese heading takes two cells a character)."""
    lines = run("catalog", "apis", "--lang", lang, width=100).stdout.splitlines()
    title, blank, heading, rule, *rows = lines
    assert blank == "" and set(rule) <= {"-", " "}
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", rule)]
    assert len(spans) == 4  # provider, model, input, output fit 100 columns; the others are named below
    head = _cells(heading)
    for start, end in spans[:2]:
        assert head[start].strip(), heading  # text columns start at the rule's start
    caption = next(i for i, r in enumerate(rows) if r.startswith(("not shown at this width", "此宽度下未显示")))
    price_rows = rows[:caption]
    assert len(price_rows) > tables.LONG_TABLE_ROWS
    for row in [heading, *price_rows]:
        cells = _cells(row) + [" "] * 200
        for start, end in spans[2:]:  # numbers end where the rule ends
            assert cells[end - 1] != " " and cells[end] == " ", (row, start, end)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_short_api_listing_has_the_same_layout_and_one_line_per_price(lang):
    lines = run("catalog", "apis", "--provider", "anthropic", "--lang", lang, width=100).stdout.splitlines()
    title, blank, heading, rule, *rows = lines
    assert blank == "" and set(rule) <= {"-", " "}
    records = json.loads(run("catalog", "apis", "--provider", "anthropic", "-f", "json").stdout)
    body = rows[: len(records)]
    assert [row.split()[:2] for row in body] == [[r["provider"], r["model"]] for r in records]  # whole names, never wrapped


# ---------------------------------------------------------------------------------------- estimate table


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", [80, 100])
def test_estimate_table_uses_the_shared_builder(width, lang, monkeypatch):
    built = []
    original = tables.NarrowTable.__init__

    def record(self, *a, **k):
        original(self, *a, **k)
        built.append(self)

    monkeypatch.setattr(tables.NarrowTable, "__init__", record)
    args = ["estimate", "serving", "--model", "llama-3.1-70b", "--gpu", "h100-sxm", "--tokens-per-month", "5B"]
    text = run(*args, "--lang", lang, width=width).stdout
    assert len(built) == 1 and built[0].header == (["Field", "Value"] if lang == "en" else ["字段", "取值"])
    for line in text.splitlines():
        assert cell_len(line.rstrip()) <= width, line
    words = set(text.split())
    data = json.loads(run(*args, "-f", "json").stdout)
    assert f"{round(data['monthly_cost']):,}" in words and f"{data['peak_tokens_per_second']:,.0f}" in words
