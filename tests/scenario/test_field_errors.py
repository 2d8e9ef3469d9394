"""Errors a validator raises about one field name that field and its file line, not its parent;
`null` on an optional field means its default."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from buildorbuy import compare, scenario_from_dict
from buildorbuy.cli import app
from buildorbuy.errors import ScenarioError
from tests.conftest import api_path, base_scenario
from tests.engine._builders import hosted

YAML_ROUTED_API = """\
name: routed api
start: 2026-01
workload: {tokens_per_month: 1e9}
paths:
  - name: API
    kind: api
    price_per_1k_input: 0.001
    price_per_1k_output: 0.002
    routing:
      share: 0.5
"""


def test_routing_on_an_api_path_names_the_routing_field_and_its_line(write_yaml):
    result = CliRunner().invoke(app, ["validate", str(write_yaml(YAML_ROUTED_API))])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "scenario.yaml:9: paths[0].routing: routing applies to finetune and build paths only" in result.stderr


def test_routing_on_an_api_path_through_the_api():
    data = base_scenario(paths=[api_path(routing={"share": 0.5})])
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(data)
    assert caught.value.field == "paths[0].routing"


def test_reserved_gpus_not_whole_replicas_names_the_gpus_field_and_its_line(write_yaml):
    path = hosted(gpus_per_replica=2, reserved={"gpu_hour_price": 1.5, "gpus": 3})
    text = write_yaml(base_scenario(paths=[path])).read_text()
    line = text.splitlines().index("      gpus: 3") + 1
    result = CliRunner().invoke(app, ["validate", "scenario.yaml"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert (f"scenario.yaml:{line}: paths[0].serving.reserved.gpus: must be a multiple of gpus_per_replica (2)"
            in result.stderr)
    assert "(got 3)" in result.stderr


def test_reserved_gpus_not_whole_replicas_through_the_api():
    data = base_scenario(paths=[hosted(gpus_per_replica=4, reserved={"gpus": 6, "gpu_hour_price": 1.5})])
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(data)
    assert caught.value.field == "paths[0].serving.reserved.gpus"


# ------------------------------------------------------------------------------ null


@pytest.mark.parametrize("field, default", [
    ("precision", "bf16"), ("redundancy", 1), ("ownership", "rent"), ("target_utilization", 0.7),
])
def test_null_on_an_optional_field_is_its_default(field, default):
    # `precision:` with no value in YAML is null: the same figures as leaving the key out.
    explicit, null, omitted = hosted(**{field: default}), hosted(**{field: None}), hosted()
    omitted["serving"].pop(field, None)
    results = [compare(scenario_from_dict(base_scenario(paths=[api_path(), p]))) for p in (explicit, null, omitted)]
    assert results[1].paths[1].npv == results[0].paths[1].npv == results[2].paths[1].npv
    assert getattr(scenario_from_dict(base_scenario(paths=[null])).paths[0].serving, field) == default


def test_null_top_level_blocks_are_their_defaults():
    scenario = scenario_from_dict(base_scenario(constraints=None, discount_rate=None, paths=[api_path(staff=None, data=None)]))
    assert scenario.constraints.data_residency == "any"
    assert scenario.discount_rate == 0.0
    assert scenario.paths[0].staff == [] and scenario.paths[0].data.one_off == 0


def test_precision_null_through_the_cli(write_yaml):
    path = write_yaml(base_scenario(paths=[api_path(), hosted()]))
    text = path.read_text().replace("    redundancy: 0\n", "    redundancy: 0\n    precision:\n")
    assert "    precision:\n" in text
    path.write_text(text)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output


def test_null_on_a_required_field_says_it_needs_a_value(write_yaml):
    path = hosted()
    path["serving"]["gpu"] = None
    result = CliRunner().invoke(app, ["validate", str(write_yaml(base_scenario(paths=[path])))])
    assert result.exit_code == 2
    assert "paths[0].serving.gpu: needs a value (null stands for the default, and this field has none)" in result.stderr


def test_the_schema_allows_null_where_the_loader_does():
    import jsonschema

    from buildorbuy.scenario.schema import scenario_json_schema

    validator = jsonschema.Draft202012Validator(scenario_json_schema())
    null_optional = base_scenario(discount_rate=None, paths=[api_path(), hosted(precision=None, redundancy=None)])
    assert list(validator.iter_errors(null_optional)) == []
    null_required = base_scenario(paths=[api_path(), hosted(gpu=None)])
    assert not validator.is_valid(null_required)
