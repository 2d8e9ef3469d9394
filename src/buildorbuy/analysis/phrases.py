"""The recommendation's reason, phrased from its facts; English here, other languages in the renderers.

No heavy imports: the renderers' string tables read `REASON_EN`.
"""

from __future__ import annotations

from typing import Any

REASON_EN = {
    "lowest": "{winner} has the lowest present cost ({npv} NPV over {horizon} months)",
    "lowest_among": "{winner} has the lowest present cost of the paths that can be recommended ({npv} NPV over {horizon} months)",
    "below": ", {margin}{share} below {runner}",
    "share": " ({fraction})",
    "tie": "the margin is under 5 %: treat the two as a tie and run a sensitivity check",
    "breakeven": "it breaks even with {runner} in month {month}",
    "risk": "its figures are expected values with a {p} chance of success; "
            "a failure leaves the sunk costs and keeps traffic on the bridge",
    "excluded": "excluded: {items}",
    "ex_infeasible": "{path} is infeasible ({detail})",
    "ex_after_horizon": "{path} goes live in month {detail}, after the {horizon}-month horizon",
    "ex_unserved": "{path} leaves traffic unserved before go-live (no bridge)",
    "none": "No path is feasible, live within the horizon and serving all traffic: {items}.",
    "sep": "; ",
    "end": ".",
}
"""The recommendation's phrases in English; renderers pass other languages' tables to `phrase_reason`."""


def phrase_reason(parts: dict[str, Any], phrases: dict[str, str], money=None) -> str:
    """The recommendation's reason from its facts (`reason_parts`) in the language of `phrases`."""
    currency = parts["currency"]
    money = money or (lambda value: f"{value:,.0f} {currency}")
    sep = phrases["sep"]
    excluded = []
    for e in parts["excluded"]:
        key = {"infeasible": "ex_infeasible", "after_horizon": "ex_after_horizon"}.get(e["why"], "ex_unserved")
        excluded.append(phrases[key].format(path=e["path"], detail=e["detail"], horizon=parts["horizon_months"]))
    if parts["winner"] is None:
        return phrases["none"].format(items=sep.join(excluded))
    first = phrases["lowest_among" if excluded else "lowest"].format(
        winner=parts["winner"], npv=money(parts["winner_npv"]), horizon=parts["horizon_months"])
    if parts["runner_up"] is not None:
        fraction = parts["margin_fraction"]
        share = phrases["share"].format(fraction=f"{fraction:.0%}") if fraction is not None else ""
        first += phrases["below"].format(margin=money(parts["margin"]), share=share, runner=parts["runner_up"])
    out = [first]
    if parts["tie"]:
        out.append(phrases["tie"])
    if parts["breakeven_month"] is not None:
        out.append(phrases["breakeven"].format(runner=parts["runner_up"], month=parts["breakeven_month"]))
    if parts["success_probability"] is not None:
        out.append(phrases["risk"].format(p=f"{parts['success_probability']:.0%}"))
    if excluded:
        out.append(phrases["excluded"].format(items=sep.join(excluded)))
    return sep.join(out) + phrases["end"]
