"""`simulate --estimator-error`: opt-in lognormal sampling of the calibrated `auto` estimates."""

import json
import math

import numpy as np
from tests.conftest import REPO
from typer.testing import CliRunner

from buildorbuy.analysis.compare import compare
from buildorbuy.analysis.montecarlo import simulate
from buildorbuy.cli import app
from buildorbuy.scenario.loading import load_scenario

SCENARIO = REPO / "scenarios" / "domain-model-50b.yaml"
OWN = "Own 50B domain model"


def _path(sim, name):
    i = [p.name for p in sim.paths].index(name)
    return sim.paths[i], sim.npv[:, i]


def test_off_by_default_and_reproducible():
    sc = load_scenario(SCENARIO)
    a = simulate(sc, 5000, 7)
    b = simulate(sc, 5000, 7, estimator_error=False)
    assert json.dumps(a.to_dict(), sort_keys=True, default=str) == json.dumps(b.to_dict(), sort_keys=True, default=str)
    c = simulate(sc, 5000, 7, estimator_error=True)
    d = simulate(sc, 5000, 7, estimator_error=True)
    assert np.array_equal(c.npv, d.npv)


def test_estimator_error_widens_the_path_with_auto_mfu():
    sc = load_scenario(SCENARIO)
    _, off = _path(simulate(sc, 20000, 3), OWN)
    _, on = _path(simulate(sc, 20000, 3, estimator_error=True), OWN)
    spread = lambda x: np.percentile(x, 90) - np.percentile(x, 10)  # noqa: E731
    assert spread(on) > spread(off)
    # paths without a calibrated auto estimate are untouched
    for name in ("gpt-4.1",):
        assert np.array_equal(_path(simulate(sc, 2000, 3), name)[1], _path(simulate(sc, 2000, 3, estimator_error=True), name)[1])


def test_compare_estimates_carry_the_error_factor():
    from buildorbuy.estimators.training import ERROR_FACTOR_P80

    cmp = compare(load_scenario(SCENARIO))
    own = next(p for p in cmp.paths if p.name == OWN)
    assert own.estimates["training.mfu"]["error_factor_p80"] == ERROR_FACTOR_P80
    assert "error_factor_p80" not in own.estimates.get("model.active_params", {})
    out = CliRunner().invoke(app, ["compare", str(SCENARIO), "--format", "json"])
    assert '"error_factor_p80": 1.32' in out.stdout
    table = CliRunner().invoke(app, ["compare", str(SCENARIO)], env={"COLUMNS": "250"})
    assert "×/÷1.32 at 80%" in table.stdout  # as the method text writes the factor


def test_cli_flag(tmp_path):
    runner = CliRunner()
    off = runner.invoke(app, ["simulate", str(SCENARIO), "-n", "3000", "--format", "json"])
    on = runner.invoke(app, ["simulate", str(SCENARIO), "-n", "3000", "--format", "json", "--estimator-error"])
    assert off.exit_code == 0 and on.exit_code == 0
    assert off.stdout != on.stdout
    assert "estimator_error" not in json.loads(off.stdout)
    sampled = json.loads(on.stdout)["estimator_error"]
    assert [e["field"] for e in sampled] == ["paths[2].training.mfu"]
    assert sampled[0]["sigma"] == __import__("pytest").approx(math.log(sampled[0]["error_factor_p80"]) / 1.2815515655446004, abs=1e-6)


def test_sigma_matches_the_80_percent_band():
    from buildorbuy.estimators.error_bars import sigma_from_factor

    z = np.random.default_rng(0).standard_normal(200_000)
    f = 1.32
    share = np.mean(np.abs(sigma_from_factor(f) * z) <= math.log(f))
    assert abs(share - 0.80) < 0.005


def test_no_nothing_uncertain_warning_when_estimator_error_is_sampled(tmp_path):
    """A scenario without distributions still varies under --estimator-error when it has an
    `auto` estimate: the 'every sample equals compare' warning would then be false."""
    runner = CliRunner()
    starter = tmp_path / "s.yaml"
    assert runner.invoke(app, ["init", "-o", str(starter)]).exit_code == 0
    sc = load_scenario(starter)
    off = simulate(sc, 2000, 1)
    on = simulate(sc, 2000, 1, estimator_error=True)
    assert any("nothing in the scenario is uncertain" in w for w in off.warnings)
    assert on.estimator_error  # the starter has auto estimates with calibrated error
    assert not any("nothing in the scenario is uncertain" in w for w in on.warnings)
    assert any(p.npv_p90 > p.npv_p10 for p in on.paths)
