"""`buildorbuy when`: the best month to start each self-hosted path, and what starting now costs."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from buildorbuy.cli.app import app
from buildorbuy.cli.common import FORMAT_HELP, LANG_HELP, OUTPUT_HELP, SET_HELP, Format, Lang, guarded, output_path
from buildorbuy.cli.compare import SCENARIO_ARG, emit


@app.command(short_help="The best month to start each self-hosted path.")
@guarded
def when(
    scenario: Path = SCENARIO_ARG,
    path: Optional[str] = typer.Option(None, "--path", metavar="NAME", help="Only this self-hosted path (name or 0-based index); "
                                       "default: every finetune and build path.", show_default=False),
    latest: int = typer.Option(24, "--latest", min=0, metavar="M", help="Latest start month to try (capped at horizon − 1)."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
    overrides: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="FIELD=VALUE", help=SET_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
) -> None:
    """Each self-hosted path's NPV by start month (the bridge serves until it is live), the best month
    to start and what starting now instead costs — one batched engine call.

    \b
    Examples:
      buildorbuy when scenarios/hybrid-router.yaml
      buildorbuy when scenarios/enterprise-support.yaml --path 'Fine-tuned Llama 3.3 70B' --latest 12
      buildorbuy when scenario.yaml --set workload.growth_per_month=0.08 --format json
    """
    from buildorbuy.analysis.when import when as run_when
    from buildorbuy.render.when_render import RENDERERS, render_table
    from buildorbuy.scenario.loading import load_scenario

    result = run_when(load_scenario(scenario, overrides), path=path, latest=latest)
    emit(result, fmt, output, lang.value, render_table, RENDERERS)
