"""simulate's drivers: NPV differences equal but for rounding noise rank as ties."""

from __future__ import annotations

import numpy as np

from buildorbuy.analysis.montecarlo import _drivers
from buildorbuy.analysis.sampling import rankdata, round_relative


def _inputs(n: int = 4_000, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random(n), rng.random(n), (rng.random(n) < 0.5).astype(float)


def test_rounding_noise_in_the_difference_does_not_move_the_drivers():
    """winner = base + step, runner = base: the true difference is 0 or 1e6 (two tied groups), but
    (base + step) − base carries double-rounding noise that depends on base, an input. Ranked raw,
    that noise would order the ties by base and credit it with a correlation it does not have."""
    base_share, other, outcome = _inputs()
    base = 1e8 * (1.0 + base_share)  # NPVs of ~1e8: noise of ~1e-8 in their difference
    step = 1e6 * outcome
    winner, runner = base + step, base
    noisy_difference = winner - runner
    assert not np.array_equal(noisy_difference, step)  # the noise is there
    assert not np.array_equal(rankdata(noisy_difference), rankdata(step))  # and would reorder ties

    keys = ["base", "other", "outcome"]
    exact = _drivers(np.column_stack([base_share, other, outcome]), step, np.zeros_like(step), keys, keys)
    noisy = _drivers(np.column_stack([base_share, other, outcome]), winner, runner, keys, keys)
    assert noisy == exact
    by_field = {d["field"]: d["spearman"] for d in noisy}
    assert abs(by_field["base"]) < 0.05 and by_field["outcome"] > 0.99


def test_round_relative_keeps_real_differences_and_merges_noise():
    values = np.array([1.0, 1.0 + 1e-12, 2.0, -3.0])
    rounded = round_relative(values, scale=10.0)  # quantum 1e-8
    assert rounded[0] == rounded[1] and rounded[2] == 2.0 and rounded[3] == -3.0
    assert np.array_equal(round_relative(values, scale=0.0), values)
    assert np.array_equal(round_relative(values, scale=float("inf")), values)


def test_whole_number_inputs_are_ranked_by_counting_with_the_same_ranks_as_sorting():
    assert rankdata(np.array([2.0, 0.0, 2.0, 1.0])).tolist() == [3.5, 1.0, 3.5, 2.0]
    rng = np.random.default_rng(5)
    for values in (rng.integers(0, 2, 3_000).astype(float), rng.choice([6.0, 9.0, 12.0], 3_000),
                   rng.integers(0, 4_000, 500).astype(float)):
        # + 0.5 keeps the order and the ties but is not a whole number: ranked by sorting
        assert np.array_equal(rankdata(values), rankdata(values + 0.5))


def _iman_conover_stable(samples, rank_correlation, rng):
    """The reordering with stable sorts throughout (the implementation before the faster sorts)."""
    from buildorbuy.scenario.distributions import normal_ppf
    from buildorbuy.scenario.uncertainty import normal_scores_correlation

    n, k = samples.shape
    target = np.vectorize(normal_scores_correlation)(np.asarray(rank_correlation, dtype=float))
    np.fill_diagonal(target, 1.0)
    base = normal_ppf(np.arange(1, n + 1) / (n + 1.0))
    scores = np.column_stack([rng.permutation(base) for _ in range(k)])
    correlated = scores @ np.linalg.inv(np.linalg.cholesky(np.corrcoef(scores, rowvar=False))).T @ np.linalg.cholesky(target).T
    out = np.empty_like(samples)
    for j in range(k):
        ranks = np.argsort(np.argsort(correlated[:, j], kind="stable"), kind="stable")
        out[:, j] = np.sort(samples[:, j], kind="stable")[ranks]
    return out


def test_iman_conover_gives_the_same_reordering_as_with_stable_sorts():
    from buildorbuy.analysis.sampling import iman_conover

    matrix = np.array([[1.0, 0.4, -0.2], [0.4, 1.0, 0.1], [-0.2, 0.1, 1.0]])
    for seed in range(5):
        data = np.random.default_rng(seed).random((2_000, 3))
        data[:, 2] = np.round(data[:, 2] * 4)  # many tied values in one column
        fast = iman_conover(data, matrix, np.random.default_rng(100 + seed))
        stable = _iman_conover_stable(data, matrix, np.random.default_rng(100 + seed))
        assert np.array_equal(fast, stable)
