"""Before go-live a path pays its bridge's per-token fees, not the bridge's staff (DESIGN §2). A path
that stays on the bridge for long can then undercut the bridge path by those staff alone: compare
warns, with the staff's NPV, when the recommended path's margin over its bridge is no larger."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import REPO

runner = CliRunner()
BANK = REPO / "scenarios" / "bank-onprem-cny.yaml"
LATE_AND_RISKY = ["--set", "paths[Fine-tuned Qwen2.5-14B].success_probability=0.01",
                  "--set", "paths[Fine-tuned Qwen2.5-14B].start_month=24"]


def _compare(*extra):
    result = runner.invoke(app, ["compare", str(BANK), "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_path_below_its_bridge_only_by_the_bridges_staff_is_flagged_with_their_npv():
    data = _compare(*LATE_AND_RISKY)
    paths = {p["name"]: p for p in data["paths"]}
    tuned, bridge = paths["Fine-tuned Qwen2.5-14B"], paths["Qwen private"]
    assert data["recommendation"]["path"] == "Fine-tuned Qwen2.5-14B"
    live = tuned["live_month"]
    assert live == 27  # start_month 24 + lead time 3
    # the bridge's staff: 1,350,000 CNY over 36 months = 37,500 a month, discounted at 8 %/year
    staff_npv = 37_500 * np.sum(1.08 ** (-np.arange(live) / 12))
    margin = bridge["npv"] - tuned["npv"]
    assert 0 < margin < staff_npv
    caveats = [w for w in data["warnings"] if "below its bridge" in w]
    assert caveats == [
        f"Fine-tuned Qwen2.5-14B is {margin:,.0f} CNY NPV below its bridge Qwen private, but while Qwen private "
        f"carries its traffic before go-live (months 0–26) it pays Qwen private's fees, not its staff: those staff "
        f"come to {staff_npv:,.0f} CNY NPV; if running Qwen private then needs them, Qwen private is the cheaper path"
    ]


def test_no_caveat_when_the_margin_exceeds_the_bridges_staff():
    assert not [w for w in _compare()["warnings"] if "below its bridge" in w]  # the bridge itself wins
    result = runner.invoke(app, ["compare", str(REPO / "scenarios" / "enterprise-support.yaml"), "--format", "json"])
    data = json.loads(result.stdout)
    paths = {p["name"]: p for p in data["paths"]}
    tuned, bridge = paths["Fine-tuned Llama 3.3 70B"], paths["gpt-4o"]
    assert data["recommendation"]["path"] == tuned["name"]
    staff_npv = sum(c * 1.08 ** (-m / 12) for m, c in enumerate(bridge["components"]["staff"][:tuned["live_month"]]))
    assert 0 < staff_npv < bridge["npv"] - tuned["npv"]  # the check ran, and the margin is more than the staff
    assert not [w for w in data["warnings"] if "below its bridge" in w]


def test_the_caveat_is_phrased_in_chinese_and_reaches_the_report(tmp_path):
    result = runner.invoke(app, ["compare", str(BANK), "--lang", "zh", *LATE_AND_RISKY])
    assert result.exit_code == 0, result.output
    assert "不计其人员" in result.output and "it pays" not in result.output
    report = tmp_path / "r.md"
    result = runner.invoke(app, ["report", str(BANK), "-o", str(report), *LATE_AND_RISKY])
    assert result.exit_code == 0, result.output
    assert "below its bridge Qwen private" in report.read_text(encoding="utf-8")


def test_a_go_live_in_month_1_names_month_0_alone():
    """With go-live in month 1 the bridge carried the traffic in month 0 alone: "(months 0–0)" read as a slip."""
    tuned = "paths[Fine-tuned Qwen2.5-14B]"
    overrides = ["--set", f"{tuned}.lead_time_months=1", "--set", f"{tuned}.success_probability=0.001",
                 "--set", f"{tuned}.staff=[]", "--set", f"{tuned}.data.one_off=50k",
                 "--set", "paths[Qwen private].staff=[{role: engineer, count: 1, annual_cost: 4M}]"]
    data = _compare(*overrides)
    paths = {p["name"]: p for p in data["paths"]}
    assert data["recommendation"]["path"] == "Fine-tuned Qwen2.5-14B" and paths["Fine-tuned Qwen2.5-14B"]["live_month"] == 1
    [caveat] = [w for w in data["warnings"] if "below its bridge" in w]
    assert "before go-live (month 0) it pays" in caveat and "come to 333,333 CNY NPV" in caveat  # 4M / 12, undiscounted
    result = runner.invoke(app, ["compare", str(BANK), "--lang", "zh", *overrides])
    assert result.exit_code == 0, result.output
    assert "承担其流量的月份（第 0 月）" in result.output and "0–0" not in result.output
