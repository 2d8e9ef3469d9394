"""Scenario pieces shared by the engine tests (and others) whose figures are worked out by hand."""

from __future__ import annotations

SECONDS = 730 * 3600
"""Seconds in a 730-hour month: tokens_per_month = tokens/s × SECONDS."""


def hosted(routing: dict | None = None, *, path: dict | None = None, **serving) -> dict:
    """A fine-tuned 8B path whose full fine-tune takes one month (go-live in month 1).

    Serving on rented A100s at 2.0 per GPU-hour, 2000 tokens/s per GPU, one GPU per replica planned
    at 50 % (1000 tokens/s a replica), no spare replica; keyword arguments override serving keys,
    `routing` adds a routing block and `path` other path keys (lead_time_months, staff, …).
    """
    data = {
        "name": "Hosted",
        "kind": "finetune",
        "model": {"params": "8B"},
        "finetune": {"tokens": "10M", "epochs": 1, "method": "full", "gpu": "a100-80gb", "gpus": 8,
                     "gpu_hour_price": 2.0, "mfu": 0.4},
        "serving": {"gpu": "a100-80gb", "gpu_hour_price": 2.0, "tokens_per_second_per_gpu": 2000,
                    "gpus_per_replica": 1, "target_utilization": 0.5, "redundancy": 0, **serving},
        **(path or {}),
    }
    if routing is not None:
        data["routing"] = routing
    return data
