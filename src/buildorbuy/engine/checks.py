"""Every problem of a scenario file in one run, for `validate`: field errors, unknown catalog names
and the plan's checks across fields, each with its field and file line.

Field errors come from validation. When there are some, the catalog names are still checked on
the data as written, and the fields in error are left out (they take their defaults) so that the
plan's own checks — a missing exchange rate, a bridge or fallback that does not fit — can still
run; what they find because of a field left out is dropped (it would only repeat that field's error).
"""

from __future__ import annotations

import copy
import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any, Callable, Iterable

from buildorbuy.engine.plan import Plan, plan_problems
from buildorbuy.errors import BuildOrBuyError, CatalogError, ScenarioError
from buildorbuy.scenario.loading import format_field_path, place, read_with_overrides, split_field_path, validate
from buildorbuy.scenario.models import Scenario

REPAIR_ROUNDS = 3
"""Rounds of leaving out fields in error before giving up on the plan's checks (a field left out can
make another one invalid: `ownership` decides which serving terms apply)."""


@dataclass
class Checked:
    scenario: Scenario | None
    """The validated scenario (None when a field is in error)."""
    plan: Plan | None
    """The compiled plan (None when anything is in error)."""
    problems: list[BuildOrBuyError] = field(default_factory=list)
    """Every problem found, field errors first, then catalog names, then the plan's checks."""


def check_file(path: str | FsPath, overrides: Iterable[str] | None = None) -> Checked:
    """Read, override, validate and compile a scenario file, collecting every problem.

    A file that cannot be read or parsed (or an override that cannot be applied) raises its one
    error: nothing else can be checked then.
    """
    source = str(path)
    raw, lines = read_with_overrides(path, overrides)
    try:
        scenario = validate(raw, source=source, lines=lines)  # validation leaves `raw` as it was
    except ScenarioError as exc:
        problems = _flatten(exc)
        problems += raw_catalog_problems(raw, lines, source, skip={p.field for p in problems if p.field})
        repaired = _repaired(raw, problems, lines, source)
        if repaired is not None:
            scenario, removed = repaired
            _, more = plan_problems(scenario)
            for problem in more:
                if not _caused_by(problem, removed) and not any(_same(problem, seen) for seen in problems):
                    problems.append(problem)
        return Checked(None, None, problems)
    plan, problems = plan_problems(scenario)
    return Checked(scenario, plan, problems)


def _flatten(exc: BuildOrBuyError) -> list[BuildOrBuyError]:
    out = [exc, *exc.others]
    for problem in out:
        problem.others = []
    return out


def _same(a: BuildOrBuyError, b: BuildOrBuyError) -> bool:
    return a.field == b.field and (a.message == b.message or (isinstance(a, CatalogError) and isinstance(b, CatalogError)))


# ---------------------------------------------------------------- catalog names on the data as written


def _start(value: Any) -> _dt.date | None:
    """`start` as written, when it is a YYYY-MM month (else the catalogs' default date, today)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(value)) if value is not None else None
    if match and 1 <= int(match.group(2)) <= 12 and 1 <= int(match.group(1)):  # year 0 is no date
        return _dt.date(int(match.group(1)), int(match.group(2)), 1)
    return None


def raw_catalog_problems(raw: dict, lines: dict[tuple, int], source: str | None,
                         skip: set[str] = frozenset()) -> list[CatalogError]:
    """Every unknown API model, open model or GPU named in the data as written (fields whose own
    value is in error, in `skip`, are not checked again)."""
    from buildorbuy.catalog.gpus import get_gpu

    checks: list[tuple[str, Callable[[], object]]] = []
    paths = raw.get("paths")
    start = _start(raw.get("start"))
    for i, path in enumerate(paths if isinstance(paths, list) else []):
        if not isinstance(path, dict):
            continue
        where = f"paths[{i}]"
        kind = path.get("kind")
        if kind == "api":
            model, provider = path.get("model"), path.get("provider")
            if isinstance(model, str) and (provider is None or isinstance(provider, str)):
                def api(model=model, provider=provider):
                    from buildorbuy.catalog.apis import lookup_api_price

                    return lookup_api_price(model, provider, start)

                checks.append((f"{where}.model", api))
            continue
        if kind not in ("finetune", "build"):
            continue
        ref = path.get("model")
        if isinstance(ref, dict) and isinstance(ref.get("catalog"), str):
            def open_model(name=ref["catalog"]):
                from buildorbuy.catalog.models import get_model

                return get_model(name)

            checks.append((f"{where}.model.catalog", open_model))
        serving = path.get("serving")
        gpu = serving.get("gpu") if isinstance(serving, dict) else None
        if isinstance(gpu, str):
            checks.append((f"{where}.serving.gpu", lambda name=gpu: get_gpu(name)))
        elif isinstance(gpu, dict) and isinstance(gpu.get("like"), str):
            checks.append((f"{where}.serving.gpu.like", lambda name=gpu["like"]: get_gpu(name)))
        section = "finetune" if kind == "finetune" else "training"
        compute = path.get(section)
        if isinstance(compute, dict) and isinstance(compute.get("gpu"), str):
            checks.append((f"{where}.{section}.gpu", lambda name=compute["gpu"]: get_gpu(name)))
    problems: list[CatalogError] = []
    for where, check in checks:
        if where in skip:
            continue
        try:
            check()
        except CatalogError as exc:
            exc.field = where.rsplit(".", 1)[0] + ".provider" if exc.field == "provider" else where
            problems.append(place(exc, lines, source))
    return problems


# ---------------------------------------------------------------- leaving out the fields in error


def _repaired(raw: dict, problems: list[BuildOrBuyError], lines: dict[tuple, int],
              source: str | None) -> tuple[Scenario, list[str]] | None:
    """The scenario with the fields in error left out, and their dotted paths; None when that does
    not give a valid scenario (a required field, a path's kind, a whole path in error)."""
    data = copy.deepcopy(raw)
    removed: list[str] = []
    errors = [p for p in problems if isinstance(p, ScenarioError)]
    for _ in range(REPAIR_ROUNDS):
        for error in errors:
            parts = _removable(error)
            if parts is None or not _delete(data, parts):
                return None
            removed.append(format_field_path(parts))
        try:
            return validate(data, source=source, lines=lines), removed
        except ScenarioError as exc:
            errors = _flatten(exc)
        except BuildOrBuyError:
            return None
    return None


def _removable(error: BuildOrBuyError) -> list[str | int] | None:
    """The field to leave out for `error`: its own field, or the whole list for an item of a list;
    None when leaving a field out cannot help (a required field, a path as a whole, no field)."""
    if not error.field or error.message.startswith("required field is missing"):
        return None
    try:
        parts = split_field_path(error.field)
    except ScenarioError:
        return None
    if isinstance(parts[-1], int):
        parts = parts[:-1]
    if not parts or parts == ["paths"] or (len(parts) == 3 and parts[0] == "paths" and parts[2] in ("kind", "name")):
        return None
    return parts


def _delete(data: Any, parts: list[str | int]) -> bool:
    node = data
    for part in parts[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(node, dict) and parts[-1] in node:
        del node[parts[-1]]
        return True
    return False


def _caused_by(problem: BuildOrBuyError, removed: list[str]) -> bool:
    """A problem the plan finds only because a field in error was left out: at or under that field,
    or naming it (in full, or by its name from within the same block)."""
    field_ = problem.field or ""
    for gone in removed:
        if field_ == gone or field_.startswith(gone + ".") or field_.startswith(gone + "["):
            return True
        if gone in problem.message:
            return True
        parent, _, leaf = gone.rpartition(".")
        if re.search(rf"\b{re.escape(leaf)}\b", problem.message) and field_.startswith(parent):
            return True
    return False
