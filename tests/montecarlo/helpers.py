"""A small API-versus-rented-GPUs scenario for Monte Carlo tests."""

from __future__ import annotations

import copy


def api_vs_rent(**changes) -> dict:
    """Two paths over 24 months: an API (also the bridge) and a fine-tune on rented GPUs."""
    data = {
        "name": "API vs rented GPUs",
        "currency": "USD",
        "start": "2026-01",
        "horizon_months": 24,
        "discount_rate": 0.08,
        "workload": {"tokens_per_month": "20B", "output_share": 0.2, "growth_per_month": 0.02},
        "bridge": "API",
        "paths": [
            {"name": "API", "kind": "api", "price_per_1k_input": 0.0025, "price_per_1k_output": 0.01},
            {
                "name": "Rented",
                "kind": "finetune",
                "model": {"params": "8B"},
                "finetune": {"tokens": "20M", "gpu": "a100-80gb", "gpus": 1, "gpu_hour_price": 1.8, "mfu": 0.3},
                "serving": {"gpu": "l40s", "gpu_hour_price": 1.0, "tokens_per_second_per_gpu": 4000,
                            "gpus_per_replica": 1, "target_utilization": 0.6},
                "lead_time_months": 2,
                "staff": [{"role": "ML engineer", "count": 2, "annual_cost": "200k"}],
            },
        ],
    }
    data = copy.deepcopy(data)
    for path, value in changes.items():
        from buildorbuy.scenario.loading import set_field

        set_field(data, path, value)
    return data
