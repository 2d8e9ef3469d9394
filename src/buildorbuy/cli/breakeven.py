"""`buildorbuy breakeven`: the value of a field at which two paths cost the same."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Tuple

import typer

from buildorbuy.cli.app import app
from buildorbuy.cli.common import FORMAT_HELP, LANG_HELP, OUTPUT_HELP, SET_HELP, Format, Lang, guarded, output_path, write_output
from buildorbuy.cli.compare import SCENARIO_ARG, print_warnings, use_color


@app.command(short_help="The value of a field where two paths cost the same.")
@guarded
def breakeven(
    scenario: Path = SCENARIO_ARG,
    param: str = typer.Option(..., "--param", "-p", metavar="FIELD", help="Field to solve for, as --set writes it (e.g. workload.tokens_per_month).", show_default=False),
    between: Optional[Tuple[str, str]] = typer.Option(None, "--between", metavar="PATH_A PATH_B", help="The two paths (names or 0-based indexes); default: the cheapest API path and the cheapest self-hosted path (else the winner and the runner-up).", show_default=False),
    search: Optional[str] = typer.Option(None, "--range", "-r", metavar="LO:HI", help="LO:HI to search (default: /100 to ×100 of the current value, within the field's valid range).", show_default=False),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
    overrides: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="FIELD=VALUE", help=SET_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
) -> None:
    """Find the value of a field at which two paths have equal NPV (or say there is none in the range).

    \b
    Examples:
      buildorbuy breakeven scenario.yaml -p workload.tokens_per_month
      buildorbuy breakeven scenario.yaml -p 'paths[1].lead_time_months' --between gpt-4o 1
    """
    from buildorbuy.analysis.breakeven import SCAN_POINTS, breakeven as run_breakeven
    from buildorbuy.analysis.sweep import parse_range, refuse_percent_on_amounts
    from buildorbuy.render.breakeven_render import RENDERERS, render_table
    from buildorbuy.scenario.loading import load_scenario

    low = high = None
    scan_points = SCAN_POINTS
    if search is not None:
        values = parse_range(search, what="--range", default_points=SCAN_POINTS)
        low, high = float(values[0]), float(values[-1])
        scan_points = max(len(values), 2)
    loaded = load_scenario(scenario, overrides)
    refuse_percent_on_amounts(loaded, [(param, search or "", "--range")])
    result = run_breakeven(loaded, param, between=between, low=low, high=high, scan_points=scan_points)
    if fmt == Format.table:
        text = render_table(result, color=use_color(fmt, output), lang=lang.value)
    else:
        text = RENDERERS[fmt.value](result, lang=lang.value)
    print_warnings(result.warnings, lang.value)
    write_output(text, output)
