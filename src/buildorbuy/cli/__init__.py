"""Command-line interface: thin commands over the public API. `buildorbuy --help` imports no engine."""

from __future__ import annotations

from buildorbuy.cli.app import app



def main() -> None:
    app()
