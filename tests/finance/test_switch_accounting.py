"""IRR and payback of switching, and the accounting view (DESIGN §2b)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from buildorbuy.analysis.compare import compare
from buildorbuy.analysis.finance import annual_rate, depreciation, fiscal_years, irr_monthly, payback_months
from buildorbuy.cli import app
from buildorbuy.scenario.loading import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
runner = CliRunner()


def _json(*args: str) -> dict:
    res = runner.invoke(app, ["compare", *args, "-f", "json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


# ----------------------------------------------------------------------------- IRR


def test_irr_matches_numpy_financial_on_engine_flows():
    cmp = compare(load_scenario(SCENARIOS / "uncertain-enterprise.yaml"))
    checked = 0
    for p in cmp.paths:
        if p.switch is None or p.switch["irr"] is None:
            continue
        api = next(q for q in cmp.paths if q.name == p.switch["against"])
        flows = np.array(api.monthly_cost) - np.array(p.monthly_cost)
        expected = (1 + npf.irr(flows)) ** 12 - 1
        assert p.switch["irr"] == pytest.approx(expected, rel=1e-6)
        checked += 1
    assert checked == 2


def test_irr_hand_computed():
    # −100 now, +110 in a month: 10 % a month, (1.1)^12 − 1 a year.
    rate, reasons = irr_monthly(np.array([[-100.0, 110.0], [-100.0, 0.0]]))
    assert rate[0] == pytest.approx(0.1, rel=1e-12) and reasons[0] is None
    assert annual_rate(rate[:1])[0] == pytest.approx(1.1**12 - 1, rel=1e-12)
    assert np.isnan(rate[1]) and "never cheaper" in reasons[1]


def test_irr_undefined_cases_say_why():
    # Always saving: no outlay to pay back.
    rate, reasons = irr_monthly(np.array([[5.0, 5.0, 5.0]]))
    assert np.isnan(rate[0]) and "every month" in reasons[0]
    # −1, +2.3, −1.32 has two IRRs, 10 % and 20 %: neither is reported.
    rate, reasons = irr_monthly(np.array([[-1.0, 2.3, -1.32]]))
    assert np.isnan(rate[0]) and "2 IRRs" in reasons[0]
    assert npf.irr([-1.0, 2.3, -1.32]) == pytest.approx(0.1)  # numpy-financial picks one silently


@settings(max_examples=60, deadline=None)
@given(outlay=st.lists(st.floats(10, 1e6), min_size=1, max_size=6),
       returns=st.lists(st.floats(1, 1e6), min_size=2, max_size=60))
def test_irr_agrees_with_numpy_financial_for_one_sign_change(outlay, returns):
    flows = np.array([-x for x in outlay] + returns)
    expected = npf.irr(flows)
    rate, reasons = irr_monthly(flows[None, :])
    if -0.5 < expected < 10.0:
        assert reasons[0] is None
        assert rate[0] == pytest.approx(expected, rel=1e-7, abs=1e-10)
        assert abs(npf.npv(rate[0], flows)) <= 1e-6 * np.abs(flows).sum()
    else:
        assert np.isnan(rate[0])


def test_irr_is_vectorised_over_rows():
    flows = np.array([[-100.0, 60.0, 60.0], [-100.0, 110.0, 0.0], [-50.0, 10.0, 60.0]])
    rate, _ = irr_monthly(flows)
    for row, value in zip(flows, rate):
        assert value == pytest.approx(npf.irr(row), rel=1e-9)


def test_payback_month_hand_computed():
    savings = np.array([[-100.0, 30.0, 30.0, 50.0, -20.0, 30.0], [-1.0, -1.0, 0.0, 0.0, 0.0, 0.0], [1.0] * 6])
    discount = np.ones((3, 6))
    # cumulative: −100, −70, −40, 10, −10, 20 → stays ≥ 0 from month 5
    assert payback_months(savings, discount).tolist() == [5, -1, 0]
    # with discounting month 3's 50 → 40: cumulative −100, −70, −40, 0, −20, 10 → month 5
    discount = np.array([[1, 1, 1, 0.8, 1, 1]] * 3, dtype=float)
    assert payback_months(savings, discount)[0] == 5


def test_switch_in_json_only_for_self_hosted_paths():
    data = _json(str(SCENARIOS / "uncertain-enterprise.yaml"))
    by_name = {p["name"]: p for p in data["paths"]}
    assert "switch" not in by_name["gpt-4o"]
    rented = by_name["Llama 3.3 70B, rented H100"]["switch"]
    # 18: the bridge's staff after a failure (17.5 % of the outcomes) cut the expected saving (17 without them)
    assert rented["against"] == "gpt-4o" and rented["irr"] > 0 and rented["payback_month"] == 18
    for p in data["paths"]:
        assert "accounting" not in p
    undefined = [p["switch"] for p in _json(str(SCENARIOS / "domain-model-50b.yaml"))["paths"]
                 if p.get("switch") and p["switch"]["irr"] is None]
    assert undefined and all(s["reason"] for s in undefined)


def test_switch_against_cheapest_api_path_without_bridge():
    data = _json(str(SCENARIOS / "domain-model-50b.yaml"))
    api = [p for p in data["paths"] if p["kind"] == "api"]
    cheapest = min(api, key=lambda p: p["npv"])["name"]
    assert all(p["switch"]["against"] == cheapest for p in data["paths"] if p["kind"] != "api")


def test_switch_table_in_compare_output():
    res = runner.invoke(app, ["compare", str(SCENARIOS / "uncertain-enterprise.yaml"), "-f", "markdown"])
    assert res.exit_code == 0
    assert "Switching from an api path" in res.stdout and "| month 17 |" in res.stdout
    res = runner.invoke(app, ["compare", str(SCENARIOS / "uncertain-enterprise.yaml"), "--lang", "zh"])
    assert res.exit_code == 0 and "折现回收期" in res.stdout


# ----------------------------------------------------------------------------- accounting view


def test_depreciation_straight_line_hand_computed():
    purchases = np.zeros(36)
    purchases[0], purchases[24] = 1200.0, 600.0
    share = np.clip(1 - np.arange(37) / 12 / 2.0, 0, 1)  # two years
    dep = depreciation(purchases, share)
    assert dep[:24] == pytest.approx([50.0] * 24)  # 1200 over 24 months
    assert dep[24:] == pytest.approx([25.0] * 12)  # the first GPU is written off, 600 / 24 for the second
    assert purchases.sum() - dep.sum() == pytest.approx(300.0)  # the second has a year left


def test_fiscal_years_follow_the_start_month():
    labels, index = fiscal_years(2026, 1, 24, 4)
    assert labels == ["FY2025", "FY2026", "FY2027"]
    assert index.tolist() == [0] * 3 + [1] * 12 + [2] * 9
    labels, index = fiscal_years(2026, 1, 12, 1)
    assert labels == ["FY2026"] and set(index.tolist()) == {0}


def test_accounting_view_keeps_cash_figures_and_reconciles():
    cash = _json(str(SCENARIOS / "uncertain-enterprise.yaml"))
    acc = _json(str(SCENARIOS / "uncertain-enterprise.yaml"), "--view", "accounting", "--set", "fiscal_year_start_month=4")
    for before, after in zip(cash["paths"], acc["paths"]):
        assert {k: v for k, v in after.items() if k != "accounting"} == before
        a = after["accounting"]
        assert len(a["depreciation"]) == cash["scenario"]["horizon_months"]
        expense = sum(y["amount"] for y in a["expense_by_fiscal_year"])
        assert expense == pytest.approx(before["total_cost"], rel=1e-9, abs=1e-3)
        assert sum(y["amount"] for y in a["capex_by_fiscal_year"]) == pytest.approx(before["capex"], abs=1e-3)
        assert a["book_value_end"] == pytest.approx(-before["residual_credit"], rel=1e-9, abs=1e-3)
        assert a["capex_by_fiscal_year"][0]["fiscal_year"] == "FY2025"  # starts 2026-01, fiscal year from April
    owned = next(p for p in acc["paths"] if "own" in p["name"])
    assert owned["accounting"]["book_value_end"] > 0


def test_fiscal_year_start_month_is_validated():
    res = runner.invoke(app, ["compare", str(SCENARIOS / "uncertain-enterprise.yaml"), "--set", "fiscal_year_start_month=13"])
    assert res.exit_code == 2 and "fiscal_year_start_month" in res.output


def test_report_shows_switching_and_the_accounting_view(tmp_path):
    target = tmp_path / "plan.md"
    res = runner.invoke(app, ["report", str(SCENARIOS / "uncertain-enterprise.yaml"), "-o", str(target),
                              "--view", "accounting"])
    assert res.exit_code == 0, res.output
    text = target.read_text()
    assert "Switching from an api path" in text and "Accounting view (fiscal years starting in January)" in text
    assert "book value at the end" in text


@settings(max_examples=80, deadline=None)
@given(purchases=st.lists(st.floats(0, 1e7), min_size=1, max_size=48),
       years=st.floats(0.25, 10), rate=st.floats(0.01, 0.99), method=st.sampled_from(["straight", "declining", "none"]))
def test_depreciation_plus_book_value_is_the_purchases(purchases, years, rate, method):
    """Whatever the method, each purchase is either depreciated within the horizon or left as book value."""
    values = np.array(purchases)
    ages = np.arange(len(values) + 1, dtype=float)
    share = {"straight": np.clip(1 - ages / 12 / years, 0, 1), "declining": (1 - rate) ** (ages / 12),
             "none": (ages == 0).astype(float)}[method]
    dep = depreciation(values, share)
    assert np.all(dep >= -1e-6)
    book = sum(p * share[len(values) - k] for k, p in enumerate(values))  # the engine's residual share at the horizon
    assert dep.sum() + book == pytest.approx(values.sum(), rel=1e-9, abs=1e-6)
