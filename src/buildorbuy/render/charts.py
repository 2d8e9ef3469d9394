"""Charts for the planning report (matplotlib, an optional extra: `pip install '.[report]'` in a checkout).

matplotlib is imported only inside these functions, with the non-interactive Agg canvas and no
pyplot (no global figure state). Every chart is rendered to bytes (PNG and SVG) in memory; the
caller writes the files. Output is reproducible: a fixed SVG hash salt, no dates in metadata.

Chart text follows `lang` when a font can show it: for Chinese, a CJK font is looked up among the
installed fonts (Noto Sans CJK, WenQuanYi, Source Han…). Without one the charts keep English
labels and `ChartSet.notice` says so.
"""

from __future__ import annotations

import io
import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from buildorbuy.errors import MissingDependencyError, install_hint
from buildorbuy.render import formatting as fmt
from buildorbuy.render.i18n import component_label, t

INSTALL_HINT = f"charts need matplotlib, which is not installed: {install_hint('report')}"

CJK_FONT_NAMES = (
    "Noto Sans CJK SC", "Noto Sans CJK", "Noto Sans SC", "Noto Serif CJK SC", "Source Han Sans SC", "Source Han Sans CN",
    "Source Han Sans", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Sarasa Gothic SC", "Microsoft YaHei", "SimHei",
    "PingFang SC", "Hiragino Sans GB", "Heiti SC", "Droid Sans Fallback", "AR PL UMing CN", "AR PL UKai CN",
)
"""Fonts with Simplified Chinese glyphs, most preferred first."""

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22")
COMPONENT_COLORS = {
    "api_fees": "#4e79a7", "bridge_fees": "#a0cbe8", "managed_finetune": "#f28e2b", "serving_rent": "#e15759",
    "hardware_purchase": "#b07aa1", "power_and_hosting": "#ff9da7", "residual_credit": "#bab0ac",
    "training_compute": "#59a14f", "finetune_compute": "#8cd17d", "data": "#edc948", "staff": "#76b7b2",
    "api_fixed_fees": "#9c755f", "bridge_staff": "#499894",
}
FORMATS = ("png", "svg")
DPI = 110


@dataclass
class ChartSet:
    """Rendered charts: `files[name][format]` holds bytes, e.g. files["cumulative"]["png"]."""

    files: dict[str, dict[str, bytes]] = field(default_factory=dict)
    lang: str = "en"
    """The language the chart labels were drawn in (English when no CJK font was found)."""
    notice: str | None = None


def require_matplotlib() -> Any:
    """Import matplotlib with the Agg backend, or raise a one-line MissingDependencyError."""
    try:
        import matplotlib
    except ImportError:
        raise MissingDependencyError(INSTALL_HINT) from None
    matplotlib.use("Agg", force=True)
    return matplotlib


def find_cjk_font() -> str | None:
    """The family name of an installed font that has Simplified Chinese glyphs, or None."""
    require_matplotlib()
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONT_NAMES:
        if name in installed:
            return name
    for name in sorted(installed):
        if any(key in name for key in ("CJK", "Han Sans", "WenQuanYi", "Hei", "Source Han")):
            return name
    return None


@contextmanager
def _style(font: str | None) -> Iterator[None]:
    matplotlib = require_matplotlib()
    rc = {
        "svg.hashsalt": "buildorbuy",  # stable element ids in SVG
        "svg.fonttype": "path",  # text as paths: the SVG needs no font on the reader's machine
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.unicode_minus": False,
    }
    if font:
        rc["font.sans-serif"] = [font, "DejaVu Sans"]
        rc["font.family"] = "sans-serif"
    with matplotlib.rc_context(rc):
        yield


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _encode(fig, formats: Sequence[str] = FORMATS) -> dict[str, bytes]:
    out = {}
    for kind in formats:
        buffer = io.BytesIO()
        metadata = {"Software": "buildorbuy"} if kind == "png" else {"Date": None, "Creator": "buildorbuy"}
        with warnings.catch_warnings():
            # Path names are user data and may hold glyphs the chosen font lacks (e.g. Chinese names
            # without a CJK font): matplotlib draws a box for them; its warning is not an error here.
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
            fig.savefig(buffer, format=kind, dpi=DPI, metadata=metadata)
        out[kind] = buffer.getvalue()
        if kind == "svg":  # names reach the SVG as text (comments): XML allows no control characters
            from buildorbuy.render.escape import plain_text

            out[kind] = plain_text(out[kind].decode("utf-8")).encode("utf-8")
    return out


def _money_axis(axis) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda value, _pos: fmt.money_short(value)))


def _month_axis(ax, horizon: int) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_xlim(-0.5, horizon - 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=12, integer=True))


# ---------------------------------------------------------------------- the charts


MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
"""One marker shape per path, so paths whose lines coincide stay distinguishable."""


def _series_style(index: int, count: int, horizon: int) -> dict[str, Any]:
    """Marker shape and placement for the `index`-th of `count` paths: every path marks every
    `step` months, each starting at its own offset, so identical lines show all their markers."""
    step = max(1, horizon // 8)
    return {"marker": MARKERS[index % len(MARKERS)], "markevery": ((index * step) // max(count, 1) % step, step),
            "markersize": 5}


def _legend_below(fig, ax, ncol_max: int = 3) -> None:
    """The legend under the plot, outside the axes: it never covers lines or annotations."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=min(len(handles), ncol_max), fontsize=8, frameon=False)


MAX_CHART_PATHS = 12
"""Paths drawn in one chart at most: beyond a dozen lines or panels a chart is unreadable, and
drawing 100 panels of 600 monthly bars takes minutes. Which ones: `charted_paths`."""


def charted_paths(cmp) -> list:
    """The paths the charts draw, in the scenario's order: all of them up to MAX_CHART_PATHS, else the
    recommended path, the runner-up and the rest of the cheapest by NPV (every path is in the tables)."""
    paths = list(cmp.paths)
    if len(paths) <= MAX_CHART_PATHS:
        return paths
    first = [cmp.recommendation.get("path"), (cmp.recommendation.get("reason_parts") or {}).get("runner_up")]
    ranked = sorted(range(len(paths)), key=lambda i: (paths[i].name not in first, paths[i].npv, i))
    keep = set(ranked[:MAX_CHART_PATHS])
    return [p for i, p in enumerate(paths) if i in keep]


def _title(key: str, lang: str, cmp, shown: list) -> str:
    """A chart's title, saying how many paths it leaves out when it cannot draw them all."""
    title = t(key, lang)
    if len(shown) < len(cmp.paths):
        title += t("fig.paths_shown", lang, shown=len(shown), count=len(cmp.paths))
    return title


def cumulative_figure(cmp, lang: str):
    """Cumulative cost per path; a hollow circle and a dotted vertical at each go-live (the month is in
    the legend), diamonds where the winner breaks even."""
    horizon = cmp.scenario.horizon
    fig = _figure(9, 5.5)
    ax = fig.add_subplot()
    months = list(range(horizon))
    shown = charted_paths(cmp)
    colors = {p.name: PALETTE[i % len(PALETTE)] for i, p in enumerate(shown)}
    for i, p in enumerate(shown):
        style = "-" if p.feasible else "--"
        label = p.name if p.live_month <= 0 else t("fig.golive_legend", lang, path=p.name, month=p.live_month)
        ax.plot(months, p.cumulative_cost, style, color=colors[p.name], linewidth=2, label=label,
                **_series_style(i, len(shown), horizon))
        if 0 < p.live_month < horizon:
            ax.axvline(p.live_month, color=colors[p.name], linestyle=":", linewidth=1)
            ax.plot([p.live_month], [p.cumulative_cost[p.live_month]], "o", markersize=9, markerfacecolor="none",
                    markeredgecolor=colors[p.name], markeredgewidth=1.5, zorder=4)
    winner = cmp.recommendation.get("path")
    by_name = {p.name: p for p in shown}
    for entry in cmp.breakeven:
        month = entry["month"]
        if entry["a"] != winner or month is None or month <= 0:
            continue
        y = by_name[winner].cumulative_cost[month]
        ax.plot([month], [y], marker="D", color="black", markersize=6, zorder=5)
        ax.annotate(t("fig.breakeven", lang, month=month) + f" ({entry['b']})", (month, y), textcoords="offset points",
                    xytext=(6, -12), fontsize=7)
    ax.set_title(_title("fig.cumulative", lang, cmp, shown))
    ax.set_xlabel(t("fig.axis_month", lang))
    ax.set_ylabel(t("fig.axis_cost", lang, cur=cmp.currency))
    _money_axis(ax.yaxis)
    _month_axis(ax, horizon)
    _legend_below(fig, ax)
    return fig


def components_figure(cmp, lang: str):
    """Monthly cost stacked by component: one small panel per path (each on its own scale), one legend."""
    import numpy as np

    horizon = cmp.scenario.horizon
    paths = charted_paths(cmp)
    cols = 1 if len(paths) == 1 else 2
    rows = math.ceil(len(paths) / cols)
    fig = _figure(9, 2.6 * rows + 0.8)
    axes = fig.subplots(rows, cols, sharex=True, squeeze=False)
    months = np.arange(horizon)
    seen: dict[str, Any] = {}
    for index, p in enumerate(paths):
        ax = axes[index // cols][index % cols]
        positive = np.zeros(horizon)
        negative = np.zeros(horizon)
        for key, values in p.components.items():
            v = np.asarray(values, dtype=float)
            up, down = np.clip(v, 0, None), np.clip(v, None, 0)
            color = COMPONENT_COLORS.get(key, "#999999")
            bars = None
            if up.any():
                bars = ax.bar(months, up, bottom=positive, width=0.85, color=color, linewidth=0)
                positive += up
            if down.any():
                bars = ax.bar(months, down, bottom=negative, width=0.85, color=color, linewidth=0)
                negative += down
            if bars is not None:
                seen.setdefault(key, bars)
        ax.set_title(p.name, fontsize=9)
        _money_axis(ax.yaxis)
        _month_axis(ax, horizon)
    for index in range(len(paths), rows * cols):
        axes[index // cols][index % cols].set_visible(False)
    for row in axes:  # shared months: label every panel's axis, not only the bottom row's
        for ax in row:
            ax.tick_params(axis="x", labelbottom=True)
    for index in range(len(paths)):  # the lowest panel of each column says what the axis is
        if index + cols >= len(paths):
            axes[index // cols][index % cols].set_xlabel(t("fig.axis_month", lang))
    for row in axes:
        row[0].set_ylabel(t("fig.axis_monthly", lang, cur=cmp.currency))
    fig.suptitle(_title("fig.components", lang, cmp, paths))
    from buildorbuy.engine.core import COMPONENTS

    order = [k for k in COMPONENTS if k in seen]
    fig.legend([seen[k] for k in order], [component_label(k, lang) for k in order], loc="outside lower center",
               ncol=min(len(seen), 4), fontsize=8, frameon=False)
    return fig


def gpus_figure(cmp, lang: str):
    """Serving GPUs per self-hosted path over time (None when every path is an API)."""
    shown = charted_paths(cmp)
    hosted = [p for p in shown if p.kind != "api" and any(p.gpus)]
    if not hosted:
        return None
    horizon = cmp.scenario.horizon
    fig = _figure(9, 4.5)
    ax = fig.add_subplot()
    for i, p in enumerate(shown):
        if p in hosted:
            color = PALETTE[i % len(PALETTE)]
            ax.step(range(horizon), p.gpus, where="post", color=color, linewidth=2, label=p.name,
                    **_series_style(i, len(shown), horizon))
            fleet = p.fleet or {}
            if any(fleet.get("reserved_gpus", ())):
                ax.step(range(horizon), fleet["reserved_gpus"], where="post", color=color, linewidth=1.2, linestyle="--",
                        label=t("fig.series_reserved", lang, name=p.name), **_series_style(i, len(shown), horizon))
            owned = fleet.get("owned_gpus", ())
            if any(owned) and list(owned) != list(p.gpus):
                ax.step(range(horizon), owned, where="post", color=color, linewidth=1.2, linestyle=":",
                        label=t("fig.series_owned", lang, name=p.name), **_series_style(i, len(shown), horizon))
    ax.set_title(_title("fig.gpus", lang, cmp, shown))
    ax.set_xlabel(t("fig.axis_month", lang))
    ax.set_ylabel(t("fig.axis_gpus", lang))
    ax.set_ylim(bottom=0)
    _month_axis(ax, horizon)
    _legend_below(fig, ax)
    return fig


def tornado_figure(rows: list[dict[str, Any]], metric: str, baseline: float | None, currency: str, lang: str):
    """Horizontal bars from the metric at each input's low value to its high value, widest on top."""
    fig = _figure(9, max(3.0, 0.45 * len(rows) + 1.6))
    ax = fig.add_subplot()
    ordered = list(reversed(rows))  # widest swing on top
    base = baseline if baseline is not None else 0.0
    labels = [(r.get("labels") or {}).get(lang) or r.get("label") or r["input"] for r in ordered]
    ypos = range(len(ordered))
    low_bars = ax.barh(ypos, [r["at_low"] - base for r in ordered], left=base, color="#4e79a7", label=t("fig.low", lang))
    high_bars = ax.barh(ypos, [r["at_high"] - base for r in ordered], left=base, color="#e15759", label=t("fig.high", lang))
    ax.set_yticks(list(ypos), labels, fontsize=8)
    if baseline is not None:
        ax.axvline(baseline, color="black", linewidth=1)
    _money_axis(ax.xaxis)
    ax.set_xlabel(f"{metric} ({currency})")
    fig.suptitle(t("fig.tornado", lang, metric=metric))  # centred on the figure: long labels push the axes right
    ax.legend(handles=[low_bars, high_bars], loc="lower right", fontsize=8, frameon=False)
    return fig


def npv_distribution_figure(samples: dict[str, Sequence[float]], currency: str, lang: str):
    """Overlaid histograms of NPV samples per path, on shared bins."""
    import numpy as np

    arrays = {name: np.asarray(v, dtype=float) for name, v in samples.items() if len(v)}
    if not arrays:
        return None
    count = len(arrays)
    if count > MAX_CHART_PATHS:  # the lowest median NPVs, in the given order
        medians = {name: float(np.median(v[np.isfinite(v)])) if np.isfinite(v).any() else math.inf for name, v in arrays.items()}
        keep = set(sorted(arrays, key=lambda name: medians[name])[:MAX_CHART_PATHS])
        arrays = {name: v for name, v in arrays.items() if name in keep}
    every = np.concatenate(list(arrays.values()))
    every = every[np.isfinite(every)]
    if every.size == 0:
        return None
    low, high = float(every.min()), float(every.max())
    if high <= low:
        high = low + 1.0
    bins = np.linspace(low, high, 50)
    fig = _figure(9, 4.5)
    ax = fig.add_subplot()
    for i, (name, values) in enumerate(arrays.items()):
        color = PALETTE[i % len(PALETTE)]
        ax.hist(values[np.isfinite(values)], bins=bins, histtype="stepfilled", alpha=0.35, color=color, label=name)
        ax.axvline(float(np.median(values)), color=color, linestyle="--", linewidth=1)
    n = max(len(v) for v in arrays.values())
    title = t("fig.npv_dist", lang, samples=f"{n:,}")
    if len(arrays) < count:
        title += t("fig.paths_shown_median", lang, shown=len(arrays), count=count)
    ax.set_title(title)
    ax.set_xlabel(t("fig.axis_npv", lang, cur=currency))
    ax.set_ylabel(t("fig.axis_count", lang))
    _money_axis(ax.xaxis)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    return fig


# ---------------------------------------------------------------------- everything at once


def search_curves(cmp) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, field, estimate) of every `auto` search that recorded an NPV curve (max_gpus, reserved.gpus)."""
    return [(p.name, key, e) for p in charted_paths(cmp) for key, e in p.estimates.items() if e.get("curve")]


def fleet_search_figure(cmp, lang: str):
    """NPV against each candidate of the `auto` fleet searches, the chosen value marked (None without any)."""
    curves = search_curves(cmp)
    if not curves:
        return None
    fig = _figure(9, 3.2 * len(curves))
    for n, (name, key, estimate) in enumerate(curves, start=1):
        ax = fig.add_subplot(len(curves), 1, n)
        values = [point["value"] for point in estimate["curve"]]
        npvs = [point["npv"] for point in estimate["curve"]]
        ax.plot(values, npvs, marker="o", color=PALETTE[0], linewidth=1.5)
        chosen = estimate["value"]
        if chosen in values:
            ax.plot([chosen], [npvs[values.index(chosen)]], marker="*", markersize=14, color=PALETTE[1],
                    linestyle="none", label=t("fig.chosen", lang, value=f"{chosen:g}"))
            ax.legend(loc="best", fontsize=8, frameon=False)
        ax.set_title(f"{name}: serving.{key.removeprefix('serving.')}", fontsize=10)
        ax.set_xlabel(t("fig.axis_gpus", lang))
        ax.set_ylabel(t("fig.axis_npv", lang, cur=cmp.currency))
        _money_axis(ax.yaxis)
    fig.suptitle(t("fig.fleet_search", lang))
    return fig


def render_charts(
    cmp,
    *,
    lang: str = "en",
    tornado: dict[str, Any] | None = None,
    npv_samples: dict[str, Sequence[float]] | None = None,
    formats: Sequence[str] = FORMATS,
    font: str | None | bool = True,
) -> ChartSet:
    """Draw every chart the data allows and encode each in `formats`.

    `tornado` is the normalised form from `report.tornado_rows` ({"metric", "baseline", "rows"}).
    `font=True` looks for a CJK font when `lang` is "zh"; pass a family name or None to decide.
    """
    require_matplotlib()
    chart_lang, notice = lang, None
    if lang == "zh":
        chosen = find_cjk_font() if font is True else (font or None)
        if chosen is None:
            chart_lang, notice = "en", t("report.no_cjk_font", lang)
    else:
        chosen = None
    out = ChartSet(lang=chart_lang, notice=notice)
    with _style(chosen):
        figures = {"cumulative": cumulative_figure(cmp, chart_lang), "components": components_figure(cmp, chart_lang),
                   "gpus": gpus_figure(cmp, chart_lang), "fleet_search": fleet_search_figure(cmp, chart_lang)}
        if tornado and tornado.get("rows"):
            figures["tornado"] = tornado_figure(tornado["rows"], tornado.get("chart_metric", {}).get(chart_lang, tornado["metric"]), tornado.get("baseline"),
                                                cmp.currency, chart_lang)
        if npv_samples:
            figures["npv_distribution"] = npv_distribution_figure(npv_samples, cmp.currency, chart_lang)
        for name, fig in figures.items():
            if fig is not None:
                out.files[name] = _encode(fig, formats)
    return out
