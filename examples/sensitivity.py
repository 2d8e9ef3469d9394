"""Sensitivity analyses from Python: sweep, tornado and break-even on a bundled scenario.

    python examples/sensitivity.py

Question: the enterprise support platform fine-tunes and hosts Llama 3.3 70B today. How much
traffic does that need to beat gpt-4o, which inputs could change the answer, and where do the
two trade places as volume and the API's yearly price cut vary together?
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from buildorbuy import breakeven, load_scenario, sweep, tornado

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "enterprise-support.yaml"


def main() -> None:
    scenario = load_scenario(SCENARIO)

    # 1. Break-even: the monthly token volume at which fine-tuning and the API cost the same.
    be = breakeven(scenario, "workload.tokens_per_month", between=("Fine-tuned Llama 3.3 70B", "gpt-4o"))
    print(f"break-even volume: {be.value:.4g} tokens/month (now {be.current:.4g}); "
          f"below it {be.cheaper_below} is cheaper, above it {be.cheaper_above}; "
          f"{be.engine_batches} engine batches{' (at a capacity step)' if be.at_step else ''}")

    # 2. Tornado: which inputs, moved ±20 % alone, move the margin most, and do any flip the decision?
    tor = tornado(scenario, swing=0.2, metric="margin")
    print(f"\nmargin of {tor.winner} over {tor.runner_up}: {tor.base_metric:,.0f} {scenario.currency}")
    for row in tor.rows[:5]:
        flag = "  <- flips the decision" if row.flips else ""
        print(f"  {row.param:<40} {row.metric_low:>14,.0f} .. {row.metric_high:>14,.0f}{flag}")

    # 3. Sweep: the winner over volume × the API's yearly price change (one engine batch).
    result = sweep(scenario, {
        "workload.tokens_per_month": np.geomspace(1e10, 1e12, 9),
        "paths[gpt-4o].price_change_per_year": [-0.6, -0.45, -0.3, -0.15, 0.0],
    })
    letters = {i: name[0] for i, name in enumerate(result.names)}
    print("\nwinner (rows: tokens/month; columns: gpt-4o price change per year -60 % .. 0 %)")
    for tokens, row in zip(result.values[0], result.winner):
        print(f"  {tokens:>10.3g}  " + " ".join(letters.get(int(w), ".") for w in row))
    print("  " + ", ".join(f"{letter} = {result.names[i]}" for i, letter in letters.items()))
    # every result has numpy arrays (result.npv is [tokens, price change, path]) and .to_dict()
    assert result.npv.shape == (9, 5, len(result.names))
    assert set(result.to_dict()["points"][0]) >= {"values", "npv", "winner"}


if __name__ == "__main__":
    main()
