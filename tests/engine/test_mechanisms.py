"""Each cost mechanism called directly on tiny arrays, against figures computed by hand."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from buildorbuy.engine.context import Context, OneMonth, compound, path_context, refresh_events
from buildorbuy.engine.ledger import Ledger
from buildorbuy.engine.mechanisms.api_fees import api_path_fees, managed_finetune_fees, per_token_fees
from buildorbuy.engine.mechanisms.bridge import bridge_fees, unserved_tokens
from buildorbuy.engine.mechanisms.compute import compute_costs, compute_run, late_run_warning, run_flops
from buildorbuy.engine.mechanisms.data import one_off_data, refresh_data
from buildorbuy.engine.mechanisms.owned import owned_fleet
from buildorbuy.engine.mechanisms.serving import rented_serving, serving_gpus
from buildorbuy.engine.mechanisms.staff import staff_costs
from buildorbuy.engine.plan import PathPlan
from tests.conftest import REPO

P = "paths[0]."


def make_context(tokens, output_share=0.25, cached_share=0.0, peak_to_average=1.0, **params) -> Context:
    """A context over len(tokens) months; `params` maps keys (without the paths[0]. prefix) to values."""
    tokens = np.atleast_2d(np.asarray(tokens, dtype=float))
    arrays = {P + key.replace("__", "."): np.atleast_1d(np.asarray(v, dtype=float)) for key, v in params.items()}
    arrays.setdefault(P + "success_probability", np.array([1.0]))
    workload = {"output_share": output_share, "cached_input_share": cached_share, "peak_to_average": peak_to_average}
    arrays.update({f"workload.{key}": np.array([float(v)]) for key, v in workload.items()})
    size = max(a.shape[0] for a in arrays.values())
    return Context(arrays, size, tokens.shape[1], tokens)


def make_path(ctx: Context, live=None, kind="finetune", staff_count=0):
    pc = path_context(ctx, PathPlan(index=0, name="P", kind=kind, bridge=None, staff_count=staff_count))
    if live is not None:
        pc.go_live(ctx, np.atleast_1d(np.asarray(live, dtype=float)))
    return pc


def test_per_token_fees_by_token_type_and_yearly_change():
    # 1M tokens: 250k output, 750k input of which 20 % (150k) cached.
    ctx = make_context([1e6] * 13, cached_share=0.2, price_per_1k_input=0.002, price_per_1k_cached_input=0.0005,
                       price_per_1k_output=0.008, price_change_per_year=-0.5)
    fees = per_token_fees(ctx, P, P + "price_change_per_year")
    month0 = 600 * 0.002 + 150 * 0.0005 + 250 * 0.008  # 1.2 + 0.075 + 2.0
    assert fees[0, 0] == pytest.approx(3.275, rel=1e-12) == month0
    assert fees[0, 12] == pytest.approx(3.275 * 0.5, rel=1e-12)
    assert fees[0, 6] == pytest.approx(3.275 * 0.5**0.5, rel=1e-12)


def test_api_path_fees_only_once_live_and_weighted_by_success():
    ctx = make_context([1.0] * 4, success_probability=[1.0, 0.25])
    pc = make_path(ctx, live=[2, 1], kind="api")
    fees = api_path_fees(ctx, pc, np.full((1, 4), 100.0))["api_fees"]
    assert fees.tolist() == [[0, 0, 100, 100], [0, 25, 25, 25]]


def test_managed_finetune_switches_fees_and_charges_runs_and_hosting():
    ctx = make_context([1e6] * 6, price_change_per_year=0.0, managed_finetune__price_per_1k_input=0.004,
                       managed_finetune__price_per_1k_cached_input=0.004, managed_finetune__price_per_1k_output=0.01,
                       managed_finetune__training_tokens=2e6, managed_finetune__epochs=3,
                       managed_finetune__price_per_1m_training_tokens=10, managed_finetune__hosting_fee_per_hour=2,
                       success_probability=0.5)
    pc = make_path(ctx, live=1, kind="api")
    events = refresh_events(ctx.months, pc.live, np.array([2.0]))  # months 3 and 5
    costs = managed_finetune_fees(ctx, pc, np.full((1, 6), 7.0), events)
    tuned = 750 * 0.004 + 250 * 0.01  # 5.5
    # Before go-live all on the base model; after, half base (failure) and half tuned (success).
    assert costs["api_fees"][0].tolist() == pytest.approx([7.0] + [0.5 * 7 + 0.5 * tuned] * 5)
    run = 2 * 3 * 10  # 60 per run: at go-live in full, at refreshes weighted by p
    hosting = 0.5 * 2 * 730
    assert costs["managed_finetune"][0].tolist() == pytest.approx([0, run + hosting, hosting, 0.5 * run + hosting,
                                                                    hosting, 0.5 * run + hosting])


def test_bridge_fees_before_go_live_and_after_a_failure():
    ctx = make_context([10.0] * 4, success_probability=0.8)
    pc = make_path(ctx, live=2)
    assert bridge_fees(ctx, pc, np.full((1, 4), 50.0))["bridge_fees"][0].tolist() == pytest.approx([50, 50, 10, 10])
    assert unserved_tokens(ctx, pc)[0].tolist() == pytest.approx([10, 10, 2, 2])


def test_run_flops_for_build_and_finetune():
    ctx = make_context([1.0], model__active_params=1e9, model__training_tokens=2e10, finetune__tokens=1e6, finetune__epochs=2)
    pc = make_path(ctx)
    assert run_flops(ctx, pc, "training", 999.0)[0] == 6 * 1e9 * 2e10
    assert run_flops(ctx, pc, "finetune", 4.0)[0] == 4 * 1e9 * 1e6 * 2


def test_compute_run_gpu_hours_wall_clock_and_go_live():
    # 3.6e21 FLOPs at 1e15 · 0.5 → 2000 GPU-hours, × overhead 1.5 = 3000; on 2 GPUs at goodput 0.5 → 3000 h
    # wall-clock = 4.1 months → 5 months, later than the 3-month lead time.
    ctx = make_context([1.0] * 12, training__mfu=0.5, training__experiment_overhead=1.5, training__goodput=0.5,
                       training__gpus=2, training__gpu_hour_price=2.0, training__refresh_months=4, lead_time_months=3)
    pc = make_path(ctx, kind="build")
    run = compute_run(ctx, pc, "training", np.array([3.6e21]), 1e15)
    assert run.gpu_hours[0] == pytest.approx(3000)
    assert run.wall_hours[0] == pytest.approx(3000)
    assert run.run_months[0] == 5 and run.lead[0] == 3 and run.live[0] == 5
    assert run.run_cost[0] == pytest.approx(6000)
    assert np.flatnonzero(run.refreshes[0]).tolist() == [9]
    assert late_run_warning("Own", run) == ("Own: training takes 4.1 months of wall-clock, longer than "
                                            "lead_time_months 3; go-live moved to month 5")


def test_compute_run_finetune_ignores_overhead_and_goodput():
    ctx = make_context([1.0] * 3, finetune__mfu=0.5, finetune__gpus=1, finetune__gpu_hour_price=1.0, lead_time_months=2,
                       training__experiment_overhead=9, training__goodput=0.1)
    run = compute_run(ctx, make_path(ctx), "finetune", np.array([1.8e21]), 1e15)
    assert run.gpu_hours[0] == pytest.approx(1000) and run.run_months[0] == 2 and run.live[0] == 2
    assert run.refreshes is None and late_run_warning("FT", run) is None


def test_compute_costs_spread_before_go_live_and_refreshes_weighted():
    ctx = make_context([1.0] * 8, finetune__mfu=1.0, finetune__gpus=1, finetune__gpu_hour_price=1.0,
                       finetune__refresh_months=3, lead_time_months=3, success_probability=0.5)
    pc = make_path(ctx)
    run = compute_run(ctx, pc, "finetune", np.array([1e15 * 3600 * 900]), 1e15)  # 900 GPU-hours: 2 months
    pc.go_live(ctx, run.live)
    costs = compute_costs(ctx, pc, run)["finetune_compute"][0]
    assert costs.tolist() == pytest.approx([0, 450, 450, 0, 0, 0, 450, 0])


def test_serving_gpus_whole_replicas_plus_redundancy_from_go_live():
    # Peak 2 · 3.942e9 / (730·3600) = 3000 tokens/s; 500 · 0.6 · 4 = 1200 per replica → 3 replicas,
    # + 1 redundant = 4 replicas of 4 GPUs.
    ctx = make_context([3.942e9, 0.0, 3.942e9], peak_to_average=2, serving__gpus_per_replica=4,
                       serving__tokens_per_second_per_gpu=500, serving__target_utilization=0.6, serving__redundancy=1)
    pc = make_path(ctx, live=1)
    out = np.zeros((1, 3))
    gpus = serving_gpus(ctx, pc, out=out)
    assert gpus is out
    assert gpus[0].tolist() == [0, 8, 16]  # idle month: still one replica, plus the redundant one


def test_rented_serving_rent_with_yearly_price_change():
    ctx = make_context([1.0] * 13, serving__gpu_hour_price=2.0, serving__gpu_hour_price_change_per_year=-0.1,
                       success_probability=0.5)
    pc = make_path(ctx, live=0)
    rent = rented_serving(ctx, pc, np.full((1, 13), 3.0))["serving_rent"][0]
    assert rent[0] == pytest.approx(0.5 * 3 * 730 * 2.0)
    assert rent[12] == pytest.approx(0.5 * 3 * 730 * 2.0 * 0.9)


def test_owned_fleet_purchases_running_costs_and_residual():
    # 12-month horizon; 2 GPUs from month 0, 3 from month 6, back to 1 in month 9 (never sold).
    ctx = make_context([1.0] * 12, serving__purchase_price=1000, serving__server_overhead=0.5,
                       serving__hosting_per_gpu_month=10, serving__tdp_watts=500, serving__pue=2,
                       serving__power_price_per_kwh=0.1, serving__depreciation_years=2)
    pc = make_path(ctx, live=0)
    gpus = np.array([[2.0] * 6 + [3.0] * 3 + [1.0] * 3])
    costs = owned_fleet(ctx, pc, gpus)
    assert costs["hardware_purchase"][0].tolist() == [3000] + [0] * 5 + [1500] + [0] * 5
    per_gpu = 10 + 0.5 * 2 * 730 * 0.1  # 83
    assert costs["power_and_hosting"][0].tolist() == pytest.approx([2 * per_gpu] * 6 + [3 * per_gpu] * 6)
    # Bought in month 0: 1 year old at the end → half its value left; month 6: 0.5 years → 3/4.
    credit = costs["residual_credit"]
    assert isinstance(credit, OneMonth) and credit.month == 11
    assert credit.values.tolist() == pytest.approx([-(3000 * 0.5 + 1500 * 0.75)])


def test_owned_fleet_without_power_figures_and_weighted_by_success():
    ctx = make_context([1.0] * 2, serving__purchase_price=100, serving__server_overhead=0,
                       serving__hosting_per_gpu_month=5, serving__power_price_per_kwh=0.2,
                       serving__depreciation_years=1, success_probability=0.4)
    costs = owned_fleet(ctx, make_path(ctx, live=0), np.array([[1.0, 1.0]]))
    assert costs["hardware_purchase"][0].tolist() == pytest.approx([40, 0])
    assert costs["power_and_hosting"][0].tolist() == pytest.approx([2, 2])  # no TDP: hosting only
    assert costs["residual_credit"].values.tolist() == pytest.approx([-0.4 * 100 * (1 - 2 / 12)])


def test_staff_costs_window_growth_and_failure():
    ctx = make_context([1.0] * 24, **{
        "staff[0]__count": 2, "staff[0]__annual_cost": 120_000, "staff[0]__salary_growth_per_year": 0.1,
        "staff[0]__start_month": 0, "staff[0]__end_month": 24,
        "staff[1]__count": 1, "staff[1]__annual_cost": 60_000, "staff[1]__salary_growth_per_year": 0,
        "staff[1]__start_month": 6, "staff[1]__end_month": 12,
        "success_probability": 0.5,
    })
    pc = make_path(ctx, live=12, staff_count=2)
    staff = staff_costs(ctx, pc, 2)["staff"][0]
    assert staff[0] == pytest.approx(20_000)
    assert staff[6] == pytest.approx(20_000 * 1.1**0.5 + 5_000)
    assert staff[12] == pytest.approx(0.5 * 20_000 * 1.1)  # after go-live, only if the path succeeds
    assert staff_costs(ctx, pc, 0) == {}


def test_data_one_off_in_month_zero_and_per_refresh_weighted():
    ctx = make_context([1.0] * 5, data__one_off=300, data__per_refresh=40, success_probability=0.25)
    pc = make_path(ctx, live=1)
    one_off = one_off_data(ctx, pc)["data"]
    assert one_off.month == 0 and one_off.values.tolist() == [300]
    refreshes = refresh_events(ctx.months, pc.live, np.array([2.0]))
    assert refresh_data(ctx, pc, refreshes)["data"][0].tolist() == [0, 0, 0, 10, 0]
    assert refresh_data(ctx, pc, None) == {}
    assert one_off_data(make_context([1.0], data__one_off=0), pc) == {}


def test_workload_shares_and_peak():
    ctx = make_context([7.3e9 * 36, 0.0], output_share=0.2, cached_share=0.5, peak_to_average=3)
    assert ctx.output[0].tolist() == pytest.approx([0.2 * 7.3e9 * 36, 0])
    assert ctx.inputs[0, 0] == pytest.approx(0.8 * 7.3e9 * 36) and ctx.cached[0, 0] == pytest.approx(0.4 * 7.3e9 * 36)
    assert ctx.peak_tokens_per_second[0].tolist() == pytest.approx([3e5, 0])  # 2.628e11 / 2.628e6 s · 3


def test_compound_is_the_power():
    rates = np.array([[-0.3], [0.0], [0.5]])
    periods = np.arange(25.0)[None, :] / 12
    assert compound(rates, periods) == pytest.approx((1 + rates) ** periods, rel=1e-14)


def test_refresh_events_per_batch_period():
    months = np.arange(10, dtype=float)
    mask = refresh_events(months, np.array([2.0, 3.0]), np.array([3.0, 5.0]))
    assert [np.flatnonzero(row).tolist() for row in mask] == [[5, 8], [8]]
    assert refresh_events(months, np.array([2.0]), None) is None
    # One period for the batch (a table look-up), go-live before, inside and past the horizon.
    shared = refresh_events(months, np.array([0.0, 4.0, 9.0, 25.0]), np.array([4.0]))
    assert [np.flatnonzero(row).tolist() for row in shared] == [[4, 8], [8], [], []]


def test_ledger_sums_shared_and_batched_parts_capex_and_single_months():
    for keep in (True, False):
        ledger = Ledger(size=2, n_paths=1, horizon=3, keep_components=keep)
        ledger.add(0, {"hardware_purchase": np.array([[100.0, 0, 0]]), "staff": np.array([[1.0, 1, 1], [2, 2, 2]])})
        ledger.add(0, {"staff": np.array([[1.0, 0, 0]]), "residual_credit": OneMonth(2, np.array([-30.0, -40.0]))})
        ledger.add(0, {"data": OneMonth(0, np.array([5.0]))})
        ledger.flush(0)
        assert ledger.monthly_by_path[0].tolist() == [[107, 1, -29], [108, 2, -38]]
        assert ledger.capex[:, 0].tolist() == [100, 100] and ledger.residual[:, 0].tolist() == [-30, -40]
        assert bool(ledger.parts["staff"]) == keep


def test_no_engine_function_is_longer_than_80_lines():
    """DESIGN §1: the engine stays readable, one short function per cost mechanism."""
    long = []
    for path in sorted((REPO / "src" / "buildorbuy" / "engine").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > 80:
                    long.append(f"{path.name}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, long


def test_a_short_run_with_no_lead_time_is_said_in_days_not_zero_months():
    ctx = make_context([1.0] * 3, finetune__mfu=0.5, finetune__gpus=1, finetune__gpu_hour_price=1.0, lead_time_months=0)
    run = compute_run(ctx, make_path(ctx), "finetune", np.array([1.8e19]), 1e15)  # 10 GPU-hours
    assert run.live[0] == 1
    assert late_run_warning("FT", run) == ("FT: finetune takes under a day of wall-clock; go-live moved to month 1 "
                                           "because compute must finish first (lead_time_months 0)")
    run = compute_run(ctx, make_path(ctx), "finetune", np.array([1.8e20 * 5]), 1e15)  # 500 GPU-hours: 20.8 days
    assert late_run_warning("FT", run).startswith("FT: finetune takes 21 days of wall-clock; go-live moved to month 1")
