"""Starter scenarios shipped with the package, for `buildorbuy init`."""

from __future__ import annotations

import difflib
from importlib.resources import files

from buildorbuy.errors import ScenarioError


def available() -> dict[str, str]:
    """Template name → its first comment line."""
    out = {}
    for entry in sorted(files(__name__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            first = entry.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
            out[entry.name[:-5]] = first
    return out


def read_template(name: str) -> str:
    names = available()
    if name not in names:
        hint = difflib.get_close_matches(name, list(names), n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else f" (templates: {', '.join(names)})"
        raise ScenarioError(f"unknown template '{name}'{suggestion}", field="--template")
    return (files(__name__) / f"{name}.yaml").read_text(encoding="utf-8")


def template_to_write(name: str) -> str:
    """`read_template` as `init` writes it: the bundled scenarios point their editors at the
    repository's docs/; a written copy points at a schema beside itself, as the starter does, and
    says how to write it."""
    return read_template(name).replace(
        "# yaml-language-server: $schema=../docs/scenario.schema.json\n",
        "# yaml-language-server: $schema=scenario.schema.json\n"
        "# (write the schema beside this file for editor completion: buildorbuy schema -o scenario.schema.json)\n",
        1,
    )
