"""The valid range of every numeric scenario field, read from the pydantic field metadata.

Analyses that move a parameter (sweep, tornado, break-even) must stay where a scenario file could
go: shares ≤ 1, prices ≥ 0, whole months. `field_bounds` reads the `ge/gt/le/lt` constraints and
the whole-number validator from the annotated types in `scenario/types.py`; `check_values` turns a
value outside them into a one-line error naming the field, and also re-validates the field's
model with the extreme values, so cross-field rules (active_params ≤ params, end_month ≥
start_month) are enforced too.
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass
from typing import Any, Iterable

import annotated_types
from pydantic import AfterValidator, BaseModel, ValidationError
from pydantic.fields import FieldInfo

from buildorbuy.errors import ScenarioError
from buildorbuy.scenario import types as _types
from buildorbuy.scenario.loading import split_field_path
from buildorbuy.scenario.models import Scenario

WHOLE_FIELDS = {"horizon_months"}
"""Fields made whole by a field validator rather than by their annotated type."""


@dataclass(frozen=True)
class Bounds:
    """The valid values of a numeric field: an interval, possibly open at either end, possibly whole."""

    low: float = -math.inf
    high: float = math.inf
    low_inclusive: bool = True
    high_inclusive: bool = True
    integer: bool = False

    def contains(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if value < self.low or (value == self.low and not self.low_inclusive):
            return False
        if value > self.high or (value == self.high and not self.high_inclusive):
            return False
        return not self.integer or value == int(value)

    def clip(self, values: Any) -> Any:
        """Move values inside the bounds (rounding whole fields); an open end is approached, not met."""
        import numpy as np

        out = np.asarray(values, dtype=float)
        if self.integer:
            out = np.round(out)
        low, high = self.low, self.high
        if self.integer:
            if math.isfinite(low):
                low = math.ceil(low) if self.low_inclusive else math.floor(low) + 1
            if math.isfinite(high):
                high = math.floor(high) if self.high_inclusive else math.ceil(high) - 1
        else:
            if not self.low_inclusive and math.isfinite(low):
                low = low + max(abs(low), 1.0) * 1e-9
            if not self.high_inclusive and math.isfinite(high):
                high = high - max(abs(high), 1.0) * 1e-9
        return np.clip(out, low, high)

    def describe(self) -> str:
        parts = []
        if math.isfinite(self.low):
            parts.append(f"{'≥' if self.low_inclusive else '>'} {self.low:g}")
        if math.isfinite(self.high):
            parts.append(f"{'≤' if self.high_inclusive else '<'} {self.high:g}")
        text = " and ".join(parts) if parts else "any finite number"
        return f"a whole number {text}" if self.integer else text


def _tighten(bounds: dict, item: Any) -> None:
    if isinstance(item, FieldInfo):
        for inner in item.metadata:
            _tighten(bounds, inner)
    elif isinstance(item, annotated_types.Ge):
        bounds["low"], bounds["low_inclusive"] = max(bounds["low"], float(item.ge)), True
    elif isinstance(item, annotated_types.Gt):
        bounds["low"], bounds["low_inclusive"] = max(bounds["low"], float(item.gt)), False
    elif isinstance(item, annotated_types.Le):
        bounds["high"], bounds["high_inclusive"] = min(bounds["high"], float(item.le)), True
    elif isinstance(item, annotated_types.Lt):
        bounds["high"], bounds["high_inclusive"] = min(bounds["high"], float(item.lt)), False
    elif isinstance(item, annotated_types.Interval):
        for name in ("ge", "gt", "le", "lt"):
            if getattr(item, name) is not None:
                _tighten(bounds, getattr(annotated_types, name.capitalize())(getattr(item, name)))
    elif isinstance(item, AfterValidator) and item.func is _types._whole:
        bounds["integer"] = True


def _numeric_metadata(annotation: Any) -> list[Any] | None:
    """The metadata of the numeric member of an annotation (Annotated float inside a Union); None if none."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        inner = _numeric_metadata(base)
        return None if inner is None else [*inner, *meta]
    if annotation in (float, int):
        return []
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for arg in typing.get_args(annotation):
            found = _numeric_metadata(arg)
            if found is not None:
                return found
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _list_item(annotation: Any) -> Any:
    for candidate in [annotation, *typing.get_args(annotation)]:
        if typing.get_origin(candidate) is list:
            return typing.get_args(candidate)[0]
    return None


def _locate(scenario: Scenario, key: str) -> tuple[Any, FieldInfo | None, Any, BaseModel | None, str | int]:
    """Walk a key: (annotation of the leaf, its FieldInfo, its value, the model instance holding it, last part)."""
    parts = split_field_path(key)
    node: Any = scenario
    annotation: Any = Scenario
    info: FieldInfo | None = None
    parent: BaseModel | None = None
    for part in parts:
        if isinstance(part, int):
            item = _list_item(annotation)
            if item is None:
                raise ScenarioError("not a list field", field=key)
            annotation = item
            parent = None
            node = node[part] if isinstance(node, list) and -len(node) <= part < len(node) else None
            info = None
            continue
        model = type(node) if isinstance(node, BaseModel) else _model_in(annotation)
        if model is None or part not in model.model_fields:
            raise ScenarioError("unknown field", field=key)
        info = model.model_fields[part]
        annotation = info.annotation
        parent = node if isinstance(node, BaseModel) else None
        node = getattr(node, part, None) if isinstance(node, BaseModel) else None
    return annotation, info, node, parent, parts[-1]


def takes_percent(scenario: Scenario, key: str) -> bool:
    """False when the field at `key` is an amount (tokens, money, a count, months: its quantity
    strings refuse a percent sign, `types.parse_amount`); True for shares, rates and keys that are
    not fields of the scenario (derived parameters)."""
    from pydantic import BeforeValidator

    from buildorbuy.scenario.types import parse_amount

    try:
        annotation, info, _value, _parent, last = _locate(scenario, key)
    except ScenarioError:
        return True
    items = [*(_numeric_metadata(annotation) or []), *(info.metadata if info is not None and not isinstance(last, int) else [])]
    return not any(isinstance(item, BeforeValidator) and item.func is parse_amount for item in items)


def field_bounds(scenario: Scenario, key: str) -> Bounds:
    """The valid range of the numeric field at `key` (a plan parameter key such as `paths[1].serving.pue`).

    Raises ScenarioError naming the field when the key is not a numeric field of the scenario.
    """
    annotation, info, _value, _parent, last = _locate(scenario, key)
    meta = _numeric_metadata(annotation)
    if meta is None:
        raise ScenarioError("not a numeric field", field=key)
    items = [*meta, *(info.metadata if info is not None and not isinstance(last, int) else [])]
    bounds: dict[str, Any] = {"low": -math.inf, "high": math.inf, "low_inclusive": True, "high_inclusive": True, "integer": False}
    for item in items:
        _tighten(bounds, item)
    if last in WHOLE_FIELDS:
        bounds["integer"] = True
    return Bounds(**bounds)


def check_values(
    scenario: Scenario, key: str, values: Iterable[float], *, label: str | None = None, cross_checks: bool = True
) -> Bounds:
    """Raise ScenarioError (one line, naming the field) unless every value is valid for `key`.

    Checks the field's own range, then assigns the smallest and largest value to a copy of the
    field's model so its cross-field rules run too (skip that with `cross_checks=False` for
    parameters the plan derives from others, which a batch may override freely). Returns the bounds.
    """
    field = label or key
    bounds = field_bounds(scenario, key)
    import numpy as np

    array = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float).ravel()
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(array)
        ok &= (array >= bounds.low) if bounds.low_inclusive else (array > bounds.low)
        ok &= (array <= bounds.high) if bounds.high_inclusive else (array < bounds.high)
        if bounds.integer:
            ok &= array == np.trunc(array)
    if not ok.all():  # the first bad value, as Bounds.contains judges it
        value = float(array[np.argmin(ok)])
        raise ScenarioError(f"{value:g} is outside the valid range (must be {bounds.describe()})", field=field)
    if not array.size:
        return bounds
    values = [float(array.min()), float(array.max())]
    _annotation, _info, _value, parent, last = _locate(scenario, key)
    if cross_checks and parent is not None and isinstance(last, str):
        for value in {min(values), max(values)}:
            probe = parent.model_copy(deep=True)
            try:
                setattr(probe, last, value)
            except ValidationError as exc:
                error = exc.errors(include_url=False)[0]
                message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
                raise ScenarioError(f"{value:g} is not allowed: {message}", field=field) from None
    return bounds
