"""`buildorbuy sweep`: NPV and winner over a grid of one or two parameters."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from buildorbuy.cli.app import app
from buildorbuy.cli.common import (FORMAT_HELP, LANG_HELP, OUTPUT_HELP, SET_HELP, Format, Lang, OrderedOptionsCommand, guarded, output_path,
                                   option_order, write_output)
from buildorbuy.cli.compare import SCENARIO_ARG, print_warnings, use_color

PARAM_HELP = "Field to vary, as --set writes it (e.g. workload.tokens_per_month, 'paths[API].price_per_1k_input'). Give twice for a 2-D grid."
VALUES_HELP = "Comma-separated values for the matching --param, e.g. 1e8,1e9,2.5B."
RANGE_HELP = "LO:HI[:N] for the matching --param: N evenly spaced values (default 11); append :log or :lin to choose per range."


def pair_specs(params: list[str], values: list[str], ranges: list[str], order: list[str] | None) -> list[tuple[str, str, str]]:
    """Pair each --param with the --values or --range given in the same position: [(param, kind, text)]."""
    from buildorbuy.errors import AnalysisError

    if len(values) + len(ranges) != len(params):
        raise AnalysisError(
            f"give one --values or --range for each --param ({len(params)} --param, {len(values)} --values, {len(ranges)} --range)"
        )
    kinds = [name for name in (order or []) if name in ("values", "ranges")]
    if len(kinds) != len(params):
        kinds = ["values"] * len(values) + ["ranges"] * len(ranges)
    queues = {"values": list(values), "ranges": list(ranges)}
    return [(param, kind, queues[kind].pop(0)) for param, kind in zip(params, kinds)]


@app.command(cls=OrderedOptionsCommand, short_help="NPV per path over a grid of one or two fields.")
@guarded
def sweep(
    ctx: typer.Context,
    scenario: Path = SCENARIO_ARG,
    params: List[str] = typer.Option(..., "--param", "-p", metavar="FIELD", help=PARAM_HELP, show_default=False),
    values: Optional[List[str]] = typer.Option(None, "--values", "-v", metavar="V1,V2,…", help=VALUES_HELP, show_default=False),
    ranges: Optional[List[str]] = typer.Option(None, "--range", "-r", metavar="LO:HI[:N]", help=RANGE_HELP, show_default=False),
    log: bool = typer.Option(False, "--log", help="Space --range values geometrically (bounds must be positive)."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    columnar: bool = typer.Option(False, "--columnar", help="With --format json: per-path arrays ('columns') instead of one object per point ('points')."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
    overrides: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="FIELD=VALUE", help=SET_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
) -> None:
    """Evaluate every path over a grid of values of one or two fields: NPV per path and the winner at each point.

    \b
    Examples:
      buildorbuy sweep scenario.yaml -p workload.tokens_per_month -r 1e9:1e12:13 --log
      buildorbuy sweep scenario.yaml -p 'paths[API].price_per_1k_output' -v 0.001,0.002 -p discount_rate -r 0:0.2:5
    """
    from buildorbuy.analysis.sweep import parse_range, parse_values, refuse_percent_on_amounts
    from buildorbuy.analysis.sweep import sweep as run_sweep
    from buildorbuy.errors import AnalysisError
    from buildorbuy.render.sweep_render import RENDERERS, STREAMS, iter_json, render_table
    from buildorbuy.scenario.loading import load_scenario

    if columnar and fmt != Format.json:
        raise AnalysisError("--columnar applies to --format json only", field="columnar")
    specs = pair_specs(list(params), list(values or []), list(ranges or []), option_order(ctx))
    axes = []
    for param, kind, text in specs:
        where = f"--values for {param}" if kind == "values" else f"--range for {param}"
        axes.append((param, parse_values(text, what=where) if kind == "values" else parse_range(text, log=log, what=where)))
    loaded = load_scenario(scenario, overrides)
    refuse_percent_on_amounts(loaded, [(param, text, f"--{'values' if kind == 'values' else 'range'} for {param}")
                                       for param, kind, text in specs])
    result = run_sweep(loaded, axes)
    if fmt == Format.table:
        text = render_table(result, color=use_color(fmt, output), lang=lang.value)
    elif fmt == Format.json:
        text = iter_json(result, columnar=columnar)  # streamed: a 1e6-point grid is never one string
    else:
        text = (STREAMS.get(fmt.value) or RENDERERS[fmt.value])(result, lang=lang.value)
    print_warnings(result.warnings, lang.value)
    write_output(text, output)
