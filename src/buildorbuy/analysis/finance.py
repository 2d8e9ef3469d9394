"""Finance views of an engine result: the IRR and payback of switching, and the accounting view.

Switching (DESIGN §2b): for a self-hosted path, the api path it would replace (its bridge, else
its routing fallback, else the cheapest api path by NPV) gives the incremental monthly cash flow
`saving[m] = api_cost[m] − path_cost[m]` (start-of-month flows, month 0 undiscounted). Its IRR is
the monthly rate x with Σ_m saving[m]·(1 + x)^(−m) = 0, reported effective annual
`(1 + x)^12 − 1`; the discounted payback month is the first month from which
Σ_{j≤m} saving[j]·(1 + r)^(−j/12) stays ≥ 0 to the end.

Accounting view: the cash figures stay as they are; GPU purchases become depreciation expense
following `serving.residual` (straight line over `depreciation_years` by default; a declining
balance; or `none`: no value carried, so a purchase is expensed in the month it is bought), and
capex, opex and depreciation are summed by fiscal year (`fiscal_year_start_month`). The book
value at the end equals the residual credit the cash view gives back in the last month.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from buildorbuy.phrases import SWITCH_EN

IRR_MONTHLY_LOW = -0.5
"""Lowest monthly rate searched (−99.98 % a year): flows losing more than that have no IRR worth stating."""
IRR_MONTHLY_HIGH = 10.0
"""Highest monthly rate searched (1100 % a month)."""
_GRID_POINTS = 2049


def _npv_at(flows: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Σ_m flows[b, m]·(1 + rates[b, k])^(−m), [batch, k] (rates [batch or 1, k])."""
    months = np.arange(flows.shape[-1], dtype=float)
    factors = np.exp(-np.log1p(rates)[..., None] * months)  # [b|1, k, m]
    return np.einsum("bkm,bm->bk", np.broadcast_to(factors, (flows.shape[0], *factors.shape[1:])), flows)


def irr_monthly(flows: np.ndarray) -> tuple[np.ndarray, list[str | None]]:
    """Monthly IRR of each row of `flows` ([batch, month]), with the reason where it is undefined.

    Vectorised over the batch: the NPV is evaluated on a grid of monthly rates from
    IRR_MONTHLY_LOW to IRR_MONTHLY_HIGH (log-spaced in 1 + x); a row with exactly one sign change
    of its NPV on the grid gets that root, refined by bisection to machine precision. No sign
    change in the flows (or none of the NPV in the range) → NaN and a reason; several roots
    (flows changing sign more than once can have several IRRs) → NaN and a reason saying so,
    rather than picking one.
    """
    flows = np.atleast_2d(np.asarray(flows, dtype=float))
    size = flows.shape[0]
    scale = np.maximum(np.abs(flows).max(axis=-1, initial=0.0), 1e-300)
    tiny = np.abs(flows) <= 1e-12 * scale[:, None]
    signs = np.where(tiny, 0.0, np.sign(flows))
    has_pos = (signs > 0).any(axis=-1)
    has_neg = (signs < 0).any(axis=-1)
    grid = np.expm1(np.linspace(np.log1p(IRR_MONTHLY_LOW), np.log1p(IRR_MONTHLY_HIGH), _GRID_POINTS))[None, :]
    values = _npv_at(flows, grid)
    value_signs = np.sign(values)
    nonzero = value_signs != 0
    # Forward-fill the signs over exact zeros, then count the flips between neighbours.
    last = np.maximum.accumulate(np.where(nonzero, np.arange(values.shape[1]), -1), axis=-1)
    filled = np.where(last >= 0, np.take_along_axis(value_signs, np.clip(last, 0, None), axis=-1), 0.0)
    flips = (filled[:, 1:] != filled[:, :-1]) & (filled[:, :-1] != 0)
    changes = flips.sum(axis=-1)
    first = np.argmax(flips, axis=-1)  # flip between grid points last[first] and first + 1
    first_bracket = last[np.arange(size), first]
    for_bracket = first + 1
    low = grid[0, np.clip(first_bracket, 0, None)]
    high = grid[0, np.clip(for_bracket, 0, None)]
    ok = (changes == 1) & has_pos & has_neg
    f_low = _npv_at(flows, low[:, None])[:, 0]
    for _ in range(200):
        mid = 0.5 * (low + high)
        f_mid = _npv_at(flows, mid[:, None])[:, 0]
        same = np.sign(f_mid) == np.sign(f_low)
        low = np.where(same, mid, low)
        f_low = np.where(same, f_mid, f_low)
        high = np.where(same, high, mid)
        if np.all(np.abs(high - low) <= 1e-15 * (1.0 + np.abs(low)) + 1e-300):
            break
    rate = np.where(ok, 0.5 * (low + high), np.nan)
    reasons: list[str | None] = []
    for b in range(size):
        if ok[b]:
            reasons.append(None)
        elif not (has_pos[b] and has_neg[b]):
            reasons.append(SWITCH_EN["all_cheaper"] if has_pos[b] else SWITCH_EN["never_cheaper"] if has_neg[b]
                           else SWITCH_EN["same"])
        elif changes[b] > 1:
            reasons.append(SWITCH_EN["several"].format(count=changes[b]))
        else:
            reasons.append(SWITCH_EN["outside"].format(low=f"{IRR_MONTHLY_LOW:.0%}", high=f"{IRR_MONTHLY_HIGH:.0%}"))
    return rate, reasons


def annual_rate(monthly: np.ndarray) -> np.ndarray:
    """Effective annual rate (1 + x)^12 − 1."""
    return np.expm1(12.0 * np.log1p(monthly))


def payback_months(savings: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """First month from which cumulative discounted savings stay ≥ 0 to the end, [batch] (−1: never)."""
    cumulative = np.cumsum(savings * discount, axis=-1)
    scale = np.maximum(np.abs(cumulative).max(axis=-1, initial=0.0), 1.0)[:, None]
    ok = cumulative >= -1e-9 * scale
    holds = np.flip(np.logical_and.accumulate(np.flip(ok, axis=-1), axis=-1), axis=-1)
    return np.where(holds.any(axis=-1), np.argmax(holds, axis=-1), -1)


def switch_against(plan, result, b: int = 0) -> list[int | None]:
    """For each path, the api path it would replace (None for api paths and when there is none).

    The bridge; else the routing fallback (when the plan has one); else the cheapest feasible api
    path by NPV (the cheapest api path when none is feasible).
    """
    api = [pp.index for pp in plan.paths if pp.kind == "api"]
    if not api:
        return [None] * len(plan.paths)
    feasible = [i for i in api if result.feasible[b, i]] or api
    cheapest = min(feasible, key=lambda i: (result.npv[b, i], i))
    out: list[int | None] = []
    for pp in plan.paths:
        if pp.kind == "api":
            out.append(None)
            continue
        fallback = getattr(pp, "fallback", None)
        out.append(pp.bridge if pp.bridge is not None else fallback if fallback is not None else cheapest)
    return out


def switch_figures(plan, result, b: int = 0) -> list[dict[str, Any] | None]:
    """paths[].switch {against, irr, payback_month} (None for api paths); `reason` where irr is null."""
    against = switch_against(plan, result, b)
    rows = [i for i, a in enumerate(against) if a is not None]
    out: list[dict[str, Any] | None] = [None] * len(plan.paths)
    if not rows:
        return out
    cost = result.monthly_cost[b]
    savings = np.stack([cost[against[i]] - cost[i] for i in rows])
    monthly, reasons = irr_monthly(savings)
    payback = payback_months(savings, np.broadcast_to(result.discount[b], savings.shape))
    annual = annual_rate(monthly)
    for row, i in enumerate(rows):
        entry: dict[str, Any] = {
            "against": plan.paths[against[i]].name,
            "irr": None if np.isnan(annual[row]) else float(annual[row]),
            "payback_month": None if payback[row] < 0 else int(payback[row]),
        }
        if reasons[row] is not None:
            entry["reason"] = reasons[row]
        out[i] = entry
    return out


# ----------------------------------------------------------------------------- accounting view


def value_share(plan, params, index: int, horizon: int, b: int = 0) -> np.ndarray:
    """v[a]: the share of a GPU's purchase price left after a whole months of age, a = 0 … horizon.

    straight line clip(1 − a/12 / depreciation_years, 0, 1); declining balance (1 − rate)^(a/12);
    none: nothing after the purchase month (v[0] = 1, v[a ≥ 1] = 0, so it is expensed when bought).
    At a = horizon − k this is the engine's residual share of a GPU bought in month k.
    """
    ages = np.arange(horizon + 1, dtype=float)
    kind = getattr(plan.paths[index], "residual", "straight_line")
    prefix = f"paths[{index}].serving."
    if kind == "declining_balance":
        return (1.0 - float(params[prefix + "residual.declining_balance"][b])) ** (ages / 12.0)
    if kind == "none":
        return (ages == 0).astype(float)
    years = float(params[prefix + "depreciation_years"][b])
    return np.clip(1.0 - ages / 12.0 / years, 0.0, 1.0)


def depreciation(purchases: np.ndarray, share: np.ndarray) -> np.ndarray:
    """dep[m] = Σ_{k ≤ m} purchases[k]·(v[m − k] − v[m − k + 1]) (purchases [month]; v [month + 1])."""
    horizon = purchases.shape[-1]
    kernel = share[:horizon] - share[1 : horizon + 1]
    lag = np.arange(horizon)[:, None] - np.arange(horizon)[None, :]  # [m, k]
    weights = np.where(lag >= 0, kernel[np.clip(lag, 0, None)], 0.0)
    return weights @ purchases


def fiscal_years(start_year: int, start_month: int, horizon: int, fiscal_start: int) -> tuple[list[str], np.ndarray]:
    """Labels and the fiscal-year index of each month. FY<y> is the fiscal year starting in calendar year y."""
    months = np.arange(horizon)
    calendar = start_month - 1 + months  # months since January of start_year
    fy_start_year = (calendar - (fiscal_start - 1)) // 12 + start_year
    first = int(fy_start_year[0]) if horizon else start_year
    index = (fy_start_year - first).astype(int)
    labels = [f"FY{first + j}" for j in range(int(index[-1]) + 1)] if horizon else []
    return labels, index


def accounting_figures(plan, result, b: int = 0) -> list[dict[str, Any]]:
    """paths[].accounting: {depreciation[], capex_by_fiscal_year[], opex_by_fiscal_year[], book_value_end, …}.

    Each by-fiscal-year list holds {fiscal_year, first_month, last_month, amount}: capex = GPU
    purchases (cash); opex = every other cash cost except the residual credit; depreciation; and
    expense = opex + depreciation (Σ expense over the horizon = the cash total).
    """
    scenario = plan.scenario
    horizon = plan.horizon
    start = scenario.start_date
    labels, index = fiscal_years(start.year, start.month, horizon, getattr(scenario, "fiscal_year_start_month", 1))
    components = result.components
    purchases_all = components["hardware_purchase"][b]
    residual_all = components["residual_credit"][b]
    out = []
    for pp in plan.paths:
        i = pp.index
        purchases = purchases_all[i]
        if pp.ownership == "own" and np.any(purchases != 0):
            dep = depreciation(purchases, value_share(plan, result.params, i, horizon, b))
        else:
            dep = np.zeros(horizon)
        opex = result.monthly_cost[b, i] - purchases - residual_all[i]
        by_year = lambda values: [  # noqa: E731
            {"fiscal_year": label, "first_month": int(np.argmax(index == j)),
             "last_month": int(horizon - 1 - np.argmax(index[::-1] == j)),
             "amount": float(values[index == j].sum())}
            for j, label in enumerate(labels)
        ]
        out.append({
            "depreciation": dep.tolist(),
            "capex_by_fiscal_year": by_year(purchases),
            "opex_by_fiscal_year": by_year(opex),
            "depreciation_by_fiscal_year": by_year(dep),
            "expense_by_fiscal_year": by_year(opex + dep),
            "book_value_end": float(purchases.sum() - dep.sum()),
        })
    return out
