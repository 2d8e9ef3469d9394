"""Load a scenario from YAML, TOML or JSON, apply `--set` overrides, and explain errors by line.

Validation errors become one `ScenarioError` naming the file, the line (YAML and JSON) and the
dotted field, with "did you mean" for unknown keys.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from pathlib import Path as FsPath
from typing import Any, Iterable

from pydantic import BaseModel, ValidationError

from buildorbuy.errors import ScenarioError
from buildorbuy.scenario.models import Scenario

_SEGMENT = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")


def split_field_path(path: str) -> list[str | int]:
    """`paths[Own 70B].serving.gpu_hour_price` → ['paths', 'Own 70B', 'serving', 'gpu_hour_price'].

    Bracketed whole numbers become ints (indexes); other bracketed text stays a name.
    """
    parts: list[str | int] = []
    pos = 0
    text = path.strip()
    if not text:
        raise ScenarioError("empty field path", field=path)
    while pos < len(text):
        if text[pos] == ".":
            pos += 1
            continue
        match = _SEGMENT.match(text, pos)
        if not match:
            raise ScenarioError(f"cannot read field path '{path}'", field=path)
        if match.group(1) is not None:
            parts.append(match.group(1).strip())
        else:
            inner = match.group(2).strip()
            if not inner:
                raise ScenarioError(f"empty [] in field path '{path}'", field=path)
            parts.append(int(inner) if re.fullmatch(r"-?\d+", inner) else inner.strip("'\""))
        pos = match.end()
    return parts


def format_field_path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _resolve_index(items: list, key: str | int, where: str) -> int:
    if isinstance(key, int):
        if not -len(items) <= key < len(items):
            raise ScenarioError(f"index {key} is out of range (there are {len(items)})", field=where)
        return key % len(items)
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == key:
            return i
    names = [str(item.get("name")) for item in items if isinstance(item, dict)]
    hint = difflib.get_close_matches(key, names, n=1)
    suggestion = f"; did you mean '{hint[0]}'?" if hint else (f" (names: {', '.join(names)})" if names else "")
    raise ScenarioError(f"no entry named '{key}'{suggestion}", field=where)


def normalise_field_path(raw: dict, path: str) -> list[str | int]:
    """Resolve names in brackets to list indexes against the raw data."""
    parts = split_field_path(path)
    node: Any = raw
    resolved: list[str | int] = []
    for part in parts:
        where = format_field_path(resolved + [part])
        if isinstance(node, list) and isinstance(part, str):
            where = f"{format_field_path(resolved)}[{part}]"
        if isinstance(node, list):
            part = _resolve_index(node, part, where)
            node = node[part]
        elif isinstance(node, dict):
            if isinstance(part, int):
                raise ScenarioError(f"'{format_field_path(resolved)}' is not a list", field=where)
            node = node.get(part, {})
        else:
            node = {}
        resolved.append(part)
    return resolved


def parse_override(text: str) -> tuple[str, Any]:
    """`key=value` → (key, value); the value is read as YAML (numbers, strings, lists, `auto`)."""
    import yaml

    if "=" not in text:
        raise ScenarioError(f"--set needs key=value, got '{text}'")
    key, value_text = text.split("=", 1)
    try:
        value = yaml.load(value_text, Loader=_unique_key_loader()) if value_text.strip() else ""  # noqa: S506
    except yaml.constructor.ConstructorError as exc:
        raise ScenarioError(str(exc.problem), field=key.strip()) from None
    except yaml.YAMLError:
        value = value_text
    return key.strip(), value


def set_field(raw: dict, path: str, value: Any) -> list[str | int]:
    """Set a dotted field in raw scenario data, creating missing mappings on the way."""
    parts = normalise_field_path(raw, path)
    node: Any = raw
    for i, part in enumerate(parts[:-1]):
        nxt = node[part] if isinstance(node, list) else node.get(part)
        if nxt is None:
            nxt = [] if isinstance(parts[i + 1], int) else {}
            node[part] = nxt
        if not isinstance(nxt, (dict, list)):
            raise ScenarioError(f"'{format_field_path(parts[: i + 1])}' holds a value, not fields", field=path)
        node = nxt
    last = parts[-1]
    if isinstance(node, list) and isinstance(last, int):
        node[last] = value
    elif isinstance(node, dict) and isinstance(last, str):
        node[last] = value
    else:
        raise ScenarioError(f"cannot set '{path}'", field=path)
    return parts


OVERRIDDEN = 0
"""Line-map value for a field set with --set: errors there name no file line."""
OVERRIDES = ("--set",)
"""Line-map key listing every overridden field path."""


def apply_overrides(raw: dict, overrides: Iterable[str] | None, lines: dict[tuple, int] | None = None) -> dict:
    """Apply `key=value` overrides; mark each overridden field in `lines` so errors blame --set."""
    for text in overrides or ():
        key, value = parse_override(text)
        parts = set_field(raw, key, value)
        if lines is not None:
            lines[tuple(parts)] = OVERRIDDEN
            lines.setdefault(OVERRIDES, []).append(tuple(parts))
    return raw


# ---------------------------------------------------------------- reading files with line numbers


def _yaml_lines(text: str) -> dict[tuple, int]:
    """Map each key path in a YAML document to its 1-based line."""
    import yaml

    lines: dict[tuple, int] = {}

    def walk(node: Any, path: tuple) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                lines[path + (key,)] = key_node.start_mark.line + 1
                walk(value_node, path + (key,))
                lines[path + (key,)] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, path + (i,))

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, ())
    return lines


def _json_lines(text: str) -> dict[tuple, int]:
    """Rough key → line map for JSON: the line where `"key":` first appears after its parent."""
    lines: dict[tuple, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        for key in re.findall(r'"([^"]+)"\s*:', line):
            lines.setdefault((key,), number)
    return lines


@functools.cache
def _unique_key_loader():
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        """SafeLoader that rejects a key given twice in one mapping (the second would silently win)."""

        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                self.flatten_mapping(node)  # expand `<<:` merge keys before looking for duplicates
            seen: set = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key '{key}' (the second value would silently replace the first)",
                        key_node.start_mark,
                    )
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def _unique_json_object(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise ScenarioError(f"duplicate key '{key}' (the second value would silently replace the first)")
        seen[key] = value
    return seen


def read_raw(path: str | FsPath) -> tuple[dict, dict[tuple, int]]:
    """Read a scenario file into plain data and a key-path → line map."""
    file = FsPath(path)
    source = str(path)
    if not file.exists():
        raise ScenarioError("file not found", source=source)
    if file.is_dir():
        raise ScenarioError("is a folder, not a scenario file", source=source)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read file: {exc}", source=source) from None
    suffix = file.suffix.lower()
    lines: dict[tuple, int] = {}
    if suffix == ".toml":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            raise ScenarioError(f"TOML syntax error: {exc}", source=source, line=int(match.group(1)) if match else None) from None
    elif suffix == ".json":
        try:
            data = json.loads(text, object_pairs_hook=_unique_json_object)
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"JSON syntax error: {exc.msg}", source=source, line=exc.lineno) from None
        except ScenarioError as exc:
            exc.source = source
            raise
        lines = _yaml_lines(text) or _json_lines(text)  # JSON is YAML: its parser gives every key's line
    else:
        import yaml

        try:
            data = yaml.load(text, Loader=_unique_key_loader())  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            what = "YAML error" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
            raise ScenarioError(
                f"{what}: {problem}", source=source, line=mark.line + 1 if mark is not None else None
            ) from None
        lines = _yaml_lines(text)
    if not isinstance(data, dict):
        raise ScenarioError("a scenario file must hold a mapping of fields (name, workload, paths…)", source=source)
    return data, lines


# ---------------------------------------------------------------- validation errors


_KIND_TAGS = {"api", "finetune", "build"}


def _field_parts(loc: tuple, raw: Any) -> list[str | int]:
    """Drop pydantic's union/type tags from an error location, keeping the keys the user wrote.

    A path's kind tag (`finetune`, …) comes right after its index in `paths[i]`; it is dropped
    there even when the path also has a key of that name (a finetune path has a `finetune:` block).
    """
    parts: list[str | int] = []
    node = raw
    tag_expected = False
    for item in loc:
        if tag_expected:
            tag_expected = False
            if item in _KIND_TAGS:
                continue
        if isinstance(node, list) and isinstance(item, int):
            parts.append(item)
            node = node[item] if 0 <= item < len(node) else None
            tag_expected = parts[:1] == ["paths"] and len(parts) == 2
        elif isinstance(node, dict) and isinstance(item, str) and (item in node or not _looks_like_tag(item)):
            parts.append(item)
            node = node.get(item)
        elif node is None and isinstance(item, (str, int)) and not _looks_like_tag(str(item)):
            parts.append(item)
    return parts


def _looks_like_tag(item: str) -> bool:
    return item in _KIND_TAGS or "[" in item or item in {"float", "int", "str", "bool", "none", "list", "dict"}


def _known_fields() -> set[str]:
    names: set[str] = set()

    def collect(model: type[BaseModel], seen: set) -> None:
        if model in seen:
            return
        seen.add(model)
        names.update(model.model_fields)
        for field in model.model_fields.values():
            for arg in _walk_types(field.annotation):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    collect(arg, seen)

    collect(Scenario, set())
    return names


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    return [arg for arg in _walk_types(annotation) if isinstance(arg, type) and issubclass(arg, BaseModel)]


def _fields_at(parts: list[str | int], raw: Any) -> list[str] | None:
    """Field names of the model at `parts` (a path's model chosen by its kind), or None if unknown."""
    candidates: list[type[BaseModel]] = [Scenario]
    node = raw
    for part in parts:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            if len(candidates) > 1 and isinstance(node, dict):
                kind = node.get("kind")
                candidates = [m for m in candidates if getattr(m.model_fields.get("kind"), "default", None) == kind
                              or kind in str(m.model_fields["kind"].annotation if "kind" in m.model_fields else "")]
            continue
        if len(candidates) != 1 or part not in candidates[0].model_fields:
            return None
        candidates = _models_in(candidates[0].model_fields[part].annotation)
        node = node.get(part) if isinstance(node, dict) else None
    return sorted(candidates[0].model_fields) if len(candidates) == 1 else None


def _walk_types(annotation: Any) -> Iterable[Any]:
    from typing import get_args

    yield annotation
    for arg in get_args(annotation):
        yield from _walk_types(arg)


def _message(error: dict, field: str, parts: list[str | int] | None = None, raw: Any = None) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        key = field.rsplit(".", 1)[-1]
        here = _fields_at(list(parts or [])[:-1], raw) if parts else None
        hint = difflib.get_close_matches(key, here if here is not None else sorted(_known_fields()), n=1, cutoff=0.6)
        if hint:
            return f"unknown field; did you mean '{hint[0]}'?"
        return "unknown field" + (f" (fields here: {', '.join(here)})" if here else "")
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        tag = (error.get("ctx") or {}).get("tag")
        return f"unknown path kind '{tag}'; use api, finetune or build"
    if kind == "union_tag_not_found":
        return "each path needs a kind: api, finetune or build"
    message = re.sub(r"\b\d{10,}(?:\.0)?\b", lambda m: f"{float(m.group()):.0e}".replace("e+", "e"),
                     str(error.get("msg", "invalid value")))
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    value = error.get("input")
    if kind not in {"model_type"} and "(got " not in message and isinstance(value, (int, float, str)) and not isinstance(value, bool):
        message += f" (got {value!r})"
    return message


def validation_error(exc: ValidationError, raw: dict, lines: dict[tuple, int], source: str | None) -> ScenarioError:
    """The first error of a pydantic ValidationError as one line with its field and file line."""
    errors = sorted(exc.errors(include_url=False), key=lambda e: e.get("type") != "extra_forbidden")
    error = errors[0]
    parts = _field_parts(tuple(error["loc"]), raw)
    if error.get("type") in ("union_tag_invalid", "union_tag_not_found"):
        parts.append("kind")
    field = format_field_path(parts)
    line = None
    probe = tuple(parts)
    while probe:
        if probe in lines:
            line = lines[probe]
            break
        probe = probe[:-1]
    overridden = lines.get(OVERRIDES, [])
    from_set = line == OVERRIDDEN or any(
        tuple(parts[: len(o)]) == o or o[: len(parts)] == tuple(parts) for o in overridden
    )
    if from_set:
        line = None
    message = _message(error, field, parts, raw)
    if from_set:
        message += " (from --set)"
    others: list[ScenarioError] = []
    seen = {field}
    for other in errors[1:]:
        other_parts = _field_parts(tuple(other["loc"]), raw)
        other_field = format_field_path(other_parts)
        if other_field in seen:
            continue
        seen.add(other_field)
        probe = tuple(other_parts)
        other_line = None
        while probe:
            if probe in lines:
                other_line = lines[probe] or None
                break
            probe = probe[:-1]
        others.append(ScenarioError(_message(other, other_field, other_parts, raw), field=other_field or None,
                                    source=source, line=other_line))
    error_out = ScenarioError(message, field=field or None, source=source, line=line)
    error_out.others = others
    return error_out


def validate(raw: dict, *, source: str | None = None, lines: dict[tuple, int] | None = None) -> Scenario:
    """Validate raw data; fields given as distributions are validated by their estimate and support.

    The Scenario holds each distribution's estimate in its field and the distributions in
    `_distributions`; `_raw` keeps the data as written (distributions included).
    """
    from buildorbuy.scenario.uncertainty import check_correlations, check_endpoints, extract_distributions

    lines = lines or {}
    data, uncertain = extract_distributions(raw, lines=lines, source=source)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, lines, source) from None
    if uncertain:
        check_endpoints(data, uncertain, lines=lines, source=source)
    check_correlations(scenario, uncertain, lines=lines, source=source)
    scenario._source = source
    scenario._raw = raw
    scenario._lines = lines
    scenario._distributions = uncertain
    return scenario


def load_scenario(path: str | FsPath, overrides: Iterable[str] | None = None) -> Scenario:
    """Read, override and validate a scenario file (YAML, TOML or JSON)."""
    raw, lines = read_raw(path)
    overrides = list(overrides or ())
    try:
        apply_overrides(raw, overrides, lines)
    except ScenarioError as exc:
        exc.message = f"--set: {exc.message}"
        raise
    return validate(raw, source=str(path), lines=lines)


def scenario_from_dict(data: dict, overrides: Iterable[str] | None = None) -> Scenario:
    """Validate a scenario given as plain data (for scripting and tests)."""
    import copy

    raw = apply_overrides(copy.deepcopy(data), overrides)
    return validate(raw)
