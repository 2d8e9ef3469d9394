"""The accuracy targets, asserted on the calibration data shipped in the package (deterministic)."""

import math

import numpy as np
import pytest

from buildorbuy.estimators import calibration as cal
from buildorbuy.estimators import finetune as ft
from buildorbuy.estimators import serving as sv
from buildorbuy.estimators import training as tr


@pytest.fixture(scope="module")
def points():
    return cal.training_points()


def test_scored_runs_exclude_budgets_and_tpus(points):
    assert "BloombergGPT" not in points.names
    assert not any("PaLM" in n or "Gopher" in n for n in points.names)
    assert len(points.names) == 14


def test_training_fit_meets_target(points):
    s = cal.score(cal.predict_training_hours(points, tr.MFU_MAX, tr.OVERHEAD), points.gpu_hours)
    assert s.median_abs_log_ratio <= 0.15
    assert s.share_within >= 0.8


def test_training_beats_constant_baseline(points):
    fit = cal.score(cal.predict_training_hours(points, tr.MFU_MAX, tr.OVERHEAD), points.gpu_hours)
    base = cal.score(cal.constant_mfu_hours(points, 0.4), points.gpu_hours)
    assert base.median_abs_log_ratio == pytest.approx(0.286, abs=0.005)
    assert fit.median_abs_log_ratio < base.median_abs_log_ratio
    assert fit.share_within > base.share_within


def test_training_leave_one_out(points):
    s = cal.score(cal.leave_one_out_training(points), points.gpu_hours)
    assert s.median_abs_log_ratio <= 0.15
    assert s.share_within >= 0.8


def test_shipped_constants_are_the_fit(points):
    m, c = cal.fit_training(points)
    assert tr.MFU_MAX == pytest.approx(m, abs=0.0025)
    assert tr.OVERHEAD == pytest.approx(c, rel=0.01)


def test_out_of_sample_runs_within_1_5x():
    val = cal.training_points(cal.calibration_data().validation_runs)
    ratio = cal.predict_training_hours(val, tr.MFU_MAX, tr.OVERHEAD) / val.gpu_hours
    assert np.all(np.abs(np.log(ratio)) <= math.log(1.5))


def test_training_mfu_matches_calibration_equation(points):
    from buildorbuy.catalog.gpus import get_gpu

    gpu = get_gpu("h100")
    hours = tr.training_gpu_hours(tr.training_flops(8e9, 15e12), gpu, tr.training_mfu(gpu, 8e9, 15e12))
    assert hours == pytest.approx(1.37e6, rel=0.01)


def test_serving_meets_target():
    """Issue target: per-GPU output throughput within 1.5× on ≥ 85 % of the shipped configurations,
    and on every vendor group separately."""
    pts = cal.serving_points()
    pred, _ = cal.predict_serving(pts)
    s = cal.score(pred, pts.reported_per_gpu)
    assert s.count >= 400
    assert s.share_within >= 0.85
    groups = np.array(pts.groups("vendor"))
    assert set(groups) == {"NVIDIA NVLink", "NVIDIA PCIe", "AMD"}
    for g in set(groups):
        assert cal.score(pred[groups == g], pts.reported_per_gpu[groups == g]).share_within >= 0.85, g


def test_serving_constants_are_the_fit():
    """The shipped constants are what the fit returns from its fixed start (refit and compare)."""
    assert cal.fit_serving(cal.serving_points()) == pytest.approx(cal.serving_constants(), rel=1e-9, abs=1e-12)


def test_serving_fit_is_a_minimum_on_its_grid():
    """Moving any fitted constant one grid step either way does not lower the loss."""
    pts = cal.serving_points()
    base = cal.serving_constants()
    loss = cal._serving_loss(pts, None, base)
    for i, grid in enumerate(cal.SERVING_GRIDS):
        k = int(np.argmin(np.abs(grid - base[i])))
        for j in (k - 1, k + 1):
            if 0 <= j < grid.size:
                trial = list(base)
                trial[i] = grid[j]
                assert cal._serving_loss(pts, None, trial) >= loss - 1e-9


def test_serving_residuals_cover_every_point():
    res = cal.serving_residuals()
    pts = cal.serving_points()
    assert len(res) == len(pts.labels)
    assert {r.vendor_group for r in res} == {"NVIDIA NVLink", "NVIDIA PCIe", "AMD"}
    r0 = res[0]
    assert r0.log_ratio == pytest.approx(np.log(r0.predicted_per_gpu / r0.reported_per_gpu))
    assert r0.reported_per_gpu == pytest.approx(pts.reported_per_gpu[0])


def test_finetune_runs_within_1_5x():
    runs = cal.scored_finetune_runs()
    assert len(runs) >= 2
    s = cal.score(cal.finetune_hours(runs), [r.gpu_hours for r in runs])
    assert s.share_within == 1.0
    assert ft.JOB_EFFICIENCY["full"] == pytest.approx(cal.fit_finetune(runs), rel=0.01)


def test_serving_latency_checks():
    """Not fitted: throughput at NIM's published time per output token; rises with the target."""
    checks = cal.serving_latency_checks()
    assert len(checks) >= 4
    ratios = [pred / (c.output_tokens_per_second / c.gpus) for c, pred in checks]
    assert sum(1 / 1.5 <= r <= 1.5 for r in ratios) >= len(ratios) - 1
    ordered = sorted(checks, key=lambda cp: cp[0].time_per_output_token_ms)
    assert all(a[1] < b[1] for a, b in zip(ordered, ordered[1:]))
