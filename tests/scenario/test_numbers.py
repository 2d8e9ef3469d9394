"""Quantity strings: the forms people write are read exactly; ambiguous ones are refused with a hint."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from buildorbuy.scenario.types import parse_quantity
from tests.conftest import base_scenario

runner = CliRunner()


@pytest.mark.parametrize(
    "text, expected",
    [("2.5B", 2.5e9), ("500M", 5e8), ("12k", 12e3), ("1e9", 1e9), ("1_000", 1000.0), ("1,000", 1000.0),
     ("1,000,000.5", 1_000_000.5), ("30%", 0.3), (".5", 0.5), ("-0.3", -0.3), ("1.5e-3", 0.0015), (" 7 T ", 7e12)],
)
def test_plain_quantities_read_exactly(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    "text, hint",
    [("1,5B", "write 1.5B if the comma is a decimal point"), ("20%%", "more than one %"),
     ("1_0_0_,,,_M", "underscores go only between digits"), ("1,00", "comma only separates thousands"),
     ("1_", "underscores"), ("\uff11\uff12", "ASCII"), ("5k%", "suffix and %")],
)
def test_ambiguous_quantities_are_refused_with_a_hint(text, hint):
    with pytest.raises(ValueError) as info:
        parse_quantity(text)
    assert hint in str(info.value)


@pytest.mark.parametrize("value", ["1,5B", "20%%", "1_0_0_,,,_M"])
def test_the_cli_names_the_field_and_the_hint(write_yaml, value):
    data = base_scenario()
    data["workload"]["tokens_per_month"] = value
    result = runner.invoke(app, ["validate", str(write_yaml(data))])
    assert result.exit_code == 2
    assert "workload.tokens_per_month" in result.stderr and value in result.stderr
