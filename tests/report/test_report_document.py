"""The planning document: sections, table shape, assumptions with sources, optional sections, golden file.

Regenerate the golden report after an intended change:  UPDATE_GOLDEN=1 python -m pytest tests/report
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from buildorbuy import compare, load_scenario
from buildorbuy.render import report as report_mod
from buildorbuy.render.i18n import EN, ZH
from tests.conftest import REPO, SCENARIOS
from tests.report.helpers import markdown_tables

GOLDEN = REPO / "tests" / "golden" / "startup-assistant.report.md"
STARTUP = REPO / "scenarios" / "startup-assistant.yaml"

TORNADO = {"metric": "NPV", "path": "gpt-4o-mini", "baseline": 84944.0, "inputs": [
    {"field": "workload.growth_per_month", "low": 0.04, "high": 0.12, "metric_low": 60000.0, "metric_high": 130000.0},
    {"field": "paths[gpt-4o-mini].price_change_per_year", "low": -0.5, "high": 0.0, "metric_low": 70000.0, "metric_high": 100000.0},
]}
MONTE_CARLO = {"samples": 2000, "seed": 7, "paths": [
    {"name": "gpt-4o-mini", "npv_p10": 70000.0, "npv_p50": 85000.0, "npv_p90": 120000.0, "win_probability": 0.97},
    {"name": "Fine-tuned Llama 3.1 8B", "npv_p10": 420000.0, "npv_p50": 476000.0, "npv_p90": 530000.0, "win_probability": 0.03},
]}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_table_row_has_the_header_column_count(scenario, lang):
    document = report_mod.build_report(compare(load_scenario(scenario)), lang=lang, charts=False).markdown("x_charts")
    tables = markdown_tables(document)
    assert len(tables) >= 4
    for table in tables:
        assert all(len(row) == len(table[0]) for row in table), table[0]


def test_sections_in_order_and_charts_linked():
    document = report_mod.build_report(compare(load_scenario(STARTUP)), charts=True, cjk_font=None).markdown("plan_charts")
    headings = [line for line in document.splitlines() if line.startswith("## ")]
    assert headings[:2] == ["## Recommendation", "## The question"]
    for section in ("## Summary", "## Cost by year", "## Where the money goes", "## Break-even months", "## Assumptions"):
        assert section in headings
    assert "![Cumulative cost per path over time](plan_charts/cumulative.png)" in document
    assert "plan_charts/components.png" in document and "plan_charts/gpus.png" in document


def test_assumptions_name_every_source():
    cmp = compare(load_scenario(STARTUP, ["discount_rate=0.12"]))
    header, rows = report_mod.assumption_rows(cmp)
    by_field = {r[0]: r for r in rows}
    assert by_field["workload.tokens_per_month"][2] == "user input (startup-assistant.yaml:14)"
    assert by_field["discount_rate"][1] == "0.12"
    assert by_field["paths[Fine-tuned Llama 3.1 8B].model.active_params"][2].startswith("estimated: ")
    assert by_field["usd_exchange_rate"][2] == "default"
    assert all(len(r) == len(header) for r in rows)


def test_optional_sections_from_analysis_dicts():
    cmp = compare(load_scenario(STARTUP))
    document = report_mod.build_report(cmp, tornado=TORNADO, montecarlo=MONTE_CARLO, charts=False).markdown("c")
    assert "## Sensitivity (tornado)" in document and "## Uncertainty (Monte Carlo)" in document
    assert "workload.growth_per_month" in document and "97.0%" in document
    # the widest swing comes first
    tornado = report_mod.tornado_rows(TORNADO)
    assert tornado["rows"][0]["input"] == "workload.growth_per_month"
    assert report_mod.tornado_section(None) == [] and report_mod.montecarlo_section({"paths": []}) == []
    # a bare list of inputs works too
    assert report_mod.tornado_rows(TORNADO["inputs"])["metric"] == "NPV"


def test_tornado_result_shape_with_param_rows():
    data = {"metric": "npv", "winner": "gpt-4o-mini", "base_metric": 84944.0, "rows": [
        {"param": "paths[0].price_per_1k_output", "base": 0.0006, "low": 0.00048, "high": 0.00072,
         "metric_low": 80000.0, "metric_high": 90000.0, "effect": 10000.0}]}
    norm = report_mod.tornado_rows(data)
    assert norm["metric"] == "NPV · gpt-4o-mini" and norm["baseline"] == 84944.0
    assert norm["rows"][0]["input"] == "paths[0].price_per_1k_output"


def test_npv_samples_become_a_distribution_chart():
    cmp = compare(load_scenario(STARTUP))
    data = dict(MONTE_CARLO, paths=[dict(p, npv_samples=[p["npv_p10"], p["npv_p50"], p["npv_p90"]]) for p in MONTE_CARLO["paths"]])
    document = report_mod.build_report(cmp, montecarlo=data, tornado=TORNADO, cjk_font=None)
    assert {"tornado", "npv_distribution"} <= set(document.charts)
    assert "c/npv_distribution.png" in document.markdown("c") and "c/tornado.png" in document.markdown("c")


def test_optional_analyses_skip_monte_carlo_when_nothing_is_uncertain():
    tornado, montecarlo, samples = report_mod.optional_analyses(load_scenario(STARTUP))
    assert tornado["rows"] and montecarlo is None and samples is None

    uncertain = load_scenario(Path(STARTUP).parent / "uncertain-enterprise.yaml")
    tornado, montecarlo, samples = report_mod.optional_analyses(uncertain, samples=500, seed=3)
    assert montecarlo["samples"] == 500 and montecarlo["seed"] == 3
    assert set(samples) == {p["name"] for p in montecarlo["paths"]}
    assert all(len(values) == 500 for values in samples.values())


def test_string_tables_have_the_same_keys_and_placeholders():
    import string

    assert set(EN) == set(ZH)
    fields = lambda text: sorted(f for _, f, _, _ in string.Formatter().parse(text) if f)  # noqa: E731
    for key in EN:
        assert fields(EN[key]) == fields(ZH[key]), key


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_chinese_reason_from_reason_parts(scenario):
    from buildorbuy.render.compare_views import reason

    cmp = compare(load_scenario(scenario))
    text = reason(cmp, "zh")
    assert "现值成本最低" in text and cmp.recommendation["path"] in text
    assert reason(cmp, "en") == cmp.recommendation["reason"]


def test_golden_report_for_the_startup_scenario(tmp_path):
    """The whole report as `buildorbuy report` writes it (with the tornado and Monte Carlo sections
    where those analyses are installed)."""
    from typer.testing import CliRunner

    from buildorbuy.cli import app

    # run from the repository so the scenario path in the document is stable
    os.chdir(REPO)
    out = tmp_path / "plan.md"
    result = CliRunner().invoke(app, ["report", "scenarios/startup-assistant.yaml", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.exists(), "no golden file: run UPDATE_GOLDEN=1 python -m pytest tests/report"
    assert text == GOLDEN.read_text(encoding="utf-8"), "report changed; if intended: UPDATE_GOLDEN=1 python -m pytest tests/report"


def test_before_you_decide_section_from_voi_and_whatif_dicts():
    cmp = compare(load_scenario(STARTUP))
    voi = {"evpi": 12000.0, "decision_now": "gpt-4o-mini", "samples": 5000, "seed": 1, "inputs": [
        {"field": "workload.growth_per_month", "evppi": 9000.0, "share_of_evpi": 0.75, "se": 300.0},
        {"field": "paths[1].serving.gpu_hour_price", "evppi": 0.0, "share_of_evpi": 0.0, "se": 10.0}]}
    whatif = {"winner": "gpt-4o-mini", "conditions": [
        {"path": "Fine-tuned Llama 3.1 8B", "field": "workload.tokens_per_month", "current": 1e9, "value": 2.5e9,
         "change_fraction": 1.5, "at_step": True}]}
    document = report_mod.build_report(cmp, voi=voi, whatif=whatif, charts=False).markdown("c")
    section = document[document.index("## Before you decide"):document.index("## Assumptions")]
    assert "**gpt-4o-mini**" in section and "12,000 USD" in section
    tables = markdown_tables(section)
    assert tables[0][1][:2] == ["workload.growth_per_month", "9,000"] and len(tables[0]) == 2  # inputs worth 0 left out
    assert tables[1][1] == ["Fine-tuned Llama 3.1 8B", "workload.tokens_per_month", "1B", "≥ 2.5B", "+150%", "at a step"]
    assert report_mod.decision_section(lang="zh") == []
    zh = report_mod.build_report(cmp, voi=voi, lang="zh", charts=False).markdown("c")
    assert "## 决策之前" in zh
