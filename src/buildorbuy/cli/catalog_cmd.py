"""`buildorbuy catalog gpus|models|apis`: list the shipped catalogs."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import typer

from buildorbuy.cli.app import app
from buildorbuy.cli.common import FORMAT_HELP, OUTPUT_HELP, Format, guarded

catalog_app = typer.Typer(help="List the catalogs: GPUs, open models, API prices.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(catalog_app, name="catalog")


def _emit(columns: list[tuple[str, str]], records: list[dict], fmt: Format, title: str, output: Optional[Path],
          *, drop: tuple[int, ...] = (), shown: dict[str, Callable] | None = None, group: str | None = None) -> None:
    """`columns` are (heading, record key) pairs. CSV and JSON are data: plain numbers, ISO 8601 dates
    (see formatting.iso_date; the text as listed is kept in `<key>_as_listed` when it differs)."""
    import json

    from buildorbuy.cli.common import write_output
    from buildorbuy.render.formatting import data_number

    if fmt is Format.json:
        write_output(json.dumps(records, indent=2, ensure_ascii=False), output)
        return
    keys = [key for _, key in columns]
    if fmt is Format.csv:  # every scalar field, as in JSON (lists such as sources stay in JSON)
        every = list(dict.fromkeys(k for r in records for k in r))
        keys = [k for k in every if not any(isinstance(r.get(k), (list, dict)) for r in records)]
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(keys)
        for record in records:
            writer.writerow([data_number(v) if isinstance(v, (int, float)) else ("" if v is None else str(v))
                             for v in (record.get(k) for k in keys)])
        write_output(buf.getvalue(), output)
        return
    shown = shown or {}

    def text(key: str, value) -> str:
        if value is None:
            return ""
        if key in shown:
            return shown[key](value)
        return f"{value:g}" if isinstance(value, float) else str(value)

    headings = [heading for heading, _ in columns]
    text_rows = [[text(k, record.get(k)) for k in keys] for record in records]
    numeric_from = next((i for i, k in enumerate(keys) if all(isinstance(r.get(k), (int, float)) or r.get(k) is None for r in records)
                         and any(isinstance(r.get(k), (int, float)) for r in records)), len(keys))
    if fmt is Format.markdown:
        from buildorbuy.render.tables import markdown_table

        write_output(f"### {title}\n\n" + markdown_table(headings, text_rows, right_from=numeric_from), output)
        return
    from buildorbuy.render.tables import rich_table, text_console

    console = text_console(color=False, width=None)
    if group is None:
        console.print(rich_table(title, headings, text_rows, right_from=numeric_from, width=console.width, drop=drop))
    else:  # one sub-table per value of `group` (a provider), so long model ids keep their whole line
        at = keys.index(group)
        console.print(title)
        values = list(dict.fromkeys(row[at] for row in text_rows))
        for value in values:
            rows = [[c for j, c in enumerate(row) if j != at] for row in text_rows if row[at] == value]
            heads = [h for j, h in enumerate(headings) if j != at]
            kept_drop = tuple(i - (i > at) for i in drop if i != at)
            console.print(rich_table(value, heads, rows, right_from=numeric_from - 1, width=console.width, drop=kept_drop))
    write_output(console.file.getvalue(), output)


def _dated(record: dict, *keys: str) -> dict:
    """Dates as ISO 8601; the catalog's own text in `<key>_as_listed` when it is not already ISO."""
    from buildorbuy.render.formatting import iso_date

    out = dict(record)
    for key in keys:
        value = record.get(key)
        if value is None:
            continue
        iso = iso_date(value)
        out[key] = iso
        if iso != str(value):
            out[f"{key}_as_listed"] = str(value)
    return out


def _plain(obj) -> dict:
    import dataclasses

    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(obj).items()}


@catalog_app.command("gpus")
@guarded
def gpus(
    format: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help=OUTPUT_HELP),
) -> None:
    """GPUs: dense peak TFLOP/s, memory, bandwidth, power, dated prices.

    Example: buildorbuy catalog gpus -f csv -o gpus.csv
    """
    from buildorbuy.catalog.gpus import list_gpus

    columns = [("id", "id"), ("generation", "generation"), ("bf16 TFLOP/s", "bf16_tflops"), ("fp8 TFLOP/s", "fp8_tflops"),
               ("memory GB", "memory_gb"), ("TB/s", "bandwidth_tbps"), ("TDP W", "tdp_watts"), ("rent USD/h", "rent_usd_per_hour"),
               ("price date", "price_date"), ("purchase USD", "purchase_usd")]
    records = [_dated(_plain(g), "price_date", "purchase_date") for g in list_gpus()]
    _emit(columns, records, format, "GPU catalog", output, drop=(8, 1, 3, 5, 6))


@catalog_app.command("models")
@guarded
def models(
    format: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help=OUTPUT_HELP),
) -> None:
    """Open-weight models: total and active parameters, KV cache, context, licence.

    Example: buildorbuy catalog models -f json -o models.json
    """
    from buildorbuy.catalog.models import list_models

    columns = [("id", "id"), ("name", "name"), ("params", "params_total"), ("active params", "params_active"), ("layers", "layers"),
               ("KV elements/token", "kv_elements_per_token"), ("context", "context_length"), ("precision", "default_precision"),
               ("licence", "license")]
    records = [_dated(_plain(m), "release") for m in list_models()]
    billions = {"params_total": lambda v: f"{v / 1e9:g}B", "params_active": lambda v: f"{v / 1e9:g}B"}
    _emit(columns, records, format, "Open-model catalog", output, drop=(8, 1, 4, 5, 7, 6), shown=billions)


@catalog_app.command("apis")
@guarded
def apis(
    provider: Optional[str] = typer.Option(None, "--provider", help="Only this provider, e.g. openai, dashscope."),
    date: Optional[str] = typer.Option(None, "--date", help="Prices in force on this date, YYYY-MM-DD (default: today).", metavar="YYYY-MM-DD"),
    format: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help=OUTPUT_HELP),
) -> None:
    """API prices per 1M tokens: genai-prices (pinned) plus a supplementary table.

    Example: buildorbuy catalog apis --provider openai --date 2026-01-01
    """
    import dataclasses
    import datetime as dt

    from buildorbuy.catalog.apis import genai_prices_version, list_api_models
    from buildorbuy.errors import BuildOrBuyError

    try:
        at = dt.date.fromisoformat(date) if date else None
    except ValueError:
        raise BuildOrBuyError(f"'{date}' is not a date like 2026-01-31", field="date") from None
    prices = list_api_models(provider, at)
    columns = [("provider", "provider"), ("model", "model"), ("input /1M", "input_per_1m_usd"), ("cached input /1M", "cached_input_per_1m_usd"),
               ("output /1M", "output_per_1m_usd"), ("currency", "currency"), ("listed from", "price_date")]
    records = [_dated(dataclasses.asdict(p), "price_date") for p in prices]
    when = (at or dt.date.today()).isoformat()
    _emit(columns, records, format, f"API prices in force on {when} (genai-prices {genai_prices_version()} + supplementary table)",
          output, drop=(6, 5, 3), group="provider")
