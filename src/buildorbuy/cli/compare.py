"""`buildorbuy compare`, `validate`, `init` and `schema`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from buildorbuy.cli.app import app
from buildorbuy.cli.common import (FORMAT_HELP, LANG_HELP, OUTPUT_HELP, OUTPUT_SUFFIXES, SET_HELP, VIEW_HELP, Format, Lang,
                                   View, check_output_suffix, fail, guarded, output_path, say, write_output)

SCENARIO_ARG = typer.Argument(..., help="Scenario file (YAML, TOML or JSON).", show_default=False)


def use_color(fmt: Format, output: Path | None) -> bool:
    """Colour only for tables printed to a terminal (and not when NO_COLOR is set)."""
    import os

    return fmt == Format.table and output is None and sys.stdout is not None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def print_warnings(warnings: list[str], lang: str = "en") -> None:
    """Each warning on stderr as `Warning: …`, in `lang`."""
    if warnings and lang != "en":
        from buildorbuy.render.i18n import message, t

        for warning in warnings:
            say(t("cli.warning", lang, text=message(warning, lang)), err=True)
        return
    for warning in warnings:
        say(f"Warning: {warning}", err=True)


def emit(result, fmt: Format, output: Path | None, lang: str, render_table, renderers, **table_options) -> None:
    """Render `result` in `fmt` (the table with colour when it goes to a terminal), print its warnings
    on stderr and write the text to `output` or stdout."""
    if fmt == Format.table:
        text = render_table(result, color=use_color(fmt, output), lang=lang, **table_options)
    else:
        text = renderers[fmt.value](result, lang=lang)
    print_warnings(result.warnings, lang)
    write_output(text, output)


@app.command(short_help="Cost every path and recommend one.")
@guarded
def compare(
    scenario: Path = SCENARIO_ARG,
    fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
    overrides: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="FIELD=VALUE", help=SET_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
    chart: bool = typer.Option(False, "--chart", help="Draw the cumulative cost curves below the tables (table format)."),
    view: View = typer.Option(View.cash, "--view", help=VIEW_HELP),
) -> None:
    """Cost every path over the horizon and recommend one: summary, cost by year, breakdown, break-even.

    \b
    Examples:
      buildorbuy compare scenarios/startup-assistant.yaml
      buildorbuy compare scenario.yaml -f json -o result.json --set workload.tokens_per_month=5B
    """
    from buildorbuy.analysis.compare import compare as run_compare
    from buildorbuy.render.compare_render import RENDERERS, render_table
    from buildorbuy.scenario.loading import load_scenario

    if chart and fmt != Format.table:
        raise fail("--chart draws in the terminal: use it with --format table (buildorbuy report writes PNG/SVG charts)")
    result = run_compare(load_scenario(scenario, overrides), view=view.value)
    emit(result, fmt, output, lang.value, render_table, RENDERERS, chart=chart)


@app.command(short_help="Check a scenario file and list every problem.")
@guarded
def validate(
    scenario: Path = SCENARIO_ARG,
    overrides: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="FIELD=VALUE", help=SET_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
) -> None:
    """Check a scenario file: fields, ranges, catalog names, and that its costs can be computed.

    \b
    Examples:
      buildorbuy validate scenario.yaml
      buildorbuy validate scenario.yaml --set horizon_months=60
    """
    from buildorbuy.engine.checks import check_file
    from buildorbuy.engine.core import evaluate
    from buildorbuy.errors import BuildOrBuyError

    try:
        checked = check_file(scenario, overrides)
        problems = checked.problems
    except BuildOrBuyError as exc:  # a file that cannot be read or parsed: nothing more to check
        problems = [exc, *exc.others]
    if problems:
        for problem in problems:
            say(f"Error: {problem.one_line(mention_others=False)}", err=True)
        raise typer.Exit(2) from None
    loaded, plan = checked.scenario, checked.plan
    evaluate(plan)
    print_warnings(plan.warnings, lang.value)
    from buildorbuy.render.i18n import t

    say(t("validate.valid", lang.value, file=scenario, n=len(loaded.paths), names=", ".join(p.name for p in loaded.paths),
          horizon=loaded.horizon))


@app.command(short_help="Write a commented starter scenario.")
@guarded
def init(
    output: Path = typer.Option(Path("scenario.yaml"), "--output", "-o", parser=output_path, metavar="FILE", help="File to write (- for stdout)."),
    template: str = typer.Option("starter", "--template", "-t", help="Template name; see --list."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    list_templates: bool = typer.Option(False, "--list", help="List the templates and exit."),
) -> None:
    """Write a commented starter scenario with sourced, realistic values.

    \b
    Examples:
      buildorbuy init -o scenario.yaml
      buildorbuy init --template bank-onprem-cny -o bank.yaml
    """
    from buildorbuy.cli.common import write_file_atomic
    from buildorbuy.templates import available, template_to_write

    if list_templates:
        names = available()
        width = max(map(len, names), default=0) + 2  # the longest name too keeps a gap before its summary
        for name, summary in names.items():
            typer.echo(f"{name:<{width}}{summary}")
        return
    text = template_to_write(template)
    if str(output) == "-":
        write_output(text, None)
        return
    if output.suffix.lower() not in (".yaml", ".yml") and output.suffix.lower() in OUTPUT_SUFFIXES:
        raise fail(f"--output: init writes a commented YAML scenario; name it .yaml, not '{output.name}'")
    if os.path.exists(output) and not force:  # os.path: False (no traceback) for a name too long; the write says why
        raise fail(f"{output} exists; use --force to overwrite it")
    write_file_atomic(output, text.encode("utf-8"))
    say(f"wrote {output} (template {template}); next: buildorbuy compare {output}", err=True)


@app.command(short_help="Print the JSON Schema of the scenario format.")
@guarded
def schema(
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
) -> None:
    """Print the JSON Schema of the scenario format (for editor autocompletion and validation).

    \b
    Examples:
      buildorbuy schema -o scenario.schema.json
    """
    import json

    from buildorbuy.scenario.schema import scenario_json_schema

    if output is not None:
        check_output_suffix(output, "json")
    write_output(json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False), output)
    if output is not None and str(output) != "-":
        say(f"wrote {output}", err=True)
