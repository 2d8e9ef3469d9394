"""Sampling helpers without scipy: ranks, Spearman correlation and Iman–Conover reordering."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import numpy as np

from buildorbuy.scenario.distributions import normal_ppf
from buildorbuy.scenario.uncertainty import normal_scores_correlation


def rankdata(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank (scipy.stats.rankdata's 'average')."""
    return ranks_and_order(values)[0]


def ranks_and_order(values: np.ndarray) -> tuple[np.ndarray, Callable[[int], float]]:
    """`rankdata(values)` and the order statistics it found on the way: `order_statistic(r)` is the value at
    0-based place r of the sorted values (what np.percentile reads), so percentiles of a ranked column
    need no second sort."""
    values = np.ascontiguousarray(values)  # a column of a row-major matrix: one copy, then contiguous reads
    n = values.shape[0]
    counted = _rank_counts(values)
    if counted is not None:
        return counted
    # tied values share one average rank, so their order within a tie does not matter: the
    # default (unstable) sort gives the same ranks, several times faster than a stable one
    order = np.argsort(values)
    ordered = values[order]
    distinct = ordered[1:] != ordered[:-1]
    ranks = np.empty(n)
    if np.count_nonzero(distinct) == n - 1:  # no ties (a continuous input): the ranks are 1 … n in sorted order
        ranks[order] = np.arange(1.0, n + 1.0)  # = (start + end + 1) / 2 below, the same numbers
    else:
        starts = np.flatnonzero(np.r_[True, distinct])
        ends = np.r_[starts[1:], n]
        average = (starts + ends + 1) / 2.0
        group = np.repeat(np.arange(starts.shape[0]), ends - starts)
        ranks[order] = average[group]
    return ranks, ordered.__getitem__


COUNTED_RANKS = 4_096
"""Values that are whole numbers 0 … COUNTED_RANKS − 1 (outcomes, months, choices) are ranked by counting."""


def _rank_counts(values: np.ndarray) -> tuple[np.ndarray, Callable[[int], float]] | None:
    """`ranks_and_order` for whole numbers 0 … COUNTED_RANKS − 1 by counting them (O(n), no sort); None otherwise."""
    if values.ndim != 1 or values.shape[0] == 0 or values.dtype.kind not in "fiu":
        return None
    head = values[:64]
    if not np.array_equal(head, np.floor(head)):  # a continuous input: refused without a pass over all of it
        return None
    low, high = values.min(), values.max()
    if not (low >= 0 and high < COUNTED_RANKS):  # also refuses NaN
        return None
    whole = values.astype(np.int64)
    if not np.array_equal(whole, values):
        return None
    counts = np.bincount(whole, minlength=int(high) + 1)
    ends = np.cumsum(counts)
    starts = ends - counts

    def order_statistic(r: int) -> float:
        """The value at sorted place r: the first whole number whose running count passes r."""
        return np.float64(np.searchsorted(ends, r, side="right"))

    return ((starts + ends + 1) / 2.0)[whole], order_statistic


RANK_RELATIVE_PRECISION = 1e-9
"""Differences closer than this × the figures' scale are ties for ranking: double rounding leaves
noise of ~1e-16 × the scale in a difference of two NPVs, which must not order equal values."""


def round_relative(values: np.ndarray, scale: float, precision: float = RANK_RELATIVE_PRECISION) -> np.ndarray:
    """`values` rounded to multiples of precision × scale (unchanged when scale is 0 or not finite)."""
    step = precision * scale
    if not (step > 0 and np.isfinite(step)):
        return np.asarray(values, dtype=float)
    return np.round(np.asarray(values, dtype=float) / step) * step


def spearman_of_ranks(x_ranks: np.ndarray, y_ranks: np.ndarray) -> float | None:
    """Pearson correlation of two rank vectors (= Spearman's ρ); None if either is constant."""
    return spearman_with(y_ranks)(x_ranks)


def spearman_with(y_ranks: np.ndarray) -> Callable[[np.ndarray], float | None]:
    """`spearman_of_ranks(x, y_ranks)` as a function of x, with y's centring and sum of squares done once."""
    ry = y_ranks - y_ranks.mean()
    yy = np.einsum("i,i->", ry, ry)

    def rho(x_ranks: np.ndarray) -> float | None:
        rx = x_ranks - x_ranks.mean()
        # einsum, not `@`: a BLAS dot may hand 1e5-long vectors to its threads, which stall on a busy machine
        denominator = float(np.sqrt(np.einsum("i,i->", rx, rx) * yy))
        if denominator == 0.0:
            return None
        return float(np.einsum("i,i->", rx, ry)) / denominator

    return rho


@lru_cache(maxsize=4)
def _van_der_waerden(n: int) -> np.ndarray:
    """Φ⁻¹(i / (n + 1)), i = 1 … n: the same for every chunk of n samples (read-only)."""
    base = normal_ppf(np.arange(1, n + 1) / (n + 1.0))
    base.flags.writeable = False
    return base


def iman_conover(samples: np.ndarray, rank_correlation: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Reorder each column of `samples` [n, k] so the columns have the target rank correlations.

    Iman & Conover (1982): build van der Waerden scores with the target correlation (Cholesky
    factors; the Spearman target r becomes the scores' Pearson 2·sin(πr/6)), then give each
    column of `samples` the ranks of its column of scores. Every column is only permuted, so
    each marginal distribution is exactly what was drawn.
    """
    n, k = samples.shape
    if k < 2 or n < 3:
        return samples
    target = np.vectorize(normal_scores_correlation)(np.asarray(rank_correlation, dtype=float))
    np.fill_diagonal(target, 1.0)
    base = _van_der_waerden(n)
    scores = np.column_stack([rng.permutation(base) for _ in range(k)])
    current = np.corrcoef(scores, rowvar=False)
    try:
        lower_now = np.linalg.cholesky(current)
    except np.linalg.LinAlgError:  # a handful of rows whose scores came out perfectly (anti)correlated
        return samples
    lower_target = np.linalg.cholesky(target)
    correlated = scores @ np.linalg.inv(lower_now).T @ lower_target.T
    out = np.empty_like(samples)
    positions = np.arange(n)
    ranks = np.empty(n, dtype=np.intp)
    for j in range(k):
        scores_j = correlated[:, j]
        order = np.argsort(scores_j)  # the default sort is several times faster than a stable one ...
        ordered = scores_j[order]
        if np.any(ordered[1:] == ordered[:-1]):  # ... and gives the same order unless scores tie
            order = np.argsort(scores_j, kind="stable")
        ranks[order] = positions  # the inverse permutation: each row's rank
        out[:, j] = np.sort(samples[:, j])[ranks]  # sorted values are the same whatever the sort
    return out
