"""`buildorbuy simulate`: Monte Carlo over the scenario's distributions."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import List, Optional

import typer

from buildorbuy.cli.app import app
from buildorbuy.cli.common import FORMAT_HELP, LANG_HELP, OUTPUT_HELP, SET_HELP, Format, Lang, fail, guarded, output_path, parse_count, write_output
from buildorbuy.cli.compare import SCENARIO_ARG, print_warnings, use_color

MAX_SAMPLES = 10_000_000
"""Kept equal to analysis.montecarlo.MAX_SAMPLES (not imported: the CLI loads numpy lazily)."""
PROGRESS_AFTER_SECONDS = 0.5
ESTIMATOR_ERROR_HELP = ("Also sample each auto estimate (training/fine-tune MFU, serving throughput) as a lognormal "
                        "with its calibrated ×/÷ error at 80 %, so estimator error shows in P10/P90 and win chances.")


class _LazyProgress:
    """A rich progress bar on stderr, shown only on a terminal and only once a run takes a moment."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.bar = None
        self.task = None
        self.enabled = sys.stderr is not None and sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if done >= total or time.perf_counter() - self.started < PROGRESS_AFTER_SECONDS:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("simulating"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("simulate", total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@app.command(short_help="Monte Carlo over the uncertain inputs.")
@guarded
def simulate(
    scenario: Path = SCENARIO_ARG,
    samples_text: str = typer.Option("100000", "--samples", "-n", metavar="N", help=f"Monte Carlo samples (1 to {MAX_SAMPLES:,}; 1e5 and 100k work too)."),
    seed: int = typer.Option(42, "--seed", metavar="N", help="Random seed: the same seed gives the same output, byte for byte."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
    overrides: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="FIELD=VALUE", help=SET_HELP),
    estimator_error: bool = typer.Option(False, "--estimator-error", help=ESTIMATOR_ERROR_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
) -> None:
    """Monte Carlo over the fields given as distributions: percentiles, chance each path is cheapest, regret, drivers.

    \b
    Examples:
      buildorbuy simulate scenarios/uncertain-enterprise.yaml
      buildorbuy simulate scenario.yaml -n 1e6 --seed 7 -f json -o mc.json
    """
    samples = parse_count(samples_text, "--samples", low=1, high=MAX_SAMPLES)
    if seed < 0:
        raise fail(f"--seed: must be a whole number ≥ 0 (got {seed})")
    from buildorbuy.analysis.montecarlo import simulate as run_simulate
    from buildorbuy.render.simulate_render import RENDERERS, render_table
    from buildorbuy.scenario.loading import load_scenario

    loaded = load_scenario(scenario, overrides)
    progress = _LazyProgress()
    try:
        result = run_simulate(loaded, samples, seed, progress=progress, **({"estimator_error": True} if estimator_error else {}))
    finally:
        progress.close()
    if fmt == Format.table:
        text = render_table(result, color=use_color(fmt, output), lang=lang.value)
    else:
        text = RENDERERS[fmt.value](result, lang=lang.value)
    print_warnings(result.warnings, lang.value)
    write_output(text, output)
