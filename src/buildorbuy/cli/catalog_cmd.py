"""`buildorbuy catalog gpus|models|apis`: list the shipped catalogs."""

from __future__ import annotations

from typing import Optional

import typer

from buildorbuy.cli.app import app
from buildorbuy.cli.common import FORMAT_HELP, Format, guarded

catalog_app = typer.Typer(help="List the catalogs: GPUs, open models, API prices.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(catalog_app, name="catalog")


def _emit(columns: list[str], rows: list[list], fmt: Format, title: str, records: list[dict]) -> None:
    import json

    from buildorbuy.cli.common import write_output

    if fmt is Format.json:
        write_output(json.dumps(records, indent=2, ensure_ascii=False), None)
        return
    text_rows = [["" if v is None else (f"{v:g}" if isinstance(v, float) else str(v)) for v in row] for row in rows]
    if fmt is Format.csv:
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(text_rows)
        write_output(buf.getvalue(), None)
        return
    if fmt is Format.markdown:
        lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in text_rows]
        write_output("\n".join(lines), None)
        return
    import sys

    from buildorbuy.render.tables import LONG_TABLE_ROWS, plain_table

    if len(text_rows) > LONG_TABLE_ROWS:
        numeric = next((i for i, c in enumerate(columns) if "/" in c or c.endswith(("GB", "W", "USD"))), len(columns))
        write_output(plain_table(title, columns, text_rows, right_from=numeric), None)
        return

    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for c in columns:
        table.add_column(c, overflow="fold", no_wrap=c in ("id", "model"))
    for row in text_rows:
        table.add_row(*row)
    Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 120).print(table)


@catalog_app.command("gpus")
@guarded
def gpus(format: Format = typer.Option(Format.table, "--format", help=FORMAT_HELP)) -> None:
    """GPUs: dense peak TFLOP/s, memory, bandwidth, power, dated prices."""
    import dataclasses

    from buildorbuy.catalog.gpus import list_gpus

    specs = list_gpus()
    columns = ["id", "generation", "bf16 TFLOP/s", "fp8 TFLOP/s", "memory GB", "TB/s", "TDP W", "rent USD/h", "price date", "purchase USD"]
    rows = [[g.id, g.generation, g.bf16_tflops, g.fp8_tflops, g.memory_gb, g.bandwidth_tbps, g.tdp_watts,
             g.rent_usd_per_hour, g.price_date, g.purchase_usd] for g in specs]
    records = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(g).items()} for g in specs]
    _emit(columns, rows, format, "GPU catalog", records)


@catalog_app.command("models")
@guarded
def models(format: Format = typer.Option(Format.table, "--format", help=FORMAT_HELP)) -> None:
    """Open-weight models: total and active parameters, KV cache, context, licence."""
    import dataclasses

    from buildorbuy.catalog.models import list_models

    specs = list_models()
    columns = ["id", "name", "params", "active params", "layers", "KV elements/token", "context", "precision", "licence"]
    rows = [[m.id, m.name, f"{m.params_total / 1e9:g}B", f"{m.params_active / 1e9:g}B", m.layers, m.kv_elements_per_token,
             m.context_length, m.default_precision, m.license] for m in specs]
    records = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(m).items()} for m in specs]
    _emit(columns, rows, format, "Open-model catalog", records)


@catalog_app.command("apis")
@guarded
def apis(
    provider: Optional[str] = typer.Option(None, "--provider", help="Only this provider, e.g. openai, dashscope."),
    date: Optional[str] = typer.Option(None, "--date", help="Prices in force on this date, YYYY-MM-DD (default: today)."),
    format: Format = typer.Option(Format.table, "--format", help=FORMAT_HELP),
) -> None:
    """API prices per 1M tokens: genai-prices (pinned) plus a supplementary table."""
    import dataclasses
    import datetime as dt

    from buildorbuy.catalog.apis import genai_prices_version, list_api_models
    from buildorbuy.errors import BuildOrBuyError

    try:
        at = dt.date.fromisoformat(date) if date else None
    except ValueError:
        raise BuildOrBuyError(f"'{date}' is not a date like 2026-01-31", field="date") from None
    prices = list_api_models(provider, at)
    columns = ["provider", "model", "input /1M", "cached input /1M", "output /1M", "currency", "listed from"]
    rows = [[p.provider, p.model, p.input_per_1m_usd, p.cached_input_per_1m_usd, p.output_per_1m_usd, p.currency, p.price_date or ""] for p in prices]
    records = [dataclasses.asdict(p) for p in prices]
    when = (at or dt.date.today()).isoformat()
    _emit(columns, rows, format, f"API prices in force on {when} (genai-prices {genai_prices_version()} + supplementary table)", records)
