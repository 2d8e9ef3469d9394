"""The typer application. Command modules register themselves on `app`; no engine import here."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="buildorbuy",
    help="Build, fine-tune or buy an LLM? Cost each path over time from a scenario file.\n\n"
         "\b\nExamples:\n"
         "  buildorbuy init -o scenario.yaml\n"
         "  buildorbuy compare scenario.yaml\n"
         "  buildorbuy simulate scenarios/uncertain-enterprise.yaml --lang zh",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback(invoke_without_command=True)
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True),
) -> None:
    if version:
        from importlib.metadata import version as _v

        typer.echo(f"buildorbuy {_v('buildorbuy')}")
        raise typer.Exit()
