"""The finance workbook: every figure of `compare` as a spreadsheet FORMULA over an Inputs sheet.

Sheets: `Inputs` (every numeric input, one per row: field path as `--set` takes it, value as a
defined name, unit, source), `Workload` (tokens, peak load and discount factor per month), one
sheet per path (a row per month: each cost component, total, discounted cost, cumulative; the
path's scalars — go-live, run cost, replica throughput — above the month table, named), then
`Break-even` and `Summary` (total, NPV, cost per 1M tokens, levelised cost, break-even months,
winner). The formulas mirror the engine mechanisms' docstring equations (engine/mechanisms/*.py)
in plain functions (no macros, no LAMBDA, no dynamic arrays), so LibreOffice and Excel agree.

`auto` results (estimates, catalog prices) enter as values: changing an input does not re-run an
estimator. A term the workbook cannot express enters as the engine's values, and the sheet and
the Summary's notes say which (see `uncovered`).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from buildorbuy.engine.mechanisms.api_fees import TOKEN_TYPES
from buildorbuy.render.i18n import component_label, t

MONTH_HOURS = 730.0
SECONDS_PER_MONTH = MONTH_HOURS * 3600.0
FIRST_ROW_KEYS = ("month", "tokens")


def require_xlsxwriter():
    """Import XlsxWriter or raise the one-line error of the `export` extra (before any work)."""
    from buildorbuy.errors import OutputError

    try:
        import xlsxwriter  # noqa: F401
    except ImportError:
        raise OutputError("export needs XlsxWriter: pip install 'buildorbuy[export]'") from None
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


def unit_of(key: str, currency: str) -> str:
    last = key.rsplit(".", 1)[-1]
    if last.startswith("price_per_1k"):
        return f"{currency}/1k tokens"
    if re.match(r"schedule\[\d+\]", last) or key.startswith("workload.schedule"):
        return "tokens/month"
    return UNITS.get(last, "").format(cur=currency)


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

    def n(self, key: str) -> str:
        return self.names[key]

    def has(self, key: str) -> bool:
        return key in self.names


def quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def sheet_title(index: int, name: str) -> str:
    clean = re.sub(r"[\[\]:*?/\\']", " ", name).strip()
    return f"{index + 1} {clean}"[:31]


# ------------------------------------------------------------------------------------------ Inputs

def _sources(plan, result) -> list[tuple[str, float, str]]:
    """(key, value, source) of every parameter, in the scenario's order."""
    from buildorbuy.scenario.loading import OVERRIDDEN, split_field_path

    scenario = plan.scenario
    methods = plan.methods({k: v[:1] for k, v in result.params.items()})
    lines = scenario._lines or {}
    file_name = scenario._source.rsplit("/", 1)[-1] if scenario._source else None
    rows = []
    for key in list(plan.base) + [d.key for d in plan.derived if d.key not in plan.base]:
        if key not in result.params:
            continue
        value = float(result.params[key][0])
        if key in methods:
            source = f"estimated: {methods[key]}"
        else:
            try:
                where = lines.get(tuple(split_field_path(key)))
            except Exception:  # noqa: BLE001 - a key that does not parse has no line
                where = None
            if where == OVERRIDDEN:
                source = "user input (--set)"
            elif where is not None:
                source = f"user input ({file_name}:{where})" if file_name else "user input"
            elif file_name is None and _given(scenario, key):
                source = "user input"
            else:
                source = "default"
        rows.append((key, value, source))
    return rows


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


DERIVED_FORMULAS = {
    "from growth_per_year": lambda book, key: f"=(1+{book.n('workload.growth_per_year')})^(1/12)-1",
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
    rows = _sources(plan, book.result)
    for r, (key, value, source) in enumerate(rows, start=1):
        book.names[key] = defined_name(key)
    for r, (key, value, source) in enumerate(rows, start=1):
        ws.write_string(r, 0, key)
        d = derived.get(key)
        method = d.method if d is not None and isinstance(d.method, str) else ""
        formula = None
        if d is not None and key not in book.result.plan.base:
            prefix = next((p for p in DERIVED_FORMULAS if method.startswith(p)), None)
            if prefix is not None:
                formula = DERIVED_FORMULAS[prefix](book, key)
            elif method.startswith("default: "):
                target = _default_target(key, method[len("default: "):])
                if target is not None and target in book.names and target != key:
                    formula = f"={book.n(target)}"
        if formula is not None:
            ws.write_formula(r, 1, formula, fmt["input"])
            source = source.replace("estimated: ", "formula: ", 1)
        else:
            ws.write_number(r, 1, value, fmt["input"])
        ws.write_string(r, 2, unit_of(key, currency))
        ws.write_string(r, 3, source)
        book.wb.define_name(book.names[key], f"={quote(ws.name)}!$B${r + 1}")
    r = len(rows) + 2
    ws.write_string(r, 0, t("xl.constants", lang), fmt["header"])
    for name, (value, label) in _constants(book).items():
        r += 1
        ws.write_string(r, 0, label)
        ws.write_number(r, 1, value, fmt["input"])
        ws.write_string(r, 3, t("xl.constant_source", lang))
        book.names[name] = name
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
                        offset, f"paths[{pp.index}] {kind} discount of {token_type} minus input's (price data)")
            continue
        out[f"c_p{pp.index}_peak_flops"] = (float(pp.compute_gpu.peak_flops("bf16")),
                                           f"paths[{pp.index}] {pp.compute_gpu.id} peak dense BF16 FLOP/s (catalog)")
        if pp.kind == "finetune":
            from buildorbuy.estimators.finetune import FLOPS_PER_PARAM_TOKEN

            method = book.plan.scenario.paths[pp.index].finetune.method
            out[f"c_p{pp.index}_flops_per_param_token"] = (float(FLOPS_PER_PARAM_TOKEN[method]),
                                                          f"paths[{pp.index}] FLOPs per parameter and token ({method})")
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
    for m in range(horizon):
        row = first + m
        ws.write_number(row - 1, 0, m)
        if schedule:
            ws.write_formula(row - 1, 1, f"={book.n(f'workload.schedule[{m}]')}", fmt["num"])
        else:
            ws.write_formula(row - 1, 1, f"={book.n('workload.tokens_per_month')}*(1+{book.n('workload.growth_per_month')})^A{row}",
                             fmt["num"])
        ws.write_formula(row - 1, 2, f"=B{row}*({book.n('workload.peak_to_average')}/{SECONDS_PER_MONTH:.0f})", fmt["num"])
        ws.write_formula(row - 1, 3, f"=(1+{book.n('discount_rate')})^(-A{row}/12)", fmt["factor"])
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
        self.order: list[tuple[str, str]] = []
        self.scalar_row = 2
        book.columns[index] = self.cols
        book.scalars[index] = {}
        self.ws.write_string(0, 0, self.pp.name, fmt["title"])
        self.ws.set_column(0, 0, 30)
        self.ws.set_column(1, 60, 16)
        self.column("month", t("xl.col.month", book.lang), None, "int", values=np.arange(book.plan.horizon), pasted=False)

    # -- helpers
    def p(self, name: str) -> str:
        return self.book.n(self.prefix + name)

    def has(self, name: str) -> bool:
        return self.book.has(self.prefix + name)

    def scalar(self, key: str, label: str, formula: str) -> str:
        """A named scalar above the month table (e.g. go-live month)."""
        name = f"p{self.index}_{key}"
        r = self.scalar_row
        self.ws.write_string(r, 0, label)
        self.ws.write_formula(r, 1, formula, self.fmt["num"])
        self.ws.write_string(r, 2, key, self.fmt["key"])
        self.book.wb.define_name(name, f"={quote(self.ws.name)}!$B${r + 1}")
        self.book.scalars[self.index][key] = name
        self.scalar_row += 1
        return name

    def column(self, key: str, label: str, formula_at, style: str = "num", values: np.ndarray | None = None,
               pasted: bool = True) -> str:
        """Add a month column; `formula_at(row, m)` gives the formula of Excel row `row` (month m)."""
        from xlsxwriter.utility import xl_col_to_name

        col = len(self.order)
        letter = xl_col_to_name(col)
        self.cols[key] = letter
        self.order.append((key, label))
        first = self.book.first_row
        self.ws.write_string(first - 3, col, label, self.fmt["header"])
        self.ws.write_string(first - 2, col, key, self.fmt["key"])
        fmt = self.fmt[style]
        for m in range(self.book.plan.horizon):
            row = first + m
            if values is not None:
                self.ws.write_number(row - 1, col, float(values[m]), self.fmt["pasted" if pasted else style])
            else:
                self.ws.write_formula(row - 1, col, formula_at(row, m), fmt)
        return letter

    def c(self, key: str, row: int) -> str:
        return f"{self.cols[key]}{row}"

    def rng(self, key: str, upto: int | None = None) -> str:
        first = self.book.first_row
        last = first + self.book.plan.horizon - 1 if upto is None else upto
        return f"${self.cols[key]}${first}:${self.cols[key]}${last}"

    def wl(self, col: str, row: int) -> str:
        return f"{quote(self.workload)}!{col}{row}"

    def pasted(self, key: str, label: str, component: str) -> str:
        """A component the workbook cannot express: the engine's values, marked as such."""
        values = self.book.result.components[component][0, self.index]
        self.book.uncovered.append(f"{self.pp.name}: {component_label(component, self.book.lang)}")
        return self.column(key, label + " " + t("xl.pasted_mark", self.book.lang), None, values=values)


def _weights(s: PathSheet, live: str) -> None:
    """live flag, success weight p·live and fallback weight (1 − live) + (1 − p)·live."""
    p = s.p("success_probability")
    s.column("live", t("xl.col.live", s.book.lang), lambda r, m: f"=IF(A{r}>={live},1,0)", "int")
    s.column("success_weight", t("xl.col.success_weight", s.book.lang), lambda r, m: f"={s.c('live', r)}*{p}", "factor")
    s.column("fallback_weight", t("xl.col.fallback_weight", s.book.lang),
             lambda r, m: f"=(1-{s.c('live', r)})+(1-{p})*{s.c('live', r)}", "factor")


def _first_month_flag(s: PathSheet, key: str, weight_key: str) -> None:
    """1 in the first month whose weight is > 0 (a setup fee's month), else 0."""
    first = s.book.first_row

    def formula(r: int, m: int) -> str:
        before = "0" if m == 0 else f"COUNTIF(${s.cols[weight_key]}${first}:{s.cols[weight_key]}{r - 1},\">0\")"
        return f"=IF(AND({s.c(weight_key, r)}>0,{before}=0),1,0)"

    s.column(key, t("xl.col.first_month", s.book.lang), formula, "int")


def _per_token_fees(s: PathSheet, api: PathSheet | None = None) -> None:
    """An api path's per-token fees at full traffic (api_fees.per_token_fees), column `fees_full`."""
    book, lang, pp = s.book, s.book.lang, s.pp
    n = book.n
    o, c = n("workload.output_share"), n("workload.cached_input_share")
    w = n("workload.cache_write_share") if book.has("workload.cache_write_share") else "0"
    shares = {"input": f"(1-{o})*(1-{c}-{w})", "cached_input": f"(1-{o})*{c}", "cache_write": f"(1-{o})*{w}",
              "output": o}
    write_price = s.p("price_per_1k_cache_write") if s.has("price_per_1k_cache_write") else s.p("price_per_1k_input")
    prices = {"input": s.p("price_per_1k_input"), "cached_input": s.p("price_per_1k_cached_input"),
              "cache_write": write_price, "output": s.p("price_per_1k_output")}
    for token_type, steps in pp.price_steps.items():
        key = f"step_{token_type}"
        s.column(key, t("xl.col.price_step", lang, type=token_type), None, values=steps)
        prices[token_type] = f"{prices[token_type]}*{{{key}}}"
    b, op = s.p("batch_share"), s.p("off_peak_share")

    def kind_discount(kind: str, token_type: str) -> str:
        if not s.has(f"{kind}_discount"):
            return "0"
        offset = f"c_p{s.index}_{kind}_offset_{token_type}"
        return f"({s.p(f'{kind}_discount')}+{offset})" if offset in book.names else s.p(f"{kind}_discount")

    terms = []
    for tt in TOKEN_TYPES:
        mix = f"((1-{b}-{op})+{b}*(1-{kind_discount('batch', tt)})+{op}*(1-{kind_discount('off_peak', tt)}))"
        terms.append(f"{shares[tt]}*{prices[tt]}*{mix}")
    q = f"({'+'.join(terms)})*(1-{s.p('discount')})/1000"
    change = s.p("price_change_per_year")

    def formula(r: int, m: int) -> str:
        text = q
        for token_type in pp.price_steps:
            text = text.replace(f"{{step_{token_type}}}", s.c(f"step_{token_type}", r))
        return f"={s.wl('B', r)}*{text}*(1+{change})^(A{r}/12)"

    s.column("fees_full", t("xl.col.fees_full", lang), formula)


def _fixed_fees(s: PathSheet, owner_prefix: str, weight_key: str, flag_key: str, r: int) -> str:
    """An api path's fixed_fee_per_month·w + setup_fee·w·first (api_fees.fixed_fees)."""
    n = s.book.n
    return (f"{n(owner_prefix + 'fixed_fee_per_month')}*{s.c(weight_key, r)}"
            f"+{n(owner_prefix + 'setup_fee')}*{s.c(weight_key, r)}*{s.c(flag_key, r)}")


def _staff(s: PathSheet) -> str | None:
    """staff[m] = Σ_j count·annual_cost/12·(1+g)^(m/12)·[start ≤ m < end], × p once live (staff.staff_costs)."""
    count = s.pp.staff_count
    if not count:
        return None

    def formula(r: int, m: int) -> str:
        parts = []
        for j in range(count):
            k = f"staff[{j}]."
            parts.append(f"{s.p(k + 'count')}*{s.p(k + 'annual_cost')}/12*(1+{s.p(k + 'salary_growth_per_year')})^(A{r}/12)"
                         f"*AND(A{r}>={s.p(k + 'start_month')},A{r}<{s.p(k + 'end_month')})")
        return f"=({'+'.join(parts)})*IF({s.c('live', r)}=1,{s.p('success_probability')},1)"

    return s.column("staff", component_label("staff", s.book.lang), formula)


def _bridge(s: PathSheet, sheets: dict[int, PathSheet]) -> None:
    """bridge_fees = bridge per-token fees at full traffic × fallback weight + the bridge's fixed fees
    (bridge.bridge_fees); without a bridge the fallback-weighted tokens are unserved."""
    lang = s.book.lang
    bridge = s.pp.bridge
    if bridge is None:
        s.column("unserved", t("xl.col.unserved", lang), lambda r, m: f"={s.wl('B', r)}*{s.c('fallback_weight', r)}")
        return
    b = sheets[bridge]
    _first_month_flag(s, "bridge_first", "fallback_weight")
    prefix = f"paths[{bridge}]."
    s.column("bridge_fees", component_label("bridge_fees", lang),
             lambda r, m: f"={quote(b.ws.name)}!{b.c('fees_full', r)}*{s.c('fallback_weight', r)}"
                          f"+{_fixed_fees(s, prefix, 'fallback_weight', 'bridge_first', r)}")


def write_api_path(s: PathSheet, sheets: dict[int, PathSheet]) -> list[str]:
    lang = s.book.lang
    live = s.scalar("live_month", t("xl.scalar.live", lang), f"=ROUNDUP({s.p('lead_time_months')},0)")
    _weights(s, live)
    _per_token_fees(s)
    components = []
    if s.pp.has_managed_finetune:
        for name in ("api_fees", "managed_finetune"):
            s.pasted(name, component_label(name, lang), name)
            components.append(name)
        own_weight = None
    else:
        s.column("api_fees", component_label("api_fees", lang), lambda r, m: f"={s.c('fees_full', r)}*{s.c('success_weight', r)}")
        components.append("api_fees")
        own_weight = "success_weight"
        _bridge(s, sheets)
        if s.pp.bridge is not None:
            components.append("bridge_fees")
    if own_weight is not None:
        _first_month_flag(s, "own_first", own_weight)
        s.column("api_fixed_fees", component_label("api_fixed_fees", lang),
                 lambda r, m: f"={_fixed_fees(s, s.prefix, own_weight, 'own_first', r)}")
    else:
        s.pasted("api_fixed_fees", component_label("api_fixed_fees", lang), "api_fixed_fees")
    components.append("api_fixed_fees")
    s.column("data", component_label("data", lang), lambda r, m: f"=IF(A{r}=0,{s.p('data.one_off')},0)")
    components.append("data")
    if _staff(s):
        components.append("staff")
    return components


def _unsupported_serving(path) -> list[str]:
    """Serving terms (from the GPU-fleets work) the month table does not express as formulas."""
    sv = path.serving
    checks = {
        "serving.scaling": getattr(sv, "scaling", "fixed") != "fixed",
        "serving.reserved": bool(getattr(sv, "reserved", None)),
        "serving.max_gpus": getattr(sv, "max_gpus", None) is not None,
        "serving.throughput_change_per_year": (getattr(sv, "throughput_change_per_year", 0) or 0) != 0,
        "serving.owned_gpus": (getattr(sv, "owned_gpus", 0) or 0) != 0,
        "serving.procurement_months": (getattr(sv, "procurement_months", 0) or 0) != 0,
        "serving.maintenance_per_year": getattr(sv, "maintenance_per_year", 0) not in (0, 0.0, None),
        "serving.power_utilization": getattr(sv, "power_utilization", 1) not in (1, 1.0, None),
        "serving.residual": getattr(sv, "residual", "straight_line") not in ("straight_line", None),
        "workload.daily_profile": False,
        "start_month": (getattr(path, "start_month", 0) or 0) != 0,
        "routing": getattr(path, "routing", None) is not None,
    }
    return [name for name, on in checks.items() if on]


def write_hosted_path(s: PathSheet, sheets: dict[int, PathSheet]) -> list[str]:
    """A build or fine-tune path: compute run (compute.compute_run/compute_costs), serving fleet
    (serving.serving_gpus, rented_serving or owned.owned_fleet), data, bridge, staff."""
    book, lang, pp = s.book, s.book.lang, s.pp
    build = pp.kind == "build"
    sec = "training" if build else "finetune"
    i = s.index
    active = s.p("model.active_params")
    if build:
        flops = f"6*{active}*{s.p('model.training_tokens')}"
        overhead, goodput = s.p("training.experiment_overhead"), s.p("training.goodput")
    else:
        flops = f"c_p{i}_flops_per_param_token*{active}*{s.p('finetune.tokens')}*{s.p('finetune.epochs')}"
        overhead, goodput = "1", "1"
    flops = s.scalar("run_flops", t("xl.scalar.flops", lang), f"={flops}")
    gpu_hours = s.scalar("run_gpu_hours", t("xl.scalar.gpu_hours", lang),
                         f"={flops}/(c_p{i}_peak_flops*{s.p(sec + '.mfu')})/3600*{overhead}")
    wall = s.scalar("run_wall_hours", t("xl.scalar.wall_hours", lang), f"={gpu_hours}/{s.p(sec + '.gpus')}/{goodput}")
    run_months = s.scalar("run_months", t("xl.scalar.run_months", lang),
                          f"=MAX(1,CEILING(MAX({wall}/{MONTH_HOURS:g}-1E-9,0),1))")
    live = s.scalar("live_month", t("xl.scalar.live", lang), f"=MAX(ROUNDUP({s.p('lead_time_months')},0),{run_months})")
    run_cost = s.scalar("run_cost", t("xl.scalar.run_cost", lang), f"={gpu_hours}*{s.p(sec + '.gpu_hour_price')}")
    per_replica = s.scalar("gpus_per_replica", t("xl.scalar.per_replica", lang),
                           f"=MAX(ROUND({s.p('serving.gpus_per_replica')},0),1)")
    throughput = s.scalar("replica_throughput", t("xl.scalar.replica_throughput", lang),
                          f"={s.p('serving.tokens_per_second_per_gpu')}*{s.p('serving.target_utilization')}*{per_replica}")
    p = s.p("success_probability")
    _weights(s, live)
    refresh = s.has(f"{sec}.refresh_months")
    if refresh:
        period = f"MAX(ROUND({s.p(sec + '.refresh_months')},0),1)"
        s.column("refresh", t("xl.col.refresh", lang),
                 lambda r, m: f"=IF(AND(A{r}-{live}>0,MOD(A{r}-{live},{period})=0),1,0)", "int")
    components = []
    compute_key = f"{sec}_compute"

    def compute(r: int, m: int) -> str:
        text = f"=IF(AND(A{r}>={live}-{run_months},A{r}<{live}),{run_cost}/{run_months},0)"
        return text + (f"+{s.c('refresh', r)}*{run_cost}*{p}" if refresh else "")

    s.column(compute_key, component_label(compute_key, lang), compute)
    components.append(compute_key)
    unsupported = _unsupported_serving(s.path)
    if unsupported:
        book.uncovered.append(f"{pp.name}: {', '.join(unsupported)}")
    s.column("gpus", t("xl.col.gpus", lang),
             lambda r, m: f"=IF(A{r}>={live},(MAX(CEILING(MAX({s.wl('C', r)}/{throughput}-1E-9,0),1),1)"
                          f"+ROUNDUP({s.p('serving.redundancy')},0))*{per_replica},0)", "int",
             values=book.result.gpus[0, i] if unsupported else None)
    if pp.ownership == "rent":
        if unsupported:
            s.pasted("serving_rent", component_label("serving_rent", lang), "serving_rent")
        else:
            s.column("serving_rent", component_label("serving_rent", lang),
                     lambda r, m: f"={s.c('gpus', r)}*({MONTH_HOURS:g}*{s.p('serving.gpu_hour_price')}"
                                  f"*(1+{s.p('serving.gpu_hour_price_change_per_year')})^(A{r}/12))*{p}")
        components.append("serving_rent")
    elif unsupported:
        for name in ("hardware_purchase", "power_and_hosting", "residual_credit", "maintenance"):
            if name in book.result.components:
                s.pasted(name, component_label(name, lang), name)
                components.append(name)
    else:
        components += _owned(s, p)
    if _data_refresh(s, refresh):
        pass
    components.append("data")
    _bridge(s, sheets)
    if pp.bridge is not None:
        components.append("bridge_fees")
    if _staff(s):
        components.append("staff")
    return components


def _data_refresh(s: PathSheet, refresh: bool) -> bool:
    """data[m] = one_off in month 0 + p·per_refresh in each refresh month (data.one_off_data, refresh_data)."""
    def formula(r: int, m: int) -> str:
        text = f"=IF(A{r}=0,{s.p('data.one_off')},0)"
        return text + (f"+{s.c('refresh', r)}*{s.p('data.per_refresh')}*{s.p('success_probability')}" if refresh else "")

    s.column("data", component_label("data", s.book.lang), formula)
    return True


def _owned(s: PathSheet, p: str) -> list[str]:
    """Owned fleet (owned.owned_fleet): fleet = running MAX of GPUs; purchases when it grows; running
    costs; residual credit in the last month = −Σ purchases·clip(1 − age/depreciation_years, 0, 1)·p."""
    lang, horizon = s.book.lang, s.book.plan.horizon
    first = s.book.first_row
    unit = f"{s.p('serving.purchase_price')}*(1+{s.p('serving.server_overhead')})"
    s.column("owned_fleet", t("xl.col.owned_fleet", lang),
             lambda r, m: f"={s.c('gpus', r)}" if m == 0 else f"=MAX({s.c('owned_fleet', r - 1)},{s.c('gpus', r)})", "int")
    s.column("purchase_value", t("xl.col.purchase_value", lang),
             lambda r, m: (f"={s.c('owned_fleet', r)}" if m == 0 else f"=({s.c('owned_fleet', r)}-{s.c('owned_fleet', r - 1)})")
             + f"*{unit}")
    s.column("hardware_purchase", component_label("hardware_purchase", lang), lambda r, m: f"={s.c('purchase_value', r)}*{p}")
    kw = f"{s.p('serving.tdp_watts')}/1000" if s.has("serving.tdp_watts") else "0"
    pue = s.p("serving.pue") if s.has("serving.pue") else "1"
    s.column("power_and_hosting", component_label("power_and_hosting", lang),
             lambda r, m: f"={s.c('owned_fleet', r)}*({s.p('serving.hosting_per_gpu_month')}+{kw}*{pue}*{MONTH_HOURS:g}"
                          f"*{s.p('serving.power_price_per_kwh')})*{p}")
    s.column("residual_share", t("xl.col.residual_share", lang),
             lambda r, m: f"=MAX(0,MIN(1,1-(({horizon}-A{r})/12)/{s.p('serving.depreciation_years')}))", "factor")
    last = first + horizon - 1
    s.column("residual_credit", component_label("residual_credit", lang),
             lambda r, m: (f"=-SUMPRODUCT({s.rng('purchase_value')},{s.rng('residual_share')})*{p}" if r == last else "=0"))
    return ["hardware_purchase", "power_and_hosting", "residual_credit"]


def finish_path(s: PathSheet, components: list[str]) -> None:
    """Total, discount factor, discounted cost, cumulative (and before the residual credit), served tokens."""
    lang = s.book.lang
    first = s.book.first_row
    s.column("monthly_cost", t("xl.col.total", lang), lambda r, m: "=" + "+".join(s.c(k, r) for k in components), "total")
    s.column("discount_factor", t("xl.col.discount_factor", lang), lambda r, m: f"={s.wl('D', r)}", "factor")
    s.column("discounted_cost", t("xl.col.discounted", lang), lambda r, m: f"={s.c('monthly_cost', r)}*{s.c('discount_factor', r)}")
    s.column("cumulative_cost", t("xl.col.cumulative", lang),
             lambda r, m: f"=SUM(${s.cols['monthly_cost']}${first}:{s.c('monthly_cost', r)})")
    residual = "residual_credit" in s.cols
    s.column("cumulative_before_residual", t("xl.col.cumulative_before_residual", lang),
             lambda r, m: f"={s.c('cumulative_cost', r)}" + (f"-{s.c('residual_credit', r)}" if residual else ""))
    unserved = f"-{s.c('unserved', 0)}" if "unserved" in s.cols else ""
    s.column("served_tokens", t("xl.col.served", lang),
             lambda r, m: f"={s.wl('B', r)}" + (f"-{s.c('unserved', r)}" if unserved else ""))
    s.ws.freeze_panes(first - 1, 1)
    s.components = components  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------ Summary

SUMMARY_KEYS = ("name", "kind", "live_month", "feasible", "recommendable", "total_cost", "npv", "cost_per_million_tokens",
                "levelised_cost_per_million_tokens", "unserved_tokens", "capex", "residual_credit", "ranked_npv")


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
            for m in range(horizon):
                r = first + m
                ws.write_formula(r - 1, col, f"={cum_a}{r}-{cum_b}{r}<=1E-9*{scale}")
                after = "TRUE" if m == horizon - 1 else f"{holds}{r + 1}"
                ws.write_formula(r - 1, col + 1, f"=AND({le}{r},{after})")
            ws.write_string(first - 4, col, t("xl.breakeven_month", lang), fmt["key"])
            cell = f"{quote(ws.name)}!${holds}${first - 3}"
            ws.write_formula(first - 4, col + 1, f"=IFERROR(MATCH(TRUE,{holds}{first}:{holds}{last},0)-1,\"{t('never', lang)}\")")
            out[(a, b)] = f"{quote(ws.name)}!${holds}${first - 3}"
            del cell
            col += 2
    return out


def write_summary(book: Book, sheets: dict[int, PathSheet], breakeven: dict, fmt: dict) -> None:
    ws = book.wb.add_worksheet(t("xl.sheet.summary", book.lang))
    lang, plan, result = book.lang, book.plan, book.result
    horizon = plan.horizon
    n = len(plan.paths)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 20, 18)
    ws.write_string(0, 0, plan.scenario.name, fmt["title"])
    ws.write_string(1, 0, t("xl.summary_note", lang, cur=plan.scenario.currency))
    labels = [t("xl.col.path", lang), t("xl.col.kind", lang), t("xl.scalar.live", lang), t("xl.col.feasible", lang),
              t("xl.col.recommendable", lang), t("xl.col.total_cost", lang), t("xl.col.npv", lang), t("xl.col.per_1m", lang),
              t("xl.col.levelised", lang), t("xl.col.unserved_total", lang), t("xl.col.capex", lang),
              t("xl.col.residual", lang), t("xl.col.ranked_npv", lang)]
    head = 3
    ws.write_row(head, 0, labels, fmt["header"])
    ws.write_row(head + 1, 0, list(SUMMARY_KEYS), fmt["key"])
    first = book.first_row
    last = first + horizon - 1
    top = head + 2  # 0-based row of the first path
    max_lead = book.n("constraints.max_lead_time_months") if book.has("constraints.max_lead_time_months") else None
    for i in range(n):
        s = sheets[i]
        q = quote(s.ws.name)
        r = top + i + 1  # Excel row
        col = lambda key: f"{q}!${s.cols[key]}${first}:${s.cols[key]}${last}"  # noqa: E731
        static_ok = plan.paths[i].infeasible is None
        feasible = "TRUE" if static_ok else "FALSE"
        if max_lead is not None:
            feasible = f"AND({feasible},{book.scalars[i]['live_month']}<={max_lead})"
        unserved = f"SUM({col('unserved')})" if "unserved" in s.cols else "0"
        capex = f"SUM({col('hardware_purchase')})" if "hardware_purchase" in s.cols else "0"
        residual = f"SUM({col('residual_credit')})" if "residual_credit" in s.cols else "0"
        ws.write_string(r - 1, 0, plan.paths[i].name)
        ws.write_string(r - 1, 1, plan.paths[i].kind)
        ws.write_formula(r - 1, 2, f"={book.scalars[i]['live_month']}", fmt["int"])
        ws.write_formula(r - 1, 3, f"={feasible}")
        ws.write_formula(r - 1, 4, f"=AND(D{r},J{r}<=0,C{r}<{horizon})")
        ws.write_formula(r - 1, 5, f"=SUM({col('monthly_cost')})", fmt["total"])
        ws.write_formula(r - 1, 6, f"=SUM({col('discounted_cost')})", fmt["total"])
        ws.write_formula(r - 1, 7, f"=IF(SUM({col('served_tokens')})>0,F{r}/SUM({col('served_tokens')})*1000000,\"\")", fmt["unit"])
        ws.write_formula(r - 1, 8, f"=IF(SUMPRODUCT({col('served_tokens')},{col('discount_factor')})>0,"
                                   f"G{r}/SUMPRODUCT({col('served_tokens')},{col('discount_factor')})*1000000,\"\")", fmt["unit"])
        ws.write_formula(r - 1, 9, f"={unserved}", fmt["num"])
        ws.write_formula(r - 1, 10, f"={capex}", fmt["num"])
        ws.write_formula(r - 1, 11, f"={residual}", fmt["num"])
        ws.write_formula(r - 1, 12, f"=IF(E{r},G{r},\"\")", fmt["total"])
    rows = f"$A${top + 1}:$A${top + n}"
    ranked = f"$M${top + 1}:$M${top + n}"
    npv = f"$G${top + 1}:$G${top + n}"
    r = top + n + 2
    ws.write_string(r - 1, 0, t("xl.winner", lang), fmt["header"])
    ws.write_formula(r - 1, 1, f"=IF(COUNT({ranked})=0,\"{t('xl.none', lang)}\",INDEX({rows},MATCH(MIN({ranked}),{ranked},0)))")
    ws.write_string(r - 1, 2, "winner", fmt["key"])
    winner_row = r
    r += 1
    ws.write_string(r - 1, 0, t("xl.margin", lang))
    ws.write_formula(r - 1, 1, f"=IF(COUNT({ranked})<2,\"\",SMALL({ranked},2)-MIN({ranked}))", fmt["total"])
    ws.write_string(r - 1, 2, "margin", fmt["key"])
    del npv, winner_row
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
                ws.write_formula(r - 1, 1 + b, f"={breakeven[(a, b)]}", fmt["int"])
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


def build_workbook(plan, result, *, lang: str = "en", accounting: bool = False,
                   fast_formulas: bool = True) -> tuple[bytes, list[str]]:
    """The workbook as .xlsx bytes, and the list of terms entered as values instead of formulas."""
    xlsxwriter = require_xlsxwriter()
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    if fast_formulas:
        add_worksheet = wb.add_worksheet

        def add_plain_worksheet(name=None):
            ws = add_worksheet(name)
            ws._prepare_formula = _plain_formula
            return ws

        wb.add_worksheet = add_plain_worksheet
    wb.set_properties({"title": plan.scenario.name, "comments": "buildorbuy export: formulas over the Inputs sheet"})
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
    book = Book(wb=wb, lang=lang, plan=plan, result=result, first_row=16)
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
    write_summary(book, sheets, breakeven, fmt)
    # Summary first in the tab order is not possible after creation; it is the active sheet.
    wb.close()
    return buffer.getvalue(), list(book.uncovered)


def write_accounting(book: Book, sheets: dict[int, PathSheet], fmt: dict) -> None:
    """Accounting view: fiscal year per month, depreciation of owned purchases (straight line, as a
    formula: dep[m] = Σ_{k≤m} purchase_k·(min(m−k+1, L) − min(m−k, L))/L with L = 12·depreciation_years),
    and capex / opex / depreciation by fiscal year with SUMIF."""
    lang, plan = book.lang, book.plan
    horizon, first = plan.horizon, book.first_row
    last = first + horizon - 1
    start = plan.scenario.start_date
    fy = book.wb.add_worksheet(t("xl.sheet.accounting", lang))
    fy.set_column(0, 0, 34)
    fy.set_column(1, 60, 16)
    fy.write_string(0, 0, t("title.accounting", lang, month=plan.scenario.fiscal_year_start_month), fmt["title"])
    fiscal_start = plan.scenario.fiscal_year_start_month
    for s in sheets.values():
        s.column("fiscal_year", t("col.fiscal_year", lang),
                 lambda r, m: f"=\"FY\"&({start.year}+INT(({start.month - 1}+A{r}-{fiscal_start - 1})/12))", "int")
        if "purchase_value" in s.cols:
            L = f"(12*{s.p('serving.depreciation_years')})"
            first_cell = f"${s.cols['hardware_purchase']}${first}"

            def dep(r: int, m: int, s=s, L=L, first_cell=first_cell) -> str:
                purchases = f"{first_cell}:{s.c('hardware_purchase', r)}"
                ages = f"(A{r}-$A${first}:A{r})"
                upper = f"(({ages}+1)+(({ages}+1)>{L})*({L}-({ages}+1)))"
                lower = f"({ages}+({ages}>{L})*({L}-{ages}))"
                return f"=SUMPRODUCT({purchases},{upper}-{lower})/{L}"

            s.column("depreciation", t("col.depreciation", lang), dep)
        components = getattr(s, "components", [])
        opex = [k for k in components if k not in ("hardware_purchase", "residual_credit")]
        s.column("opex", t("col.opex", lang), lambda r, m, s=s, opex=opex: "=" + ("+".join(s.c(k, r) for k in opex) or "0"))
    from buildorbuy.analysis.finance import fiscal_years

    labels, _ = fiscal_years(start.year, start.month, horizon, fiscal_start)
    header = [t("col.path", lang), t("col.fiscal_year", lang), t("col.capex", lang), t("col.opex", lang),
              t("col.depreciation", lang), t("col.expense", lang)]
    fy.write_row(2, 0, header, fmt["header"])
    r = 3
    for i, s in sheets.items():
        q = quote(s.ws.name)
        rng = lambda key: f"{q}!${s.cols[key]}${first}:${s.cols[key]}${last}"  # noqa: E731
        for label in labels:
            fy.write_string(r, 0, plan.paths[i].name)
            fy.write_string(r, 1, label)
            crit = f"$B${r + 1}"
            capex = f"SUMIF({rng('fiscal_year')},{crit},{rng('hardware_purchase')})" if "hardware_purchase" in s.cols else "0"
            dep = f"SUMIF({rng('fiscal_year')},{crit},{rng('depreciation')})" if "depreciation" in s.cols else "0"
            fy.write_formula(r, 2, f"={capex}", fmt["num"])
            fy.write_formula(r, 3, f"=SUMIF({rng('fiscal_year')},{crit},{rng('opex')})", fmt["num"])
            fy.write_formula(r, 4, f"={dep}", fmt["num"])
            fy.write_formula(r, 5, f"=D{r + 1}+E{r + 1}", fmt["num"])
            r += 1
        if "depreciation" in s.cols:
            fy.write_string(r, 0, plan.paths[i].name)
            fy.write_string(r, 1, t("row.book_value_end", lang))
            fy.write_formula(r, 5, f"=SUM({rng('hardware_purchase')})-SUM({rng('depreciation')})", fmt["num"])
            r += 1
