"""Problems found after validation (a derived fleet over the bound, a capacity cap, the bridge's
start) name the file and line like every other scenario error — `file:LINE: field: message` — and
a value given with --set (or varied by an analysis) is never blamed on a line of the file."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app

runner = CliRunner()

SCENARIO = """\
version: 1
name: places
start: 2026-01
horizon_months: 12
workload:
  tokens_per_month: 1B
  output_share: 0.25
bridge: api
paths:
  - name: api
    kind: api
    price_per_1k_input: 0.0025
    price_per_1k_output: 0.01
  - name: tuned
    kind: finetune
    model: {{params: 8B}}
    finetune: {{tokens: 20M, gpu: h100-sxm, gpus: 8, gpu_hour_price: 2.99}}
    serving:
      gpu: h100-sxm
      ownership: rent
      gpu_hour_price: 2.99
      tokens_per_second_per_gpu: {tps}
      gpus_per_replica: 2
      redundancy: 1
{extra}"""
TPS_LINE, MAX_GPUS_LINE = 22, 25


def write(tmp_path, tps="5000", extra="") -> str:
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO.format(tps=tps, extra=extra))
    return str(path)


def one_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


@pytest.mark.parametrize("command", [["compare"], ["validate"], ["tornado"], ["simulate", "-n", "200"], ["export", "-o", "{tmp}/w.xlsx"]])
def test_a_derived_fleet_over_the_bound_names_file_and_line(tmp_path, command):
    scenario = write(tmp_path, tps="1e-9")
    args = [command[0], scenario, *(a.replace("{tmp}", str(tmp_path)) for a in command[1:])]
    line = one_error(runner.invoke(app, args))
    assert re.match(rf"Error: \S*scenario\.yaml:{TPS_LINE}: paths\[1\]\.serving\.tokens_per_second_per_gpu: "
                    r"the serving fleet would need", line), line
    assert "--set" not in line


def test_a_derived_fleet_from_set_blames_set_not_a_line(tmp_path):
    line = one_error(runner.invoke(app, ["compare", write(tmp_path), "--set",
                                         "paths[1].serving.tokens_per_second_per_gpu=1e-9"]))
    assert re.match(r"Error: \S*scenario\.yaml: paths\[1\]\.serving\.tokens_per_second_per_gpu: ", line), line
    assert line.endswith("(from --set)")


def test_a_derived_fleet_at_a_swept_value_says_so(tmp_path):
    line = one_error(runner.invoke(app, ["sweep", write(tmp_path), "-p", "paths[1].serving.tokens_per_second_per_gpu",
                                         "--values", "1e-9,5000"]))
    assert re.match(rf"Error: \S*scenario\.yaml:{TPS_LINE}: paths\[1\]\.serving\.tokens_per_second_per_gpu: ", line), line
    assert "varied value" in line


def test_a_capacity_cap_below_one_replica_names_its_line_or_set(tmp_path):
    scenario = write(tmp_path, extra="      max_gpus: 2\n")
    line = one_error(runner.invoke(app, ["compare", scenario]))
    assert re.match(rf"Error: \S*scenario\.yaml:{MAX_GPUS_LINE}: paths\[1\]\.serving\.max_gpus: must be at least 4 GPUs", line), line
    line = one_error(runner.invoke(app, ["compare", write(tmp_path), "--set", "paths[1].serving.max_gpus=2"]))
    assert re.match(r"Error: \S*scenario\.yaml: paths\[1\]\.serving\.max_gpus: must be at least 4 GPUs", line), line
    assert line.endswith("(from --set)")


@pytest.mark.parametrize("command", ["compare", "validate"])
def test_the_bridge_start_set_on_the_command_line_blames_set(tmp_path, command):
    line = one_error(runner.invoke(app, [command, write(tmp_path), "--set", "paths[0].start_month=5"]))
    assert re.match(r"Error: \S*scenario\.yaml: paths\[0\]\.start_month: the bridge must serve from month 0", line), line
    assert "(from --set)" in line


def test_the_bridge_start_written_in_the_file_names_its_line(tmp_path):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO.format(tps="5000", extra="").replace(
        "    price_per_1k_output: 0.01\n", "    price_per_1k_output: 0.01\n    start_month: 5\n", 1))
    line = one_error(runner.invoke(app, ["compare", str(scenario)]))
    assert re.match(r"Error: \S*scenario\.yaml:14: paths\[0\]\.start_month: the bridge must serve from month 0", line), line


@pytest.mark.parametrize("old,new,field,marker", [
    ("bridge: api", "bridge: apx", "bridge", "bridge: apx"),  # names no path
    ("bridge: api", "bridge: tuned", "bridge", "bridge: tuned"),  # not an api path
    ("  - name: tuned", "  - name: api\n", "paths[1].name", "  - name: api\n\n"),  # used twice: the second one
    ("    kind: api", "    kind: api\n    lead_time_months: 2", "paths[0].lead_time_months", "lead_time_months: 2"),
])
@pytest.mark.parametrize("command", ["compare", "validate"])
def test_the_scenarios_cross_checks_name_their_field_and_line(tmp_path, command, old, new, field, marker):
    """The whole-scenario checks (the bridge, path names) said `file: message` with no line."""
    text = SCENARIO.format(tps="5000", extra="")
    assert old in text
    text = text.replace(old, new, 1)
    line = text[:text.index(marker)].count("\n") + 1
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    error = one_error(runner.invoke(app, [command, str(path)]))
    assert f"{path}:{line}: {field}: " in error, error


@pytest.mark.parametrize("profile,words", [("[1, 2, 3]", "has 3 values"), ("[" + ", ".join(["0"] * 24) + "]", "all zero")])
def test_a_daily_profile_of_the_wrong_shape_names_its_own_line(tmp_path, profile, words):
    """A daily_profile of the wrong length (or all zero) named `workload` and the workload's line."""
    text = SCENARIO.format(tps="5000", extra="").replace("  output_share: 0.25\n",
                                                         f"  output_share: 0.25\n  daily_profile: {profile}\n", 1)
    line = text[:text.index("daily_profile:")].count("\n") + 1
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    error = one_error(runner.invoke(app, ["validate", str(path)]))
    assert f"{path}:{line}: workload.daily_profile: daily_profile " in error and words in error, error
