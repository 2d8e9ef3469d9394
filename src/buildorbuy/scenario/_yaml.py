"""Reading YAML: libyaml's C parser when installed, and one bounded pass over the node tree.

A scenario is composed once into a node tree; `build` turns that tree into plain data and the
key-path → line map in the same walk, and refuses, with the line, what a plain YAML load would
accept silently or crash on:

- aliases are expanded into copies, but the expanded document may hold at most `MAX_VALUES`
  values (a "billion laughs" file stops at once) and an alias inside its own anchor is an error;
- nesting deeper than `MAX_DEPTH`; keys that are not text (`1: 2`, `~: 2`, `? [a, b]`);
  a key given twice (a `<<:` merge may be overridden: that is standard YAML merge behaviour);
- YAML 1.1 numbers that read differently from how they look: octal `036` (= 30), sexagesimal
  `1:30` (= 90), hex `0x1F`, `1_0_0_`; integers longer than `MAX_DIGITS`;
- text holding a lone surrogate (not Unicode; it cannot be printed or written).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from buildorbuy.errors import ScenarioError

MAX_DEPTH = 64
"""Deepest nesting accepted; a scenario is about 6 levels deep."""
MAX_VALUES = 20_000
"""Most values (scalars, lists, mappings) a document may hold once its aliases are expanded."""
MAX_DIGITS = 100
"""Longest integer accepted, in digits (scenario numbers stop at 1e18)."""

_TAG = "tag:yaml.org,2002:"
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*(?:_[0-9]+)*)", re.ASCII)
_FLOAT = re.compile(r"[-+]?(?:[0-9]+(?:_[0-9]+)*)?\.[0-9]*(?:[eE][-+]?[0-9]+)?", re.ASCII)
_PLAIN_NUMBER = re.compile(r"[-+]?[0-9]{1,100}(?:\.[0-9]*)?(?:[eE][-+]?[0-9]{1,4})?", re.ASCII)
_SURROGATE = re.compile("[\ud800-\udfff]")
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}


@functools.cache
def _loader_class():
    """libyaml's CSafeLoader when PyYAML was built with it, else the pure-Python SafeLoader."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """`yaml.safe_load` through the C parser when available (for the package's own catalog files)."""
    import yaml

    return yaml.load(text, Loader=_loader_class())  # noqa: S506 - a SafeLoader


PRESCAN_CHARS = 10_000
"""Texts longer than this are counted by parser events before they are composed: a shorter text
cannot hold MAX_VALUES values without aliases."""


def check_count(text: str) -> None:
    """Refuse a text holding more than MAX_VALUES values (aliases not expanded) while it is parsed,
    before a node tree or any data is built: a 5 MB list of numbers stops after 20,000 parser events,
    in milliseconds, instead of seconds and hundreds of MB. Syntax errors are left to the real read."""
    if len(text) <= PRESCAN_CHARS:
        return
    import yaml

    count = 0
    loader = _loader_class()(text)
    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                return
            if isinstance(event, (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.AliasEvent)):
                count += 1
                if count > MAX_VALUES:
                    raise ScenarioError(f"the document holds more than {MAX_VALUES:,} values; a scenario needs a few hundred",
                                        line=event.start_mark.line + 1)
    except yaml.YAMLError:
        return
    finally:
        loader.dispose()


def compose(text: str):
    """The node tree of a single YAML document (None when empty); YAML errors propagate."""
    loader = _loader_class()(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def check_text(value: str, line: int | None = None, where: str | None = None) -> str:
    """Refuse a string holding a lone surrogate (e.g. from a `"\\ud800"` escape)."""
    if _SURROGATE.search(value):
        raise ScenarioError("text holds an invalid character (a lone UTF-16 surrogate such as \\ud800)",
                            field=where, line=line)
    return value


class _State:
    __slots__ = ("count", "active", "lines")

    def __init__(self, lines: dict | None):
        self.count = 0
        self.active: set[int] = set()
        self.lines = lines


def build(node, lines: dict[tuple, int] | None = None) -> Any:
    """Plain data from a composed node tree, filling `lines` (key path → 1-based line) on the way."""
    if node is None:
        return None
    return _build(node, (), 0, _State(lines))


def _where(path: tuple) -> str | None:
    from buildorbuy.scenario.loading import format_field_path

    return format_field_path(path) or None


def _error(message: str, node, path: tuple = ()) -> ScenarioError:
    return ScenarioError(message, line=node.start_mark.line + 1, field=_where(path))


def _build(node, path: tuple, depth: int, state: _State) -> Any:
    import yaml

    state.count += 1
    if state.count > MAX_VALUES:
        raise _error(f"the document holds more than {MAX_VALUES:,} values once its aliases (*name) are expanded; "
                     "a scenario needs a few hundred", node)
    if depth > MAX_DEPTH:
        raise _error(f"nested more than {MAX_DEPTH} levels deep", node)
    if state.lines is not None:
        state.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, path)
    if id(node) in state.active:
        raise _error("an alias (*name) refers to a value that contains it", node, path)
    state.active.add(id(node))
    try:
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _TAG + "seq":
                raise _error(f"unsupported YAML tag {node.tag}", node, path)
            return [_build(item, path + (i,), depth + 1, state) for i, item in enumerate(node.value)]
        if node.tag != _TAG + "map":
            raise _error(f"unsupported YAML tag {node.tag}", node, path)
        return _mapping(node, path, depth, state)
    finally:
        state.active.discard(id(node))


def _mapping(node, path: tuple, depth: int, state: _State) -> dict:
    import yaml

    merged: dict = {}
    own: dict = {}
    merge_seen = False
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _TAG + "merge":
            if merge_seen:
                raise _error("duplicate key '<<' (merge it once, from a list of mappings)", key_node, path)
            merge_seen = True
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    raise _error("'<<' merges mappings only (an alias *name of a mapping, or a list of them)",
                                 source, path)
                data = _build(source, path, depth + 1, state)
                for key, value in data.items():
                    merged.setdefault(key, value)  # in a list of sources, the earlier one wins
            continue
        key = _key(key_node, path)
        if key in own:
            raise _error(f"duplicate key '{key}' (the second value would silently replace the first)",
                         key_node, path + (key,))
        if state.lines is not None:
            state.lines[path + (key,)] = key_node.start_mark.line + 1
        own[key] = _build(value_node, path + (key,), depth + 1, state)
        if state.lines is not None:
            state.lines[path + (key,)] = key_node.start_mark.line + 1
    merged.update(own)  # keys written here override merged ones (YAML merge-key semantics)
    return merged


def _key(node, path: tuple) -> str:
    import yaml

    if not isinstance(node, yaml.ScalarNode):
        kind = "list" if isinstance(node, yaml.SequenceNode) else "mapping"
        raise _error(f"a key must be a name, not a {kind}", node, path)
    if node.tag != _TAG + "str":
        shown = node.value or "~"
        raise _error(f"key '{shown}' is not text (YAML reads it as {node.tag.rsplit(':', 1)[-1]}); "
                     f"keys are field names or quoted text such as '{shown}'", node, path)
    if _SURROGATE.search(node.value):
        check_text(node.value, node.start_mark.line + 1, _where(path))
    return node.value


def _ambiguous(node, path: tuple, reading: str) -> ScenarioError:
    return _error(f"'{node.value}' is ambiguous: YAML 1.1 reads it as {reading}; write the number in plain "
                  f"decimal, or quote it ('{node.value}') to keep it as text", node, path)


def _scalar(node, path: tuple) -> Any:
    tag = node.tag
    value = node.value
    if tag == _TAG + "str" or tag in (_TAG + "merge", _TAG + "value", _TAG + "timestamp"):
        if _SURROGATE.search(value):
            check_text(value, node.start_mark.line + 1, _where(path))
        return value
    if tag == _TAG + "null":
        return None
    if tag == _TAG + "bool":
        if value.lower() not in _BOOLS:
            raise _error(f"'{value}' is not a boolean (true or false)", node, path)
        return _BOOLS[value.lower()]
    if tag == _TAG + "int":
        if _DECIMAL.fullmatch(value):
            digits = sum(c.isdigit() for c in value)
            if digits > MAX_DIGITS:
                raise _error(f"a whole number of {digits:,} digits; no scenario number is that long", node, path)
            return int(value.replace("_", ""))
        if ":" in value:
            return _refuse_sexagesimal(node, path)
        text = value.replace("_", "").lower()
        sign = -1 if text.startswith("-") else 1
        body = text.lstrip("+-")
        for prefix, base, name in (("0x", 16, "hexadecimal"), ("0b", 2, "binary"), ("0o", 8, "octal"), ("0", 8, "octal")):
            if body.startswith(prefix):
                try:
                    number = sign * int(body[len(prefix):] or "0", base)
                except ValueError:
                    break
                raise _ambiguous(node, path, f"{name} {value} = {number}" if len(body) < 30 else name)
        why = ": underscores go only between digits (1_000)" if "_" in value else ""
        raise _error(f"'{value}' is not a plain whole number{why}; quote it to keep it as text", node, path)
    if tag == _TAG + "float":
        lowered = value.lower().lstrip("+-")
        if lowered in (".inf", ".nan"):
            return float("nan") if lowered == ".nan" else (float("-inf") if value.startswith("-") else float("inf"))
        if ":" in value:
            return _refuse_sexagesimal(node, path)
        if not _FLOAT.fullmatch(value):
            if _PLAIN_NUMBER.fullmatch(value):  # an explicit `!!float 24` or `!!float 1e9`
                return float(value)
            why = ": underscores go only between digits (1_000.5)" if "_" in value else ""
            raise _error(f"'{value}' is not a number{why}; quote it to keep it as text", node, path)
        return float(value.replace("_", ""))
    raise _error(f"unsupported YAML tag {tag}", node, path)


def _refuse_sexagesimal(node, path: tuple):
    parts = node.value.lstrip("+-").split(":")
    try:
        number = 0.0
        for part in parts:
            number = number * 60 + float(part.replace("_", ""))
        reading = f"base 60 ({node.value} = {number:g})"
    except ValueError:
        reading = "a base-60 number"
    raise _ambiguous(node, path, reading)
