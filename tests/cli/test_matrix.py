"""Every bundled scenario, and paths naming every catalog model, through every command.

Each command must finish with exit 0, or exit 2 with a one-line `Error:` message where it
legitimately refuses; never a traceback. The catalog models are spread over a few scenarios of
several self-hosted paths each, so the whole matrix stays within a few seconds per scenario.
"""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from buildorbuy.catalog.models import list_models
from buildorbuy.cli import app
from tests.conftest import SCENARIOS

MODELS_PER_SCENARIO = 12


def _catalog_scenarios() -> list[tuple[str, dict]]:
    models = sorted(list_models(), key=lambda m: m.id)
    chunks = [models[i:i + MODELS_PER_SCENARIO] for i in range(0, len(models), MODELS_PER_SCENARIO)]
    out = []
    for n, chunk in enumerate(chunks):
        paths = [{"name": "mini", "kind": "api", "model": "gpt-4o-mini"}]
        for model in chunk:
            paths.append({
                "name": f"Tuned {model.id}",
                "kind": "finetune",
                "model": {"catalog": model.id},
                "finetune": {"tokens": "20M", "gpu": "h100-sxm", "mfu": "auto"},
                "serving": {"gpu": "h100-sxm", "tokens_per_second_per_gpu": "auto", "gpus_per_replica": "auto"},
                "lead_time_months": 2,
                "staff": [{"role": "ML engineer", "count": 1, "annual_cost": "220k"}],
            })
        out.append((f"catalog-models-{n}", {
            "version": 1, "name": f"Catalog models {n}", "currency": "USD", "start": "2026-01",
            "horizon_months": 24, "workload": {"tokens_per_month": "20B", "growth_per_month": 0.05},
            "bridge": "mini", "paths": paths,
        }))
    return out


CASES = [pytest.param(p, id=p.stem) for p in SCENARIOS] + [pytest.param(d, id=name) for name, d in _catalog_scenarios()]


def _file(case, tmp_path):
    if isinstance(case, dict):
        path = tmp_path / "scenario.yaml"
        path.write_text(yaml.safe_dump(case, sort_keys=False))
        return path
    return case


def _first_dense(data: dict) -> int | None:
    from buildorbuy.catalog.models import get_model

    for i, p in enumerate(data["paths"]):
        ref = p.get("model")
        if isinstance(ref, dict):
            if "catalog" not in ref:
                return i
            spec = get_model(ref["catalog"])
            if spec.params_active == spec.params:
                return i
    return None


def _run(args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{args}: traceback {result.exception!r}\n{result.output}"
    )
    assert result.exit_code in (0, 2), f"{args}: exit {result.exit_code}\n{result.output}"
    if result.exit_code == 2:
        err = result.stderr.strip().splitlines()
        assert err and err[-1].startswith("Error:"), f"{args}: no one-line error\n{result.output}"
    return result


@pytest.mark.parametrize("case", CASES)
def test_every_command_runs(case, tmp_path, monkeypatch):
    if isinstance(case, dict):
        # Drawing a dozen panels per chart costs seconds per scenario; the charts are drawn for
        # every bundled scenario here and checked in tests/report. The catalog scenarios exercise
        # the report's analyses (tornado, Monte Carlo) and document.
        from buildorbuy.render import charts

        monkeypatch.setattr(charts, "render_charts", lambda cmp, **_: charts.ChartSet())
    path = _file(case, tmp_path)
    data = yaml.safe_load(path.read_text())
    dense = _first_dense(data)

    assert _run(["validate", path]).exit_code == 0
    for fmt in ("table", "markdown", "csv", "json"):
        result = _run(["compare", path, "-f", fmt])
        assert result.exit_code == 0, result.output
        if fmt == "json":
            json.loads(result.stdout)
    assert _run(["tornado", path]).exit_code == 0
    assert _run(["sweep", path, "-p", "workload.tokens_per_month", "-r", "1B:50B:3"]).exit_code == 0
    if dense is not None:
        for command in (["sweep", path, "-p", f"paths[{dense}].model.params", "-r", "1B:80B:3"],
                        ["breakeven", path, "-p", f"paths[{dense}].model.params"]):
            assert _run(command).exit_code == 0
    _run(["breakeven", path, "-p", "workload.tokens_per_month"])
    assert _run(["simulate", path, "-n", "200", "-f", "json"]).exit_code in (0, 2)
    report = tmp_path / "out" / "report.md"
    assert _run(["report", path, "-o", report, "--samples", "200"]).exit_code == 0
    assert report.exists()
    assert _run(["diff", path, path, "-s", "workload.tokens_per_month=5B"]).exit_code == 0
    workbook = tmp_path / "out" / "model.xlsx"
    assert _run(["export", path, "-o", workbook]).exit_code == 0
    assert workbook.stat().st_size > 0
    assert _run(["whatif", path, "-f", "json"]).exit_code == 0
    _run(["when", path, "--latest", "6", "-f", "json"])  # exit 2 with one line when there is no bridge
    _run(["voi", path, "-n", "1000", "-f", "json"])  # exit 2 with one line when nothing is uncertain


def test_moving_a_dense_catalog_models_params_moves_its_active_params(tmp_path):
    from buildorbuy import load_scenario, sweep

    _, data = _catalog_scenarios()[0]
    path = _file(data, tmp_path)
    dense = _first_dense(data)
    result = sweep(load_scenario(path), {f"paths[{dense}].model.params": [2e9, 20e9]})
    npv = [point["npv"][data["paths"][dense]["name"]] for point in result.to_dict()["points"]]
    assert npv[0] < npv[1]


def test_an_moe_catalog_models_params_is_skipped_with_the_reason(tmp_path):
    data = dict(_catalog_scenarios()[0][1])
    data["paths"] = [data["paths"][0], {**data["paths"][1], "name": "MoE", "model": {"catalog": "qwen3-30b-a3b"}}]
    path = _file(data, tmp_path)
    result = _run(["tornado", path, "-f", "json"])
    skipped = json.loads(result.stdout)["skipped"]
    assert "mixture-of-experts" in skipped["paths[1].model.params"]
    result = _run(["sweep", path, "-p", "paths[1].model.params", "-r", "20B:40B:3"])
    assert result.exit_code == 2 and "mixture-of-experts" in result.stderr
