"""The benchmark's hand-written numpy model of uncertain-enterprise must agree with the engine.

benchmarks/montecarlo_bench.py times `simulate` against benchmarks/numpy_model.py; the ratio
means something only if both compute the same numbers.
"""

import importlib.util
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _model():
    spec = importlib.util.spec_from_file_location("numpy_model", ROOT / "benchmarks" / "numpy_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hand_written_model_agrees_with_the_engine_to_1e_12():
    assert _model().check(n=3_000, seed=11) <= 1e-12


def test_hand_written_sampler_matches_the_scenario_distributions():
    model = _model()
    x = model.draw(200_000, np.random.default_rng(3))
    # triangular(0.1, 0.4, 1.0) mean = 0.5; lognormal p10 2.0 / p90 3.5; choice weights 0.5/0.3/0.2
    assert abs(x["growth"].mean() - 0.5) < 0.003
    assert abs(np.percentile(x["rent"], 10) - 2.0) < 0.02 and abs(np.percentile(x["rent"], 90) - 3.5) < 0.03
    assert abs((x["lead2"] == 6).mean() - 0.5) < 0.005 and abs((x["lead2"] == 12).mean() - 0.2) < 0.005
    # rank correlation 0.4 between traffic growth and the rented GPU price
    ranks = [np.argsort(np.argsort(x[k])) for k in ("growth", "rent")]
    assert abs(np.corrcoef(*ranks)[0, 1] - 0.4) < 0.01
    assert 0.7 * 0.7 < x["p1"].mean() < 0.95
