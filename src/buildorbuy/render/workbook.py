"""The finance workbook: every figure of `compare` as a spreadsheet FORMULA over an Inputs sheet.

Sheets: `Inputs` (every numeric input, one per row: field path as `--set` takes it, value as a
defined name, unit, source), `Workload` (tokens, peak load and discount factor per month), one
sheet per path (a row per month: each cost component, total, discounted cost, cumulative; the
path's scalars — go-live, run cost, replica throughput — above the month table, named), then
`Break-even`, `Switch` (IRR and discounted payback of switching from an api path) and `Summary`
(total, NPV, cost per 1M tokens, levelised cost, break-even months, winner, switching). The formulas mirror the engine mechanisms' docstring equations (engine/mechanisms/*.py)
in plain functions (no macros, no LAMBDA, no dynamic arrays), so LibreOffice and Excel agree.

Every formula is written with its result as the cached value (the engine's figures; intermediate
cells computed here with the same arithmetic on the same inputs), so readers that do not recalculate
(openpyxl `data_only`, pandas, previewers, LibreOffice's default for xlsx) show the figures; the
workbook still asks for a full recalculation on load, for Excel after edits.

`auto` results (estimates, catalog prices, `auto` searches) enter as values: changing an input does
not re-run an estimator or a search. A term the workbook could not express would enter as the
engine's values, marked on its sheet and listed in the Summary's notes (`uncovered`, empty today).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from buildorbuy.engine.mechanisms.api_fees import TOKEN_TYPES
from buildorbuy.render.i18n import MONTH_NAMES, accounting_title, component_label, message, t

MONTH_HOURS = 730.0
SECONDS_PER_MONTH = MONTH_HOURS * 3600.0


def require_xlsxwriter():
    """Import XlsxWriter or raise the one-line error of the `export` extra (before any work)."""
    from buildorbuy.errors import OutputError, install_hint

    try:
        import xlsxwriter  # noqa: F401
    except ImportError:
        raise OutputError(f"export needs XlsxWriter: {install_hint('export')}") from None
    return xlsxwriter


def defined_name(key: str) -> str:
    """A workbook name for a parameter key: `paths[1].serving.gpu_hour_price` → `in_paths_1_serving_gpu_hour_price`."""
    return "in_" + re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_")


UNITS = {
    "tokens_per_month": "tokens/month", "growth_per_month": "fraction/month", "growth_per_year": "fraction/year",
    "output_share": "fraction", "cached_input_share": "fraction", "cache_write_share": "fraction",
    "peak_to_average": "ratio", "input_tokens_per_request": "tokens", "output_tokens_per_request": "tokens",
    "discount_rate": "fraction/year", "usd_exchange_rate": "{cur}/USD", "horizon_months": "months",
    "lead_time_months": "months", "max_lead_time_months": "months", "success_probability": "probability",
    "price_change_per_year": "fraction/year", "gpu_hour_price_change_per_year": "fraction/year",
    "salary_growth_per_year": "fraction/year", "discount": "fraction", "batch_share": "fraction",
    "off_peak_share": "fraction", "batch_discount": "fraction", "off_peak_discount": "fraction",
    "fixed_fee_per_month": "{cur}/month", "setup_fee": "{cur}", "annual_cost": "{cur}/year", "count": "people",
    "start_month": "month", "end_month": "month", "gpu_hour_price": "{cur}/GPU-hour", "purchase_price": "{cur}/GPU",
    "server_overhead": "fraction", "hosting_per_gpu_month": "{cur}/GPU-month", "tdp_watts": "W",
    "power_price_per_kwh": "{cur}/kWh", "pue": "ratio", "depreciation_years": "years",
    "tokens_per_second_per_gpu": "tokens/s per GPU", "gpus_per_replica": "GPUs", "target_utilization": "fraction",
    "redundancy": "replicas", "params": "parameters", "active_params": "parameters", "training_tokens": "tokens",
    "tokens": "tokens", "epochs": "epochs", "gpus": "GPUs", "mfu": "fraction", "experiment_overhead": "ratio",
    "goodput": "fraction", "refresh_months": "months", "one_off": "{cur}", "per_refresh": "{cur}",
}


UNIT_WORDS_ZH = {
    "tokens/month": "token/月", "fraction/month": "比例/月", "fraction/year": "比例/年", "fraction": "比例",
    "ratio": "倍数", "tokens": "token", "months": "月", "month": "月（序号）", "probability": "概率",
    "people": "人", "years": "年", "replicas": "副本", "parameters": "参数", "epochs": "轮", "GPUs": "GPU",
    "tokens/s per GPU": "token/秒·每 GPU", "/year": "/年", "/month": "/月", "/GPU-hour": "/GPU 小时",
    "/GPU-month": "/GPU·月", "/1k tokens": "/千 token",
}
"""The units of the inputs sheet in Chinese (the English text is the key)."""


def unit_of(key: str, currency: str, lang: str = "en") -> str:
    last = key.rsplit(".", 1)[-1]
    if last.startswith("price_per_1k"):
        unit = "{cur}/1k tokens"
    elif re.match(r"schedule\[\d+\]", last) or key.startswith("workload.schedule"):
        unit = "tokens/month"
    else:
        unit = UNITS.get(last, "")
    if lang == "zh":
        unit = UNIT_WORDS_ZH.get(unit) or next(
            (unit.replace(en, zh) for en, zh in UNIT_WORDS_ZH.items() if en.startswith("/") and unit.endswith(en)), unit)
    return unit.format(cur=currency)


@dataclass
class Book:
    """What the sheets need to know about each other while they are written."""

    wb: Any
    lang: str
    plan: Any
    result: Any
    names: dict[str, str] = field(default_factory=dict)
    """parameter key → defined name."""
    sheet_of: dict[int, str] = field(default_factory=dict)
    columns: dict[int, dict[str, str]] = field(default_factory=dict)
    """path index → column key → column letter."""
    scalars: dict[int, dict[str, str]] = field(default_factory=dict)
    """path index → scalar key → defined name."""
    uncovered: list[str] = field(default_factory=list)
    first_row: int = 0
    """Excel row number of month 0 on the path and workload sheets."""
    accounting: bool = False
    """Whether the accounting view is written (Inputs then also holds fiscal_year_start_month)."""
    values: dict[str, float] = field(default_factory=dict)
    """defined name → its value (inputs, constants, scalars): the cached results written with the formulas."""
    results: dict[str, Any] = field(default_factory=dict)
    """Cached results other sheets repeat: `breakeven_{a}_{b}` (month or "never"), `switch_{i}`
    (against, annual IRR or "n/a", payback month or "n/a")."""
    tokens: Any = None
    """Workload tokens per month (the Workload sheet's column B), [month]."""
    discount: Any = None
    """Discount factor per month (the Workload sheet's column D), [month]."""

    def n(self, key: str) -> str:
        return self.names[key]

    def v(self, expr: str) -> float:
        """The value of a defined name, or of a numeric literal, as the formulas use it."""
        return self.values[expr] if expr in self.values else float(expr)

    def val(self, key: str) -> float:
        """The value of parameter `key`."""
        return self.values[self.names[key]]

    def has(self, key: str) -> bool:
        return key in self.names


def x_round(x):
    """Excel ROUND(x, 0): half away from zero."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def x_roundup(x):
    """Excel ROUNDUP(x, 0): away from zero."""
    return np.sign(x) * np.ceil(np.abs(x))


def first_flag(weight: np.ndarray) -> np.ndarray:
    """1 in the first month whose weight is > 0, else 0 (the _first_month_flag column's values)."""
    out = np.zeros(len(weight))
    hits = np.flatnonzero(weight > 0)
    if hits.size:
        out[hits[0]] = 1.0
    return out


def holds_to_end(flags: np.ndarray) -> np.ndarray:
    """AND(flag[m], holds[m + 1]) from the last month up: True where every flag from m on is True."""
    return np.logical_and.accumulate(np.asarray(flags, dtype=bool)[::-1])[::-1]


def first_true(flags: np.ndarray):
    """MATCH(TRUE, …, 0) − 1: the first index where a flag is True, or None."""
    hits = np.flatnonzero(flags)
    return int(hits[0]) if hits.size else None


def quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 does not allow (and DEL): a workbook holding them raw does not load."""

SHEET_NAME_UNITS = 31
"""Excel's limit on a sheet name, in UTF-16 code units (an emoji counts 2)."""


UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
"""XML_INVALID plus C1 controls and bidirectional overrides (which reorder how a name reads, as
`plain_text` treats them for CSV and HTML)."""


def plain(text: str) -> str:
    """User text as it is written into the workbook: characters XML cannot hold, C1 controls and
    bidirectional overrides become U+FFFD."""
    return UNSAFE_TEXT.sub("\ufffd", text)


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def sheet_title(index: int, name: str) -> str:
    """`{index + 1} {name}`, without the characters a sheet name cannot hold (control characters, ``[]:*?/\\'``)
    or should not (bidirectional overrides),
    cut to Excel's 31 UTF-16 units without splitting a character; the index keeps titles unique."""
    clean = re.sub(r"[\[\]:*?/\\'\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]", " ", name).strip()
    title = f"{index + 1} {clean}"[:SHEET_NAME_UNITS]  # a code point is 1 or 2 units
    while utf16_units(title) > SHEET_NAME_UNITS:
        title = title[:-1]
    return title.rstrip()


# ------------------------------------------------------------------------------------------ Inputs

def _sources(plan, result, lang: str = "en") -> list[tuple[str, float, str, str | None]]:
    """(key, value, source in `lang`, the estimate's method or None) of every parameter, in the scenario's order."""
    scenario = plan.scenario
    methods = plan.methods({k: v[:1] for k, v in result.params.items()})
    rows = []
    for key in list(plan.base) + [d.key for d in plan.derived if d.key not in plan.base]:
        if key not in result.params:
            continue
        value = float(result.params[key][0])
        method = methods.get(key)
        source = (t("report.src_estimate", lang, method=message(method, lang)) if method is not None
                  else _field_source(scenario, key, lang))
        rows.append((key, value, source, method))
    return rows


def _field_source(scenario, key: str, lang: str = "en") -> str:
    """`user input (file.yaml:42)`, `user input (--set)`, `user input` or `default` for a field path, in `lang`."""
    if lang != "en":
        english = _field_source(scenario, key)
        if english == "user input (--set)":
            return t("xl.src_user_override", lang)
        if english.startswith("user input (") and ":" in english:
            file, line = english[len("user input ("):-1].rsplit(":", 1)
            return t("report.src_user", lang, file=file, line=line)
        return t("report.src_user_set" if english == "user input" else "report.src_default", lang)
    from buildorbuy.scenario.loading import OVERRIDDEN, split_field_path

    lines = scenario._lines or {}
    file_name = scenario._source.rsplit("/", 1)[-1] if scenario._source else None
    try:
        where = lines.get(tuple(split_field_path(key)))
    except Exception:  # noqa: BLE001 - a key that does not parse has no line
        where = None
    if where == OVERRIDDEN:
        return "user input (--set)"
    if where is not None:
        return f"user input ({file_name}:{where})" if file_name else "user input"
    if file_name is None and _given(scenario, key):
        return "user input"
    return "default"


def _given(scenario, key: str) -> bool:
    """Whether a field was set explicitly in a scenario built in memory (no file lines)."""
    from buildorbuy.scenario.loading import split_field_path

    node: Any = scenario
    parts = split_field_path(key)
    for part in parts[:-1]:
        try:
            node = node[part] if isinstance(part, int) else getattr(node, part)
        except Exception:  # noqa: BLE001
            return False
    return isinstance(parts[-1], str) and parts[-1] in getattr(node, "model_fields_set", set())


def _profile_peak(book, key: str) -> str:
    """peak_to_average of a daily profile: its max over its mean (plan._profile_peak)."""
    hours = ",".join(book.n(f"workload.daily_profile[{h}]") for h in range(24))
    return f"=MAX({hours})/(SUM({hours})/24)"


DERIVED_FORMULAS = {
    "from growth_per_year": lambda book, key: f"=(1+{book.n('workload.growth_per_year')})^(1/12)-1",
    "from daily_profile: max / mean": _profile_peak,
}
"""Derived parameters that are plain arithmetic on other inputs become formulas (not estimates)."""


def write_inputs(book: Book, fmt: dict) -> None:
    ws = book.wb.add_worksheet(t("xl.sheet.inputs", book.lang))
    plan, lang = book.plan, book.lang
    headers = [t("xl.col.field", lang), t("xl.col.value", lang), t("xl.col.unit", lang), t("xl.col.source", lang)]
    ws.write_row(0, 0, headers, fmt["header"])
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 18)
    ws.set_column(2, 2, 18)
    ws.set_column(3, 3, 90)
    ws.freeze_panes(1, 0)
    currency = plan.scenario.currency
    derived = {d.key: d for d in plan.derived}
    rows = _sources(plan, book.result, lang)
    for r, (key, value, source, _) in enumerate(rows, start=1):
        book.names[key] = defined_name(key)
        book.values[book.names[key]] = value
    for r, (key, value, source, estimate_method) in enumerate(rows, start=1):
        ws.write_string(r, 0, key)
        d = derived.get(key)
        method = d.method if d is not None and isinstance(d.method, str) else ""
        formula = None
        prefix = next((p for p in DERIVED_FORMULAS if method.startswith(p)), None) if d is not None else None
        if prefix is not None:  # the derived value is what the engine uses, a base value or not
            formula = DERIVED_FORMULAS[prefix](book, key)
        elif d is not None and key not in book.result.plan.base:
            if method.startswith("default: "):
                target = _default_target(key, method[len("default: "):])
                if target is not None and target in book.names and target != key:
                    formula = f"={book.n(target)}"
        if formula is not None:  # the engine's value of a derived parameter is what the formula computes
            ws.write_formula(r, 1, formula, fmt["input"], value)
            if estimate_method is not None:
                source = t("xl.src_formula", lang, method=message(estimate_method, lang))
        else:
            ws.write_number(r, 1, value, fmt["input"])
        ws.write_string(r, 2, unit_of(key, currency, lang))
        ws.write_string(r, 3, source)
        book.wb.define_name(book.names[key], f"={quote(ws.name)}!$B${r + 1}")
    r = len(rows) + 1
    if book.accounting:  # not an engine parameter, but the accounting view's fiscal years follow it
        key = "fiscal_year_start_month"
        ws.write_string(r, 0, key)
        ws.write_number(r, 1, plan.scenario.fiscal_year_start_month, fmt["input"])
        ws.write_string(r, 2, "month of the year (1-12)")
        ws.write_string(r, 3, _field_source(plan.scenario, key, lang))
        book.names[key] = defined_name(key)
        book.values[book.names[key]] = float(plan.scenario.fiscal_year_start_month)
        book.wb.define_name(book.names[key], f"={quote(ws.name)}!$B${r + 1}")
        r += 1
    r += 1
    ws.write_string(r, 0, t("xl.constants", lang), fmt["header"])
    for name, (value, label) in _constants(book).items():
        r += 1
        ws.write_string(r, 0, label)
        ws.write_number(r, 1, value, fmt["input"])
        ws.write_string(r, 3, t("xl.constant_source", lang))
        book.names[name] = name
        book.values[name] = float(value)
        book.wb.define_name(name, f"={quote(ws.name)}!$B${r + 1}")


def _default_target(key: str, text: str) -> str | None:
    """The parameter a `default: <field>` derived parameter copies, as a full key."""
    field_name = text.split(" ", 1)[0]
    if field_name == "params":
        return key.rsplit(".", 1)[0] + ".params"
    if field_name.startswith("managed_finetune.") or "." not in field_name:
        prefix = key[: key.index("]") + 2] if key.startswith("paths[") else ""
        if field_name == "the":  # "default: the path's price_per_1k_input"
            return prefix + text.rsplit(" ", 1)[-1]
        return prefix + field_name
    return None


def _constants(book: Book) -> dict[str, tuple[float, str]]:
    """Catalog constants the formulas need that are not scenario fields (named c_…)."""
    out: dict[str, tuple[float, str]] = {}
    for pp in book.plan.paths:
        if pp.kind == "api":
            for kind, by_type in pp.discount_offsets.items():
                for token_type, offset in by_type.items():
                    out[f"c_p{pp.index}_{kind}_offset_{token_type}"] = (
                        offset, t("xl.c.offset", book.lang, path=f"paths[{pp.index}]", kind=kind, type=token_type))
            continue
        out[f"c_p{pp.index}_peak_flops"] = (float(pp.compute_gpu.peak_flops("bf16")),
                                           t("xl.c.peak_flops", book.lang, path=f"paths[{pp.index}]", gpu=pp.compute_gpu.id))
        if pp.kind == "finetune":
            from buildorbuy.estimators.finetune import FLOPS_PER_PARAM_TOKEN

            method = book.plan.scenario.paths[pp.index].finetune.method
            out[f"c_p{pp.index}_flops_per_param_token"] = (float(FLOPS_PER_PARAM_TOKEN[method]),
                                                          t("xl.c.flops_per_token", book.lang, path=f"paths[{pp.index}]",
                                                            method=method))
    return out


# ------------------------------------------------------------------------------------------ Workload

def write_workload(book: Book, fmt: dict) -> str:
    ws = book.wb.add_worksheet(t("xl.sheet.workload", book.lang))
    lang, horizon = book.lang, book.plan.horizon
    first = book.first_row
    keys = ["month", "tokens", "peak", "discount_factor"]
    labels = [t("xl.col.month", lang), t("xl.col.tokens", lang), t("xl.col.peak", lang), t("xl.col.discount_factor", lang)]
    ws.write_row(first - 3, 0, labels, fmt["header"])
    ws.write_row(first - 2, 0, keys, fmt["key"])
    ws.set_column(0, 3, 18)
    ws.freeze_panes(first - 1, 1)
    schedule = book.plan.scenario.workload.schedule is not None
    months = np.arange(horizon, dtype=float)
    if schedule:
        tokens = np.array([book.val(f"workload.schedule[{m}]") for m in range(horizon)])
    else:
        tokens = book.val("workload.tokens_per_month") * (1 + book.val("workload.growth_per_month")) ** months
    peak = tokens * (book.val("workload.peak_to_average") / float(f"{SECONDS_PER_MONTH:.0f}"))
    discount = (1 + book.val("discount_rate")) ** (-months / 12)
    book.tokens, book.discount = tokens, discount
    for m in range(horizon):
        row = first + m
        ws.write_number(row - 1, 0, m)
        if schedule:
            ws.write_formula(row - 1, 1, f"={book.n(f'workload.schedule[{m}]')}", fmt["num"], float(tokens[m]))
        else:
            ws.write_formula(row - 1, 1, f"={book.n('workload.tokens_per_month')}*(1+{book.n('workload.growth_per_month')})^A{row}",
                             fmt["num"], float(tokens[m]))
        ws.write_formula(row - 1, 2, f"=B{row}*({book.n('workload.peak_to_average')}/{SECONDS_PER_MONTH:.0f})", fmt["num"],
                         float(peak[m]))
        ws.write_formula(row - 1, 3, f"=(1+{book.n('discount_rate')})^(-A{row}/12)", fmt["factor"], float(discount[m]))
    return ws.name


# ------------------------------------------------------------------------------------------ paths


class PathSheet:
    """One path's sheet: scalars on top, then a month table whose columns are added in order."""

    def __init__(self, book: Book, index: int, fmt: dict, workload: str):
        self.book, self.index, self.fmt, self.workload = book, index, fmt, workload
        self.pp = book.plan.paths[index]
        self.path = book.plan.scenario.paths[index]
        self.prefix = f"paths[{index}]."
        self.ws = book.wb.add_worksheet(sheet_title(index, self.pp.name))
        book.sheet_of[index] = self.ws.name
        self.cols: dict[str, str] = {}
        self.vals: dict[str, np.ndarray] = {}
        """column key → its values per month (the cached results of its formulas)."""
        self.months = np.arange(book.plan.horizon, dtype=float)
        self.order: list[tuple[str, str]] = []
        self.scalar_row = 2
        book.columns[index] = self.cols
        book.scalars[index] = {}
        self.ws.write_string(0, 0, self.pp.name, fmt["title"])
        self.ws.set_column(0, 0, 30)
        self.ws.set_column(1, 60, 16)
        self.column("month", t("xl.col.month", book.lang), None, "int", values=np.arange(book.plan.horizon), pasted=False)

    # -- cell references
    def p(self, name: str) -> str:
        return self.book.n(self.prefix + name)

    def has(self, name: str) -> bool:
        return self.book.has(self.prefix + name)

    def pv(self, name: str) -> float:
        """The value of the path's parameter `name`."""
        return self.book.values[self.p(name)]

    def start(self) -> str:
        """The path's start_month as whole months (DESIGN §2b: the whole path shifts by it), or 0."""
        return f"ROUND({self.p('start_month')},0)" if self.has("start_month") else "0"

    def start_value(self) -> float:
        return float(x_round(self.pv("start_month"))) if self.has("start_month") else 0.0

    def scalar(self, key: str, label: str, formula: str, cached: float) -> str:
        """A named scalar above the month table (e.g. go-live month)."""
        name = f"p{self.index}_{key}"
        r = self.scalar_row
        if r >= self.book.first_row - 3:
            raise AssertionError(f"{self.pp.name}: too many scalars above the month table (row {r})")
        self.ws.write_string(r, 0, label)
        self.ws.write_formula(r, 1, formula, self.fmt["num"], float(cached))
        self.ws.write_string(r, 2, key, self.fmt["key"])
        self.book.values[name] = float(cached)
        self.book.wb.define_name(name, f"={quote(self.ws.name)}!$B${r + 1}")
        self.book.scalars[self.index][key] = name
        self.scalar_row += 1
        return name

    def column(self, key: str, label: str, formula_at, style: str = "num", values: np.ndarray | None = None,
               pasted: bool = True, cached=None) -> str:
        """Add a month column; `formula_at(row, m)` gives the formula of Excel row `row` (month m), `cached`
        its results per month (numbers, or strings), written with the formulas so that a reader of cached
        values (no recalculation) sees them."""
        from xlsxwriter.utility import xl_col_to_name

        col = len(self.order)
        letter = xl_col_to_name(col)
        self.cols[key] = letter
        self.order.append((key, label))
        first = self.book.first_row
        self.ws.write_string(first - 3, col, label, self.fmt["header"])
        self.ws.write_string(first - 2, col, key, self.fmt["key"])
        fmt = self.fmt[style]
        horizon = self.book.plan.horizon
        if values is not None:
            self.vals[key] = np.asarray(values, dtype=float)
        else:
            if cached is None:
                raise AssertionError(f"{self.pp.name}: column {key} has no cached values")
            if isinstance(cached, list):  # text
                results = cached
            else:
                arr = np.broadcast_to(np.asarray(cached, dtype=float), (horizon,))
                self.vals[key] = arr
                results = arr.tolist()
        for m in range(horizon):
            row = first + m
            if values is not None:
                self.ws.write_number(row - 1, col, float(values[m]), self.fmt["pasted" if pasted else style])
            else:
                self.ws.write_formula(row - 1, col, formula_at(row, m), fmt, results[m])
        return letter

    def c(self, key: str, row: int) -> str:
        return f"{self.cols[key]}{row}"

    def rng(self, key: str, upto: int | None = None) -> str:
        first = self.book.first_row
        last = first + self.book.plan.horizon - 1 if upto is None else upto
        return f"${self.cols[key]}${first}:${self.cols[key]}${last}"

    def wl(self, col: str, row: int) -> str:
        return f"{quote(self.workload)}!{col}{row}"

    def pasted(self, key: str, label: str, component: str, listed: bool = True) -> str:
        """A component the workbook cannot express: the engine's values, marked as such (and listed
        among the uncovered terms unless the caller lists it otherwise)."""
        values = self.book.result.components[component][0, self.index]
        if listed:
            self.book.uncovered.append(f"{self.pp.name}: {component_label(component, self.book.lang)}")
        return self.column(key, label + " " + t("xl.pasted_mark", self.book.lang), None, values=values)


def _weights(s: PathSheet, live: str) -> None:
    """live flag, success weight p·live and fallback weight (1 − live) + (1 − p)·live."""
    p = s.p("success_probability")
    pv = s.book.v(p)
    flag = (s.months >= s.book.v(live)).astype(float)
    s.column("live", t("xl.col.live", s.book.lang), lambda r, m: f"=IF(A{r}>={live},1,0)", "int", cached=flag)
    s.column("success_weight", t("xl.col.success_weight", s.book.lang), lambda r, m: f"={s.c('live', r)}*{p}", "factor",
             cached=flag * pv)
    s.column("fallback_weight", t("xl.col.fallback_weight", s.book.lang),
             lambda r, m: f"=(1-{s.c('live', r)})+(1-{p})*{s.c('live', r)}", "factor", cached=(1 - flag) + (1 - pv) * flag)


def _first_month_flag(s: PathSheet, key: str, weight_key: str) -> None:
    """1 in the first month whose weight is > 0 (a setup fee's month), else 0."""
    first = s.book.first_row

    def formula(r: int, m: int) -> str:
        before = "0" if m == 0 else f"COUNTIF(${s.cols[weight_key]}${first}:{s.cols[weight_key]}{r - 1},\">0\")"
        return f"=IF(AND({s.c(weight_key, r)}>0,{before}=0),1,0)"

    s.column(key, t("xl.col.first_month", s.book.lang), formula, "int", cached=first_flag(s.vals[weight_key]))


def _per_token_fees(s: PathSheet, prices_of: str = "", key: str = "fees_full", label: str | None = None) -> None:
    """An api path's per-token fees at full traffic (api_fees.per_token_fees), column `key`; `prices_of`
    names the prices ("" the path's, "managed_finetune." the fine-tuned model's, which the price
    data's dated steps do not move); the path's discount, batch and off-peak terms apply to both."""
    book, lang, pp = s.book, s.book.lang, s.pp
    n, v = book.n, book.v
    o, c = n("workload.output_share"), n("workload.cached_input_share")
    w = n("workload.cache_write_share") if book.has("workload.cache_write_share") else "0"
    shares = {"input": f"(1-{o})*(1-{c}-{w})", "cached_input": f"(1-{o})*{c}", "cache_write": f"(1-{o})*{w}",
              "output": o}
    ov, cv, wv = v(o), v(c), v(w)
    share_values = {"input": (1 - ov) * (1 - cv - wv), "cached_input": (1 - ov) * cv, "cache_write": (1 - ov) * wv,
                    "output": ov}
    price = lambda name: s.p(prices_of + name)  # noqa: E731
    write_price = price("price_per_1k_cache_write") if s.has(prices_of + "price_per_1k_cache_write") else price(
        "price_per_1k_input")
    prices = {"input": price("price_per_1k_input"), "cached_input": price("price_per_1k_cached_input"),
              "cache_write": write_price, "output": price("price_per_1k_output")}
    price_values = {tt: np.full(book.plan.horizon, v(name)) for tt, name in prices.items()}
    steps_of = pp.price_steps if not prices_of else {}
    for token_type, steps in steps_of.items():
        step_key = f"step_{token_type}"
        s.column(step_key, t("xl.col.price_step", lang, type=token_type), None, values=steps)
        prices[token_type] = f"{prices[token_type]}*{{{step_key}}}"
        price_values[token_type] = price_values[token_type] * s.vals[step_key]
    b, op = s.p("batch_share"), s.p("off_peak_share")

    def kind_discount(kind: str, token_type: str) -> tuple[str, float]:
        if not s.has(f"{kind}_discount"):
            return "0", 0.0
        offset = f"c_p{s.index}_{kind}_offset_{token_type}"
        if offset in book.names:
            return f"({s.p(f'{kind}_discount')}+{offset})", s.pv(f"{kind}_discount") + v(offset)
        return s.p(f"{kind}_discount"), s.pv(f"{kind}_discount")

    terms = []
    total = np.zeros(book.plan.horizon)
    bv, opv = v(b), v(op)
    for tt in TOKEN_TYPES:
        (batch, batch_v), (off_peak, off_peak_v) = kind_discount("batch", tt), kind_discount("off_peak", tt)
        mix = f"((1-{b}-{op})+{b}*(1-{batch})+{op}*(1-{off_peak}))"
        terms.append(f"{shares[tt]}*{prices[tt]}*{mix}")
        total = total + share_values[tt] * price_values[tt] * ((1 - bv - opv) + bv * (1 - batch_v) + opv * (1 - off_peak_v))
    q = f"({'+'.join(terms)})*(1-{s.p('discount')})/1000"
    change = s.p("price_change_per_year")
    fees = book.tokens * (total * (1 - s.pv("discount")) / 1000) * (1 + v(change)) ** (s.months / 12)

    def formula(r: int, m: int) -> str:
        text = q
        for token_type in steps_of:
            text = text.replace(f"{{step_{token_type}}}", s.c(f"step_{token_type}", r))
        return f"={s.wl('B', r)}*{text}*(1+{change})^(A{r}/12)"

    s.column(key, label or t("xl.col.fees_full", lang), formula, cached=fees)


def _fixed_fees(s: PathSheet, owner_prefix: str, weight_key: str, flag_key: str, r: int) -> str:
    """An api path's fixed_fee_per_month·w + setup_fee·w·first (api_fees.fixed_fees)."""
    n = s.book.n
    return (f"{n(owner_prefix + 'fixed_fee_per_month')}*{s.c(weight_key, r)}"
            f"+{n(owner_prefix + 'setup_fee')}*{s.c(weight_key, r)}*{s.c(flag_key, r)}")


def _fixed_fee_values(s: PathSheet, owner_prefix: str, weight_key: str, flag_key: str) -> np.ndarray:
    """The values of _fixed_fees per month."""
    weight = s.vals[weight_key]
    return (s.book.val(owner_prefix + "fixed_fee_per_month") * weight
            + s.book.val(owner_prefix + "setup_fee") * weight * s.vals[flag_key])


def _staff_lines(s: PathSheet, prefix: str, count: int):
    """Σ_j count·annual_cost/12·(1+g)^(m/12)·[s + start ≤ m < s + end] of the path at `prefix` (s: its
    start_month; staff.staff_lines): (the formula text for Excel row r, the values per month)."""
    book = s.book
    n = lambda name: book.n(prefix + name)  # noqa: E731
    val = lambda name: book.val(prefix + name)  # noqa: E731
    has_shift = book.has(prefix + "start_month")
    shift = f"ROUND({n('start_month')},0)" if has_shift else "0"
    since_v = s.months - (float(x_round(val("start_month"))) if has_shift else 0.0)
    values = np.zeros(len(s.months))
    for j in range(count):
        k = f"staff[{j}]."
        values = values + (val(k + "count") * val(k + "annual_cost") / 12
                           * (1 + val(k + "salary_growth_per_year")) ** (s.months / 12)
                           * ((since_v >= val(k + "start_month")) & (since_v < val(k + "end_month"))))

    def text(r: int) -> str:
        parts = []
        since = f"A{r}" if shift == "0" else f"(A{r}-{shift})"
        for j in range(count):
            k = f"staff[{j}]."
            parts.append(f"{n(k + 'count')}*{n(k + 'annual_cost')}/12*(1+{n(k + 'salary_growth_per_year')})^(A{r}/12)"
                         f"*AND({since}>={n(k + 'start_month')},{since}<{n(k + 'end_month')})")
        return f"({'+'.join(parts)})"

    return text, values


def _staff(s: PathSheet) -> str | None:
    """staff[m] = Σ_j count·annual_cost/12·(1+g)^(m/12)·[s + start ≤ m < s + end] (s: the path's
    start_month), × p once live (staff.staff_costs)."""
    count = s.pp.staff_count
    if not count:
        return None
    text, staff = _staff_lines(s, s.prefix, count)
    staff = staff * np.where(s.vals["live"] == 1, s.pv("success_probability"), 1.0)
    return s.column("staff", component_label("staff", s.book.lang),
                    lambda r, m: f"={text(r)}*IF({s.c('live', r)}=1,{s.p('success_probability')},1)", cached=staff)


def _bridge_staff(s: PathSheet) -> str | None:
    """bridge_staff[m] = the bridge path's staff lines (as that path computes them) × (1 − p) × live:
    after a failure the traffic stays on the bridge and its staff are paid (bridge.bridge_staff).
    Written whenever the path has a bridge with staff (0 while p = 1), so that editing p works."""
    bridge = s.pp.bridge
    if bridge is None or not s.book.plan.paths[bridge].staff_count:
        return None
    text, lines = _staff_lines(s, f"paths[{bridge}].", s.book.plan.paths[bridge].staff_count)
    p = s.p("success_probability")
    return s.column("bridge_staff", component_label("bridge_staff", s.book.lang),
                    lambda r, m: f"={text(r)}*(1-{p})*{s.c('live', r)}",
                    cached=lines * (1 - s.pv("success_probability")) * s.vals["live"])


def _bridge(s: PathSheet, sheets: dict[int, PathSheet]) -> None:
    """bridge_fees = bridge per-token fees at full traffic × fallback weight + the bridge's fixed fees
    (bridge.bridge_fees); without a bridge the fallback-weighted tokens are unserved."""
    lang = s.book.lang
    bridge = s.pp.bridge
    if bridge is None:
        s.column("unserved", t("xl.col.unserved", lang), lambda r, m: f"={s.wl('B', r)}*{s.c('fallback_weight', r)}",
                 cached=s.book.tokens * s.vals["fallback_weight"])
        return
    b = sheets[bridge]
    _first_month_flag(s, "bridge_first", "fallback_weight")
    prefix = f"paths[{bridge}]."
    s.column("bridge_fees", component_label("bridge_fees", lang),
             lambda r, m: f"={quote(b.ws.name)}!{b.c('fees_full', r)}*{s.c('fallback_weight', r)}"
                          f"+{_fixed_fees(s, prefix, 'fallback_weight', 'bridge_first', r)}",
             cached=b.vals["fees_full"] * s.vals["fallback_weight"]
             + _fixed_fee_values(s, prefix, "fallback_weight", "bridge_first"))


def write_api_path(s: PathSheet, sheets: dict[int, PathSheet]) -> list[str]:
    """An api path: go-live ceil(lead_time_months) + start_month, its fees once live, the bridge
    before (or a managed fine-tune's base model), fixed fees, data, staff."""
    lang = s.book.lang
    live = s.scalar("live_month", t("xl.scalar.live", lang), f"=ROUNDUP({s.p('lead_time_months')},0)+{s.start()}",
                    x_roundup(s.pv("lead_time_months")) + s.start_value())
    _weights(s, live)
    _per_token_fees(s)
    components = []
    if s.pp.has_managed_finetune:
        _managed_finetune(s, live)
        components += ["api_fees", "managed_finetune"]
        # the base model serves before go-live and after a failure: the path's own fees in every month
        s.column("own_weight", t("xl.col.own_weight", lang), lambda r, m: "=1", "int", cached=1.0)
        own_weight = "own_weight"
    else:
        s.column("api_fees", component_label("api_fees", lang), lambda r, m: f"={s.c('fees_full', r)}*{s.c('success_weight', r)}",
                 cached=s.vals["fees_full"] * s.vals["success_weight"])
        components.append("api_fees")
        own_weight = "success_weight"
        _bridge(s, sheets)
        if s.pp.bridge is not None:
            components.append("bridge_fees")
    _first_month_flag(s, "own_first", own_weight)
    s.column("api_fixed_fees", component_label("api_fixed_fees", lang),
             lambda r, m: f"={_fixed_fees(s, s.prefix, own_weight, 'own_first', r)}",
             cached=_fixed_fee_values(s, s.prefix, own_weight, "own_first"))
    components.append("api_fixed_fees")
    s.column("data", component_label("data", lang), lambda r, m: f"=IF(A{r}={s.start()},{s.p('data.one_off')},0)",
             cached=np.where(s.months == s.start_value(), s.pv("data.one_off"), 0.0))
    components.append("data")
    if _staff(s):
        components.append("staff")
    if _bridge_staff(s):
        components.append("bridge_staff")
    return components


def _managed_finetune(s: PathSheet, live: str) -> None:
    """A managed fine-tune on an api path (api_fees.managed_finetune_fees): api_fees = base fees ·
    bridge weight + tuned-model fees · success weight; managed_finetune = training_tokens·epochs/1e6 ·
    price_per_1m_training_tokens at go-live and, × p, at each refresh (go-live + k·refresh_months),
    + hosting_fee_per_hour · 730 · success weight."""
    lang = s.book.lang
    mf = "managed_finetune."
    _per_token_fees(s, mf, "tuned_fees_full", t("xl.col.tuned_fees_full", lang))
    s.column("api_fees", component_label("api_fees", lang),
             lambda r, m: f"={s.c('fees_full', r)}*{s.c('fallback_weight', r)}+{s.c('tuned_fees_full', r)}*{s.c('success_weight', r)}",
             cached=s.vals["fees_full"] * s.vals["fallback_weight"] + s.vals["tuned_fees_full"] * s.vals["success_weight"])
    fee = s.pv(mf + "training_tokens") * s.pv(mf + "epochs") / 1000000 * s.pv(mf + "price_per_1m_training_tokens")
    run_fee = s.scalar("managed_run_fee", t("xl.scalar.managed_run_fee", lang),
                       f"={s.p(mf + 'training_tokens')}*{s.p(mf + 'epochs')}/1000000*{s.p(mf + 'price_per_1m_training_tokens')}",
                       fee)
    live_v = s.book.v(live)
    runs = (s.months == live_v).astype(float)
    if s.has(mf + "refresh_months"):
        period = f"MAX(ROUND({s.p(mf + 'refresh_months')},0),1)"
        s.column("refresh", t("xl.col.refresh", lang),
                 lambda r, m: f"=IF(AND(A{r}-{live}>0,MOD(A{r}-{live},{period})=0),1,0)", "int",
                 cached=_refresh_flags(s.months, live_v, s.pv(mf + "refresh_months")))
        refresh = lambda r: f"+{s.c('refresh', r)}*{s.p('success_probability')}"  # noqa: E731
        runs = runs + s.vals["refresh"] * s.pv("success_probability")
    else:
        refresh = lambda r: ""  # noqa: E731
    s.column("managed_finetune", component_label("managed_finetune", lang),
             lambda r, m: f"={run_fee}*(IF(A{r}={live},1,0){refresh(r)})"
                          f"+{s.p(mf + 'hosting_fee_per_hour')}*{MONTH_HOURS:g}*{s.c('success_weight', r)}",
             cached=fee * runs + s.pv(mf + "hosting_fee_per_hour") * MONTH_HOURS * s.vals["success_weight"])


def _refresh_flags(months: np.ndarray, since: float, refresh_months: float) -> np.ndarray:
    """IF(AND(m − since > 0, MOD(m − since, MAX(ROUND(refresh_months, 0), 1)) = 0), 1, 0)."""
    period = max(float(x_round(refresh_months)), 1.0)
    age = months - since
    return ((age > 0) & (np.mod(age, period) == 0)).astype(float)


def write_hosted_path(s: PathSheet, sheets: dict[int, PathSheet]) -> list[str]:
    """A build or fine-tune path: compute run (compute.compute_run/compute_costs), serving fleet
    (serving.serving_gpus, rented_serving or owned.owned_fleet), data, bridge, staff."""
    book, lang, pp = s.book, s.book.lang, s.pp
    build = pp.kind == "build"
    sec = "training" if build else "finetune"
    i = s.index
    active = s.p("model.active_params")
    v = book.v
    if build:
        flops = f"6*{active}*{s.p('model.training_tokens')}"
        flops_v = 6 * v(active) * s.pv("model.training_tokens")
        overhead, goodput = s.p("training.experiment_overhead"), s.p("training.goodput")
    else:
        flops = f"c_p{i}_flops_per_param_token*{active}*{s.p('finetune.tokens')}*{s.p('finetune.epochs')}"
        flops_v = v(f"c_p{i}_flops_per_param_token") * v(active) * s.pv("finetune.tokens") * s.pv("finetune.epochs")
        overhead, goodput = "1", "1"
    flops = s.scalar("run_flops", t("xl.scalar.flops", lang), f"={flops}", flops_v)
    gpu_hours_v = flops_v / (v(f"c_p{i}_peak_flops") * s.pv(sec + ".mfu")) / 3600 * v(overhead)
    gpu_hours = s.scalar("run_gpu_hours", t("xl.scalar.gpu_hours", lang),
                         f"={flops}/(c_p{i}_peak_flops*{s.p(sec + '.mfu')})/3600*{overhead}", gpu_hours_v)
    wall_v = gpu_hours_v / s.pv(sec + ".gpus") / v(goodput)
    wall = s.scalar("run_wall_hours", t("xl.scalar.wall_hours", lang), f"={gpu_hours}/{s.p(sec + '.gpus')}/{goodput}", wall_v)
    run_months_v = max(1.0, float(np.ceil(max(wall_v / MONTH_HOURS - 1e-9, 0.0))))
    run_months = s.scalar("run_months", t("xl.scalar.run_months", lang),
                          f"=MAX(1,CEILING(MAX({wall}/{MONTH_HOURS:g}-1E-9,0),1))", run_months_v)
    shift = s.start()  # the whole path shifts by start_month
    plus_shift = "" if shift == "0" else f"+{shift}"
    run_end = f"MAX(ROUNDUP({s.p('lead_time_months')},0),{run_months}){plus_shift}"
    run_end_v = max(float(x_roundup(s.pv("lead_time_months"))), run_months_v) + s.start_value()
    if pp.ownership == "own" and s.has("serving.procurement_months"):
        # the run (and its refreshes) ends at the lead time or its wall-clock; go-live waits for the GPUs
        run_end = s.scalar("run_end", t("xl.scalar.run_end", lang), f"={run_end}", run_end_v)
        live = s.scalar("live_month", t("xl.scalar.live", lang),
                        f"=MAX({run_end},ROUNDUP({s.p('serving.procurement_months')},0){plus_shift})",
                        max(run_end_v, float(x_roundup(s.pv("serving.procurement_months"))) + s.start_value()))
    else:
        live = run_end = s.scalar("live_month", t("xl.scalar.live", lang), f"={run_end}", run_end_v)
    run_cost_v = gpu_hours_v * s.pv(sec + ".gpu_hour_price")
    run_cost = s.scalar("run_cost", t("xl.scalar.run_cost", lang), f"={gpu_hours}*{s.p(sec + '.gpu_hour_price')}", run_cost_v)
    per_replica = s.scalar("gpus_per_replica", t("xl.scalar.per_replica", lang),
                           f"=MAX(ROUND({s.p('serving.gpus_per_replica')},0),1)",
                           max(float(x_round(s.pv("serving.gpus_per_replica"))), 1.0))
    throughput = s.scalar("replica_throughput", t("xl.scalar.replica_throughput", lang),
                          f"={s.p('serving.tokens_per_second_per_gpu')}*{s.p('serving.target_utilization')}*{per_replica}",
                          s.pv("serving.tokens_per_second_per_gpu") * s.pv("serving.target_utilization") * v(per_replica))
    p = s.p("success_probability")
    pv = v(p)
    _weights(s, live)
    refresh = s.has(f"{sec}.refresh_months")
    if refresh:
        period = f"MAX(ROUND({s.p(sec + '.refresh_months')},0),1)"
        s.column("refresh", t("xl.col.refresh", lang),
                 lambda r, m: f"=IF(AND(A{r}-{run_end}>0,MOD(A{r}-{run_end},{period})=0),1,0)", "int",
                 cached=_refresh_flags(s.months, run_end_v, s.pv(sec + ".refresh_months")))
    components = []
    compute_key = f"{sec}_compute"

    def compute(r: int, m: int) -> str:
        text = f"=IF(AND(A{r}>={run_end}-{run_months},A{r}<{run_end}),{run_cost}/{run_months},0)"
        return text + (f"+{s.c('refresh', r)}*{run_cost}*{p}" if refresh else "")

    compute_v = np.where((s.months >= run_end_v - run_months_v) & (s.months < run_end_v), run_cost_v / run_months_v, 0.0)
    if refresh:
        compute_v = compute_v + s.vals["refresh"] * run_cost_v * pv
    s.column(compute_key, component_label(compute_key, lang), compute, cached=compute_v)
    components.append(compute_key)
    speedup = lambda r: f"(1+{s.p('serving.throughput_change_per_year')})^(A{r}/12)" if s.has(  # noqa: E731
        "serving.throughput_change_per_year") else "1"
    s.speedup = ((1 + s.pv("serving.throughput_change_per_year")) ** (s.months / 12)  # type: ignore[attr-defined]
                 if s.has("serving.throughput_change_per_year") else np.ones(len(s.months)))
    routed = _route(s, live, per_replica, throughput, speedup) if pp.fallback is not None else None
    if getattr(pp, "scaling", "fixed") == "autoscale":
        _autoscaled(s, live, per_replica, throughput, speedup, p, routed)
    else:
        seconds = float(f"{SECONDS_PER_MONTH:.0f}")
        if routed is None:
            peak = lambda r: s.wl("C", r)  # noqa: E731
            cap = lambda text: text  # noqa: E731
            peak_v = book.tokens * (book.val("workload.peak_to_average") / seconds)
        else:  # sized on the own model's load T·s, at most the cap's replicas
            peak = lambda r: f"{s.c('own_tokens', r)}*({book.n('workload.peak_to_average')}/{SECONDS_PER_MONTH:.0f})"  # noqa: E731
            cap = (lambda text: f"MIN({text},{routed})") if routed != "none" else (lambda text: text)  # noqa: E731
            peak_v = s.vals["own_tokens"] * (book.val("workload.peak_to_average") / seconds)
        replicas = np.maximum(np.ceil(np.maximum(peak_v / (v(throughput) * s.speedup) - 1e-9, 0)), 1)
        if routed not in (None, "none"):
            replicas = np.minimum(replicas, v(routed))
        gpus_v = np.where(s.months >= v(live), (replicas + x_roundup(s.pv("serving.redundancy"))) * v(per_replica), 0.0)
        s.column("gpus", t("xl.col.gpus", lang),
                 lambda r, m: f"=IF(A{r}>={live},({cap(f'MAX(CEILING(MAX({peak(r)}/({throughput}*{speedup(r)})-1E-9,0),1),1)')}"
                              f"+ROUNDUP({s.p('serving.redundancy')},0))*{per_replica},0)", "int", cached=gpus_v)
    if pp.ownership == "rent":
        _rent(s, live, p)
        components.append("serving_rent")
    else:
        components += _owned(s, p)
    _data_refresh(s, refresh)
    components.append("data")
    if routed is None:
        _bridge(s, sheets)
    else:
        _routed_fees(s, sheets)
    if pp.bridge is not None:
        components.append("bridge_fees")
    if routed is not None:
        components.append("fallback_fees")
    if _staff(s):
        components.append("staff")
    if _bridge_staff(s):
        components.append("bridge_staff")
    return components


def _data_refresh(s: PathSheet, refresh: bool) -> None:
    """data[m] = one_off in the start month (0 unless start_month is set) + p·per_refresh in each refresh
    month (data.one_off_data, refresh_data)."""
    def formula(r: int, m: int) -> str:
        text = f"=IF(A{r}={s.start()},{s.p('data.one_off')},0)"
        return text + (f"+{s.c('refresh', r)}*{s.p('data.per_refresh')}*{s.p('success_probability')}" if refresh else "")

    data = np.where(s.months == s.start_value(), s.pv("data.one_off"), 0.0)
    if refresh:
        data = data + s.vals["refresh"] * s.pv("data.per_refresh") * s.pv("success_probability")
    s.column("data", component_label("data", s.book.lang), formula, cached=data)


def _owned(s: PathSheet, p: str) -> list[str]:
    """Owned fleet (owned.owned_fleet): fleet = max(owned_gpus, running MAX of GPUs); purchases when it
    grows beyond the GPUs already owned; running costs and maintenance (certain before go-live for an
    existing fleet, × p after); residual credit in the last month = −Σ purchases·remaining·p with
    remaining straight line clip(1 − age/depreciation_years, 0, 1), declining balance (1 − rate)^age or 0."""
    lang, horizon = s.book.lang, s.book.plan.horizon
    first = s.book.first_row
    unit = f"{s.p('serving.purchase_price')}*(1+{s.p('serving.server_overhead')})"
    unit_v = s.pv("serving.purchase_price") * (1 + s.pv("serving.server_overhead"))
    existing = s.p("serving.owned_gpus") if s.has("serving.owned_gpus") else "0"
    existing_v, pv, live = s.book.v(existing), s.book.v(p), s.vals["live"]
    fleet = np.maximum.accumulate(np.maximum(s.vals["gpus"], existing_v))
    s.column("owned_fleet", t("xl.col.owned_fleet", lang),
             lambda r, m: f"=MAX({existing},{s.c('gpus', r)})" if m == 0 else f"=MAX({s.c('owned_fleet', r - 1)},{s.c('gpus', r)})",
             "int", cached=fleet)
    purchase = np.diff(fleet, prepend=existing_v) * unit_v
    s.column("purchase_value", t("xl.col.purchase_value", lang),
             lambda r, m: (f"=({s.c('owned_fleet', r)}-{existing})" if m == 0
                           else f"=({s.c('owned_fleet', r)}-{s.c('owned_fleet', r - 1)})") + f"*{unit}", cached=purchase)
    s.column("hardware_purchase", component_label("hardware_purchase", lang), lambda r, m: f"={s.c('purchase_value', r)}*{p}",
             cached=purchase * pv)
    running = 1 - (1 - pv) * live if existing_v > 0 else np.full(horizon, pv)
    s.column("running_weight", t("xl.col.running_weight", lang),
             lambda r, m: f"=IF({existing}>0,1-(1-{p})*{s.c('live', r)},{p})", "factor", cached=running)
    kw = f"{s.p('serving.tdp_watts')}/1000" if s.has("serving.tdp_watts") else "0"
    kw_v = s.pv("serving.tdp_watts") / 1000 if s.has("serving.tdp_watts") else 0.0
    if s.has("serving.power_utilization"):
        kw = f"{kw}*{s.p('serving.power_utilization')}"
        kw_v = kw_v * s.pv("serving.power_utilization")
    pue = s.p("serving.pue") if s.has("serving.pue") else "1"
    s.column("power_and_hosting", component_label("power_and_hosting", lang),
             lambda r, m: f"={s.c('owned_fleet', r)}*({s.p('serving.hosting_per_gpu_month')}+{kw}*{pue}*{MONTH_HOURS:g}"
                          f"*{s.p('serving.power_price_per_kwh')})*{s.c('running_weight', r)}",
             cached=fleet * (s.pv("serving.hosting_per_gpu_month") + kw_v * s.book.v(pue) * MONTH_HOURS
                             * s.pv("serving.power_price_per_kwh")) * running)
    names = ["hardware_purchase", "power_and_hosting", "residual_credit"]
    if s.has("serving.maintenance_per_year"):
        s.column("maintenance", component_label("maintenance", lang),
                 lambda r, m: f"={s.c('owned_fleet', r)}*{unit}*{s.p('serving.maintenance_per_year')}/12"
                              f"*{s.c('running_weight', r)}",
                 cached=fleet * unit_v * s.pv("serving.maintenance_per_year") / 12 * running)
        names.append("maintenance")
    residual = getattr(s.pp, "residual", "straight_line")
    age_years = (horizon - s.months) / 12
    if residual == "declining_balance":
        share = lambda r, m: f"=(1-{s.p('serving.residual.declining_balance')})^(({horizon}-A{r})/12)"  # noqa: E731
        share_v = (1 - s.pv("serving.residual.declining_balance")) ** age_years
    elif residual == "none":
        share = lambda r, m: "=0"  # noqa: E731
        share_v = np.zeros(horizon)
    else:
        share = lambda r, m: f"=MAX(0,MIN(1,1-(({horizon}-A{r})/12)/{s.p('serving.depreciation_years')}))"  # noqa: E731
        share_v = np.maximum(0, np.minimum(1, 1 - age_years / s.pv("serving.depreciation_years")))
    s.column("residual_share", t("xl.col.residual_share", lang), share, "factor", cached=share_v)
    last = first + horizon - 1
    credit = np.zeros(horizon)
    credit[-1] = -float(np.dot(purchase, share_v)) * pv
    s.column("residual_credit", component_label("residual_credit", lang),
             lambda r, m: (f"=-SUMPRODUCT({s.rng('purchase_value')},{s.rng('residual_share')})*{p}" if r == last else "=0"),
             cached=credit)
    return names


def _levels(s: PathSheet) -> list[tuple[str, str]]:
    """The day's load levels relative to the mean and their hours a day, as named scalars
    (fleet.day_levels): the 24 hours of workload.daily_profile, else peak and base (written once
    per sheet)."""
    if getattr(s, "levels", None) is None:
        s.levels = _write_levels(s)  # type: ignore[attr-defined]
    return s.levels  # type: ignore[attr-defined]


def _write_levels(s: PathSheet) -> list[tuple[str, str]]:
    book, lang = s.book, s.book.lang
    out = []
    if book.has("workload.daily_profile[0]"):
        total = "+".join(book.n(f"workload.daily_profile[{h}]") for h in range(24))
        profile = [book.val(f"workload.daily_profile[{h}]") for h in range(24)]
        mean = sum(profile) / 24
        for h in range(24):
            level = s.scalar(f"level_{h}", t("xl.scalar.level", lang, n=h), f"={book.n(f'workload.daily_profile[{h}]')}/(({total})/24)",
                             profile[h] / mean)
            out.append((level, "1"))
        return out
    peak = book.n("workload.peak_to_average")
    peak_v = book.v(peak)
    hours = book.n("workload.peak_hours") if book.has("workload.peak_hours") else f"MIN(4,24/{peak})"
    hours_v = book.v(hours) if book.has("workload.peak_hours") else min(4.0, 24 / peak_v)
    peak_hours = s.scalar("peak_hours", t("xl.scalar.peak_hours", lang), f"={hours}", hours_v)
    base = s.scalar("base_level", t("xl.scalar.base_level", lang),
                    f"=IF(24-{peak_hours}>0,MAX((24-{peak}*{peak_hours})/(24-{peak_hours}),0),{peak})",
                    max((24 - peak_v * hours_v) / (24 - hours_v), 0.0) if 24 - hours_v > 0 else peak_v)
    off = s.scalar("base_hours", t("xl.scalar.base_hours", lang), f"=24-{peak_hours}", 24 - hours_v)
    return [(peak, peak_hours), (base, off)]


def _route(s: PathSheet, live: str, per_replica: str, throughput: str, speedup) -> str:
    """A routed path's traffic split (routing.route); returns the cap's replicas scalar, or "none".

    own share s[m] = share·min(1, (m − live + 1)/ramp) from go-live (share when ramp = 0; 1 for a cap
    without routing); own tokens T·s; cap replicas max(floor(max_gpus/per_replica) − redundancy, 1);
    overflow[m] = 730/24·3600·Σ_h hours_h·max(0, T·s/(730·3600)·level_h − cap·tps·utilisation·
    per_replica·speedup); fallback share = (1 − s) + ov/T + (s − ov/T)·escalation_rate."""
    book, lang = s.book, s.book.lang
    v, months, tokens = book.v, s.months, book.tokens
    since = months - v(live) + 1
    if s.has("routing.share"):
        share, escalation = s.p("routing.share"), s.p("routing.escalation_rate")
        ramp = f"ROUND({s.p('routing.ramp_months')},0)"
        ramp_v = float(x_round(s.pv("routing.ramp_months")))
        own_share = v(share) * (np.minimum(np.maximum(since / max(ramp_v, 1.0), 0), 1) if ramp_v > 0
                                else (since > 0).astype(float))
        s.column("own_share", t("xl.col.own_share", lang),
                 lambda r, m: f"={share}*IF({ramp}>0,MIN(MAX((A{r}-{live}+1)/MAX({ramp},1),0),1),IF(A{r}-{live}+1>0,1,0))",
                 "factor", cached=own_share)
    else:  # a capacity cap without routing: all traffic to the own model, the overflow to the fallback
        escalation = "0"
        own_share = np.ones(len(months))
        s.column("own_share", t("xl.col.own_share", lang), lambda r, m: "=1", "factor", cached=own_share)
    own_tokens = tokens * own_share
    s.column("own_tokens", t("xl.col.own_tokens", lang), lambda r, m: f"={s.wl('B', r)}*{s.c('own_share', r)}",
             cached=own_tokens)
    cap = "none"
    overflow_v = np.zeros(len(months))
    if s.has("serving.max_gpus"):
        cap = s.scalar("cap_replicas", t("xl.scalar.cap_replicas", lang),
                       f"=MAX(INT({s.p('serving.max_gpus')}/{per_replica}+1E-9)-ROUNDUP({s.p('serving.redundancy')},0),1)",
                       max(float(np.floor(s.pv("serving.max_gpus") / v(per_replica) + 1e-9)
                                 - x_roundup(s.pv("serving.redundancy"))), 1.0))
        levels = _levels(s)

        def overflow(r: int, m: int) -> str:
            capacity = f"{cap}*{throughput}*{speedup(r)}"
            load = f"{s.c('own_tokens', r)}/{SECONDS_PER_MONTH:.0f}"
            terms = "+".join(f"{hours}*MAX({load}*{level}-{capacity},0)" for level, hours in levels)
            return f"={730 / 24!r}*3600*({terms})"

        capacity_v = v(cap) * v(throughput) * s.speedup  # type: ignore[attr-defined]
        load_v = own_tokens / float(f"{SECONDS_PER_MONTH:.0f}")
        total = sum(v(hours) * np.maximum(load_v * v(level) - capacity_v, 0) for level, hours in levels)
        overflow_v = (730 / 24) * 3600 * total
        s.column("overflow", t("xl.col.overflow", lang), overflow, cached=overflow_v)
        overflow_share = lambda r: f"IF({s.wl('B', r)}>0,{s.c('overflow', r)}/{s.wl('B', r)},0)"  # noqa: E731
        with np.errstate(divide="ignore", invalid="ignore"):
            overflow_share_v = np.where(tokens > 0, overflow_v / np.where(tokens > 0, tokens, 1), 0.0)
    else:
        overflow_share = lambda r: "0"  # noqa: E731
        overflow_share_v = np.zeros(len(months))
    fallback_share = (1 - own_share) + overflow_share_v + (own_share - overflow_share_v) * v(escalation)
    s.column("fallback_share", t("xl.col.fallback_share", lang),
             lambda r, m: f"=(1-{s.c('own_share', r)})+{overflow_share(r)}+({s.c('own_share', r)}-{overflow_share(r)})"
                          f"*{escalation}", "factor", cached=fallback_share)
    over = (lambda r: s.c("overflow", r)) if cap != "none" else (lambda r: "0")  # noqa: E731
    live_flag = s.vals["live"]
    s.column("own_model_tokens", t("xl.col.own_model_tokens", lang),
             lambda r, m: f"=({s.c('own_tokens', r)}-{over(r)})*{s.c('live', r)}", cached=(own_tokens - overflow_v) * live_flag)
    s.column("overflow_tokens", t("xl.col.overflow_tokens", lang), lambda r, m: f"={over(r)}*{s.c('live', r)}",
             cached=overflow_v * live_flag)
    s.column("fallback_tokens", t("xl.col.fallback_tokens", lang),
             lambda r, m: f"={s.wl('B', r)}*{s.c('fallback_share', r)}*{s.c('live', r)}",
             cached=tokens * fallback_share * live_flag)
    return cap


def _routed_fees(s: PathSheet, sheets: dict[int, PathSheet]) -> None:
    """A routed path's api legs (core._routed_fees, routing.fallback_fees / shared_carry): the bridge's
    per-token fees × bridge weight before go-live and after a failure; the fallback's per-token fees ×
    fallback share × success weight, and its fixed fees (fixed_fee_per_month·w, setup_fee·w in the
    first month with w > 0) on w = [fallback share > 0]·success weight from go-live. When the bridge
    is the fallback, w = bridge weight + [fallback share > 0]·success weight (one fee a month, one
    setup fee), charged as bridge fees before go-live and as fallback fees from it."""
    lang, pp = s.book.lang, s.pp
    fb = sheets[pp.fallback]
    fb_prefix = f"paths[{pp.fallback}]."
    shared = pp.bridge is not None and pp.bridge == pp.fallback
    vals = s.vals
    carrying = (vals["fallback_share"] > 0) * vals["success_weight"]
    if shared:
        s.column("carry_weight", t("xl.col.carry_weight", lang),
                 lambda r, m: f"={s.c('fallback_weight', r)}+IF({s.c('fallback_share', r)}>0,1,0)*{s.c('success_weight', r)}",
                 "factor", cached=vals["fallback_weight"] + carrying)
    else:
        s.column("carry_weight", t("xl.col.carry_weight", lang),
                 lambda r, m: f"=IF({s.c('fallback_share', r)}>0,1,0)*{s.c('success_weight', r)}", "factor", cached=carrying)
    _first_month_flag(s, "carry_first", "carry_weight")
    fixed = _fixed_fee_values(s, fb_prefix, "carry_weight", "carry_first")
    if pp.bridge is None:
        s.column("unserved", t("xl.col.unserved", lang), lambda r, m: f"={s.wl('B', r)}*{s.c('fallback_weight', r)}",
                 cached=s.book.tokens * vals["fallback_weight"])
    elif shared:
        b = sheets[pp.bridge]
        s.column("bridge_fees", component_label("bridge_fees", lang),
                 lambda r, m: f"={quote(b.ws.name)}!{b.c('fees_full', r)}*{s.c('fallback_weight', r)}"
                              f"+({_fixed_fees(s, fb_prefix, 'carry_weight', 'carry_first', r)})*(1-{s.c('live', r)})",
                 cached=b.vals["fees_full"] * vals["fallback_weight"] + fixed * (1 - vals["live"]))
    else:
        _bridge(s, sheets)
    s.column("fallback_fees", component_label("fallback_fees", lang),
             lambda r, m: f"={quote(fb.ws.name)}!{fb.c('fees_full', r)}*{s.c('fallback_share', r)}*{s.c('success_weight', r)}"
                          f"+({_fixed_fees(s, fb_prefix, 'carry_weight', 'carry_first', r)})*{s.c('live', r)}",
             cached=fb.vals["fees_full"] * vals["fallback_share"] * vals["success_weight"] + fixed * vals["live"])


def _autoscaled(s: PathSheet, live: str, per_replica: str, throughput: str, speedup, p: str, cap: str | None = None) -> None:
    """Autoscaled fleet (fleet.autoscaled_fleet): replicas per level of the day r = max(min_replicas,
    ceil(T/(730·3600)/(tps·utilisation·per_replica·speedup)·level)); GPUs = (max r + redundancy)·per_replica;
    GPU-hours = 730/24 · per_replica · (Σ hours·r + redundancy·24), from go-live. A routed path
    (`cap` not None) scales on its own model's tokens T·s, at most `cap` replicas ("none": no cap)."""
    lang, v = s.book.lang, s.book.v
    levels = _levels(s)
    floor = f"ROUND({s.p('serving.min_replicas')},0)" if s.has("serving.min_replicas") else "1"
    floor_v = float(x_round(s.pv("serving.min_replicas"))) if s.has("serving.min_replicas") else 1.0
    load = (lambda r: s.wl("B", r)) if cap is None else (lambda r: s.c("own_tokens", r))  # noqa: E731
    load_v = s.book.tokens if cap is None else s.vals["own_tokens"]
    capped = (lambda text: f"MIN({text},{cap})") if cap not in (None, "none") else (lambda text: text)  # noqa: E731
    seconds = float(f"{SECONDS_PER_MONTH:.0f}")
    replicas = []
    for j, (level, _hours) in enumerate(levels):
        count = np.maximum(floor_v, np.ceil(np.maximum(load_v / seconds / (v(throughput) * s.speedup) * v(level) - 1e-9, 0)))
        if cap not in (None, "none"):
            count = np.minimum(count, v(cap))
        replicas.append(count)
        s.column(f"replicas_{j}", t("xl.col.replicas", lang, n=j),
                 lambda r, m, level=level: "=" + capped(f"MAX({floor},CEILING(MAX({load(r)}/{SECONDS_PER_MONTH:.0f}/"
                                                        f"({throughput}*{speedup(r)})*{level}-1E-9,0),1))"), "int",
                 cached=count)
    redundancy = f"ROUNDUP({s.p('serving.redundancy')},0)"
    redundancy_v = float(x_roundup(s.pv("serving.redundancy")))
    top = ",".join(s.cols[f"replicas_{j}"] + "{r}" for j in range(len(levels)))
    s.column("gpus", t("xl.col.gpus", lang),
             lambda r, m: f"=IF(A{r}>={live},(MAX({top.format(r=r)})+{redundancy})*{per_replica},0)", "int",
             cached=np.where(s.months >= v(live), (np.max(replicas, axis=0) + redundancy_v) * v(per_replica), 0.0))
    total_hours = "+".join(hours for _level, hours in levels)
    s.fleet = {"levels": levels, "per_replica": per_replica, "redundancy": redundancy,  # type: ignore[attr-defined]
               "replicas": replicas, "redundancy_value": redundancy_v}
    hours_v = [v(hours) for _level, hours in levels]
    s.column("gpu_hours", t("xl.col.gpu_hours", lang),
             lambda r, m: f"={730 / 24!r}*{per_replica}*("
                          + "+".join(f"{hours}*{s.c(f'replicas_{j}', r)}" for j, (_l, hours) in enumerate(levels))
                          + f"+{redundancy}*({total_hours}))*{s.c('live', r)}",
             cached=(730 / 24) * v(per_replica) * (sum(h * c for h, c in zip(hours_v, replicas))
                                                   + redundancy_v * sum(hours_v)) * s.vals["live"])


def _rent(s: PathSheet, live: str, p: str) -> None:
    """serving_rent: fixed fleet gpus·730·price[m]; autoscaled GPU-hours·price[m]; with R reserved GPUs,
    R·730·reserved price[m] from go-live plus the GPU-hours above R at price[m] (fleet.rented_fleet_costs)."""
    lang, v, months = s.book.lang, s.book.v, s.months
    pv = v(p)
    change = s.pv("serving.gpu_hour_price_change_per_year")
    price = f"{s.p('serving.gpu_hour_price')}*(1+{s.p('serving.gpu_hour_price_change_per_year')})^(A{{r}}/12)"
    price_v = s.pv("serving.gpu_hour_price") * (1 + change) ** (months / 12)
    autoscale = getattr(s.pp, "scaling", "fixed") == "autoscale"
    if not getattr(s.pp, "reserved", False):
        if autoscale:
            s.column("serving_rent", component_label("serving_rent", lang),
                     lambda r, m: f"={s.c('gpu_hours', r)}*({price.format(r=r)})*{p}",
                     cached=s.vals["gpu_hours"] * price_v * pv)
        else:
            s.column("serving_rent", component_label("serving_rent", lang),
                     lambda r, m: f"={s.c('gpus', r)}*({MONTH_HOURS:g}*{s.p('serving.gpu_hour_price')}"
                                  f"*(1+{s.p('serving.gpu_hour_price_change_per_year')})^(A{r}/12))*{p}",
                     cached=s.vals["gpus"] * (MONTH_HOURS * s.pv("serving.gpu_hour_price") * (1 + change) ** (months / 12)) * pv)
        return
    count = s.p("serving.reserved.gpus")
    count_v = v(count)
    term = f"MAX(ROUND({s.p('serving.reserved.term_months')},0),1)"
    term_v = max(float(x_round(s.pv("serving.reserved.term_months"))), 1.0)
    live_v = v(live)
    reserved = s.pv("serving.reserved.gpu_hour_price") * (1 + change) ** (
        (live_v + np.floor(np.maximum(months - live_v, 0) / term_v) * term_v) / 12)
    s.column("reserved_price", t("xl.col.reserved_price", lang),
             lambda r, m: f"={s.p('serving.reserved.gpu_hour_price')}*(1+{s.p('serving.gpu_hour_price_change_per_year')})"
                          f"^(({live}+INT(MAX(A{r}-{live},0)/{term})*{term})/12)", cached=reserved)
    if autoscale:
        fleet = s.fleet  # type: ignore[attr-defined]
        threshold = f"({count}/{fleet['per_replica']}-{fleet['redundancy']})"
        threshold_v = count_v / v(fleet["per_replica"]) - fleet["redundancy_value"]
        on_demand = (730 / 24) * v(fleet["per_replica"]) * sum(
            v(hours) * np.maximum(c - threshold_v, 0) for (_l, hours), c in zip(fleet["levels"], fleet["replicas"])
        ) * s.vals["live"]
        s.column("on_demand_gpu_hours", t("xl.col.on_demand_hours", lang),
                 lambda r, m: f"={730 / 24!r}*{fleet['per_replica']}*("
                              + "+".join(f"{hours}*MAX({s.c(f'replicas_{j}', r)}-{threshold},0)"
                                         for j, (_l, hours) in enumerate(fleet["levels"]))
                              + f")*{s.c('live', r)}", cached=on_demand)
    else:
        on_demand = (730 / 24) * 1 * (np.maximum(s.vals["gpus"] - (count_v / 1 - 0), 0) * 24)
        s.column("on_demand_gpu_hours", t("xl.col.on_demand_hours", lang),
                 lambda r, m: f"={730 / 24!r}*1*(MAX({s.c('gpus', r)}-({count}/1-0),0)*24)", cached=on_demand)
    s.column("serving_rent", component_label("serving_rent", lang),
             lambda r, m: f"=({s.c('on_demand_gpu_hours', r)}*({price.format(r=r)})"
                          f"+{count}*{MONTH_HOURS:g}*{s.c('reserved_price', r)}*{s.c('live', r)})*{p}",
             cached=(on_demand * price_v + count_v * MONTH_HOURS * reserved * s.vals["live"]) * pv)


def finish_path(s: PathSheet, components: list[str]) -> None:
    """Total, discount factor, discounted cost, cumulative (and before the residual credit), served tokens."""
    lang, vals = s.book.lang, s.vals
    first = s.book.first_row
    total = sum(vals[k] for k in components)
    s.column("monthly_cost", t("xl.col.total", lang), lambda r, m: "=" + "+".join(s.c(k, r) for k in components), "total",
             cached=total)
    s.column("discount_factor", t("xl.col.discount_factor", lang), lambda r, m: f"={s.wl('D', r)}", "factor",
             cached=s.book.discount)
    s.column("discounted_cost", t("xl.col.discounted", lang), lambda r, m: f"={s.c('monthly_cost', r)}*{s.c('discount_factor', r)}",
             cached=total * s.book.discount)
    s.column("cumulative_cost", t("xl.col.cumulative", lang),
             lambda r, m: f"=SUM(${s.cols['monthly_cost']}${first}:{s.c('monthly_cost', r)})", cached=np.cumsum(total))
    residual = "residual_credit" in s.cols
    s.column("cumulative_before_residual", t("xl.col.cumulative_before_residual", lang),
             lambda r, m: f"={s.c('cumulative_cost', r)}" + (f"-{s.c('residual_credit', r)}" if residual else ""),
             cached=vals["cumulative_cost"] - (vals["residual_credit"] if residual else 0))
    unserved = "unserved" in s.cols
    s.column("served_tokens", t("xl.col.served", lang),
             lambda r, m: f"={s.wl('B', r)}" + (f"-{s.c('unserved', r)}" if unserved else ""),
             cached=s.book.tokens - (vals["unserved"] if unserved else 0))
    s.ws.freeze_panes(first - 1, 1)
    s.components = components  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------ Summary

SUMMARY_KEYS = ("name", "kind", "live_month", "feasible", "recommendable", "total_cost", "npv", "cost_per_million_tokens",
                "levelised_cost_per_million_tokens", "unserved_tokens", "capex", "residual_credit", "ranked_npv",
                "switch_against", "switch_irr", "switch_payback_month")


def write_breakeven(book: Book, sheets: dict[int, PathSheet], fmt: dict) -> dict[tuple[int, int], str]:
    """Per ordered pair (a, b): a ≤ b (within 1e-9 of a's scale) month by month, and 'holds to the
    end' computed from the last month up; the break-even month is the first month where it holds."""
    from xlsxwriter.utility import xl_col_to_name

    ws = book.wb.add_worksheet(t("xl.sheet.breakeven", book.lang))
    lang, horizon, first = book.lang, book.plan.horizon, book.first_row
    last = first + horizon - 1
    ws.write_row(first - 3, 0, [t("xl.col.month", lang)], fmt["header"])
    ws.set_column(0, 0, 10)
    ws.set_column(1, 200, 14)
    for m in range(horizon):
        ws.write_number(first + m - 1, 0, m)
    out = {}
    col = 1
    n = len(book.plan.paths)
    for a in range(n):
        for b in range(n):
            if a == b:
                continue
            sa, sb = sheets[a], sheets[b]
            cum_a = f"{quote(sa.ws.name)}!{sa.cols['cumulative_before_residual']}"
            cum_b = f"{quote(sb.ws.name)}!{sb.cols['cumulative_before_residual']}"
            range_a = f"{quote(sa.ws.name)}!${sa.cols['cumulative_before_residual']}${first}:${sa.cols['cumulative_before_residual']}${last}"
            scale = f"MAX(MAX({range_a}),-MIN({range_a}),1)"
            le, holds = xl_col_to_name(col), xl_col_to_name(col + 1)
            label = f"{book.plan.paths[a].name} ≤ {book.plan.paths[b].name}"
            ws.write_string(first - 3, col, label, fmt["header"])
            ws.write_string(first - 2, col, "at_or_below", fmt["key"])
            ws.write_string(first - 2, col + 1, "holds_to_end", fmt["key"])
            va, vb = sa.vals["cumulative_before_residual"], sb.vals["cumulative_before_residual"]
            below = va - vb <= 1e-9 * max(float(np.max(va)), -float(np.min(va)), 1.0)
            holding = holds_to_end(below)
            for m in range(horizon):
                r = first + m
                ws.write_formula(r - 1, col, f"={cum_a}{r}-{cum_b}{r}<=1E-9*{scale}", None, bool(below[m]))
                after = "TRUE" if m == horizon - 1 else f"{holds}{r + 1}"
                ws.write_formula(r - 1, col + 1, f"=AND({le}{r},{after})", None, bool(holding[m]))
            ws.write_string(first - 4, col, t("xl.breakeven_month", lang), fmt["key"])
            never = t("never.breakeven", lang)
            serves = f"AND({book.scalars[a]['live_month']}<{horizon},{book.scalars[b]['live_month']}<{horizon})"
            month = first_true(holding)
            if not (book.v(book.scalars[a]["live_month"]) < horizon and book.v(book.scalars[b]["live_month"]) < horizon):
                month = None  # no break-even with a path that goes live at or after the horizon
            ws.write_formula(first - 4, col + 1,
                             f"=IF({serves},IFERROR(MATCH(TRUE,{holds}{first}:{holds}{last},0)-1,\"{never}\"),\"{never}\")",
                             None, never if month is None else month)
            book.results[f"breakeven_{a}_{b}"] = never if month is None else month
            out[(a, b)] = f"{quote(ws.name)}!${holds}${first - 3}"
            col += 2
    return out


def _feasible(book: Book, i: int) -> str:
    """Path i is feasible: no static infeasibility, and go-live − start_month ≤ max_lead_time_months."""
    feasible = "TRUE" if book.plan.paths[i].infeasible is None else "FALSE"
    if book.has("constraints.max_lead_time_months"):
        start = f"ROUND({book.n(f'paths[{i}].start_month')},0)" if book.has(f"paths[{i}].start_month") else "0"
        feasible = (f"AND({feasible},{book.scalars[i]['live_month']}-{start}"
                    f"<={book.n('constraints.max_lead_time_months')})")  # lead time counts from the start
    return feasible


def _feasible_value(book: Book, i: int) -> bool:
    """The value of _feasible(book, i)."""
    feasible = book.plan.paths[i].infeasible is None
    if book.has("constraints.max_lead_time_months"):
        key = f"paths[{i}].start_month"
        start = float(x_round(book.val(key))) if book.has(key) else 0.0
        feasible = feasible and book.v(book.scalars[i]["live_month"]) - start <= book.val("constraints.max_lead_time_months")
    return bool(feasible)


def write_switch(book: Book, sheets: dict[int, PathSheet], fmt: dict) -> dict[int, dict[str, str]]:
    """IRR and discounted payback of switching (analysis.finance.switch_figures) for each self-hosted
    path against the api path it replaces (its bridge, else its fallback, else the cheapest feasible
    api path by NPV). saving[m] = api cost[m] − path cost[m]; payback = first month from which the
    cumulative discounted saving stays ≥ −1e-9·scale to the end. The IRR exists when the saving has
    a month of each sign and its NPV Σ saving[m]·(1+x)^(−m) changes sign exactly once over the same
    grid of monthly rates x (−50 % … +1000 %, 2049 points log-spaced in 1 + x) as the engine's; it
    is then IRR() started at the grid rate just before that root (IRR() iterates to its own
    tolerance; the recalculation tests allow 1e-6 relative to the engine's bisection). Sign changes are counted between
    neighbouring grid points with SIGN()·SIGN() < 0, so an NPV of exactly 0 at a grid rate (which
    the engine steps over) would count differently. Returns per path the cells of `against`, `irr`
    (annual) and `payback`."""
    from xlsxwriter.utility import xl_col_to_name

    from buildorbuy.analysis.finance import _GRID_POINTS, IRR_MONTHLY_HIGH, IRR_MONTHLY_LOW, irr_monthly

    plan, lang = book.plan, book.lang
    hosted = [pp.index for pp in plan.paths if pp.kind != "api"]
    api = [pp.index for pp in plan.paths if pp.kind == "api"]
    if not hosted or not api:
        return {}
    ws = book.wb.add_worksheet(t("xl.sheet.switch", lang))
    q = quote(ws.name)
    horizon, first = plan.horizon, book.first_row
    na = f"\"{t('xl.na', lang)}\""
    na_text = t("xl.na", lang)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 200, 16)
    ws.write_string(0, 0, t("xl.switch_title", lang), fmt["title"])
    ws.write_string(1, 0, t("xl.switch_note", lang))
    # per-path table: rows 5 … (Excel), one per self-hosted path
    keys = ["path", "against", "against_position", "irr_monthly", "irr", "payback_month", "why", "months_positive",
            "months_negative", "npv_sign_changes", "irr_guess"]
    labels = [t("xl.col.path", lang), t("xl.col.against", lang), t("xl.col.against_position", lang),
              t("xl.col.irr_monthly", lang), t("xl.col.irr_annual", lang), t("xl.col.payback_month", lang),
              t("xl.col.why_no_irr", lang), t("xl.col.months_positive", lang), t("xl.col.months_negative", lang),
              t("xl.col.npv_sign_changes", lang), t("xl.col.irr_guess", lang)]
    ws.write_row(3, 0, labels, fmt["header"])
    ws.write_row(4, 0, keys, fmt["key"])
    path_row = {i: 6 + k for k, i in enumerate(hosted)}  # Excel row of each path
    # api paths (for "the cheapest feasible api path by NPV")
    api_head = 6 + len(hosted) + 1  # Excel row of the api table's header
    ws.write_string(api_head - 2, 0, t("xl.api_table", lang), fmt["header"])
    ws.write_row(api_head - 1, 0, [t("xl.col.path", lang), t("xl.col.api_position", lang), t("xl.col.feasible", lang),
                                   t("xl.col.npv", lang), t("xl.col.npv_if_feasible", lang)], fmt["header"])
    api_npv, api_feasible = [], []
    for k, i in enumerate(api):
        r = api_head + 1 + k
        a = sheets[i]
        feasible, npv_value = _feasible_value(book, i), float(np.sum(a.vals["discounted_cost"]))
        api_npv.append(npv_value)
        api_feasible.append(feasible)
        ws.write_string(r - 1, 0, plan.paths[i].name)
        ws.write_number(r - 1, 1, k + 1)
        ws.write_formula(r - 1, 2, f"={_feasible(book, i)}", None, feasible)
        ws.write_formula(r - 1, 3, f"=SUM({quote(a.ws.name)}!{a.rng('discounted_cost')})", fmt["total"], npv_value)
        ws.write_formula(r - 1, 4, f"=IF(C{r},D{r},\"\")", fmt["total"], npv_value if feasible else "")
    feasible_npv = [x for x, ok in zip(api_npv, api_feasible) if ok]
    pool = feasible_npv if feasible_npv else api_npv
    cheapest_position = (api_npv.index(min(pool)) if not feasible_npv
                         else next(k for k, (x, ok) in enumerate(zip(api_npv, api_feasible)) if ok and x == min(pool))) + 1
    api_rows = (api_head + 1, api_head + len(api))
    rng = lambda c: f"${c}${api_rows[0]}:${c}${api_rows[1]}"  # noqa: E731
    cheapest = (f"=IF(COUNT({rng('E')})>0,INDEX({rng('B')},MATCH(MIN({rng('E')}),{rng('E')},0)),"
                f"INDEX({rng('B')},MATCH(MIN({rng('D')}),{rng('D')},0)))")
    # month table: month m at Excel row `top + m`; four columns per path; then the rate grid
    head = api_rows[1] + 3  # Excel row of the month table's header
    top = head + 2
    bottom = top + horizon - 1
    ws.write_string(head - 1, 0, t("xl.col.month", lang), fmt["header"])
    ws.write_string(head, 0, "month", fmt["key"])
    for m in range(horizon):
        ws.write_number(top + m - 1, 0, m)
    grid_col = 1 + 4 * len(hosted) + 1  # the rate grid, then one column of NPVs per path
    grid = np.expm1(np.linspace(np.log1p(IRR_MONTHLY_LOW), np.log1p(IRR_MONTHLY_HIGH), _GRID_POINTS))
    rate = xl_col_to_name(grid_col)
    ws.write_string(head - 1, grid_col, t("xl.col.rate_grid", lang), fmt["header"])
    ws.write_string(head, grid_col, "rate", fmt["key"])
    for k, x in enumerate(grid):
        ws.write_number(top + k - 1, grid_col, float(x), fmt["factor"])
    rates = f"${rate}${top}:${rate}${top + _GRID_POINTS - 1}"
    out: dict[int, dict[str, str]] = {}
    for k, i in enumerate(hosted):
        s = sheets[i]
        name = plan.paths[i].name
        cols = [xl_col_to_name(1 + 4 * k + j) for j in range(4)]
        saving, disc, cum, holds = cols
        for j, (key, label) in enumerate([("saving", "xl.col.saving"), ("discounted_saving", "xl.col.discounted_saving"),
                                          ("cumulative_saving", "xl.col.cumulative_saving"),
                                          ("holds_to_end", "xl.col.saving_holds")]):
            ws.write_string(head - 1, 1 + 4 * k + j, t(label, lang, path=name), fmt["header"])
            ws.write_string(head, 1 + 4 * k + j, key, fmt["key"])
        pr = path_row[i]
        fixed = plan.paths[i].bridge if plan.paths[i].bridge is not None else plan.paths[i].fallback
        if fixed is not None:
            position = api.index(fixed) + 1
            ws.write_formula(pr - 1, 2, f"={position}", fmt["int"], position)
        else:
            position = cheapest_position
            ws.write_formula(pr - 1, 2, cheapest, fmt["int"], position)
        against_name = plan.paths[api[position - 1]].name
        ws.write_string(pr - 1, 0, name)
        ws.write_formula(pr - 1, 1, f"=INDEX({rng('A')},C{pr})", None, against_name)
        saving_v = sheets[api[position - 1]].vals["monthly_cost"] - s.vals["monthly_cost"]
        disc_v = saving_v * book.discount
        cum_v = np.cumsum(disc_v)
        cum_scale = max(float(np.max(cum_v)), -float(np.min(cum_v)), 1.0)
        holds_v = holds_to_end(cum_v >= -1e-9 * cum_scale)
        own = lambda rp: f"{quote(s.ws.name)}!{s.c('monthly_cost', rp)}"  # noqa: E731
        api_cost = lambda j, rp: f"{quote(sheets[j].ws.name)}!{sheets[j].c('monthly_cost', rp)}"  # noqa: E731
        cum_rng = f"${cum}${top}:${cum}${bottom}"
        scale = f"MAX(MAX({cum_rng}),-MIN({cum_rng}),1)"
        for m in range(horizon):
            r, rp = top + m, first + m
            if fixed is not None:
                against = api_cost(fixed, rp)
            else:
                against = f"CHOOSE($C${pr}," + ",".join(api_cost(j, rp) for j in api) + ")"
            ws.write_formula(r - 1, 1 + 4 * k, f"={against}-{own(rp)}", fmt["num"], float(saving_v[m]))
            ws.write_formula(r - 1, 2 + 4 * k, f"={saving}{r}*{s.wl('D', rp)}", fmt["num"], float(disc_v[m]))
            ws.write_formula(r - 1, 3 + 4 * k, f"=SUM(${disc}${top}:{disc}{r})", fmt["num"], float(cum_v[m]))
            after = "TRUE" if m == horizon - 1 else f"{holds}{r + 1}"
            ws.write_formula(r - 1, 4 + 4 * k, f"=AND({cum}{r}>=-1E-9*{scale},{after})", None, bool(holds_v[m]))
        savings = f"${saving}${top}:${saving}${bottom}"
        flow_scale = f"MAX(MAX({savings}),-MIN({savings}),1E-300)"
        # the NPV of the saving over the rate grid and its sign changes; with exactly one, the grid
        # points before the root are those with the first point's sign (COUNTIF), the last of them
        # is IRR()'s start value
        npv_col = grid_col + 1 + k
        npv = xl_col_to_name(npv_col)
        ws.write_string(head - 1, npv_col, t("xl.col.npv_at_rate", lang, path=name), fmt["header"])
        ws.write_string(head, npv_col, "npv_at_rate", fmt["key"])
        # (1 + x)·NPV(x, saving) = Σ_m saving[m]·(1 + x)^(−m)
        npv_v = (saving_v[None, :] * (1 + grid[:, None]) ** (-np.arange(horizon, dtype=float))[None, :]).sum(axis=1)
        for g in range(_GRID_POINTS):
            r = top + g
            ws.write_formula(r - 1, npv_col, f"=(1+{rate}{r})*NPV({rate}{r},{savings})", fmt["num"], float(npv_v[g]))
        grid_last = top + _GRID_POINTS - 1
        values = lambda a, b: f"${npv}${a}:${npv}${b}"  # noqa: E731
        flow_scale_v = max(float(np.max(saving_v)), -float(np.min(saving_v)), 1e-300)
        positive = int(np.sum(saving_v > 1e-12 * flow_scale_v))
        negative = int(np.sum(saving_v < -1e-12 * flow_scale_v))
        changes = int(np.sum(np.sign(npv_v[1:]) * np.sign(npv_v[:-1]) < 0))
        before_root_v = int(np.sum(npv_v > 0)) if npv_v[0] > 0 else int(np.sum(npv_v < 0))
        guess = float(grid[max(before_root_v, 1) - 1])
        ws.write_formula(pr - 1, 7, f"=SUMPRODUCT(({savings}>1E-12*{flow_scale})*1)", fmt["int"], positive)
        ws.write_formula(pr - 1, 8, f"=SUMPRODUCT(({savings}<-1E-12*{flow_scale})*1)", fmt["int"], negative)
        ws.write_formula(pr - 1, 9, f"=SUMPRODUCT((SIGN({values(top + 1, grid_last)})*SIGN({values(top, grid_last - 1)})<0)*1)",
                         fmt["int"], changes)
        before_root = f"IF(${npv}${top}>0,COUNTIF({values(top, grid_last)},\">0\"),COUNTIF({values(top, grid_last)},\"<0\"))"
        ws.write_formula(pr - 1, 10, f"=INDEX({rates},MAX({before_root},1))", fmt["factor"], guess)
        before, after_count = t("xl.why.several", lang, n="\0").split("\0")
        several = f"\"{before}\"&J{pr}&\"{after_count}\""
        why = (f"=IF(AND(H{pr}>0,I{pr}>0),IF(J{pr}=1,\"\",IF(J{pr}>1,{several},\"{t('xl.why.outside', lang)}\")),"
               f"IF(H{pr}>0,\"{t('xl.why.cheaper', lang)}\",IF(I{pr}>0,\"{t('xl.why.never', lang)}\",\"{t('xl.why.same', lang)}\")))")
        if positive > 0 and negative > 0:
            why_v = "" if changes == 1 else (f"{before}{changes}{after_count}" if changes > 1 else t("xl.why.outside", lang))
        else:
            why_v = t("xl.why.cheaper" if positive > 0 else "xl.why.never" if negative > 0 else "xl.why.same", lang)
        ws.write_formula(pr - 1, 6, why, None, why_v)
        if why_v == "":  # the engine's IRR (bisection to machine precision; IRR() iterates to its own tolerance)
            monthly = float(irr_monthly(saving_v[None, :])[0][0])
            irr_v: Any = monthly
            annual_v: Any = (1 + monthly) ** 12 - 1
        else:
            irr_v = annual_v = na_text
        payback_v = first_true(holds_v)
        ws.write_formula(pr - 1, 3, f"=IF(G{pr}=\"\",IRR({savings},K{pr}),{na})", fmt["factor"], irr_v)
        ws.write_formula(pr - 1, 4, f"=IF(ISNUMBER(D{pr}),(1+D{pr})^12-1,{na})", fmt["factor"], annual_v)
        ws.write_formula(pr - 1, 5, f"=IFERROR(MATCH(TRUE,${holds}${top}:${holds}${bottom},0)-1,{na})", fmt["int"],
                         na_text if payback_v is None else payback_v)
        book.results[f"switch_{i}"] = (against_name, annual_v, na_text if payback_v is None else payback_v)
        out[i] = {key: f"{q}!${col}${pr}" for key, col in (("against", "B"), ("irr", "E"), ("payback", "F"))}
    ws.freeze_panes(head + 1, 1)
    return out


def write_summary(book: Book, sheets: dict[int, PathSheet], breakeven: dict, fmt: dict,
                  switch: dict[int, dict[str, str]] | None = None) -> None:
    ws = book.wb.add_worksheet(t("xl.sheet.summary", book.lang))
    lang, plan = book.lang, book.plan
    horizon = plan.horizon
    n = len(plan.paths)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 20, 18)
    ws.write_string(0, 0, plan.scenario.name, fmt["title"])
    ws.write_string(1, 0, t("xl.summary_note", lang, cur=plan.scenario.currency))
    labels = [t("xl.col.path", lang), t("xl.col.kind", lang), t("xl.scalar.live", lang), t("xl.col.feasible", lang),
              t("xl.col.recommendable", lang), t("xl.col.total_cost", lang), t("xl.col.npv", lang), t("xl.col.per_1m", lang),
              t("xl.col.levelised", lang), t("xl.col.unserved_total", lang), t("xl.col.capex", lang),
              t("xl.col.residual", lang), t("xl.col.ranked_npv", lang), t("xl.col.switch_against", lang),
              t("xl.col.switch_irr", lang), t("xl.col.switch_payback", lang)]
    head = 3
    ws.write_row(head, 0, labels, fmt["header"])
    ws.write_row(head + 1, 0, list(SUMMARY_KEYS), fmt["key"])
    first = book.first_row
    last = first + horizon - 1
    top = head + 2  # 0-based row of the first path
    ranked_v: list[float | None] = []
    for i in range(n):
        s = sheets[i]
        q = quote(s.ws.name)
        r = top + i + 1  # Excel row
        col = lambda key: f"{q}!${s.cols[key]}${first}:${s.cols[key]}${last}"  # noqa: E731
        feasible = _feasible(book, i)
        unserved = f"SUM({col('unserved')})" if "unserved" in s.cols else "0"
        capex = f"SUM({col('hardware_purchase')})" if "hardware_purchase" in s.cols else "0"
        residual = f"SUM({col('residual_credit')})" if "residual_credit" in s.cols else "0"
        vals = s.vals
        live_v = book.v(book.scalars[i]["live_month"])
        feasible_v = _feasible_value(book, i)
        total_v, npv_v = float(np.sum(vals["monthly_cost"])), float(np.sum(vals["discounted_cost"]))
        served_v = float(np.sum(vals["served_tokens"]))
        served_discounted_v = float(np.dot(vals["served_tokens"], vals["discount_factor"]))
        unserved_v = float(np.sum(vals["unserved"])) if "unserved" in s.cols else 0.0
        recommendable_v = bool(feasible_v and unserved_v <= 0 and live_v < horizon)
        ws.write_string(r - 1, 0, plan.paths[i].name)
        ws.write_string(r - 1, 1, plan.paths[i].kind)
        ws.write_formula(r - 1, 2, f"={book.scalars[i]['live_month']}", fmt["int"], live_v)
        ws.write_formula(r - 1, 3, f"={feasible}", None, feasible_v)
        ws.write_formula(r - 1, 4, f"=AND(D{r},J{r}<=0,C{r}<{horizon})", None, recommendable_v)
        ws.write_formula(r - 1, 5, f"=SUM({col('monthly_cost')})", fmt["total"], total_v)
        ws.write_formula(r - 1, 6, f"=SUM({col('discounted_cost')})", fmt["total"], npv_v)
        ws.write_formula(r - 1, 7, f"=IF(SUM({col('served_tokens')})>0,F{r}/SUM({col('served_tokens')})*1000000,\"\")", fmt["unit"],
                         total_v / served_v * 1000000 if served_v > 0 else "")
        ws.write_formula(r - 1, 8, f"=IF(SUMPRODUCT({col('served_tokens')},{col('discount_factor')})>0,"
                                   f"G{r}/SUMPRODUCT({col('served_tokens')},{col('discount_factor')})*1000000,\"\")", fmt["unit"],
                         npv_v / served_discounted_v * 1000000 if served_discounted_v > 0 else "")
        ws.write_formula(r - 1, 9, f"={unserved}", fmt["num"], unserved_v)
        ws.write_formula(r - 1, 10, f"={capex}", fmt["num"],
                         float(np.sum(vals["hardware_purchase"])) if "hardware_purchase" in s.cols else 0.0)
        ws.write_formula(r - 1, 11, f"={residual}", fmt["num"],
                         float(np.sum(vals["residual_credit"])) if "residual_credit" in s.cols else 0.0)
        ws.write_formula(r - 1, 12, f"=IF(E{r},G{r},\"\")", fmt["total"], npv_v if recommendable_v else "")
        ranked_v.append(npv_v if recommendable_v else None)
        if switch and i in switch:
            against_v, irr_v, payback_v = book.results[f"switch_{i}"]
            ws.write_formula(r - 1, 13, f"={switch[i]['against']}", None, against_v)
            ws.write_formula(r - 1, 14, f"={switch[i]['irr']}", fmt["factor"], irr_v)
            ws.write_formula(r - 1, 15, f"={switch[i]['payback']}", fmt["int"], payback_v)
    rows = f"$A${top + 1}:$A${top + n}"
    ranked = f"$M${top + 1}:$M${top + n}"
    r = top + n + 2
    ranked_only = sorted(x for x in ranked_v if x is not None)
    winner_v = (plan.paths[ranked_v.index(ranked_only[0])].name if ranked_only else t("xl.none", lang))
    ws.write_string(r - 1, 0, t("xl.winner", lang), fmt["header"])
    ws.write_formula(r - 1, 1, f"=IF(COUNT({ranked})=0,\"{t('xl.none', lang)}\",INDEX({rows},MATCH(MIN({ranked}),{ranked},0)))",
                     None, winner_v)
    ws.write_string(r - 1, 2, "winner", fmt["key"])
    r += 1
    ws.write_string(r - 1, 0, t("xl.margin", lang))
    ws.write_formula(r - 1, 1, f"=IF(COUNT({ranked})<2,\"\",SMALL({ranked},2)-MIN({ranked}))", fmt["total"],
                     ranked_only[1] - ranked_only[0] if len(ranked_only) >= 2 else "")
    ws.write_string(r - 1, 2, "margin", fmt["key"])
    r += 2
    ws.write_string(r - 1, 0, t("xl.breakeven_title", lang), fmt["header"])
    names = [pp.name for pp in plan.paths]
    ws.write_row(r - 1, 1, names, fmt["header"])
    ws.write_string(r - 1, len(names) + 1, "breakeven", fmt["key"])
    for a in range(n):
        r += 1
        ws.write_string(r - 1, 0, names[a])
        for b in range(n):
            if a != b:
                ws.write_formula(r - 1, 1 + b, f"={breakeven[(a, b)]}", fmt["int"], book.results[f"breakeven_{a}_{b}"])
            else:
                ws.write_string(r - 1, 1 + b, "—")
    r += 2
    ws.write_string(r - 1, 0, t("xl.audit_title", lang), fmt["header"])
    for line in [t("xl.audit_1", lang), t("xl.audit_2", lang), t("xl.audit_3", lang)]:
        r += 1
        ws.write_string(r - 1, 0, line)
    r += 2
    ws.write_string(r - 1, 0, t("xl.uncovered_title", lang), fmt["header"])
    for line in book.uncovered or [t("xl.uncovered_none", lang)]:
        r += 1
        ws.write_string(r - 1, 0, line)
    ws.activate()


def _plain_formula(formula: str, expand_future_functions: bool = False) -> str:
    """XlsxWriter's formula preparation for formulas that use no Excel-2010+ "future" or dynamic-array
    function: strip the leading '='. (XlsxWriter runs ~70 regular expressions per formula to prefix
    such functions with _xlfn.; ours use none, so the output is byte-identical — a test checks it —
    and the export takes a third of the time.)"""
    return formula[1:] if formula.startswith("=") else formula


def _first_row(plan) -> int:
    """Excel row of month 0 on the path sheets: below the scalars of the tallest path sheet (up to 9
    of a compute run and fleet, the cap's replicas, and the day's load levels where autoscaling or a
    capacity cap uses them: 24 with a daily profile, else 3)."""
    tallest = 2
    for pp in plan.paths:
        if pp.kind == "api":
            continue
        capped = pp.fallback is not None and getattr(plan.scenario.paths[pp.index].serving, "max_gpus", None) is not None
        levels = getattr(pp, "scaling", "fixed") == "autoscale" or capped
        count = 9 + capped + (0 if not levels else 24 if plan.scenario.workload.daily_profile is not None else 3)
        tallest = max(tallest, count)
    return max(16, tallest + 5)


MAX_CELLS = 500_000
"""Most cells an exported workbook may have (measured: ~460,000 cells took 5.8 s of CPU and 284 MB,
wall-clock several times that on a busy machine; a bundled scenario's workbook has under 20,000).
The Break-even sheet grows with paths² × months."""

PATH_SHEET_COLUMNS = 30
"""Month columns of a path sheet, for the estimate (an api path has ~15, a self-hosted one up to ~40)."""


def estimate_cells(scenario, accounting: bool = False) -> int:
    """About how many cells build_workbook writes for a scenario (known before any computation):
    Inputs (~30 rows of 4 per path), Workload, the path sheets, Break-even (2 columns per ordered
    pair of paths), Switch (4 columns per self-hosted path and its rate grid)."""
    from buildorbuy.analysis.finance import _GRID_POINTS

    n, months = len(scenario.paths), int(scenario.horizon_months)
    hosted = sum(1 for path in scenario.paths if path.kind != "api")
    cells = 4 * 30 * n + 4 * months + n * PATH_SHEET_COLUMNS * months
    cells += 2 * n * (n - 1) * (months + 2) + n * (n + 16)
    cells += hosted * (4 * months + _GRID_POINTS + 11) if hosted < n else 0
    if accounting:
        cells += n * 3 * months + n * 6 * (months // 12 + 2)
    return cells


def check_size(scenario, accounting: bool = False) -> None:
    """Refuse, before any work, a workbook larger than MAX_CELLS (a one-line error naming the fields)."""
    from buildorbuy.errors import OutputError

    cells = estimate_cells(scenario, accounting)
    if cells > MAX_CELLS:
        raise OutputError(f"the workbook would have about {cells:,} cells ({len(scenario.paths)} paths × "
                          f"{int(scenario.horizon_months)} horizon_months); the limit is {MAX_CELLS:,}: "
                          "export fewer paths or a shorter horizon")


def build_workbook(plan, result, *, lang: str = "en", accounting: bool = False,
                   fast_formulas: bool = True) -> tuple[bytes, list[str]]:
    """The workbook as .xlsx bytes, and the list of terms entered as values instead of formulas."""
    xlsxwriter = require_xlsxwriter()
    check_size(plan.scenario, accounting)
    buffer = io.BytesIO()
    # user text is plain text: never a formula, a number or a hyperlink (a path named
    # `http://…`, `file://…`, `external:…` or `mailto:…` stays a string)
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                      "strings_to_urls": False})
    add_worksheet = wb.add_worksheet

    def add_plain_worksheet(name=None):
        ws = add_worksheet(name)
        if fast_formulas:
            ws._prepare_formula = _plain_formula
        # every text cell and text result (names, sources) without XML-invalid characters
        write_string, write_formula = ws._write_string, ws._write_formula
        ws._write_string = lambda row, col, string, cell_format=None: write_string(row, col, plain(string), cell_format)
        ws._write_formula = lambda row, col, formula, cell_format=None, value=0: write_formula(
            row, col, formula, cell_format, plain(value) if isinstance(value, str) else value)
        return ws

    wb.add_worksheet = add_plain_worksheet
    wb.set_properties({"title": plain(plan.scenario.name), "comments": "buildorbuy export: formulas over the Inputs sheet"})
    fmt = {
        "header": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"}),
        "key": wb.add_format({"font_color": "#808080", "italic": True, "font_size": 8}),
        "title": wb.add_format({"bold": True, "font_size": 13}),
        "input": wb.add_format({"bg_color": "#FFF2CC"}),
        "num": wb.add_format({"num_format": "#,##0.00"}),
        "int": wb.add_format({"num_format": "0"}),
        "total": wb.add_format({"num_format": "#,##0.00", "bold": True}),
        "factor": wb.add_format({"num_format": "0.000000"}),
        "unit": wb.add_format({"num_format": "#,##0.0000"}),
        "pasted": wb.add_format({"num_format": "#,##0.00", "bg_color": "#F2F2F2", "font_color": "#7F7F7F"}),
    }
    book = Book(wb=wb, lang=lang, plan=plan, result=result, first_row=_first_row(plan), accounting=accounting)
    write_inputs(book, fmt)
    workload = write_workload(book, fmt)
    sheets = {pp.index: PathSheet(book, pp.index, fmt, workload) for pp in plan.paths}
    # api paths first: bridge fees of the others refer to their full-traffic fee columns
    bridges = {pp.bridge for pp in plan.paths if pp.bridge is not None}
    order = sorted(plan.paths, key=lambda pp: (pp.index not in bridges, pp.kind != "api"))
    for pp in order:
        s = sheets[pp.index]
        components = write_api_path(s, sheets) if pp.kind == "api" else write_hosted_path(s, sheets)
        finish_path(s, components)
    if accounting:
        write_accounting(book, sheets, fmt)
    breakeven = write_breakeven(book, sheets, fmt)
    switch = write_switch(book, sheets, fmt)
    write_summary(book, sheets, breakeven, fmt, switch)
    wb.close()
    return buffer.getvalue(), list(book.uncovered)


def write_accounting(book: Book, sheets: dict[int, PathSheet], fmt: dict) -> None:
    """Accounting view: fiscal year per month, depreciation of owned purchases (straight line, as a
    formula: dep[m] = Σ_{k≤m} purchase_k·(min(m−k+1, L) − min(m−k, L))/L with L = 12·depreciation_years),
    and capex / opex / depreciation by fiscal year with SUMIF.

    `fiscal_year_start_month` is an input cell F: month m is in FY(year + INT((start_month − F + m)/12)).
    The by-year table has a row per fiscal year for every F (the most any F gives); its labels are
    formulas, and rows past the last fiscal year of the current F are blank."""
    lang, plan = book.lang, book.plan
    horizon, first = plan.horizon, book.first_row
    last = first + horizon - 1
    start = plan.scenario.start_date
    fy = book.wb.add_worksheet(t("xl.sheet.accounting", lang))
    fy.set_column(0, 0, 34)
    fy.set_column(1, 60, 16)
    fiscal_start = book.n("fiscal_year_start_month")
    fiscal_start_v = book.v(fiscal_start)
    # the heading names the fiscal years' first calendar month: a formula over the input cell
    pieces = []
    for part in re.split("(\0)", t("title.accounting", lang, month_name="\0")):
        if part == "\0":
            pieces.append(f"CHOOSE({fiscal_start}," + ",".join(_text(name) for name in MONTH_NAMES[lang]) + ")")
        elif part:
            pieces.append(_text(part))
    fy.write_formula(0, 0, "=" + "&".join(pieces), fmt["title"], accounting_title(lang, int(fiscal_start_v)))
    offset = f"({start.month}-{fiscal_start})"  # months from the first fiscal year's start to month 0, + 12·k
    offset_v = start.month - fiscal_start_v
    labels = [f"FY{start.year + int(np.floor((offset_v + m) / 12))}" for m in range(horizon)]
    for s in sheets.values():
        s.column("fiscal_year", t("col.fiscal_year", lang),
                 lambda r, m: f"=\"FY\"&({start.year}+INT(({offset}+A{r})/12))", "int", cached=labels)
        if "purchase_value" in s.cols:
            s.column("depreciation", t("col.depreciation", lang), _depreciation_formula(s),
                     cached=_depreciation_values(s))
        components = getattr(s, "components", [])
        opex = [k for k in components if k not in ("hardware_purchase", "residual_credit")]
        s.column("opex", t("col.opex", lang), lambda r, m, s=s, opex=opex: "=" + ("+".join(s.c(k, r) for k in opex) or "0"),
                 cached=sum((s.vals[k] for k in opex), np.zeros(horizon)))
    from buildorbuy.analysis.finance import fiscal_years

    years = max(len(fiscal_years(start.year, start.month, horizon, f)[0]) for f in range(1, 13))
    count = f"(INT(({offset}+{horizon - 1})/12)-INT({offset}/12))"  # the last fiscal year's index
    count_v = int(np.floor((offset_v + horizon - 1) / 12) - np.floor(offset_v / 12))
    label_array = np.array(labels)
    header = [t("col.path", lang), t("col.fiscal_year", lang), t("col.capex", lang), t("col.opex", lang),
              t("col.depreciation", lang), t("col.expense", lang)]
    fy.write_row(2, 0, header, fmt["header"])
    r = 3
    for i, s in sheets.items():
        q = quote(s.ws.name)
        rng = lambda key: f"{q}!${s.cols[key]}${first}:${s.cols[key]}${last}"  # noqa: E731
        for j in range(years):
            crit = f"$B${r + 1}"
            blank = lambda formula: f'=IF({crit}="","",{formula})'  # noqa: E731 - a row past the last fiscal year
            label = f"FY{start.year + int(np.floor(offset_v / 12)) + j}" if j <= count_v else ""
            in_year = label_array == label

            def by_year(key: str) -> Any:
                return float(np.sum(s.vals[key][in_year])) if key in s.cols else 0.0

            capex_v, opex_v, dep_v = by_year("hardware_purchase"), by_year("opex"), by_year("depreciation")
            row_values = ([plan.paths[i].name, label, capex_v, opex_v, dep_v, opex_v + dep_v] if label
                          else ["", "", "", "", "", ""])
            fy.write_formula(r, 0, blank(f"{q}!$A$1"), None, row_values[0])  # the path sheet's title: no name in a formula
            fy.write_formula(r, 1, f'=IF({j}<={count},"FY"&({start.year}+INT({offset}/12)+{j}),"")', None, row_values[1])
            capex = f"SUMIF({rng('fiscal_year')},{crit},{rng('hardware_purchase')})" if "hardware_purchase" in s.cols else "0"
            dep = f"SUMIF({rng('fiscal_year')},{crit},{rng('depreciation')})" if "depreciation" in s.cols else "0"
            fy.write_formula(r, 2, blank(capex), fmt["num"], row_values[2])
            fy.write_formula(r, 3, blank(f"SUMIF({rng('fiscal_year')},{crit},{rng('opex')})"), fmt["num"], row_values[3])
            fy.write_formula(r, 4, blank(dep), fmt["num"], row_values[4])
            fy.write_formula(r, 5, blank(f"D{r + 1}+E{r + 1}"), fmt["num"], row_values[5])
            r += 1
        if "depreciation" in s.cols:
            fy.write_string(r, 0, plan.paths[i].name)
            fy.write_string(r, 1, t("row.book_value_end", lang))
            fy.write_formula(r, 5, f"=SUM({rng('hardware_purchase')})-SUM({rng('depreciation')})", fmt["num"],
                             float(np.sum(s.vals["hardware_purchase"])) - float(np.sum(s.vals["depreciation"])))
            r += 1


def _text(value: str) -> str:
    """A spreadsheet string literal."""
    return '"' + value.replace('"', '""') + '"'


def _depreciation_values(s: PathSheet) -> np.ndarray:
    """The values of _depreciation_formula's column: dep[m] = Σ_{k≤m} purchase_k·(v(m−k) − v(m−k+1))."""
    purchase = s.vals["hardware_purchase"]
    horizon = len(purchase)
    residual = getattr(s.pp, "residual", "straight_line")
    if residual == "none":
        return purchase.copy()
    ages = np.arange(horizon, dtype=float)
    if residual == "declining_balance":
        keep = 1 - s.pv("serving.residual.declining_balance")
        drop = keep ** (ages / 12) - keep ** ((ages + 1) / 12)
    else:
        life = 12 * s.pv("serving.depreciation_years")
        drop = (np.minimum(ages + 1, life) - np.minimum(ages, life)) / life
    return np.array([float(np.dot(purchase[: m + 1], drop[m::-1])) for m in range(horizon)])


def _depreciation_formula(s: PathSheet):
    """dep[m] = Σ_{k≤m} purchase_k·(v(m−k) − v(m−k+1)), v the value share after a whole months
    (analysis.finance.depreciation): straight line v(a) = clip(1 − a/L, 0, 1), L = 12·depreciation_years,
    written min(a, L) = a + (a > L)·(L − a); declining balance v(a) = (1 − rate)^(a/12); none: expensed
    in the month bought."""
    first = s.book.first_row
    residual = getattr(s.pp, "residual", "straight_line")
    first_cell = f"${s.cols['hardware_purchase']}${first}"
    if residual == "none":
        return lambda r, m: f"={s.c('hardware_purchase', r)}"
    if residual == "declining_balance":
        keep = f"(1-{s.p('serving.residual.declining_balance')})"

        def declining(r: int, m: int) -> str:
            ages = f"(A{r}-$A${first}:A{r})"
            return (f"=SUMPRODUCT({first_cell}:{s.c('hardware_purchase', r)},"
                    f"{keep}^({ages}/12)-{keep}^(({ages}+1)/12))")

        return declining
    L = f"(12*{s.p('serving.depreciation_years')})"

    def straight(r: int, m: int) -> str:
        ages = f"(A{r}-$A${first}:A{r})"
        upper = f"(({ages}+1)+(({ages}+1)>{L})*({L}-({ages}+1)))"
        lower = f"({ages}+({ages}>{L})*({L}-{ages}))"
        return f"=SUMPRODUCT({first_cell}:{s.c('hardware_purchase', r)},{upper}-{lower})/{L}"

    return straight
