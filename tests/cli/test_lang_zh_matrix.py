"""`--lang zh` over every command and every bundled scenario: no English sentence is left.

The engine, estimators and analyses write their warnings, notes and estimate methods as
`phrases.Message`s (English text plus a key and values) and the renderers phrase them in Chinese; a
sentence that bypasses that shows up here. Heuristic: after taking out what may stay as written (the
scenario's own text, the catalogs' names and quoted sources, field paths, the bilingual font notice
and `Error:` lines, which name fields in the validator's English like every command's errors), no
run of three or more consecutive English words is left in the table, Markdown or report output, nor
in the warnings on stderr.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

import pytest
import yaml
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import REPO, SCENARIOS

P = "workload.tokens_per_month"
COMMANDS = {
    "compare": lambda s, tmp: ["compare", s],
    "compare-md": lambda s, tmp: ["compare", s, "-f", "markdown"],
    "validate": lambda s, tmp: ["validate", s],
    "tornado": lambda s, tmp: ["tornado", s],
    "tornado-md": lambda s, tmp: ["tornado", s, "-f", "markdown"],
    "sweep": lambda s, tmp: ["sweep", s, "-p", P, "-r", "1B:40B:7"],
    "sweep-md": lambda s, tmp: ["sweep", s, "-p", P, "-r", "1B:40B:4", "-f", "markdown"],
    "breakeven": lambda s, tmp: ["breakeven", s, "-p", P],
    "breakeven-md": lambda s, tmp: ["breakeven", s, "-p", P, "-f", "markdown"],
    "simulate": lambda s, tmp: ["simulate", s, "-n", "300"],
    "simulate-md": lambda s, tmp: ["simulate", s, "-n", "300", "-f", "markdown"],
    "when": lambda s, tmp: ["when", s, "--latest", "6"],
    "whatif": lambda s, tmp: ["whatif", s],
    "whatif-md": lambda s, tmp: ["whatif", s, "-f", "markdown"],
    "voi": lambda s, tmp: ["voi", s, "-n", "1000"],
    "diff": lambda s, tmp: ["diff", s, s, "-s", f"{P}=50B"],
    "report": lambda s, tmp: ["report", s, "-o", tmp / "report.md", "--samples", "200"],
    "export": lambda s, tmp: ["export", s, "-o", tmp / "model.xlsx"],
}
OTHERS = [
    ["estimate", "training", "--params", "8B", "--tokens", "1T", "--gpu", "h100-sxm", "--gpus", "512"],
    ["estimate", "training", "--params", "8B", "--tokens", "1T", "--gpu", "h100-sxm", "--mfu", "0.4", "-f", "markdown"],
    ["estimate", "serving", "--model", "llama-3.1-70b", "--gpu", "h100-sxm", "--tokens-per-month", "5B"],
    ["estimate", "serving", "--model", "llama-3.1-8b", "--gpu", "l40s", "--tokens-per-month", "5B", "--tpot-ms", "30"],
    ["estimate", "finetune", "--model", "llama-3.1-8b", "--tokens", "20M", "--gpu", "h100-sxm", "-f", "markdown"],
    ["catalog", "gpus"], ["catalog", "models"], ["catalog", "apis", "qwen"], ["catalog", "apis", "--provider", "openai"],
]

WORD = r"[A-Za-z][a-z]+(?:-[A-Za-z0-9]+)*"
RUN = re.compile(rf"{WORD}(?:[ ,;:'()]+{WORD}){{2,}}")
"""Three or more English words in a row (a word: a capital or small letter, then small letters, maybe
hyphenated like all-to-all; acronyms and units such as GPU, USD, TP, MFU do not count)."""
FIELD = re.compile(r"[`\w@/.:-]*(?:[._\[\]/`]|\d)[\w@/.:\[\]`-]*")
"""A field path, identifier, file name, URL or model id (`paths[1].serving.gpu`, `gpt-4o-mini`, `h100-sxm`)."""


def _strings(data) -> list[str]:
    if isinstance(data, dict):
        return [s for k, v in data.items() for s in (_strings(k) + _strings(v))]
    if isinstance(data, list):
        return [s for v in data for s in _strings(v)]
    return [data] if isinstance(data, str) else []


@lru_cache(maxsize=1)
def _catalog_texts() -> tuple[str, ...]:
    """Names and quoted sources of the shipped catalogs (they stay as the catalogs write them)."""
    from buildorbuy.catalog.apis import list_api_models

    texts = []
    for name in ("gpus.json", "models.json", "api_prices_extra.json", "calibration.json"):
        texts += _strings(json.loads((REPO / "src" / "buildorbuy" / "catalog" / "data" / name).read_text(encoding="utf-8")))
    for price in list_api_models():
        texts += [str(v) for v in vars(price).values() if isinstance(v, str)]
    return tuple(sorted({t for t in texts if len(t) > 2}, key=len, reverse=True))


def _allowed(scenario) -> list[str]:
    from buildorbuy.estimators.training import FITTED_RUNS
    from buildorbuy.render.escape import markdown
    from buildorbuy.render.i18n import ZH

    own = _strings(yaml.safe_load(scenario.read_text(encoding="utf-8"))) if scenario else []
    texts = {*own, *_catalog_texts(), ZH["report.no_cjk_font"], FITTED_RUNS}
    texts |= {markdown(text, cell=True) for text in texts} | {markdown(text) for text in texts}  # as Markdown shows them
    return sorted(texts, key=len, reverse=True)


def english_runs(text: str, allowed: list[str]) -> list[str]:
    """Runs of three or more English words left in `text` once the allowed texts are taken out."""
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("Error:"))
    text = " ".join(text.split())  # a table cell may wrap
    for piece in allowed:
        piece = " ".join(piece.split())
        if piece and piece in text:
            text = text.replace(piece, " ¦ ")
    text = FIELD.sub(" ¦ ", text)
    return sorted(set(RUN.findall(text)))


def _run(args, tmp_path) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args] + ["--lang", "zh"], env={"COLUMNS": "400", "NO_COLOR": "1"})
    assert result.exit_code in (0, 2), f"{args}: exit {result.exit_code}\n{result.output}"
    out = result.stdout + result.stderr
    report = tmp_path / "report.md"
    if report.exists():
        out += report.read_text(encoding="utf-8")
    workbook = tmp_path / "model.xlsx"
    if workbook.exists():  # every text cell of every sheet, each on its own (a run never spans two cells)
        import openpyxl

        book = openpyxl.load_workbook(workbook)
        out += "\n" + " ¦ ".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for cell in row if isinstance(cell, str) and not cell.startswith("="))
    return out


SCENARIO_FILES = list(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIO_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("command", COMMANDS)
def test_no_english_sentence_in_chinese_output(command, scenario, tmp_path):
    out = _run(COMMANDS[command](scenario, tmp_path), tmp_path)
    assert re.search(r"[\u4e00-\u9fff]", out) or out.startswith("Error:"), out  # voi refuses a certain scenario
    left = english_runs(out, _allowed(scenario))
    assert not left, f"{command} {scenario.name}: English left in --lang zh: {left}\n{out}"


@pytest.mark.parametrize("args", OTHERS, ids=lambda a: " ".join(a[:3]))
def test_no_english_sentence_in_chinese_estimates_and_catalogs(args, tmp_path):
    out = _run(args, tmp_path)
    left = english_runs(out, _allowed(None))
    assert not left, f"{args}: English left in --lang zh: {left}\n{out}"


def test_the_heuristic_finds_an_english_sentence():
    assert english_runs("警告：owned fleet without serving.pue：其默认值", []) == ["owned fleet without"]
    assert english_runs("Fine-tuned Llama 3.1 8B：自有集群未填写 serving.maintenance_per_year", ["Fine-tuned Llama 3.1 8B"]) == []
    assert english_runs("Error: nothing in the scenario is uncertain", []) == []


def test_an_auto_tensor_parallel_degree_is_explained_in_chinese():
    """`serving.gpus_per_replica: auto` (no bundled scenario has it) said its method in English under --lang zh."""
    from typer.testing import CliRunner

    from buildorbuy.cli import app

    from tests.conftest import SCENARIOS

    enterprise = next(str(s) for s in SCENARIOS if s.name == "enterprise-support.yaml")
    args = ["compare", enterprise, "--set", "paths[1].serving.gpus_per_replica=auto", "--format", "markdown"]
    zh = CliRunner().invoke(app, [*args, "--lang", "zh"])
    en = CliRunner().invoke(app, args)
    assert zh.exit_code == 0 and en.exit_code == 0, zh.output + en.output
    assert "h100-sxm（fp8）上的张量并行度" in zh.stdout and "tensor-parallel degree" not in zh.stdout
    assert "tensor-parallel degree on h100-sxm at fp8: the memory minimum" in en.stdout
