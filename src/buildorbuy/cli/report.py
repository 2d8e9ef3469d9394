"""`buildorbuy report`: a planning document (Markdown with PNG/SVG charts, or one HTML file)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import List, Optional

import typer

from buildorbuy.cli.app import app
from buildorbuy.cli.common import LANG_HELP, SET_HELP, VIEW_HELP, Lang, View, fail, guarded, output_path, parse_count, say
from buildorbuy.cli.compare import SCENARIO_ARG, print_warnings
from buildorbuy.cli.simulate import ESTIMATOR_ERROR_HELP


class ReportFormat(str, enum.Enum):
    markdown = "markdown"
    html = "html"


@app.command(short_help="Write a planning document with charts.")
@guarded
def report(
    scenario: Path = SCENARIO_ARG,
    output: Path = typer.Option(..., "--output", "-o", parser=output_path, metavar="FILE", help="Document to write; Markdown charts go to <stem>_charts/ beside it.",
                                show_default=False),
    fmt: Optional[ReportFormat] = typer.Option(None, "--format", "-f",
                                               help="markdown (with PNG and SVG charts beside it) or html (one self-contained "
                                                    "file). Default: from the output's suffix (.html, .htm), else markdown."),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
    overrides: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="FIELD=VALUE", help=SET_HELP),
    samples_text: Optional[str] = typer.Option(None, "--samples", "-n", metavar="N", show_default="100000",
                                               help="Monte Carlo samples, when the scenario has uncertain inputs (1e5 and 100k work too)."),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, metavar="N", show_default="42",
                                       help="Monte Carlo random seed, when the scenario has uncertain inputs."),
    estimator_error: bool = typer.Option(False, "--estimator-error", help=ESTIMATOR_ERROR_HELP),
    view: View = typer.Option(View.cash, "--view", help=VIEW_HELP),
) -> None:
    """Write a planning document: recommendation, assumptions with sources, tables and charts.

    \b
    Examples:
      buildorbuy report scenario.yaml -o plan.md
      buildorbuy report scenario.yaml -o plan.html --lang zh
    """
    from buildorbuy.analysis.compare import compare as run_compare
    from buildorbuy.cli.common import is_stream_or_device, write_files_atomic
    from buildorbuy.render.charts import require_matplotlib
    from buildorbuy.render.report import build_report, optional_analyses
    from buildorbuy.scenario.loading import load_scenario

    require_matplotlib()  # fail before any work when the [report] extra is missing
    kind = fmt or (ReportFormat.html if output.suffix.lower() in (".html", ".htm") else ReportFormat.markdown)
    expected = (".html", ".htm") if kind == ReportFormat.html else (".md", ".markdown")
    if output.suffix.lower() not in expected and not (kind == ReportFormat.html and is_stream_or_device(output)):
        label = "an HTML" if kind == ReportFormat.html else "a Markdown"
        raise fail(f"--output: {label} report is written to a {' or '.join(expected)} file, not '{output.name}'")
    if kind == ReportFormat.markdown:
        _check_chart_links(output.parent / f"{output.stem}_charts", {})
    loaded = load_scenario(scenario, overrides)
    result = run_compare(loaded, view=view.value)
    from buildorbuy.cli.simulate import MAX_SAMPLES

    samples = parse_count(samples_text, "--samples", low=1, high=MAX_SAMPLES)
    tornado, montecarlo, npv_samples = optional_analyses(loaded, samples=samples, seed=seed,
                                                         **({"estimator_error": True} if estimator_error else {}))
    from buildorbuy.render.report import decision_analyses

    notes: list[str] = []
    voi, whatif, when = decision_analyses(loaded, samples=samples, seed=seed, estimator_error=estimator_error, notes=notes)
    document = build_report(result, lang=lang.value, tornado=tornado, montecarlo=montecarlo, npv_samples=npv_samples,
                            voi=voi, whatif=whatif, when=when)
    if kind == ReportFormat.html:
        files = {output: document.html().encode("utf-8")}
    else:
        folder_name = f"{output.stem}_charts"
        files = document.chart_files(output.parent / folder_name)
        _check_chart_links(output.parent / folder_name, files)
        files[output] = document.markdown(folder_name).encode("utf-8")
    from buildorbuy.phrases import Message
    from buildorbuy.render.i18n import t

    extra = [w for w in (montecarlo or {}).get("warnings", []) if w not in result.warnings]
    if montecarlo is not None and voi is None and samples is not None:
        extra.append(Message("report_voi_samples"))
    if montecarlo is None and (samples is not None or seed is not None):
        extra.append(Message("report_mc_ignored"))
    print_warnings([*result.warnings, *extra, *notes], lang.value)
    for notice in document.notices:
        say(t("cli.note", lang.value, text=notice), err=True)
    write_files_atomic(files)
    charts = len(files) - 1
    if charts:
        say(t("cli.wrote_charts", lang.value, file=output, n=charts, folder=output.parent / f"{output.stem}_charts"), err=True)
    else:
        say(t("cli.wrote", lang.value, file=output), err=True)


def _check_chart_links(folder: Path, files: dict) -> None:
    """Charts are written only into a real folder: a symbolic link as the charts folder, or as one of
    the chart files in it, is refused (it would send files the user never named somewhere else)."""
    for path in [folder, *files]:
        try:
            link = path.is_symlink()
        except OSError:  # a name too long, a folder we cannot read: the writing reports it
            continue
        if link:
            what = "the charts folder" if path == folder else "a chart file"
            raise fail(f"{path} is a symbolic link; {what} is never written through a link (remove it, or choose "
                       f"another -o name)")
