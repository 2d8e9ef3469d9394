"""`buildorbuy catalog gpus|models|apis`: list the shipped catalogs."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import typer

from buildorbuy.cli.app import app
from buildorbuy.cli.common import FORMAT_HELP, LANG_HELP, OUTPUT_HELP, Format, Lang, guarded, output_path, say

catalog_app = typer.Typer(help="List the catalogs: GPUs, open models, API prices.\n\n"
                               "\b\nExamples:\n"
                               "  buildorbuy catalog gpus\n"
                               "  buildorbuy catalog apis deepseek --currency CNY",
                          no_args_is_help=True, rich_markup_mode=None)
app.add_typer(catalog_app, name="catalog")


def _emit(columns: list[tuple[str, str]], records: list[dict], fmt: Format, title: str, output: Optional[Path],
          *, drop: tuple[int, ...] = (), shown: dict[str, Callable] | None = None, group: str | None = None,
          lang: str = "en") -> None:
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
        import io

        from buildorbuy.render.escape import csv_writer  # text cells formula-safe

        buf = io.StringIO()
        writer = csv_writer(buf)
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

    from buildorbuy.render.tables import LONG_TABLE_ROWS, plain_table

    if len(text_rows) > LONG_TABLE_ROWS:  # plain aligned text: fast for long listings
        import shutil

        width = shutil.get_terminal_size((0, 0)).columns or None
        write_output(plain_table(title, headings, text_rows, right_from=numeric_from, drop=drop, width=width, lang=lang), output)
        return
    console = text_console(color=False, width=None)
    if group is None:
        console.print(rich_table(title, headings, text_rows, right_from=numeric_from, width=console.width, drop=drop, lang=lang))
    else:  # one sub-table per value of `group` (a provider), so long model ids keep their whole line
        at = keys.index(group)
        console.print(title)
        values = list(dict.fromkeys(row[at] for row in text_rows))
        for value in values:
            rows = [[c for j, c in enumerate(row) if j != at] for row in text_rows if row[at] == value]
            heads = [h for j, h in enumerate(headings) if j != at]
            kept_drop = tuple(i - (i > at) for i in drop if i != at)
            console.print(rich_table(value, heads, rows, right_from=numeric_from - 1, width=console.width, drop=kept_drop, lang=lang))
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


def _fields(obj) -> dict:
    import dataclasses

    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(obj).items()}


@catalog_app.command("gpus")
@guarded
def gpus(
    format: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
) -> None:
    """GPUs: dense peak TFLOP/s, memory, bandwidth, power, dated prices.

    \b
    Example:
      buildorbuy catalog gpus -f csv -o gpus.csv
    """
    from buildorbuy.catalog.gpus import list_gpus
    from buildorbuy.render.i18n import t

    def cn(g) -> str | None:
        rule = g.market_rule("cn")
        return None if rule is None else f"{rule.new_sales} since {rule.since}"

    keys = ["id", "generation", "bf16_tflops", "fp8_tflops", "memory_gb", "bandwidth_tbps", "tdp_watts", "rent_usd_per_hour",
            "price_date", "purchase_usd", "new_in_cn"]
    columns = [(t(f"catalog.gpus.{key}", lang.value), key) for key in keys]
    records = [_dated(_fields(g) | {"new_in_cn": cn(g)}, "price_date", "purchase_date") for g in list_gpus()]
    def cn_shown(text: str) -> str:  # "no since 2022-10-07" in the table's language
        what, _, since = text.partition(" since ")
        return t("catalog.since", lang.value, what=t(f"catalog.new_sales.{what}", lang.value), since=since)

    shown = {} if lang.value == "en" else {"new_in_cn": cn_shown}
    _emit(columns, records, format, t("catalog.gpus.title", lang.value), output, drop=(10, 8, 1, 3, 5, 6), shown=shown, lang=lang.value)


@catalog_app.command("models")
@guarded
def models(
    format: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
) -> None:
    """Open-weight models: total and active parameters, KV cache, context, licence.

    \b
    Example:
      buildorbuy catalog models -f json -o models.json
    """
    from buildorbuy.catalog.models import list_models
    from buildorbuy.render.i18n import t

    keys = ["id", "name", "params_total", "params_active", "layers", "kv_elements_per_token", "context_length",
            "default_precision", "license"]
    columns = [(t(f"catalog.models.{key}", lang.value), key) for key in keys]
    records = [_dated(_fields(m), "release") for m in list_models()]
    billions = {"params_total": lambda v: f"{v / 1e9:g}B", "params_active": lambda v: f"{v / 1e9:g}B"}
    _emit(columns, records, format, t("catalog.models.title", lang.value), output, drop=(8, 1, 4, 5, 7, 6), shown=billions, lang=lang.value)


def _percent(discounts: dict | None, lang: str = "en") -> str:
    """Batch/off-peak discounts by token type: the input type's, then the types that differ,
    e.g. '-50% (cached -0%)'."""
    from buildorbuy.render.i18n import t

    if not discounts:
        return ""
    main = discounts["input"]
    others = [f"{t(f'catalog.apis.type.{kind}', lang)} -{d:.0%}" for kind, d in discounts.items()
              if kind != "input" and abs(d - main) > 1e-9]
    return f"-{main:.0%}" + (t("catalog.apis.others", lang, items=t("catalog.apis.sep", lang).join(others)) if others else "")


def _plain_table(columns: list[str], rows: list[list[str]], title: str, output, *, drop: tuple[int, ...] = (),
                 right: tuple[int, ...] = (), lang: str = "en") -> None:
    """The API price listing: one line per price (grep it; thousands of rows render fast and never
    wrap), in the layout of the other tables (`render.tables.plain_table`: title, blank line,
    heading, rule; the `right` columns, prices, right-aligned by terminal cells). On a terminal (or
    with COLUMNS set), columns in `drop` are left out, in that order, until the lines fit; a last
    line names them. Piped output keeps every column."""
    import shutil

    from buildorbuy.cli.common import write_output
    from buildorbuy.render.tables import plain_table

    width = shutil.get_terminal_size((0, 0)).columns or None
    write_output(plain_table(title, columns, rows, right=right, drop=drop, width=width, lang=lang), output)


_PRICE_KEYS = ("input_per_1m", "cached_input_per_1m", "output_per_1m")


def _price_record(fields: dict) -> dict:
    """A price row for JSON/CSV whose keys never lie about the currency: `input_per_1m`,
    `cached_input_per_1m`, `output_per_1m` (and `cache_write_per_1m`) are in the row's `currency`;
    the older `*_per_1m_usd` keys stay for scripts that read them, but hold a number only when the
    row is listed in USD (null otherwise: a CNY list price is not a USD figure)."""
    usd = fields.get("currency") == "USD"
    record = {"model": fields["model"], "provider": fields["provider"]}
    record |= {key: fields[f"{key}_usd"] for key in _PRICE_KEYS}
    record |= {"cache_write_per_1m": fields.get("cache_write_per_1m"), "currency": fields.get("currency")}
    record |= {k: v for k, v in fields.items() if k not in record and not k.endswith("_per_1m_usd")}
    record |= {f"{key}_usd": fields[f"{key}_usd"] if usd else None for key in _PRICE_KEYS}
    return record


@catalog_app.command("apis")
@guarded
def apis(
    model: Optional[str] = typer.Argument(None, help="Only models whose name contains this, e.g. qwen."),
    provider: Optional[str] = typer.Option(None, "--provider", help="Only this provider, e.g. openai, dashscope."),
    currency: Optional[str] = typer.Option(None, "--currency", help="Only prices listed in this currency, e.g. CNY."),
    date: Optional[str] = typer.Option(None, "--date", help="Prices in force on this date, YYYY-MM-DD or YYYY-MM (default: today).", metavar="YYYY-MM-DD"),
    format: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", parser=output_path, metavar="FILE", help=OUTPUT_HELP),
    lang: Lang = typer.Option(Lang.en, "--lang", help=LANG_HELP),
) -> None:
    """API prices per 1M tokens: genai-prices (pinned) plus a supplementary table with mainland-China
    (cn) and international (intl) lists, batch and off-peak discounts, sources and dates.

    \b
    Examples:
      buildorbuy catalog apis qwen --currency CNY
      buildorbuy catalog apis --provider openai -f csv -o openai.csv
    """
    import dataclasses
    import datetime as dt

    from buildorbuy.catalog.apis import genai_prices_version, iter_api_models
    from buildorbuy.errors import BuildOrBuyError
    from buildorbuy.render.i18n import t

    try:  # YYYY-MM, as a scenario's start is written, means the first of that month
        at = dt.date.fromisoformat(f"{date}-01" if date and len(date.strip()) == 7 else date) if date else None
    except ValueError:
        raise BuildOrBuyError(f"'{date}' is not a date like 2026-01-31", field="date") from None
    prices = list(iter_api_models(provider, at, currency=currency, contains=model))
    if not prices:
        asked = ", ".join(f"{k} {v}" for k, v in (("model", model), ("provider", provider), ("currency", currency)) if v)
        say(f"Warning: no API price matches {asked or 'the filters'} on {(at or dt.date.today()).isoformat()}", err=True)
    when = (at or dt.date.today()).isoformat()
    title = t("catalog.apis.title", lang.value, when=when, version=genai_prices_version())
    heads = {key: t(f"catalog.apis.{key}", lang.value) for key in (
        "provider", "model", "input", "cached_input", "cache_write", "output", "currency", "market", "listed_from", "listed_to",
        "batch", "off_peak", "verified", "source")}
    if format is Format.table:  # plain aligned text: thousands of rows never wrap
        columns = list(heads.values())
        rows = [[p.provider, p.model, p.input_per_1m_usd, p.cached_input_per_1m_usd, p.cache_write_per_1m, p.output_per_1m_usd,
                 p.currency, p.market or "", p.price_date or "", p.valid_to or "", _percent(p.batch_discount, lang.value),
                 _percent(p.off_peak_discount, lang.value),
                 t("catalog.apis.unverified", lang.value) if p.unverified else (p.verification or "genai-prices"),
                 p.source] for p in prices]
        text_rows = [["" if v is None else (f"{v:g}" if isinstance(v, float) else str(v)) for v in row] for row in rows]
        _plain_table(columns, text_rows, title, output, drop=(13, 12, 9, 8, 7, 11, 10, 4, 3, 6), right=(2, 3, 4, 5),
                     lang=lang.value)
        return
    records = [_dated(_price_record(dataclasses.asdict(p)) | {"unverified": p.unverified}, "price_date", "valid_to")
               for p in prices]
    columns = [(heads["provider"], "provider"), (heads["model"], "model"), (heads["input"], "input_per_1m"),
               (heads["cached_input"], "cached_input_per_1m"), (heads["output"], "output_per_1m"),
               (heads["currency"], "currency"), (heads["listed_from"], "price_date")]
    _emit(columns, records, format, title, output, lang=lang.value)
