"""Reusable annotated number types: quantity strings (`2.5B`, `450k`), fractions, money.

Every numeric field of the scenario uses one of these aliases, so parsing and range checks live
in one place.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

_SUFFIXES = {"": 1.0, "k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "b": 1e9, "B": 1e9, "g": 1e9, "G": 1e9, "t": 1e12, "T": 1e12}
_QUANTITY = re.compile(
    r"^\s*([+-]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+(?:_[0-9]+)*)(?:\.(?:[0-9]+(?:_[0-9]+)*)?)?|\.[0-9]+(?:_[0-9]+)*)"
    r"(?:[eE][+-]?[0-9]+)?)\s*([kKmMbBgGtT]?)\s*$",
    re.ASCII,
)
"""A decimal number (ASCII digits; `,` only as a thousands separator, `_` only between digits),
an optional exponent and an optional decimal suffix."""


def _hint(text: str) -> str:
    """Why an unreadable quantity was refused, when the reason is a known ambiguity."""
    if re.search(r"[0-9],[0-9]{1,2}(?![0-9])|[0-9],[0-9]{4,}", text):
        decimal = f" (write {text.replace(',', '.')} if the comma is a decimal point)" if text.count(",") == 1 else ""
        return f"; a comma only separates thousands, as in 1,000{decimal}"
    if "_" in text:
        return "; underscores go only between digits (1_000)"
    if re.search(r"[^\x00-\x7f]", text):
        return "; write the digits in ASCII (0-9)"
    return ""


def parse_quantity(value: Any) -> Any:
    """Turn `2.5B`, `500M`, `12k`, `1.4T`, `1e9`, `1_000`, `1,000` into a float; pass other values through.

    Suffixes are decimal (k = 1e3, M = 1e6, B or G = 1e9, T = 1e12). A trailing `%` divides by 100.
    Ambiguous forms are refused: `1,5B` (a decimal comma?), `20%%`, `1_0_0_`.
    """
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, str):
        text = value.strip()
        percent = text.endswith("%")
        if percent:
            text = text[:-1]
            if text.rstrip().endswith("%"):
                raise ValueError(f"'{value}' has more than one %; write 20% for a fifth")
        match = _QUANTITY.match(text)
        if not match:
            raise ValueError(f"'{value}' is not a number or quantity like 2.5B, 500M, 12k{_hint(text)}")
        if percent and match.group(2):
            raise ValueError(f"'{value}' mixes a suffix and %; write one of them")
        number = float(match.group(1).replace("_", "").replace(",", "")) * _SUFFIXES[match.group(2)]
        return number / 100.0 if percent else number
    return value


def parse_amount(value: Any) -> Any:
    """`parse_quantity` for amounts (tokens, money, counts, parameters, months, ...): a percentage
    (`50%`, `50 %`) is refused, as it means nothing there; shares and rates keep `30%`."""
    number = parse_quantity(value)  # its own hints first (`20%%`, `5k%`)
    if isinstance(value, str) and value.strip().endswith("%"):
        raise ValueError("an amount (tokens, money, a count, months), not a share: a percentage means nothing here; "
                         "write the number itself")
    return number


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _whole(value: float) -> float:
    if value != int(value):
        raise ValueError("must be a whole number")
    return value


def _signature_once(*functions) -> None:
    """Give each validator its `inspect.signature` as `__signature__` (PEP 362), which
    `inspect.signature` returns as is: pydantic inspects a validator's signature for every field
    using it (about 230 times while it builds the scenario's validator), each time from scratch."""
    import inspect

    for function in functions:
        function.__signature__ = inspect.signature(function)


_signature_once(parse_quantity, parse_amount, _finite, _whole)

_QTY = BeforeValidator(parse_quantity, json_schema_input_type=float | str)
AMOUNT_PATTERN = r"^\s*[+-]?(\d[\d_,]*\.?\d*|\.\d+)([eE][+-]?\d+)?\s*[kKmMbBgGtT]?\s*$"
"""An amount as `parse_amount` reads it, for the JSON Schema: a quantity with no percent sign."""
_AMT = BeforeValidator(parse_amount, json_schema_input_type=float | Annotated[str, Field(pattern=AMOUNT_PATTERN)])
"""A quantity that is an amount: no percent sign."""

Number = Annotated[float, _QTY, AfterValidator(_finite)]
"""Any finite number, quantity suffixes allowed."""
MAX_NUMBER = 1e18
"""No scenario number is larger: a bigger one is a typing mistake and would overflow the figures."""
MAX_COUNT = 1e7
"""Ten million GPUs, replicas or people: beyond any real fleet or team."""

NonNegative = Annotated[float, _QTY, AfterValidator(_finite), Field(ge=0, le=MAX_NUMBER)]
"""≥ 0: a share or a ratio (`40%` accepted) or an amount; amounts use NonNegativeAmount."""
NonNegativeAmount = Annotated[float, _AMT, AfterValidator(_finite), Field(ge=0, le=MAX_NUMBER)]
"""≥ 0, an amount such as a head count: no percent sign."""
Positive = Annotated[float, _AMT, AfterValidator(_finite), Field(gt=0, le=MAX_NUMBER)]
"""> 0, an amount (throughput, watts, years, epochs, tokens per request, exchange rate): no percent sign."""
MAX_MONEY = 1e15
"""A quadrillion in any currency: larger amounts are typing mistakes, and they would overflow totals."""
MAX_TOKENS = 1e18
"""A quintillion tokens: orders of magnitude beyond any real monthly volume or training set."""
MAX_PARAMS = 1e15

Money = Annotated[float, _AMT, AfterValidator(_finite), Field(ge=0, le=MAX_MONEY)]
"""An amount in the scenario's currency, ≥ 0."""
TokenCount = Annotated[float, _AMT, AfterValidator(_finite), Field(ge=0, le=MAX_TOKENS)]
ParamCount = Annotated[float, _AMT, AfterValidator(_finite), Field(gt=0, le=MAX_PARAMS)]
"""Model parameters."""
Fraction = Annotated[float, _QTY, AfterValidator(_finite), Field(ge=0, le=1)]
"""A share in [0, 1]; `30%` is accepted."""
UnitFraction = Annotated[float, _QTY, AfterValidator(_finite), Field(gt=0, le=1)]
"""A share in (0, 1], e.g. MFU or utilisation."""
Rate = Annotated[float, _QTY, AfterValidator(_finite), Field(gt=-1, le=100)]
"""A yearly or monthly rate of change, > -1 and ≤ 100 (-0.3 = 30 % cheaper each year)."""
Months = Annotated[float, _AMT, AfterValidator(_finite), AfterValidator(_whole), Field(ge=0, le=600)]
"""A whole number of months, 0 to 600."""
PositiveMonths = Annotated[float, _AMT, AfterValidator(_finite), AfterValidator(_whole), Field(ge=1, le=600)]
Count = Annotated[float, _AMT, AfterValidator(_finite), AfterValidator(_whole), Field(ge=0, le=MAX_COUNT)]
PositiveCount = Annotated[float, _AMT, AfterValidator(_finite), AfterValidator(_whole), Field(ge=1, le=MAX_COUNT)]
