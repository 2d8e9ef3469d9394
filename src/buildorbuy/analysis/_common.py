"""Plumbing shared by the sensitivity analyses: plans, parameters that may vary, output headers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from buildorbuy.engine.plan import Plan, compile_plan, resolve_parameter
from buildorbuy.errors import AnalysisError, ScenarioError
from buildorbuy.scenario.fields import Bounds, field_bounds
from buildorbuy.scenario.models import Scenario

FIXED_PARAMETERS = {
    "horizon_months": "sets the length of the month axis; change it with --set horizon_months=N",
    "version": "is the file format version, not a cost input",
}
"""Plan parameters an analysis must not vary, with the reason."""

MAX_POINTS = 1_000_000
"""Largest sweep grid or value list accepted."""


def as_plan(scenario: Scenario | Plan) -> Plan:
    return scenario if isinstance(scenario, Plan) else compile_plan(scenario)


def derived_keys(plan: Plan) -> set[str]:
    return {d.key for d in plan.derived}


def variable_parameter(plan: Plan, text: str) -> tuple[str, Bounds]:
    """Resolve a user's field path to a plan key that may vary, with its valid range.

    Raises ScenarioError (unknown or non-numeric field) or AnalysisError (a field that cannot vary
    within a batch), each naming the field in one line.
    """
    key = resolve_parameter(plan, text)
    if key in FIXED_PARAMETERS:
        raise AnalysisError(f"cannot be varied: it {FIXED_PARAMETERS[key]}", field=text)
    if key in plan.locked:
        raise AnalysisError(f"cannot be varied alone: {plan.locked[key]}", field=text)
    if key in bridge_service_keys(plan):
        raise AnalysisError(f"cannot be varied: {BRIDGE_FIXED}", field=text)
    try:
        bounds = field_bounds(plan.scenario, key)
    except ScenarioError as exc:
        exc.field = text
        raise
    return key, bounds


BRIDGE_FIXED = ("the bridge serves the other paths' traffic from month 0 to the horizon, so its start_month and "
                "lead_time_months stay 0 and its success_probability 1")
"""Why the bridge's service fields never vary (the --param refusal and the default inputs' skip reason)."""


def bridge_service_keys(plan: Plan) -> tuple[str, ...]:
    """The bridge's fields that the scenario's own checks hold fixed (start_month 0, lead_time_months
    0, success_probability 1): a batch row must not move them either (each row is not re-checked)."""
    if plan.scenario.bridge is None:
        return ()
    prefix = f"paths[{plan.scenario.path_index(plan.scenario.bridge)}]."
    return tuple(prefix + name for name in ("start_month", "lead_time_months", "success_probability"))


def base_value(plan: Plan, key: str) -> float:
    """The parameter's value in the scenario as compiled (derived parameters computed)."""
    if key in plan.base:
        return float(plan.base[key])
    from buildorbuy.engine.core import resolve_params

    params, _ = resolve_params(plan)
    return float(params[key][0])


def reservations(plan: Plan) -> dict[int, tuple[str, str]]:
    """Paths with a reservation: index → (their `serving.reserved.gpus` key, `serving.gpus_per_replica` key).

    Reserved GPUs are whole replicas (compare refuses others, DESIGN §2b); an analysis that moves
    either, or an input the estimated replica size follows, must keep them so.
    """
    return {pp.index: (f"paths[{pp.index}].serving.reserved.gpus", f"paths[{pp.index}].serving.gpus_per_replica")
            for pp in plan.paths if getattr(pp, "reserved", False)}


def fractional_reservations(plan: Plan, params, size: int) -> np.ndarray:
    """[size, path] bool: the path's reserved GPUs are not a whole number of its replicas there."""
    bad = np.zeros((size, len(plan.paths)), dtype=bool)
    for i, (reserved_key, replica_key) in reservations(plan).items():
        reserved = np.broadcast_to(np.asarray(params[reserved_key], dtype=float), (size,))
        per_replica = np.broadcast_to(np.asarray(params[replica_key], dtype=float), (size,))
        with np.errstate(invalid="ignore", divide="ignore"):
            bad[:, i] = np.mod(reserved, per_replica) != 0
    return bad


def whole_replicas(value: float, per_replica: float, direction: str) -> float:
    """`value` GPUs as whole replicas of `per_replica` GPUs, rounded 'down', 'up' or to the 'nearest' (≥ 0)."""
    replicas = round(value / per_replica, 9)  # 5.9999999999 replicas is 6
    rounded = {"down": math.floor, "up": math.ceil, "nearest": lambda r: math.floor(r + 0.5)}[direction](replicas)
    return float(max(rounded, 0) * per_replica)


def resolve_path(plan: Plan, text: str, *, what: str = "--between") -> int:
    """A path given by name or 0-based index → its index; ScenarioError with did-you-mean otherwise."""
    import difflib

    names = [p.name for p in plan.paths]
    if text in names:
        return names.index(text)
    stripped = text.strip()
    if stripped.lstrip("-").isdigit():
        index = int(stripped)
        if 0 <= index < len(names):
            return index
        raise ScenarioError(f"path index {index} is out of range (there are {len(names)})", field=what)
    hint = difflib.get_close_matches(text, names, n=1)
    raise ScenarioError(
        f"no path named '{text}'" + (f"; did you mean '{hint[0]}'?" if hint else f" (paths: {', '.join(names)})"),
        field=what,
    )


def scenario_header(scenario: Scenario) -> dict[str, Any]:
    return {
        "name": scenario.name,
        "currency": scenario.currency,
        "start": scenario.start_date.strftime("%Y-%m"),
        "horizon_months": scenario.horizon,
        "discount_rate": scenario.discount_rate,
        "source": scenario._source,
    }


def versions() -> dict[str, Any]:
    from buildorbuy import __version__
    from buildorbuy.versions import genai_prices_version

    return {"buildorbuy": __version__, "genai_prices": genai_prices_version()}


def clean(value: Any, decimals: int | None = None) -> Any:
    """Plain JSON values: numpy scalars to Python, non-finite floats to None; floats rounded to
    `decimals` places when given (full precision otherwise)."""
    if isinstance(value, dict):
        return {k: clean(v, decimals) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v, decimals) for v in value]
    if isinstance(value, np.ndarray):
        return clean(value.tolist(), decimals)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if not np.isfinite(value):
            return None
        return value if decimals is None else round(value, decimals)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def chunk_size(plan: Plan, budget_bytes: float = 512e6) -> int:
    """Batch elements per engine call so the engine's [batch, path, month] arrays stay within budget."""
    from buildorbuy.engine.core import COMPONENTS

    per_point = 8.0 * max(len(plan.paths), 1) * plan.horizon * (len(COMPONENTS) + 10)
    return max(256, int(budget_bytes // per_point))


def shown_field(key: str, names: list[str] | tuple[str, ...]) -> str:
    """A field path as every command displays it, in the form `--set` and `--param` accept:
    `paths[1].staff[0].annual_cost` → `paths[Tuned 8B].staff[0].annual_cost` (anything after the
    path, such as ` (outcome)`, is kept). The index stays when the name would not read back as the
    same path: a name that is a whole number, holds `[` or `]`, has outer spaces or quotes, or is
    shared with an earlier path. JSON and CSV keep the index form (`field`, `param`, `key`)."""
    import re

    match = re.match(r"paths\[(\d+)\]", key)
    if not match:
        return key
    index = int(match.group(1))
    if index >= len(names):
        return key
    name = str(names[index])
    readable = (name and name == name.strip().strip("'\"") and not re.search(r"[\[\]]", name)
                and not re.fullmatch(r"-?[0-9]{1,9}", name) and list(names).index(name) == index)
    return f"paths[{name}]{key[match.end():]}" if readable else key
