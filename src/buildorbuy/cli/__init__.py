"""Command-line interface: thin commands over the public API. `buildorbuy --help` imports no engine."""

from __future__ import annotations

from buildorbuy.cli.app import app
from buildorbuy.cli import compare as _compare  # noqa: F401  (registers commands)
from buildorbuy.cli import estimate as _estimate  # noqa: F401
from buildorbuy.cli import catalog_cmd as _catalog  # noqa: F401
from buildorbuy.cli import simulate as _simulate  # noqa: F401
from buildorbuy.cli import sweep as _sweep  # noqa: F401
from buildorbuy.cli import tornado as _tornado  # noqa: F401
from buildorbuy.cli import breakeven as _breakeven  # noqa: F401
from buildorbuy.cli import diff as _diff  # noqa: F401
from buildorbuy.cli import report as _report  # noqa: F401
from buildorbuy.cli import export as _export  # noqa: F401


def main() -> None:
    app()
