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
    "tie": "the margin is under 5%: treat the two as a tie and run a sensitivity check",
    "breakeven": "it breaks even with {runner} in month {month}",
    "risk": "its figures are expected values with a {p} chance of success; "
            "a failure leaves the sunk costs and keeps traffic on the bridge, paying its fees and its staff",
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


# ---------------------------------------------------------------------- messages of the engine, estimators and analyses

MESSAGES_EN = {
    # engine warnings
    "path": "{path}: {text}",
    "after_horizon": "{path}: goes live in month {month}, after the {horizon}-month horizon: it never serves traffic here, "
                     "so it is not recommended (lengthen horizon_months to judge it)",
    "late_run_short": "{path}: {section} takes {took} of wall-clock; go-live moved to month {month} because compute must "
                      "finish first (lead_time_months {lead})",
    "under_a_day": "under a day",
    "days": "{days} days",
    "late_run": "{path}: {section} takes {months} months of wall-clock, longer than lead_time_months {lead}; "
                "go-live moved to month {month}",
    "last_term": "{path}: the last {term}-month reservation term runs past the {horizon}-month horizon; "
                 "months after the horizon are not counted",
    "output_share": "workload.output_share {share} disagrees with input_tokens_per_request {inp} and "
                    "output_tokens_per_request {out}, which imply an output share of {implied}: the costs use "
                    "output_share {used}{auto}; make them agree",
    "output_share_default": "{share} (the default)",
    "output_share_auto": "; tokens_per_second_per_gpu: auto models requests of {inp} + {out} tokens and counts all tokens "
                         "with output_share {used}, so it gives {ratio} × the tokens/s per GPU of `estimate serving`, "
                         "which uses {implied}",
    "export_licence": "{path}: {gpu} needs an export licence for {market} since {since} ({rule}); "
                      "the owned fleet assumes it can be bought",
    "stale_price": "{path}: {model}: listed {listed}, {age} months before start; check it or give price_per_1k_*",
    "owned_zero": "{path}: serving.{name} is 0 for an owned fleet, so it costs nothing; "
                  "write {name}: auto for a sourced value (or your own figure)",
    "owned_left_out": "{path}: owned fleet without {fields}: {defaults_to} {defaults}; write auto for the catalog's "
                      "sourced values ({autos}) or your own figures",
    "it_defaults_to": "it defaults to",
    "they_default_to": "they default to",
    "default_overhead": "0 (no servers, network or storage)",
    "default_maintenance": "0 (no maintenance)",
    "default_power": "1 (draw at full TDP)",
    "auto_overhead": "+{pct}% on the GPU price",
    "auto_maintenance": "{pct}% of the purchase a year",
    "auto_power": "{share} of TDP",
    # estimator warnings
    "no_tensor_cores": "{gpu} has no {upper} tensor cores: {lower} weights save memory but compute runs at the BF16 rate",
    "multi_node": "a replica needs {gpus} {gpu} GPUs, more than one node of {node}: "
                  "multi-node serving (pipeline or expert parallelism over the network)",
    "latency_unmet": "the latency target is not met on {gpu} even at batch 1: the estimate uses batch 1 on the fastest replica",
    # analyses
    "not_used_breakeven": "{key} is not used ({why}): it cannot move either path's cost",
    "not_used_sweep": "{key} is not used ({why}): every point has the same costs",
    "unrec_why": "it goes live after the horizon, is infeasible or leaves traffic unserved",
    "unrec_anywhere": "{path} cannot be recommended anywhere in the range of {param} ({why})",
    "unrec_some": "{path} cannot be recommended at some values of {param} in the range ({why}); those are not compared",
    "unrec_where": "{path} cannot be recommended for {param} {where} ({why}); the crossover is sought where both can be",
    "from_on": "from {value} on",
    "from_between_on": "from between {lo} and {hi} on",
    "up_to": "up to {value}",
    "up_to_between": "up to between {lo} and {hi}",
    "nothing_uncertain": "nothing in the scenario is uncertain (no distributions, every success_probability is 1): "
                         "every sample equals compare",
    "evaluated_once": "the scenario was evaluated once for all {n} samples: with nothing drawn every sample is the same, "
                      "and the figures are those of a sample-by-sample run",
    "bridge_staff_uncharged": "{path} is {margin} {currency} NPV below its bridge {bridge}, but while {bridge} carries its "
                              "traffic before go-live ({months}) it pays {bridge}'s fees, not its staff: those "
                              "staff come to {staff} {currency} NPV; if running {bridge} then needs them, {bridge} is "
                              "the cheaper path",
    "months_from_0": "months 0–{last}",
    "month_0": "month 0",
    "few_samples": "only {n} samples: percentiles and probabilities are rough; use {need} or more",
    "few_samples_one": "only {n} sample: percentiles and probabilities are rough; use {need} or more",
    "none_recommendable": "no path is recommendable in {share} of samples",
    "drivers_budget": "drivers and the inputs' percentiles use the first {rows} of {n} samples ({inputs} sampled inputs "
                      "keep at most {per} values per sample): rank correlations ±{error}",
    "not_candidate": "not a candidate (cannot be recommended at the scenario's estimates): {paths}",
    "voi_paths": "EVPPI compares {k} of the {n} candidate paths, those cheapest in the most samples: {paths}; "
                 "EVPI compares all {n}. With every path the EVPPIs could only be larger: read them as lower bounds",
    "voi_inputs": "EVPPI estimated for {k} of {n} inputs, those most rank-correlated with the regret "
                  "of deciding now (work budget {budget} sample × input × path-pair units); {skipped} not estimated",
    "report_voi_samples": "the value of information needs at least 1,000 samples: left out of 'Before you decide'",
    "report_mc_ignored": "--samples/--seed ignored: nothing in the scenario is uncertain, so the report has no Monte Carlo section",
    # why an input is not used (tornado's skipped inputs, sweep and breakeven)
    "unused_discount": "{kind}_share is 0 (no tokens get this discount)",
    "unused_rented": "the serving fleet is rented (ownership: rent)",
    "unused_fixed": "the serving fleet is sized for the peak (scaling: fixed)",
    "unused_owned": "the serving fleet is owned (ownership: own)",
    "skip_unused": "not used: {detail}",
    "skip_follows": "follows other inputs ({detail})",
    # methods of estimated inputs
    "m_dense_default": "default: params (dense model)",
    "m_dense_catalog": "catalog {model}: dense, active = params",
    "m_default_of": "default: {field}",
    "m_default_path_field": "default: the path's {field}",
    "m_growth": "from growth_per_year: (1+g)^(1/12) - 1",
    "m_profile": "from daily_profile: max / mean",
    "m_owned_terms": "catalog owned_terms: {source}",
    "m_power_price": "catalog owned_terms: {price} {currency}/kWh ({source})",
    "m_power_price_fx": "catalog owned_terms: {price} USD/kWh × {rate} ({source})",
    "m_hosting": "tdp_watts / 1000 × {per_kw} USD per kW-month{fx} (catalog owned_terms: {source})",
    "m_pue": "default: Uptime Institute 2023 average PUE",
    "m_price_where": "{price}; price in force on {date}",
    "m_api_price": "catalog {where}: {per_1m} {currency}/1M{conv}{note}",
    "m_gpu_price": "catalog {gpu} {label} {usd} USD{conv}{date}",
    "lbl_rental": "rental price per GPU-hour",
    "lbl_purchase": "purchase price",
    "m_chinchilla": "compute-optimal 20 × params (Hoffmann et al. 2022)",
    "m_reserved_ratio": "on-demand gpu_hour_price × {ratio} ({source})",
    "m_not_sold": "none: {gpu} is not sold new in {market} since {since} (the path is infeasible)",
    "m_no_cache_write": "default: price_per_1k_input (the price data has no cache-write price)",
    "m_serving": "{method}; {bound}-bound",
    "m_tensor_parallel": "tensor-parallel degree on {gpu} at {precision}: the memory minimum (weights + KV cache for "
                         "the request shape) or a doubling of it, whichever gives the lowest cost per token",
    "m_tensor_parallel_latency": "tensor-parallel degree on {gpu} at {precision}: the memory minimum (weights + KV cache for "
                                 "the request shape) or a doubling of it, whichever gives the lowest cost per token "
                                 "within the latency target",
    "m_fleet_search": "the NPV-minimising {what} among {how}; {gpus} GPUs",
    "fs_reservation": "reservation",
    "fs_cap": "capacity cap",
    "fs_one": "{n} whole-replica counts {lo}–{hi} ({together}one batched evaluation)",
    "fs_coarse": "an even spread of whole-replica counts, then every count around the best, "
                 "{together}{calls} batched evaluations; last: {n} counts {lo}–{hi}",
    "fs_together": "searched together with the other auto fleet field, ",
    "m_training_mfu": "{formula}, fitted to published pretraining runs ({runs}); ×/÷{factor} at 80% (leave-one-out)",
    "m_finetune_mfu": "MFU = pretraining auto MFU on {gpu}{precision} at 20 tokens/parameter × {efficiency} "
                      "({method} job efficiency of current stacks, fitted to published NeMo/xtuner/axolotl fine-tuning "
                      "throughput; the 2023 Alpaca recipe: {alpaca}); ×/÷{factor} at 80%",
    "at_precision": " at {precision}",
    "mfu_given": "MFU given",
    "est_training": "FLOPs = 6·N_active·D (Kaplan 2020; Hoffmann 2022); GPU-hours = FLOPs / ({tflops} TFLOP/s BF16 × MFU) / 3600; {mfu}",
    "est_finetune": "FLOPs = {k}·N·D·epochs ({method}); GPU-hours = FLOPs / ({tflops} TFLOP/s BF16 × MFU) / 3600; {mfu}",
    "sv_method": "{roofline}; efficiencies fitted to TensorRT-LLM and vLLM tables{tp}{batch}",
    "sv_roofline": "full-load roofline per replica of g GPUs: time = prefill 2·N_active·in·B/({pe}·peak·g) + out·{{max("
                   "2·N_active·B/({de}·peak·g), (weights + KV)/({be}·bandwidth·g)) + TP collectives "
                   "(all-reduce of B·hidden·2 bytes per layer, ×2 dense; MoE all-to-all) over {kind} "
                   "at {ce}·{bw}/2 GB/s + {lat} µs each}}, ÷ {vendor} software efficiency {v}; B = requests whose KV "
                   "cache fits in {frac} of memory (≤ {cap}){meeting}",
    "sv_meeting": " and meeting {targets}",
    "sv_tpot": "{ms} ms per output token",
    "sv_ttft": "{ms} ms to first token",
    "sv_tp_pcie": "; TP 1: the model fits one GPU, and over PCIe a wider replica is taken only to meet a latency "
                  "target (output tokens/s per GPU: {tried})",
    "sv_tp_chosen": "; TP {tp} chosen for the lowest cost per token (output tokens/s per GPU: {tried}; "
                    "a larger degree must gain > 1%)",
    "sv_tp_only": "; TP {tp}: the only degree that fits ({tried} output tokens/s per GPU)",
    "sv_batch": "; batch {batch} ({limit}-limited), {tpot} ms per output token, {ttft} ms to first token",
}
"""The engine's, estimators' and analyses' sentences in English, by key; `Message` fills them in and the
renderers phrase the same key in another language (render.i18n, `msg.<key>`)."""


class And(list):
    """A list of values a message joins with ' and ' (other lists join with ', ')."""


class Message(str):
    """A sentence from MESSAGES_EN: the English text itself (JSON, comparisons and prefixes see plain text),
    with its `key` and `values` kept so a renderer can phrase it in another language. Values are text,
    numbers already formatted, other messages, lists (joined with ', ') or `And` lists."""

    key: str
    values: dict[str, Any]

    def __new__(cls, key: str, **values: Any) -> "Message":
        self = super().__new__(cls, MESSAGES_EN[key].format(**{k: _english(v) for k, v in values.items()}))
        self.key, self.values = key, values
        return self

    def __reduce__(self):
        return (_message, (self.key, self.values))


def _message(key: str, values: dict[str, Any]) -> Message:
    return Message(key, **values)


def _english(value: Any) -> str:
    if isinstance(value, And):
        return " and ".join(_english(v) for v in value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_english(v) for v in value)
    return str(value)


def phrase_message(text: str, templates: dict[str, str], sep: str, and_sep: str,
                   words: dict[str, dict[str, str]] | None = None) -> str:
    """`text` in the language of `templates` (keyed like MESSAGES_EN) when it is a `Message` with a
    template there; any other text as it is. `words[name]` translates plain values of the placeholder `name`."""
    if not isinstance(text, Message) or text.key not in templates:
        return str(text)
    words = words or {}

    def value(name: str, v: Any) -> str:
        if isinstance(v, And):
            return and_sep.join(value(name, x) for x in v)
        if isinstance(v, (list, tuple)):
            return sep.join(value(name, x) for x in v)
        if isinstance(v, Message):
            return phrase_message(v, templates, sep, and_sep, words)
        return words.get(name, {}).get(str(v), str(v))

    return templates[text.key].format(**{k: value(k, v) for k, v in text.values.items()})
