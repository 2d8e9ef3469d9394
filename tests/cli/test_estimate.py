import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_training_json_contract():
    r = run("estimate", "training", "--params", "70B", "--tokens", "2T", "--gpu", "a100-80gb", "--gpus", "2048",
            "--gpu-hour-price", "2", "--format", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    for key in ("flops", "mfu", "gpu_hours", "wall_clock_days", "cost", "cost_source", "price_source", "method"):
        assert key in out
    assert out["flops"] == pytest.approx(6 * 70e9 * 2e12)
    assert out["cost"] == pytest.approx(out["gpu_hours"] * 2)
    assert out["wall_clock_days"] == pytest.approx(out["gpu_hours"] / 2048 / 24)
    assert out["price_source"] == "given"


def test_training_given_mfu_and_catalog_price():
    r = run("estimate", "training", "--params", "671B", "--active-params", "37B", "--tokens", "14.8T", "--gpu", "h800",
            "--mfu", "0.4", "--format", "json")
    out = json.loads(r.stdout)
    assert out["mfu"] == 0.4 and out["mfu_source"] == "given"
    assert out["flops"] == pytest.approx(6 * 37e9 * 14.8e12)
    assert out["price_source"].startswith("catalog: h800")
    assert "wall_clock_days" not in out


def test_training_without_known_price_has_no_cost():
    out = json.loads(run("estimate", "training", "--params", "7B", "--tokens", "1T", "--gpu", "ascend-910b", "--format", "json").stdout)
    assert "cost" not in out and out["gpu_hours"] > 0


def test_finetune_json_contract():
    r = run("estimate", "finetune", "--params", "7B", "--tokens", "25M", "--epochs", "3", "--method", "lora",
            "--gpu", "a100-80gb", "--format", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    for key in ("flops", "mfu", "gpu_hours", "cost"):
        assert key in out
    assert out["flops"] == pytest.approx(4 * 7e9 * 25e6 * 3)


def test_serving_json_contract_with_volume():
    r = run("estimate", "serving", "--params", "70B", "--gpu", "h100-sxm", "--precision", "fp8", "--input-len", "512",
            "--output-len", "256", "--tokens-per-month", "5B", "--peak-to-average", "2", "--target-utilization", "0.7",
            "--gpu-hour-price", "3", "--format", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    for key in ("gpus_per_replica", "output_tokens_per_second_per_gpu", "bound", "gpus", "monthly_cost"):
        assert key in out
    assert out["bound"] in ("memory", "compute")
    assert out["monthly_cost"] == pytest.approx(out["gpus"] * 730 * 3)
    assert out["gpus"] % out["gpus_per_replica"] == 0
    assert out["tokens_per_second_per_gpu"] == pytest.approx(out["output_tokens_per_second_per_gpu"] * 3)


def test_serving_catalog_model_multi_node_warns_not_fails():
    r = run("estimate", "serving", "--model", "deepseek-r1", "--gpu", "h100", "--format", "json")
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert out["model"] == "deepseek-r1" and out["precision"] == "fp8"
    assert out["gpus_per_replica"] > 8 and out["gpus_per_replica"] % 8 == 0
    assert "Warning:" in r.stderr and "more than one node" in r.stderr


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("estimate", "training", "--params", "70B", "--tokens", "2T", "--gpu", "h10"), "did you mean"),
        (("estimate", "serving", "--model", "llama-3.1-7b", "--gpu", "h100"), "did you mean"),
        (("estimate", "training", "--params", "70B", "--tokens", "2T", "--gpu", "h100", "--mfu", "1.5"), "mfu"),
        (("estimate", "training", "--params", "70B", "--tokens", "2T", "--gpu", "h100", "--mfu", "0"), "mfu"),
        (("estimate", "training", "--params", "70B", "--tokens", "0", "--gpu", "h100"), "tokens"),
        (("estimate", "finetune", "--params", "7B", "--tokens", "-5M", "--gpu", "a100"), "tokens"),
        (("estimate", "finetune", "--params", "7B", "--tokens", "5M", "--gpu", "a100", "--method", "lroa"), "did you mean"),
        (("estimate", "training", "--params", "seventy", "--tokens", "2T", "--gpu", "h100"), "params"),
        (("estimate", "training", "--tokens", "2T", "--gpu", "h100"), "--params"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, fragment):
    r = run(*args)
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0]
    assert r.stdout == ""


def test_usage_error_exits_2():
    assert run("estimate", "training", "--params", "7B").exit_code == 2


def test_table_output():
    r = run("estimate", "training", "--params", "7B", "--tokens", "1T", "--gpu", "a100")
    assert r.exit_code == 0 and "GPU-hours" in r.stdout and "7B" in r.stdout


@pytest.mark.parametrize("what", ["gpus", "models", "apis"])
def test_catalog_commands(what):
    r = run("catalog", what, "--format", "json")
    assert r.exit_code == 0, r.output
    records = json.loads(r.stdout)
    assert len(records) >= 13
    assert run("catalog", what).exit_code == 0


def test_catalog_apis_provider_filter_and_bad_date():
    r = run("catalog", "apis", "--provider", "dashscope", "--format", "json")
    assert {p["model"] for p in json.loads(r.stdout)} >= {"qwen-long", "qwen-max"}
    bad = run("catalog", "apis", "--date", "yesterday")
    assert bad.exit_code == 2 and bad.stderr.startswith("Error: ")


def test_every_command_has_help():
    for args in (("estimate", "training"), ("estimate", "finetune"), ("estimate", "serving"),
                 ("catalog", "gpus"), ("catalog", "models"), ("catalog", "apis")):
        r = run(*args, "--help")
        assert r.exit_code == 0 and "Usage" in r.stdout


def test_help_does_not_import_numpy_or_catalogs():
    code = ("import sys; from buildorbuy.cli import app; "
            "bad = [m for m in ('numpy', 'rich', 'genai_prices', 'buildorbuy.catalog.gpus', 'buildorbuy.estimators') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


@pytest.mark.parametrize("args,expected", [
    (["--params", "70B", "--active-params", "100B"], "active_params"),
    (["--params", "-70B"], "params: must be positive"),
    (["--params", "70B", "--target-utilization", "5"], "--target-utilization"),
])
def test_serving_estimate_rejects_impossible_inputs(args, expected):
    result = CliRunner().invoke(app, ["estimate", "serving", *args, "--gpu", "h100", "--input-len", "512", "--output-len", "256"])
    assert result.exit_code == 2 and expected in result.stderr


@pytest.mark.parametrize("args", [
    ["training", "--params", "1e14", "--tokens", "1e18", "--gpu", "a100-80gb", "--gpus", "8", "--mfu", "1e-300"],
    ["finetune", "--params", "7B", "--tokens", "25M", "--epochs", "1e300", "--gpu", "a100-80gb"],
    ["serving", "--params", "1e300", "--gpu", "h100", "--input-len", "512", "--output-len", "256"],
])
def test_absurd_inputs_are_errors_not_infinity(args):
    result = CliRunner().invoke(app, ["estimate", *args, "--format", "json"])
    assert result.exit_code == 2, result.output
    assert "Infinity" not in result.stdout and result.stderr.startswith("Error: ")


ISO = r"^\d{4}(-\d{2}(-\d{2})?)?(/\d{4}(-\d{2}(-\d{2})?)?)?$"
"""ISO 8601: a date at day, month or year precision, or an interval of two."""


def _plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return "," not in text and text.strip() == text


@pytest.mark.parametrize("args,numeric", [
    (("estimate", "serving", "--model", "llama-3.1-8b", "--gpu", "h100", "--tokens-per-month", "5B"),
     {"params", "active_params", "input_len", "output_tokens_per_second_per_gpu", "tokens_per_second_per_gpu",
      "tokens_per_month", "target_utilization", "peak_tokens_per_second", "monthly_cost"}),
    (("estimate", "training", "--params", "7B", "--tokens", "1T", "--gpu", "h100", "--gpus", "1000"),
     {"params", "tokens", "flops", "mfu", "gpu_hours", "gpus", "cost"}),
    (("estimate", "finetune", "--params", "8B", "--tokens", "20M", "--gpu", "a100-80gb"), {"params", "tokens", "gpu_hours", "cost"}),
])
def test_estimate_csv_and_json_carry_plain_numbers(args, numeric):
    import csv
    import io

    rows = dict(csv.reader(io.StringIO(run(*args, "-f", "csv").stdout)))
    data = json.loads(run(*args, "--format", "json").stdout)
    for key in numeric:
        assert _plain_number(rows[key]), (key, rows[key])
        assert float(rows[key]) == pytest.approx(data[key], rel=1e-12)


@pytest.mark.parametrize("what,numeric,dates", [
    ("gpus", ["bf16_tflops", "memory_gb", "bandwidth_tbps", "tdp_watts", "rent_usd_per_hour", "purchase_usd"],
     ["price_date", "purchase_date"]),
    ("models", ["params_total", "params_active", "layers", "context_length"], ["release"]),
    ("apis", ["input_per_1m", "output_per_1m", "input_per_1m_usd", "output_per_1m_usd"], ["price_date"]),
])
def test_catalog_csv_and_json_carry_plain_numbers_and_iso_dates(what, numeric, dates, tmp_path):
    import csv
    import io
    import re

    out = tmp_path / f"{what}.csv"
    assert run("catalog", what, "-f", "csv", "-o", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    records = json.loads(run("catalog", what, "-f", "json").stdout)
    assert len(rows) == len(records) > 10
    for row, record in zip(rows, records):
        for key in numeric:
            assert row[key] == "" or _plain_number(row[key]), (key, row[key])
            assert (row[key] == "") == (record[key] is None)
            if row[key]:
                assert float(row[key]) == record[key]
        for key in dates:
            for value in (row[key], record[key]):
                assert value in ("", None) or re.match(ISO, value), (key, value)


def test_estimate_json_carries_error_factor_and_precision():
    import json as _json

    from typer.testing import CliRunner as _Runner

    from buildorbuy.cli import app as _app
    from buildorbuy.estimators import training as _tr

    r = _Runner()
    out = _json.loads(r.invoke(_app, ["estimate", "training", "--params", "671B", "--active-params", "37B", "--tokens", "14.8T",
                                      "--gpu", "h800", "--precision", "fp8", "--format", "json"]).stdout)
    assert out["error_factor_p80"] == _tr.ERROR_FACTOR_P80 and out["precision"] == "fp8"
    bf16 = _json.loads(r.invoke(_app, ["estimate", "training", "--params", "671B", "--active-params", "37B", "--tokens", "14.8T",
                                       "--gpu", "h800", "--format", "json"]).stdout)
    assert out["gpu_hours"] == __import__("pytest").approx(bf16["gpu_hours"] / (1979 / 989 * _tr.FP8_EFFICIENCY))
    given = _json.loads(r.invoke(_app, ["estimate", "training", "--params", "7B", "--tokens", "1T", "--gpu", "h100", "--mfu", "0.4",
                                        "--format", "json"]).stdout)
    assert "error_factor_p80" not in given
    bad = r.invoke(_app, ["estimate", "finetune", "--params", "7B", "--tokens", "1M", "--gpu", "a100", "--precision", "fp8"])
    assert bad.exit_code == 2 and "no FP8" in bad.output
    serving = _json.loads(r.invoke(_app, ["estimate", "serving", "--params", "8B", "--gpu", "h100", "--format", "json"]).stdout)
    assert serving["error_factor_p80"] > 1


@pytest.mark.parametrize("degree", ["3", "6", "12", "20"])
def test_serving_tensor_parallel_must_be_a_replica_size(degree):
    result = run("estimate", "serving", "--model", "llama-3.1-70b", "--gpu", "h100-sxm", "--tensor-parallel", degree)
    assert result.exit_code == 2
    assert result.stderr == (f"Error: --tensor-parallel: must be 1, 2, 4 or 8 GPUs in one node, or a multiple of 8 "
                             f"(whole nodes), as the serving estimate splits a model (got {degree})\n")


@pytest.mark.parametrize("degree, gpus", [("1", 1), ("4", 4), ("8", 8), ("16", 16)])
def test_serving_tensor_parallel_replica_sizes_are_taken(degree, gpus):
    result = run("estimate", "serving", "--params", "8B", "--gpu", "h100-sxm", "--tensor-parallel", degree, "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["gpus_per_replica"] == gpus


@pytest.mark.parametrize("args, message", [
    (["--model", "llama-3.1-8b", "--input-len", "1e12"],
     "--input-len: must be at most 10,000,000 tokens, the longest published context window (got 1e+12)"),
    (["--params", "8B", "--output-len", "20M"],
     "--output-len: must be at most 10,000,000 tokens, the longest published context window (got 2e+07)"),
    (["--model", "llama-3.1-8b", "--input-len", "131000", "--output-len", "100"],
     "--input-len: 131000 input + 100 output tokens per request exceed llama-3.1-8b's context window of 131,072 tokens"),
    (["--model", "llama-2-7b", "--output-len", "5000"],
     "--output-len: 1000 input + 5000 output tokens per request exceed llama-2-7b's context window of 4,096 tokens"),
    (["--params", "8B", "--input-len", "0"], "--input-len: must be a positive number of tokens (got 0)"),
])
def test_serving_request_lengths_are_bounded(args, message):
    result = run("estimate", "serving", *args, "--gpu", "h100-sxm", "-f", "json")
    assert result.exit_code == 2
    assert result.stdout == "" and result.stderr == f"Error: {message}\n"


def test_serving_request_filling_the_context_window_is_taken():
    result = run("estimate", "serving", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--input-len", "130822",
                 "--output-len", "250", "-f", "json")  # 131,072 tokens: the whole window
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["input_len"] == 130822


def test_a_scenario_request_longer_than_the_catalog_models_context_is_an_error(write_yaml):
    from tests.conftest import api_path, base_scenario

    own = {"name": "Own", "kind": "finetune", "model": {"catalog": "llama-3.1-8b"}, "finetune": {"tokens": "10M"},
           "serving": {"gpu": "h100-sxm"}}
    data = base_scenario(paths=[api_path(), own])
    data["workload"]["input_tokens_per_request"] = 200_000
    path = write_yaml(data)
    line = path.read_text().splitlines().index("  input_tokens_per_request: 200000") + 1
    result = run("compare", str(path))
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {path}:{line}: workload.input_tokens_per_request: 200000 input + 250 output tokens "
                             "per request exceed llama-3.1-8b's context window of 131,072 tokens (paths[1].model.catalog)\n")
    data["workload"]["input_tokens_per_request"] = 100_000
    assert run("compare", str(write_yaml(data))).exit_code == 0
    data["workload"]["input_tokens_per_request"] = "20M"
    result = run("validate", str(write_yaml(data)))
    assert result.exit_code == 2 and "workload.input_tokens_per_request: Input should be less than or equal to 10000000" in result.stderr


def test_a_scenario_replica_size_the_serving_estimate_cannot_model_is_an_error(write_yaml):
    from tests.conftest import api_path, base_scenario

    own = {"name": "Own", "kind": "finetune", "model": {"catalog": "llama-3.1-8b"}, "finetune": {"tokens": "10M"},
           "serving": {"gpu": "h100-sxm", "gpus_per_replica": 3}}
    result = run("validate", str(write_yaml(base_scenario(paths=[api_path(), own]))))
    assert result.exit_code == 2
    assert ("paths[1].serving.gpus_per_replica: must be 1, 2, 4 or 8 GPUs in one node, or a multiple of 8 (whole nodes), "
            "for the estimated tokens_per_second_per_gpu: auto (got 3)") in result.stderr
    own["serving"]["tokens_per_second_per_gpu"] = 3000  # a measured throughput: any layout
    assert run("validate", str(write_yaml(base_scenario(paths=[api_path(), own])))).exit_code == 0
    own["serving"].update(gpus_per_replica=4, tokens_per_second_per_gpu="auto")
    assert run("validate", str(write_yaml(base_scenario(paths=[api_path(), own])))).exit_code == 0


def test_table_prints_money_in_whole_units_like_every_other_command():
    """`cost  3,183,716.71` printed cents where every other command prints whole units; a GPU-hour price keeps them."""
    result = runner.invoke(app, ["estimate", "training", "--params", "70B", "--tokens", "2T", "--gpu", "a100-80gb",
                                 "--gpus", "2048", "--gpu-hour-price", "1.99"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = {" ".join(line.split()[:-1]): line.split()[-1] for line in result.stdout.splitlines() if len(line.split()) >= 2}
    assert rows["cost"] == "3,183,717" and rows["price per GPU-hour"] == "1.99"
