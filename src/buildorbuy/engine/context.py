"""What every cost mechanism reads: the month grid, the workload and the parameters (Context), and
one path's identity, go-live and success weights (PathContext).

Shapes: parameters are [batch] arrays of length 1 (the same for the whole batch) or of the batch
size; `Context.col` turns one into a column that broadcasts over months. Month arrays are
[batch or 1, month]: a quantity nothing in the batch varies stays at one row.

A mechanism returns `Costs`: component name → [batch or 1, month] array, or `OneMonth` for a cost
that falls in a single month (kept out of the full arrays). The composer adds them up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Union

import numpy as np

from buildorbuy.engine.plan import Params, PathPlan, Plan
from buildorbuy.scenario.models import MONTH_HOURS

SECONDS_PER_MONTH = MONTH_HOURS * 3600.0


@dataclass(frozen=True)
class OneMonth:
    """A cost that falls in one month only: `values` ([batch] or [1]) in month `month`."""

    month: int
    values: np.ndarray


Costs = dict[str, Union[np.ndarray, OneMonth, "Gathered", "Factored", "UntilLive"]]
"""A mechanism's output: component name (engine.core.COMPONENTS) → [batch or 1, month], OneMonth, or
Gathered (a [batch, month] cost computed once per group of rows) or Factored (base · row · column)."""


class Context:
    """The month grid and the workload shared by every path, [batch or 1, month] arrays.

    tokens T[m]; output O = T·output_share; input I = T − O; cached input C = I·cached_input_share;
    peak load T / (730·3600) · peak_to_average tokens/s. O, I, C and the peak are computed on first
    use (a batch whose mechanisms do not need them does not pay for them).
    """

    def __init__(self, params: Params, size: int, horizon: int, tokens: np.ndarray):
        self.params = params
        self.size = size
        """Batch size."""
        self.horizon = horizon
        self.months = np.arange(horizon, dtype=float)
        """Month numbers 0 … horizon−1 as floats, [month]."""
        self.years = self.months[None, :] / 12.0
        """m / 12, [1, month]."""
        self.tokens = tokens

    def col(self, key: str) -> np.ndarray:
        """A parameter as a column ([1, 1] or [batch, 1]) to broadcast over months."""
        return self.params[key][:, None]

    @cached_property
    def output(self) -> np.ndarray:
        return self.tokens * self.col("workload.output_share")

    @cached_property
    def inputs(self) -> np.ndarray:
        return self.tokens - self.output

    @cached_property
    def cached(self) -> np.ndarray:
        return self.inputs * self.col("workload.cached_input_share")

    @cached_property
    def peak_tokens_per_second(self) -> np.ndarray:
        return product(self.tokens, self.col("workload.peak_to_average") / SECONDS_PER_MONTH)


def workload_context(plan: Plan, params: Params, size: int) -> Context:
    """T[m] = tokens_per_month·(1 + growth_per_month)^m (or the schedule)."""
    horizon = plan.horizon
    if plan.scenario.workload.schedule is not None:
        tokens = np.stack(np.broadcast_arrays(*(params[f"workload.schedule[{m}]"] for m in range(horizon))), axis=1)
    else:
        months = np.arange(horizon, dtype=float)[None, :]
        tokens = compound(params["workload.growth_per_month"][:, None], months)  # a temporary of its own
        volume = params["workload.tokens_per_month"][:, None]
        if tokens.shape == np.broadcast_shapes(tokens.shape, volume.shape):
            tokens *= volume  # = volume · growth factor (one array instead of two)
        else:
            tokens = tokens * volume
    return Context(params, size, horizon, tokens)


def compound(rate: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """(1 + rate)^periods as exp(periods·log1p(rate)): a column [b|1, 1] over a row [1, month].

    One full-size array and one exp instead of a pow (3-4× slower); equal to the pow to ~1e-15
    relative.
    """
    result = np.multiply(periods, np.log1p(rate))
    return np.exp(result, out=result)


GROUPED_BATCH = 256
"""Smallest batch whose rows `distinct_rows` groups (below it the grouping costs more than it saves)."""


def distinct_rows(*columns: np.ndarray, most: float = 0.125) -> tuple[np.ndarray, np.ndarray] | None:
    """The batch's rows grouped by their values of `columns` ([batch] or [1] arrays): (one row of each
    group, [groups]; the group of each row, [batch]), or None when the batch is small, nothing varies
    or there are more than `most` × batch groups.

    A term that depends on the batch only through these columns is then computed once per group and
    gathered (`rows[group]`): the same operations on the same numbers, so the same bits, at a fraction
    of the [batch, month] work. Values are compared bit for bit (0.0 and −0.0 are different groups).
    In a Monte Carlo slice a path's (go-live month, drawn outcome) takes a few dozen values.
    """
    size = max(c.shape[0] for c in columns)
    if size < GROUPED_BATCH:
        return None
    code = np.zeros(size, dtype=np.intp)
    groups = 1
    for column in columns:
        if column.shape[0] == 1:
            continue
        bits = np.ascontiguousarray(column, dtype=np.float64).view(np.int64)
        ordered = np.sort(bits)
        values = ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]  # np.unique, without its overhead
        groups *= values.shape[0]
        if groups > most * size:
            return None
        code *= values.shape[0]
        code += np.searchsorted(values, bits)
    if groups == 1:
        return None
    row = np.empty(groups, dtype=np.intp)
    row[code] = np.arange(size)  # a row of each combination present (any one: they are equal)
    present = np.zeros(groups, dtype=bool)
    present[code] = True
    number = np.cumsum(present) - 1  # combination code → group number
    return row[present], number[code]


class Gathered:
    """A [batch, month] cost computed once per group of rows (`distinct_rows`): row b is
    values[index[b]]. The ledger gathers it (`full()`, the same bits as computing every row) or, when
    it keeps only reductions, reduces the [groups, month] values once and gathers the reductions."""

    __slots__ = ("values", "index")

    def __init__(self, values: np.ndarray, index: np.ndarray):
        self.values = values
        """[groups, month]."""
        self.index = index
        """The group of each batch row, [batch]."""

    @property
    def shape(self) -> tuple[int, int]:
        return (self.index.shape[0], self.values.shape[1])

    def full(self) -> np.ndarray:
        """The [batch, month] array."""
        return np.take(self.values, self.index, axis=0)

    def __getitem__(self, key):
        return self.full()[key]


class _Deferred:
    """A [batch, month] array computed on first use by `_full()` (the mechanism's own arithmetic) and kept."""

    __slots__ = ()

    def full(self) -> np.ndarray:
        """The [batch, month] array, as the mechanism computes it."""
        if self._value is None:
            self._value = self._full()
        return self._value

    def __getitem__(self, key):
        return self.full()[key]


class Factored(_Deferred):
    """A [batch, month] cost that is base[b, m] · row[m] · column[b] (row and column optional): `full()`
    computes it (the mechanism's own arithmetic, so the same bits as ever); a ledger keeping only
    reductions instead reduces `base` once (the row folded into the reduction's weights) and scales
    the result by the column, saving the [batch, month] products. Equal to ~1e-16 relative."""

    __slots__ = ("_full", "_value", "base", "row", "column")

    def __init__(self, full, base: np.ndarray, row: np.ndarray | None = None, column: np.ndarray | None = None):
        self._full = full
        """() → the [batch, month] array (it may overwrite `base`: called once, by `full`)."""
        self._value: np.ndarray | None = None
        self.base = base
        """[batch, month]."""
        self.row = row
        """[1, month] or None."""
        self.column = column
        """[batch or 1, 1] or None."""

    @property
    def shape(self) -> tuple[int, int]:
        return self.base.shape


class UntilLive(_Deferred):
    """A [batch, month] cost fees[b, m]·w[b, m], w = 1 before go-live and 1 − p from it (traffic a
    bridge carries): `full()` computes it as the mechanism does; a ledger keeping only reductions
    instead takes (1 − p)·Σ_m fees·weights + p·Σ_{m < go-live} fees·weights, reducing `fees` once for
    every path it bridges (and its own api path) and, per path, only the months before go-live."""

    __slots__ = ("_full", "_value", "fees", "before_live", "p", "first_live")

    def __init__(self, full, fees: np.ndarray, before_live: np.ndarray, p: np.ndarray | None, first_live: int):
        self._full = full
        self._value: np.ndarray | None = None
        self.fees = fees
        """[batch or 1, month]: the fees at full traffic."""
        self.before_live = before_live
        """[batch or 1, first_live] bool: month < go-live, for the months before the latest go-live."""
        self.p = p
        """[batch or 1, 1] success probability (None: 1 for the whole batch)."""
        self.first_live = first_live

    @property
    def shape(self) -> tuple[int, ...]:
        return np.broadcast_shapes(self.fees.shape, self.before_live.shape[:1] + self.fees.shape[1:])


def materialised(values):
    """A cost as a [batch or 1, month] array (a lazy Factored/UntilLive/Gathered cost computed)."""
    return values.full() if isinstance(values, (Factored, UntilLive, Gathered)) else values


def gathered(values: np.ndarray, rows: tuple[np.ndarray, np.ndarray] | None) -> "np.ndarray | Gathered":
    """`values` as they are, or, computed per group of `rows` ([groups, month]), as a Gathered cost."""
    if rows is None or values.shape[0] == 1:
        return values
    return Gathered(values, rows[1])


def pick(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """values[rows] for a [batch, …] array; a [1, …] array (the same for every row) as it is."""
    return values if values.shape[0] == 1 else values[rows]


def as_float(mask: np.ndarray) -> np.ndarray:
    """A bool mask as a new float64 array of 0.0/1.0: multiplying that by floats gives the same
    numbers as multiplying the mask, about twice as fast (no casting loop); yours to modify."""
    return mask.astype(np.float64)


def product(*factors: np.ndarray) -> np.ndarray:
    """The product of broadcastable arrays, smallest first, multiplying in place once a full-size
    result exists (the inputs are never modified)."""
    ordered = sorted(factors, key=np.size)
    result, owned = ordered[0], False
    for factor in ordered[1:]:
        if owned and result.shape == np.broadcast_shapes(result.shape, np.shape(factor)):
            result *= factor
        else:
            result, owned = result * factor, True
    return result


@dataclass
class PathContext:
    """One path as the mechanisms see it: its parameter keys, success probability and go-live.

    With success probability p (failure known at go-live), flows after go-live that need success
    are weighted by `success_weight` = p·live[m]; traffic left to the bridge by `fallback_weight`
    = (1 − live[m]) + (1 − p)·live[m]. `certain` (p = 1 for the whole batch) skips the products.
    """

    plan: PathPlan
    prefix: str
    p_success: np.ndarray
    """[batch or 1, 1]."""
    certain: bool
    live: np.ndarray | None = None
    """Go-live month, [batch or 1] (set once known)."""
    is_live: np.ndarray | None = None
    """live ≤ m, [batch or 1, month] bool."""
    _weights: dict = field(default_factory=dict, repr=False)

    @property
    def index(self) -> int:
        return self.plan.index

    def key(self, name: str) -> str:
        """The parameter key of this path's field `name` (e.g. 'serving.gpu_hour_price')."""
        return self.prefix + name

    def on_success(self, values: np.ndarray, *, in_place: bool = False) -> np.ndarray:
        """Weight a flow that happens only if the path succeeds (no copy when p = 1; `in_place`:
        `values` is a temporary the caller owns and may be overwritten)."""
        if self.certain:
            return values
        if in_place and values.shape == np.broadcast_shapes(values.shape, self.p_success.shape):
            values *= self.p_success
            return values
        return values * self.p_success

    @property
    def rows(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The batch grouped by (go-live month, success probability): `distinct_rows` of the two, or
        None; computed once, on first use."""
        if "rows" not in self._weights:
            self._weights["rows"] = distinct_rows(self.live, self.p_success[:, 0])
        return self._weights["rows"]

    def go_live(self, ctx: Context, live: np.ndarray) -> None:
        """Record the go-live month (the weights below follow from it)."""
        self.live = live
        windows = month_windows(ctx.horizon, live, 0, None)
        self.is_live = ctx.months[None, :] >= live[:, None] if windows is None else windows
        self._weights.clear()

    @property
    def success_weight(self) -> np.ndarray:
        """p·live[m], [batch or 1, month] (bool when p = 1); computed once, on first use."""
        if "success" not in self._weights:
            self._weights["success"] = self.is_live if self.certain else np.multiply(self.is_live, self.p_success)
        return self._weights["success"]

    @property
    def fallback_weight(self) -> np.ndarray:
        """(1 − live[m]) + (1 − p)·live[m], [batch or 1, month] (bool when p = 1); computed once."""
        if "fallback" not in self._weights:
            if self.certain:
                self._weights["fallback"] = ~self.is_live
            else:
                weight = np.ones(np.broadcast_shapes(self.is_live.shape, self.p_success.shape))
                np.subtract(1.0, self.p_success, out=weight, where=self.is_live)
                self._weights["fallback"] = weight
        return self._weights["fallback"]


def path_context(ctx: Context, path: PathPlan) -> PathContext:
    prefix = f"paths[{path.index}]."
    p_success = ctx.col(prefix + "success_probability")
    certain = p_success.shape[0] == 1 and p_success[0, 0] == 1.0
    return PathContext(path, prefix, p_success, certain)


def month_windows(horizon: int, live: np.ndarray, first: int, last: int | None) -> np.ndarray | None:
    """first ≤ m − live < last (no upper bound when `last` is None) for m in 0 … horizon−1, [batch, month]
    bool; None unless `live` is whole months over a batch (then the caller compares cell by cell).

    Each row is a window of one table over m − live: rows are gathered whole instead of comparing
    every [batch, month] cell (~3× faster). A go-live below `low` or above `high` has the same row as there.
    """
    if live.shape[0] < 2 or not np.all(live == np.floor(live)):
        return None
    high = horizon - first  # from here on no month reaches m − live ≥ first
    low = -last if last is not None else -first  # up to here every month is past `last` (or, unbounded, ≥ first)
    steps = np.arange(-high, horizon - low)  # m − live for every m and every clipped live
    table = steps >= first if last is None else (steps >= first) & (steps < last)
    offset = high - np.clip(live, low, high).astype(np.int64)
    return np.lib.stride_tricks.sliding_window_view(table, horizon)[offset]


def refresh_events(months: np.ndarray, live: np.ndarray, every: np.ndarray | None) -> np.ndarray | None:
    """Refresh months: go-live + k·every for k ≥ 1, as a [batch, month] mask (None: no refreshes)."""
    if every is None:
        return None
    horizon = months.shape[0]
    period = np.maximum(np.round(every), 1.0).astype(np.int64)
    if period.shape[0] == 1:
        # Look up m − live in a table of steps −horizon … horizon: a go-live past the horizon
        # (no refresh in it) clips to the horizon, keeping every index inside the table.
        steps = np.arange(-horizon, horizon + 1)
        table = (steps > 0) & (steps % period[0] == 0)
        offset = horizon - np.clip(live, -1, horizon).astype(np.int64)
        # row b is table[offset_b : offset_b + horizon]: gather whole rows of the table's windows
        return np.lib.stride_tricks.sliding_window_view(table, horizon)[offset]
    since = np.clip(np.arange(horizon)[None, :] - live.astype(np.int64)[:, None], -horizon, horizon)
    return (since > 0) & (since % period[:, None] == 0)
