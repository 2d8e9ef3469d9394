"""`buildorbuy export` stores every formula's result with it: a reader of cached values (openpyxl
`data_only=True`, pandas, previewers, LibreOffice without recalculation on load) sees the figures,
and they are the figures LibreOffice computes when it recalculates."""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from buildorbuy.analysis.compare import compare
from buildorbuy.cli import app
from buildorbuy.scenario.loading import load_scenario
from tests.finance.recalc import recalculate
from tests.finance.test_export import CASES, _write_case

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = sorted(SCENARIOS.glob("*.yaml"))
runner = CliRunner()

IRR_KEYS = {"irr_monthly", "irr", "switch_irr"}
"""Columns (by their grey key row) holding IRR() results: the cached value is the engine's root
(bisection to machine precision), LibreOffice's IRR() iterates to its own tolerance from the grid
start; they are held to the same 1e-9 and their largest difference is reported apart (≤ 2e-12 seen)."""


def _export(scenario: Path, target: Path, *args: str) -> None:
    res = runner.invoke(app, ["export", str(scenario), "-o", str(target), *args])
    assert res.exit_code == 0, res.output


def _formulas(path: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The workbook's formula cells, and the IRR results among them: in a column keyed (grey row)
    irr_monthly, irr or switch_irr, the formulas calling IRR(), converting its result to an annual
    rate (ISNUMBER) or repeating the Switch sheet's annual IRR (Summary)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    formulas, irr = set(), set()
    for ws in wb.worksheets:
        keyed, cells = set(), []
        for row in ws.iter_rows():
            for cell in row:
                value = getattr(cell, "value", None)
                if isinstance(value, str) and value.startswith("="):
                    formulas.add((ws.title, cell.coordinate))
                    cells.append((cell.column_letter, cell.row, value))
                elif value in IRR_KEYS:
                    keyed.add((cell.column_letter, cell.row))
        for letter, row, formula in cells:
            below_key = any(letter == key_letter and row > key_row for key_letter, key_row in keyed)
            if below_key and re.search(r"IRR\(|ISNUMBER\(|!\$E\$\d+$", formula):
                irr.add((ws.title, f"{letter}{row}"))
    return formulas, irr


def _values(path: Path) -> dict[tuple[str, str], object]:
    """Every cell's stored value (no recalculation)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    return {(ws.title, cell.coordinate): cell.value for ws in wb.worksheets for row in ws.iter_rows() for cell in row
            if getattr(cell, "value", None) is not None}


def _same(cached, recalculated, rel: float) -> bool:
    if cached in (None, "") or recalculated in (None, ""):
        return cached in (None, "") and recalculated in (None, "")
    if isinstance(cached, str) or isinstance(recalculated, str):
        return cached == recalculated
    a, b = float(cached), float(recalculated)  # booleans are 1/0
    return abs(a - b) <= rel * max(abs(a), abs(b)) or abs(a - b) <= 1e-9


def _check_cached(original: Path, recalculated: Path) -> tuple[int, float, float]:
    """Every formula cell's cached value equals LibreOffice's recalculated value: within 1e-9 relative
    (1e-9 absolute for figures near 0), text exactly (booleans as 1/0, "" as empty). Returns the
    number of formula cells and the largest relative differences seen (figures ≥ 1, IRR cells)."""
    formulas, irr = _formulas(original)
    cached = _values(original)
    values = _values(recalculated)
    wrong, worst, worst_irr = [], 0.0, 0.0
    for key in sorted(formulas):
        a, b = cached.get(key), values.get(key)
        if not _same(a, b, 1e-9):
            wrong.append((key, a, b))
        elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and key in irr:
            worst_irr = max(worst_irr, abs(a - b) / max(abs(a), abs(b), 1e-300))
        elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and max(abs(a), abs(b)) >= 1:
            worst = max(worst, abs(a - b) / max(abs(a), abs(b)))
    assert not wrong, f"{original.name}: {len(wrong)} formula cells cache a value other than LibreOffice's: {wrong[:8]}"
    return len(formulas), worst, worst_irr


def _targets(tmp_path: Path) -> list[tuple[Path, list[str]]]:
    cases = [(_write_case(tmp_path, key), []) for key in CASES]
    return ([(s, []) for s in BUNDLED] + cases
            + [(s, ["--view", "accounting", "--set", "fiscal_year_start_month=4"]) for s in BUNDLED]
            + [(SCENARIOS / "uncertain-enterprise.yaml", ["--lang", "zh", "--view", "accounting"]),
               (SCENARIOS / "hybrid-router.yaml", ["--lang", "zh"])])


def test_every_formula_cell_caches_the_recalculated_value(tmp_path):
    """For every bundled scenario (cash and accounting views), the cases no bundled scenario has, and
    --lang zh: the values stored with the formulas are those LibreOffice computes, cell by cell."""
    files = []
    for k, (scenario, args) in enumerate(_targets(tmp_path)):
        target = tmp_path / f"{k:02d}-{scenario.stem}.xlsx"
        _export(scenario, target, *args)
        files.append(target)
    copies = recalculate(files, tmp_path)
    for target in files:
        count, worst, worst_irr = _check_cached(target, copies[target])
        assert count > 500, (target.name, count)
        print(f"{target.name}: {count} formula cells cached, max relative difference {worst:.2e} (IRR {worst_irr:.2e})")


def test_cached_values_need_no_recalculation(tmp_path):
    """Read without any recalculation, the Summary shows compare's figures and winner (not 0), the
    workbook still asks for a full recalculation on load, and the accounting heading names the month."""
    import openpyxl

    scenario = SCENARIOS / "enterprise-support.yaml"
    target = tmp_path / "model.xlsx"
    _export(scenario, target, "--view", "accounting", "--set", "fiscal_year_start_month=4")
    cmp = compare(load_scenario(scenario, ["fiscal_year_start_month=4"]), view="accounting")
    wb = openpyxl.load_workbook(target, data_only=True)
    rows = [list(r) for r in wb["Summary"].iter_rows(values_only=True)]
    keys_row = next(i for i, row in enumerate(rows) if row and row[0] == "name")
    keys = rows[keys_row]
    for p, row in zip(cmp.paths, rows[keys_row + 1:]):
        got = dict(zip(keys, row))
        assert got["name"] == p.name
        for key in ("total_cost", "npv", "live_month"):
            assert math.isclose(got[key], getattr(p, key), rel_tol=1e-9), (p.name, key, got[key])
        assert got["total_cost"] > 0
    winner = next(row[1] for row in rows if len(row) > 2 and row[2] == "winner")
    assert winner == cmp.recommendation["path"]
    assert wb["Accounting"]["A1"].value == "Accounting view (fiscal years starting in April)"
    with zipfile.ZipFile(target) as z:
        assert 'fullCalcOnLoad="1"' in z.read("xl/workbook.xml").decode()


@pytest.mark.parametrize("lang,expected", [("en", "Accounting view (fiscal years starting in July)"),
                                           ("zh", "会计视图（财年自 7 月起）")])
def test_accounting_heading_names_the_calendar_month(lang, expected):
    res = runner.invoke(app, ["compare", str(SCENARIOS / "startup-assistant.yaml"), "--view", "accounting",
                              "--set", "fiscal_year_start_month=7", "--lang", lang])
    assert res.exit_code == 0, res.output
    assert expected in res.output


DATED = """version: 1
name: Dated price change
start: 2025-06
horizon_months: 8
currency: CNY
usd_exchange_rate: 7.2
workload:
  tokens_per_month: 1000000000
  output_share: 0.25
paths:
  - name: DeepSeek
    kind: api
    model: deepseek-chat
"""


def test_a_dated_catalog_price_change_exports_and_recalculates(tmp_path):
    """deepseek-chat in CNY changes price inside the horizon (the price data's 2025-09-29 row): the
    path sheet gets its price-step columns (values) and per-token fee formulas over them. (The step
    column's key used to take the fee column's place: the export stopped with a KeyError.)"""
    from tests.finance.test_export import _check

    scenario = tmp_path / "dated.yaml"
    scenario.write_text(DATED)
    cmp = compare(load_scenario(scenario))
    assert cmp.result.plan.paths[0].price_steps, "the price data no longer dates a change inside this horizon"
    target = tmp_path / "dated.xlsx"
    _export(scenario, target)
    copy = recalculate([target], tmp_path)[target]
    from tests.finance.recalc import read_values

    assert _check(cmp, read_values(copy)) >= 8
    count, worst, _ = _check_cached(target, copy)
    assert count > 50
