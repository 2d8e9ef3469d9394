"""Every user-facing string of the renderers, in English and Simplified Chinese.

`t(key, lang, **values)` looks a key up and fills `{placeholders}` with `str.format`. Renderers
hold no English or Chinese literals of their own: add a key to both tables here (a test checks
that the two tables have the same keys and the same placeholders). Data that comes from the
scenario or the engine (path names, estimate methods, warnings) is shown as it is.
"""

from __future__ import annotations

from buildorbuy.phrases import INFEASIBLE_EN, REASON_EN

from typing import Any

LANGS = ("en", "zh")

EN: dict[str, str] = {
    # ------------------------------------------------------------------ compare tables
    "col.path": "Path",
    "col.kind": "Kind",
    "col.golive": "Go-live",
    "col.total_cur": "Total ({cur})",
    "col.npv_cur": "NPV ({cur})",
    "col.per_1m_cur": "Per 1M tokens ({cur})",
    "col.levelised_cur": "Levelised per 1M ({cur})",
    "col.peak_gpus": "Peak GPUs",
    "col.feasible": "Feasible",
    "col.year": "Year {n}",
    "col.year_part": "Year {n} ({months} mo)",
    "col.total": "Total",
    "col.component": "Component",
    "col.share": "Share",
    "col.against": "against",
    "col.breakeven": "Break-even",
    "col.meaning": "Meaning",
    "col.field": "Field",
    "col.value": "Value",
    "col.how": "How",
    "col.source": "Source",
    "kind.api": "api",
    "kind.finetune": "finetune",
    "kind.build": "build",
    "yes": "yes",
    "no_see_notes": "no (see notes)",
    "yes_unserved": "yes, traffic unserved",
    "month_n": "month {n}",
    "never": "never",
    "row.tokens_demanded": "tokens demanded",
    "row.total": "total",
    "row.scenario": "(scenario)",
    "note.infeasible": "{name} is infeasible: {reason}.",
    "note.unserved": "{name} leaves {tokens} tokens unserved before go-live (no bridge): never recommended.",
    "be.neither": "neither stays cheaper to the end of {horizon} months",
    "be.meaning": "cumulative cost stays at or below {other}'s from month {month} on",
    "heading": "{name} — {horizon} months from {start}, {cur}, discount rate {rate}/year",
    "title.summary": "Summary",
    "title.by_year": "Cost by year",
    "title.components": "Where {path}'s money goes",
    "title.breakeven": "Break-even (cumulative, undiscounted)",
    "title.estimates": "Estimated inputs",
    "title.warnings": "Warnings",
    "reco.title": "Recommendation: {path}",
    "reco.none": "none",
    "reco.bold": "**Recommendation: {path}.**",
    # ------------------------------------------------------------------ recommendation: phrases in analysis.phrases
    "note.after_horizon": "{name} goes live in month {month}, after the {horizon}-month horizon: never recommended.",
    # ------------------------------------------------------------------ terminal chart
    "chart.cumulative": "Cumulative cost ({cur})",
    "chart.month": "month",
    "chart.legend_markers": "letters under the month axis: go-live; ◆: the recommended path breaks even with the runner-up",
    # ------------------------------------------------------------------ charts (PNG/SVG)
    "fig.cumulative": "Cumulative cost per path",
    "fig.components": "Monthly cost by component",
    "fig.gpus": "Serving GPUs over time",
    "fig.tornado": "Sensitivity of {metric}",
    "fig.npv_dist": "NPV distribution ({samples} samples)",
    "fig.axis_month": "Month",
    "fig.axis_cost": "Cost ({cur})",
    "fig.axis_monthly": "Monthly cost ({cur})",
    "fig.axis_gpus": "GPUs",
    "fig.axis_npv": "NPV ({cur})",
    "fig.axis_count": "Samples",
    "fig.golive": "{path} goes live",
    "fig.breakeven": "break-even, month {month}",
    "fig.low": "low value",
    "fig.high": "high value",
    # ------------------------------------------------------------------ report
    "report.title": "{name}: build, fine-tune or buy?",
    "report.question_h": "The question",
    "report.question": "Which of {count} ways should serve this workload over {horizon} months from {start}? "
                       "It starts at {tokens} tokens a month ({growth}) and is costed in {cur} with a discount "
                       "rate of {rate} a year.",
    "report.growth": "growing {rate} a month",
    "report.no_growth": "no growth",
    "report.schedule": "a month-by-month schedule",
    "report.paths_are": "The paths:",
    "report.path_item": "**{name}** ({kind}), live from month {month}",
    "report.reco_h": "Recommendation",
    "report.reco_path": "**{path}.**",
    "report.reco_none": "**No recommendation.**",
    "report.assumptions_h": "Assumptions",
    "report.assumptions_intro": "Every input the model used and where it comes from: the scenario file (with its line), "
                                "an estimate (with its method) or the documented default.",
    "report.src_user": "user input ({file}:{line})",
    "report.src_user_noline": "user input ({file})",
    "report.src_user_set": "user input",
    "report.src_default": "default",
    "report.src_distribution": "{where}; a distribution, {dist}: the value shown is its estimate (compare), simulate samples it",
    "report.n_values": "{n} values (one per month)",
    "report.src_estimate": "estimated: {method}",
    "report.summary_h": "Summary",
    "report.by_year_h": "Cost by year",
    "report.components_h": "Where the money goes",
    "report.components_of": "Components of {path}",
    "report.breakeven_h": "Break-even months",
    "report.breakeven_none": "No path breaks even with another within the horizon: the cheaper path is cheaper from month 0.",
    "report.gpus_h": "Serving GPUs",
    "report.tornado_h": "Sensitivity (tornado)",
    "report.tornado_intro": "Each input moved to its low and its high value, the others held: the effect on {metric}.",
    "report.col_input": "Input",
    "report.col_low": "Low",
    "report.col_high": "High",
    "report.col_at_low": "{metric} at low",
    "report.col_at_high": "{metric} at high",
    "report.col_swing": "Swing",
    "report.mc_h": "Uncertainty (Monte Carlo)",
    "report.mc_intro": "{samples} samples drawn with seed {seed}; NPV percentiles per path and the probability that each path is the cheapest.",
    "report.col_p10": "NPV P10",
    "report.col_p50": "NPV P50",
    "report.col_p90": "NPV P90",
    "report.col_win": "Win probability",
    "report.warnings_h": "Warnings",
    "report.notice_h": "Notes on this document",
    "report.no_cjk_font": "No Chinese font was found for the charts (Noto Sans CJK, WenQuanYi, Source Han…): "
                          "chart labels are in English.",
    "report.footer": "Generated by buildorbuy {version} from {file}.",
    "report.chart_alt.cumulative": "Cumulative cost per path over time",
    "report.chart_alt.components": "Monthly cost stacked by component",
    "report.chart_alt.gpus": "Serving GPUs over time",
    "report.chart_alt.tornado": "Tornado chart",
    "report.chart_alt.npv_dist": "NPV distributions",
    # ------------------------------------------------------------------ diff
    "diff.title": "Diff: {base} → {proposal}",
    "diff.inputs_h": "Inputs that differ",
    "diff.no_inputs": "No input differs.",
    "diff.col_base": "Base",
    "diff.col_proposal": "Proposal",
    "diff.col_npv_base": "NPV base ({cur})",
    "diff.col_npv_proposal": "NPV proposal ({cur})",
    "diff.col_delta": "Δ ({cur})",
    "diff.col_delta_pct": "Δ %",
    "diff.col_status": "Status",
    "diff.paths_h": "NPV per path",
    "diff.winner_h": "Winner",
    "diff.winner_same": "{path} stays the recommendation.",
    "diff.winner_changed": "The recommendation changes: {base} → {proposal}.",
    "diff.breakeven_h": "Break-even changes",
    "diff.no_breakeven": "No break-even month changes.",
    "diff.status.changed": "changed",
    "diff.status.same": "same",
    "diff.status.added": "added",
    "diff.status.removed": "removed",
    "diff.absent": "(absent)",
    "diff.none": "none",
    "diff.currency_note": "The two scenarios use different currencies ({base} and {proposal}): deltas mix units.",
}

ZH: dict[str, str] = {
    "col.path": "方案",
    "col.kind": "类型",
    "col.golive": "上线",
    "col.total_cur": "总成本 ({cur})",
    "col.npv_cur": "净现值 ({cur})",
    "col.per_1m_cur": "每百万 token ({cur})",
    "col.levelised_cur": "平准化每百万 token ({cur})",
    "col.peak_gpus": "峰值 GPU",
    "col.feasible": "可行",
    "col.year": "第 {n} 年",
    "col.year_part": "第 {n} 年（{months} 个月）",
    "col.total": "合计",
    "col.component": "成本项",
    "col.share": "占比",
    "col.against": "对比",
    "col.breakeven": "盈亏平衡",
    "col.meaning": "含义",
    "col.field": "字段",
    "col.value": "取值",
    "col.how": "估算方法",
    "col.source": "来源",
    "kind.api": "API 调用",
    "kind.finetune": "微调自托管",
    "kind.build": "自研预训练",
    "yes": "是",
    "no_see_notes": "否（见说明）",
    "yes_unserved": "是，有未服务流量",
    "month_n": "第 {n} 月",
    "never": "从不",
    "row.tokens_demanded": "token 需求量",
    "row.total": "合计",
    "row.scenario": "（场景）",
    "note.infeasible": "{name} 不可行：{reason}。",
    "note.unserved": "{name} 上线前有 {tokens} token 无法服务（没有过渡 API）：不予推荐。",
    "be.neither": "在 {horizon} 个月内两者都不能持续更便宜",
    "be.meaning": "自第 {month} 月起累计成本始终不高于 {other}",
    "heading": "{name} — 自 {start} 起 {horizon} 个月，{cur}，年折现率 {rate}",
    "title.summary": "概览",
    "title.by_year": "按年成本",
    "title.components": "{path} 的成本构成",
    "title.breakeven": "盈亏平衡（累计，未折现）",
    "title.estimates": "估算的输入",
    "title.warnings": "警告",
    "reco.title": "推荐：{path}",
    "reco.none": "无",
    "reco.bold": "**推荐：{path}。**",
    "reason.lowest": "{winner} 的现值成本最低（{horizon} 个月净现值 {npv}）",
    "reason.lowest_among": "在可推荐的方案中，{winner} 的现值成本最低（{horizon} 个月净现值 {npv}）",
    "reason.ex_after_horizon": "{path} 在第 {detail} 月上线，晚于 {horizon} 个月的评估期",
    "note.after_horizon": "{name} 在第 {month} 月上线，晚于 {horizon} 个月的评估期：不予推荐。",
    "reason.below": "，比 {runner} 低 {margin}{share}",
    "reason.share": "（{fraction}）",
    "reason.tie": "差距不足 5%：可视为打平，建议做敏感性分析",
    "reason.breakeven": "它在第 {month} 月与 {runner} 达到盈亏平衡",
    "reason.risk": "其数字为期望值，成功概率 {p}；若失败，已投入成本无法收回，流量继续由过渡 API 承担",
    "reason.excluded": "已排除：{items}",
    "reason.ex_infeasible": "{path} 不可行（{detail}）",
    "reason.ex_unserved": "{path} 上线前有流量无法服务（没有过渡 API）",
    "reason.none": "没有既可行、在评估期内上线又能服务全部流量的方案：{items}。",
    "reason.sep": "；",
    "reason.end": "。",
    "infeasible.residency_api": "data_residency 为 {residency}，需要 {allowed} 部署；该 API 为 {actual}",
    "infeasible.residency_hosted": "data_residency 为 {residency}，不允许：{places}",
    "infeasible.place": "{what} 运行在 {where}",
    "infeasible.lead_time": "第 {live_month} 月上线，晚于 max_lead_time_months {max}",
    "infeasible.or": " 或 ",
    "infeasible.sep": "；",
    "chart.cumulative": "累计成本 ({cur})",
    "chart.month": "月",
    "chart.legend_markers": "月份轴下方的字母：上线月份；◆：推荐方案与次优方案盈亏平衡",
    "fig.cumulative": "各方案累计成本",
    "fig.components": "按成本项的月度成本",
    "fig.gpus": "推理 GPU 数量随时间变化",
    "fig.tornado": "{metric} 的敏感性",
    "fig.npv_dist": "净现值分布（{samples} 个样本）",
    "fig.axis_month": "月份",
    "fig.axis_cost": "成本 ({cur})",
    "fig.axis_monthly": "月度成本 ({cur})",
    "fig.axis_gpus": "GPU 数量",
    "fig.axis_npv": "净现值 ({cur})",
    "fig.axis_count": "样本数",
    "fig.golive": "{path} 上线",
    "fig.breakeven": "盈亏平衡，第 {month} 月",
    "fig.low": "低值",
    "fig.high": "高值",
    "report.title": "{name}：自研、微调还是购买？",
    "report.question_h": "问题",
    "report.question": "在自 {start} 起的 {horizon} 个月里，{count} 种方案中哪一种最适合承担这项负载？"
                       "负载起始为每月 {tokens} token（{growth}），以 {cur} 计价，年折现率 {rate}。",
    "report.growth": "每月增长 {rate}",
    "report.no_growth": "不增长",
    "report.schedule": "按月给定的需求表",
    "report.paths_are": "候选方案：",
    "report.path_item": "**{name}**（{kind}），第 {month} 月起上线",
    "report.reco_h": "推荐",
    "report.reco_path": "**{path}。**",
    "report.reco_none": "**无推荐方案。**",
    "report.assumptions_h": "假设",
    "report.assumptions_intro": "模型用到的每个输入及其来源：场景文件（附行号）、估算（附方法）或文档规定的默认值。",
    "report.src_user": "用户输入（{file}:{line}）",
    "report.src_user_noline": "用户输入（{file}）",
    "report.src_user_set": "用户输入",
    "report.src_default": "默认值",
    "report.src_distribution": "{where}；分布 {dist}：此处为其估计值（compare 使用），simulate 对其抽样",
    "report.n_values": "{n} 个值（每月一个）",
    "report.src_estimate": "估算：{method}",
    "report.summary_h": "概览",
    "report.by_year_h": "按年成本",
    "report.components_h": "成本构成",
    "report.components_of": "{path} 的成本项",
    "report.breakeven_h": "盈亏平衡月份",
    "report.breakeven_none": "在规划期内没有方案与另一方案达到盈亏平衡：较便宜的方案从第 0 月起就更便宜。",
    "report.gpus_h": "推理 GPU",
    "report.tornado_h": "敏感性分析（龙卷风图）",
    "report.tornado_intro": "每个输入分别取低值和高值、其余不变时，对 {metric} 的影响。",
    "report.col_input": "输入",
    "report.col_low": "低值",
    "report.col_high": "高值",
    "report.col_at_low": "低值时 {metric}",
    "report.col_at_high": "高值时 {metric}",
    "report.col_swing": "波动幅度",
    "report.mc_h": "不确定性（蒙特卡洛）",
    "report.mc_intro": "随机种子 {seed}，共 {samples} 个样本；各方案净现值的分位数以及成为最便宜方案的概率。",
    "report.col_p10": "净现值 P10",
    "report.col_p50": "净现值 P50",
    "report.col_p90": "净现值 P90",
    "report.col_win": "胜出概率",
    "report.warnings_h": "警告",
    "report.notice_h": "关于本文档",
    "report.no_cjk_font": "未找到可用于图表的中文字体（Noto Sans CJK、文泉驿、思源黑体等）：图表标签使用英文。",
    "report.footer": "由 buildorbuy {version} 根据 {file} 生成。",
    "report.chart_alt.cumulative": "各方案累计成本随时间变化",
    "report.chart_alt.components": "按成本项堆叠的月度成本",
    "report.chart_alt.gpus": "推理 GPU 数量随时间变化",
    "report.chart_alt.tornado": "龙卷风图",
    "report.chart_alt.npv_dist": "净现值分布",
    "diff.title": "差异：{base} → {proposal}",
    "diff.inputs_h": "不同的输入",
    "diff.no_inputs": "没有不同的输入。",
    "diff.col_base": "基准",
    "diff.col_proposal": "提案",
    "diff.col_npv_base": "基准净现值 ({cur})",
    "diff.col_npv_proposal": "提案净现值 ({cur})",
    "diff.col_delta": "Δ ({cur})",
    "diff.col_delta_pct": "Δ %",
    "diff.col_status": "状态",
    "diff.paths_h": "各方案净现值",
    "diff.winner_h": "推荐方案",
    "diff.winner_same": "仍为 {path}。",
    "diff.winner_changed": "改变：{base} → {proposal}。",
    "diff.breakeven_h": "盈亏平衡变化",
    "diff.no_breakeven": "盈亏平衡月份没有变化。",
    "diff.status.changed": "已变化",
    "diff.status.same": "不变",
    "diff.status.added": "新增",
    "diff.status.removed": "移除",
    "diff.absent": "（无）",
    "diff.none": "无",
    "diff.currency_note": "两个场景的币种不同（{base} 与 {proposal}）：差值混合了不同单位。",
}


def _component_labels() -> tuple[dict[str, str], dict[str, str]]:
    from buildorbuy.engine.core import COMPONENT_LABELS

    zh = {
        "api_fees": "API 费用",
        "bridge_fees": "过渡 API 费用",
        "managed_finetune": "托管微调",
        "serving_rent": "租用推理 GPU",
        "hardware_purchase": "GPU 采购",
        "power_and_hosting": "电力与托管",
        "residual_credit": "残值抵扣",
        "training_compute": "训练算力",
        "finetune_compute": "微调算力",
        "data": "数据",
        "staff": "人员",
        "api_fixed_fees": "API 固定费用与开通费",
    }
    return {f"component.{k}": v for k, v in COMPONENT_LABELS.items()}, {f"component.{k}": v for k, v in zh.items()}


_en_components, _zh_components = _component_labels()
EN.update(_en_components)
EN.update({f"reason.{key}": text for key, text in REASON_EN.items()})
EN.update({f"infeasible.{key}": text for key, text in INFEASIBLE_EN.items()})
ZH.update(_zh_components)

TABLES = {"en": EN, "zh": ZH}


def t(key: str, lang: str = "en", /, **values: Any) -> str:
    """The string for `key` in `lang` ("en" or "zh"), with `{placeholders}` filled in."""
    table = TABLES.get(lang)
    if table is None:
        raise ValueError(f"unknown language '{lang}'; use one of {', '.join(LANGS)}")
    text = table[key]
    return text.format(**values) if values else text


def component_label(key: str, lang: str = "en") -> str:
    return TABLES[lang].get(f"component.{key}", key)


def kind_label(kind: str, lang: str = "en") -> str:
    return TABLES[lang].get(f"kind.{kind}", kind)


def reason_phrases(lang: str) -> dict[str, str]:
    """The recommendation phrases of a language, keyed as `phrase_reason` expects."""
    table = ZH if lang == "zh" else EN
    return {key: table[f"reason.{key}"] for key in REASON_EN}


def infeasible_phrases(lang: str) -> dict[str, str]:
    """Why-infeasible phrases of a language, keyed as `phrase_infeasible` expects."""
    table = ZH if lang == "zh" else EN
    return {key: table[f"infeasible.{key}"] for key in INFEASIBLE_EN}


# ---------------------------------------------------------------------- decision analysis: voi, whatif, report
EN.update({
    "voi.heading": "{name} — value of information, {samples} samples (seed {seed}), {cur}",
    "voi.decision_now": "Deciding now: {path} (the lowest mean NPV over the samples).",
    "voi.evpi": "Perfect information about every uncertain input is worth {value} {cur} (EVPI, ± {se}): the expected regret of deciding now.",
    "voi.knowing": "Knowing {field} before deciding is worth {value} {cur} ({share} of EVPI).",
    "voi.nothing_worth": "No single input is worth learning before deciding: every EVPPI is within noise of 0.",
    "voi.title": "Value of learning one input before deciding (EVPPI)",
    "voi.col_input": "Input",
    "voi.col_evppi": "EVPPI ({cur})",
    "voi.col_se": "± SE",
    "voi.col_share": "Share of EVPI",
    "voi.method": "EVPPI: the samples are ordered by the input and cut into about √n equal groups (by value when the input takes "
                  "few values); each path's mean NPV per group estimates its NPV given the input. The optimism of noisy group "
                  "means is removed with a parametric bootstrap ({boot} replicates); the standard error comes from the same "
                  "estimate on {batches} independent batches of the samples.",
    "whatif.heading": "{name} — what would have to be true, {cur}",
    "whatif.winner": "Winner today (compare): {path}.",
    "whatif.wins_if": "{path} wins if {conditions}.",
    "whatif.or_if": ", or if ",
    "whatif.never": "{path}: no single input within its valid range makes it tie {winner}.",
    "whatif.title": "What would make {path} tie {winner} (one input at a time)",
    "whatif.col_input": "Input",
    "whatif.col_today": "Today",
    "whatif.col_ties": "Ties at",
    "whatif.col_change": "Change",
    "whatif.step": "at a step",
    "whatif.step_note": "\"at a step\": the cost jumps there (a whole GPU, a whole month), so the paths swap order without an exact tie.",
    "whatif.alone": "Only one path can be recommended: there is nothing that could overtake it.",
    "report.decide_h": "Before you decide",
    "report.decide_voi": "Deciding today under the uncertainty you would pick **{path}** (lowest mean NPV over {samples} samples). "
                         "Knowing every uncertain input first would save {evpi} {cur} on average (EVPI). What learning one "
                         "input alone is worth:",
    "report.decide_whatif": "What would have to be true for another path to tie {winner}, each input moved alone, nearest first:",
    "report.decide_col_path": "Path",
})

ZH.update({
    "voi.heading": "{name} — 信息价值，{samples} 个样本（随机种子 {seed}），{cur}",
    "voi.decision_now": "现在决策：{path}（样本平均净现值最低）。",
    "voi.evpi": "掌握全部不确定输入的完全信息价值 {value} {cur}（EVPI，± {se}）：即现在决策的期望遗憾。",
    "voi.knowing": "决策前弄清 {field} 价值 {value} {cur}（占 EVPI 的 {share}）。",
    "voi.nothing_worth": "没有哪一个输入值得在决策前去弄清：每个 EVPPI 都在噪声范围内接近 0。",
    "voi.title": "决策前弄清单个输入的价值（EVPPI）",
    "voi.col_input": "输入",
    "voi.col_evppi": "EVPPI（{cur}）",
    "voi.col_se": "± 标准误",
    "voi.col_share": "占 EVPI",
    "voi.method": "EVPPI：按该输入对样本排序并分成约 √n 个等量组（输入取值很少时按取值分组）；各方案在每组内的平均净现值"
                  "估计给定该输入时的净现值。组均值噪声带来的乐观偏差用参数自助法（{boot} 次重抽）扣除；标准误由样本分成的 {batches} 个独立批次上的同一估计得到。",
    "whatif.heading": "{name} — 需要什么条件才会改变结论，{cur}",
    "whatif.winner": "当前胜出方案（compare）：{path}。",
    "whatif.wins_if": "{path} 胜出的条件：{conditions}。",
    "whatif.or_if": "；或 ",
    "whatif.never": "{path}：在有效范围内，单独改变任何一个输入都无法与 {winner} 持平。",
    "whatif.title": "使 {path} 与 {winner} 持平的条件（每次只改变一个输入）",
    "whatif.col_input": "输入",
    "whatif.col_today": "当前值",
    "whatif.col_ties": "持平于",
    "whatif.col_change": "变化",
    "whatif.step": "阶跃处",
    "whatif.step_note": "“阶跃处”：成本在该处跳变（整块 GPU、整月），两方案的先后顺序互换但没有精确持平点。",
    "whatif.alone": "只有一个方案可被推荐：没有可以超过它的方案。",
    "report.decide_h": "决策之前",
    "report.decide_voi": "在当前不确定性下立即决策会选择 **{path}**（{samples} 个样本中平均净现值最低）。"
                         "若先弄清全部不确定输入，平均可节省 {evpi} {cur}（EVPI）。单独弄清每个输入的价值：",
    "report.decide_whatif": "其他方案需要什么条件才能与 {winner} 持平（每次只改变一个输入，按距当前值由近到远）：",
    "report.decide_col_path": "方案",
})
