"""when: each self-hosted path's NPV by start_month, the best month to start, and the cost of starting now.

One engine batch: element k sets the `start_month` of every path examined to k (k = 0 … latest).
A path's figures depend only on its own start month, so one call serves every path. Until a path
is live the bridge serves its traffic (DESIGN §2b), so a scenario without a bridge is refused.
Only recommendable start months count (feasible, serving all traffic, live within the horizon);
the others show null. `auto` fleet searches keep the values chosen for the scenario as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from buildorbuy.analysis._common import as_plan, clean, resolve_path, scenario_header, versions
from buildorbuy.engine.core import evaluate
from buildorbuy.engine.plan import Plan
from buildorbuy.errors import AnalysisError
from buildorbuy.scenario.models import Scenario

DEFAULT_LATEST = 24
"""Latest start month examined by default (capped at horizon − 1)."""


@dataclass
class PathTiming:
    name: str
    npv_by_start_month: list[float | None]
    """NPV when the path starts in month k (None where that start is not recommendable)."""
    best_start_month: int | None
    cost_of_starting_now: float | None
    """NPV(start now) − NPV(best start): what starting now instead costs (0 when now is best)."""
    live_month_by_start_month: list[int]
    search_limit: str | None = None
    """Set when the best start is the last one examined, so a later start may be cheaper still:
    `latest` (the --latest limit, below the horizon's) or `horizon` (the last start that can go live
    within the horizon). None: the best start is inside the range examined."""

    @property
    def at_search_limit(self) -> bool:
        return self.search_limit is not None


@dataclass
class WhenResult:
    scenario: Scenario
    latest: int
    paths: list[PathTiming]
    engine_batches: int = 1
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return clean({
            "scenario": scenario_header(self.scenario),
            "latest": self.latest,
            "paths": [{"name": p.name, "best_start_month": p.best_start_month,
                       "npv_by_start_month": p.npv_by_start_month, "cost_of_starting_now": p.cost_of_starting_now,
                       "at_search_limit": p.at_search_limit, "search_limit": p.search_limit}
                      for p in self.paths],
            "engine_batches": self.engine_batches,
            "warnings": self.warnings,
            "versions": versions(),
        })


def when(scenario: Scenario | Plan, *, path: str | None = None, latest: int | None = None) -> WhenResult:
    """NPV of each self-hosted path (or only `path`) for start months 0 … latest, in one engine call."""
    plan = as_plan(scenario)
    if plan.scenario.bridge is None:
        raise AnalysisError("needs a bridge: until a path starts and goes live, the bridge api path serves its traffic "
                            "(set bridge: <api path name>)", field="bridge")
    hosted = [pp.index for pp in plan.paths if pp.kind != "api"]
    if path is not None:
        index = resolve_path(plan, path, what="--path")
        if plan.paths[index].kind == "api":
            raise AnalysisError(f"'{plan.paths[index].name}' is an api path: when times finetune and build paths",
                                field="--path")
        hosted = [index]
    if not hosted:
        raise AnalysisError("the scenario has no self-hosted (finetune or build) path: there is no start month to choose")
    last = min(DEFAULT_LATEST if latest is None else int(latest), plan.horizon - 1)
    if last < 0 or (latest is not None and latest < 0):
        raise AnalysisError("must be a month of 0 or more", field="--latest")
    starts = np.arange(last + 1, dtype=float)
    for i in hosted:
        plan.base.setdefault(f"paths[{i}].start_month", 0.0)
    result = evaluate(plan, {f"paths[{i}].start_month": starts for i in hosted}, keep_components=False)
    ok = result.recommendable
    timings = []
    for i in hosted:
        npv = result.npv[:, i]
        shown = [float(v) if ok[k, i] else None for k, v in enumerate(npv)]
        best = int(np.argmin(np.where(ok[:, i], npv, np.inf))) if ok[:, i].any() else None
        cost = None if best is None or not ok[0, i] else float(npv[0] - npv[best])
        timings.append(PathTiming(plan.paths[i].name, shown, best, cost, [int(m) for m in result.live_month[:, i]],
                                  _search_limit(best, ok[:, i], result.live_month[:, i], last, plan.horizon)))
    return WhenResult(plan.scenario, last, timings, warnings=list(dict.fromkeys(result.warnings)))


def _search_limit(best: int | None, recommendable: np.ndarray, live_month: np.ndarray, last: int,
                  horizon: int) -> str | None:
    """`latest` when the best start is the last month searched and a start a month later would still
    go live within the horizon, `horizon` when the best is the last start that goes live within it,
    else None (month 0 is best, or a later start was examined and costs more)."""
    if best is None or best == 0 or recommendable[best + 1:].any():
        return None
    return "latest" if best == last and live_month[best] + 1 < horizon else "horizon"
