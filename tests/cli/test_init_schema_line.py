"""`init` from a bundled scenario points the editor at a schema file beside the written scenario
(as the starter does), not at the repository's ../docs/, which a user's folder does not have."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from buildorbuy.scenario.loading import load_scenario
from buildorbuy.templates import available


@pytest.mark.parametrize("template", sorted(available()))
def test_every_template_points_at_a_schema_beside_the_file(tmp_path, template):
    out = tmp_path / "s.yaml"
    result = CliRunner().invoke(app, ["init", "-t", template, "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "../docs/" not in text
    assert "$schema=scenario.schema.json" in text
    assert "buildorbuy schema -o scenario.schema.json" in text


def test_the_written_bank_template_reads_as_the_bundled_one(tmp_path):
    from pathlib import Path

    out = tmp_path / "bank.yaml"
    CliRunner().invoke(app, ["init", "-t", "bank-onprem-cny", "-o", str(out)])
    bundled = Path(__file__).resolve().parents[2] / "scenarios" / "bank-onprem-cny.yaml"
    assert load_scenario(out).model_dump() == load_scenario(bundled).model_dump()
