"""`export --view accounting`: the workbook's accounting figures, recalculated by LibreOffice, against
`compare --view accounting --format json`'s `paths[].accounting` (and a hand-computed purchase).

Covers what the bundled-scenario test of the Accounting sheet does not: a routed path (its fallback
fees are opex), a managed fine-tune, owned fleets starting after month 0 (with procurement, a
success probability below 1, every `residual`), and fiscal years that do not start in January.
Month by month it checks each path sheet's fiscal-year label, depreciation and opex columns; by
fiscal year the Accounting sheet's capex, opex, depreciation and expense; and the book value at the end.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from buildorbuy.analysis.compare import compare
from buildorbuy.cli import app
from buildorbuy.render.i18n import MONTH_NAMES
from buildorbuy.render.workbook import sheet_title
from buildorbuy.scenario.loading import load_scenario
from tests.finance.recalc import read_values, recalculate
from tests.finance.test_export import _month_table, _write_case, rel_diff

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
runner = CliRunner()
MAX_DIFF: dict[str, float] = {}
"""Largest relative difference seen (printed with -s: the report quotes it)."""


def _close(a: float, b: float, rel: float = 1e-9) -> bool:
    MAX_DIFF["value"] = max(MAX_DIFF.get("value", 0.0), rel_diff(a, b) if max(abs(a), abs(b)) >= 1 else 0.0)
    return abs(a - b) <= rel * max(abs(a), abs(b)) or abs(a - b) <= 1e-6


def _sets(sets: list[str]) -> list[str]:
    return [x for s in sets for x in ("--set", s)]


def _accounting_json(scenario: Path, sets: list[str]) -> dict:
    res = runner.invoke(app, ["compare", str(scenario), "--view", "accounting", "--format", "json", *_sets(sets)])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _engine_data(scenario: Path, sets: list[str]) -> dict:
    """The same figures as the JSON, unrounded (the JSON contract rounds floats to 6 decimals)."""
    cmp = compare(load_scenario(scenario, sets), view="accounting")
    return {"scenario": {"horizon_months": cmp.scenario.horizon},
            "paths": [{"name": p.name, "accounting": p.accounting, "residual_credit": p.residual_credit,
                       "monthly_cost": list(p.monthly_cost), "components": {k: list(v) for k, v in p.components.items()}}
                      for p in cmp.paths]}


def _export(scenario: Path, target: Path, sets: list[str], *args: str) -> None:
    res = runner.invoke(app, ["export", str(scenario), "-o", str(target), "--view", "accounting", *_sets(sets), *args])
    assert res.exit_code == 0, res.output


def _month_labels(acc: dict, horizon: int) -> list[str]:
    """Each month's fiscal-year label, from the by-fiscal-year list's first and last months."""
    labels = [None] * horizon
    for year in acc["capex_by_fiscal_year"]:
        for m in range(year["first_month"], year["last_month"] + 1):
            labels[m] = year["fiscal_year"]
    assert None not in labels, acc["capex_by_fiscal_year"]
    return labels


def _check_accounting(data: dict, values: dict[str, list[list]], accounting_sheet: str = "Accounting",
                      book_label: str = "book value at the end") -> int:
    """Every accounting figure of the recalculated workbook against compare's JSON; how many were checked."""
    horizon = data["scenario"]["horizon_months"]
    checked = 0
    body = [r for r in values[accounting_sheet][3:] if r and r[0]]
    for i, p in enumerate(data["paths"]):
        a = p["accounting"]
        table = _month_table(values[sheet_title(i, p["name"])], horizon)
        assert table["fiscal_year"] == _month_labels(a, horizon), p["name"]
        if "depreciation" in table:
            for m in range(horizon):
                assert _close(table["depreciation"][m], a["depreciation"][m]), (p["name"], m, table["depreciation"][m])
                checked += 1
        else:
            assert not any(a["depreciation"]), (p["name"], "depreciation missing from the workbook")
        components = p["components"]
        for m in range(horizon):
            opex = (p["monthly_cost"][m] - components.get("hardware_purchase", [0.0] * horizon)[m]
                    - components.get("residual_credit", [0.0] * horizon)[m])
            assert _close(table["opex"][m], opex), (p["name"], m, table["opex"][m], opex)
            checked += 1
        mine = [r for r in body if r[0] == p["name"]]
        years = zip(a["capex_by_fiscal_year"], a["opex_by_fiscal_year"], a["depreciation_by_fiscal_year"],
                    a["expense_by_fiscal_year"])
        assert len(mine) == len(a["capex_by_fiscal_year"]) + (1 if "depreciation" in table else 0), (p["name"], mine)
        for row, figures in zip(mine, years):
            assert row[1] == figures[0]["fiscal_year"], (p["name"], row, figures)
            for value, expected in zip(row[2:6], figures):
                assert _close(value, expected["amount"]), (p["name"], row, expected)
                checked += 1
        if "depreciation" in table:
            assert mine[-1][1] == book_label
            assert _close(mine[-1][5], a["book_value_end"]), (p["name"], mine[-1], a["book_value_end"])
            assert _close(a["book_value_end"], -p["residual_credit"])  # the residual credit as book value
            checked += 1
    return checked


OWNED_ROUTER = ["paths[1].serving.ownership=own", "paths[1].serving.purchase_price=9000",
                "paths[1].serving.procurement_months=4", "paths[1].start_month=2",
                "paths[1].serving.hosting_per_gpu_month=120", "paths[1].serving.power_price_per_kwh=0.15"]

CASES = {
    # the routed path of the bundled router (rented; fallback fees are opex), fiscal years from July
    "router": ("hybrid-router", ["fiscal_year_start_month=7"]),
    # the same routed path on an owned fleet ordered in month 2 (delivery month 6), from October
    "router-owned": ("hybrid-router", [*OWNED_ROUTER, "fiscal_year_start_month=10"]),
    # a managed fine-tune and an owned fleet starting in month 4 (procurement 3), from October
    "managed-and-start": ("managed-and-start", ["fiscal_year_start_month=10"]),
    # the same with a declining balance, success probability 0.7 and fiscal years from February
    "managed-declining": ("managed-and-start", ["fiscal_year_start_month=2", "paths[4].success_probability=0.7",
                                                "paths[4].serving.residual={declining_balance: 0.3}"]),
    # expensed when bought (residual none), GPUs already owned and a one-year life, from December
    "managed-none": ("managed-and-start", ["fiscal_year_start_month=12", "paths[4].serving.residual=none",
                                           "paths[4].serving.owned_gpus=2"]),
    "managed-short-life": ("managed-and-start", ["fiscal_year_start_month=5", "paths[4].serving.depreciation_years=1",
                                                 "paths[4].start_month=2"]),
    # a routed owned fleet under a cap, with procurement and success probability 0.5, from April
    "routing-owned": ("routing", ["fiscal_year_start_month=4", "paths[3].success_probability=0.5",
                                  "paths[3].serving.procurement_months=2"]),
}


def _scenario(tmp_path: Path, name: str) -> Path:
    bundled = SCENARIOS / f"{name}.yaml"
    return bundled if bundled.exists() else _write_case(tmp_path, name)


def test_cases_have_the_terms_they_are_named_for(tmp_path):
    """Guard: each case really has what the recalculation test below is meant to exercise."""
    for key, (name, sets) in CASES.items():
        data = _accounting_json(_scenario(tmp_path, name), sets)
        by_name = {p["name"]: p for p in data["paths"]}
        first = data["paths"][0]["accounting"]["capex_by_fiscal_year"]
        fiscal_start = int(next(s for s in sets if s.startswith("fiscal_year_start_month=")).split("=")[1])
        assert fiscal_start != 1 and len(first) >= 3, key  # years that do not start in January
        owned = [p for p in data["paths"] if any(p["accounting"]["depreciation"])]
        if key != "router":
            assert len(owned) == 1, key
            assert owned[0]["components"]["hardware_purchase"][0] == 0, key  # bought after month 0
        if key.startswith("router"):
            assert "routing" in by_name["Tuned 8B"] and any(by_name["Tuned 8B"]["components"]["fallback_fees"])
        if key.startswith("managed"):
            assert any(by_name["Managed"]["components"]["managed_finetune"])
            assert by_name["Owned later"]["live_month"] >= 5  # start_month 4 (or 2) + procurement 3
        if key == "managed-none":
            assert owned[0]["accounting"]["book_value_end"] == 0
        if key == "routing-owned":
            assert "routing" in by_name["Routed owned"] and any(by_name["Routed owned"]["components"]["fallback_fees"])


@pytest.mark.parametrize("key", sorted(CASES))
def test_accounting_view_recalculates_to_compare(tmp_path, key):
    name, sets = CASES[key]
    scenario = _scenario(tmp_path, name)
    target = tmp_path / f"{key}.xlsx"
    _export(scenario, target, sets)
    values = read_values(recalculate([target], tmp_path)[target])
    MAX_DIFF.clear()
    checked = _check_accounting(_accounting_json(scenario, sets), values)  # the JSON contract (6 decimals)
    json_diff = MAX_DIFF.pop("value", 0.0)
    assert _check_accounting(_engine_data(scenario, sets), values) == checked > 60  # unrounded
    print(f"{key}: {checked} accounting figures, max relative difference {MAX_DIFF.get('value', 0):.2e} "
          f"({json_diff:.2e} against the JSON's 6 decimals)")


# ------------------------------------------------------------------ one GPU, by hand

ONE_GPU = """version: 1
name: One GPU
currency: USD
start: 2026-03
horizon_months: {horizon}
discount_rate: 0.05
bridge: API
fiscal_year_start_month: 7
workload: {{tokens_per_month: 10M, output_share: 0.3, peak_to_average: 1}}
paths:
  - {{name: API, kind: api, price_per_1k_input: 0.001, price_per_1k_output: 0.002}}
  - name: Own
    kind: finetune
    model: {{params: 8B}}
    lead_time_months: 1
    finetune: {{tokens: 1M, epochs: 1, method: lora, gpu: a100-80gb, gpus: 1, gpu_hour_price: 2, mfu: 0.3}}
    serving: {{gpu: a100-80gb, ownership: own, purchase_price: 12000, procurement_months: 3, depreciation_years: 2,
              hosting_per_gpu_month: 100, tdp_watts: 400, power_price_per_kwh: 0.1,
              tokens_per_second_per_gpu: 1000, gpus_per_replica: 1, target_utilization: 0.5, redundancy: 0}}
"""


@pytest.mark.parametrize("horizon", [24, 36])
def test_one_gpu_purchase_depreciates_straight_line_by_hand(tmp_path, horizon):
    """One GPU of 12,000 delivered in month 3 (procurement 3), life 2 years: 12,000 / 24 = 500 a month
    from the month of purchase (README: straight line over depreciation_years, month by month from the
    month of purchase). Over 24 months: months 3…23, 21 × 500 = 10,500, book value 12,000 − 10,500 =
    1,500 (= 12,000 × (1 − 21/24), the cash view's residual credit). Over 36 months: months 3…26, then
    nothing; book value 0. Start 2026-03, fiscal years from July: FY2025 = months 0–3 (Mar–Jun 2026),
    FY2026 = months 4–15, FY2027 = months 16–27, FY2028 = months 28–35."""
    scenario = tmp_path / "one.yaml"
    scenario.write_text(ONE_GPU.format(horizon=horizon))
    life = 24
    purchase = [0.0] * horizon
    purchase[3] = 12_000.0
    expected_dep = [500.0 if 3 <= m < 3 + life else 0.0 for m in range(horizon)]
    if horizon == 24:
        dep_by_year = {"FY2025": 500.0, "FY2026": 6_000.0, "FY2027": 4_000.0}  # 1, 12 and 8 months
        book = 1_500.0
    else:
        dep_by_year = {"FY2025": 500.0, "FY2026": 6_000.0, "FY2027": 5_500.0, "FY2028": 0.0}  # 1, 12, 11, 0 months
        book = 0.0
    capex_by_year = {label: (12_000.0 if label == "FY2025" else 0.0) for label in dep_by_year}

    data = _accounting_json(scenario, [])
    own = data["paths"][1]
    assert own["components"]["hardware_purchase"] == purchase and own["gpus"][3:] == [1.0] * (horizon - 3)
    a = own["accounting"]
    assert a["depreciation"] == pytest.approx(expected_dep, rel=1e-12)
    assert {y["fiscal_year"]: y["amount"] for y in a["depreciation_by_fiscal_year"]} == pytest.approx(dep_by_year)
    assert {y["fiscal_year"]: y["amount"] for y in a["capex_by_fiscal_year"]} == pytest.approx(capex_by_year)
    assert a["book_value_end"] == pytest.approx(book, abs=1e-9)
    assert own["residual_credit"] == pytest.approx(-book, abs=1e-9)

    target = tmp_path / "one.xlsx"
    _export(scenario, target, [])
    values = read_values(recalculate([target], tmp_path)[target])
    table = _month_table(values[sheet_title(1, "Own")], horizon)
    assert table["depreciation"] == pytest.approx(expected_dep, rel=1e-12, abs=1e-9)
    rows = {r[1]: r for r in values["Accounting"][3:] if r and r[0] == "Own"}
    assert {label: rows[label][4] for label in dep_by_year} == pytest.approx(dep_by_year, abs=1e-9)
    assert {label: rows[label][2] for label in dep_by_year} == pytest.approx(capex_by_year, abs=1e-9)
    assert rows["book value at the end"][5] == pytest.approx(book, abs=1e-9)
    assert _check_accounting(data, values) > 2 * horizon


def test_one_gpu_declining_balance_and_none_by_hand(tmp_path):
    """The same GPU (12,000 in month 3, 24 months): declining balance 50 % a year keeps
    12,000 · 0.5^(a/12) after a months, so month m (≥ 3) expenses 12,000 · (0.5^((m−3)/12) − 0.5^((m−2)/12))
    and 12,000 · 0.5^(21/12) = 3,567.6… is left; `none` expenses all 12,000 in month 3, nothing left."""
    scenario = tmp_path / "one.yaml"
    scenario.write_text(ONE_GPU.format(horizon=24))
    cases = {"declining": ["paths[1].serving.residual={declining_balance: 0.5}"], "none": ["paths[1].serving.residual=none"]}
    expected = {
        "declining": ([0.0] * 3 + [12_000 * (0.5 ** ((m - 3) / 12) - 0.5 ** ((m - 2) / 12)) for m in range(3, 24)],
                      12_000 * 0.5 ** (21 / 12)),
        "none": ([0.0] * 3 + [12_000.0] + [0.0] * 20, 0.0),
    }
    assert 3567 < expected["declining"][1] < 3568
    files = {}
    for key, sets in cases.items():
        files[key] = tmp_path / f"{key}.xlsx"
        _export(scenario, files[key], sets)
    copies = recalculate(list(files.values()), tmp_path)
    for key, sets in cases.items():
        dep, book = expected[key]
        a = _accounting_json(scenario, sets)["paths"][1]["accounting"]
        assert a["depreciation"] == pytest.approx(dep, rel=1e-9, abs=1e-6)
        assert a["book_value_end"] == pytest.approx(book, rel=1e-9, abs=1e-6)
        values = read_values(copies[files[key]])
        assert _month_table(values[sheet_title(1, "Own")], 24)["depreciation"] == pytest.approx(dep, rel=1e-12, abs=1e-9)
        rows = {r[1]: r for r in values["Accounting"][3:] if r and r[0] == "Own"}
        assert rows["book value at the end"][5] == pytest.approx(book, rel=1e-12, abs=1e-9)
        assert rows["FY2025"][4] == pytest.approx(dep[3], rel=1e-12)  # months 0–3 (Mar–Jun 2026)


# ------------------------------------------------------------------ Chinese labels


def _cjk(text) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text))


def test_chinese_accounting_workbook_labels_and_figures(tmp_path):
    """--lang zh --view accounting: the Accounting sheet's name, title, headers and book-value rows are
    Chinese, so are the accounting columns added to each path sheet, and the figures still match."""
    name, sets = CASES["router-owned"]
    scenario = _scenario(tmp_path, name)
    target = tmp_path / "zh.xlsx"
    _export(scenario, target, sets, "--lang", "zh")
    values = read_values(recalculate([target], tmp_path)[target])
    assert "会计视图" in values and "Accounting" not in values
    sheet = values["会计视图"]
    assert _cjk(sheet[0][0]) and "10" in sheet[0][0]  # title names the fiscal start month
    assert [h for h in sheet[2] if h] and all(_cjk(h) for h in sheet[2] if h), sheet[2]
    data = _accounting_json(scenario, sets)
    for i, p in enumerate(data["paths"]):
        rows = values[sheet_title(i, p["name"])]
        at = next(k for k, row in enumerate(rows) if row and row[0] == "month")
        keys = rows[at]
        headers = dict(zip(keys, rows[at - 1]))
        for key in ("fiscal_year", "opex", *(("depreciation",) if "depreciation" in keys else ())):
            assert _cjk(headers[key]), (p["name"], key, headers[key])
    assert sum("depreciation" in values[sheet_title(i, p["name"])][next(
        k for k, row in enumerate(values[sheet_title(i, p["name"])]) if row and row[0] == "month")]
        for i, p in enumerate(data["paths"])) == 1
    assert _check_accounting(data, values, accounting_sheet="会计视图", book_label="期末账面价值") > 90


# ------------------------------------------------------------------ editing the accounting inputs


@pytest.mark.parametrize("key,edits", [
    # 3 fiscal years (from July) become 2 (from March, the scenario's start month): a row turns blank
    ("one-gpu", {"fiscal_year_start_month": 3, "paths[1].serving.depreciation_years": 1.5}),
    ("managed-declining", {"fiscal_year_start_month": 11, "paths[4].serving.residual.declining_balance": 0.45,
                           "paths[4].serving.purchase_price": 18_000}),
])
def test_editing_accounting_inputs_matches_compare_with_set(tmp_path, key, edits):
    """fiscal_year_start_month is an input cell too: the fiscal-year labels of every month and of the
    by-year table follow it; so do depreciation's life or rate and the purchase price."""
    import openpyxl

    if key == "one-gpu":
        scenario, sets = tmp_path / "one.yaml", []
        scenario.write_text(ONE_GPU.format(horizon=24))
    else:
        name, sets = CASES[key]
        scenario = _scenario(tmp_path, name)
    target = tmp_path / "base.xlsx"
    _export(scenario, target, sets)
    wb = openpyxl.load_workbook(target)
    rows = {r[0].value: r for r in wb["Inputs"].iter_rows(min_row=2) if r[0].value}
    source = rows["fiscal_year_start_month"][3].value
    assert source == ("user input (one.yaml:8)" if key == "one-gpu" else "user input (--set)"), source
    for field_path, value in edits.items():
        assert not isinstance(rows[field_path][1].value, str), field_path  # an input, not a formula
        rows[field_path][1].value = value
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    values = read_values(recalculate([edited], tmp_path)[edited])
    sets = sets + [f"{k}={v!r}" for k, v in edits.items()]
    data = _accounting_json(scenario, sets)
    assert _check_accounting(data, values) > 60
    assert _check_accounting(_engine_data(scenario, sets), values) > 60
    month_name = MONTH_NAMES["en"][edits["fiscal_year_start_month"] - 1]
    assert values["Accounting"][0][0] == f"Accounting view (fiscal years starting in {month_name})"  # follows the input
    base = _accounting_json(scenario, sets[: len(sets) - len(edits)])
    assert ([y["fiscal_year"] for y in base["paths"][0]["accounting"]["capex_by_fiscal_year"]]
            != [y["fiscal_year"] for y in data["paths"][0]["accounting"]["capex_by_fiscal_year"]])  # the edit moved them


def test_every_bundled_scenario_accounting_view_recalculates_to_compare(tmp_path):
    """Every bundled scenario in the accounting view, fiscal years starting five months after the
    scenario's start month (so never aligned with it), month by month and by fiscal year against
    compare's JSON."""
    bundled = sorted(SCENARIOS.glob("*.yaml"))
    files, sets = {}, {}
    for scenario in bundled:
        start_month = load_scenario(scenario).start_date.month
        sets[scenario] = [f"fiscal_year_start_month={(start_month + 4) % 12 + 1}"]
        files[scenario] = tmp_path / f"{scenario.stem}.xlsx"
        _export(scenario, files[scenario], sets[scenario])
    copies = recalculate(list(files.values()), tmp_path)
    owned = 0
    for scenario in bundled:
        values = read_values(copies[files[scenario]])
        data = _accounting_json(scenario, sets[scenario])
        MAX_DIFF.clear()
        checked = _check_accounting(data, values)
        json_diff = MAX_DIFF.pop("value", 0.0)
        assert _check_accounting(_engine_data(scenario, sets[scenario]), values) == checked > 50
        owned += any(any(p["accounting"]["depreciation"]) for p in data["paths"])
        print(f"{scenario.name}: {checked} accounting figures, max relative difference "
              f"{MAX_DIFF.get('value', 0):.2e} ({json_diff:.2e} against the JSON)")
    assert owned >= 2
