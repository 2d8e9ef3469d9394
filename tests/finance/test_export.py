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
    switch = next((rows for rows in values.values() if len(rows) > 4 and rows[4][:2] == ["path", "against"]), None)
    if any(p.switch for p in cmp.paths):
        why = {row[0]: row[6] for row in switch[5:] if row and row[0] and len(row) > 6 and row[1]}
        for p in cmp.paths:
            if p.switch:
                assert bool(why[p.name]) == bool(p.switch.get("reason")), (p.name, why[p.name], p.switch)
                if na == "n/a":  # the English workbook says why in compare's words
                    assert (why[p.name] or None) == p.switch.get("reason"), (p.name, why[p.name], p.switch)
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
    assert _check(compare(load_scenario(scenario)), {**zh_values, "Summary": zh_values["汇总"]}, never="不会持平", none="无") > 100


def _cjk(text) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text))


def test_chinese_labels_cover_routing_and_switch_rows(tmp_path):
    """--lang zh on a routed scenario and on the managed-fine-tune / start_month case: every header of
    every path sheet's month table and of the Switch sheet is Chinese, and the figures still match."""
    for scenario in (SCENARIOS / "hybrid-router.yaml", _write_case(tmp_path, "managed-and-start")):
        zh = tmp_path / f"{scenario.stem}-zh.xlsx"
        _export(scenario, zh, "--lang", "zh")
        values = read_values(recalculate([zh], tmp_path)[zh])
        assert "切换" in values and "汇总" in values
        cmp = compare(load_scenario(scenario))
        for i, p in enumerate(cmp.paths):
            rows = values[sheet_title(i, p.name)]
            at = next(k for k, row in enumerate(rows) if row and row[0] == "month")
            headers = [h for h in rows[at - 1] if h]
            assert headers and all(_cjk(h) for h in headers), (p.name, [h for h in headers if not _cjk(h)])
        switch = values["切换"]
        assert _cjk(switch[0][0]) and all(_cjk(h) for h in switch[3] if h)
        assert _check(cmp, {**values, "Summary": values["汇总"]}, never="不会持平", none="无", na="不适用") > 300


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
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    assert "pip install '.[export]' (from a checkout) or pip install 'buildorbuy[export]' (from an index)" in res.output
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


# ------------------------------------------------------------------ terms no bundled scenario has

API = {"name": "API", "kind": "api", "price_per_1k_input": 0.003, "price_per_1k_cached_input": 0.001,
       "price_per_1k_output": 0.012, "price_change_per_year": -0.2, "fixed_fee_per_month": 200, "setup_fee": 1500}


def _tuned(name: str, **extra) -> dict:
    """A LoRA-tuned 8B path on rented A100s, live in month 2 (lead time), re-tuned every 4 months."""
    path = {"name": name, "kind": "finetune", "model": {"params": "8B"}, "lead_time_months": 2,
            "finetune": {"tokens": "20M", "epochs": 2, "method": "lora", "gpu": "a100-80gb", "gpus": 1,
                         "gpu_hour_price": 1.8, "mfu": 0.3, "refresh_months": 4},
            "serving": {"gpu": "a100-80gb", "gpu_hour_price": 1.9, "gpu_hour_price_change_per_year": -0.1,
                        "tokens_per_second_per_gpu": 1500, "gpus_per_replica": 1, "target_utilization": 0.6,
                        "redundancy": 1},
            "data": {"one_off": 30_000, "per_refresh": 6_000},
            "staff": [{"role": "ML engineer", "count": 1, "annual_cost": 200_000, "salary_growth_per_year": 0.05,
                       "start_month": 1, "end_month": 20}]}
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(path.get(key), dict):
            path[key] = {**path[key], **value}
        else:
            path[key] = value
    return path


def _case(name: str, paths: list[dict], **top) -> dict:
    data = {"version": 1, "name": name, "currency": "USD", "start": "2026-03", "horizon_months": 24,
            "discount_rate": 0.08, "bridge": "API",
            "workload": {"tokens_per_month": "3B", "output_share": 0.3, "cached_input_share": 0.25,
                         "growth_per_month": 0.04, "peak_to_average": 2.2, "peak_hours": 5},
            "paths": paths}
    for key, value in top.items():
        if value is None:
            data.pop(key)
        elif isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


CASES = {
    # a managed fine-tune (tuned prices, cache writes, batch discount, refreshes, hosting, fixed fees)
    # and start_month on an api path, a rented fine-tune and an owned fleet with procurement, under a
    # lead-time limit counted from each path's start
    "managed-and-start": _case("Managed fine-tune and later starts", [
        API,
        {"name": "Managed", "kind": "api", "price_per_1k_input": 0.0025, "price_per_1k_output": 0.01,
         "lead_time_months": 2, "success_probability": 0.8, "discount": 0.1, "batch_share": 0.2, "batch_discount": 0.5,
         "fixed_fee_per_month": 100, "setup_fee": 500,
         "managed_finetune": {"training_tokens": "5M", "epochs": 2, "price_per_1m_training_tokens": 8,
                              "refresh_months": 4, "hosting_fee_per_hour": 1.5, "price_per_1k_input": 0.003},
         "staff": [{"role": "Prompt engineer", "count": 0.5, "annual_cost": 150_000}]},
        {"name": "Later API", "kind": "api", "price_per_1k_input": 0.002, "price_per_1k_output": 0.008,
         "start_month": 3, "lead_time_months": 1, "fixed_fee_per_month": 50, "setup_fee": 300,
         "data": {"one_off": 10_000},
         "staff": [{"role": "Integrator", "count": 1, "annual_cost": 120_000, "start_month": 1, "end_month": 12}]},
        _tuned("Late tune", start_month=5, success_probability=0.9),
        _tuned("Owned later", start_month=4,
               serving={"ownership": "own", "purchase_price": 15_000, "owned_gpus": 1, "procurement_months": 3,
                        "hosting_per_gpu_month": 150, "tdp_watts": 400, "power_price_per_kwh": 0.12,
                        "gpu_hour_price": None, "gpu_hour_price_change_per_year": 0.0}),
    ], workload={"cache_write_share": 0.05}, constraints={"max_lead_time_months": 6}),
    # routing: a separate fallback with its own fixed fees under an autoscaled, capped fleet; the
    # bridge as fallback of an owned, capped fleet; a cap without routing on a reserved fleet
    "routing": _case("Routing variants", [
        API,
        {"name": "Frontier", "kind": "api", "price_per_1k_input": 0.005, "price_per_1k_output": 0.02,
         "fixed_fee_per_month": 80, "setup_fee": 700},
        _tuned("Routed autoscale", success_probability=0.85,
               serving={"scaling": "autoscale", "min_replicas": 1, "max_gpus": 4, "throughput_change_per_year": 0.2},
               routing={"share": 0.7, "ramp_months": 2, "escalation_rate": 0.1, "fallback": "Frontier"}),
        _tuned("Routed owned", success_probability=0.9,
               serving={"ownership": "own", "purchase_price": 15_000, "max_gpus": 5, "hosting_per_gpu_month": 150,
                        "gpu_hour_price": None, "gpu_hour_price_change_per_year": 0.0},
               routing={"share": 0.9, "escalation_rate": 0.05}),
        _tuned("Capped reserved", serving={"max_gpus": 4, "reserved": {"gpus": 2, "gpu_hour_price": 1.2,
                                                                        "term_months": 6}}),
    ]),
    # no bridge: a routed path leaves its traffic unserved before go-live; its switch is against the
    # cheapest api path by NPV (a formula that follows the inputs)
    "routing-no-bridge": _case("Routing without a bridge", [
        API,
        {"name": "Frontier", "kind": "api", "price_per_1k_input": 0.005, "price_per_1k_output": 0.02},
        _tuned("Routed", routing={"share": 0.6, "ramp_months": 3, "escalation_rate": 0.2, "fallback": "API"}),
        _tuned("Plain"),
    ], bridge=None, workload={"daily_profile": [0.4] * 8 + [1.6] * 8 + [1.0] * 8, "peak_to_average": None,
                              "peak_hours": None}),
    # the saving's shapes: free (unserved) months before a late go-live, a data purchase in month 0 and
    # costlier serving after go-live: two IRRs (none reported) for one path, a quick payback for the other
    "switch-shapes": _case("IRR and payback shapes", [
        API,
        _tuned("Two IRRs", lead_time_months=10, staff=[], data={"one_off": 40_000, "per_refresh": 0},
               serving={"gpu_hour_price": 6}),
        _tuned("Quick payback", lead_time_months=10, staff=[], data={"one_off": 80_000, "per_refresh": 0},
               serving={"gpu_hour_price": 4}),
    ], bridge=None),
}


def _write_case(tmp_path: Path, key: str) -> Path:
    import yaml

    data = CASES[key]
    workload = {k: v for k, v in data["workload"].items() if v is not None}
    path = tmp_path / f"{key}.yaml"
    path.write_text(yaml.safe_dump({**data, "workload": workload}, sort_keys=False, allow_unicode=True))
    return path


def test_cases_exercise_the_terms_they_are_meant_to():
    """Guard for the recalculation test below: each case really has the terms it is named for."""
    from buildorbuy.scenario.loading import scenario_from_dict

    for key, data in CASES.items():
        data = {**data, "workload": {k: v for k, v in data["workload"].items() if v is not None}}
        cmp = compare(scenario_from_dict(data))
        names = {p.name: p for p in cmp.paths}
        if key == "switch-shapes":
            assert "2 IRRs" in names["Two IRRs"].switch["reason"] and names["Two IRRs"].switch["payback_month"] == 2
            assert names["Quick payback"].switch["payback_month"] == 4
        elif key == "managed-and-start":
            assert any(names["Managed"].components["managed_finetune"])
            assert names["Later API"].live_month == 4 and names["Late tune"].live_month > 5
            assert names["Owned later"].live_month == 7 and names["Owned later"].feasible  # 7 − start 4 ≤ 6
        else:
            assert all(any(p.components.get("fallback_fees", [0])) for p in cmp.paths if p.kind != "api"
                       and p.name != "Plain")
            for i, split in cmp.result.routing.items():  # every cap binds in some month
                capped = data["paths"][i]["serving"].get("max_gpus") is not None
                assert capped == bool(np.any(split["overflow_tokens"][0] > 0)), (key, cmp.paths[i].name)
        assert any(p.switch and p.switch["irr"] is not None for p in cmp.paths), key


@pytest.mark.parametrize("key", sorted(CASES))
def test_terms_no_bundled_scenario_has_recalculate_to_the_engine(tmp_path, key):
    scenario = _write_case(tmp_path, key)
    target = tmp_path / f"{key}.xlsx"
    res = runner.invoke(app, ["export", str(scenario), "-o", str(target)])
    assert res.exit_code == 0, res.output
    assert "engine's values" not in res.output  # every term is a formula now
    copies = recalculate([target], tmp_path)
    values = read_values(copies[target])
    MAX_DIFF.clear()
    assert _check(compare(load_scenario(scenario)), values) > 500
    print(f"{key}: max relative difference {MAX_DIFF.get('value', 0):.2e} (IRR {MAX_DIFF.get('irr', float('nan')):.2e})")
    assert ["none: every term is a formula"] in [row[:1] for row in values["Summary"]]  # nothing entered as values


def test_editing_a_routed_input_matches_compare_with_set(tmp_path):
    """The fallback's output price, the routing share and the peak hour of the daily profile (which
    peak_to_average and the overflow's load levels follow) are edited in Inputs; the cap found by
    the `auto` search stays the value written (auto searches are not re-run), so compare pins it too."""
    import openpyxl

    scenario = SCENARIOS / "hybrid-router.yaml"
    target = tmp_path / "base.xlsx"
    _export(scenario, target)
    wb = openpyxl.load_workbook(target)
    rows = {r[0].value: r for r in wb["Inputs"].iter_rows(min_row=2) if r[0].value}
    edits = {"paths[1].routing.share": 0.7, "paths[0].price_per_1k_output": rows["paths[0].price_per_1k_output"][1].value * 1.25,
             "workload.daily_profile[10]": 2.2}
    assert rows["workload.peak_to_average"][1].value.startswith("=MAX(")
    for key, value in edits.items():
        rows[key][1].value = value
    cap = rows["paths[1].serving.max_gpus"][1].value
    assert rows["paths[1].serving.max_gpus"][3].value.startswith("estimated: ")
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    copies = recalculate([edited], tmp_path)
    sets = [f"{key}={value!r}" for key, value in edits.items()] + [f"paths[1].serving.max_gpus={cap!r}"]
    cmp = compare(load_scenario(scenario, sets))
    assert _check(cmp, read_values(copies[edited])) > 400
    base = compare(load_scenario(scenario))
    assert not math.isclose(cmp.paths[1].npv, base.paths[1].npv, rel_tol=1e-6)
    assert not math.isclose(cmp.paths[1].switch["irr"], base.paths[1].switch["irr"], rel_tol=1e-3)
