"""The ledger the composer adds each mechanism's costs to, path by path.

Each path's component stays at its natural shape ([1, month] when nothing it depends on varies
across the batch), so a big batch pays only for what varies; single-month costs (one-off data,
the residual credit) stay out of the [batch, month] arrays. `add` sums [batch, month] costs into the
path's monthly cost as they come (the order of the `add` calls is the summation order); `flush`
adds the path's [1, month] and single-month costs. Components are kept only with keep_components.

Reduced mode (`reduce`, a [month, K] matrix; components not kept): what a caller needs from the
monthly costs is a few weighted month sums (NPV: the discount factors; totals and cumulative costs at
year-ends: 0/1 columns). Each [batch, month] cost is then reduced at once (`values @ reduce`, one
matrix product) and the [batch, path, month] monthly totals are never formed; a cost computed once
per group of rows (`Gathered`) is reduced per group and the reductions gathered. The sums come out
in another order than summing the monthly totals: equal to ~1e-15 relative, not bit for bit.
"""

from __future__ import annotations

import weakref

import numpy as np

from buildorbuy.engine.context import Costs, Factored, Gathered, OneMonth, UntilLive

CAPEX_COMPONENTS = ("hardware_purchase",)
RESIDUAL_COMPONENT = "residual_credit"
TOTAL_COLUMN = 1
"""Reduced mode: the column of the `reduce` matrix that is all ones (a path's total cost)."""
MAX_MONTHLY_COST = 1e21
"""Largest monthly cost of a path, in the scenario's currency: world output is ~1e14 USD a year, so
even in the currency with the most units per dollar a bigger figure is a typing mistake."""


BLAS_ONE_THREAD = 65_536 * 4
"""OpenBLAS runs a matrix product of m·n·k ≤ 65,536 × GEMM_MULTITHREAD_THRESHOLD (4) multiply-adds on
the calling thread (OpenBLAS interface/gemm.c). Above it, it wakes its own threads: on a loaded
2-core machine, with simulate's two threads running, a [2,777 × 60] · [60 × 7] product measured
3–8 ms instead of 0.1–0.3 ms. Products are split into row blocks below it (each output row is the
same sum whatever the blocks or threads: the blocks split rows, never the month sum)."""


def reduce_rows(values: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """values @ matrix ([rows, month] · [month, K]), in row blocks that OpenBLAS runs on this thread."""
    rows = values.shape[0]
    step = max(1, BLAS_ONE_THREAD // (matrix.shape[0] * matrix.shape[1]))
    if rows <= step:
        return values @ matrix
    out = np.empty((rows, matrix.shape[1]))
    for start in range(0, rows, step):
        np.matmul(values[start : start + step], matrix, out=out[start : start + step])
    return out


class NeedsMonthlyTotals(Exception):
    """Reduced mode cannot tell whether a path's monthly cost passes the MAX_MONTHLY_COST bound:
    the caller evaluates again with the monthly totals (which then raise, or not, exactly as ever)."""


class Ledger:
    def __init__(self, size: int, n_paths: int, horizon: int, keep_components: bool, reduce: np.ndarray | None = None):
        self.keep_components = keep_components
        self.reduce = None if keep_components else reduce
        """[month, K] weights of the reduced mode (None: monthly totals are kept)."""
        self.reduced = np.empty((n_paths, size, self.reduce.shape[1])) if self.reduce is not None else None
        """[path, batch, K] reduced mode: Σ_m monthly_cost[b, p, m]·reduce[m, k]."""
        self.parts: dict[str, dict[int, np.ndarray]] = {}
        """Component → path → [batch or 1, month] values (kept with keep_components only)."""
        self.single_months: dict[str, dict[int, tuple[int, np.ndarray]]] = {}
        """(month, [batch] or [1] values) per path."""
        self.monthly_by_path = np.empty((0 if self.reduce is not None else n_paths, size, horizon))
        """[path, batch, month] monthly cost, not zeroed first: a path's first [batch, month] cost is
        written as 0 + cost (the same number as adding it to zeros, −0.0 included) and a path without
        one is zeroed at flush (a zero fill of several megabytes saved per call)."""
        self._unwritten = set(range(n_paths))
        self.capex = np.zeros((size, n_paths))
        self.residual = np.zeros((size, n_paths))
        self._shared: dict[int, np.ndarray] = {}
        """Per path, the sum of its [1, month] components (added to its months once, at flush)."""
        self._factored: dict[tuple, tuple] = {}
        """Reduced mode: (id(base), id(row)) → (weak references to base and row, reduction): a base's
        reduction is reused while that very array lives (a bridge's fees, for each path it bridges),
        without keeping the array alive (an id reused by a new array is a miss)."""

    def add(self, index: int, costs: Costs) -> None:
        """Add a mechanism's costs to path `index`: [batch, month] values go into its monthly cost at
        once (in the order of the `add` calls, so a temporary is freed right away), [1, month] values
        into one shared row; components are kept at their smallest shape when asked for."""
        for name, values in costs.items():
            if isinstance(values, OneMonth):
                self._add_one_month(name, index, values)
                continue
            by_path = self.parts.setdefault(name, {})  # the names seen, even when nothing is kept
            if isinstance(values, Gathered):
                if self.reduce is not None:
                    self._add_reduced(name, index, np.take(reduce_rows(values.values, self.reduce), values.index, axis=0))
                    continue
                values = values.full()
            if isinstance(values, UntilLive):
                if self.reduce is not None:
                    self._add_reduced(name, index, self._reduce_until_live(values))
                    continue
                values = values.full()
            if isinstance(values, Factored):
                if self.reduce is not None:
                    self._add_reduced(name, index, self._reduce_factored(values))
                    continue
                values = values.full()
            if self.reduce is not None and values.shape[0] > 1:
                self._add_reduced(name, index, reduce_rows(values, self.reduce))
                continue
            if self.keep_components:
                by_path[index] = by_path[index] + values if index in by_path else values
            if values.shape[0] == 1:
                self._shared[index] = self._shared[index] + values if index in self._shared else values
            elif index in self._unwritten:
                np.add(values, 0.0, out=self.monthly_by_path[index])  # = 0 + values (also −0.0 → +0.0)
                self._unwritten.discard(index)
            else:
                self.monthly_by_path[index] += values
            if name in CAPEX_COMPONENTS:
                self.capex[:, index] += values.sum(axis=-1)

    def _reduce_until_live(self, cost: UntilLive) -> np.ndarray:
        """(1 − p)·Σ_m fees·reduce + p·Σ_{m < go-live} fees·reduce (p = 1: the second term alone); the
        first sum shared by every cost on the same fees, the second over the months before the latest go-live."""
        head = cost.first_live
        before = np.where(cost.before_live, cost.fees[:, :head], 0.0)
        early = reduce_rows(before, self.reduce[:head]) if head else np.zeros((before.shape[0], self.reduce.shape[1]))
        if cost.p is None:
            return early
        early *= cost.p
        return self._reduce_factored(Factored(None, cost.fees)) * (1.0 - cost.p) + early

    def _reduce_factored(self, cost: Factored) -> np.ndarray:
        """Σ_m base[b, m]·row[m]·reduce[m, k] · column[b]: the base reduced once per (base, row) pair
        (an owned fleet's running costs and maintenance share theirs)."""
        key = (id(cost.base), None if cost.row is None else id(cost.row))
        cached = self._factored.get(key)
        if cached is None or cached[0]() is not cost.base or (cost.row is not None and cached[1]() is not cost.row):
            weights = self.reduce if cost.row is None else cost.row[0][:, None] * self.reduce
            cached = self._factored[key] = (weakref.ref(cost.base), None if cost.row is None else weakref.ref(cost.row),
                                            reduce_rows(cost.base, weights))
        reduced = cached[2]
        return reduced.copy() if cost.column is None else reduced * cost.column

    def _add_reduced(self, name: str, index: int, reduced: np.ndarray) -> None:
        """Reduced mode: add a [batch, K] reduction to path `index`'s."""
        if index in self._unwritten:
            np.add(reduced, 0.0, out=self.reduced[index])
            self._unwritten.discard(index)
        else:
            self.reduced[index] += reduced
        if name in CAPEX_COMPONENTS:
            self.capex[:, index] += reduced[:, TOTAL_COLUMN]

    def _add_one_month(self, name: str, index: int, cost: OneMonth) -> None:
        by_path = self.single_months.setdefault(name, {})
        if index in by_path:
            month, values = by_path[index]
            if month != cost.month:
                raise ValueError(f"{name}: one path's single-month costs must share the month")
            by_path[index] = (month, values + cost.values)
        else:
            by_path[index] = (cost.month, cost.values)
        if name == RESIDUAL_COMPONENT:
            self.residual[:, index] += cost.values

    def flush(self, index: int) -> None:
        """Finish a path's monthly cost: its shared [1, month] row and single-month costs; check the bound."""
        if self.reduce is not None:
            self._flush_reduced(index)
            return
        monthly = self.monthly_by_path[index]
        if index in self._unwritten:
            monthly.fill(0.0)
            self._unwritten.discard(index)
        shared = self._shared.pop(index, None)
        if shared is not None:
            monthly += shared
        for by_path in self.single_months.values():
            if index in by_path:
                month, values = by_path[index]
                monthly[:, month] += values
        self._check_bound(index, monthly)

    def _flush_reduced(self, index: int) -> None:
        """Reduced mode: add the shared row's and single-month costs' reductions; check the bound.

        Every component but the residual credit is ≥ 0 (non-negative prices, counts and weights), so
        a path's monthly cost is at most its total before the credit and at least the credit: when
        both are within MAX_MONTHLY_COST, so is every month. Otherwise (or NaN) NeedsMonthlyTotals:
        the caller decides on the monthly totals, as without the reduced mode."""
        reduced = self.reduced[index]
        if index in self._unwritten:
            reduced.fill(0.0)
            self._unwritten.discard(index)
        shared = self._shared.pop(index, None)
        if shared is not None:
            reduced += shared @ self.reduce
        for by_path in self.single_months.values():
            if index in by_path:
                month, values = by_path[index]
                reduced += values[:, None] * self.reduce[month]
        if reduced.size == 0:
            return
        before_credit = reduced[:, TOTAL_COLUMN] - self.residual[:, index]
        safe = MAX_MONTHLY_COST * (1.0 - 1e-9)
        if not (float(np.max(before_credit)) <= safe and -float(np.min(self.residual[:, index])) <= safe):
            raise NeedsMonthlyTotals(index)

    def _check_bound(self, index: int, monthly: np.ndarray) -> None:
        """A path's monthly cost is bounded like the inputs: beyond MAX_MONTHLY_COST it comes from a
        growth rate or price far too large for the horizon, and printing it would fill the screen.
        Infinite costs are left to `evaluate`'s overflow check."""
        if monthly.size == 0:
            return
        largest = max(float(np.max(monthly)), -float(np.min(monthly)))
        if not (MAX_MONTHLY_COST < largest < np.inf):
            return
        from buildorbuy.errors import ScenarioError

        culprit = ""
        if self.keep_components:
            sizes = {name: float(np.max(np.abs(by_path[index]))) for name, by_path in self.parts.items() if index in by_path}
            if sizes:
                culprit = f" (mostly {max(sizes, key=sizes.get).replace('_', ' ')})"
        raise ScenarioError(
            f"costs reach {largest:.3g} a month{culprit}, beyond any real budget: a growth rate or price is far too "
            "large for the horizon (e.g. salary_growth_per_year, price_change_per_year, growth_per_year)",
            field=f"paths[{index}]",
        )
