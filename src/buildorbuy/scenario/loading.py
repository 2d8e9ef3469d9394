"""Load a scenario from YAML, TOML or JSON, apply `--set` overrides, and explain errors by line.

Validation errors become one `ScenarioError` naming the file, the line (YAML and JSON) and the
dotted field, with "did you mean" for unknown keys.
"""

from __future__ import annotations

import os
import re
from pathlib import Path as FsPath
from typing import Any, Iterable

from pydantic import BaseModel, ValidationError

from buildorbuy.errors import ScenarioError
from buildorbuy.scenario.models import Scenario

MAX_PATH_PARTS = 64
"""A field path (--set, -p) longer than this is refused: a scenario's fields are under ten deep."""
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
            if re.fullmatch(r"-[0-9]+", inner):
                raise ScenarioError(f"negative index [{inner}] in field path: count from 0 (paths[0]) or name the entry "
                                    "(paths[gpt-4o])", field=path[:200])
            parts.append(int(inner) if re.fullmatch(r"-?[0-9]{1,9}", inner) else inner.strip("'\""))
        pos = match.end()
        if len(parts) > MAX_PATH_PARTS:
            raise ScenarioError(f"field path has more than {MAX_PATH_PARTS} parts; a scenario's fields are a few deep",
                                field=path[:60] + "…")
    if not parts or any(part == "" for part in parts):
        raise ScenarioError(f"cannot read field path '{path}' (write it like workload.tokens_per_month)", field=path)
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
    import difflib

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

    from buildorbuy.scenario import _yaml

    if "=" not in text:
        raise ScenarioError(f"--set needs key=value, got '{text}'")
    key, value_text = text.split("=", 1)
    key = _yaml.check_text(key.strip())
    _yaml.check_text(value_text, where=key)  # bytes that are not UTF-8 in argv arrive as lone surrogates
    if not value_text.strip():
        return key, ""
    try:
        node = _yaml.compose(value_text)
    except (yaml.YAMLError, RecursionError):
        return key, _yaml.check_text(value_text, where=key)
    try:
        value = _yaml.build(node)
    except ScenarioError as exc:
        raise ScenarioError(exc.message, field=key) from None
    return key, value


def set_field(raw: dict, path: str, value: Any) -> list[str | int]:
    """Set a dotted field in raw scenario data, creating missing mappings on the way."""
    parts = normalise_field_path(raw, path)
    node: Any = raw
    for i, part in enumerate(parts):
        if isinstance(node, list) and isinstance(part, int) and not part < len(node):  # a list given as null
            raise ScenarioError(f"index {part} is out of range (there are {len(node)})",
                                field=format_field_path(parts[: i + 1]))
        if i == len(parts) - 1:
            break
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


MAX_FILE_BYTES = 5_000_000
"""Largest scenario file read: real ones are a few kilobytes (a 600-month schedule is ~10 KB)."""


def _json_lines(text: str) -> dict[tuple, int]:
    """Rough key → line map for JSON: the line where `"key":` first appears after its parent."""
    lines: dict[tuple, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        for key in re.findall(r'"([^"]+)"\s*:', line):
            lines.setdefault((key,), number)
    return lines


def _yaml_error(exc: Exception) -> ScenarioError:
    import yaml

    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    what = "YAML error" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
    return ScenarioError(f"{what}: {problem}", line=mark.line + 1 if mark is not None else None)


def _read_yaml(text: str, lines: dict[tuple, int] | None) -> Any:
    """Parse once (libyaml when installed): the node tree gives both the data and every key's line."""
    import yaml

    from buildorbuy.scenario import _yaml

    _yaml.check_count(text)
    try:
        node = _yaml.compose(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc) from None
    except RecursionError:
        raise ScenarioError(f"nested more than {_yaml.MAX_DEPTH} levels deep") from None
    return _yaml.build(node, lines)


def _json_int(text: str) -> int:
    from buildorbuy.scenario._yaml import MAX_DIGITS

    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise ScenarioError(f"a whole number of {digits:,} digits; no scenario number is that long")
    return int(text)


def _unique_json_object(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise ScenarioError(f"duplicate key '{key}' (the second value would silently replace the first)")
        seen[key] = value
    return seen


def check_plain(data: Any) -> None:
    """Bounds for data read from JSON or TOML: nesting depth, number of values, no lone surrogates."""
    from buildorbuy.scenario._yaml import MAX_DEPTH, MAX_VALUES, check_text

    count = 0
    stack: list[tuple[Any, tuple]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise ScenarioError(f"the document holds more than {MAX_VALUES:,} values; a scenario needs a few hundred")
        if len(path) > MAX_DEPTH:
            raise ScenarioError(f"nested more than {MAX_DEPTH} levels deep")
        where = format_field_path(path) or None
        if isinstance(value, str):
            check_text(value, where=where)
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise ScenarioError(f"key {key!r} is not text", field=where)
                check_text(key, where=where)
                stack.append((item, path + (key,)))
        elif isinstance(value, list):
            stack.extend((item, path + (i,)) for i, item in enumerate(value))


def _read_text(file: FsPath, source: str) -> str:
    """The file's text (UTF-8, a leading byte-order mark dropped), at most MAX_FILE_BYTES."""
    import stat

    try:
        # O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as handle:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or
                        stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
                raise ScenarioError(f"is {kind}, not a scenario file: give a regular file", source=source)
            if hasattr(os, "set_blocking"):
                os.set_blocking(fd, True)
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror or exc}", source=source) from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(f"file is larger than {MAX_FILE_BYTES // 1_000_000} MB; a scenario is a few kilobytes",
                            source=source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"cannot read file: not UTF-8 text ({exc.reason} at byte {exc.start})",
                            source=source) from None


def read_raw(path: str | FsPath) -> tuple[dict, dict[tuple, int]]:
    """Read a scenario file into plain data and a key-path → line map."""
    file = FsPath(path)
    source = str(path)
    try:
        if not file.exists():
            raise ScenarioError("file not found", source=source)
        if file.is_dir():
            raise ScenarioError("is a folder, not a scenario file", source=source)
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror or exc}", source=source) from None
    text = _read_text(file, source)
    suffix = file.suffix.lower()
    lines: dict[tuple, int] = {}
    try:
        if suffix == ".toml":
            data = _read_toml(text)
        elif suffix == ".json":
            data = _read_json(text, lines)
        else:
            data = _read_yaml(text, lines)
    except ScenarioError as exc:
        exc.source = source
        raise
    if not isinstance(data, dict):
        raise ScenarioError("a scenario file must hold a mapping of fields (name, workload, paths…)", source=source)
    return data, lines


def _read_toml(text: str) -> Any:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ScenarioError(f"TOML syntax error: {exc}", line=int(match.group(1)) if match else None) from None
    except RecursionError:
        raise ScenarioError("TOML: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer over Python's 4,300-digit conversion limit
        from buildorbuy.scenario._yaml import MAX_DIGITS

        long = re.search(r"[0-9][0-9_]{%d,}" % MAX_DIGITS, text)
        if long is not None:  # the same words and a line, as YAML and JSON give
            digits = sum(c.isdigit() for c in long.group())
            raise ScenarioError(f"a whole number of {digits:,} digits; no scenario number is that long",
                                line=text.count("\n", 0, long.start()) + 1) from None
        raise ScenarioError(f"TOML: {str(exc).split(';')[0]}") from None
    check_plain(data)
    return data


def _read_json(text: str, lines: dict[tuple, int]) -> Any:
    import json

    from buildorbuy.scenario import _yaml

    _yaml.check_count(text)  # JSON is YAML: refuse a huge document before building it
    try:
        data = json.loads(text, object_pairs_hook=_unique_json_object, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"JSON syntax error: {exc.msg}", line=exc.lineno) from None
    except RecursionError:
        raise ScenarioError("JSON: nested too deeply") from None
    check_plain(data)
    try:  # JSON is YAML: the YAML parser gives every key's line
        _read_yaml(text, lines)
    except ScenarioError:
        lines.clear()
    if not lines:
        lines.update(_json_lines(text))
    return data


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
    """A union member's tag pydantic puts in a location: a kind, a type name, or a model class name
    (`InlineGpu`, `DecliningBalance`: scenario keys are lower case)."""
    return (item in _KIND_TAGS or "[" in item or item in {"float", "int", "str", "bool", "none", "list", "dict"}
            or re.fullmatch(r"[A-Z][A-Za-z0-9]*", item) is not None)


_SCALAR_TYPE_ERRORS = {"string_type", "literal_error", "float_type", "float_parsing", "int_type", "bool_type", "enum"}


def _wrong_union_branch(error: dict, parts: list, all_parts: list[list], raw: Any) -> bool:
    """A scalar member's complaint about a mapping the user wrote for a union field (`gpu: {like: …}`,
    `residual: {declining_balance: …}`), when the mapping member has its own, deeper error."""
    if error.get("type") not in _SCALAR_TYPE_ERRORS:
        return False
    node = raw
    for part in parts:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(node, dict) and any(len(p) > len(parts) and p[: len(parts)] == parts for p in all_parts)


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
        import difflib

        hint = difflib.get_close_matches(key, here if here is not None else sorted(_known_fields()), n=1, cutoff=0.6)
        if hint:
            return f"unknown field; did you mean '{hint[0]}'?"
        return "unknown field" + (f" (fields here: {', '.join(here)})" if here else "")
    if kind == "missing":
        return "required field is missing"
    if kind == "too_long":
        ctx = error.get("ctx") or {}
        return (f"too many entries ({ctx.get('actual_length', '?'):,}); at most {ctx.get('max_length', '?'):,}, "
                "beyond any real scenario")
    if kind == "union_tag_invalid":
        tag = (error.get("ctx") or {}).get("tag")
        return f"unknown path kind '{tag}'; use api, finetune or build"
    if kind == "union_tag_not_found":
        return "each path needs a kind: api, finetune or build"
    if error.get("input", "") is None and (kind in _SCALAR_TYPE_ERRORS or kind.endswith("_type")):
        return "needs a value (null stands for the default, and this field has none)"
    message = re.sub(r"\b\d{10,}(?:\.0)?\b", lambda m: f"{float(m.group()):.0e}".replace("e+", "e"),
                     str(error.get("msg", "invalid value")))
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    value = error.get("input")
    if kind not in {"model_type"} and "(got " not in message and isinstance(value, (int, float, str)) and not isinstance(value, bool):
        shown = repr(value)
        if isinstance(value, str) and len(shown) > 80:  # a 40,000-character name is not echoed whole
            shown = f"{shown[:60]}… ({len(value):,} characters)"
        message += f" (got {shown})"
    return message


def _blame(parts: list[str | int], lines: dict[tuple, int]) -> tuple[int | None, bool]:
    """(file line, caused by --set) for an error at `parts`: the nearest line up the path, unless an
    override set this field, a parent or child of it, or the `kind` of the object holding it."""
    line = None
    probe = tuple(parts)
    while probe:
        if probe in lines:
            line = lines[probe]
            break
        probe = probe[:-1]
    from_set = line == OVERRIDDEN or any(
        tuple(parts[: len(o)]) == o or o[: len(parts)] == tuple(parts)
        or (o[-1:] == ("kind",) and tuple(parts[: len(o) - 1]) == o[:-1])  # a changed kind needs other fields
        for o in lines.get(OVERRIDES, [])
    )
    return (None if from_set else line or None), from_set


def validation_error(exc: ValidationError, raw: dict, lines: dict[tuple, int], source: str | None) -> ScenarioError:
    """The first error of a pydantic ValidationError as one line with its field and file line."""
    errors = sorted(exc.errors(include_url=False), key=lambda e: e.get("type") != "extra_forbidden")
    found: list[ScenarioError] = []
    seen: set[str] = set()
    all_parts = [_field_parts(tuple(e["loc"]), raw) for e in errors]
    for error in errors:
        parts = _field_parts(tuple(error["loc"]), raw)
        if _wrong_union_branch(error, parts, all_parts, raw):
            continue
        subfield = (error.get("ctx") or {}).get("subfield")
        if isinstance(subfield, str):  # models.field_error: the validator names a field below its own
            parts.extend(split_field_path(subfield))
        if error.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            parts.append("kind")
        field = format_field_path(parts)
        if field in seen:
            continue
        seen.add(field)
        line, from_set = _blame(parts, lines)
        message = _message(error, field, parts, raw) + (" (from --set)" if from_set else "")
        found.append(ScenarioError(message, field=field or None, source=source, line=line))
    error_out = found[0]
    error_out.others = found[1:]
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


def read_with_overrides(path: str | FsPath, overrides: Iterable[str] | None = None) -> tuple[dict, dict[tuple, int]]:
    """Read a scenario file and apply `--set` overrides: (raw data, key-path → line map)."""
    raw, lines = read_raw(path)
    try:
        apply_overrides(raw, list(overrides or ()), lines)
    except ScenarioError as exc:
        exc.message = f"--set: {exc.message}"
        raise
    return raw, lines


def load_scenario(path: str | FsPath, overrides: Iterable[str] | None = None) -> Scenario:
    """Read, override and validate a scenario file (YAML, TOML or JSON)."""
    raw, lines = read_with_overrides(path, overrides)
    return validate(raw, source=str(path), lines=lines)


def place(exc: ScenarioError, lines: dict[tuple, int], source: str | None):
    """Give a problem found outside validation its file and line (the nearest up its field's path),
    or mark it "(from --set)" when an override set that field; returns `exc`."""
    exc.source = source
    try:
        parts = split_field_path(exc.field) if exc.field else []
    except ScenarioError:
        parts = []
    line, from_set = _blame(parts, lines) if parts else (None, False)
    exc.line = line
    if from_set and not exc.message.endswith("(from --set)"):
        exc.message += " (from --set)"
    return exc


def scenario_from_dict(data: dict, overrides: Iterable[str] | None = None) -> Scenario:
    """Validate a scenario given as plain data (for scripting and tests)."""
    import copy

    raw = apply_overrides(copy.deepcopy(data), overrides)
    return validate(raw)
