"""Every command's tables at 80, 100 and 120 columns, in English and Chinese: they fit the terminal,
no number is split or cut, and a column left out is named under its table.

Each table printed through the shared builder is recorded (its cells and the columns it showed), so
the check covers every table of every command; the figures of `--format json` are checked against
the text for the commands whose tables carry them.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from rich.cells import cell_len
from typer.testing import CliRunner

from buildorbuy.cli import app
from buildorbuy.render import formatting as fmt
from buildorbuy.render import tables
from tests.conftest import REPO

SC = REPO / "scenarios"
WIDTHS = (80, 100, 120)
LANGS = ("en", "zh")
NOTE = {"en": "not shown at this width", "zh": "此宽度下未显示"}
NUMBER = re.compile(r"(?<![\w.])[-+−]?\d[\d,]*(?:\.\d+)?")
BROKEN_THOUSANDS = re.compile(r"\d,(?:\d{1,2}|\d{4,})(?![\d])")
"""A thousands group of other than three digits: a number cut (`14,9`) or run into its neighbour."""


def _uncertain_bank() -> dict:
    """The four-path bank scenario with two uncertain inputs (for simulate and voi)."""
    data = yaml.safe_load((SC / "bank-onprem-cny.yaml").read_text(encoding="utf-8"))
    data["name"] = "Bank assistant (uncertain)"
    data["workload"]["tokens_per_month"] = {"dist": "lognormal", "p10": "1B", "p90": "4B"}
    data["workload"]["growth_per_month"] = {"dist": "triangular", "low": 0.01, "mode": 0.04, "high": 0.06}
    return data


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    folder = tmp_path_factory.mktemp("narrow")
    uncertain = folder / "bank-uncertain.yaml"
    uncertain.write_text(yaml.safe_dump(_uncertain_bank(), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return {"bank": SC / "bank-onprem-cny.yaml", "bank-uncertain": uncertain, "uncertain": SC / "uncertain-enterprise.yaml",
            "domain": SC / "domain-model-50b.yaml"}


P = "workload.tokens_per_month"
COMMANDS = {
    "compare": lambda s: ["compare", s],
    "sweep": lambda s: ["sweep", s, "-p", P, "-r", "1B:40B:7"],
    "simulate": lambda s: ["simulate", s, "-n", "2000"],
    "voi": lambda s: ["voi", s, "--samples", "2000"],
    "whatif": lambda s: ["whatif", s],
    "when": lambda s: ["when", s],
    "breakeven": lambda s: ["breakeven", s, "-p", P],
    "tornado": lambda s: ["tornado", s],
    "diff": lambda s: ["diff", s, s, "-s", f"{P}=50B"],
}
UNCERTAIN_ONLY = {"simulate", "voi"}
CASES = [(c, s) for c in COMMANDS for s in ("bank", "bank-uncertain", "uncertain", "domain")
         if (c in UNCERTAIN_ONLY) == (s in ("bank-uncertain", "uncertain")) or c == "compare"]


def _run(args, width, monkeypatch=None):
    printed: list[tables.NarrowTable] = []
    original = tables.NarrowTable.__init__

    def record(self, *a, **k):
        original(self, *a, **k)
        printed.append(self)

    tables.NarrowTable.__init__ = record
    try:
        result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": str(width)})
    finally:
        tables.NarrowTable.__init__ = original
    assert result.exit_code == 0, result.output
    return result.stdout, printed


def _flat(text: str) -> str:
    return " ".join(text.split())


def _whole(number: str, text: str) -> bool:
    return re.search(rf"(?<![\d,.]){re.escape(number)}(?![\d]|[,.]\d)", text) is not None


_json_cache: dict = {}


def _json(command, scenario):
    key = (command, str(scenario))
    if key not in _json_cache:
        _json_cache[key] = json.loads(_run([*COMMANDS[command](scenario), "-f", "json"], 200)[0])
    return _json_cache[key]


def _json_figures(command, data) -> list[tuple[str, str]]:
    """(figure as the table prints it, a word of its column's heading) for the figures a command's
    tables show from its JSON output."""
    if command == "compare":
        return [(fmt.money(p[k]), word) for p in data["paths"] for k, word in (("npv", "NPV"), ("total_cost", "Total"))]
    if command == "simulate":
        return [(fmt.money(p[f"npv_{q}"]), "NPV") for p in data["paths"] for q in ("p10", "p50", "p90")]
    if command == "when":
        return [(fmt.money(min(v for v in p["npv_by_start_month"] if v is not None)), "NPV") for p in data["paths"]]
    if command == "sweep":
        names = data["paths"]
        return [(fmt.money(point["npv"][name]), name) for point in data["points"] for name in names if point["npv"].get(name) is not None]
    return []


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command,scenario", CASES, ids=[f"{c}-{s}" for c, s in CASES])
def test_tables_fit_and_keep_every_number_whole(command, scenario, width, lang, scenarios):
    path = scenarios[scenario]
    text, printed = _run([*COMMANDS[command](path), "--lang", lang], width)
    for line in text.splitlines():
        assert cell_len(line.rstrip()) <= width, f"{cell_len(line.rstrip())} > {width}: {line!r}"
    assert not re.search(r"\S…", text), "a cell was cut"
    assert not BROKEN_THOUSANDS.search(text), BROKEN_THOUSANDS.search(text).group()
    flat = _flat(text)
    for table in printed:
        assert table.shown, "a recorded table was never printed"
        for i, heading in enumerate(table.header):
            if i in table.shown:
                for row in table.rows:
                    for number in NUMBER.findall(str(row[i])):
                        assert _whole(number, text), f"{number} (column {heading!r}) is not shown whole"
            elif heading.strip():
                assert NOTE[lang] in flat and _flat(heading) in flat, f"column {heading!r} left out without a note"
    figures = _json_figures(command, _json(command, path))
    hidden = " ".join(_flat(t.header[i]) for t in printed for i in range(len(t.header)) if i not in t.shown)
    for figure, column in figures:
        assert _whole(figure, text) or (lang == "en" and column in hidden) or (lang == "zh" and NOTE[lang] in flat), figure


def test_a_cut_number_is_caught():
    """The checks above can fail: the old layout of a 4-path sweep at 80 columns cut numbers."""
    assert BROKEN_THOUSANDS.search("  300k   1,088,150 ✗   16,320,708   16,713,844   14,9")
    assert BROKEN_THOUSANDS.search("12,031,006,0")
    assert not BROKEN_THOUSANDS.search("1,088,150 ✗ 12,031,006 0.74")


@pytest.mark.parametrize("text,pieces", [
    ("paths[1].fixed_fee_per_month", ["paths[1].", "fixed_fee_per_month"]), ("Vendor private DeepSeek", ["Vendor", "private", "DeepSeek"]),
    ("第 0 月", ["第 0 月"]), ("否（见说明）", ["否", "（见说明）"]), ("1,088,150 ✗", ["1,088,150 ✗"]), ("决策", ["决策"]),
    ("Year 1", ["Year 1"]), ("Fine-tuned Llama 3.3 70B ★", ["Fine-tuned", "Llama 3.3", "70B ★"]),
])
def test_headings_fold_only_between_words(text, pieces):
    """A heading folds at spaces before a word, after a field path's dots and before a full-width
    bracket; never inside a word or a number, never between a number and its mark or counter."""
    assert [piece for piece, _ in tables._pieces(text, dots=True)] == pieces
    header = [text, "n"]
    rows = [["x", "1"]]
    keep, dropped, widths = tables._layout(header, rows, 9, drop=(), prose=())
    assert widths is None or widths[0] >= max(cell_len(p) for p in pieces)
    folded = tables._wrap(text, max(cell_len(p) for p in pieces), dots=True).split("\n")
    assert [line.strip() for line in folded if line.strip()] == [line for line in folded if line.strip()]
    assert all(any(piece in line for line in folded) for piece in pieces)
