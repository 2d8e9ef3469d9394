"""Command-line interface: thin commands over the public API. `buildorbuy --help` imports no engine."""

from __future__ import annotations

from buildorbuy.cli.app import app
from buildorbuy.cli import compare as _compare  # noqa: F401  (registers commands)
from buildorbuy.cli import diff as _diff  # noqa: F401
from buildorbuy.cli import report as _report  # noqa: F401


def main() -> None:
    app()
