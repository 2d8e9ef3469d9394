"""whatif: what would have to be true for another path to win?

For each path compare can recommend that is not compare's pick (the winner), and each numeric
input (the ones tornado varies: inputs a path ignores, fixed ones and derived defaults are left
out, see `tornado._default_keys`), the value of that input alone at which the path's NPV ties the
winner's: the crossing nearest today's value, searched from /100 to ×100 of it and across the
field's valid range (`breakeven.search_range`). All pairs are solved together by
`breakeven.breakeven_batch`: one engine batch scans every input, each refinement step is one more
batch covering every unfinished pair.

Past the tie the path is cheaper than the winner; a third path may still be cheaper than both
there (each condition moves one input alone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from buildorbuy.analysis._common import as_plan, base_value, clean, reservations, shown_field, whole_replicas
from buildorbuy.engine.core import evaluate
from buildorbuy.engine.summary import NO_WINNER, winner_and_runner_up
from buildorbuy.errors import AnalysisError


MAX_SEARCH = 10_000
"""Most (paths × inputs) one whatif searches: its scan evaluates every path at ~32 values of every
input, so the work grows with their product (20 paths × 399 inputs took 12 s, 40 × 789 43 s, 100 ×
1,959 over 2 minutes). Naming the inputs with `params` (`-p`) keeps a large scenario searchable."""


class SearchTooLarge(AnalysisError):
    """whatif's search would take minutes: name the inputs to search instead."""


@dataclass
class Condition:
    path: str
    field: str
    """Dotted path as `--set` takes it (paths by index)."""
    label: str
    """The same with paths by name (`paths[Name].serving.gpu_hour_price`): what tables show."""
    current: float
    value: float
    """The input's value at which `path` ties the winner."""
    change_fraction: float | None
    """(value − current) / |current|; None when current is 0."""
    at_step: bool
    """The paths swap order at a jump (a whole GPU, a whole month) rather than tie exactly."""

    @property
    def direction(self) -> str:
        """'≥' when the path wins above the value, '≤' below."""
        return "≥" if self.value > self.current else "≤"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "field": self.field, "current": self.current, "value": self.value,
                "change_fraction": self.change_fraction, "at_step": self.at_step}


@dataclass
class WhatIfResult:
    scenario: Any
    winner: str
    conditions: list[Condition]
    """Sorted by |change_fraction| (to 9 significant digits; changes from 0 last), then path and field."""
    losers: list[str]
    """Recommendable paths other than the winner, in scenario order."""
    skipped: dict[str, str] = field(default_factory=dict)
    searched: list[str] = field(default_factory=list)
    """The inputs searched (field paths)."""
    engine_batches: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return self.scenario.currency

    def for_path(self, name: str) -> list[Condition]:
        return [c for c in self.conditions if c.path == name]

    def to_dict(self) -> dict[str, Any]:
        """`{"winner", "conditions": [{"path", "field", "current", "value", "change_fraction", "at_step"}]}`."""
        return clean({"winner": self.winner, "conditions": [c.to_dict() for c in self.conditions]})


def whatif(scenario, *, params: Iterable[str] | None = None, rtol: float = 1e-6) -> WhatIfResult:
    """Each losing recommendable path's tie value for every numeric input, nearest change first.

    `params` restricts the search to these fields (dotted paths, paths by index or name); default:
    every numeric input tornado varies.
    """
    from buildorbuy.analysis.breakeven import breakeven_batch
    from buildorbuy.analysis.tornado import _default_keys

    plan = as_plan(scenario)
    base = evaluate(plan, keep_components=False)
    winner, _ = winner_and_runner_up(base)
    w = int(winner[0])
    if w == NO_WINNER:
        raise AnalysisError("no path is feasible, serves all traffic and is live within the horizon: there is no winner to overtake")
    names = [p.name for p in plan.paths]
    losers = [i for i in np.flatnonzero(base.recommendable[0]) if i != w]
    keys, skipped = _default_keys(plan)
    if params is not None:
        from buildorbuy.analysis._common import variable_parameter

        wanted = list(dict.fromkeys(variable_parameter(plan, text)[0] for text in params))
        skipped = {key: why for key, why in skipped.items() if key in wanted}
        keys = [key for key in wanted if key not in skipped]
    parameters = set(plan.parameters())
    for key in list(keys):
        for kind in ("batch", "off_peak"):
            if key.endswith(f".{kind}_share") and key[: -len("share")] + "discount" not in parameters:
                # an `auto` discount is read only for a share the scenario itself sets above 0 (DESIGN §2b)
                skipped[key] = f"{kind}_discount is auto and this share is 0 in the scenario, so no {kind} price was read"
                keys.remove(key)
    if len(plan.paths) * len(keys) > MAX_SEARCH:
        raise SearchTooLarge(f"{len(plan.paths)} paths × {len(keys):,} inputs is more than one search covers in reasonable "
                             f"time (at most {MAX_SEARCH:,} path-inputs): name the inputs to search with --param",
                             field="--param")
    pairs = [(key, int(i), w) for i in losers for key in keys]
    found = breakeven_batch(plan, pairs, rtol=rtol) if pairs else None
    conditions = []
    # reserved GPUs are whole replicas (as compare requires): a tie between two whole-replica counts is
    # reported at the first whole replica past it, where the costs are linear in between (DESIGN §2b)
    replica_of = {reserved: base_value(plan, replica) for reserved, replica in reservations(plan).values()}
    reserved_of = {replica: base_value(plan, reserved) for reserved, replica in reservations(plan).values()}
    for p, (key, i, _) in enumerate(pairs):
        value = float(found.value[p])
        if not np.isfinite(value):
            continue
        current = float(found.current[p])
        at_step = bool(found.at_step[p])
        if key in replica_of:
            value = whole_replicas(value, replica_of[key], "up" if value > current else "down")
            at_step = at_step or value != float(found.value[p])
            if value == current:
                continue
        if reserved_of.get(key) and reserved_of[key] % value:
            skipped[key] = (f"its tie value ({value:g} GPUs per replica) does not divide the {reserved_of[key]:g} reserved "
                            "GPUs; reservations are whole replicas, as compare requires")
            continue
        change = (value - current) / abs(current) if current != 0 else None
        conditions.append(Condition(path=names[i], field=key, label=_label(names, key, i), current=current, value=value,
                                    change_fraction=change, at_step=at_step))
    # equal changes (count and annual cost of the same staff line) up to rounding noise sort by path and field
    conditions.sort(key=lambda c: (c.change_fraction is None,
                                   float(f"{abs(c.change_fraction if c.change_fraction is not None else c.value - c.current):.9g}"),
                                   c.path, c.field))
    if found is not None:
        skipped.update(found.skipped)
    searched = [key for key in keys if key not in skipped]
    return WhatIfResult(scenario=plan.scenario, winner=names[w], conditions=conditions, losers=[names[i] for i in losers],
                        skipped=skipped, searched=searched, engine_batches=1 + (found.engine_batches if found else 0),
                        warnings=list(dict.fromkeys(base.warnings)))


def _label(names: list[str], key: str, own: int) -> str:
    """`paths[2].serving.gpu_hour_price` → `paths[Name].serving.gpu_hour_price`, for the path itself as for
    another: the form --set accepts, so a condition can be pasted into `--set` (see `_common.shown_field`)."""
    return shown_field(key, names)
