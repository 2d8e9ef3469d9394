"""Scenario fields in words, for readers of reports: `paths[1].staff[0].count` → `ML engineer count (Tuned 8B)`.

The dotted path stays the identifier (it is what --set and --param take); these labels only make
tables and charts readable. Unknown shapes fall back to the dotted path itself.
"""

from __future__ import annotations

from typing import Any

_WORDS = {
    "gpu": "GPU", "gpus": "GPUs", "mfu": "MFU", "pue": "PUE", "tdp": "TDP", "kwh": "kWh", "usd": "USD",
    "params": "parameters", "1k": "1k", "finetune": "fine-tune",
}
_SPECIAL = {
    "data.one_off": "one-off data cost",
    "data.per_refresh": "data cost per refresh",
    "data.monthly": "monthly data cost",
    "model.params": "model parameters",
    "model.active_params": "active parameters",
    "model.training_tokens": "training tokens",
    "price_per_1k_input": "price per 1k input tokens",
    "price_per_1k_output": "price per 1k output tokens",
    "price_per_1k_cached_input": "price per 1k cached input tokens",
}


def words(name: str) -> str:
    """`gpu_hour_price` → `GPU hour price`."""
    text = " ".join(_WORDS.get(part, part) for part in name.replace(".", " ").replace("_", " ").split())
    return text.replace("GPU hour", "GPU-hour")


def field_label(scenario: Any, key: str, lang: str = "en") -> str:
    """A parameter key of the scenario in words (in `lang`), naming the path (and staff role) it belongs to."""
    from buildorbuy.scenario.loading import split_field_path

    try:
        parts = split_field_path(key)
    except Exception:  # noqa: BLE001 - a label must never fail the document
        return key
    if lang != "en":
        return _field_label_zh(scenario, key, parts)
    if parts and parts[0] == "workload" and len(parts) == 2:
        return words(str(parts[1]))
    if len(parts) < 3 or parts[0] != "paths" or not isinstance(parts[1], int):
        return words(".".join(str(p) for p in parts if not isinstance(p, int))) or key
    located = _locate(scenario, parts)
    if located is None:
        return key
    path, staff, field = located
    if staff is not None:
        index, role = staff
        what = f"{f'staff line {index + 1}' if role is None else role} {words(field)}"
    else:
        what = _SPECIAL.get(field) or words(field)
    return f"{what} ({path.name})"


def _locate(scenario: Any, parts: list) -> tuple[Any, tuple[int, str | None] | None, str] | None:
    """For a key under `paths[N]`: (the path, (staff index, its role or None) for a staff field else None,
    the field below the path or staff line, dotted); None when N names no path."""
    try:
        path = scenario.paths[parts[1]]
    except (AttributeError, IndexError):
        return None
    rest = parts[2:]
    if rest[0] == "staff" and len(rest) == 3 and isinstance(rest[1], int):
        try:
            role = path.staff[rest[1]].role
        except (AttributeError, IndexError):
            role = None
        return path, (rest[1], role), str(rest[2])
    return path, None, ".".join(str(p) for p in rest)


def _field_label_zh(scenario: Any, key: str, parts: list) -> str:
    """field_label in Chinese: the field's Chinese words (its dotted path when none are known), then the path's name."""
    from buildorbuy.render.i18n import FIELD_WORDS_ZH, t

    if len(parts) < 3 or parts[0] != "paths" or not isinstance(parts[1], int):
        dotted = ".".join(str(p) for p in parts)
        return FIELD_WORDS_ZH.get(dotted, key)
    located = _locate(scenario, parts)
    if located is None:
        return key
    path, staff, field = located
    if staff is not None:
        index, role = staff
        what = t("label.staff", "zh", role=t("label.staff_line", "zh", n=index + 1) if role is None else role,
                 what=FIELD_WORDS_ZH.get(f"staff.{field}", field))
    else:
        what = FIELD_WORDS_ZH.get(field, field)
    return t("label.of_path", "zh", what=what, path=path.name)
