"""Name resolution shared by the catalogs: case- and punctuation-insensitive, with suggestions."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

from buildorbuy.errors import CatalogError

_NON_ALNUM = re.compile(r"[^a-z0-9.]+")


def normalise(name: str) -> str:
    """`H100-SXM 80GB` → `h100sxm80gb`: lowercase, punctuation and spaces dropped (dots kept)."""
    return _NON_ALNUM.sub("", str(name).lower())


def build_index(entries: Iterable[tuple[str, Iterable[str]]]) -> dict[str, str]:
    """Map the normalised id and every alias to the id; a clash is a data error."""
    index: dict[str, str] = {}
    for ident, aliases in entries:
        for name in (ident, *aliases):
            key = normalise(name)
            if index.get(key, ident) != ident:
                raise ValueError(f"catalog name '{name}' is used by both '{index[key]}' and '{ident}'")
            index[key] = ident
    return index


def resolve(name: str, index: Mapping[str, str], ids: Iterable[str], *, kind: str, field: str, list_command: str | None = None) -> str:
    """Return the id `name` refers to, or raise CatalogError with "did you mean" suggestions."""
    key = normalise(name)
    if key in index:
        return index[key]
    ids = list(ids)
    close = difflib.get_close_matches(key, list(index), n=3, cutoff=0.6)
    suggestions = list(dict.fromkeys(index[k] for k in close))
    if not suggestions:
        suggestions = difflib.get_close_matches(str(name).lower(), ids, n=3, cutoff=0.4)
    hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    known = f"known: {', '.join(ids)}" if len(ids) <= 15 or not list_command else f"list them with `{list_command}`"
    raise CatalogError(f"unknown {kind} '{name}'{hint} ({known})", field=field)


def load_yaml(text: str):
    """Parse YAML with libyaml's safe loader when PyYAML was built with it (10–30× faster), else PyYAML's own."""
    from buildorbuy.scenario._yaml import safe_load

    return safe_load(text)

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def construct(schema, data):
    """Build `schema` (a pydantic model class) from trusted data without validating it.

    For the data files shipped in the package: tests/catalog/test_data_files.py validates every
    one of them with the strict schema and checks this gives the same values and types, so a run
    does not pay for validation (nor for building validators: the schemas use `defer_build`).
    Numbers become the field's type as validation would make them (whole numbers and YAML 1.1's
    unsigned-exponent strings such as `6.74e9` to float).
    """
    fields = schema.model_fields
    values = {}
    for name, value in data.items():
        info = fields.get(name)
        values[name] = _convert(info.annotation, value) if info is not None else value
    return schema.model_construct(**values)


def _convert(annotation, value):
    import typing

    if value is None:
        return None
    origin = typing.get_origin(annotation)
    if origin is None:
        if annotation is float and isinstance(value, (int, str)) and not isinstance(value, bool):
            return float(value)  # YAML 1.1 reads 6.74e9 (no exponent sign) as a string
        if annotation is int and isinstance(value, str):
            return int(value)
        if isinstance(annotation, type) and hasattr(annotation, "model_fields") and isinstance(value, dict):
            return construct(annotation, value)
        return value
    args = typing.get_args(annotation)
    if origin is list:
        return [_convert(args[0], item) for item in value]
    if origin is dict:
        return {key: _convert(args[1], item) for key, item in value.items()}
    if origin is typing.Literal:
        return value
    # a union (X | None): the first member the value fits
    for member in args:
        if member is type(None):
            continue
        if isinstance(member, type) and hasattr(member, "model_fields"):
            if isinstance(value, dict):
                return construct(member, value)
            continue
        return _convert(member, value)
    return value


def read_data_file(filename: str, schema, *, validate: bool = False):
    """Read a YAML data file shipped in `buildorbuy/catalog/data/` into `schema`.

    Shipped files are validated by the tests (`validate=True`), not at every run.
    """
    import importlib.resources

    text = importlib.resources.files("buildorbuy.catalog").joinpath(f"data/{filename}").read_text(encoding="utf-8")
    data = load_yaml(text)
    return schema.model_validate(data) if validate else construct(schema, data)
