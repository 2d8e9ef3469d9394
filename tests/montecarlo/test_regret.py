"""Expected regret: never reported for a path that is never a choice (an infeasible path's NPV is no regret)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from buildorbuy import load_scenario, simulate
from buildorbuy.cli import app
from tests.conftest import SCENARIOS

BANK = next(s for s in SCENARIOS if s.name == "bank-onprem-cny.yaml")


def test_a_never_recommendable_path_has_no_expected_regret_and_the_others_none_negative():
    sim = simulate(load_scenario(BANK), samples=2_000, seed=7)
    by_name = {p.name: p for p in sim.paths}
    infeasible = by_name["Qwen-Plus public API"]  # public API under an on-prem rule: never recommendable
    assert infeasible.recommendable_probability == 0
    assert infeasible.expected_regret is None  # it was −5.7M: its NPV is below every feasible path's
    for p in sim.paths:
        if p.recommendable_probability == 1:
            assert p.expected_regret is not None and p.expected_regret >= 0, p.name


def test_the_cli_json_says_null_for_it():
    result = CliRunner().invoke(app, ["simulate", str(BANK), "-n", "1000", "--format", "json"])
    assert result.exit_code == 0, result.output
    paths = {p["name"]: p for p in json.loads(result.stdout)["paths"]}
    assert paths["Qwen-Plus public API"]["expected_regret"] is None


def test_compare_breakeven_table_leaves_out_infeasible_paths():
    """The bank must stay on-prem: its public API is no choice, so no row says a path 'stays above' it."""
    from buildorbuy import compare
    from buildorbuy.render.compare_views import breakeven_rows

    cmp = compare(load_scenario(BANK))
    infeasible = [p.name for p in cmp.paths if not p.feasible]
    assert infeasible == ["Qwen-Plus public API"]
    _, rows = breakeven_rows(cmp)
    assert rows and not [row for row in rows if set(row[:2]) & set(infeasible)]
    assert any(e["a"] in infeasible or e["b"] in infeasible for e in cmp.breakeven)  # the data keeps every pair
