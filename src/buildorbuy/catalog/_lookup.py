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


def read_data_file(filename: str, schema):
    """Read and validate a YAML data file shipped in `buildorbuy/catalog/data/`."""
    import importlib.resources

    from buildorbuy.scenario._yaml import safe_load

    text = importlib.resources.files("buildorbuy.catalog").joinpath(f"data/{filename}").read_text(encoding="utf-8")
    return schema.model_validate(safe_load(text))  # libyaml when installed
