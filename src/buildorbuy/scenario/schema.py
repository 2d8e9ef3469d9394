"""The JSON Schema of the scenario format, for editors (`buildorbuy schema`, docs/scenario.schema.json).

Pydantic's schema is post-processed so that editors validate what the loader accepts: quantity
strings (`2.5B`, `30%`) beside numbers, range limits as standard keywords (`minimum`, …), and a
distribution (`{dist: …}`) wherever a number may stand.
"""

from __future__ import annotations

from typing import Any

QUANTITY_PATTERN = r"^\s*[+-]?(\d[\d_,]*\.?\d*|\.\d+)([eE][+-]?\d+)?\s*[kKmMbBgGtT]?\s*%?\s*$"
"""A number with an optional decimal suffix (k, M, B/G, T) or percent sign, as `parse_quantity` reads it."""

_LIMITS = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}
_DISTRIBUTION_REF = {"$ref": "#/$defs/Distribution"}
_NOT_UNCERTAIN = {"Correlation"}
"""Definitions whose numbers cannot be distributions."""


def scenario_json_schema() -> dict[str, Any]:
    from pydantic import TypeAdapter

    from buildorbuy.scenario.distributions import Distribution
    from buildorbuy.scenario.models import Scenario

    document = Scenario.model_json_schema()
    defs = document.setdefault("$defs", {})
    for name, definition in list(defs.items()):
        _rewrite(definition, allow_distribution=name not in _NOT_UNCERTAIN)
    _rewrite({key: value for key, value in document.items() if key != "$defs"}, allow_distribution=True)
    for definition in [document, *defs.values()]:
        _optional_null(definition)
    distribution = TypeAdapter(Distribution).json_schema(ref_template="#/$defs/{model}")
    defs.update(distribution.pop("$defs", {}))
    defs["Distribution"] = distribution
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "buildorbuy scenario"
    return document


_META = ("title", "description", "default", "examples")


def _optional_null(definition: dict) -> None:
    """`null` on an optional property means its default (models.Strict), so the schema allows it."""
    required = set(definition.get("required", ()))
    for name, prop in (definition.get("properties") or {}).items():
        if name in required or not isinstance(prop, dict):
            continue
        branches = prop.get("anyOf")
        if isinstance(branches, list):
            if {"type": "null"} not in branches:
                branches.append({"type": "null"})
            continue
        if prop.get("type") == "null":
            continue
        inner = {key: prop.pop(key) for key in list(prop) if key not in _META}
        prop["anyOf"] = [inner, {"type": "null"}]


def _is_number(node: Any) -> bool:
    return isinstance(node, dict) and node.get("type") in ("number", "integer")


def _has_number(node: Any) -> bool:
    return _is_number(node) or (isinstance(node, dict) and any(_is_number(b) for b in node.get("anyOf", [])))


def _rewrite(node: Any, *, allow_distribution: bool, in_union: bool = False) -> None:
    """Fix quantity fields in place, depth first. Numbers inside a union get the distribution once,
    at the union."""
    if isinstance(node, list):
        for item in node:
            _rewrite(item, allow_distribution=allow_distribution)
        return
    if not isinstance(node, dict):
        return
    for key, value in list(node.items()):
        if key not in ("anyOf", "$defs"):
            _rewrite(value, allow_distribution=allow_distribution)
    branches = node.get("anyOf")
    if isinstance(branches, list):
        for branch in branches:
            _rewrite(branch, allow_distribution=allow_distribution, in_union=True)
        limits = {_LIMITS[k]: node.pop(k) for k in list(node) if k in _LIMITS}
        numeric = [b for b in branches if _is_number(b)]
        if numeric:
            for branch in numeric:
                branch.update(limits)
            for branch in branches:
                if isinstance(branch, dict) and branch.get("type") == "string" and "enum" not in branch and "const" not in branch:
                    branch["pattern"] = branch.pop("pattern", QUANTITY_PATTERN)  # an amount's (no %) is already there
        if allow_distribution and not in_union and any(_has_number(b) for b in branches) and _DISTRIBUTION_REF not in branches:
            branches.append(dict(_DISTRIBUTION_REF))
    elif _is_number(node) and allow_distribution and not in_union:
        number = {k: node.pop(k) for k in list(node) if k in ("type", *_LIMITS.values(), *_LIMITS)}
        for short, long in _LIMITS.items():
            if short in number:
                number[long] = number.pop(short)
        node["anyOf"] = [number, dict(_DISTRIBUTION_REF)]
