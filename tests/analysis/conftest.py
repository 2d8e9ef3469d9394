"""Small scenarios whose answers can be worked out by hand, shared by the analysis tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildorbuy.scenario.loading import load_scenario, scenario_from_dict

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def two_apis(**changes) -> dict:
    """Two API paths, flat 1B tokens/month (half output), 12 months, no discounting.

    A: 0.001 in / 0.002 out per 1k → 1,500 a month in fees + one person at 12k a year: NPV 30,000.
    B: 0.002 in / 0.0035 out per 1k → 2,750 a month, no staff: NPV 33,000.
    """
    data = {
        "name": "two apis",
        "currency": "USD",
        "start": "2026-01",
        "horizon_months": 12,
        "discount_rate": 0.0,
        "workload": {"tokens_per_month": 1e9, "output_share": 0.5},
        "paths": [
            {"name": "A", "kind": "api", "price_per_1k_input": 0.001, "price_per_1k_output": 0.002,
             "staff": [{"role": "engineer", "count": 1, "annual_cost": 12000}]},
            {"name": "B", "kind": "api", "price_per_1k_input": 0.002, "price_per_1k_output": 0.0035},
        ],
    }
    for key, value in changes.items():
        data[key] = value
    return data


@pytest.fixture
def make_two_apis():
    """The two-API scenario's data, with top-level changes: `make_two_apis(discount_rate=0.1)`."""
    return two_apis


@pytest.fixture
def small():
    return scenario_from_dict(two_apis())


@pytest.fixture
def enterprise():
    return load_scenario(SCENARIOS / "enterprise-support.yaml")


@pytest.fixture
def domain():
    return load_scenario(SCENARIOS / "domain-model-50b.yaml")
