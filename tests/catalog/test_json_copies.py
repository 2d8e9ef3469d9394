"""The JSON copies of the shipped catalog files are trusted only when their payload hash matches;
otherwise the YAML is read and validated, and a broken YAML is one error line naming the file."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from buildorbuy.catalog import _lookup, gpus
from buildorbuy.cli import app

runner = CliRunner()
DATA = _lookup.data_path("gpus.yaml").parent


def _clear():
    for cached in (gpus._data, gpus._rows, gpus._catalog, gpus.owned_terms):
        cached.cache_clear()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A copy of the catalog data folder that the package reads instead of its own."""
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    monkeypatch.setattr(_lookup, "data_path", lambda name: folder / name)
    _clear()
    yield folder
    _clear()


def _h100(data):
    return next(row for row in data["gpus"] if row["id"] == "h100-sxm")


def _tamper(folder, change):
    """Edit gpus.json's data the way a hand edit would, keeping its source hash."""
    path = folder / "gpus.json"
    copy = json.loads(path.read_text())
    change(copy)
    path.write_text(json.dumps(copy, indent=1))


def test_the_shipped_copies_are_verified(data_dir):
    for name in _lookup.DATA_FILES:
        data, from_copy = _lookup.load_data_checked(name)
        assert from_copy, name


@pytest.mark.parametrize("change", [
    lambda c: _h100(c["data"])["rent"].update(usd_per_hour=0.01),
    lambda c: _h100(c["data"]).update(memory_gb="abc"),
    lambda c: _h100(c["data"]).update(memory_gb=float("nan")),
    lambda c: c.update(data=None),
    lambda c: c.update(data_sha256="0" * 64),
], ids=["price", "text", "nan", "null", "hash"])
def test_a_tampered_copy_is_not_trusted(data_dir, change):
    expected = _h100(_lookup.load_data("gpus.yaml"))
    _tamper(data_dir, change)
    data, from_copy = _lookup.load_data_checked("gpus.yaml")
    assert not from_copy and _h100(data) == expected
    result = runner.invoke(app, ["estimate", "serving", "--model", "llama-3.1-70b", "--gpu", "h100-sxm",
                                 "--tokens-per-month", "5B", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["gpu_hour_price"] == expected["rent"]["usd_per_hour"] != 0.01


@pytest.mark.parametrize("text", ["gpus: [\n  - id: x\n  bad indent: [", "schema_version: 1\ngpus: 7\n"])
def test_a_broken_shipped_yaml_is_one_line_naming_the_file(data_dir, text):
    (data_dir / "gpus.yaml").write_text(text)
    result = runner.invoke(app, ["estimate", "serving", "--model", "llama-3.1-70b", "--gpu", "h100-sxm"])
    assert result.exit_code == 2, (result.output, result.exception)
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "catalog file gpus.yaml is broken" in errors[0], result.output
