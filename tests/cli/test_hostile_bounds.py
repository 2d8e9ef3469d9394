"""Hostile input through the CLI: one-line errors naming the right field, exit 2, never a traceback
or an absurd number."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import REPO

runner = CliRunner()
SUPPORT = REPO / "scenarios" / "enterprise-support.yaml"
RESERVED = REPO / "scenarios" / "enterprise-support-reserved.yaml"


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def refused(result, *needles):
    """Exit 2, one error line (no traceback), containing every needle."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    error = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(error) == 1, result.output
    for needle in needles:
        assert needle in error[0], result.output
    return error[0]


@pytest.mark.parametrize("command", ["validate", "compare"])
@pytest.mark.parametrize("start", ["0000-01", "9999-01", "1899-12"])
def test_start_year_out_of_range_is_refused(command, start):
    refused(run(command, SUPPORT, "--set", f"start={start}"), "start", "year must be between 1900 and 2999")


def test_start_at_the_latest_year_with_the_longest_horizon_runs():
    result = run("compare", SUPPORT, "--set", "start=2999-12", "--set", "horizon_months=600",
                 "--set", "workload.growth_per_year=0")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("override, field", [
    ("paths[1].serving.target_utilization=1e-300", "paths[1].serving.target_utilization"),
    ("paths[1].serving.tokens_per_second_per_gpu=1e-20", "paths[1].serving.tokens_per_second_per_gpu"),
    ("paths[1].serving.tokens_per_second_per_gpu=1e-3", "paths[1].serving.tokens_per_second_per_gpu"),
    ("paths[1].serving.tokens_per_second_per_gpu=1e-9", "paths[1].serving.tokens_per_second_per_gpu"),
    ("paths[1].serving.min_replicas=1e7", "paths[1].serving.min_replicas"),
    ("paths[1].serving.redundancy=1e7", "paths[1].serving.redundancy"),
])
@pytest.mark.parametrize("command", ["compare", "report"])
def test_autoscaled_reserved_fleet_is_bounded_like_a_fixed_one(command, override, field, tmp_path):
    extra = ("-o", tmp_path / "out.html") if command == "report" else ()
    refused(run(command, RESERVED, "--set", override, *extra), field, "more than 10,000,000")
    assert not (tmp_path / "out.html").exists()


@pytest.mark.parametrize("override, field", [
    ("paths[1].serving.target_utilization=1e-6", "paths[1].serving.target_utilization"),
    ("paths[1].serving.redundancy=1e7", "paths[1].serving.redundancy"),
    ("paths[1].serving.tokens_per_second_per_gpu=1e-3", "paths[1].serving.tokens_per_second_per_gpu"),
])
def test_fixed_fleet_error_names_the_field_that_makes_it_absurd(override, field):
    line = refused(run("compare", SUPPORT, "--set", override), field, "more than 10,000,000")
    assert "workload" not in line.split(":")[1]


def test_the_workload_is_blamed_when_the_traffic_is_absurd():
    refused(run("compare", SUPPORT, "--set", "workload.tokens_per_month=1e18"), "workload", "real volume")


def test_a_deep_set_path_is_refused_in_one_line():
    refused(run("validate", SUPPORT, "--set", "a." * 600 + "b=1"), "more than 64 parts")


@pytest.mark.parametrize("args", [
    ("validate", SUPPORT, "--set", "paths[-1].name=x"),
    ("compare", SUPPORT, "--set", "paths[-2].serving.redundancy=2"),
    ("sweep", SUPPORT, "-p", "paths[-1].serving.gpu_hour_price", "--values", "1,2"),
])
def test_negative_indexes_are_refused_everywhere(args):
    refused(run(*args), "negative index")


SERVING = ("estimate", "serving", "--model", "llama-3.1-70b", "--gpu", "h100-sxm", "--tokens-per-month", "5B")
BIG = "99999999999999999999"


def test_tensor_parallel_is_capped_at_1024():
    refused(run(*SERVING, "--tensor-parallel", BIG), "--tensor-parallel", "at most 1,024")
    refused(run(*SERVING, "--tensor-parallel", "1032"), "--tensor-parallel", "at most 1,024")
    assert run(*SERVING, "--tensor-parallel", "1024").exit_code == 0


@pytest.mark.parametrize("args, field", [
    (("--target-utilization", "1e-300"), "target_utilization"),
    (("--tokens-per-month", "1e18"), "tokens_per_month"),
])
def test_estimate_serving_fleet_is_bounded(args, field):
    line = refused(run(*SERVING, *args), field, "more than 10,000,000")
    assert line.startswith(f"Error: {field}:")


@pytest.mark.parametrize("command", [
    ("estimate", "training", "--params", "70B", "--tokens", "15T", "--gpu", "h100-sxm"),
    ("estimate", "finetune", "--params", "70B", "--tokens", "15M", "--gpu", "h100-sxm"),
])
def test_estimate_gpus_are_bounded_and_a_tiny_mfu_is_blamed(command):
    refused(run(*command, "--gpus", BIG), "gpus", "at most 10,000,000")
    assert run(*command, "--gpus", "10000000").exit_code == 0
    line = refused(run(*command, "--mfu", "1e-300"), "mfu", "at least 0.001")
    assert line.startswith("Error: mfu:")


SMALL = ("name: x\nworkload: {tokens_per_month: 1e9}\n"
         "paths: [{name: a, kind: api, price_per_1k_input: 1, price_per_1k_output: 1}]\n")


def test_an_explicit_float_tag_on_a_whole_number_is_read():
    path = "s.yaml"
    with open(path, "w") as handle:
        handle.write(SMALL + "horizon_months: !!float 24\n")
    result = run("validate", path)
    assert result.exit_code == 0 and "24 months" in result.output, result.output


@pytest.mark.parametrize("value, message", [("!!float abc", "'abc' is not a number;"),
                                            ("!!int 2.5", "'2.5' is not a plain whole number;")])
def test_a_bad_tagged_number_does_not_talk_about_underscores(value, message):
    with open("s.yaml", "w") as handle:
        handle.write(SMALL + f"horizon_months: {value}\n")
    line = refused(run("validate", "s.yaml"), "horizon_months", message)
    assert "underscore" not in line


@pytest.mark.parametrize("name, text", [
    ("big.yaml", "name: x\njunk: [" + ",".join(["1"] * 1_000_000) + "]\n"),
    ("big.json", '{"name": "x",\n"junk": [' + ",".join(["1"] * 1_000_000) + "]}"),
])
def test_a_long_list_without_aliases_is_refused_without_mentioning_aliases(name, text):
    with open(name, "w") as handle:
        handle.write(text)
    line = refused(run("validate", name), "more than 20,000 values", f"{name}:2:")
    assert "alias" not in line


def test_reserved_gpus_show_in_the_json_and_the_peak_gpus_column():
    import json

    base = json.loads(run("compare", RESERVED, "-f", "json").stdout)["paths"][1]
    data = json.loads(run("compare", RESERVED, "--set", "paths[1].serving.reserved.gpus=1000", "-f", "json").stdout)
    own = data["paths"][1]
    assert own["reserved_gpus"] == 1000 and own["peak_gpus"] == base["peak_gpus"] < 1000
    assert "reserved_gpus" not in data["paths"][0]  # an api path reserves nothing: the key is left out
    table = run("compare", RESERVED, "--set", "paths[1].serving.reserved.gpus=1000").stdout
    row = next(line for line in table.splitlines() if line.strip().startswith("Fine-tuned"))
    assert "1,000" in row.split()[-2], row  # Peak GPUs: the GPUs paid for at peak
    plain = json.loads(run("compare", SUPPORT, "-f", "json").stdout)
    assert all("reserved_gpus" not in p for p in plain["paths"])


def test_breakeven_says_where_a_path_stops_being_recommendable():
    import json

    result = run("breakeven", SUPPORT, "-p", "paths[1].start_month", "-r", "0:600", "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["value"] is None and "where both paths can be recommended" in data["reason"]
    # 4 months of lead time: from start month 32 the path goes live at the 36-month horizon
    assert any("cannot be recommended for paths[1].start_month from 32 on" in w for w in data["warnings"])
    assert json.loads(run("compare", SUPPORT, "--set", "paths[1].start_month=31", "-f", "json").stdout
                      )["recommendation"]["reason_parts"]["excluded"] == []
