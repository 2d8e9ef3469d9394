"""A path that goes live only after the horizon has no break-even month, in the JSON and the workbook."""

from __future__ import annotations

from buildorbuy.analysis.compare import compare
from buildorbuy.scenario.loading import load_scenario
from tests.conftest import SCENARIOS
from tests.finance.recalc import read_values, recalculate
from tests.finance.test_export import _check, _export

SCENARIO = next(p for p in SCENARIOS if p.name == "enterprise-support.yaml")


def test_a_path_live_after_the_horizon_breaks_even_never():
    cmp = compare(load_scenario(SCENARIO, ["paths[1].start_month=36"]))
    assert cmp.paths[1].live_month >= cmp.scenario.horizon
    assert [e["month"] for e in cmp.breakeven] == [None, None]  # was month 0 for the path that never serves
    assert cmp.recommendation["reason_parts"]["breakeven_month"] is None


def test_the_workbook_says_never_for_a_path_live_after_the_horizon(tmp_path):
    target = tmp_path / "late.xlsx"
    _export(SCENARIO, target, "--set", "paths[1].start_month=36")
    copies = recalculate([target], tmp_path)
    cmp = compare(load_scenario(SCENARIO, ["paths[1].start_month=36"]))
    assert _check(cmp, read_values(copies[target])) > 100
    from tests.finance.test_export_cached import _check_cached

    _check_cached(target, copies[target])  # the cached "never" is what LibreOffice computes
