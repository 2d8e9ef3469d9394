"""Benchmark: reading a scenario file (data + key → line map) with the single libyaml pass.

    python benchmarks/loader_bench.py [--runs 50]

Measures, in-process after imports, the median time of `buildorbuy.scenario.loading.read_raw` on
each bundled scenario, against the way it was read before: the pure-Python `yaml.SafeLoader`
twice (once for the data, once composing the node tree for the line numbers). Then the time to
refuse an alias bomb (9 aliases per level, 30 levels) and a 6 MB file.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from buildorbuy.errors import ScenarioError
from buildorbuy.scenario.loading import read_raw

REPO = Path(__file__).resolve().parent.parent


def _median(func, runs: int) -> float:
    func()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _two_pure_python_passes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - SafeLoader
    yaml.compose(text, Loader=yaml.SafeLoader)


def _refusal(path: Path) -> float:
    start = time.perf_counter()
    try:
        read_raw(path)
    except ScenarioError:
        pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    print(f"libyaml: {getattr(yaml, '__with_libyaml__', False)}")
    for path in sorted((REPO / "scenarios").glob("*.yaml")):
        new = _median(lambda: read_raw(path), args.runs)
        old = _median(lambda: _two_pure_python_passes(path), args.runs)
        print(f"{path.name:28} read_raw {new * 1e3:7.2f} ms   two pure-Python passes {old * 1e3:7.2f} ms   "
              f"ratio {old / new:5.1f}×")
    with tempfile.TemporaryDirectory() as folder:
        bomb = Path(folder) / "bomb.yaml"
        lines = ["name: bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 31)]
        bomb.write_text("\n".join(lines) + "\n")
        print(f"alias bomb (9 per level, 30 levels) refused in {_refusal(bomb) * 1e3:.0f} ms")
        big = Path(folder) / "big.yaml"
        big.write_text("name: big\n# " + "x" * 6_000_000 + "\n")
        print(f"6 MB file refused in {_refusal(big) * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
