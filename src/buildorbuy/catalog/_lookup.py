"""Name resolution shared by the catalogs: case- and punctuation-insensitive, with suggestions."""

from __future__ import annotations

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
    import difflib

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


def data_path(filename: str):
    """The path of a data file shipped in `buildorbuy/catalog/data/` (beside this module: the
    package is always installed as files; `importlib.resources` would cost its import at start-up)."""
    from pathlib import Path

    return Path(__file__).resolve().parent / "data" / filename


def load_data(filename: str):
    """The data of a YAML file shipped in `buildorbuy/catalog/data/`, read from its JSON copy
    (see `load_data_checked`)."""
    return load_data_checked(filename)[0]


_DATA_MARK = b'\n "data": '
"""Where the payload of a JSON copy starts: `data_sha256` is the SHA-256 of the file's bytes from here on."""


def load_data_checked(filename: str):
    """(data, from_copy): the data of a YAML file shipped in `buildorbuy/catalog/data/`, and whether it
    came from its verified JSON copy.

    YAML is the source (it carries the comments); `<name>.json` beside it holds the same data,
    the SHA-256 of the YAML it was made from and the SHA-256 of its own payload (`write_json_copy`).
    Reading JSON takes a fraction of a millisecond where YAML takes several. The copy is used only
    when both hashes match: an edited YAML is never shadowed by a stale copy, and an edited copy
    (a price changed, a NaN) is never trusted; otherwise the YAML is parsed, and callers validate
    what did not come from a verified copy. A test checks the copies are current and hold the same
    data. A YAML that cannot be read raises CatalogError naming the file.
    """
    import json

    path = data_path(filename)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogError(f"catalog file {filename} cannot be read: {exc.strerror or exc}") from None
    try:
        text = path.with_suffix(".json").read_bytes()
        at = text.find(_DATA_MARK)
        copy = json.loads(text) if at > 0 else None
    except (OSError, ValueError):
        copy = None
    sha256 = _sha256()
    if (isinstance(copy, dict) and copy.get("source_sha256") == sha256(raw).hexdigest()
            and copy.get("data_sha256") == sha256(text[at:]).hexdigest() and isinstance(copy.get("data"), dict)):
        return copy["data"], True
    try:
        data = load_yaml(raw.decode("utf-8"))
    except Exception as exc:  # noqa: BLE001 - any YAML or decoding failure of a shipped file
        raise catalog_file_error(filename, exc) from None
    if not isinstance(data, dict):
        raise CatalogError(f"catalog file {filename} is broken: it holds no mapping of fields")
    return data, False


def _sha256():
    """SHA-256 from Python's built-in implementation (the same digests): hashlib would first load
    its OpenSSL binding, ~3 ms at every start, for two digests of small files. hashlib on an
    interpreter without the built-in module."""
    try:
        from _sha256 import sha256  # CPython ≤ 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # CPython ≥ 3.12
        except ImportError:  # pragma: no cover - other interpreters
            from hashlib import sha256
    return sha256


def catalog_file_error(filename: str, exc: Exception) -> CatalogError:
    """One line naming a broken shipped catalog file and the first line of what is wrong with it."""
    errors = getattr(exc, "errors", None)
    if callable(errors):  # a pydantic ValidationError: its first problem, with where it is
        problem = errors()[0]
        first = ".".join(str(part) for part in problem["loc"]) + ": " + problem["msg"]
    else:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return CatalogError(f"catalog file {filename} is broken (reinstall buildorbuy): {first}")


def write_json_copy(filename: str) -> None:
    """(Re)write the JSON copy of a shipped YAML data file (see `load_data_checked`); run after editing it:

        python -c "from buildorbuy.catalog._lookup import write_json_copy as w; w('gpus.yaml')"
    """
    import hashlib
    import json

    raw = data_path(filename).read_bytes()
    data = load_yaml(raw.decode("utf-8"))
    payload = json.dumps({"data": data}, ensure_ascii=False, allow_nan=False, indent=1)[1:] + "\n"  # '\n "data": …\n}\n'
    assert payload.startswith(_DATA_MARK.decode())
    head = {"generated_from": filename, "source_sha256": hashlib.sha256(raw).hexdigest(),
            "data_sha256": hashlib.sha256(payload.encode("utf-8")).hexdigest()}
    text = json.dumps(head, ensure_ascii=False, indent=1)[: -len("\n}")] + "," + payload
    data_path(filename).with_suffix(".json").write_text(text, encoding="utf-8")


DATA_FILES = ("gpus.yaml", "models.yaml", "api_prices_extra.yaml", "calibration.yaml")
"""The YAML data files shipped with a JSON copy."""


def read_data_file(filename: str, schema, *, validate: bool = False):
    """Read a data file shipped in `buildorbuy/catalog/data/` into `schema`.

    Shipped files are validated by the tests (`validate=True`), not at every run.
    """
    data, from_copy = load_data_checked(filename)
    if validate or not from_copy:  # data parsed from the YAML (no verified copy) is validated
        from pydantic import ValidationError

        try:
            return schema.model_validate(data)
        except ValidationError as exc:
            if validate:
                raise
            raise catalog_file_error(filename, exc) from None
    return construct(schema, data)
