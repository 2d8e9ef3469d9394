"""Take distributions out of raw scenario data, so the strict models only ever see numbers.

Before pydantic validation, `extract_distributions` walks the raw data, parses every mapping
with a `dist` key into a `Distribution` (errors name the field and the file line) and puts its
estimate in its place. After validation, `check_endpoints` substitutes each finite end of each
support (low/high, p10/p90, every choice value) into the data and validates again, so a share
cannot be drawn above 1 and a price cannot be drawn below 0; `check_correlations` checks the
`correlations:` block. The core models stay untouched: a Scenario with distributions is an
ordinary Scenario holding the estimates, plus its `_distributions`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from buildorbuy.errors import ScenarioError

if TYPE_CHECKING:  # pragma: no cover
    from buildorbuy.scenario.distributions import FieldRange

# `buildorbuy.scenario.distributions` (eight pydantic models) is imported where a distribution is
# met, so loading a scenario without any does not pay for it.

_ADAPTER: TypeAdapter | None = None

NOT_VARIABLE = {
    "horizon_months": "horizon_months sets the length of every cost curve; it cannot be a distribution",
}


def _adapter() -> TypeAdapter:
    global _ADAPTER
    if _ADAPTER is None:
        from buildorbuy.scenario.distributions import Distribution

        _ADAPTER = TypeAdapter(Distribution)
    return _ADAPTER


@dataclass(frozen=True)
class Uncertain:
    """One field given as a distribution."""

    key: str
    """Dotted field path with list indexes, the engine's parameter key: `paths[1].serving.gpu_hour_price`."""
    parts: tuple
    distribution: Any
    range: FieldRange
    estimate: float


# ---------------------------------------------------------------- which field, which range


def field_range(raw: dict, parts: tuple) -> FieldRange | str:
    """The numeric range of the scenario field at `parts`, or 'unknown' / 'not numeric'."""
    found = _field_metadata(raw, parts)
    return found if isinstance(found, str) else _range_from(found)


def is_amount_field(raw: dict, parts: tuple) -> bool:
    """True when the scenario field at `parts` is an amount (tokens, money, a count, months…): its
    type reads numbers with `types.parse_amount`, which refuses a percent sign."""
    from pydantic.fields import FieldInfo

    from buildorbuy.scenario import types

    found = _field_metadata(raw, parts)
    if isinstance(found, str):
        return False
    items: list = []
    for item in found:
        items += list(item.metadata) if isinstance(item, FieldInfo) else [item]
    return any(getattr(item, "func", None) is types.parse_amount for item in items)


def _field_metadata(raw: dict, parts: tuple) -> "list | str":
    """The constraint metadata of the numeric scenario field at `parts`, or 'unknown' / 'not numeric'."""
    from buildorbuy.scenario.models import Scenario

    annotation: Any = Scenario
    metadata: list = []
    node: Any = raw
    for part in parts:
        if isinstance(part, int):
            item = _list_item(annotation)
            if item is None:
                return "unknown"
            annotation, metadata = item, []
            node = node[part] if isinstance(node, list) and -len(node) <= part < len(node) else None
        else:
            model = _model_of(annotation, node)
            if model is None:
                return "unknown"
            if part not in model.model_fields:
                return "unknown"
            info = model.model_fields[part]
            annotation, metadata = info.annotation, list(info.metadata)
            node = node.get(part) if isinstance(node, dict) else None
    found = _numeric_metadata(annotation, metadata)
    if found is None:
        return "not numeric"
    return found


def _members(annotation: Any) -> list:
    """Flatten Annotated/Optional/Union into the member types."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or type(annotation).__name__ == "UnionType":
        out = []
        for arg in get_args(annotation):
            out += _members(arg)
        return out
    return [annotation]


def _list_item(annotation: Any) -> Any:
    for member in _members(annotation):
        if get_origin(member) is list:
            return get_args(member)[0]
    return None


def _model_of(annotation: Any, node: Any) -> type[BaseModel] | None:
    models = [m for m in _members(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]
    if len(models) <= 1:
        return models[0] if models else None
    kind = node.get("kind") if isinstance(node, dict) else None
    for model in models:
        field = model.model_fields.get("kind")
        if field is not None and kind in get_args(field.annotation):
            return model
    return None


def _numeric_metadata(annotation: Any, metadata: list) -> list | None:
    """The constraint metadata of the float member of a field's type (None: no number allowed)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        return _numeric_metadata(base, metadata + list(extra))
    if origin is Union or type(annotation).__name__ == "UnionType":
        for arg in get_args(annotation):
            found = _numeric_metadata(arg, metadata)
            if found is not None:
                return found
        return None
    if annotation in (float, int):
        return metadata
    return None


def _range_from(metadata: list) -> FieldRange:
    from pydantic.fields import FieldInfo

    from buildorbuy.scenario import types
    from buildorbuy.scenario.distributions import FieldRange

    low = high = None
    low_open = high_open = whole = False
    items: list = []
    for item in metadata:
        items += list(item.metadata) if isinstance(item, FieldInfo) else [item]
    for item in items:
        name = type(item).__name__
        if name == "Ge":
            low, low_open = float(item.ge), False
        elif name == "Gt":
            low, low_open = float(item.gt), True
        elif name == "Le":
            high, high_open = float(item.le), False
        elif name == "Lt":
            high, high_open = float(item.lt), True
        elif getattr(item, "func", None) is types._whole:
            whole = True
    return FieldRange(low=low, low_open=low_open, high=high, high_open=high_open, whole=whole)


# ---------------------------------------------------------------- extraction


def extract_distributions(raw: dict, *, lines: dict[tuple, int], source: str | None) -> tuple[dict, dict[str, Uncertain]]:
    """A copy of `raw` with every `{dist: …}` mapping replaced by its estimate, and the distributions by key."""
    import copy

    from buildorbuy.scenario.loading import format_field_path

    found: dict[str, Uncertain] = {}
    if not _has_dist(raw):
        return raw, found
    data = copy.deepcopy(raw)

    def walk(node: Any, parts: tuple) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in list(items):
            here = parts + (key,)
            if isinstance(value, dict) and "dist" in value:
                uncertain = _parse(value, here, data, lines, source, format_field_path(here))
                node[key] = uncertain.estimate
                found[uncertain.key] = uncertain
            elif isinstance(value, (dict, list)):
                walk(value, here)

    walk(data, ())
    return data, found


def _has_dist(node: Any) -> bool:
    if isinstance(node, dict):
        return "dist" in node or any(_has_dist(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_dist(v) for v in node)
    return False


def _line(lines: dict[tuple, int], parts: tuple) -> int | None:
    probe = tuple(parts)
    while probe:
        if probe in lines:
            return lines[probe]
        probe = probe[:-1]
    return None


def _parse(value: dict, parts: tuple, data: dict, lines, source, key: str) -> Uncertain:
    from buildorbuy.scenario.distributions import KINDS, FieldRange
    from buildorbuy.scenario.loading import format_field_path

    where = field_range(data, parts)
    top = parts[0] if parts else None
    if isinstance(top, str) and top in NOT_VARIABLE and len(parts) == 1:
        raise ScenarioError(NOT_VARIABLE[top], field=key, source=source, line=_line(lines, parts))
    if where == "not numeric":
        raise ScenarioError("a distribution can stand only for a number, and this field is not numeric", field=key,
                            source=source, line=_line(lines, parts))
    if is_amount_field(data, parts):
        _refuse_percent(value, parts, lines, source)
    try:
        distribution = _adapter().validate_python(value)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = [p for p in error["loc"] if p not in KINDS or p in value]
        kind = value.get("dist")
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            message = f"unknown distribution kind {kind!r}; use {', '.join(KINDS)}"
            loc = ["dist"]
        elif error["type"] == "extra_forbidden":
            message = f"unknown field for a {kind} distribution (it takes {_takes(kind)})"
        elif error["type"] == "missing":
            message = f"required field is missing (a {kind} distribution takes {_takes(kind)})"
        else:
            message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
            got = error.get("input")
            if loc and isinstance(got, (int, float, str)) and not isinstance(got, bool) and "(got" not in message:
                message += f" (got {got!r})"
        here = parts + tuple(loc)
        raise ScenarioError(message, field=format_field_path(here), source=source, line=_line(lines, here)) from None
    field_range_ = where if isinstance(where, FieldRange) else FieldRange()
    if parts[-3:] == ("serving", "reserved", "gpus"):
        field_range_ = _whole_replicas(field_range_, data, parts, lines, source, key)
    estimate = field_range_.scalar(distribution.estimate())
    return Uncertain(key=key, parts=parts, distribution=distribution, range=field_range_, estimate=estimate)


def _refuse_percent(value: dict, parts: tuple, lines, source) -> None:
    """A distribution standing for an amount takes amounts: `low: 20%` is refused as the field itself
    refuses it (it read as 0.2 tokens, GPUs or dollars). Choice weights are shares and keep `%`."""
    from buildorbuy.scenario.loading import _blame, format_field_path
    from buildorbuy.scenario.types import parse_amount

    for name, given in value.items():
        if name in ("dist", "weights"):
            continue
        for index, item in enumerate(given) if isinstance(given, list) else ((None, given),):
            if isinstance(item, str) and item.strip().endswith("%"):
                here = parts + ((name,) if index is None else (name, index))
                try:
                    parse_amount(item)
                except ValueError as exc:
                    line, from_set = _blame(list(here), lines)
                    raise ScenarioError(f"{exc} (got {item!r})" + (" (from --set)" if from_set else ""),
                                        field=format_field_path(here), source=source, line=line) from None


def _whole_replicas(field_range_: Any, data: dict, parts: tuple, lines, source, key: str) -> Any:
    """A reserved GPU count is drawn as whole replicas: the range rounds draws to `gpus_per_replica`,
    which must then be a plain number (an estimated or uncertain replica size has no fixed multiple)."""
    import dataclasses

    serving = data
    for part in parts[:-2]:
        serving = serving[part]
    per_replica = serving.get("gpus_per_replica", "auto") if isinstance(serving, dict) else None
    if isinstance(per_replica, bool) or not isinstance(per_replica, (int, float)) or not per_replica > 0:
        raise ScenarioError(
            "a distribution on reserved.gpus needs gpus_per_replica given as a number: reserved GPUs are drawn "
            "as whole replicas",
            field=key, source=source, line=_line(lines, parts))
    return dataclasses.replace(field_range_, multiple=float(per_replica))


def _takes(kind: Any) -> str:
    from buildorbuy.scenario import distributions as d

    models = {"triangular": d.Triangular, "pert": d.Pert, "lognormal": d.Lognormal, "normal": d.Normal,
              "uniform": d.Uniform, "choice": d.Choice}
    model = models.get(kind)
    if model is None:
        return "dist and its parameters"
    return ", ".join(name for name in model.model_fields if name != "dist")


# ---------------------------------------------------------------- checks after validation


def check_endpoints(data: dict, uncertain: dict[str, Uncertain], *, lines, source) -> None:
    """Validate every finite end of every support in place of the estimate; raise on the first failure."""
    from buildorbuy.scenario.loading import validation_error
    from buildorbuy.scenario.models import Scenario

    for item in uncertain.values():
        parent = data
        for part in item.parts[:-1]:
            parent = parent[part]
        last = item.parts[-1]
        original = parent[last]
        try:
            for name, value in item.distribution.endpoints().items():
                parent[last] = item.range.scalar(value)
                try:
                    Scenario.model_validate(data)
                except ValidationError as exc:
                    error = validation_error(exc, data, lines, source)
                    message = error.message.split(" (+")[0]
                    where = "" if error.field == item.key else f" makes {error.field} invalid:"
                    subject = f"the distribution's {name} {value:g}"
                    raise ScenarioError(
                        f"{subject} is out of range:{where} {message}",
                        field=f"{item.key}.{name}" if not name.startswith("values[") else f"{item.key}.{name}",
                        source=source,
                        line=_line(lines, item.parts + (name.split("[")[0],)),
                    ) from None
        finally:
            parent[last] = original


def resolve_key(scenario: Any, text: str) -> str:
    """A user's field path (names in brackets allowed) → the key with list indexes."""
    from buildorbuy.scenario.loading import format_field_path, split_field_path

    parts = split_field_path(text)
    resolved: list = []
    for part in parts:
        if resolved == ["paths"] and isinstance(part, str):
            try:
                part = scenario.path_index(part)
            except KeyError:
                names = ", ".join(p.name for p in scenario.paths)
                raise ScenarioError(f"no path named '{part}' (paths: {names})", field=text) from None
        resolved.append(part)
    return format_field_path(resolved)


def rank_correlation_matrix(scenario: Any) -> tuple[list[str], list[list[float]]]:
    """The keys in `correlations:` and their rank correlation matrix (identity where not given)."""
    keys: list[str] = []
    pairs = []
    for item in scenario.correlations:
        a, b = resolve_key(scenario, item.a), resolve_key(scenario, item.b)
        for key in (a, b):
            if key not in keys:
                keys.append(key)
        pairs.append((a, b, item.rank))
    matrix = [[1.0 if i == j else 0.0 for j in range(len(keys))] for i in range(len(keys))]
    for a, b, rank in pairs:
        i, j = keys.index(a), keys.index(b)
        matrix[i][j] = matrix[j][i] = float(rank)
    return keys, matrix


def normal_scores_correlation(rank: float) -> float:
    """Pearson correlation of normal scores giving Spearman `rank`: 2·sin(π·rank/6) (Pearson 1907)."""
    return 2.0 * math.sin(math.pi * rank / 6.0)


def check_correlations(scenario: Any, uncertain: dict[str, Uncertain], *, lines, source) -> None:
    """Both fields of each correlation carry distributions, no pair twice, and the matrix is positive definite."""
    seen: dict[frozenset, int] = {}
    for i, item in enumerate(scenario.correlations):
        keys = []
        for side in ("a", "b"):
            where = f"correlations[{i}].{side}"
            line = _line(lines, ("correlations", i, side))
            try:
                key = resolve_key(scenario, getattr(item, side))
            except ScenarioError as exc:
                raise ScenarioError(exc.message, field=where, source=source, line=line) from None
            if key not in uncertain:
                given = ", ".join(sorted(uncertain)) or "none"
                raise ScenarioError(
                    f"'{getattr(item, side)}' is not given as a distribution (fields with distributions: {given})",
                    field=where, source=source, line=line,
                )
            keys.append(key)
        line = _line(lines, ("correlations", i))
        if keys[0] == keys[1]:
            raise ScenarioError("a and b are the same field", field=f"correlations[{i}]", source=source, line=line)
        pair = frozenset(keys)
        if pair in seen:
            raise ScenarioError(f"the pair is already correlated in correlations[{seen[pair]}]",
                                field=f"correlations[{i}]", source=source, line=line)
        seen[pair] = i
    if not scenario.correlations:
        return
    import numpy as np

    keys, matrix = rank_correlation_matrix(scenario)
    target = np.array(matrix)
    scores = np.vectorize(normal_scores_correlation)(target)
    np.fill_diagonal(scores, 1.0)
    for m in (target, scores):
        try:
            np.linalg.cholesky(m)
            ok = bool(np.all(np.linalg.eigvalsh(m) > 1e-10))
        except np.linalg.LinAlgError:
            ok = False
        if not ok:
            raise ScenarioError(
                "these rank correlations cannot hold together (their matrix is not positive definite): "
                "weaken some of them, or drop one",
                field="correlations", source=source, line=_line(lines, ("correlations",)),
            )


def percentile_range(item: "Uncertain", low: float = 0.10, high: float = 0.90) -> tuple[float, float]:
    """The field values at two percentiles of its distribution (P10 and P90 by default).

    Exact by the inverse CDF where the kind has one; otherwise (PERT) from a fixed-seed sample of
    200,000 draws, so the answer is the same on every run. Clipped and rounded into the field's
    range as the sampler does.
    """
    import numpy as np

    try:
        values = np.asarray(item.distribution.ppf(np.array([low, high])), dtype=float)
    except NotImplementedError:
        draws = item.distribution.sample(np.random.default_rng(0), 200_000)
        values = np.percentile(draws, [100 * low, 100 * high])
    values = item.range.to_field(values)
    return float(values[0]), float(values[1])


def distribution_ranges(scenario) -> dict[str, tuple[float, float]]:
    """P10–P90 of every field the scenario gives as a distribution, by parameter key."""
    return {key: percentile_range(item) for key, item in scenario._distributions.items()}
