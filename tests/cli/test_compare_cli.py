"""compare, validate, init and schema through the CLI, as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import SCENARIOS, api_path, base_scenario

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_every_bundled_scenario_renders_in_every_format(scenario):
    table = run("compare", scenario)
    assert table.exit_code == 0, table.output
    assert "Summary" in table.stdout and "Recommendation" in table.stdout
    data = json.loads(run("compare", scenario, "--format", "json").stdout)
    assert set(data) >= {"scenario", "paths", "breakeven", "recommendation", "warnings", "versions"}
    assert set(data["scenario"]) >= {"name", "currency", "start", "horizon_months", "discount_rate"}
    for path in data["paths"]:
        assert set(path) >= {"name", "kind", "feasible", "infeasible_reason", "live_month", "total_cost", "npv",
                             "cost_per_million_tokens", "levelised_cost_per_million_tokens", "unserved_tokens",
                             "capex", "opex", "monthly_cost", "cumulative_cost", "components", "gpus", "estimates"}
        assert len(path["monthly_cost"]) == data["scenario"]["horizon_months"]
    assert set(data["recommendation"]) >= {"path", "margin", "margin_fraction", "reason"}
    assert set(data["versions"]) >= {"buildorbuy", "genai_prices"}
    rows = list(csv.DictReader(io.StringIO(run("compare", scenario, "--format", "csv").stdout)))
    assert len(rows) == data["scenario"]["horizon_months"] * len(data["paths"])
    total = sum(float(r["monthly_cost"]) for r in rows if r["path"] == data["paths"][0]["name"])
    assert total == pytest.approx(data["paths"][0]["total_cost"], rel=1e-6)
    markdown = run("compare", scenario, "--format", "markdown").stdout
    tables = [line for line in markdown.splitlines() if line.startswith("|")]
    assert tables and all(line.endswith("|") for line in tables)
    assert validate_ok(scenario)


def validate_ok(scenario):
    result = run("validate", scenario)
    return result.exit_code == 0 and "valid" in result.stdout


def test_the_bank_must_keep_data_on_prem():
    data = json.loads(run("compare", [s for s in SCENARIOS if "bank" in s.name][0], "-f", "json").stdout)
    public = next(p for p in data["paths"] if p["name"] == "Qwen-Plus public API")
    assert public["feasible"] is False and "on_prem" in public["infeasible_reason"]
    assert data["recommendation"]["path"] != "Qwen-Plus public API"
    assert data["scenario"]["currency"] == "CNY"


def test_startup_api_wins_and_enterprise_finetune_wins():
    pick = lambda word: json.loads(run("compare", [s for s in SCENARIOS if word in s.name][0], "-f", "json").stdout)
    assert pick("startup")["recommendation"]["path"] == "gpt-4o-mini"
    assert pick("enterprise")["paths"][1]["kind"] == "finetune"
    assert pick("enterprise")["recommendation"]["path"] == pick("enterprise")["paths"][1]["name"]


def test_set_overrides_by_index_and_by_name(write_yaml):
    file = write_yaml(base_scenario(paths=[api_path("Cheap"), api_path("Dear", price_in=0.01, price_out=0.02)]))
    base = json.loads(run("compare", file, "-f", "json").stdout)
    assert base["recommendation"]["path"] == "Cheap"
    flipped = json.loads(run("compare", file, "-f", "json", "--set", "paths[Cheap].price_per_1k_input=0.1",
                             "--set", "paths[1].price_per_1k_output=0.0001").stdout)
    assert flipped["recommendation"]["path"] == "Dear"


def test_output_file_is_written_whole(write_yaml, tmp_path):
    file = write_yaml(base_scenario())
    target = tmp_path / "out" / "result.json"
    result = run("compare", file, "-f", "json", "-o", target)
    assert result.exit_code == 0
    assert json.loads(target.read_text())["paths"][0]["name"] == "API"


BAD_INPUTS = [
    ("missing file", None, "file not found"),
    ("yaml syntax", "name: [unclosed\nworkload: {", "YAML syntax error"),
    ("wrong type", base_scenario(horizon_months="twelve"), "horizon_months"),
    ("negative price", base_scenario(paths=[api_path(price_in=-0.001)]), "paths[0].price_per_1k_input"),
    ("share above 1", base_scenario(workload={"tokens_per_month": 1e9, "output_share": 1.5}), "workload.output_share"),
    ("horizon zero", base_scenario(horizon_months=0), "horizon_months"),
    ("horizon above 600", base_scenario(horizon_months=601), "horizon_months"),
    ("unknown key", base_scenario(workload={"tokens_per_month": 1e9, "tokens_per_mnth": 5}), "did you mean 'tokens_per_month'"),
    ("unknown kind", base_scenario(paths=[{"name": "x", "kind": "lease"}]), "paths[0].kind"),
    ("bridge names no path", base_scenario(bridge="Nope"), "bridge 'Nope' names no path"),
    ("bridge not api", base_scenario(bridge="H", paths=[api_path(), {
        "name": "H", "kind": "finetune", "model": {"params": "7B"}, "finetune": {"tokens": "1M"},
        "serving": {"gpu": "l4", "gpu_hour_price": 1, "tokens_per_second_per_gpu": 100, "gpus_per_replica": 1}}]),
     "must be an api path"),
    ("duplicate name", base_scenario(paths=[api_path("A"), api_path("A")]), "used twice"),
    ("unknown gpu", base_scenario(paths=[{
        "name": "H", "kind": "finetune", "model": {"params": "7B"}, "finetune": {"tokens": "1M", "gpu_hour_price": 1, "mfu": 0.3},
        "serving": {"gpu": "h1000", "gpu_hour_price": 1, "tokens_per_second_per_gpu": 100, "gpus_per_replica": 1}}]),
     "paths[0].serving.gpu"),
    ("bad quantity", base_scenario(workload={"tokens_per_month": "2X"}), "workload.tokens_per_month"),
    ("absurd volume", base_scenario(workload={"tokens_per_month": 1e300}), "workload.tokens_per_month"),
    ("overflowing growth", base_scenario(horizon_months=600, workload={"tokens_per_month": 1e9, "growth_per_month": 50}),
     "overflow"),
    ("duplicate key", "name: t\nhorizon_months: 12\nhorizon_months: 24\nworkload: {tokens_per_month: 1B}\npaths: []\n",
     "duplicate key 'horizon_months'"),
]


@pytest.mark.parametrize("label,content,expected", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
@pytest.mark.parametrize("command", ["compare", "validate"])
def test_bad_input_is_one_line_exit_2(label, content, expected, command, write_yaml, tmp_path):
    file = tmp_path / "missing.yaml" if content is None else write_yaml(content)
    out = tmp_path / "never.txt"
    result = run(command, file, *(["-o", out] if command == "compare" else []))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_error_names_the_file_line(write_yaml):
    file = write_yaml("name: t\nhorizon_months: 12\nworkload:\n  tokens_per_month: 1B\n  output_share: 2\npaths:\n"
                      "  - {name: A, kind: api, price_per_1k_input: 0.001, price_per_1k_output: 0.002}\n")
    result = run("compare", file)
    assert result.exit_code == 2
    assert f"{file}:5: workload.output_share:" in result.stderr


def test_bad_set_override_is_an_error(write_yaml):
    file = write_yaml(base_scenario())
    result = run("compare", file, "--set", "paths[Nope].price_per_1k_input=1")
    assert result.exit_code == 2 and "no entry named 'Nope'" in result.stderr
    result = run("compare", file, "--set", "discount_rate")
    assert result.exit_code == 2 and "key=value" in result.stderr


def test_toml_and_json_scenarios_load(tmp_path):
    import tomllib  # noqa: F401

    data = base_scenario()
    (tmp_path / "s.json").write_text(json.dumps(data))
    toml = (
        'name = "t"\nhorizon_months = 12\n[workload]\ntokens_per_month = "1B"\n'
        '[[paths]]\nname = "A"\nkind = "api"\nprice_per_1k_input = 0.001\nprice_per_1k_output = 0.002\n'
    )
    (tmp_path / "s.toml").write_text(toml)
    for name in ("s.json", "s.toml"):
        result = run("compare", tmp_path / name, "-f", "json")
        assert result.exit_code == 0, result.output


def test_init_writes_a_valid_starter_and_never_overwrites(tmp_path):
    target = tmp_path / "mine.yaml"
    assert run("init", "-o", target).exit_code == 0
    assert target.read_text().startswith("#")
    assert validate_ok(target)
    again = run("init", "-o", target)
    assert again.exit_code == 2 and "--force" in again.stderr
    assert run("init", "-o", target, "--force", "--template", "bank-onprem-cny").exit_code == 0
    assert "CNY" in target.read_text()
    unknown = run("init", "-o", tmp_path / "x.yaml", "--template", "bank-onprem")
    assert unknown.exit_code == 2 and "did you mean" in unknown.stderr


def test_every_template_validates(tmp_path):
    from buildorbuy.templates import available

    for name in available():
        target = tmp_path / f"{name}.yaml"
        assert run("init", "-o", target, "-t", name).exit_code == 0
        assert validate_ok(target), name


def test_bundled_scenarios_ship_as_templates():
    from buildorbuy.templates import read_template

    for scenario in SCENARIOS:
        assert read_template(scenario.stem) == scenario.read_text(), scenario.name


def test_schema_is_json_schema_of_the_format():
    document = json.loads(run("schema").stdout)
    assert document["title"] == "buildorbuy scenario"
    assert "paths" in document["properties"] and "workload" in document["properties"]


def test_help_lists_commands_and_imports_no_numpy():
    code = "import sys; from buildorbuy.cli import app; sys.argv=['buildorbuy','--help']\ntry:\n app()\nexcept SystemExit: pass\nprint('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False")
    for command in ("compare", "validate", "init", "schema"):
        assert command in out


def test_engine_imports_neither_typer_nor_rich():
    code = "import sys, buildorbuy.engine.core, buildorbuy.analysis.compare; print('typer' in sys.modules, 'rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"


def test_python_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "buildorbuy", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("buildorbuy ")


def test_errors_inside_a_finetune_path_name_the_real_field_and_line():
    from pathlib import Path

    scenario = [s for s in SCENARIOS if "enterprise-support" in s.name][0]
    lines = scenario.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "target_utilization:" in text)
    bad = scenario.read_text().replace("target_utilization: 0.7", "target_utilization: 0")
    path = Path("s.yaml").resolve()
    path.write_text(bad)
    result = run("compare", path)
    assert result.exit_code == 2
    assert f"{path}:{line}: paths[1].serving.target_utilization:" in result.stderr


def test_unknown_field_suggestions_come_from_that_level(write_yaml):
    file = write_yaml(base_scenario(paths=[api_path(serving={"gpu": "h100"})]))
    result = run("compare", file)
    assert result.exit_code == 2
    assert "paths[0].serving: unknown field (fields here:" in result.stderr and "price_per_1k_input" in result.stderr
    result = run("compare", file.parent / file.name, "--set", "paths[0].serving={}", "--set", "workload.outptu_tokens=3")
    assert "did you mean 'output_tokens_per_request'?" in result.stderr or "fields here" in result.stderr


def test_a_bad_value_from_set_is_blamed_on_set_not_a_file_line(write_yaml):
    file = write_yaml(base_scenario())
    result = run("compare", file, "--set", "workload.output_share=2")
    assert result.exit_code == 2
    assert f"Error: {file}: workload.output_share:" in result.stderr and "(from --set)" in result.stderr


def test_init_to_stdout_and_samples_as_quantities(tmp_path):
    result = run("init", "-o", "-")
    assert result.exit_code == 0 and result.stdout.startswith("# Starter scenario")
    assert not (tmp_path / "-").exists()


def test_validate_lists_every_problem_unknown_fields_first(write_yaml):
    data = base_scenario(horizon_months=0, workload={"tokens_per_month": 1e9, "tokens_per_mnth": 5})
    file = write_yaml(data)
    result = run("validate", file)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 2
    assert "did you mean 'tokens_per_month'" in lines[0] and "horizon_months" in lines[1]
    single = run("compare", file)
    assert len(single.stderr.strip().splitlines()) == 1 and "+1 more problem" in single.stderr


def test_duplicates_are_refused_in_json_and_set_values_and_yaml_merge_keys_work(tmp_path, write_yaml):
    (tmp_path / "d.json").write_text('{"name": "x", "name": "y", "workload": {"tokens_per_month": 1e9}, "paths": []}')
    result = run("validate", tmp_path / "d.json")
    assert result.exit_code == 2 and "duplicate key 'name'" in result.stderr
    file = write_yaml(base_scenario())
    result = run("validate", file, "--set", "workload={tokens_per_month: 1, tokens_per_month: 2}")
    assert result.exit_code == 2 and "duplicate key" in result.stderr
    merged = write_yaml("name: t\nworkload:\n  <<: {tokens_per_month: 1B}\n  output_share: 0.2\n"
                        "paths:\n  - {name: A, kind: api, price_per_1k_input: 0.001, price_per_1k_output: 0.002}\n", "m.yaml")
    assert run("validate", merged).exit_code == 0


def test_a_problem_caused_by_set_under_a_new_parent_is_blamed_on_set(write_yaml):
    file = write_yaml(base_scenario())
    result = run("validate", file, "--set", "paths[0].training.gpus=1")
    import re

    assert result.exit_code == 2 and "(from --set)" in result.stderr
    assert not re.search(rf"{re.escape(str(file))}:\d+:", result.stderr)


def test_json_errors_name_the_line_of_the_nested_value(tmp_path):
    text = json.dumps(base_scenario(paths=[api_path(price_out=-1)]), indent=2)
    file = tmp_path / "s.json"
    file.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if '"price_per_1k_output"' in row)
    result = run("validate", file)
    assert f"{file}:{line}: paths[0].price_per_1k_output:" in result.stderr


def test_validate_lists_every_catalog_problem_in_one_run(write_yaml):
    hosted = {"kind": "finetune", "finetune": {"tokens": "20M", "gpu": "a100-80gb", "gpu_hour_price": 2, "mfu": 0.3},
              "serving": {"gpu": "h100-sxm", "gpu_hour_price": 3, "tokens_per_second_per_gpu": 1000, "gpus_per_replica": 1},
              "lead_time_months": 1}
    data = base_scenario(paths=[
        {"name": "A", "kind": "api", "model": "gpt-nonexistent-9"},
        {**hosted, "name": "B", "model": {"catalog": "llama-99b"}},
        {**hosted, "name": "C", "model": {"params": "8B"}, "serving": {**hosted["serving"], "gpu": "h999"}},
    ])
    file = write_yaml(data)
    result = run("validate", file)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 3, result.stderr
    assert "paths[0].model" in lines[0] and "gpt-nonexistent-9" in lines[0]
    assert "paths[1].model.catalog" in lines[1] and "llama-99b" in lines[1]
    assert "paths[2].serving.gpu" in lines[2] and "h999" in lines[2]
    assert all(line.startswith(f"Error: {file}:") for line in lines)
    single = run("compare", file)
    assert len(single.stderr.strip().splitlines()) == 1 and "+2 more problems" in single.stderr


def _table_after(text: str, heading: str) -> list[list[str]]:
    from tests.report.helpers import markdown_tables

    after = text.split(heading, 1)[1]
    return markdown_tables(after)[0]


def test_every_path_has_a_cost_breakdown_and_never_is_said_when_nothing_breaks_even(tmp_path):
    import yaml

    startup = [s for s in SCENARIOS if "startup" in s.name][0]
    data = json.loads(run("compare", startup, "-f", "json").stdout)
    markdown = run("compare", startup, "-f", "markdown").stdout
    table = run("compare", startup).stdout
    report_file = tmp_path / "r.md"
    assert run("report", startup, "-o", report_file).exit_code == 0
    report = report_file.read_text()
    for text, heading in ((markdown, "### Where the money goes"), (report, "### Cost by component")):
        rows = _table_after(text, heading)
        assert rows[0][:2] == ["Path", "Component"]
        for path in data["paths"]:
            first = next(i for i, row in enumerate(rows) if row[0] == path["name"])
            group = rows[first:first + len(path["components"]) + 1]
            for key, values in path["components"].items():
                row = next(r for r in group if r[1] != "total" and float(r[2].replace(",", "")) == pytest.approx(sum(values), abs=0.5))
                assert row
            assert group[-1][1] == "total" and float(group[-1][2].replace(",", "")) == pytest.approx(path["total_cost"], abs=0.5)
    for name in (p["name"] for p in data["paths"]):
        assert name in table.split("Where the money goes", 1)[1]
    # gpt-4o-mini is cheaper from month 0: the hosted path never breaks even, said the same way in both
    for text, heading in ((markdown, "### Break-even"), (report, "## Break-even")):
        rows = _table_after(text, heading)
        assert ["Fine-tuned Llama 3.1 8B", "gpt-4o-mini", "never"] == rows[1][:3], rows
    assert "never" in table.split("Break-even", 1)[1]
