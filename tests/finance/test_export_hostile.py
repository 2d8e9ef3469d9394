"""`buildorbuy export` with hostile names and sizes: user text stays plain text (no hyperlink, no
formula, no XML-invalid character), sheet names fit Excel's 31 UTF-16 units, and a name or a
workbook too large is a one-line error with exit status 2 and no file."""

from __future__ import annotations

import copy
import re
import warnings
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from buildorbuy.cli import app
from buildorbuy.render.workbook import MAX_CELLS, estimate_cells, sheet_title
from buildorbuy.scenario.loading import load_scenario

openpyxl = pytest.importorskip("openpyxl")

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
runner = CliRunner()


def _scenario(tmp_path: Path, name: str, *, paths: int | None = None, horizon: int | None = None,
              scenario_name: str | None = None) -> Path:
    """enterprise-support.yaml with its second (fine-tuned) path named `name`."""
    data = yaml.safe_load((SCENARIOS / "enterprise-support.yaml").read_text())
    data["paths"][1]["name"] = name
    if paths is not None:
        base = data["paths"]
        data["paths"] = [dict(copy.deepcopy(base[i % len(base)]), name=f"{base[i % len(base)]['name']} {i}")
                         if i >= len(base) else base[i] for i in range(paths)]
    if horizon is not None:
        data["horizon_months"] = horizon
    if scenario_name is not None:
        data["name"] = scenario_name
    target = tmp_path / "scenario.yaml"
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


def _export(tmp_path: Path, scenario: Path, *args: str) -> Path:
    target = tmp_path / "out.xlsx"
    res = runner.invoke(app, ["export", str(scenario), "-o", str(target), *args])
    assert res.exit_code == 0, res.output
    return target


def _parts(xlsx: Path) -> dict[str, str]:
    with zipfile.ZipFile(xlsx) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


@pytest.mark.parametrize("name", ["http://evil.example/steal", "file://C:/Windows/System32/calc.exe",
                                  "external:\\\\host\\share\\x.xlsx", "mailto:a@evil.example",
                                  "https://" + "a" * 180 + ".example"])
def test_url_like_names_are_text_not_hyperlinks(tmp_path, name):
    xlsx = _export(tmp_path, _scenario(tmp_path, name))
    parts = _parts(xlsx)
    for part, text in parts.items():
        assert "<hyperlink" not in text, part
        assert 'TargetMode="External"' not in text, part
    summary = openpyxl.load_workbook(xlsx)["Summary"]
    cells = [c for row in summary.iter_rows() for c in row if c.value == name]
    assert len(cells) >= 3 and all(c.data_type == "s" and c.hyperlink is None for c in cells)


@pytest.mark.parametrize("name", ["=1+2", "+EVIL(1)", "-EVIL(2)", "@SUM(EVIL)", "=HYPERLINK(\"http://evil.example\")", "0123"])
def test_formula_and_number_like_names_are_strings(tmp_path, name):
    xlsx = _export(tmp_path, _scenario(tmp_path, name), "--view", "accounting")
    book = openpyxl.load_workbook(xlsx)
    found = 0
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":  # a name is never formula text (a quoted sheet reference is fine)
                    text = re.sub(r"'(?:[^']|'')*'!", "", str(cell.value))
                    assert name not in text, (ws.title, cell.coordinate, cell.value)
                elif cell.value == name:
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    found += 1
    assert found >= 4  # the path sheet's title, Summary's row and break-even header and row


@pytest.mark.parametrize("name", ["A\x01B", "nul\x00here", "bell\x07 esc\x1b[31m", "del\x7f", "tab\tand\nnewline",
                                  "".join(chr(c) for c in range(1, 32)) + "x"])
def test_control_characters_give_a_valid_workbook(tmp_path, name):
    xlsx = _export(tmp_path, _scenario(tmp_path, name), "--view", "accounting")
    for part, text in _parts(xlsx).items():
        if part.endswith((".xml", ".rels")):
            ET.fromstring(text.encode("utf-8"))  # well-formed XML 1.0: no raw control characters
    book = openpyxl.load_workbook(xlsx)
    title = book.sheetnames[3]
    assert title.startswith("2") and not any(ord(ch) < 32 or ord(ch) == 0x7F for ch in title), repr(title)
    summary = [c.value for row in book["Summary"].iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(ch in text for text in summary for ch in "\x00\x01\x07\x1b\x7f")


def test_emoji_name_fits_excel_sheet_name_limit(tmp_path):
    name = "Support bot " + "🤖" * 10
    xlsx = _export(tmp_path, _scenario(tmp_path, name))
    titles = openpyxl.load_workbook(xlsx).sheetnames
    assert titles[3].startswith("2 Support bot 🤖")
    assert all(len(t.encode("utf-16-le")) // 2 <= 31 for t in titles)
    summary = openpyxl.load_workbook(xlsx)["Summary"]
    assert any(c.value == name for row in summary.iter_rows() for c in row)  # the cells keep the whole name


_NAMES = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(st.lists(_NAMES, min_size=1, max_size=12, unique=True))
def test_sheet_titles_fit_and_stay_unique(names):
    titles = [sheet_title(i, name) for i, name in enumerate(names)]
    for i, title in enumerate(titles):
        assert 1 <= len(title.encode("utf-16-le")) // 2 <= 31
        assert title.split(" ", 1)[0] == str(i + 1)
        assert not any(ch in title for ch in "[]:*?/\\'") and not any(ord(ch) < 32 or ord(ch) == 0x7F for ch in title)
        title.encode("utf-8")  # no half of a surrogate pair
    assert len({t.casefold() for t in titles}) == len(titles)


@pytest.mark.parametrize("field, kwargs", [("paths[1].name", {"name": "x" * 40000}),
                                           ("name", {"name": "ok", "scenario_name": "http://e.example/" + "y" * 3000})])
def test_names_too_long_for_a_workbook_are_refused(tmp_path, field, kwargs):
    target = tmp_path / "out.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = runner.invoke(app, ["export", str(_scenario(tmp_path, **kwargs)), "-o", str(target)])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and f" {field}: " in lines[0] and "at most 200 characters" in lines[0]
    assert len(lines[0]) < 300  # the 40,000 characters are not echoed
    assert not target.exists() and list(tmp_path.iterdir()) == [tmp_path / "scenario.yaml"]


def test_a_workbook_too_large_is_refused_before_any_work(tmp_path):
    scenario = _scenario(tmp_path, "Fine-tuned", paths=100, horizon=600)
    assert estimate_cells(load_scenario(scenario)) > MAX_CELLS
    target = tmp_path / "out.xlsx"
    res = runner.invoke(app, ["export", str(scenario), "-o", str(target)])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and f"the limit is {MAX_CELLS:,}" in lines[0] and "100 paths × 600 horizon_months" in lines[0]
    assert "out of memory" not in res.output
    assert not target.exists()


def test_every_bundled_scenario_is_within_the_size_limit():
    for path in sorted(SCENARIOS.glob("*.yaml")):
        assert estimate_cells(load_scenario(path), accounting=True) < MAX_CELLS / 10, path.name


def test_a_long_url_name_past_the_loader_is_still_text_without_warnings():
    """build_workbook on its own (a plan built in memory, past the loader's 200-character cap): a
    3,000-character URL name and control characters stay plain text, with no warning (XlsxWriter
    warns about URLs over 2,079 characters when it makes hyperlinks)."""
    import io

    from buildorbuy.analysis.compare import compare
    from buildorbuy.render.workbook import build_workbook

    cmp = compare(load_scenario(SCENARIOS / "enterprise-support.yaml"))
    name = "http://evil.example/" + "a" * 3000 + "\x01"
    cmp.result.plan.paths[1].name = name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data, _ = build_workbook(cmp.result.plan, cmp.result)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for part in archive.namelist():
            text = archive.read(part).decode("utf-8")
            assert "<hyperlink" not in text and 'TargetMode="External"' not in text, part
            if part.endswith((".xml", ".rels")):
                ET.fromstring(text.encode("utf-8"))
    summary = openpyxl.load_workbook(io.BytesIO(data))["Summary"]
    assert any(c.value == name[:-1] + "\ufffd" for row in summary.iter_rows() for c in row)


def test_c1_controls_and_bidi_overrides_stay_out_of_cells_and_sheet_names(tmp_path):
    """A right-to-left override makes `\u202egnp.exe` read as `exe.png`; C1 controls (`\x9b` is CSI)
    drive terminals. CSV and HTML replace them; the workbook does too, in cells and sheet names."""
    name = "a\u202egnp.exe\x9b31m\x85\u2066b"
    xlsx = _export(tmp_path, _scenario(tmp_path, name))
    book = openpyxl.load_workbook(xlsx)
    unsafe = re.compile("[\x80-\x9f\u202a-\u202e\u2066-\u2069]")
    assert not any(unsafe.search(title) for title in book.sheetnames), book.sheetnames
    cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("gnp.exe" in text for text in cells)
    assert not any(unsafe.search(text) for text in cells)
