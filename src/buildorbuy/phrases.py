"""Sentences built from structured facts (the recommendation's reason, why a path is infeasible).

English phrase tables live here, with no imports, so every layer can phrase the same facts; the
renderers hold the other languages' tables under the same keys.
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


def phrase_reason(parts: dict[str, Any], phrases: dict[str, str], money=None,
                  infeasible_phrases: dict[str, str] | None = None) -> str:
    """The recommendation's reason from its facts (`reason_parts`) in the language of `phrases`
    (and of `infeasible_phrases` for why excluded paths are infeasible)."""
    currency = parts["currency"]
    money = money or (lambda value: f"{value:,.0f} {currency}")
    sep = phrases["sep"]
    excluded = []
    for e in parts["excluded"]:
        key = {"infeasible": "ex_infeasible", "after_horizon": "ex_after_horizon"}.get(e["why"], "ex_unserved")
        detail = e["detail"]
        if infeasible_phrases is not None and e.get("facts"):
            detail = phrase_infeasible(e["facts"], infeasible_phrases)
        excluded.append(phrases[key].format(path=e["path"], detail=detail, horizon=parts["horizon_months"]))
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


INFEASIBLE_EN = {
    "residency_api": "data_residency {residency} needs a {allowed} deployment; this API is {actual}",
    "residency_hosted": "data_residency {residency} forbids it: {places}",
    "place": "{what} runs in {where}",
    "lead_time": "goes live in month {live_month}, after max_lead_time_months {max}",
    "market": "constraints.market {market}: {gpu} is not sold new there since {since} ({rule}), so the owned fleet cannot be bought",
    "or": " or ",
    "sep": "; ",
}
"""Why a path is infeasible, in English; `infeasible` facts as in PathPlan.infeasible."""


def phrase_infeasible(facts: dict[str, Any], phrases: dict[str, str]) -> str:
    """The reason a path is infeasible, from its facts, in the language of `phrases`."""
    rule = facts["rule"]
    if rule == "residency_api":
        return phrases[rule].format(residency=facts["residency"], allowed=phrases["or"].join(facts["allowed"]),
                                    actual=facts["actual"])
    if rule == "residency_hosted":
        places = phrases["sep"].join(phrases["place"].format(what=what, where=where) for what, where in facts["places"].items())
        return phrases[rule].format(residency=facts["residency"], places=places)
    if rule == "market":
        return phrases[rule].format(market=facts["market"], gpu=facts["gpu"], since=facts["since"], rule=facts["rule_text"])
    return phrases[rule].format(live_month=facts["live_month"], max=facts["max"])


SWITCH_EN = {
    "all_cheaper": "cheaper than the api path in every month: nothing to pay back, so no rate of return",
    "never_cheaper": "never cheaper than the api path in any month: no rate of return",
    "same": "the same cost as the api path in every month",
    "several": "the saving changes sign several times and has {count} IRRs: none is meaningful alone",
    "outside": "the IRR lies outside {low} … {high} a month",
}
"""Why the IRR of switching from an api path is undefined (paths[].switch.reason), in English."""


def switch_reason_facts(text: str) -> tuple[str, dict[str, str]] | None:
    """(key, values) of a SWITCH_EN sentence, so a renderer can phrase it in another language; None if none matches."""
    import re

    for key, template in SWITCH_EN.items():
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(template))
        match = re.fullmatch(pattern, text)
        if match:
            return key, match.groupdict()
    return None
