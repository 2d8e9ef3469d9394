"""Renderers for voi (value of information): table, markdown, csv, json."""

from __future__ import annotations

import io
import json

from buildorbuy.analysis.voi import BATCHES, BOOTSTRAP, VoiResult
from buildorbuy.render import formatting as fmt
from buildorbuy.render.i18n import input_label, message, t
from buildorbuy.render.escape import csv_writer, markdown as md
from buildorbuy.render.tables import markdown_table, rich_table, text_console

SENTENCES = 3
"""How many 'Knowing X before deciding is worth …' sentences lead the output."""
NOISE_SE = 2.0
"""An EVPPI within this many standard errors of 0 is noise, not worth a sentence."""


def heading(result: VoiResult, lang: str = "en") -> str:
    sc = result.scenario
    return t("voi.heading", lang, name=sc.name, samples=f"{result.samples:,}", seed=result.seed, cur=sc.currency)


def share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def worth(result: VoiResult) -> list:
    """Inputs whose EVPPI stands out of the noise (more than NOISE_SE standard errors above 0)."""
    return [i for i in result.inputs if i.evppi > 0 and i.evppi > NOISE_SE * i.se]


def sentences(result: VoiResult, lang: str = "en") -> list[str]:
    cur = result.currency
    lines = [t("voi.decision_now", lang, path=result.decision_now),
             t("voi.evpi", lang, value=fmt.money_short(result.evpi), cur=cur, se=fmt.money_short(result.evpi_se))]
    top = worth(result)[:SENTENCES]
    lines += [t("voi.knowing", lang, field=input_label(i.label, lang), value=fmt.money_short(i.evppi), cur=cur, share=share(i.share_of_evpi)) for i in top]
    if not top:
        lines.append(t("voi.nothing_worth", lang))
    return lines


def input_rows(result: VoiResult, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    header = [t("voi.col_input", lang), t("voi.col_evppi", lang, cur=result.currency), t("voi.col_se", lang), t("voi.col_share", lang)]
    rows = [[input_label(i.label, lang), fmt.money(i.evppi), fmt.money(i.se), share(i.share_of_evpi)] for i in result.inputs]
    return header, rows


def render_table(result: VoiResult, *, color: bool = False, lang: str = "en", width: int | None = None) -> str:
    from rich.markup import escape

    console = text_console(color=color, width=width, default_width=120)
    console.print(f"[bold]{escape(heading(result, lang))}[/bold]")
    for line in sentences(result, lang):
        console.print(f"  {line}", markup=False)
    console.print(rich_table(t("voi.title", lang), *input_rows(result, lang), right_from=1, lang=lang))
    console.print(f"  {t('voi.method', lang, boot=BOOTSTRAP, batches=BATCHES)}", markup=False)
    for warning in result.warnings:
        console.print("  " + t("sim.note", lang, warning=message(warning, lang)), markup=False)
    return console.file.getvalue()


def render_markdown(result: VoiResult, lang: str = "en") -> str:
    out = [f"## {md(heading(result, lang))}", ""] + [f"- {md(line)}" for line in sentences(result, lang)] + [""]
    out += [f"### {t('voi.title', lang)}", "", markdown_table(*input_rows(result, lang), right_from=1), "",
            t("voi.method", lang, boot=BOOTSTRAP, batches=BATCHES), ""]
    return "\n".join(out)


def render_csv(result: VoiResult, lang: str = "en") -> str:
    """One row per input; EVPI and the decision now repeated on each row."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)  # text cells formula-safe, control characters replaced
    writer.writerow(["field", "label", "evppi", "share_of_evpi", "se", "evpi", "decision_now", "samples", "seed"])
    for i in result.inputs:
        writer.writerow([i.field, i.label, _num(i.evppi), _num(i.share_of_evpi), _num(i.se), _num(result.evpi),
                         result.decision_now, result.samples, result.seed])
    return buffer.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else f"{float(value):.6f}".rstrip("0").rstrip(".")


def render_json(result: VoiResult, lang: str = "en") -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)


RENDERERS = {"table": render_table, "markdown": render_markdown, "csv": render_csv, "json": render_json}
