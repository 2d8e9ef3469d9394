"""The published JSON Schema accepts what the loader accepts, and rejects what it rejects."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from buildorbuy.cli import app
from buildorbuy.scenario.schema import scenario_json_schema
from tests.conftest import REPO, SCENARIOS, api_path, base_scenario


@pytest.fixture(scope="module")
def validator():
    schema = scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_bundled_scenarios_validate(validator, scenario):
    errors = list(validator.iter_errors(yaml.safe_load(scenario.read_text())))
    assert not errors, errors[0].message


def test_quantities_and_distributions_are_accepted(validator):
    data = base_scenario(workload={"tokens_per_month": "2.5B", "output_share": "25%"},
                         paths=[api_path(price_in={"dist": "lognormal", "p10": 0.001, "p90": 0.002})])
    assert not list(validator.iter_errors(data))


@pytest.mark.parametrize("bad", [
    base_scenario(paths=[api_path(price_in=-1)]),
    base_scenario(workload={"tokens_per_month": "2X"}),
    base_scenario(workload={"tokens_per_month": "50 %"}),  # a percent on an amount (loader: refused too)
    base_scenario(paths=[api_path(price_in="1%")]),
    base_scenario(workload={"tokens_per_month": 1e9, "output_share": 1.5}),
    base_scenario(workload={"tokens_per_month": 1e9, "unknown": 1}),
    base_scenario(paths=[api_path(price_in={"dist": "gamma", "shape": 2})]),
])
def test_what_the_loader_rejects_the_schema_rejects(validator, bad):
    assert list(validator.iter_errors(bad))


def test_the_published_schema_file_is_current():
    published = json.loads((REPO / "docs" / "scenario.schema.json").read_text())
    assert published == json.loads(CliRunner().invoke(app, ["schema"]).stdout), (
        "regenerate it: buildorbuy schema -o docs/scenario.schema.json"
    )
