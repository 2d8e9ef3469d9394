"""buildorbuy report through the CLI: files written, formats, languages, and bad output paths."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from buildorbuy.render import charts
from buildorbuy.render import report as report_mod
from tests.conftest import REPO
from tests.report.helpers import markdown_tables, png_size, png_variance

runner = CliRunner()
STARTUP = REPO / "scenarios" / "startup-assistant.yaml"
BANK = REPO / "scenarios" / "bank-onprem-cny.yaml"


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(autouse=True)
def _no_system_font(monkeypatch, request):
    """Tests never depend on which fonts the machine has, nor (except where marked) on whether the
    tornado and simulate analyses are installed: the core report is the same either way."""
    monkeypatch.setattr(charts, "find_cjk_font", lambda: None)
    if "with_analyses" not in request.keywords:
        monkeypatch.setattr(report_mod, "optional_analyses", lambda *a, **k: (None, None, None))


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_markdown_report_with_charts_beside_it(tmp_path):
    out = tmp_path / "docs" / "plan.md"  # a missing folder is created
    result = run("report", STARTUP, "-o", out)
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stderr
    files = listing(tmp_path / "docs")
    core = ["plan.md", "plan_charts", "plan_charts/components.png", "plan_charts/components.svg",
            "plan_charts/cumulative.png", "plan_charts/cumulative.svg", "plan_charts/gpus.png", "plan_charts/gpus.svg"]
    assert set(core) <= set(files)
    assert all(f in core or f.startswith("plan_charts/") and f.endswith((".png", ".svg")) for f in files)
    text = out.read_text(encoding="utf-8")
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert (out.parent / link).exists(), link
    for png in (out.parent / "plan_charts").glob("*.png"):
        width, height = png_size(png.read_bytes())
        assert width >= 600 and height >= 300
        assert png_variance(png) > 1e-3
    for table in markdown_tables(text):
        assert all(len(row) == len(table[0]) for row in table)
    assert not [p for p in (tmp_path / "docs").rglob(".*")], "temporary files left behind"


def test_same_input_same_files(tmp_path):
    first, second = tmp_path / "a" / "plan.md", tmp_path / "b" / "plan.md"
    assert run("report", STARTUP, "-o", first).exit_code == 0
    assert run("report", STARTUP, "-o", second).exit_code == 0
    for name in listing(first.parent):
        if (first.parent / name).is_file():
            assert (first.parent / name).read_bytes() == (second.parent / name).read_bytes(), name


def test_html_is_one_self_contained_file(tmp_path):
    out = tmp_path / "plan.html"
    result = run("report", BANK, "-o", out, "--format", "html")
    assert result.exit_code == 0, result.output
    assert listing(tmp_path) == ["plan.html"]
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert html.count('src="data:image/png;base64,') >= 3
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:)""", html)
    assert "<link" not in html and "<script" not in html and "url(" not in html and "http" not in html


def test_format_follows_the_suffix(tmp_path):
    assert run("report", STARTUP, "-o", tmp_path / "plan.html").exit_code == 0
    assert (tmp_path / "plan.html").read_text().startswith("<!DOCTYPE html>")


def test_chinese_report(tmp_path):
    out = tmp_path / "计划.md"
    result = run("report", BANK, "-o", out, "--lang", "zh")
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    for heading in ("## 推荐", "## 问题", "## 概览", "## 按年成本", "## 成本构成", "## 盈亏平衡月份", "## 假设"):
        assert heading in text
    assert "用户输入（bank-onprem-cny.yaml:" in text
    # no CJK font on this (simulated) machine: English chart labels, said in the report and on stderr
    assert "未找到可用于图表的中文字体" in text and "说明：未找到可用于图表的中文字体" in result.stderr
    assert (tmp_path / "计划_charts" / "cumulative.png").exists()


def test_file_where_a_folder_should_be_writes_nothing(tmp_path):
    (tmp_path / "blocker").write_text("a file, not a folder")
    for target in (tmp_path / "blocker" / "plan.md", tmp_path / "blocker" / "sub" / "plan.md"):
        result = run("report", STARTUP, "-o", target)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ")
        assert "Traceback" not in result.output
    assert listing(tmp_path) == ["blocker"]


def test_chart_folder_blocked_by_a_file_writes_nothing(tmp_path):
    (tmp_path / "plan_charts").write_text("in the way")
    result = run("report", STARTUP, "-o", tmp_path / "plan.md")
    assert result.exit_code == 2 and result.stderr.startswith("Error: ")
    assert listing(tmp_path) == ["plan_charts"]


def test_output_that_is_a_folder_is_an_error(tmp_path):
    (tmp_path / "plan.md").mkdir()
    result = run("report", STARTUP, "-o", tmp_path / "plan.md")
    assert result.exit_code == 2 and "folder" in result.stderr
    assert listing(tmp_path) == ["plan.md"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_folder_writes_nothing(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = run("report", STARTUP, "-o", locked / "plan.md")
        assert result.exit_code == 2 and result.stderr.startswith("Error: ")
        assert listing(locked) == []
    finally:
        locked.chmod(0o700)


def test_a_failure_midway_removes_what_this_run_created(tmp_path, monkeypatch):
    import buildorbuy.cli.common as common

    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(common.os, "replace", flaky)
    result = run("report", STARTUP, "-o", tmp_path / "out" / "plan.md")
    assert result.exit_code == 2 and "No space left" in result.stderr
    assert listing(tmp_path) == []


def test_missing_matplotlib_is_one_line_exit_2(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = run("report", STARTUP, "-o", tmp_path / "plan.md")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("Error: charts need matplotlib, which is not installed: pip install '.[report]' "
                                     "(from a checkout) or pip install 'buildorbuy[report]' (from an index)")
    assert listing(tmp_path) == []


def test_bad_scenario_is_one_line_and_writes_nothing(tmp_path):
    result = run("report", tmp_path / "missing.yaml", "-o", tmp_path / "plan.md")
    assert result.exit_code == 2 and "file not found" in result.stderr
    assert listing(tmp_path) == []


def test_set_overrides_reach_the_report(tmp_path):
    out = tmp_path / "plan.md"
    assert run("report", STARTUP, "-o", out, "--set", "discount_rate=0.2").exit_code == 0
    assert "discount rate 20.0%/year" in out.read_text()


def test_help_imports_neither_numpy_nor_matplotlib():
    code = ("import sys; from buildorbuy.cli import app; sys.argv=['buildorbuy','--help']\ntry:\n app()\nexcept SystemExit: pass\n"
            "print('numpy' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False False")
    for command in ("report", "diff", "compare"):
        assert command in out


def _installed(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None


@pytest.mark.with_analyses
@pytest.mark.skipif(not (_installed("buildorbuy.analysis.tornado") and _installed("buildorbuy.analysis.montecarlo")),
                    reason="tornado and simulate are not installed")
def test_sensitivity_and_monte_carlo_sections_when_installed(tmp_path):
    out = tmp_path / "plan.md"
    result = run("report", REPO / "scenarios" / "uncertain-enterprise.yaml", "-o", out, "--samples", "2000", "--seed", "1")
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "## Sensitivity (tornado)" in text and "## Uncertainty (Monte Carlo)" in text
    assert "2,000 samples drawn with seed 1" in text
    for name in ("tornado", "npv_distribution"):
        assert (tmp_path / "plan_charts" / f"{name}.png").exists()


def test_report_is_written_when_no_path_can_be_recommended(tmp_path):
    text = (REPO / "scenarios" / "enterprise-support.yaml").read_text()
    text = text.replace("bridge: gpt-4o\n", "").replace("workload:", "constraints: {data_residency: on_prem}\nworkload:", 1)
    scenario = tmp_path / "all-infeasible.yaml"
    scenario.write_text(text)
    out = tmp_path / "plan.md"
    result = run("report", scenario, "-o", out)
    assert result.exit_code == 0, result.output
    document = out.read_text(encoding="utf-8")
    assert "## Recommendation" in document and "No path is feasible" in document
    assert "## Sensitivity (tornado)" not in document


def test_report_refuses_an_output_name_of_another_format(tmp_path):
    result = run("report", REPO / "scenarios" / "startup-assistant.yaml", "-o", tmp_path / "plan.pdf")
    assert result.exit_code == 2 and "plan.pdf" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.with_analyses
def test_sensitivity_ranks_inputs_by_the_margin_over_the_runner_up_with_labels_in_words(tmp_path):
    from buildorbuy.analysis.tornado import tornado
    from buildorbuy.scenario.loading import load_scenario

    out = tmp_path / "plan.md"
    assert run("report", STARTUP, "-o", out).exit_code == 0
    text = out.read_text(encoding="utf-8")
    section = text.split("## Sensitivity (tornado)", 1)[1]
    assert "margin of gpt-4o-mini over Fine-tuned Llama 3.1 8B" in section.split("\n\n", 2)[1]
    rows = markdown_tables(section)[0]
    assert rows[0][:2] == ["Input", "Field"]
    expected = tornado(load_scenario(STARTUP), metric="margin")
    fields = [row[1] for row in rows[1:]]
    assert fields == [r.param for r in expected.rows if r.effect > 0][:len(fields)]
    labels = dict((row[1], row[0]) for row in rows[1:])
    assert labels["paths[1].staff[0].count"] == "ML engineer count (Fine-tuned Llama 3.1 8B)"
    assert labels["discount_rate"] == "discount rate"
    assert labels["paths[1].serving.gpu_hour_price"] == "serving GPU-hour price (Fine-tuned Llama 3.1 8B)"
    # ranked by the margin, the hosted path's own staff line is no longer merely the winner's cost
    assert fields[0] != "paths[0].staff[0].annual_cost"


@pytest.mark.with_analyses
def test_estimator_error_option_widens_the_uncertainty_of_an_auto_estimate(tmp_path):
    """--estimator-error samples the auto training MFU: the own-model path's P10-P90 row changes;
    without the option the report is the same as before (same seed)."""
    scenario = REPO / "scenarios" / "domain-model-50b.yaml"
    rows = {}
    for name, extra in (("off", []), ("off2", []), ("on", ["--estimator-error"])):
        out = tmp_path / f"{name}.md"
        result = run("report", scenario, "-o", out, "--samples", "2000", "--seed", "5", *extra)
        assert result.exit_code == 0, result.output
        rows[name] = [line for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("| Own 50B domain model |")]
    assert rows["off"] == rows["off2"]
    assert rows["on"] != rows["off"]
