"""Number formatting for rendered output. Numbers are rounded only here."""

from __future__ import annotations

import math


def money(value: float | None, decimals: int = 0) -> str:
    """Thousands separators; `—` for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if abs(value) < 0.5 * 10 ** (-decimals):
        value = 0.0
    return f"{value:,.{decimals}f}"


def money_short(value: float | None) -> str:
    """1.2M, 350k: for narrow columns."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    sign = "-" if value < 0 else ""
    value = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{sign}{value / limit:.3g}{suffix}"
    return f"{sign}{value:.3g}"


def unit_cost(value: float | None) -> str:
    """Cost per million tokens: 3 significant digits, at least 2 decimals below 100."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"


def tokens(value: float) -> str:
    """2.5B, 500M, 12k tokens."""
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.0f}"


def number(value: float) -> str:
    """An input value for people: 70.6B for counts in the billions, 216,000, 0.6, 0.00008 (never 8e-05)."""
    if abs(value) >= 1e9:
        return tokens(value)
    if value == int(value):
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    text = f"{value:.4g}"
    if "e" in text:
        import numpy as np

        text = np.format_float_positional(value, precision=4, unique=False, fractional=False, trim="-")
    return text


def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}"


def month_label(start_year: int, start_month: int, month_index: int) -> str:
    """Month index → 'YYYY-MM'."""
    total = start_month - 1 + month_index
    return f"{start_year + total // 12:04d}-{total % 12 + 1:02d}"


def data_number(value) -> str:
    """A number for CSV: plain digits, no separators or suffixes; whole values without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    number = float(value)
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def iso_date(text) -> str | None:
    """A catalog date in ISO 8601: `2025-01-01`, `2025-06`, `2026` as given; a quarter `2026-Q1` as the
    interval `2026-01/2026-03`, a span `2024-2025` as `2024/2025`; None for text that is not a date."""
    import re

    if text is None:
        return None
    value = str(text).strip()
    if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        return value
    quarter = re.fullmatch(r"(\d{4})-Q([1-4])", value)
    if quarter:
        year, q = quarter.group(1), int(quarter.group(2))
        return f"{year}-{3 * q - 2:02d}/{year}-{3 * q:02d}"
    span = re.fullmatch(r"(\d{4})\s*[-–]\s*(\d{4})", value)
    if span:
        return f"{span.group(1)}/{span.group(2)}"
    return None
