"""Helpers shared by the estimators: numbers in, float arrays out, with value checks."""

from __future__ import annotations

import numpy as np

from buildorbuy.errors import BuildOrBuyError


class EstimatorError(BuildOrBuyError):
    """An estimator input is out of range (non-positive tokens, MFU outside (0, 1]…)."""


def positive(value, field: str) -> np.ndarray:
    """`value` as a float array; EstimatorError unless every element is finite and > 0."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or not np.all(arr > 0):
        raise EstimatorError(f"must be a positive number, got {_show(arr)}", field=field)
    return arr


def unit_fraction(value, field: str) -> np.ndarray:
    """`value` as a float array in (0, 1]; EstimatorError otherwise."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or not np.all((arr > 0) & (arr <= 1)):
        raise EstimatorError(f"must be in (0, 1], got {_show(arr)}", field=field)
    return arr


def _show(arr: np.ndarray) -> str:
    return f"{float(arr):g}" if arr.ndim == 0 else f"an array with min {np.nanmin(arr):g}"
