"""`buildorbuy tornado`: which inputs move the decision most."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import List, Optional

import typer

from buildorbuy.cli.app import app
from buildorbuy.cli.common import FORMAT_HELP, LANG_HELP, OUTPUT_HELP, SET_HELP, Format, Lang, guarded, output_path, write_output
from buildorbuy.cli.compare import SCENARIO_ARG, print_warnings, use_color


class Metric(str, enum.Enum):
    npv = "npv"
    margin = "margin"


@app.command(short_help="Rank inputs by how far each moves the answer.")
@guarded
def tornado(
    scenario: Path = SCENARIO_ARG,
    swing: float = typer.Option(0.2, "--swing", help="Move each input down and up by this share of its value (0.2 = ±20 %)."),
    metric: Metric = typer.Option(Metric.npv, "--metric", "-m", help="npv: the winner's NPV; margin: the runner-up's NPV minus the winner's."),
    params: Optional[List[str]] = typer.Option(None, "--param", "-p", metavar="FIELD", help="Vary only these fields (repeatable); default: every numeric input.", show_default=False),
    top: int = typer.Option(20, "--top", min=0, metavar="N", help="Table and markdown: show the N inputs with the largest effect (0: all); csv and json have all."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
    overrides: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="FIELD=VALUE", help=SET_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
) -> None:
    """Move every numeric input down and up alone; rank inputs by their effect and mark those that flip the decision.

    \b
    Examples:
      buildorbuy tornado scenario.yaml
      buildorbuy tornado scenario.yaml --swing 0.3 --metric margin -f markdown
    """
    from buildorbuy.analysis.tornado import tornado as run_tornado
    from buildorbuy.render.tornado_render import RENDERERS, render_markdown, render_table
    from buildorbuy.scenario.loading import load_scenario

    result = run_tornado(load_scenario(scenario, overrides), swing=swing, metric=metric.value, params=params or None)
    if fmt == Format.table:
        text = render_table(result, color=use_color(fmt, output), top=top or None, lang=lang.value)
    elif fmt == Format.markdown:
        text = render_markdown(result, top=top or None, lang=lang.value)
    else:
        text = RENDERERS[fmt.value](result, lang=lang.value)
    print_warnings(result.warnings, lang.value)
    write_output(text, output)
