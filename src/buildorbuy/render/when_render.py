"""Renderers for `when`: the best start month per self-hosted path and NPV by start month (table,
markdown, csv, json)."""

from __future__ import annotations

import io
import json

from buildorbuy.analysis.when import WhenResult
from buildorbuy.render import formatting as fmt
from buildorbuy.render.i18n import t
from buildorbuy.render.tables import markdown_table, rich_table, text_console


def _money(value: float | None, lang: str) -> str:
    return t("when.not_recommendable", lang) if value is None else fmt.money(value)


def title(result: WhenResult, lang: str = "en") -> str:
    return t("when.title", lang, name=result.scenario.name, latest=result.latest, cur=result.scenario.currency)


def summary_rows(result: WhenResult, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    cur = result.scenario.currency
    header = [t("col.path", lang), t("when.col_best", lang), t("when.col_npv_now", lang, cur=cur),
              t("when.col_npv_best", lang, cur=cur), t("when.col_cost_now", lang, cur=cur)]
    rows = []
    for p in result.paths:
        best = None if p.best_start_month is None else p.npv_by_start_month[p.best_start_month]
        rows.append([p.name, _best_cell(p.best_start_month, p.search_limit, lang),
                     _money(p.npv_by_start_month[0], lang), _money(best, lang), _money(p.cost_of_starting_now, lang)])
    return header, rows


def _best_cell(best: int | None, limit: str | None, lang: str, none: str | None = None) -> str:
    """`month 6`, or `month 6+` when the best is the last start examined (a later one may be cheaper)."""
    if best is None:
        return t("when.not_recommendable", lang) if none is None else none
    return t("when.best_at_limit" if limit else "month_n", lang, n=best)


def _line(name: str, best: int | None, limit: str | None, cost: str, latest: int, horizon: int, cur: str,
          lang: str) -> str:
    """The sentence for one path: never, now, wait until month k, or the cost still falls at the limit."""
    if best is None:
        return t("when.line_never", lang, path=name, latest=latest)
    if best == 0:
        return t("when.line_now", lang, path=name)
    if limit == "latest":
        return t("when.line_limit_latest", lang, path=name, month=best, more=horizon - 1, cost=cost, cur=cur)
    if limit == "horizon":
        return t("when.line_limit_horizon", lang, path=name, month=best, horizon=horizon, cost=cost, cur=cur)
    return t("when.line_wait", lang, path=name, month=best, cost=cost, cur=cur)


def month_rows(result: WhenResult, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    header = [t("when.col_start", lang)] + [p.name for p in result.paths]
    rows = []
    for k in range(result.latest + 1):
        cells = []
        for p in result.paths:
            text = _money(p.npv_by_start_month[k], lang)
            cells.append(f"{text} ★" if k == p.best_start_month else text)
        rows.append([str(k)] + cells)
    return header, rows


def lines(result: WhenResult, lang: str = "en") -> list[str]:
    cur = result.scenario.currency
    out = []
    for p in result.paths:
        cost = "—" if p.cost_of_starting_now is None else fmt.money(p.cost_of_starting_now)
        out.append(_line(p.name, p.best_start_month, p.search_limit, cost, result.latest, result.scenario.horizon, cur, lang))
    return out


def render_table(result: WhenResult, *, color: bool, width: int | None = None, lang: str = "en") -> str:
    from rich.markup import escape

    console = text_console(color=color, width=width)
    console.print(f"[bold]{escape(title(result, lang))}[/bold]")
    # too narrow: the NPV starting now goes first (the cost of starting now is the difference that matters)
    console.print(rich_table(t("when.summary_h", lang), *summary_rows(result, lang), right_from=1, drop=(2, 3), lang=lang))
    for line in lines(result, lang):
        console.print(f"  {escape(line)}")
    console.print(rich_table(t("when.by_month_h", lang, cur=result.scenario.currency), *month_rows(result, lang), right_from=1, lang=lang))
    return console.file.getvalue()


def render_markdown(result: WhenResult, lang: str = "en") -> str:
    from buildorbuy.render.escape import markdown as md

    out = [f"## {md(title(result, lang))}", "", f"### {t('when.summary_h', lang)}", ""]
    header, rows = summary_rows(result, lang)
    out += [markdown_table(header, rows, right_from=1), ""]  # markdown_table escapes each cell
    out += [f"- {md(line)}" for line in lines(result, lang)] + [""]
    out += [f"### {t('when.by_month_h', lang, cur=result.scenario.currency)}", ""]
    header, rows = month_rows(result, lang)
    out += [markdown_table(header, rows, right_from=1), ""]  # markdown_table escapes each cell
    return "\n".join(out)


def render_csv(result: WhenResult, lang: str = "en") -> str:
    """One row per path and start month: path, start_month, live_month, npv (empty: not
    recommendable), best (true on the best start month)."""
    from buildorbuy.render.escape import csv_writer  # text cells formula-safe, control characters replaced

    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(["path", "start_month", "live_month", "npv", "best"])
    for p in result.paths:
        for k, npv in enumerate(p.npv_by_start_month):
            writer.writerow([p.name, k, p.live_month_by_start_month[k], "" if npv is None else f"{npv:.2f}",
                             "true" if k == p.best_start_month else "false"])
    return buffer.getvalue()


def render_json(result: WhenResult, lang: str = "en") -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)


def report_blocks(data: dict | None, lang: str = "en", currency: str = "") -> list:
    """Report blocks for the best start month, from `when(...).to_dict()` (None or no path: none): one
    line per path and a table path / best start / NPV now / NPV at best / cost of starting now, for
    the report's "Before you decide" section."""
    from buildorbuy.render.escape import markdown as md
    from buildorbuy.render.report import Paragraph, Table

    if not isinstance(data, dict) or not data.get("paths"):
        return []
    header = [t("col.path", lang), t("when.col_best", lang), t("when.col_npv_now", lang, cur=currency),
              t("when.col_npv_best", lang, cur=currency), t("when.col_cost_now", lang, cur=currency)]
    rows, said = [], []
    for p in data["paths"]:
        npvs, best = p.get("npv_by_start_month") or [None], p.get("best_start_month")
        at_best = None if best is None else npvs[best]
        limit = p.get("search_limit")
        rows.append([p["name"], _best_cell(best, limit, lang, none="—"),  # raw: the report escapes table cells
                     _money(npvs[0], lang), _money(at_best, lang), _money(p.get("cost_of_starting_now"), lang)])
        horizon = (data.get("scenario") or {}).get("horizon_months", len(npvs))
        said.append(_line(md(p["name"]), best, limit, _money(p.get("cost_of_starting_now"), lang),
                          data.get("latest", len(npvs) - 1), int(horizon), currency, lang))
    return [Paragraph(" ".join(said)), Table(header, rows, right_from=1)]


RENDERERS = {"markdown": render_markdown, "csv": render_csv, "json": render_json}
