"""diff: what changes between two scenarios — their inputs, each path's NPV, the winner, break-even months.

Inputs are compared after validation and defaults (the models' `model_dump()`, flattened to dotted
field paths, with paths addressed by name), so `growth_per_month: 0.04` written out and a default
of the same value are no difference, while a changed default is. Paths are matched by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from buildorbuy.analysis.compare import Comparison, compare
from buildorbuy.scenario.models import Scenario


def flatten_fields(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested data → {dotted.field: value}; `paths` entries by name, other lists of mappings by index.

    Lists of plain values (a `schedule`) stay one value.
    """
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(flatten_fields(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, list) and data and all(isinstance(v, dict) for v in data):
        for i, value in enumerate(data):
            label = value.get("name", i) if prefix == "paths" else i
            out.update(flatten_fields(value, f"{prefix}[{label}]"))
    else:
        out[prefix] = data
    return out


def scenario_fields(scenario: Scenario) -> dict[str, Any]:
    """Every input of a validated scenario (defaults filled in) as {dotted.field: value}."""
    return flatten_fields(scenario.model_dump(mode="json"))


@dataclass
class Diff:
    base: Comparison
    proposal: Comparison
    inputs: list[dict[str, Any]]
    paths: list[dict[str, Any]]
    winner: dict[str, Any]
    breakeven: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: inputs, paths, winner, breakeven (plus both scenarios' names and currencies)."""
        def head(c: Comparison) -> dict[str, Any]:
            return {"name": c.scenario.name, "currency": c.currency, "source": c.scenario._source}

        return {
            "scenarios": {"base": head(self.base), "proposal": head(self.proposal)},
            "inputs": self.inputs,
            "paths": self.paths,
            "winner": self.winner,
            "breakeven": self.breakeven,
        }


def _path_key(field: str) -> str | None:
    """`paths[Name].x.y` → `Name`."""
    if not field.startswith("paths["):
        return None
    return field[6 : field.index("]")]


def diff_inputs(base: Scenario, proposal: Scenario) -> list[dict[str, Any]]:
    """Fields whose values differ. A path only one side has is one entry `paths[Name]` (its kind on that side)."""
    a, b = scenario_fields(base), scenario_fields(proposal)
    names_a, names_b = {p.name: p.kind for p in base.paths}, {p.name: p.kind for p in proposal.paths}
    out: list[dict[str, Any]] = []
    seen_only: set[str] = set()
    for key in list(a) + [k for k in b if k not in a]:
        name = _path_key(key)
        if name is not None and (name not in names_a or name not in names_b):
            if name not in seen_only:
                seen_only.add(name)
                out.append({"field": f"paths[{name}]", "base": names_a.get(name), "proposal": names_b.get(name)})
            continue
        old, new = a.get(key), b.get(key)
        if old != new:
            out.append({"field": key, "base": old, "proposal": new})
    return out


def diff_comparisons(base: Comparison, proposal: Comparison) -> Diff:
    npv_a = {p.name: p.npv for p in base.paths}
    npv_b = {p.name: p.npv for p in proposal.paths}
    paths = []
    for name in list(npv_a) + [n for n in npv_b if n not in npv_a]:
        old, new = npv_a.get(name), npv_b.get(name)
        delta = new - old if old is not None and new is not None else None
        fraction = delta / abs(old) if delta is not None and old else None
        status = "added" if old is None else "removed" if new is None else "changed" if delta else "same"
        paths.append({"name": name, "npv_base": old, "npv_proposal": new, "delta": delta, "delta_fraction": fraction,
                      "status": status})
    w_a, w_b = base.recommendation.get("path"), proposal.recommendation.get("path")
    winner = {"base": w_a, "proposal": w_b, "changed": w_a != w_b}
    be_a = {(e["a"], e["b"]): e["month"] for e in base.breakeven}
    be_b = {(e["a"], e["b"]): e["month"] for e in proposal.breakeven}
    breakeven = []
    for pair in list(be_a) + [p for p in be_b if p not in be_a]:
        old, new = be_a.get(pair), be_b.get(pair)
        both = pair in be_a and pair in be_b
        breakeven.append({"a": pair[0], "b": pair[1], "base": old, "proposal": new,
                          "changed": (old != new) if both else True, "status": "same" if both and old == new else
                          "changed" if both else "added" if pair in be_b else "removed"})
    return Diff(base=base, proposal=proposal, inputs=[], paths=paths, winner=winner, breakeven=breakeven)


def diff(base: Scenario, proposal: Scenario) -> Diff:
    """Compare two scenarios: input differences, NPV per path (old → new, Δ, Δ %), winner, break-even."""
    result = diff_comparisons(compare(base), compare(proposal))
    result.inputs = diff_inputs(base, proposal)
    return result
