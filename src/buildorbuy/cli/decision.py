"""`buildorbuy voi` and `buildorbuy whatif`: decision analysis before committing."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from buildorbuy.cli.app import app
from buildorbuy.cli.common import FORMAT_HELP, LANG_HELP, OUTPUT_HELP, SET_HELP, Format, Lang, fail, guarded, output_path, parse_count, write_output
from buildorbuy.cli.compare import SCENARIO_ARG, emit, print_warnings, use_color
from buildorbuy.cli.simulate import ESTIMATOR_ERROR_HELP

VOI_MIN_SAMPLES = 1_000
"""Kept equal to analysis.voi.MIN_SAMPLES (not imported: the CLI loads numpy lazily)."""


@app.command(short_help="What finding out each uncertain input first is worth.")
@guarded
def voi(
    scenario: Path = SCENARIO_ARG,
    samples_text: str = typer.Option("100000", "--samples", "-n", metavar="N", help="Monte Carlo samples (at least 1,000; 1e5 and 100k work too)."),
    seed: int = typer.Option(42, "--seed", metavar="N", help="Random seed: the same seed gives the same output (and the same samples as simulate)."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
    overrides: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="FIELD=VALUE", help=SET_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
    estimator_error: bool = typer.Option(False, "--estimator-error", help=ESTIMATOR_ERROR_HELP),
) -> None:
    """What is it worth to find something out before deciding? EVPI and each uncertain input's EVPPI, in money.

    \b
    Examples:
      buildorbuy voi scenarios/uncertain-enterprise.yaml
      buildorbuy voi scenarios/uncertain-enterprise.yaml --samples 200k --seed 7 --format json
      buildorbuy voi scenarios/enterprise-support.yaml --estimator-error
    """
    from buildorbuy.cli.simulate import MAX_SAMPLES, _LazyProgress

    samples = parse_count(samples_text, "--samples", low=1, high=MAX_SAMPLES)
    if samples < VOI_MIN_SAMPLES:
        raise fail(f"--samples: value of information needs at least {VOI_MIN_SAMPLES:,} samples (got {samples_text})")
    if seed < 0:
        raise fail(f"--seed: must be a whole number ≥ 0 (got {seed})")
    from buildorbuy.analysis.voi import voi as run_voi
    from buildorbuy.render.voi_render import RENDERERS, render_table
    from buildorbuy.scenario.loading import load_scenario

    loaded = load_scenario(scenario, overrides)
    progress = _LazyProgress()
    try:
        result = run_voi(loaded, samples, seed, progress=progress, **({"estimator_error": True} if estimator_error else {}))
    finally:
        progress.close()
    emit(result, fmt, output, lang.value, render_table, RENDERERS)


@app.command(short_help="What would have to be true for another path to win.")
@guarded
def whatif(
    scenario: Path = SCENARIO_ARG,
    params: Optional[List[str]] = typer.Option(None, "--param", "-p", metavar="FIELD", help="Search only these fields (repeatable); default: every numeric input.",
                                              show_default=False),
    top: int = typer.Option(10, "--top", min=0, metavar="N", help="Table and markdown: at most N conditions per path (0: all); csv and json have all."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
    overrides: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="FIELD=VALUE", help=SET_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
) -> None:
    """What would have to be true for another path to win? Each input's value at which a losing path ties the winner.

    \b
    Examples:
      buildorbuy whatif scenarios/enterprise-support.yaml
      buildorbuy whatif scenarios/uncertain-enterprise.yaml --top 0 --format markdown -o whatif.md
      buildorbuy whatif scenarios/enterprise-support.yaml -p workload.tokens_per_month -p 'paths[gpt-4o].price_per_1k_output'
    """
    from buildorbuy.analysis.whatif import whatif as run_whatif
    from buildorbuy.render.whatif_render import RENDERERS, render_markdown, render_table
    from buildorbuy.scenario.loading import load_scenario

    result = run_whatif(load_scenario(scenario, overrides), params=params or None)
    if fmt == Format.table:
        text = render_table(result, color=use_color(fmt, output), lang=lang.value, top=top or None)
    elif fmt == Format.markdown:
        text = render_markdown(result, lang=lang.value, top=top or None)
    else:
        text = RENDERERS[fmt.value](result, lang=lang.value)
    print_warnings(result.warnings, lang.value)
    write_output(text, output)
