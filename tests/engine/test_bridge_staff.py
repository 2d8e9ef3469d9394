"""After a failure the traffic stays on the bridge, and the bridge's staff are paid (component
`bridge_staff`): a company whose own model failed is an api shop for the rest of the horizon.

Scenario (hand-computable): 1B tokens a month, flat; the bridge "API" costs 1,750 a month in
per-token fees (750M input × 0.001/1k + 250M output × 0.004/1k), 500 a month fixed and 2,000
setup, and has two staff lines: 2 × 120k a year (20,000 a month, every month) and 1 × 60k a year
with 10 % yearly raises in months 6–17 only (5,000 · 1.1^(m/12)). "Hosted" fine-tunes (one month of
compute) and goes live in month 4 (lead time); its own staff cost 15,000 a month and its data
30,000 in month 0.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildorbuy import simulate
from buildorbuy.analysis.compare import summarise
from buildorbuy.engine.core import COMPONENTS, evaluate
from buildorbuy.engine.plan import compile_plan
from buildorbuy.scenario.loading import scenario_from_dict
from tests.engine._builders import hosted

HORIZON = 24
RATE = 0.1
LIVE = 4
BRIDGE_FEES = 1_750.0
FIXED, SETUP = 500.0, 2_000.0
OWN_STAFF, DATA = 15_000.0, 30_000.0

API = {"name": "API", "kind": "api", "price_per_1k_input": 0.001, "price_per_1k_output": 0.004,
       "fixed_fee_per_month": FIXED, "setup_fee": SETUP,
       "staff": [{"role": "integration engineer", "count": 2, "annual_cost": "120k"},
                 {"role": "part-time evaluator", "count": 1, "annual_cost": "60k", "salary_growth_per_year": 0.1,
                  "start_month": 6, "end_month": 18}]}


def bridge_staff_by_hand(month: int) -> float:
    """The bridge path's staff in `month`, computed from its two lines."""
    return 20_000.0 + (5_000.0 * 1.1 ** (month / 12) if 6 <= month < 18 else 0.0)


def discount(month: int) -> float:
    return (1 + RATE) ** (-month / 12)


def scenario(p: float = 0.5, *, hosted_path: dict | None = None, extra_paths: list[dict] | None = None,
             api: dict | None = None, bridge: str | None = "API") -> dict:
    path = hosted_path or hosted(path={"lead_time_months": LIVE, "success_probability": p,
                                       "data": {"one_off": DATA},
                                       "staff": [{"role": "ML engineer", "count": 1, "annual_cost": "180k"}]})
    data = {"name": "Bridge staff", "currency": "USD", "start": "2026-01", "horizon_months": HORIZON,
            "discount_rate": RATE,
            "workload": {"tokens_per_month": "1B", "output_share": 0.25, "growth_per_month": 0.0},
            "paths": [copy.deepcopy(api or API), path, *(extra_paths or [])]}
    if bridge is not None:
        data["bridge"] = bridge
    return data


def run(data: dict, p: float | None = None, index: int = 1):
    """compare's figures; `p` sets path `index`'s success probability as a batch value (a scenario
    file takes 0 < p ≤ 1; Monte Carlo draws 0 and 1, as here)."""
    plan = compile_plan(scenario_from_dict(data))
    result = evaluate(plan, None if p is None else {f"paths[{index}].success_probability": p})
    return summarise(plan, result)


def test_a_certain_failure_costs_what_the_bridge_costs_from_go_live_on():
    cmp = run(scenario(), p=0.0)
    api, tuned = cmp.paths
    assert tuned.live_month == LIVE
    staff = tuned.components["bridge_staff"]
    for m in range(HORIZON):
        assert staff[m] == pytest.approx(bridge_staff_by_hand(m) if m >= LIVE else 0.0, rel=1e-12), m
        if m >= LIVE:  # an api shop of the bridge: its fees, fixed fee and staff, nothing else
            assert tuned.monthly_cost[m] == pytest.approx(BRIDGE_FEES + FIXED + bridge_staff_by_hand(m), rel=1e-12), m
            assert tuned.monthly_cost[m] == pytest.approx(api.monthly_cost[m], rel=1e-12), m
    # the total: the bridge's, less its staff before go-live (the design keeps those months to the
    # bridge's fees), plus the path's own spend before go-live (its staff, data and compute)
    compute = sum(tuned.components["finetune_compute"])
    assert 0 < compute < 10  # about one GPU-hour at 2.0
    expected = (api.total_cost - LIVE * 20_000.0 + LIVE * OWN_STAFF + DATA + compute)
    assert tuned.total_cost == pytest.approx(expected, rel=1e-12)
    after = sum(bridge_staff_by_hand(m) for m in range(LIVE, HORIZON))
    assert sum(staff) == pytest.approx(after, rel=1e-12) == pytest.approx(20 * 20_000 + sum(
        5_000 * 1.1 ** (m / 12) for m in range(6, 18)), rel=1e-12)
    npv = (api.npv - sum(20_000.0 * discount(m) for m in range(LIVE)) + sum(OWN_STAFF * discount(m) for m in range(LIVE))
           + DATA + compute * discount(LIVE - 1))
    assert tuned.npv == pytest.approx(npv, rel=1e-12)
    assert tuned.opex == pytest.approx(tuned.total_cost, rel=1e-12)  # bridge staff are opex (no capex here)


def test_a_one_percent_chance_cannot_beat_the_bridge_on_the_bridges_staff():
    """The defect: a path that almost surely fails was recommended over the bridge because the bridge's
    staff were never charged after the failure."""
    cmp = run(scenario(p=0.01))
    api, tuned = cmp.paths
    assert cmp.recommendation["path"] == "API"
    assert tuned.npv > api.npv
    failed, succeeded = run(scenario(), p=0.0).paths[1], run(scenario(p=1.0)).paths[1]
    assert succeeded.npv < api.npv  # it would win if it surely worked
    assert tuned.npv == pytest.approx(0.01 * succeeded.npv + 0.99 * failed.npv, rel=1e-12)
    expected_staff = 0.99 * sum(bridge_staff_by_hand(m) * discount(m) for m in range(LIVE, HORIZON))
    assert sum(v * discount(m) for m, v in enumerate(tuned.components["bridge_staff"])) == pytest.approx(expected_staff, rel=1e-12)


def test_certain_success_is_unchanged_by_the_bridges_staff():
    """p = 1: the bridge's staff never reach another path; its figures are bit for bit those of a
    scenario whose bridge has no staff."""
    with_staff = run(scenario(p=1.0))
    no_staff = run(scenario(p=1.0, api={**API, "staff": []}))
    assert with_staff.paths[1].monthly_cost == no_staff.paths[1].monthly_cost
    assert with_staff.paths[1].npv == no_staff.paths[1].npv
    assert "bridge_staff" not in with_staff.paths[1].components
    assert not np.any(with_staff.result.components["bridge_staff"])
    assert "bridge_staff" not in with_staff.to_dict()["paths"][1]["components"]


def test_a_later_start_pays_the_bridge_staff_from_its_own_go_live_in_the_bridges_months():
    """start_month 3: go-live in month 7; the bridge's staff lines keep their own months (the bridge
    starts in month 0), so the 60k line counts in months 7–17 only."""
    path = hosted(path={"lead_time_months": LIVE, "start_month": 3, "success_probability": 0.4,
                        "staff": [{"role": "ML engineer", "count": 1, "annual_cost": "180k"}]})
    cmp = run(scenario(hosted_path=path))
    api, tuned = cmp.paths
    assert tuned.live_month == 7
    expected = [0.6 * bridge_staff_by_hand(m) if m >= 7 else 0.0 for m in range(HORIZON)]
    assert tuned.components["bridge_staff"] == pytest.approx(expected, rel=1e-12)
    failed = run(scenario(hosted_path=path), p=0.0).paths[1]
    assert failed.monthly_cost[7:] == pytest.approx(api.monthly_cost[7:], rel=1e-12)


def test_routed_paths_fail_onto_the_bridge_and_pay_its_staff_not_the_fallbacks():
    """A routed path's fallback is paid only on success; after a failure every token is the bridge's,
    so the bridge's staff are charged (a separate fallback's staff never are)."""
    frontier = {"name": "Frontier", "kind": "api", "price_per_1k_input": 0.005, "price_per_1k_output": 0.02,
                "staff": [{"role": "frontier team", "count": 3, "annual_cost": "300k"}]}
    for fallback in ("Frontier", "API"):
        path = hosted({"share": 0.7, "ramp_months": 2, "escalation_rate": 0.1, "fallback": fallback},
                      path={"lead_time_months": LIVE, "success_probability": 0.3})
        cmp = run(scenario(hosted_path=path, extra_paths=[frontier]))
        tuned = cmp.paths[1]
        assert any(tuned.components["fallback_fees"])
        assert tuned.components["bridge_staff"] == pytest.approx(
            [0.7 * bridge_staff_by_hand(m) if m >= LIVE else 0.0 for m in range(HORIZON)], rel=1e-12)
        failed = run(scenario(hosted_path=path, extra_paths=[frontier]), p=0.0).paths
        assert failed[1].monthly_cost[LIVE:] == pytest.approx(failed[0].monthly_cost[LIVE:], rel=1e-12), fallback


def test_an_api_path_that_fails_stays_on_the_bridge_with_its_staff():
    private = {"name": "Private API", "kind": "api", "price_per_1k_input": 0.0008, "price_per_1k_output": 0.003,
               "lead_time_months": 3, "success_probability": 0.5}
    cmp = run(scenario(p=1.0, extra_paths=[private]), p=0.0, index=2)
    api, private_path = cmp.paths[0], cmp.paths[2]
    assert private_path.monthly_cost[3:] == pytest.approx(api.monthly_cost[3:], rel=1e-12)
    assert private_path.components["bridge_staff"][:3] == [0.0, 0.0, 0.0]


def test_without_a_bridge_nothing_is_charged_and_the_traffic_is_unserved():
    path = hosted({"share": 0.7, "fallback": "API"}, path={"lead_time_months": LIVE, "success_probability": 0.5})
    cmp = run(scenario(hosted_path=path, bridge=None))
    assert "bridge_staff" not in cmp.paths[1].components
    assert cmp.paths[1].unserved_tokens > 0


def test_simulated_failures_pay_the_bridge_staff():
    """Monte Carlo draws the outcome per sample: every failed sample's NPV is the p = 0 figure worked
    out by hand (the bridge's NPV less its staff before go-live plus the path's own spend before it),
    every success the p = 1 figure, and the mean follows the drawn success rate."""
    data = scenario(p=0.6)
    result = simulate(scenario_from_dict(data), 4_000, 5)
    api, succeeded = run(scenario(p=1.0)).paths
    compute = sum(succeeded.components["finetune_compute"])
    failed_by_hand = (api.npv - sum(20_000.0 * discount(m) for m in range(LIVE))
                      + sum(OWN_STAFF * discount(m) for m in range(LIVE)) + DATA + compute * discount(LIVE - 1))
    npv = result.npv[:, 1]
    failed = np.isclose(npv, failed_by_hand, rtol=1e-12, atol=0)
    won = np.isclose(npv, succeeded.npv, rtol=1e-12, atol=0)
    assert np.all(failed | won)
    rate = result.paths[1].success_rate
    assert won.mean() == pytest.approx(rate, abs=1e-12)
    assert 0.55 < rate < 0.65
    assert result.paths[1].npv_mean == pytest.approx(rate * succeeded.npv + (1 - rate) * failed_by_hand, rel=1e-12)


@pytest.mark.parametrize("size", [7, 600])
def test_reduced_mode_batches_agree_with_the_full_ledger(size):
    """Sweeps evaluate p and the lead time as batches; simulate uses the reduced mode (NPV straight
    from each cost); both agree with evaluating every row alone, and the bridge staff follow p."""
    plan = compile_plan(scenario_from_dict(scenario(p=0.5)))
    rng = np.random.default_rng(3)
    p = rng.choice([0.0, 1.0, 0.25], size)
    lead = rng.choice([2.0, 4.0, 9.0, 30.0], size)  # 30: after the horizon, never charged
    batch = {"paths[1].success_probability": p, "paths[1].lead_time_months": lead}
    full = evaluate(plan, batch)
    reduced = evaluate(plan, batch, keep_components=False, year_ends=[11, 23])
    np.testing.assert_allclose(reduced.npv, full.npv, rtol=1e-13)
    staff = full.components["bridge_staff"][:, 1]
    for b in range(0, size, max(1, size // 12)):
        expected = [(1 - p[b]) * bridge_staff_by_hand(m) if m >= lead[b] else 0.0 for m in range(HORIZON)]
        np.testing.assert_allclose(staff[b], expected, rtol=1e-12)
        alone = evaluate(plan, {k: v[b : b + 1] for k, v in batch.items()})
        np.testing.assert_allclose(full.monthly_cost[b], alone.monthly_cost[0], rtol=1e-13)


def test_the_component_is_listed_and_labelled():
    from buildorbuy.render.i18n import component_label

    assert COMPONENTS[-1] == "bridge_staff"
    assert component_label("bridge_staff", "en") == "bridge staff (after failure)"
    assert "API" in component_label("bridge_staff", "zh") and "失败" in component_label("bridge_staff", "zh")


@settings(max_examples=40, deadline=None)
@given(
    p=st.floats(0.0, 1.0),
    lead=st.integers(1, 30),
    start=st.integers(0, 5),
    first=st.integers(0, 23),
    length=st.integers(0, 24),
    growth=st.floats(0.0, 0.3),
    routed=st.sampled_from([None, "API", "Frontier"]),
)
def test_a_path_is_its_success_or_the_bridge_from_go_live_on(p, lead, start, first, length, growth, routed):
    """From go-live on, any path's monthly cost is p × its success cost + (1 − p) × the bridge path's
    own cost (fees, fixed fees and staff): a failed company is an api shop of the bridge. Hence
    NPV(path) − NPV(bridge) = p·(NPV(success) − NPV(bridge)) + (1 − p)·(the months before go-live), so
    a path that is unlikely to work is never cheaper than the bridge by more than what it saves
    before go-live."""
    api = copy.deepcopy(API)
    api["staff"][1].update(start_month=first, end_month=min(HORIZON, first + length), salary_growth_per_year=growth)
    frontier = {"name": "Frontier", "kind": "api", "price_per_1k_input": 0.005, "price_per_1k_output": 0.02}
    routing = None if routed is None else {"share": 0.6, "fallback": routed}

    def path(prob: float) -> dict:
        return hosted(routing, path={"lead_time_months": lead, "start_month": start, "success_probability": prob,
                                     "staff": [{"role": "ML engineer", "count": 1, "annual_cost": "180k"}]})

    plan = compile_plan(scenario_from_dict(scenario(hosted_path=path(0.5), api=api, extra_paths=[frontier])))
    figures = {prob: evaluate(plan, {"paths[1].success_probability": prob}) for prob in (p, 0.0, 1.0)}
    now = figures[p]
    live = int(now.live_month[0, 1])
    bridge = now.monthly_cost[0, 0]
    mixed = p * figures[1.0].monthly_cost[0, 1] + (1 - p) * bridge
    np.testing.assert_allclose(now.monthly_cost[0, 1, live:], mixed[live:], rtol=1e-10, atol=1e-6)
    np.testing.assert_allclose(figures[0.0].monthly_cost[0, 1, live:], bridge[live:], rtol=1e-12, atol=1e-9)
    d = now.discount[0]
    before = float(((figures[0.0].monthly_cost[0, 1] - bridge)[:live] * d[:live]).sum())
    gap = now.npv[0, 1] - now.npv[0, 0]
    assert gap == pytest.approx(p * (figures[1.0].npv[0, 1] - now.npv[0, 0]) + (1 - p) * before, rel=1e-9, abs=1e-6)


def test_compare_and_report_say_the_bridge_staff_are_charged_after_a_failure(tmp_path):
    """The bank's own 70B model (p = 0.6, live in month 12) pays the bridge's integration engineer
    (450k a year) in months 12–35 when it fails: 0.4 × 37,500 × 24 = 360,000 CNY expected."""
    from typer.testing import CliRunner

    from buildorbuy.cli import app
    from tests.conftest import REPO

    bank = str(REPO / "scenarios" / "bank-onprem-cny.yaml")
    runner = CliRunner()
    en = runner.invoke(app, ["compare", bank, "-f", "markdown"])
    assert en.exit_code == 0, en.output
    assert ("Own 70B model: expected values at a 60% chance of success; after a failure (known at go-live, month 12) its "
            "traffic stays on Qwen private, whose fees and staff it then pays (360,000 CNY of expected bridge staff).") in en.stdout
    assert "| bridge staff (after failure) | 360,000 |" in en.stdout
    zh = runner.invoke(app, ["compare", bank, "-f", "markdown", "--lang", "zh"])
    assert zh.exit_code == 0, zh.output
    assert "流量此后由 Qwen private 承担，需支付其费用和人员（失败后过渡 API 人员期望 360,000 CNY）" in zh.stdout
    assert "| 过渡 API 人员（失败后） | 360,000 |" in zh.stdout
    data = runner.invoke(app, ["compare", bank, "-f", "json"])
    own = next(p for p in json.loads(data.stdout)["paths"] if p["name"] == "Own 70B model")
    assert sum(own["components"]["bridge_staff"]) == pytest.approx(360_000, rel=1e-12)
    assert own["components"]["bridge_staff"][:12] == [0.0] * 12 and own["components"]["bridge_staff"][12] == 15_000
