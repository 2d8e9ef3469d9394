"""`buildorbuy diff BASE PROPOSAL`: what changes between two scenarios, infracost-style."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import List, Optional

import typer

from buildorbuy.cli.app import app
from buildorbuy.cli.common import FORMAT_HELP, LANG_HELP, OUTPUT_HELP, Lang, guarded, output_path, write_output


class DiffFormat(str, enum.Enum):
    table = "table"
    markdown = "markdown"
    json = "json"


@app.command(short_help="What changes between two scenarios.")
@guarded
def diff(
    base: Path = typer.Argument(..., help="The current scenario file.", show_default=False),
    proposal: Path = typer.Argument(..., help="The proposed scenario file (may be the same file with --set).",
                                    show_default=False),
    fmt: DiffFormat = typer.Option(DiffFormat.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
    overrides: Optional[List[str]] = typer.Option(
        None, "--set", "-s", metavar="FIELD=VALUE", help="Override a field of the PROPOSAL (dotted.path=value). Repeatable."),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
) -> None:
    """Show which inputs differ and how each path's NPV, the winner and break-even months change.

    \b
    Examples:
      buildorbuy diff current.yaml proposal.yaml
      buildorbuy diff scenario.yaml scenario.yaml --set workload.growth_per_month=0.1
    """
    import os
    import sys

    from buildorbuy.analysis.diff import diff as run_diff
    from buildorbuy.cli.compare import print_warnings
    from buildorbuy.render.diff_render import RENDERERS, render_table
    from buildorbuy.scenario.loading import load_scenario

    result = run_diff(load_scenario(base), load_scenario(proposal, overrides))
    if fmt == DiffFormat.table:
        color = output is None and sys.stdout is not None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        text = render_table(result, color=color, lang=lang.value)
    else:
        text = RENDERERS[fmt.value](result, lang=lang.value)
    print_warnings(list(dict.fromkeys(result.base.warnings + result.proposal.warnings)), lang.value)
    write_output(text, output)
