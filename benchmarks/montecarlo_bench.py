"""Monte Carlo benchmark: buildorbuy simulate against squigglepy's per-sample idiom.

    python benchmarks/montecarlo_bench.py [--runs 5] [--squiggle-samples 5000]

(a) 100,000 samples of scenarios/uncertain-enterprise.yaml (3 paths × 60 months), the whole
    command: in-process (load, simulate, render JSON) and as a subprocess; median of --runs.
(b) The same model written the way squigglepy's docs write models: a Python function that
    draws one sample, run by `sq.sample(model, n)`. It is slow, so it runs --squiggle-samples
    samples and the time is extrapolated linearly to 100,000 (printed as such).
(c) 1,000,000 samples in a fresh subprocess: wall time and peak RSS (resource.getrusage).

squigglepy is a benchmark-only dependency: `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "uncertain-enterprise.yaml"
SAMPLES = 100_000


def in_process(samples: int) -> float:
    from buildorbuy.analysis.montecarlo import simulate
    from buildorbuy.render.simulate_render import render_json
    from buildorbuy.scenario.loading import load_scenario

    start = time.perf_counter()
    render_json(simulate(load_scenario(SCENARIO), samples, 42))
    return time.perf_counter() - start


def as_subprocess(samples: int) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "buildorbuy", "simulate", str(SCENARIO), "--samples", str(samples), "--format", "json"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


CHILD = """
import json, resource, sys, time
start = time.perf_counter()
from buildorbuy.analysis.montecarlo import simulate
from buildorbuy.render.simulate_render import render_json
from buildorbuy.scenario.loading import load_scenario
text = render_json(simulate(load_scenario(sys.argv[1]), int(sys.argv[2]), 42))
wall = time.perf_counter() - start
print(json.dumps({"wall": wall, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def million() -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(SCENARIO), "1000000"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


# ---------------------------------------------------------------- the same model, squigglepy style


def squiggle_model():
    """One sample of the uncertain-enterprise scenario, month by month in plain Python."""
    import squigglepy as sq

    horizon, r = 60, 0.08
    growth_y = ~sq.triangular(0.1, 0.4, 1.0)
    growth = (1 + growth_y) ** (1 / 12) - 1
    api_change = ~sq.pert(-0.5, -0.25, 0.0)
    rent = ~sq.lognorm(2.0, 3.5)  # squigglepy's lognorm(x, y) is the 90 % interval 2.0–3.5 (p5–p95)
    tps = [~sq.triangular(3000, 5000, 8000) for _ in range(2)]
    lead = [math.ceil(~sq.triangular(3, 4, 8)), ~sq.discrete({6: 0.5, 9: 0.3, 12: 0.2})]
    p_ok = [~sq.uniform(0.7, 0.95) for _ in range(2)]
    ok = [(~sq.uniform(0, 1)) < p for p in p_ok]
    purchase = ~sq.pert(25_000, 30_000, 40_000)
    npv = [0.0, 0.0, 0.0]
    fleet = 0.0
    bought = []
    ft_run = 8 * 70.6e9 * 200e6 * 2 * 4 / (989e12 * 0.35) / 3600 * 2.99
    for m in range(horizon):
        d = (1 + r) ** (-m / 12)
        tokens = 60e9 * (1 + growth) ** m
        out = tokens * 0.2
        inp = tokens - out
        cached = inp * 0.3
        api = (1 + api_change) ** (m / 12) * ((inp - cached) / 1000 * 0.0025 + cached / 1000 * 0.00125 + out / 1000 * 0.01)
        npv[0] += d * (api + 250_000 / 12)
        peak = tokens / (730 * 3600) * 2
        for j in range(2):
            live = m >= lead[j]
            serving = live and ok[j]
            cost = 0.0
            if m == 0:
                cost += 250_000
            if lead[j] - 1 == m:
                cost += ft_run
            if serving and (m - lead[j]) > 0 and (m - lead[j]) % 6 == 0:
                cost += ft_run + 40_000
            cost += api if not serving else 0.0
            staff_months = (not live) or ok[j]
            if staff_months:
                raise_ = 1.04 ** (m / 12)
                cost += (4 * 300_000 + (2 if j == 0 else 3) * 250_000) / 12 * raise_
            if serving:
                need = math.ceil(peak / (tps[j] * 0.7))
                gpus = (max(math.ceil(need / 2), 1) + 1) * 2
                if j == 0:
                    cost += gpus * 730 * rent * 0.85 ** (m / 12)
                else:
                    if gpus > fleet:
                        cost += (gpus - fleet) * purchase * 1.4
                        bought.append((m, gpus - fleet))
                        fleet = gpus
                    cost += fleet * (150 + 0.7 * 1.4 * 730 * 0.12)
            if j == 1 and m == horizon - 1:
                cost -= sum(n * purchase * 1.4 * max(0.0, 1 - (horizon - k) / 12 / 4) for k, n in bought)
            npv[j + 1] += d * cost
    return npv


def squiggle(samples: int) -> float:
    import squigglepy as sq

    start = time.perf_counter()
    sq.sample(squiggle_model, n=samples, verbose=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--squiggle-samples", type=int, default=5_000)
    args = parser.parse_args()
    os.environ.setdefault("NO_COLOR", "1")

    print(f"(a) simulate, {SAMPLES:,} samples × 3 paths × 60 months ({SCENARIO.name})")
    in_process(2_000)  # warm imports
    inproc = [in_process(SAMPLES) for _ in range(args.runs)]
    sub = [as_subprocess(SAMPLES) for _ in range(args.runs)]
    print(f"    in-process median {statistics.median(inproc):.3f} s  (runs: {', '.join(f'{t:.3f}' for t in inproc)})")
    print(f"    subprocess median {statistics.median(sub):.3f} s  (runs: {', '.join(f'{t:.3f}' for t in sub)})")

    try:
        import squigglepy  # noqa: F401
    except ImportError:
        print("(b) squigglepy not installed: pip install -e '.[bench]'")
        squiggle_100k = None
    else:
        n = args.squiggle_samples
        t = squiggle(n)
        squiggle_100k = t * SAMPLES / n
        print(f"(b) squigglepy per-sample model: {n:,} samples in {t:.2f} s → {squiggle_100k:.1f} s for {SAMPLES:,} (extrapolated linearly)")
        print(f"    ratio squigglepy / simulate (in-process medians): {squiggle_100k / statistics.median(inproc):.0f}×")

    big = million()
    print(f"(c) 1,000,000 samples in a subprocess: {big['wall']:.2f} s wall, peak RSS {big['max_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
