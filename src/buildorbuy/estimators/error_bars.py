"""Calibrated error bars of the `auto` estimates: the ×/÷ factor covering 80 % of the errors.

error_factor_p80 = exp(90th percentile of |ln(predicted / reported)|) over the calibration points:
80 % of the points lie within reported ×/÷ that factor when the errors are symmetric in log
space. Training and fine-tuning use leave-one-out residuals (pinned constants, checked by the
tests); serving uses the residuals of the current serving model against its calibration points,
computed on first use, so the factor follows the serving model. Sampling: a lognormal with
σ = ln(factor) / 1.2816 (1.2816 = the standard normal's 90th percentile) has the same 80 % band.
"""

from __future__ import annotations

import functools
import math

import numpy as np

Z90 = 1.2815515655446004
"""Standard normal 90th percentile: a lognormal with σ = ln(f)/Z90 has 80 % within ×/÷f."""


def sigma_from_factor(factor: float) -> float:
    """Log-space σ of a lognormal whose central 80 % spans ×/÷ factor."""
    return math.log(factor) / Z90


@functools.cache
def serving_error_factor_p80() -> float | None:
    """×/÷ factor of `auto` serving throughput from the serving model's calibration residuals."""
    from buildorbuy.estimators import calibration as cal

    with np.errstate(all="ignore"):
        r = np.array([res.log_ratio for res in cal.serving_residuals()], float)
    r = r[np.isfinite(r)]
    if r.size == 0:
        return None
    return round(cal.error_factor_p80(r), 2)


def training_error_factor_p80() -> float:
    from buildorbuy.estimators.training import ERROR_FACTOR_P80

    return ERROR_FACTOR_P80


def finetune_error_factor_p80() -> float:
    from buildorbuy.estimators.finetune import ERROR_FACTOR_P80

    return ERROR_FACTOR_P80
