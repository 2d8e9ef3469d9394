"""compare --lang zh and compare --chart."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from buildorbuy.render.terminal_chart import line_chart
from tests.conftest import SCENARIOS

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_chinese_tables_and_headings(scenario):
    table = run("compare", scenario, "--lang", "zh")
    assert table.exit_code == 0, table.output
    assert "概览" in table.stdout and "按年成本" in table.stdout and "推荐：" in table.stdout
    markdown = run("compare", scenario, "--lang", "zh", "-f", "markdown").stdout
    assert "### 概览" in markdown and "**推荐：" in markdown and "现值成本最低" in markdown


def test_json_keeps_its_contract_in_any_language():
    scenario = SCENARIOS[0]
    assert run("compare", scenario, "-f", "json", "--lang", "zh").stdout == run("compare", scenario, "-f", "json").stdout


def test_chart_draws_curves_below_the_tables():
    scenario = next(s for s in SCENARIOS if "enterprise" in s.name)
    result = run("compare", scenario, "--chart")
    assert result.exit_code == 0, result.output
    out = result.stdout
    chart = out[out.index("Cumulative cost (USD)"):]
    assert out.index("Recommendation") < out.index("Cumulative cost (USD)")
    assert any(0x2801 <= ord(ch) <= 0x28FF for ch in chart)
    assert "A gpt-4o" in chart and "B Fine-tuned Llama 3.3 70B" in chart
    assert "◆" in chart  # the break-even month is marked
    assert max(len(line) for line in chart.splitlines()) <= 120


def test_chart_needs_the_table_format():
    result = run("compare", SCENARIOS[0], "--chart", "-f", "json")
    assert result.exit_code == 2 and "--chart" in result.stderr


def test_line_chart_puts_highs_on_top():
    text = line_chart({"up": [0, 1, 2, 3], "flat": [0, 0, 0, 0]}, title="t", x_label="month", width=40, height=4,
                      color=False).plain
    rows = text.splitlines()[1:5]
    assert rows[0].rstrip().endswith("A") and rows[-1].rstrip().endswith("B")


def test_infeasibility_is_phrased_in_chinese_too():
    from tests.conftest import REPO

    result = CliRunner().invoke(app, ["compare", str(REPO / "scenarios" / "bank-onprem-cny.yaml"), "--lang", "zh"])
    assert result.exit_code == 0
    assert "需要 private 部署" in result.stdout and "needs a private deployment" not in result.stdout
