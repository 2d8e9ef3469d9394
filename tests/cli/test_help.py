"""Every command has help text and is documented in the README."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import REPO


def _commands():
    root = typer.main.get_command(app)
    for name, command in root.commands.items():
        if hasattr(command, "commands"):
            for sub_name, sub in command.commands.items():
                yield f"{name} {sub_name}", sub
        else:
            yield name, command


def test_every_command_has_help_and_is_in_the_readme():
    readme = (REPO / "README.md").read_text()
    commands = list(_commands())
    assert len(commands) >= 12
    for name, command in commands:
        assert (command.help or "").strip(), f"{name} has no help text"
        assert f"buildorbuy {name.split()[0]}" in readme, f"{name} is not in the README"
        result = CliRunner().invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0 and "Usage" in result.stdout, name
