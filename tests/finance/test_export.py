"""`buildorbuy export`: the workbook's formulas, recalculated by LibreOffice, reproduce the engine."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from buildorbuy.analysis.compare import compare
from buildorbuy.cli import app
from buildorbuy.engine.core import COMPONENTS, ROUTING_KEYS
from buildorbuy.render.workbook import sheet_title
from buildorbuy.scenario.loading import load_scenario
from tests.finance.recalc import read_values, recalculate

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = sorted(SCENARIOS.glob("*.yaml"))
FIRST_ROW = 16
runner = CliRunner()


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    if max(abs(a), abs(b)) >= 1:
        MAX_DIFF["value"] = max(MAX_DIFF.get("value", 0.0), rel_diff(a, b))
    return abs(a - b) <= rel * max(abs(a), abs(b)) or abs(a - b) <= 1e-6


def _export(scenario: Path, target: Path, *args: str) -> None:
    res = runner.invoke(app, ["export", str(scenario), "-o", str(target), *args])
    assert res.exit_code == 0, res.output


def _month_table(rows: list[list], horizon: int) -> dict[str, list]:
    at = next(i for i, row in enumerate(rows) if row and row[0] == "month")  # the grey row of component keys
    keys = rows[at]
    body = rows[at + 1 : at + 1 + horizon]
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


def _check_switch(p, row: dict, na: str) -> int:
    """Summary's switch columns against compare's paths[].switch: the IRR within 1e-6 relative (the
    spreadsheet's IRR() iterates to its own tolerance), the payback month and `against` exactly, and
    n/a exactly where compare's figure is null."""
    if p.switch is None:
        assert row.get("switch_irr") in (None, ""), (p.name, row.get("switch_irr"))
        return 0
    sw = p.switch
    assert row["switch_against"] == sw["against"], (p.name, row["switch_against"], sw)
    if sw["irr"] is None:
        assert row["switch_irr"] == na, (p.name, row["switch_irr"], sw)
    else:
        assert isinstance(row["switch_irr"], float), (p.name, row["switch_irr"], sw)
        assert rel_diff(row["switch_irr"], sw["irr"]) <= 1e-6, (p.name, row["switch_irr"], sw)
        MAX_DIFF["irr"] = max(MAX_DIFF.get("irr", 0.0), rel_diff(row["switch_irr"], sw["irr"]))
    assert row["switch_payback_month"] == (na if sw["payback_month"] is None else sw["payback_month"]), (p.name, row, sw)
    return 3


MAX_DIFF: dict[str, float] = {}
"""Largest relative differences seen (printed with -s: the report quotes them)."""


def rel_diff(a: float, b: float) -> float:
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 else abs(a - b) / scale


def _check(cmp, values: dict[str, list[list]], never: str = "never", none: str = "none", na: str = "n/a") -> int:
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
        routing = result.routing[i] if i in result.routing else {}
        for key, engine in (("monthly_cost", p.monthly_cost), ("cumulative_cost", p.cumulative_cost),
                            ("tokens", None), ("gpus", p.gpus), ("discount_factor", result.discount[0]),
                            *((key, routing[key][0]) for key in ROUTING_KEYS if key in routing)):
            if engine is None:
                continue
            assert key in table or key not in ROUTING_KEYS, (p.name, key)
            if key not in table:
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
        checked += _check_switch(p, row, na)
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
        MAX_DIFF.clear()
        checked = _check(cmp, read_values(copies[target]))
        assert checked > 100, scenario
        print(f"{scenario.name}: {checked} figures, max relative difference {MAX_DIFF.get('value', 0):.2e} "
              f"(IRR {MAX_DIFF.get('irr', float('nan')):.2e})")


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


def _check_accounting(cmp, rows: list[list]) -> int:
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
    return checked


@pytest.mark.parametrize("name,residual", [("uncertain-enterprise", None), ("bank-onprem-cny", "none"),
                                           ("bank-onprem-cny", "straight_line"), ("bank-onprem-cny", None)])
def test_accounting_sheet_recalculates_to_the_engine(tmp_path, name, residual):
    scenario = SCENARIOS / f"{name}.yaml"
    sets = ["fiscal_year_start_month=4"]
    if residual is not None:
        sets.append(f"paths[3].serving.residual={residual}")
    acc = tmp_path / "acc.xlsx"
    _export(scenario, acc, "--view", "accounting", *[x for v in sets for x in ("--set", v)])
    copies = recalculate([acc], tmp_path)
    cmp = compare(load_scenario(scenario, sets), view="accounting")
    assert any(p.accounting["book_value_end"] or any(p.accounting["depreciation"]) for p in cmp.paths)
    assert _check_accounting(cmp, read_values(copies[acc])["Accounting"]) >= 40


def test_chinese_workbook_recalculates(tmp_path):
    scenario = SCENARIOS / "uncertain-enterprise.yaml"
    zh = tmp_path / "zh.xlsx"
    _export(scenario, zh, "--lang", "zh")
    copies = recalculate([zh], tmp_path)
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


def test_a_path_starting_later_enters_as_values_and_still_reproduces_the_engine(tmp_path):
    scenario = SCENARIOS / "enterprise-support.yaml"
    target = tmp_path / "late.xlsx"
    res = runner.invoke(app, ["export", str(scenario), "-o", str(target), "--set", "paths[1].start_month=6"])
    assert res.exit_code == 0, res.output
    assert "start_month (the whole path)" in res.output
    copies = recalculate([target], tmp_path)
    values = read_values(copies[target])
    assert _check(compare(load_scenario(scenario, ["paths[1].start_month=6"])), values) > 100
    assert any("start_month" in str(row[0]) for row in values["Summary"] if row)
