"""Distributions: the normal inverse CDF, estimates per kind, sampling, and errors naming field and line."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import api_vs_rent
from hypothesis import given, settings
from hypothesis import strategies as st

from buildorbuy.errors import ScenarioError
from buildorbuy.scenario.distributions import Choice, Lognormal, Normal, Pert, Triangular, Uniform, normal_ppf
from buildorbuy.scenario.loading import load_scenario, scenario_from_dict

KNOWN_QUANTILES = [
    (0.5, 0.0),
    (0.9, 1.2815515655446004),
    (0.975, 1.959963984540054),
    (0.995, 2.5758293035489004),
    (0.1, -1.2815515655446004),
    (0.02, -2.053748910631823),
    (0.001, -3.090232306167813),
    (1e-6, -4.753424308822899),
    (1e-10, -6.361340902404056),
    (1 - 1e-6, 4.753424308822899),
]


@pytest.mark.parametrize("u, z", KNOWN_QUANTILES)
def test_normal_ppf_matches_known_quantiles(u, z):
    assert float(normal_ppf(np.array([u]))[0]) == pytest.approx(z, rel=2e-9, abs=2e-9)


def test_normal_ppf_ends():
    assert normal_ppf(np.array([0.0, 1.0])).tolist() == [-math.inf, math.inf]


@given(st.floats(min_value=1e-12, max_value=1 - 1e-12))
def test_normal_ppf_inverts_the_cdf(u):
    z = float(normal_ppf(np.array([u]))[0])
    cdf = 0.5 * math.erfc(-z / math.sqrt(2.0))
    assert cdf == pytest.approx(u, rel=1e-7, abs=1e-15)  # Acklam: ~1e-9 in z, amplified in the far tail


ESTIMATES = [
    ({"dist": "triangular", "low": 0.001, "mode": 0.002, "high": 0.004}, 0.002),
    ({"dist": "pert", "low": 0.001, "mode": 0.003, "high": 0.004}, 0.003),
    ({"dist": "lognormal", "p10": 0.001, "p90": 0.004}, 0.002),
    ({"dist": "normal", "mean": 0.002, "sd": 0.0005}, 0.002),
    ({"dist": "uniform", "low": 0.001, "high": 0.003}, 0.002),
    ({"dist": "choice", "values": [0.001, 0.0025, 0.004], "weights": [0.3, 0.5, 0.2]}, 0.0025),
    ({"dist": "choice", "values": ["1k", "2k"]}, 1000.0),
]


@pytest.mark.parametrize("dist, estimate", ESTIMATES)
def test_compare_uses_the_estimate(dist, estimate):
    from buildorbuy import compare

    field = "paths[API].price_per_1k_input" if estimate < 1 else "paths[Rented].staff[0].annual_cost"
    scenario = scenario_from_dict(api_vs_rent(**{field: dist}))
    plain = scenario_from_dict(api_vs_rent(**{field: estimate}))
    key = "paths[0].price_per_1k_input" if estimate < 1 else "paths[1].staff[0].annual_cost"
    assert scenario._distributions[key].estimate == pytest.approx(estimate, rel=1e-12)
    assert plain._distributions == {}
    assert [p.npv for p in compare(scenario).paths] == pytest.approx([p.npv for p in compare(plain).paths], rel=1e-12)


def test_whole_number_fields_round_up():
    scenario = scenario_from_dict(api_vs_rent(**{"paths[Rented].lead_time_months": {"dist": "lognormal", "p10": 2, "p90": 5}}))
    assert scenario.paths[1].lead_time_months == 4.0  # median sqrt(10) = 3.16 → 4 months
    draws = scenario._distributions["paths[1].lead_time_months"].range.to_field(np.array([2.2, 3.0, 7.9]))
    assert draws.tolist() == [3.0, 3.0, 8.0]


def test_unbounded_draws_are_clipped_to_the_field_range():
    scenario = scenario_from_dict(api_vs_rent(**{"workload.output_share": {"dist": "normal", "mean": 0.5, "sd": 2}}))
    item = scenario._distributions["workload.output_share"]
    values = item.range.to_field(item.distribution.sample(np.random.default_rng(1), 10_000))
    assert values.min() == 0.0 and values.max() == 1.0


@pytest.mark.parametrize(
    "dist",
    [
        Triangular(dist="triangular", low=1, mode=2, high=5),
        Pert(dist="pert", low=1, mode=2, high=5),
        Uniform(dist="uniform", low=1, high=5),
        Lognormal(dist="lognormal", p10=1, p90=5),
        Normal(dist="normal", mean=3, sd=1),
        Choice(dist="choice", values=[1, 2, 5], weights=[0.2, 0.5, 0.3]),
    ],
)
def test_samples_follow_the_distribution(dist):
    draws = dist.sample(np.random.default_rng(7), 200_000)
    if isinstance(dist, (Triangular, Uniform, Pert)):
        assert draws.min() >= 1 and draws.max() <= 5
    if isinstance(dist, Lognormal):
        assert np.percentile(draws, [10, 90]) == pytest.approx([1, 5], rel=0.02)
        assert np.median(draws) == pytest.approx(dist.estimate(), rel=0.01)
    if isinstance(dist, Triangular):
        assert draws.mean() == pytest.approx((1 + 2 + 5) / 3, rel=0.01)
    if isinstance(dist, Pert):
        assert draws.mean() == pytest.approx((1 + 4 * 2 + 5) / 6, rel=0.01)
    if isinstance(dist, Normal):
        assert (draws.mean(), draws.std()) == pytest.approx((3, 1), rel=0.01)
    if isinstance(dist, Choice):
        shares = [np.mean(draws == v) for v in (1, 2, 5)]
        assert shares == pytest.approx([0.2, 0.5, 0.3], abs=0.01)


BAD = [
    ("{dist: triangular, low: 3, mode: 2, high: 1}", "price_per_1k_input", "low must be below high"),
    ("{dist: uniform, low: 0.003, high: 0.001}", "price_per_1k_input", "low must be below high"),
    ("{dist: lognormal, p10: 0.004, p90: 0.001}", "price_per_1k_input", "p10 must be below p90"),
    ("{dist: lognormal, p10: 0.002, p90: 0.002}", "price_per_1k_input", "p10 must be below p90"),
    ("{dist: normal, mean: 0.002, sd: -0.001}", "price_per_1k_input.sd", "must be above 0"),
    ("{dist: choice, values: [0.001, 0.002], weights: [0.5, 0.6]}", "price_per_1k_input", "weights must sum to 1"),
    ("{dist: gamma, low: 1, high: 2}", "price_per_1k_input.dist", "unknown distribution kind 'gamma'"),
    ("{dist: uniform, low: 0.001, high: 0.002, mode: 0.0015}", "price_per_1k_input.mode", "unknown field for a uniform"),
    ("{dist: triangular, low: 0.001, high: 0.002}", "price_per_1k_input.mode", "required field is missing"),
    ("{dist: uniform, low: -0.001, high: 0.002}", "price_per_1k_input.low", "out of range"),
]


@pytest.mark.parametrize("text, field, message", BAD)
def test_bad_distributions_name_field_and_line(tmp_path, text, field, message):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\nworkload:\n  tokens_per_month: 1B\npaths:\n  - name: API\n    kind: api\n"
        f"    price_per_1k_input: {text}\n    price_per_1k_output: 0.01\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    line = info.value.one_line()
    assert line.startswith(f"{path}:7: paths[0].{field}: "), line
    assert message in line
    assert "\n" not in line


def test_weights_within_tolerance_pass():
    Choice(dist="choice", values=[1, 2, 3], weights=[0.3333333, 0.3333333, 0.3333334])
    with pytest.raises(ValueError):
        Choice(dist="choice", values=[1, 2], weights=[0.5, 0.500002])


def test_share_distribution_cannot_exceed_one(tmp_path):
    path = tmp_path / "share.yaml"
    path.write_text(
        "workload:\n  tokens_per_month: 1B\n  output_share: {dist: triangular, low: 0.1, mode: 0.5, high: 1.2}\n"
        "paths:\n  - {name: API, kind: api, price_per_1k_input: 0.001, price_per_1k_output: 0.002}\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.one_line().startswith(f"{path}:3: workload.output_share.high: the distribution's high 1.2 is out of range")


def test_distribution_on_text_or_horizon_is_refused():
    with pytest.raises(ScenarioError, match="not numeric"):
        scenario_from_dict(api_vs_rent(**{"paths[Rented].serving.gpu": {"dist": "choice", "values": [1, 2]}}))
    with pytest.raises(ScenarioError, match="horizon_months sets the length"):
        scenario_from_dict(api_vs_rent(horizon_months={"dist": "choice", "values": [12, 24]}))


def test_correlation_errors():
    price = {"dist": "lognormal", "p10": 0.5, "p90": 2}
    growth = {"dist": "uniform", "low": 0.0, "high": 0.05}
    data = api_vs_rent(**{"paths[Rented].serving.gpu_hour_price": price, "workload.growth_per_month": growth})
    data["correlations"] = [{"a": "workload.growth_per_month", "b": "paths[Rented].serving.gpu_hour_price", "rank": 0.5}]
    scenario_from_dict(data)
    data["correlations"] = [{"a": "workload.growth_per_month", "b": "discount_rate", "rank": 0.5}]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert info.value.one_line().startswith("correlations[0].b: 'discount_rate' is not given as a distribution")
    staff = {"dist": "uniform", "low": "150k", "high": "250k"}
    data = api_vs_rent(**{"paths[Rented].serving.gpu_hour_price": price, "workload.growth_per_month": growth,
                          "paths[Rented].staff[0].annual_cost": staff})
    a, b, c = "workload.growth_per_month", "paths[Rented].serving.gpu_hour_price", "paths[1].staff[0].annual_cost"
    data["correlations"] = [{"a": a, "b": b, "rank": 0.9}, {"a": b, "b": c, "rank": 0.9}, {"a": a, "b": c, "rank": -0.9}]
    with pytest.raises(ScenarioError, match="not positive definite"):
        scenario_from_dict(data)
    data["correlations"] = [{"a": a, "b": b, "rank": 1.5}]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert info.value.one_line().startswith("correlations[0].rank: ")


@settings(max_examples=25, deadline=None)
@given(
    low=st.floats(min_value=0.001, max_value=10),
    width=st.floats(min_value=0.01, max_value=10),
    at=st.floats(min_value=0, max_value=1),
)
def test_triangular_estimate_is_the_mode_and_draws_stay_inside(low, width, at):
    high = low + width
    mode = low + at * width
    dist = Triangular(dist="triangular", low=low, mode=mode, high=high)
    assert dist.estimate() == mode
    draws = dist.sample(np.random.default_rng(0), 1000)
    assert draws.min() >= low - 1e-12 and draws.max() <= high + 1e-12


def _reserved_scenario(per_replica):
    import yaml

    from tests.conftest import REPO

    data = yaml.safe_load((REPO / "scenarios" / "enterprise-support-reserved.yaml").read_text())
    serving = data["paths"][1]["serving"]
    serving["reserved"]["gpus"] = {"dist": "triangular", "low": 2, "mode": 7, "high": 16}
    if per_replica is None:
        del serving["gpus_per_replica"]
    else:
        serving["gpus_per_replica"] = per_replica
    return data


def test_reserved_gpus_are_drawn_as_whole_replicas():
    scenario = scenario_from_dict(_reserved_scenario(2))
    item = scenario._distributions["paths[1].serving.reserved.gpus"]
    assert item.estimate == 8.0  # the mode 7 GPUs is 3.5 replicas of 2: the nearest whole replica count up
    draws = item.range.to_field(item.distribution.sample(np.random.default_rng(3), 20_000))
    assert set(np.unique(draws).tolist()) <= set(range(2, 17, 2))
    assert draws.min() == 2.0 and draws.max() == 16.0
    assert draws.mean() == pytest.approx((2 + 7 + 16) / 3, abs=0.1)


def test_reserved_gpus_distribution_needs_a_numeric_replica_size():
    with pytest.raises(ScenarioError, match="gpus_per_replica given as a number") as info:
        scenario_from_dict(_reserved_scenario(None))
    assert info.value.field == "paths[1].serving.reserved.gpus"
