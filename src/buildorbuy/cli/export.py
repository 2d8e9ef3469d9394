"""`buildorbuy export`: the finance workbook (.xlsx) whose every figure is a formula over its inputs."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from buildorbuy.cli.app import app
from buildorbuy.cli.common import LANG_HELP, SET_HELP, VIEW_HELP, Lang, View, fail, guarded, output_path, say
from buildorbuy.cli.compare import SCENARIO_ARG, print_warnings


@app.command(short_help="Write a finance workbook (.xlsx) of formulas.")
@guarded
def export(
    scenario: Path = SCENARIO_ARG,
    output: Path = typer.Option(..., "--output", "-o", parser=output_path, metavar="FILE", help="Workbook to write (.xlsx); written whole or not at all.",
                                show_default=False),
    overrides: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="FIELD=VALUE", help=SET_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
    view: View = typer.Option(View.cash, "--view", help=VIEW_HELP + " accounting adds an Accounting sheet."),
) -> None:
    """Write a spreadsheet whose cells are formulas over an Inputs sheet: change an input, every figure updates.

    \b
    Examples:
      buildorbuy export scenarios/enterprise-support.yaml -o model.xlsx
      buildorbuy export scenario.yaml -o model.xlsx --set workload.tokens_per_month=150B --lang zh
      buildorbuy export scenario.yaml -o model.xlsx --view accounting
    """
    from buildorbuy.analysis.compare import compare as run_compare
    from buildorbuy.cli.common import write_files_atomic
    from buildorbuy.render.workbook import build_workbook, check_size, require_xlsxwriter
    from buildorbuy.scenario.loading import load_scenario

    require_xlsxwriter()  # fail before any work when the [export] extra is missing
    if output.suffix.lower() != ".xlsx":
        raise fail(f"--output: the workbook is written to a .xlsx file, not '{output.name}'")
    loaded = load_scenario(scenario, overrides)
    check_size(loaded, accounting=view == View.accounting)  # before the computation: a huge workbook is refused at once
    cmp = run_compare(loaded, view=view.value)
    data, uncovered = build_workbook(cmp.result.plan, cmp.result, lang=lang.value, accounting=view == View.accounting)
    print_warnings(cmp.warnings, lang.value)
    for term in uncovered:
        say(f"Note: entered as the engine's values, not formulas: {term}", err=True)
    write_files_atomic({output: data})
    from buildorbuy.render.i18n import t

    say(t("cli.wrote", lang.value, file=output), err=True)
