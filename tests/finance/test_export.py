"""`buildorbuy export`: the workbook's formulas, recalculated by LibreOffice, reproduce the engine."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from buildorbuy.analysis.compare import compare
from buildorbuy.cli import app
from buildorbuy.engine.core import COMPONENTS
from buildorbuy.render.workbook import sheet_title
from buildorbuy.scenario.loading import load_scenario
from tests.finance.recalc import read_values, recalculate

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = sorted(SCENARIOS.glob("*.yaml"))
FIRST_ROW = 16
runner = CliRunner()


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b)) or abs(a - b) <= 1e-6


def _export(scenario: Path, target: Path, *args: str) -> None:
    res = runner.invoke(app, ["export", str(scenario), "-o", str(target), *args])
    assert res.exit_code == 0, res.output


def _month_table(rows: list[list], horizon: int) -> dict[str, list]:
    keys = rows[FIRST_ROW - 2]
    body = rows[FIRST_ROW - 1 : FIRST_ROW - 1 + horizon]
    return {key: [row[c] for row in body] for c, key in enumerate(keys) if key}


def _summary(rows: list[list]) -> tuple[list[dict], dict]:
    keys_row = next(i for i, row in enumerate(rows) if row and row[0] == "name")
    keys = rows[keys_row]
    paths = []
    for row in rows[keys_row + 1 :]:
        if row[0] is None:
            break
        paths.append(dict(zip(keys, row)))
    extra = {row[2]: row[1] for row in rows if len(row) > 2 and row[2] in ("winner", "margin")}
    be_row = next(i for i, row in enumerate(rows) if "breakeven" in row)
    n = len(paths)
    extra["breakeven"] = [rows[be_row + 1 + a][1 : 1 + n] for a in range(n)]
    return paths, extra


def _check(cmp, values: dict[str, list[list]], never: str = "never", none: str = "none") -> int:
    """Compare every monthly component and summary figure; return how many numbers were checked."""
    result = cmp.result
    horizon = cmp.scenario.horizon
    checked = 0
    for i, p in enumerate(cmp.paths):
        table = _month_table(values[sheet_title(i, p.name)], horizon)
        for name in COMPONENTS:
            engine = result.components[name][0, i]
            if name not in table:
                assert not np.any(engine != 0), f"{p.name}: {name} missing from the workbook"
                continue
            for m in range(horizon):
                assert close(table[name][m], engine[m]), (p.name, name, m, table[name][m], engine[m])
                checked += 1
        for key, engine in (("monthly_cost", p.monthly_cost), ("cumulative_cost", p.cumulative_cost),
                            ("tokens", None), ("gpus", p.gpus), ("discount_factor", result.discount[0])):
            if key not in table or engine is None:
                continue
            for m in range(horizon):
                assert close(table[key][m], engine[m]), (p.name, key, m, table[key][m], engine[m])
                checked += 1
    summary, extra = _summary(values["Summary"])
    for i, (p, row) in enumerate(zip(cmp.paths, summary)):
        assert row["name"] == p.name
        for key in ("total_cost", "npv", "cost_per_million_tokens", "levelised_cost_per_million_tokens", "unserved_tokens",
                    "capex", "residual_credit", "live_month"):
            engine = getattr(p, key)
            if engine is None:
                assert row[key] in (None, ""), (p.name, key, row[key])
            else:
                assert close(row[key], engine), (p.name, key, row[key], engine)
            checked += 1
        assert bool(row["feasible"]) == p.feasible
        assert bool(row["recommendable"]) == bool(result.recommendable[0, i])
    winner = cmp.recommendation["path"]
    assert extra["winner"] == (winner if winner else none)
    if cmp.recommendation["margin"] is not None:
        assert close(extra["margin"], cmp.recommendation["margin"])
    months = {(e["a"], e["b"]): e["month"] for e in cmp.breakeven}
    names = [p.name for p in cmp.paths]
    for a, row in enumerate(extra["breakeven"]):
        for b, cell in enumerate(row):
            if a != b:
                expected = months[(names[a], names[b])]
                assert (cell == never) if expected is None else (cell == expected), (names[a], names[b], cell, expected)
                checked += 1
    return checked


def test_every_bundled_scenario_recalculates_to_the_engine(tmp_path):
    files = []
    for scenario in BUNDLED:
        target = tmp_path / f"{scenario.stem}.xlsx"
        _export(scenario, target)
        files.append(target)
    copies = recalculate(files, tmp_path)
    for scenario, target in zip(BUNDLED, files):
        cmp = compare(load_scenario(scenario))
        checked = _check(cmp, read_values(copies[target]))
        assert checked > 100, scenario


def test_changing_an_input_cell_matches_compare_with_set(tmp_path):
    import openpyxl

    scenario = SCENARIOS / "enterprise-support.yaml"
    target = tmp_path / "base.xlsx"
    _export(scenario, target)
    wb = openpyxl.load_workbook(target)
    ws = wb["Inputs"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "workload.tokens_per_month")
    new_value = row[1].value * 1.1
    row[1].value = new_value
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    copies = recalculate([edited], tmp_path)
    cmp = compare(load_scenario(scenario, [f"workload.tokens_per_month={new_value!r}"]))
    values = read_values(copies[edited])
    assert _check(cmp, values) > 100
    base = compare(load_scenario(scenario))
    assert not math.isclose(cmp.paths[0].npv, base.paths[0].npv, rel_tol=1e-6)  # the edit moved the figures


def test_accounting_sheet_and_chinese_labels_recalculate(tmp_path):
    scenario = SCENARIOS / "uncertain-enterprise.yaml"
    acc = tmp_path / "acc.xlsx"
    _export(scenario, acc, "--view", "accounting", "--set", "fiscal_year_start_month=4")
    zh = tmp_path / "zh.xlsx"
    _export(scenario, zh, "--lang", "zh")
    copies = recalculate([acc, zh], tmp_path)
    cmp = compare(load_scenario(scenario, ["fiscal_year_start_month=4"]), view="accounting")
    rows = read_values(copies[acc])["Accounting"]
    body = [r for r in rows[3:] if r and r[0]]
    checked = 0
    for p in cmp.paths:
        mine = [r for r in body if r[0] == p.name]
        a = p.accounting
        for row, capex, opex, dep, expense in zip(mine, a["capex_by_fiscal_year"], a["opex_by_fiscal_year"],
                                                  a["depreciation_by_fiscal_year"], a["expense_by_fiscal_year"]):
            assert row[1] == capex["fiscal_year"]
            for value, expected in zip(row[2:6], (capex, opex, dep, expense)):
                assert close(value, expected["amount"]), (p.name, row, expected)
                checked += 1
        if a["book_value_end"]:
            assert close(mine[-1][5], a["book_value_end"])
    assert checked >= 60
    zh_values = read_values(copies[zh])
    assert {"输入", "工作负载", "汇总", "盈亏平衡"} <= set(zh_values)
    assert _check(compare(load_scenario(scenario)), {**zh_values, "Summary": zh_values["汇总"]}, never="从不", none="无") > 100


def test_inputs_sheet_lists_every_input_with_its_source(tmp_path):
    import openpyxl

    target = tmp_path / "m.xlsx"
    _export(SCENARIOS / "enterprise-support.yaml", target, "--set", "paths[0].discount=0.1")
    wb = openpyxl.load_workbook(target)
    rows = {r[0].value: r for r in wb["Inputs"].iter_rows(min_row=2) if r[0].value}
    assert rows["workload.tokens_per_month"][3].value.startswith("user input (enterprise-support.yaml:")
    assert rows["paths[0].discount"][3].value == "user input (--set)"
    assert rows["paths[1].serving.redundancy"][3].value in ("default",) or "user input" in rows["paths[1].serving.redundancy"][3].value
    assert rows["paths[1].model.active_params"][1].value == "=in_paths_1_model_params"  # a default that copies an input
    assert rows["workload.growth_per_month"][1].value.startswith("=(1+in_workload_growth_per_year)")
    other = tmp_path / "domain.xlsx"
    _export(SCENARIOS / "domain-model-50b.yaml", other)
    estimated = [r for r in openpyxl.load_workbook(other)["Inputs"].iter_rows(min_row=2)
                 if str(r[3].value).startswith("estimated: ")]
    assert any(r[0].value == "paths[2].training.mfu" for r in estimated)
    assert all(isinstance(r[1].value, (int, float)) for r in estimated)  # auto results enter as values
    assert "in_workload_tokens_per_month" in wb.defined_names
    formulas = [c.value for row in wb["2 Fine-tuned Llama 3.3 70B"].iter_rows(min_row=FIRST_ROW) for c in row
                if isinstance(c.value, str) and c.value.startswith("=")]
    assert any("CEILING" in f for f in formulas) and any("in_paths_1_serving_gpu_hour_price" in f for f in formulas)


def test_bad_targets_fail_in_one_line_and_leave_nothing(tmp_path, monkeypatch):
    scenario = str(SCENARIOS / "startup-assistant.yaml")
    res = runner.invoke(app, ["export", scenario, "-o", str(tmp_path / "model.csv")])
    assert res.exit_code == 2 and ".xlsx" in res.output and len(res.output.strip().splitlines()) == 1
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    res = runner.invoke(app, ["export", scenario, "-o", str(blocker / "sub" / "model.xlsx")])
    assert res.exit_code == 2 and res.output.startswith("Error:")
    monkeypatch.setitem(__import__("sys").modules, "xlsxwriter", None)
    res = runner.invoke(app, ["export", scenario, "-o", str(tmp_path / "new" / "model.xlsx")])
    assert res.exit_code == 2 and "buildorbuy[export]" in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_plain_formula_writing_is_byte_identical_to_xlsxwriter_own():
    import io
    import zipfile

    from buildorbuy.render.workbook import build_workbook

    for scenario in BUNDLED:
        cmp = compare(load_scenario(scenario))
        fast, _ = build_workbook(cmp.result.plan, cmp.result, accounting=True)
        slow, _ = build_workbook(cmp.result.plan, cmp.result, accounting=True, fast_formulas=False)
        a, b = zipfile.ZipFile(io.BytesIO(fast)), zipfile.ZipFile(io.BytesIO(slow))
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            if name != "docProps/core.xml":  # holds the creation time
                assert a.read(name) == b.read(name), (scenario.name, name)
