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


def test_scored_runs_exclude_distillation_and_tpus(points):
    assert "Llama 3.2 1B" not in points.names and "Llama 3.2 3B" not in points.names
    assert not any("PaLM" in n or "Gopher" in n for n in points.names)
    assert {"TinyLlama 1.1B", "SmolLM3 3B", "DeepSeek-V3 (MoE)", "Falcon-180B"} <= set(points.names)
    assert len(points.names) == 27


@pytest.fixture(scope="module")
def loo(points):
    return cal.leave_one_out_training(points)


def test_training_fit_meets_target(points):
    s = cal.score(cal.predict_with(points, cal.shipped_training_fit()), points.gpu_hours)
    assert s.median_abs_log_ratio <= 0.12
    assert s.share_within >= 0.85


def test_training_beats_constant_baseline(points):
    fit = cal.score(cal.predict_with(points, cal.shipped_training_fit()), points.gpu_hours)
    base = cal.score(cal.constant_mfu_hours(points, 0.4), points.gpu_hours)
    assert fit.median_abs_log_ratio < base.median_abs_log_ratio
    assert fit.share_within > base.share_within


def test_training_leave_one_out_meets_target(points, loo):
    s = cal.score(loo, points.gpu_hours)
    assert s.median_abs_log_ratio <= 0.12
    assert s.share_within >= 0.85


def test_shipped_constants_are_the_fit(points):
    assert cal.fit_training(points) == cal.shipped_training_fit()


def test_training_error_factor_is_the_leave_one_out_spread(points, loo):
    assert tr.ERROR_FACTOR_P80 == pytest.approx(cal.error_factor_p80(np.log(loo / points.gpu_hours)), abs=0.005)


def test_out_of_sample_runs_within_1_5x():
    val = cal.training_points(cal.calibration_data().validation_runs)
    ratio = cal.predict_with(val, cal.shipped_training_fit()) / val.gpu_hours
    assert np.all(np.abs(np.log(ratio)) <= math.log(1.5))


def test_training_mfu_matches_calibration_equation(points):
    from buildorbuy.catalog.gpus import get_gpu

    gpu = get_gpu("h100")
    hours = tr.training_gpu_hours(tr.training_flops(8e9, 15e12), gpu, tr.training_mfu(gpu, 8e9, 15e12))
    k = points.names.index("Llama 3 8B")
    assert hours == pytest.approx(cal.predict_with(points, cal.shipped_training_fit())[k], rel=1e-9)


def test_training_mfu_hand_computed():
    """Each term against a hand computation (H100: s = 989/312)."""
    from buildorbuy.catalog.gpus import get_gpu

    gpu = get_gpu("h100")
    s = 989 / 312
    x = 0.144544 * s * (15e12 / 1e12) ** 0.45 * (10e9 / 8e9) ** 0.2
    assert tr.training_mfu(gpu, 8e9, 15e12) == pytest.approx(0.53 / (1 + x), rel=1e-12)
    # MoE all-to-all: 37B active of 671B total
    x = 0.144544 * s * 14.8 ** 0.45 * (10 / 37) ** 0.2
    dense = 0.53 / (1 + x)
    moe = dense / (1 + 0.32 * (1 - 37 / 671))
    assert tr.training_mfu(gpu, 37e9, 14.8e12, total_params=671e9) == pytest.approx(moe, rel=1e-12)
    # FP8: peak ratio 1979/989 × efficiency 0.87
    assert tr.training_mfu(gpu, 37e9, 14.8e12, total_params=671e9, precision="fp8") == pytest.approx(moe * 1979 / 989 * 0.87, rel=1e-12)


def test_fp8_refused_without_fp8_tensor_cores():
    from buildorbuy.catalog.gpus import get_gpu
    from buildorbuy.estimators._arrays import EstimatorError

    with pytest.raises(EstimatorError, match="no FP8"):
        tr.training_mfu(get_gpu("a100-80gb"), 7e9, 1e12, precision="fp8")


def test_legacy_stack_factor_only_in_calibration():
    from buildorbuy.catalog.gpus import get_gpu

    pts = cal.training_points()
    k = pts.names.index("Pythia 12B")
    gpu = get_gpu("a100-40gb")
    hours = tr.training_gpu_hours(tr.training_flops(11.8e9, 299.89e9), gpu, tr.training_mfu(gpu, 11.8e9, 299.89e9))
    assert cal.predict_with(pts, cal.shipped_training_fit())[k] == pytest.approx(hours / tr.LEGACY_STACK_FACTOR, rel=1e-9)


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


def test_finetune_constants_are_the_fit():
    groups = cal.fit_finetune_groups()
    for (stack, group), eff in groups.items():
        for method in group.split("/"):
            assert ft.JOB_EFFICIENCY[stack][method] == pytest.approx(eff, rel=0.005)
    assert ft.JOB_EFFICIENCY["2023"]["qlora"] == pytest.approx(0.7 * ft.JOB_EFFICIENCY["2023"]["lora"], rel=0.01)
    assert ft.ERROR_FACTOR_P80 == pytest.approx(cal.error_factor_p80(cal.leave_one_out_finetune()), abs=0.005)


def test_finetune_runs_within_1_5x():
    runs = cal.scored_finetune_runs()
    assert len(runs) >= 2
    s = cal.score(cal.finetune_hours(runs), [r.gpu_hours for r in runs])
    assert s.share_within == 1.0


def test_current_lora_is_several_times_the_2023_recipe():
    from buildorbuy.catalog.gpus import get_gpu

    gpu = get_gpu("a100-80gb")
    old = float(ft.finetune_mfu(gpu, 7e9, "lora", stack="2023"))
    new = float(ft.finetune_mfu(gpu, 7e9, "lora"))
    assert old == pytest.approx(0.034, abs=0.002)
    assert new > 4 * old
    # hand-computed: base MFU at 20 tokens/parameter × the current LoRA efficiency
    x = 0.144544 * 1.0 * (140e9 / 1e12) ** 0.45 * (10e9 / 7e9) ** 0.2
    assert new == pytest.approx(0.53 / (1 + x) * 0.899, rel=1e-12)


def test_serving_error_factor_from_residuals():
    from buildorbuy.estimators.error_bars import serving_error_factor_p80, sigma_from_factor

    f = serving_error_factor_p80()
    assert f is not None and 1.0 < f < 3.0
    assert sigma_from_factor(f) == pytest.approx(math.log(f) / 1.2815515655446004)


def test_serving_latency_checks():
    """Not fitted: throughput at NIM's published time per output token; rises with the target."""
    checks = cal.serving_latency_checks()
    assert len(checks) >= 4
    ratios = [pred / (c.output_tokens_per_second / c.gpus) for c, pred in checks]
    assert sum(1 / 1.5 <= r <= 1.5 for r in ratios) >= len(ratios) - 1
    ordered = sorted(checks, key=lambda cp: cp[0].time_per_output_token_ms)
    assert all(a[1] < b[1] for a, b in zip(ordered, ordered[1:]))
