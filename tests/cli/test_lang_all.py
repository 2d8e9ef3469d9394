"""`--lang en|zh` on every command that renders words.

For each command: `--lang zh` puts the Chinese titles and headings in the table and Markdown
output and leaves none of the English ones behind; `--lang en` is the default, byte for byte;
CSV and JSON are data and do not change with the language.
"""

from __future__ import annotations

import re
import string

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import REPO, cli_commands

runner = CliRunner()
SCENARIOS = REPO / "scenarios"
STARTUP = SCENARIOS / "startup-assistant.yaml"
UNCERTAIN = SCENARIOS / "uncertain-enterprise.yaml"
HYBRID = SCENARIOS / "hybrid-router.yaml"


def run(*args: object, lang: str | None = None):
    argv = [str(a) for a in args] + (["--lang", lang] if lang else [])
    result = runner.invoke(app, argv, env={"COLUMNS": "160", "NO_COLOR": "1"})
    assert result.exit_code == 0, f"{argv}: exit {result.exit_code}\n{result.output}"
    return result.stdout


# command, Chinese texts that must appear, English texts that must not (table and markdown)
CASES = {
    "tornado": (
        ["tornado", STARTUP],
        ["龙卷风图", "输入", "决策", "另有", "跳过"],
        ["Tornado of", "input", "decision", "more inputs not shown", "flips the decision", "skipped"],
    ),
    "tornado-ranges": (
        ["tornado", UNCERTAIN],
        ["在给定范围内", "结论翻转", "胜出", "2 个输入会翻转决策", "低值时"],
        ["within given ranges", "FLIPS", "wins", "lower ◀", "higher", "at low", "input flips"],
    ),
    "tornado-margin": (
        ["tornado", UNCERTAIN, "-m", "margin"],
        ["相对", "的优势（次优方案净现值 − 胜出方案净现值）"],
        ["margin of", "runner-up NPV", "no input within its range"],
    ),
    "sweep": (
        ["sweep", STARTUP, "-p", "workload.tokens_per_month", "-r", "1e9:1e12:200", "--log"],
        ["参数扫描", "胜出方案", "各取值下的净现值", "显示 200 个点中的"],
        ["Sweep of", "winner", "NPV by value", "points shown", " wins for "],
    ),
    "sweep-2d": (
        ["sweep", STARTUP, "-p", "workload.tokens_per_month", "-r", "1e9:1e12:5", "--log", "-p", "discount_rate",
         "-v", "0,0.1,0.2"],
        ["参数扫描", "个点中的", "没有既可行又能服务全部流量的方案"],
        ["Sweep of", " wins at ", "no path feasible", "rows:", "columns:", "Winner at each point"],
    ),
    "breakeven": (
        ["breakeven", HYBRID, "-p", "workload.tokens_per_month"],
        ["盈亏平衡点", "比较最便宜的 API 方案", "两者净现值均为", "更便宜", "对数扫描"],
        ["Break-even of", "Compared", "both cost", "is cheaper", "Searched", "engine batch", "refinement"],
    ),
    "breakeven-routing": (
        ["breakeven", HYBRID, "-p", "paths[1].routing.escalation_rate"],
        ["自托管就更划算", "8B 模型"],
        ["hosting pays", "the 8B model"],
    ),
    "breakeven-no-crossover": (
        ["breakeven", STARTUP, "-p", "workload.tokens_per_month"],
        ["没有交点", "始终更便宜"],
        ["no crossover", "cheaper throughout"],
    ),
    "simulate": (
        ["simulate", UNCERTAIN, "-n", "2000"],
        ["蒙特卡洛模拟", "净现值 P10", "最便宜概率", "各年末累计成本最低的方案", "抽样的输入", "决定"],
        ["Monte Carlo", "Present cost", "P(cheapest)", "Expected regret", "Sampled inputs", "What decides", "Year 1"],
    ),
    "validate": (
        ["validate", STARTUP],
        ["有效", "个方案", "个月"],
        ["valid", "paths (", " months"],
    ),
    "estimate-training": (
        ["estimate", "training", "--params", "8B", "--tokens", "1T", "--gpu", "h100-sxm", "--gpus", "512"],
        ["预训练估算", "GPU 小时", "实际耗时（天）", "成本"],
        ["Pretraining estimate", "gpu_hours", "wall_clock_days", "mfu_source"],
    ),
    "estimate-serving": (
        ["estimate", "serving", "--model", "llama-3.1-70b", "--gpu", "h100-sxm", "--tokens-per-month", "5B"],
        ["推理服务估算", "张量并行度", "月度成本"],
        ["Serving estimate", "tensor_parallel", "monthly_cost", "tokens_per_second_per_gpu"],
    ),
    "estimate-finetune": (
        ["estimate", "finetune", "--model", "llama-3.1-8b", "--tokens", "20M", "--gpu", "h100-sxm"],
        ["微调估算", "训练轮数", "微调方法"],
        ["Fine-tuning estimate", "finetune_method", "mfu_source"],
    ),
    "catalog-gpus": (
        ["catalog", "gpus"],
        ["GPU 目录", "显存", "架构"],
        ["GPU catalog", "generation", "memory GB", "rent USD/h"],
    ),
    "catalog-models": (
        ["catalog", "models"],
        ["开源模型目录", "参数量", "激活参数量"],
        ["Open-model catalog", "active params", "layers"],
    ),
    "catalog-apis": (
        ["catalog", "apis", "qwen", "--date", "2026-01-01"],
        ["生效的 API 价格", "服务商", "输入 /百万"],
        ["API prices in force", "provider", "input /1M", "supplementary table"],
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_chinese_table_has_chinese_headings_and_no_english_ones(case):
    args, chinese, english = CASES[case]
    out = run(*args, lang="zh")
    flat = " ".join(out.split())  # a heading may wrap
    for text in chinese:
        assert text in out or text in flat, f"{case}: {text!r} missing\n{out}"
    for text in english:
        assert not left(text, out), f"{case}: English {text!r} left\n{out}"


def left(text: str, out: str) -> bool:
    """`text` in `out` as words of its own, not inside an identifier (`price_per_1k_input`, `paths[1].epochs`)."""
    return re.search(rf"(?<![\w.\[]){re.escape(text)}(?![\w\]])", out) is not None


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_english_is_the_default_byte_for_byte(case):
    args, _, _ = CASES[case]
    assert run(*args, lang="en") == run(*args)


MARKDOWN = {
    "tornado": (["tornado", UNCERTAIN, "-f", "markdown"], ["龙卷风图", "| 输入 | 基准值 |", "会翻转决策", "### 跳过的输入"],
                ["Tornado of", "| input |", "flip the decision", "### Skipped inputs", "### Warnings"]),
    "sweep": (["sweep", STARTUP, "-p", "workload.tokens_per_month", "-r", "1e9:1e12:7", "--log", "-f", "markdown"],
              ["参数扫描", "★ 胜出"], ["Sweep of", "★ winner", "| winner |"]),
    "breakeven": (["breakeven", HYBRID, "-p", "workload.tokens_per_month", "-f", "markdown"], ["盈亏平衡点"],
                  ["Break-even of", "Compared", "Searched"]),
    "simulate": (["simulate", UNCERTAIN, "-n", "2000", "-f", "markdown"],
                 ["蒙特卡洛模拟", "的样本中最便宜", "### 现值成本", "### 抽样的输入"],
                 ["Monte Carlo", "is cheapest in", "### Present cost", "### Sampled inputs", "| Path |"]),
    "estimate": (["estimate", "training", "--params", "8B", "--tokens", "1T", "--gpu", "h100-sxm", "-f", "markdown"],
                 ["### 预训练估算", "| 字段 | 取值 |"], ["Pretraining estimate", "| field | value |"]),
    "catalog": (["catalog", "models", "-f", "markdown"], ["### 开源模型目录", "| ID | 名称 |"],
                ["Open-model catalog", "| id | name |"]),
}


@pytest.mark.parametrize("case", MARKDOWN, ids=list(MARKDOWN))
def test_chinese_markdown(case):
    args, chinese, english = MARKDOWN[case]
    out = run(*args, lang="zh")
    for text in chinese:
        assert text in out, f"{case}: {text!r} missing\n{out}"
    for text in english:
        assert not left(text, out), f"{case}: English {text!r} left\n{out}"
    assert run(*args, lang="en") == run(*args)


DATA = [
    ["tornado", STARTUP],
    ["sweep", STARTUP, "-p", "workload.tokens_per_month", "-r", "1e9:1e12:5"],
    ["breakeven", HYBRID, "-p", "workload.tokens_per_month"],
    ["simulate", UNCERTAIN, "-n", "500"],
    ["estimate", "serving", "--model", "llama-3.1-70b", "--gpu", "h100-sxm", "--tokens-per-month", "5B"],
    ["catalog", "gpus"],
    ["catalog", "models"],
    ["catalog", "apis", "qwen", "--date", "2026-01-01"],
]


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("args", DATA, ids=lambda a: " ".join(str(x) for x in a[:2]))
def test_csv_and_json_are_the_same_in_every_language(args, fmt):
    zh = run(*args, "-f", fmt, lang="zh")
    assert zh == run(*args, "-f", fmt)
    assert not re.search(r"[\u4e00-\u9fff]", zh)  # no Chinese crept into the data




WITHOUT_LANG = {"init", "schema"}
"""Commands that render no words: `init` writes an (English-commented) template, `schema` prints JSON data."""


def test_every_command_that_renders_words_has_lang():
    names = []
    for name, command in cli_commands():
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        if name in WITHOUT_LANG:
            assert "--lang" not in options, name
            continue
        names.append(name)
        assert "--lang" in options, f"{name} has no --lang"
        text = runner.invoke(app, [*name.split(), "--help"], env={"COLUMNS": "200"}).stdout
        assert "--lang" in text and "Simplified Chinese" in text, name
    assert {"tornado", "sweep", "breakeven", "simulate", "validate", "estimate training", "catalog apis"} <= set(names)


def test_every_key_used_by_the_code_is_in_both_tables():
    from buildorbuy.render.i18n import EN, ZH

    used = set()
    for path in (REPO / "src" / "buildorbuy").rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")))
    assert used, "no t() calls found"
    missing = sorted(k for k in used if k not in EN or k not in ZH)
    assert not missing, missing


def test_chinese_strings_are_chinese():
    """Every zh entry with words differs from its English text (keys with only symbols or numbers may match)."""
    from buildorbuy.render.i18n import EN, ZH

    same = []
    for key, text in EN.items():
        words = re.findall(r"[A-Za-z]{4,}", string.Formatter().vformat(text, (), _Blank()))
        if ZH[key] == text and any(w not in ("TFLOP", "genai", "prices") for w in words):
            same.append(key)
    assert not same, same


class _Blank(dict):
    def __missing__(self, key):
        return ""


def test_switch_reasons_round_trip_and_are_translated():
    from buildorbuy.phrases import SWITCH_EN, switch_reason_facts
    from buildorbuy.render.compare_views import switch_reason

    values = {"count": "3", "low": "-50%", "high": "1000%"}
    for key, template in SWITCH_EN.items():
        text = template.format(**values)
        assert switch_reason_facts(text) == (key, {k: v for k, v in values.items() if "{" + k + "}" in template})
        zh = switch_reason(text, "zh")
        assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[A-Za-z]{3,}", zh.replace("API", "")), zh
        assert switch_reason(text, "en") == text
    assert switch_reason("something else", "zh") == "something else"


def test_compare_switch_reason_in_chinese():
    bank = SCENARIOS / "bank-onprem-cny.yaml"
    en = run("compare", bank, "-f", "markdown")
    zh = run("compare", bank, "-f", "markdown", lang="zh")
    assert "never cheaper than the api path in any month" in en
    assert "never cheaper" not in zh and "没有任何一个月比 API 方案便宜" in zh
    assert "the IRR lies outside" not in zh and "内部收益率超出每月 -50% … 1000% 的范围" in zh


def test_breakeven_pair_and_bridge_note_in_chinese_carry_the_same_figures():
    from buildorbuy.analysis.breakeven import breakeven
    from buildorbuy.render.breakeven_render import lines
    from tests.analysis.test_breakeven import _apis_and_hosted

    result = breakeven(_apis_and_hosted(lead_time=10, bridge="B", staff=0.1), "workload.tokens_per_month")
    english = " ".join(lines(result, "en"))
    chinese = " ".join(lines(result, "zh"))
    share = re.search(r"(\d+)% of its NPV is B", english).group(1)
    assert f"其净现值的 {share}% 是第" in chinese and "由 B 承担流量" in chinese
    assert "比较最便宜的 API 方案（A）与最便宜的自托管方案（Hosted）" in chinese
    assert "Bridge fees" not in chinese and "Compared" not in chinese
    between = breakeven(_apis_and_hosted(lead_time=10, bridge="B", staff=0.1), "workload.tokens_per_month",
                        between=("B", "Hosted"))
    assert "比较 B 与 Hosted（由 --between 指定）。" in lines(between, "zh")


def test_tornado_skipped_reasons_in_chinese():
    from buildorbuy.analysis._common import FIXED_PARAMETERS
    from buildorbuy.render.tornado_render import skipped_reason

    out = run("tornado", STARTUP, "-f", "markdown", lang="zh")
    skipped = out.split("### 跳过的输入", 1)[1]
    for english in ("defaults to the horizon", "not given", "is 0, so", "fixed:", "not used:", "follows other inputs"):
        assert english not in skipped, english
    assert "默认等于评估期" in skipped and "未使用：" in skipped and "值为 0" in skipped
    for reason in FIXED_PARAMETERS.values():  # every fixed input has a whole Chinese sentence
        assert not re.search(r"[a-z]{4,}", skipped_reason(f"fixed: it {reason}", "zh").replace("horizon_months", ""))
    assert skipped_reason("something new", "zh") == "something new"


def test_drawn_outcomes_are_named_in_chinese_by_simulate_and_voi():
    for args in (["simulate", UNCERTAIN, "-n", "500"], ["voi", UNCERTAIN, "-n", "1000"]):
        en, zh = run(*args), run(*args, lang="zh")
        assert "success_probability (outcome)" in en
        assert "(outcome)" not in zh and "success_probability（成败结果）" in zh


def test_the_string_tables_load_no_engine_and_cover_every_component():
    import subprocess
    import sys

    code = ("import sys, buildorbuy.render.i18n as i18n; "
            "assert 'buildorbuy.engine.core' not in sys.modules and 'numpy' not in sys.modules, 'engine loaded'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr  # catalog and estimate use the tables without the engine's start-up cost
    from buildorbuy.engine.core import COMPONENT_LABELS
    from buildorbuy.render.i18n import COMPONENTS_ZH, component_label

    assert set(COMPONENTS_ZH) == set(COMPONENT_LABELS)
    for key, label in COMPONENT_LABELS.items():
        assert component_label(key, "en") == label and component_label(key, "zh") == COMPONENTS_ZH[key]
