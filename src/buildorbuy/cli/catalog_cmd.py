"""`buildorbuy catalog gpus|models|apis`: list the shipped catalogs."""

from __future__ import annotations

import sys
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
        import io

        buf = io.StringIO()
        from buildorbuy.render.escape import csv_writer  # text cells formula-safe

        writer = csv_writer(buf)
        writer.writerow(columns)
        writer.writerows(text_rows)
        write_output(buf.getvalue(), None)
        return
    if fmt is Format.markdown:
        lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
        from buildorbuy.render.escape import markdown as md

        lines += ["| " + " | ".join(md(c, cell=True) for c in row) + " |" for row in text_rows]
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
        table.add_column(c, overflow="fold", no_wrap=c in ("id", "model", "provider"))
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
    columns = ["id", "generation", "bf16 TFLOP/s", "fp8 TFLOP/s", "memory GB", "TB/s", "TDP W", "rent USD/h", "price date", "purchase USD",
               "new in cn"]

    def cn(g) -> str:
        rule = g.market_rule("cn")
        return "" if rule is None else f"{rule.new_sales} since {rule.since}"

    rows = [[g.id, g.generation, g.bf16_tflops, g.fp8_tflops, g.memory_gb, g.bandwidth_tbps, g.tdp_watts,
             g.rent_usd_per_hour, g.price_date, g.purchase_usd, cn(g)] for g in specs]
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




def _percent(discounts: dict | None) -> str:
    """Batch/off-peak discounts by token type: the input type's, then the types that differ,
    e.g. '-50% (cached -0%)'."""
    if not discounts:
        return ""
    main = discounts["input"]
    names = {"cached_input": "cached", "cache_write": "write", "output": "output"}
    others = [f"{names[t]} -{d:.0%}" for t, d in discounts.items() if t != "input" and abs(d - main) > 1e-9]
    return f"-{main:.0%}" + (f" ({', '.join(others)})" if others else "")


def _plain(columns: list[str], rows: list[list[str]], title: str) -> None:
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
    lines = [title, "  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows]
    sys.stdout.write("\n".join(lines) + "\n")


@catalog_app.command("apis")
@guarded
def apis(
    model: Optional[str] = typer.Argument(None, help="Only models whose name contains this, e.g. qwen."),
    provider: Optional[str] = typer.Option(None, "--provider", help="Only this provider, e.g. openai, dashscope."),
    currency: Optional[str] = typer.Option(None, "--currency", help="Only prices listed in this currency, e.g. CNY."),
    date: Optional[str] = typer.Option(None, "--date", help="Prices in force on this date, YYYY-MM-DD (default: today)."),
    format: Format = typer.Option(Format.table, "--format", help=FORMAT_HELP),
) -> None:
    """API prices per 1M tokens: genai-prices (pinned) plus a supplementary table with mainland-China
    (cn) and international (intl) lists, batch and off-peak discounts, sources and dates."""
    import dataclasses
    import datetime as dt

    from buildorbuy.catalog.apis import genai_prices_version, iter_api_models
    from buildorbuy.errors import BuildOrBuyError

    try:
        at = dt.date.fromisoformat(date) if date else None
    except ValueError:
        raise BuildOrBuyError(f"'{date}' is not a date like 2026-01-31", field="date") from None
    prices = list(iter_api_models(provider, at, currency=currency, contains=model))
    columns = ["provider", "model", "input /1M", "cached input /1M", "cache write /1M", "output /1M", "currency", "market",
               "listed from", "listed to", "batch", "off-peak", "verified", "source"]
    rows = [[p.provider, p.model, p.input_per_1m_usd, p.cached_input_per_1m_usd, p.cache_write_per_1m, p.output_per_1m_usd,
             p.currency, p.market or "", p.price_date or "", p.valid_to or "", _percent(p.batch_discount),
             _percent(p.off_peak_discount), "no (unverified)" if p.unverified else (p.verification or "genai-prices"),
             p.source] for p in prices]
    when = (at or dt.date.today()).isoformat()
    title = f"API prices in force on {when} (genai-prices {genai_prices_version()} + supplementary table)"
    if format is Format.table:  # plain aligned text: 14 columns and thousands of rows never wrap
        _plain(columns, [["" if v is None else (f"{v:g}" if isinstance(v, float) else str(v)) for v in row] for row in rows], title)
        return
    records = [dataclasses.asdict(p) | {"unverified": p.unverified} for p in prices]
    _emit(columns, rows, format, title, records)
