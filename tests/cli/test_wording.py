"""What a new user reads: field names that do not lie, one spelling of a field path, consistent
help and wording in both languages."""

import csv
import io
import json

from typer.testing import CliRunner

from buildorbuy.cli import app

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_catalog_apis_keys_do_not_call_a_cny_price_usd():
    records = json.loads(run("catalog", "apis", "qwen-plus", "-f", "json"))
    cny = next(r for r in records if r["currency"] == "CNY" and r["provider"] == "dashscope")
    usd = next(r for r in records if r["currency"] == "USD")
    # the listing currency's figures under currency-neutral keys
    assert (cny["input_per_1m"], cny["output_per_1m"]) == (0.8, 2.0)
    # a CNY row has no USD figure: the _usd keys are null, not 0.8 "USD"
    assert cny["input_per_1m_usd"] is None and cny["output_per_1m_usd"] is None and cny["cached_input_per_1m_usd"] is None
    # a USD row keeps its _usd keys (compatibility) equal to the neutral ones
    assert usd["input_per_1m_usd"] == usd["input_per_1m"] == 0.4
    rows = list(csv.DictReader(io.StringIO(run("catalog", "apis", "qwen-plus", "-f", "csv"))))
    row = next(r for r in rows if r["currency"] == "CNY" and r["provider"] == "dashscope")
    assert (row["input_per_1m"], row["input_per_1m_usd"]) == ("0.8", "")


def test_every_analysis_names_a_field_as_set_takes_it(tmp_path):
    """tornado, whatif, voi, sweep and breakeven show `paths[Name].…` (not `paths[1].…`, nor the bare
    `staff[0].…` whatif used for a path's own fields), and that text works as a --set field."""
    import re

    from tests.conftest import REPO

    sc = str(REPO / "scenarios" / "uncertain-enterprise.yaml")
    own = "paths[Llama 3.3 70B, own H100].staff[0].annual_cost"
    rented = "paths[Llama 3.3 70B, rented H100].staff[0].annual_cost"
    wide = {"COLUMNS": "200"}

    def out(*args):
        result = runner.invoke(app, [str(a) for a in args], env=wide)
        assert result.exit_code == 0, result.output
        return result.stdout

    whatif = out("whatif", sc)
    assert own in whatif and not re.search(r"(?<![\].\w])staff\[0\]", whatif)
    tornado = out("tornado", sc)
    assert rented in tornado and "paths[1]" not in tornado
    assert "paths[1]" not in out("sweep", sc, "-p", "paths[1].staff[0].annual_cost", "-v", "2e5,3e5")
    breakeven = out("breakeven", sc, "-p", "paths[1].staff[0].annual_cost")
    assert breakeven.startswith(f"Break-even of {rented}")
    assert "paths[1]" not in out("voi", sc, "-n", "1000")
    # what is shown is a field --set accepts: pasting it changes the figure
    moved = json.loads(out("compare", sc, "--set", f"{own}=100000", "-f", "json"))
    base = json.loads(out("compare", sc, "-f", "json"))
    assert moved["paths"][2]["npv"] < base["paths"][2]["npv"]
    # JSON keeps the index form (data contract)
    assert any(c["field"] == "paths[2].staff[0].annual_cost" for c in json.loads(out("whatif", sc, "-f", "json"))["conditions"])


def _repo_scenario(name):
    from tests.conftest import REPO

    return str(REPO / "scenarios" / name)


def test_chinese_wording_is_consistent():
    compare = run("compare", _repo_scenario("domain-model-50b.yaml"), "--lang", "zh")
    assert "不会持平" in compare and "未回本" in compare and "从不" not in compare
    assert "路径" not in compare
    assert "80% 区间 ×/÷" in compare and ", ×/÷" not in compare  # the value column (the method text is the estimator's)
    estimate = run("estimate", "training", "--params", "7B", "--tokens", "1T", "--gpu", "h100", "--mfu", "0.4", "--lang", "zh")
    source = next(line for line in estimate.splitlines() if "MFU 来源" in line)
    assert "给定值" in source and "given" not in source
    estimate = run("estimate", "training", "--params", "7B", "--tokens", "1T", "--gpu", "h100", "--lang", "zh")
    assert "自动估算" in estimate and "目录：" in estimate
    narrow = runner.invoke(app, ["compare", _repo_scenario("enterprise-support.yaml"), "--lang", "zh"], env={"COLUMNS": "80"}).stdout
    shown = next(line for line in narrow.splitlines() if "此宽度下未显示" in line)
    assert ", " not in shown and "，" in shown
    proposal = run("diff", _repo_scenario("enterprise-support.yaml"), _repo_scenario("enterprise-support.yaml"),
                   "-s", "workload.tokens_per_month=50B", "--lang", "zh")
    assert "推荐方案：由 " in proposal and "推荐方案: " not in proposal


def test_chinese_workbook_says_方案_and_has_chinese_units(tmp_path):
    import openpyxl

    book = tmp_path / "model.xlsx"
    run("export", _repo_scenario("enterprise-support.yaml"), "-o", book, "--lang", "zh")
    wb = openpyxl.load_workbook(book, read_only=True)
    texts = {str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)}
    assert not any("路径" in text for text in texts)
    units = {row[2] for row in wb.worksheets[0].iter_rows(min_row=2, values_only=True) if len(row) > 2 and row[2]}
    assert "月" in units and "比例/年" in units
    assert not units & {"months", "fraction/year", "fraction", "people"}


def test_estimate_tables_speak_words_and_readable_numbers():
    text = run("estimate", "training", "--params", "70B", "--tokens", "2T", "--gpu", "a100-80gb", "--gpus", "2048")
    assert "GPU-hours" in text and "wall-clock days" in text and "MFU source" in text
    assert "gpu_hours" not in text and "wall_clock_days" not in text and "mfu_source" not in text
    assert "e+0" not in text.split("compute (FLOPs)")[1]  # FLOPs stay in scientific notation, nothing else
    serving = run("estimate", "serving", "--model", "llama-3.1-70b", "--gpu", "h100-sxm", "--tokens-per-month", "5B")
    assert "{'" not in serving and "TP 4: 587.2" in serving
    # data unchanged
    data = json.loads(run("estimate", "training", "--params", "70B", "--tokens", "2T", "--gpu", "a100-80gb", "-f", "json"))
    assert "gpu_hours" in data and data["mfu_source"] == "auto"


def test_samples_and_seed_read_the_same_in_every_help():
    import re

    for command in ("simulate", "voi", "report"):
        text = re.sub(r"\s+", " ", runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"}).stdout)
        assert "-n, --samples N " in text, command
        assert re.search(r"--seed N .*?\[default: \(?42\)?", text), command
    finetune = runner.invoke(app, ["estimate", "finetune", "--help"]).stdout
    assert "--active-params" not in finetune


def test_init_list_aligns_and_schema_says_what_it_wrote(tmp_path):
    lines = run("init", "--list").splitlines()
    starts = {len(line) - len(line.split("  ", 1)[1].lstrip()) for line in lines}
    assert len(starts) == 1, lines  # every summary starts in the same column
    result = runner.invoke(app, ["schema", "-o", str(tmp_path / "s.json")])
    assert result.exit_code == 0 and f"wrote {tmp_path / 's.json'}" in result.output
