"""Flatten a scenario into named numeric parameters: the engine's inputs.

Every numeric leaf of the scenario becomes an entry keyed by its dotted field path (the same
paths `--set` uses, with list indexes): `workload.tokens_per_month`, `paths[1].serving.gpu_hour_price`.
Analyses vary these arrays along the batch axis.
"""

from __future__ import annotations

from typing import Any, Iterator

from pydantic import BaseModel


NOT_PARAMETERS = {"correlations", "fiscal_year_start_month"}
"""Top-level fields whose numbers describe the analysis or its presentation, not the costs."""


def numeric_leaves(model: BaseModel) -> dict[str, float]:
    """All numeric fields of a validated model that hold a number (not `auto`, not None)."""
    return dict(_walk(model, ""))


def _walk(value: Any, prefix: str) -> Iterator[tuple[str, float]]:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            if not prefix and name in NOT_PARAMETERS:
                continue
            key = f"{prefix}.{name}" if prefix else name
            yield from _walk(getattr(value, name), key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{prefix}[{i}]")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield prefix, float(value)
