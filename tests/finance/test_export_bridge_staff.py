"""The workbook's `bridge_staff` column (a failed path pays the bridge's staff from go-live on): its
formulas, recalculated by LibreOffice, reproduce the engine, also after editing inputs it follows."""

from __future__ import annotations

import math

import pytest
import yaml

from buildorbuy.analysis.compare import compare
from buildorbuy.render.workbook import sheet_title
from buildorbuy.scenario.loading import load_scenario
from tests.finance.recalc import read_values, recalculate
from tests.finance.test_export import _case, _check, _export, _month_table, _tuned

BRIDGE = {"name": "API", "kind": "api", "price_per_1k_input": 0.003, "price_per_1k_cached_input": 0.001,
          "price_per_1k_output": 0.012, "price_change_per_year": -0.2, "fixed_fee_per_month": 200, "setup_fee": 1500,
          "staff": [{"role": "Integration engineer", "count": 1.5, "annual_cost": 180_000},
                    {"role": "Evaluator", "count": 1, "annual_cost": 90_000, "salary_growth_per_year": 0.06,
                     "start_month": 3, "end_month": 15}]}
FRONTIER = {"name": "Frontier", "kind": "api", "price_per_1k_input": 0.005, "price_per_1k_output": 0.02,
            "staff": [{"role": "Frontier team", "count": 2, "annual_cost": 250_000}]}

CASE = _case("Failures on a bridge with staff", [
    BRIDGE,
    FRONTIER,
    _tuned("Risky tune", success_probability=0.3),
    _tuned("Late risky tune", start_month=4, success_probability=0.5),
    _tuned("Routed risky", success_probability=0.6,
           routing={"share": 0.7, "ramp_months": 2, "escalation_rate": 0.1, "fallback": "Frontier"}),
    _tuned("Owned risky", success_probability=0.4,
           serving={"ownership": "own", "purchase_price": 15_000, "hosting_per_gpu_month": 150,
                    "gpu_hour_price": None, "gpu_hour_price_change_per_year": 0.0}),
    {"name": "Private API", "kind": "api", "price_per_1k_input": 0.002, "price_per_1k_output": 0.008,
     "lead_time_months": 3, "success_probability": 0.7},
    _tuned("Safe tune"),
])


def _write(tmp_path):
    path = tmp_path / "bridge-staff.yaml"
    path.write_text(yaml.safe_dump(CASE, sort_keys=False, allow_unicode=True))
    return path


def test_the_case_has_the_terms_it_is_meant_to(tmp_path):
    cmp = compare(load_scenario(_write(tmp_path)))
    paths = {p.name: p for p in cmp.paths}
    for name in ("Risky tune", "Late risky tune", "Routed risky", "Owned risky", "Private API"):
        assert any(paths[name].components["bridge_staff"]), name
    assert "bridge_staff" not in paths["Safe tune"].components and "bridge_staff" not in paths["API"].components
    assert paths["Late risky tune"].live_month > 4


def test_bridge_staff_formulas_recalculate_to_the_engine_and_follow_edits(tmp_path):
    import openpyxl

    scenario = _write(tmp_path)
    target = tmp_path / "case.xlsx"
    _export(scenario, target)
    # edited: a second copy where the risky tune's success probability and the bridge's first staff
    # line's cost are changed in Inputs; compare with --set must give the same figures
    wb = openpyxl.load_workbook(target)
    rows = {r[0].value: r for r in wb["Inputs"].iter_rows(min_row=2) if r[0].value}
    edits = {"paths[2].success_probability": 0.05, "paths[0].staff[0].annual_cost": 240_000.0,
             "paths[7].success_probability": 0.2}
    for key, value in edits.items():
        rows[key][1].value = value
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    copies = recalculate([target, edited], tmp_path)

    cmp = compare(load_scenario(scenario))
    values = read_values(copies[target])
    assert _check(cmp, values) > 500
    table = _month_table(values[sheet_title(2, "Risky tune")], 24)
    live = cmp.paths[2].live_month
    assert live == 2  # the evaluator's line starts in month 3
    assert table["bridge_staff"][2] == pytest.approx(0.7 * 1.5 * 180_000 / 12, rel=1e-12)
    assert table["bridge_staff"][3] == pytest.approx(0.7 * (1.5 * 180_000 + 90_000 * 1.06 ** (3 / 12)) / 12, rel=1e-9)
    assert all(v == 0 for v in table["bridge_staff"][:live])
    safe = _month_table(values[sheet_title(7, "Safe tune")], 24)
    assert all(v == 0 for v in safe["bridge_staff"])  # written, 0 while p = 1

    moved = compare(load_scenario(scenario, [f"{key}={value!r}" for key, value in edits.items()]))
    assert _check(moved, read_values(copies[edited])) > 500
    assert any(moved.paths[7].components["bridge_staff"])  # the safe tune, made risky in the workbook
    assert not math.isclose(moved.paths[2].npv, cmp.paths[2].npv, rel_tol=1e-6)
