"""`validate` lists every problem in one run: field errors, unknown catalog names (checked on the
data as written even when fields are in error) and the plan's checks across fields."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from buildorbuy.cli import app

runner = CliRunner()

HOSTED = """
  - name: Own
    kind: finetune
    model: {params: 8B}
    finetune: {tokens: 20M, gpu: a100-80gb, gpu_hour_price: 2, mfu: 0.3}
    serving: {gpu: GPU, gpu_hour_price: 3, tokens_per_second_per_gpu: 1000, gpus_per_replica: 1}
"""


def _errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error: ")]


def _line_of(text: str, needle: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if needle in row)


def test_field_catalog_and_plan_problems_come_in_one_run(write_yaml):
    text = ("name: t\ncurrency: EUR\nstart: 2026-01\nhorizon_months: 24\n"
            "workload:\n  tokens_per_month: 1B\n  output_share: 1.4\n  input_tokens_per_request: -3\n"
            "  peak_to_average: 0.5\n"
            "paths:\n  - name: API\n    kind: api\n    model: gpt-4o-mini\n    discount: 2\n"
            + HOSTED.replace("GPU", "h30"))
    file = write_yaml(text)
    result = runner.invoke(app, ["validate", str(file)])
    lines = _errors(result)
    assert result.exit_code == 2 and len(lines) == 6, result.stderr
    expected = [
        ("workload.output_share", "output_share: 1.4"),
        ("workload.peak_to_average", "peak_to_average: 0.5"),  # in the order the fields are declared
        ("workload.input_tokens_per_request", "input_tokens_per_request: -3"),
        ("paths[0].discount", "discount: 2"),
        ("paths[1].serving.gpu", "serving: {gpu: h30"),
        ("paths[0].model", "model: gpt-4o-mini"),
    ]
    for line, (field, needle) in zip(lines, expected):
        assert line.startswith(f"Error: {file}:{_line_of(text, needle)}: {field}: "), (line, field)
    assert "unknown GPU 'h30'; did you mean 'h20'?" in lines[4]
    assert "set usd_exchange_rate (units of EUR per USD)" in lines[5]
    single = runner.invoke(app, ["compare", str(file)])
    # compare stops at the first problem: one line, pointing to validate, counting what validate lists
    assert single.exit_code == 2 and len(_errors(single)) == 1 and single.stderr.startswith(lines[0])
    assert "+5 more problems: `buildorbuy validate` lists them all" in single.stderr


def test_catalog_names_are_checked_when_a_required_field_is_missing(write_yaml):
    text = ("name: t\nworkload:\n  output_share: 0.2\n"
            "paths:\n  - name: API\n    kind: api\n    model: gpt-4o-minii\n"
            "  - name: Own\n    kind: finetune\n    model: {catalog: llama-9.9-8b}\n"
            "    finetune: {tokens: 20M, gpu: a100-80gbb}\n"
            "    serving: {gpu: {like: h30, name: x}}\n")
    file = write_yaml(text)
    lines = _errors(runner.invoke(app, ["validate", str(file)]))
    assert len(lines) == 5, lines
    assert lines[0].startswith(f"Error: {file}:2: workload: give tokens_per_month")
    assert lines[1].startswith(f"Error: {file}:7: paths[0].model: no API price for model 'gpt-4o-minii'")
    assert lines[2].startswith(f"Error: {file}:10: paths[1].model.catalog: unknown model 'llama-9.9-8b'")
    assert lines[3].startswith(f"Error: {file}:12: paths[1].serving.gpu.like: unknown GPU 'h30'")
    assert lines[4].startswith(f"Error: {file}:11: paths[1].finetune.gpu: unknown GPU 'a100-80gbb'")


def test_a_field_left_out_for_its_error_causes_no_second_line(write_yaml):
    text = ("name: t\ncurrency: EUR\nusd_exchange_rate: -1\nstart: 2026-01\nworkload: {tokens_per_month: 1B}\n"
            "paths:\n  - {name: API, kind: api, model: gpt-4o-mini}\n")
    lines = _errors(runner.invoke(app, ["validate", str(write_yaml(text))]))
    assert len(lines) == 1 and ": usd_exchange_rate: " in lines[0], lines


def test_plan_problems_of_several_paths_and_the_exchange_rate_in_one_run(write_yaml):
    text = ("name: t\ncurrency: EUR\nstart: 2026-01\nworkload: {tokens_per_month: 1B}\nbridge: API\n"
            "paths:\n  - {name: API, kind: api, model: gpt-4o-mini}\n"
            + HOSTED.replace("GPU", "a100-80gb") + "    routing: {fallback: Nope}\n"
            + HOSTED.replace("GPU", "a100-80gb").replace("name: Own", "name: Other").replace("tokens_per_second_per_gpu: 1000, gpus_per_replica: 1",
                                                                "tokens_per_second_per_gpu: auto, gpus_per_replica: 3"))
    file = write_yaml(text)
    result = runner.invoke(app, ["validate", str(file)])
    lines = _errors(result)
    assert result.exit_code == 2 and len(lines) == 3, result.stderr
    assert re.match(rf"Error: {re.escape(str(file))}:7: paths\[0\]\.model: catalog prices are in USD", lines[0])
    assert "paths[1].routing.fallback: 'Nope' names no path" in lines[1]
    assert "paths[2].serving.gpus_per_replica: must be 1, 2, 4 or 8 GPUs" in lines[2]
    fixed = runner.invoke(app, ["validate", str(file), "--set", "usd_exchange_rate=0.9", "--set", "paths[1].routing.fallback=API",
                                "--set", "paths[2].serving.gpus_per_replica=2"])
    assert fixed.exit_code == 0, fixed.stderr


def test_a_catalog_name_given_with_set_is_blamed_on_set(write_yaml):
    text = ("name: t\nstart: 2026-01\nworkload: {tokens_per_month: 1B, output_share: 2}\nbridge: API\n"
            "paths:\n  - {name: API, kind: api, price_per_1k_input: 0.001, price_per_1k_output: 0.002}\n"
            + HOSTED.replace("GPU", "a100-80gb"))
    file = write_yaml(text)
    lines = _errors(runner.invoke(app, ["validate", str(file), "--set", "paths[1].serving.gpu=h999"]))
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"Error: {file}:3: workload.output_share:")
    assert lines[1].startswith(f"Error: {file}: paths[1].serving.gpu: unknown GPU 'h999'") and lines[1].endswith("(from --set)")
