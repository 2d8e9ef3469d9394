"""The planning report: one document (Markdown or self-contained HTML) assembled from a Comparison.

The document is built once as a list of blocks (headings, paragraphs, tables, lists, images) and
then written out by a Markdown or an HTML writer, so both formats carry the same content. Charts
come from `render.charts` as bytes; the Markdown links them from `<stem>_charts/`, the HTML
embeds them as base64 PNG.

Optional sections (sensitivity and Monte Carlo) take the `.to_dict()` output of those analyses;
see `tornado_section` and `montecarlo_section`.
"""

from __future__ import annotations

import base64
import html as _html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from buildorbuy.render import compare_views as views
from buildorbuy.render import formatting as fmt
from buildorbuy.render.labels import field_label
from buildorbuy.render.escape import markdown as md
from buildorbuy.render.i18n import accounting_title, kind_label, message, t
from buildorbuy.render.tables import markdown_table

CHART_ORDER = ("cumulative", "components", "gpus", "tornado", "npv_distribution")
TORNADO_TOP = 15
"""The sensitivity section shows the inputs with the widest swings, at most this many (none with no effect)."""


# ---------------------------------------------------------------------- document blocks


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Paragraph:
    text: str
    """Markdown inline text (** for bold is the only markup used); user text in it is escaped with
    `escape.markdown`, and the HTML writer shows those escapes as the plain characters."""


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    right_from: int = 99


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Image:
    name: str
    """Chart name: the files are `<name>.png` and `<name>.svg`."""
    alt: str


@dataclass
class Report:
    blocks: list[Any] = field(default_factory=list)
    lang: str = "en"
    notices: list[str] = field(default_factory=list)
    """Lines also worth printing on stderr (e.g. no CJK font for the charts)."""
    charts: dict[str, dict[str, bytes]] = field(default_factory=dict)

    def chart_files(self, folder: str | Path) -> dict[Path, bytes]:
        """Every chart file the Markdown links: `folder/<name>.png|svg` → bytes."""
        return {Path(folder) / f"{name}.{kind}": data for name, files in self.charts.items() for kind, data in files.items()}

    def markdown(self, chart_folder: str) -> str:
        return to_markdown(self.blocks, chart_folder)

    def html(self) -> str:
        return to_html(self.blocks, self.charts, self.lang)


# ---------------------------------------------------------------------- sections


def _value(value: Any, lang: str = "en") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and abs(value) >= 1e4 and abs(value - round(value)) < 1e-3 * max(1.0, abs(value)) ** 0.5:
            return f"{round(value):,}"
        return f"{value:.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(_value(v, lang) for v in value) if len(value) <= 6 else t("report.n_values", lang, n=len(value))
    return str(value)


def _leaves(data: Any, index_path: tuple, shown: str):
    """Yield (index_path, shown_name, value) for every leaf; paths are shown by name, not index."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, index_path + (key,), f"{shown}.{key}" if shown else key)
    elif isinstance(data, list) and data and all(isinstance(v, dict) for v in data):
        for i, value in enumerate(data):
            name = value.get("name") if shown == "paths" else None
            yield from _leaves(value, index_path + (i,), f"{shown}[{name if name is not None else i}]")
    else:
        yield index_path, shown, data


def _lookup(raw: Any, index_path: tuple) -> tuple[bool, Any]:
    node = raw
    for part in index_path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return False, None
    return True, node


def assumption_rows(cmp, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    """Every input with its value and source: user input (file:line), an estimate (method) or the default."""
    from buildorbuy.scenario.loading import format_field_path

    scenario = cmp.scenario
    raw = scenario._raw or {}
    source = Path(scenario._source).name if scenario._source else None
    estimates = {key: e for key, e in cmp.estimates.items()}
    for i, p in enumerate(cmp.paths):
        for key, e in p.estimates.items():
            estimates[f"paths[{i}].{key}"] = e
    used: set[str] = set()
    rows = []
    dumped = scenario.model_dump()
    for index_path, shown, value in _leaves(dumped, (), ""):
        key = format_field_path(index_path)
        given, _ = _lookup(raw, index_path)
        if key in estimates:
            used.add(key)
            estimate = estimates[key]
            rows.append([shown, _value(estimate["value"], lang), t("report.src_estimate", lang, method=message(estimate["method"], lang))])
            continue
        if value is None or value == [] or value == {}:
            continue  # unset optional fields and empty collections are no assumption
        if given:
            line = scenario.locate(key)
            if source and line:
                where = t("report.src_user", lang, file=source, line=line)
            elif source:
                where = t("report.src_user_noline", lang, file=source)
            else:
                where = t("report.src_user_set", lang)
        else:
            where = t("report.src_default", lang)
        uncertain = scenario._distributions.get(key)
        if uncertain is not None:
            where = t("report.src_distribution", lang, where=where, dist=uncertain.distribution.describe())
        rows.append([shown, _value(value, lang), where])
    names = [p.name for p in cmp.paths]
    for key, estimate in estimates.items():
        if key in used:
            continue
        from buildorbuy.analysis._common import shown_field

        shown = shown_field(key, names)
        rows.append([shown, _value(estimate["value"]), t("report.src_estimate", lang, method=message(estimate["method"], lang))])
    return [t("col.field", lang), t("col.value", lang), t("col.source", lang)], rows


def question_blocks(cmp, lang: str) -> list[Any]:
    sc = cmp.scenario
    workload = sc.workload
    growth_estimate = cmp.estimates.get("workload.growth_per_month", {}).get("value")
    growth = growth_estimate if growth_estimate is not None else workload.growth_per_month
    if workload.schedule is not None:
        growth_text = t("report.schedule", lang)
    elif growth:
        growth_text = t("report.growth", lang, rate=f"{growth:.1%}")
    else:
        growth_text = t("report.no_growth", lang)
    tokens = cmp.tokens[0] if cmp.tokens else 0.0
    text = t("report.question", lang, count=len(cmp.paths), horizon=sc.horizon, start=f"{sc.start_date:%Y-%m}",
             tokens=fmt.tokens(tokens), growth=growth_text, cur=sc.currency, rate=f"{sc.discount_rate:.1%}")
    items = [t("report.path_item", lang, name=md(p.name), kind=kind_label(p.kind, lang), month=p.live_month) for p in cmp.paths]
    return [Heading(2, t("report.question_h", lang)), Paragraph(md(text)), Paragraph(t("report.paths_are", lang)), Bullets(items)]


def tornado_rows(data: Any, lang: str = "en", scenario: Any = None) -> dict[str, Any] | None:
    """Normalise a tornado result's `.to_dict()` into {"metric", "baseline", "rows": [{input, low, high, at_low, at_high}]}.

    Accepts a bare list of inputs or a mapping holding one under "inputs"/"rows"/"parameters"; each
    input names itself by "field"/"input"/"name"/"parameter" and gives its low and high values and
    the metric at each ("metric_low"/"at_low"/"low_metric"/"low_npv"…). Rows come widest swing first.
    """
    if data is None:
        return None
    meta: dict[str, Any] = {}
    items = data
    if isinstance(data, dict):
        meta = data
        items = next((data[k] for k in ("inputs", "rows", "parameters", "bars") if isinstance(data.get(k), list)), [])
    rows = []
    for item in items or []:
        if not isinstance(item, dict):
            continue
        name = next((item[k] for k in ("param", "field", "input", "name", "parameter") if item.get(k) is not None), "?")
        at_low = next((item[k] for k in ("metric_low", "at_low", "low_metric", "low_npv", "npv_low", "value_at_low") if item.get(k) is not None), None)
        at_high = next((item[k] for k in ("metric_high", "at_high", "high_metric", "high_npv", "npv_high", "value_at_high") if item.get(k) is not None), None)
        if at_low is None or at_high is None:
            continue
        rows.append({"input": str(name), "low": item.get("low"), "high": item.get("high"),
                     "at_low": float(at_low), "at_high": float(at_high),
                     "label": field_label(scenario, str(name), lang) if scenario is not None else str(name),
                     "labels": {code: field_label(scenario, str(name), code) if scenario is not None else str(name)
                                for code in ("en", lang)}})
    rows = [r for r in rows if r["at_high"] != r["at_low"]]
    if not rows:
        return None
    rows.sort(key=lambda r: abs(r["at_high"] - r["at_low"]), reverse=True)
    rows = rows[:TORNADO_TOP]
    metric = str(meta.get("metric") or meta.get("metric_name") or "NPV")
    metric = {"npv": "NPV"}.get(metric, metric)
    path = meta.get("path") or meta.get("winner")
    chart = {}
    if metric == "margin" and path and meta.get("runner_up"):
        chart = {code: t("report.metric_margin_chart", code, winner=path, runner=meta["runner_up"]) for code in ("en", lang)}
        metric = t("report.metric_margin", lang, winner=path, runner=meta["runner_up"])
    elif path:
        metric = f"{metric} · {path}"
    baseline = next((meta[k] for k in ("base_metric", "baseline", "base") if isinstance(meta.get(k), (int, float))), None)
    return {"metric": metric, "baseline": float(baseline) if isinstance(baseline, (int, float)) else None, "rows": rows,
            "chart_metric": chart or {"en": metric, lang: metric}}


def tornado_section(data: Any, lang: str = "en", *, currency: str = "", with_chart: bool = True, scenario: Any = None) -> list[Any]:
    """Blocks for the sensitivity section from a tornado result's `.to_dict()` (empty if unusable).

    Inputs are labelled in words (with `scenario`), the dotted field path kept in its own column."""
    norm = tornado_rows(data, lang, scenario)
    if norm is None:
        return []
    metric = norm["metric"]
    short = t("report.metric_margin_short", lang) if isinstance(data, dict) and data.get("metric") == "margin" else metric
    header = [t("report.col_input", lang), t("report.col_field", lang), t("report.col_low", lang), t("report.col_high", lang),
              t("report.col_at_low", lang, metric=short), t("report.col_at_high", lang, metric=short), t("report.col_swing", lang)]
    rows = [[r["label"], r["input"], _value(r["low"]) if r["low"] is not None else "—", _value(r["high"]) if r["high"] is not None else "—",
             fmt.money(r["at_low"]), fmt.money(r["at_high"]), fmt.money(abs(r["at_high"] - r["at_low"]))] for r in norm["rows"]]
    blocks: list[Any] = [Heading(2, t("report.tornado_h", lang)), Paragraph(md(t("report.tornado_intro", lang, metric=metric)))]
    if with_chart:
        blocks.append(Image("tornado", t("report.chart_alt.tornado", lang)))
    blocks.append(Table(header, rows, right_from=2))
    return blocks


def montecarlo_section(data: Any, lang: str = "en", *, with_chart: bool = False) -> list[Any]:
    """Blocks for the Monte Carlo section from a simulation result's `.to_dict()`:
    `samples`, `seed`, `paths` [{name, npv_p10, npv_p50, npv_p90, win_probability}]."""
    if not isinstance(data, dict) or not isinstance(data.get("paths"), list) or not data["paths"]:
        return []
    header = [t("col.path", lang), t("report.col_p10", lang), t("report.col_p50", lang), t("report.col_p90", lang),
              t("report.col_win", lang)]
    rows = []
    for p in data["paths"]:
        win = p.get("win_probability")
        rows.append([str(p.get("name", "?")), fmt.money(p.get("npv_p10")), fmt.money(p.get("npv_p50")), fmt.money(p.get("npv_p90")),
                     fmt.percent(win) if isinstance(win, (int, float)) else "—"])
    samples = data.get("samples")
    intro = t("report.mc_intro", lang, samples=f"{samples:,}" if isinstance(samples, int) else samples, seed=data.get("seed"))
    blocks: list[Any] = [Heading(2, t("report.mc_h", lang)), Paragraph(md(intro))]
    if with_chart:
        blocks.append(Image("npv_distribution", t("report.chart_alt.npv_dist", lang)))
    blocks.append(Table(header, rows, right_from=1))
    return blocks


DECIDE_TOP_INPUTS = 8
"""'Before you decide' lists the inputs with the largest EVPPI, at most this many."""
DECIDE_TOP_CONDITIONS = 5
"""…and at most this many what-if conditions per path."""


def decision_section(*, voi: Any = None, whatif: Any = None, when: Any = None, lang: str = "en", currency: str = "",
                     names: Sequence[str] = ()) -> list[Any]:
    """Blocks for "Before you decide" from `voi(...)`, `whatif(...)` and `when(...)` `.to_dict()` (each may be None).

    Each question is one builder returning its paragraph and table. `names` (the paths in order) show
    `paths[1].x` as `paths[Name].x`.
    """
    def shown(key: Any) -> str:
        from buildorbuy.analysis._common import shown_field

        return shown_field(str(key), list(names))

    from buildorbuy.render.when_render import report_blocks as when_blocks

    parts = [_voi_blocks(voi, lang, currency, shown), _whatif_blocks(whatif, lang, shown), when_blocks(when, lang, currency)]
    body = [block for part in parts for block in part]
    return [Heading(2, t("report.decide_h", lang))] + body if body else []


def _voi_blocks(data: Any, lang: str, currency: str, shown) -> list[Any]:
    if not isinstance(data, dict) or data.get("evpi") is None or not data.get("decision_now"):
        return []
    samples = data.get("samples")
    text = t("report.decide_voi", lang, path=md(data["decision_now"]), samples=f"{samples:,}" if isinstance(samples, int) else samples,
             evpi=fmt.money(data["evpi"]), cur=currency)
    header = [t("voi.col_input", lang), t("voi.col_evppi", lang, cur=currency), t("voi.col_se", lang), t("voi.col_share", lang)]
    rows = []
    worth = [item for item in data.get("inputs") or [] if isinstance(item.get("evppi"), (int, float)) and item["evppi"] > 0]
    for item in worth[:DECIDE_TOP_INPUTS]:
        share = item.get("share_of_evpi")
        rows.append([shown(item.get("field", "?")), fmt.money(item.get("evppi")), fmt.money(item.get("se")),
                     "—" if share is None else f"{share:.0%}"])
    return [Paragraph(text), Table(header, rows, right_from=1)] if rows else [Paragraph(text)]


def _whatif_blocks(data: Any, lang: str, label) -> list[Any]:
    if not isinstance(data, dict) or not data.get("winner"):
        return []
    shown: dict[str, int] = {}
    rows = []
    for c in data.get("conditions") or []:
        path = str(c.get("path"))
        if shown.get(path, 0) >= DECIDE_TOP_CONDITIONS:
            continue
        shown[path] = shown.get(path, 0) + 1
        current, value, change = c.get("current"), c.get("value"), c.get("change_fraction")
        if not isinstance(current, (int, float)) or not isinstance(value, (int, float)):
            continue
        sign = "≥" if value > current else "≤"
        moved = "—" if change is None else f"{change:+.0%}".replace("-", "−")
        rows.append([path, label(c.get("field")), fmt.number(current), f"{sign} {fmt.number(value)}", moved,
                     t("whatif.step", lang) if c.get("at_step") else ""])
    if not rows:
        return []
    header = [t("report.decide_col_path", lang), t("whatif.col_input", lang), t("whatif.col_today", lang), t("whatif.col_ties", lang),
              t("whatif.col_change", lang), ""]
    blocks: list[Any] = [Paragraph(t("report.decide_whatif", lang, winner=md(data["winner"])))]
    if any(row[-1] for row in rows):
        blocks += [Table(header, rows, right_from=2), Paragraph(t("whatif.step_note", lang))]
    else:
        blocks.append(Table(header[:-1], [row[:-1] for row in rows], right_from=2))
    return blocks


def npv_samples_from(data: Any) -> dict[str, list[float]] | None:
    """Per-path arrays of NPV samples from a Monte Carlo `.to_dict()`, when it carries them."""
    if not isinstance(data, dict):
        return None
    found = {}
    for p in data.get("paths") or []:
        values = p.get("npv_samples") if isinstance(p, dict) else None
        if isinstance(values, (list, tuple)) and values:
            found[str(p.get("name"))] = list(values)
    if not found and isinstance(data.get("npv_samples"), dict):
        found = {str(k): list(v) for k, v in data["npv_samples"].items() if v}
    return found or None


def build_report(
    cmp,
    *,
    lang: str = "en",
    tornado: Any = None,
    montecarlo: Any = None,
    npv_samples: dict[str, Sequence[float]] | None = None,
    voi: Any = None,
    whatif: Any = None,
    when: Any = None,
    charts: bool = True,
    cjk_font: str | None | bool = True,
) -> Report:
    """Assemble the planning document (and render its charts when `charts`)."""
    from buildorbuy import __version__

    sc = cmp.scenario
    report = Report(lang=lang)
    norm_tornado = tornado_rows(tornado, lang, sc)
    if npv_samples is None:
        npv_samples = npv_samples_from(montecarlo)
    if not montecarlo:
        npv_samples = None  # the chart belongs to the Monte Carlo section
    if charts:
        from buildorbuy.render.charts import render_charts

        chart_set = render_charts(cmp, lang=lang, tornado=norm_tornado, npv_samples=npv_samples, font=cjk_font)
        report.charts = chart_set.files
        if chart_set.notice:
            report.notices.append(chart_set.notice)
    have = set(report.charts)

    def image(name: str) -> list[Any]:
        return [Image(name, t(f"report.chart_alt.{name}", lang))] if name in have else []

    reco = cmp.recommendation
    b: list[Any] = [Heading(1, t("report.title", lang, name=sc.name)), Paragraph(md(views.heading(cmp, lang)))]
    b += [Heading(2, t("report.reco_h", lang)),
          Paragraph((t("report.reco_path", lang, path=md(reco["path"])) if reco.get("path") else t("report.reco_none", lang))
                    + " " + md(views.reason(cmp, lang)))]
    b += question_blocks(cmp, lang)
    b += [Heading(2, t("report.summary_h", lang)), Table(*views.summary_rows(cmp, lang), right_from=2)]
    notes = views.notes(cmp, lang)
    if notes:
        b.append(Bullets([md(note) for note in notes]))
    b += image("cumulative")
    b += [Heading(2, t("report.by_year_h", lang)), Table(*views.yearly_rows(cmp, lang), right_from=1)]
    b += [Heading(2, t("report.components_h", lang))] + image("components")
    b += [Heading(3, t("report.components_all", lang)), Table(*views.all_component_rows(cmp, lang), right_from=2)]
    b.append(Heading(2, t("report.breakeven_h", lang)))
    header, rows = views.breakeven_rows(cmp, lang)
    b.append(Table(header, rows) if rows else Paragraph(t("report.breakeven_none", lang)))
    header, rows = views.switch_rows(cmp, lang)
    if rows:
        b += [Heading(2, t("title.switch", lang)), Table(header, rows)]
    header, rows = views.accounting_rows(cmp, lang)
    if rows:
        b += [Heading(2, accounting_title(lang, sc.fiscal_year_start_month)), Table(header, rows, right_from=2)]
    fleet_header, fleet = views.fleet_rows(cmp, lang)
    if "gpus" in have or fleet:
        b += [Heading(2, t("report.gpus_h", lang))] + image("gpus")
    if fleet:
        b += [Heading(3, t("title.fleet", lang)), Table(fleet_header, fleet, right_from=1)]
    b += image("fleet_search")
    b += tornado_section(tornado, lang, currency=sc.currency, with_chart="tornado" in have, scenario=sc)
    b += montecarlo_section(montecarlo, lang, with_chart="npv_distribution" in have)
    b += decision_section(voi=voi, whatif=whatif, when=when, lang=lang, currency=sc.currency, names=[p.name for p in cmp.paths])
    b += [Heading(2, t("report.assumptions_h", lang)), Paragraph(t("report.assumptions_intro", lang)),
          Table(*assumption_rows(cmp, lang))]
    if cmp.warnings:
        b += [Heading(2, t("report.warnings_h", lang)), Bullets([md(message(w, lang)) for w in cmp.warnings])]
    if report.notices:
        b += [Heading(2, t("report.notice_h", lang)), Bullets([md(n) for n in report.notices])]
    source = Path(sc._source).name if sc._source else sc.name
    b.append(Paragraph(f"*{md(t('report.footer', lang, version=__version__, file=source))}*"))
    report.blocks = b
    return report


# ---------------------------------------------------------------------- writers


def to_markdown(blocks: list[Any], chart_folder: str) -> str:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out += ["#" * block.level + " " + md(block.text), ""]
        elif isinstance(block, Paragraph):
            out += [block.text, ""]
        elif isinstance(block, Table):
            out += [markdown_table(block.header, block.rows, right_from=block.right_from), ""]
        elif isinstance(block, Bullets):
            out += [f"- {item}" for item in block.items] + [""]
        elif isinstance(block, Image):
            out += [f"![{block.alt}]({chart_folder}/{block.name}.png)", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _inline(text: str) -> str:
    """Escape, then turn **bold** and *italic* into tags (the only inline markup the report uses)."""
    import re

    escaped: list[str] = []

    def hide(match: re.Match) -> str:  # a backslash-escaped character is text, never markup
        escaped.append(match.group(1))
        return f"\ue000{len(escaped) - 1}\ue001"

    text = re.sub(r"\\([!-/:-@\[-`{-~])", hide, _plain(text))
    text = _html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", text)
    return re.sub("\ue000([0-9]+)\ue001", lambda m: _html.escape(escaped[int(m.group(1))], quote=False), text)


_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;
max-width:1000px;margin:2em auto;padding:0 1em;color:#1f2328;line-height:1.5}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}th,td{border:1px solid #d0d7de;padding:.3em .6em}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;height:auto}h1,h2{border-bottom:1px solid #d8dee4;padding-bottom:.2em}
"""


def _plain(text: Any) -> str:
    from buildorbuy.render.escape import plain_text

    return plain_text(str(text))


def _escape(text: Any) -> str:
    """Text for HTML: control characters replaced (they are not allowed in HTML), then `& < > " '` escaped."""
    return _html.escape(_plain(text))


def to_html(blocks: list[Any], charts: dict[str, dict[str, bytes]], lang: str) -> str:
    """One self-contained HTML file: inline CSS, charts as base64 PNG, no external references."""
    title = next((b.text for b in blocks if isinstance(b, Heading)), "buildorbuy")
    out = ["<!DOCTYPE html>", f'<html lang="{"zh-Hans" if lang == "zh" else "en"}">', "<head>", '<meta charset="utf-8">',
           f"<title>{_escape(title)}</title>", f"<style>{_CSS.strip()}</style>", "</head>", "<body>"]
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"<h{block.level}>{_inline(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            out.append(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Table):
            out.append("<table><thead><tr>" + "".join(f"<th>{_escape(h)}</th>" for h in block.header) + "</tr></thead><tbody>")
            for row in block.rows:
                cells = "".join(
                    f'<td class="num">{_escape(c)}</td>' if i >= block.right_from else f"<td>{_escape(c)}</td>"
                    for i, c in enumerate(row)
                )
                out.append(f"<tr>{cells}</tr>")
            out.append("</tbody></table>")
        elif isinstance(block, Bullets):
            out.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in block.items) + "</ul>")
        elif isinstance(block, Image):
            png = charts.get(block.name, {}).get("png")
            if png:
                data = base64.b64encode(png).decode("ascii")
                out.append(f'<figure><img alt="{_escape(block.alt)}" src="data:image/png;base64,{data}"></figure>')
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------- optional analyses
# INTEGRATION POINT for tornado (analysis/tornado.py) and simulate (analysis/montecarlo.py), which
# live on other branches today. Each runs only if its module exists; any ImportError or
# AttributeError (missing module, renamed function) leaves the section out. Wire-up after merge:
# check the names below against the merged API and drop the guards if you like.


def optional_analyses(scenario, *, samples: int | None = None, seed: int | None = None,
                      estimator_error: bool = False) -> tuple[Any, Any, Any]:
    """(tornado(...).to_dict(), simulate(...).to_dict(), {path: NPV samples}).

    The Monte Carlo parts are None when nothing in the scenario is uncertain (no distributions,
    every success_probability 1): a simulation would only repeat compare.
    """
    from buildorbuy.analysis.montecarlo import is_uncertain, simulate
    from buildorbuy.analysis.tornado import tornado as run_tornado

    from buildorbuy.errors import AnalysisError

    try:
        # ranked by the margin over the runner-up: what moves the decision, not the winner's own costs
        tornado = run_tornado(scenario, metric="margin").to_dict()
    except AnalysisError as exc:
        try:  # only one path can be recommended: its NPV is what remains to test
            tornado = run_tornado(scenario).to_dict() if exc.field == "--metric" else None
        except AnalysisError:  # no path can be recommended: nothing to test the decision against
            tornado = None
    montecarlo = npv_samples = None
    if is_uncertain(scenario) or estimator_error:
        kwargs = {k: v for k, v in (("samples", samples), ("seed", seed)) if v is not None}
        if estimator_error:
            kwargs["estimator_error"] = True
        simulation = simulate(scenario, **kwargs)
        montecarlo = simulation.to_dict()
        npv_samples = {p.name: simulation.npv[:, i] for i, p in enumerate(simulation.paths)}
    return tornado, montecarlo, npv_samples


def decision_analyses(scenario, *, samples: int | None = None, seed: int | None = None,
                      estimator_error: bool = False, notes: list[str] | None = None) -> tuple[Any, Any, Any]:
    """(voi(...).to_dict(), whatif(...).to_dict(), when(...).to_dict()) for "Before you decide".

    The value of information is None when nothing is uncertain or fewer than its minimum samples are
    asked for (it draws the same samples as the Monte Carlo section: same count and seed); what-if is
    None when no path can be recommended or its search would take minutes (then `notes`, when given,
    gets a sentence saying so); when is None without a bridge or a self-hosted path.
    """
    from buildorbuy.analysis.when import when as run_when
    from buildorbuy.analysis.montecarlo import is_uncertain
    from buildorbuy.analysis.voi import MIN_SAMPLES, voi as run_voi
    from buildorbuy.analysis.whatif import whatif as run_whatif
    from buildorbuy.errors import AnalysisError

    from buildorbuy.analysis.whatif import SearchTooLarge

    try:
        whatif = run_whatif(scenario).to_dict()
    except SearchTooLarge as exc:
        whatif = None
        if notes is not None:
            notes.append(f"what would have to be true: left out of 'Before you decide' ({exc.message}; "
                         "run buildorbuy whatif with --param)")
    except AnalysisError:
        whatif = None
    voi = None
    if (is_uncertain(scenario) or estimator_error) and (samples is None or samples >= MIN_SAMPLES):
        try:
            voi = run_voi(scenario, samples, seed, estimator_error=estimator_error).to_dict()
        except AnalysisError:
            voi = None
    try:
        when = run_when(scenario).to_dict()
    except AnalysisError:
        when = None
    return voi, whatif, when
