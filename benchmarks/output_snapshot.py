"""Snapshot of `compare` / `validate` output, to check that a start-up change alters no byte of it.

    python benchmarks/output_snapshot.py OUT_DIR [--src SRC_DIR] [--jobs 3]
    (… change the code …)
    python benchmarks/output_snapshot.py OUT_DIR2
    diff -r OUT_DIR OUT_DIR2

Each case is a fresh `python -m buildorbuy …` process (with SRC_DIR, e.g. an unpacked copy of an
earlier commit's `src/`, first on PYTHONPATH) whose exit status, stdout and stderr are written to
one file: every bundled scenario and the `init` starter × en/zh × table, markdown, csv, json,
the accounting view and `validate` × terminal widths 80/100/120/200 (COLUMNS; NO_COLOR=1),
`--chart`; error cases (missing file, a folder, YAML syntax, unknown field, bad value, bad path
kind, empty file, a list, bad `--set`, bad option values) for both commands and languages;
`--help` of the program and both commands, and their usage errors. It measures nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cases(inputs: Path) -> list[tuple[list[str], int]]:
    scenarios = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    starter = inputs / "starter.yaml"
    starter.write_text((ROOT / "src/buildorbuy/templates/starter.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    scenarios.append(str(starter))
    enterprise = (ROOT / "scenarios/enterprise-support.yaml").read_text(encoding="utf-8")
    errors = {
        "unknown.yaml": enterprise.replace("horizon_months:", "horizn_extra: 3\nhorizon_months:", 1),
        "badyaml.yaml": "name: x\n  paths: [\n",
        "badvalue.yaml": (ROOT / "scenarios/startup-assistant.yaml").read_text(encoding="utf-8").replace(
            "horizon_months:", "horizon_months: -5\n_x:", 1),
        "empty.yaml": "",
        "list.yaml": "- a\n- b\n",
        "badpath.yaml": (ROOT / "scenarios/hybrid-router.yaml").read_text(encoding="utf-8").replace(
            "kind:", "kind: nonsense\n    _k:", 1),
    }
    for name, text in errors.items():
        (inputs / name).write_text(text, encoding="utf-8")
    jobs: list[tuple[list[str], int]] = []
    for scenario in scenarios:
        for lang in ("en", "zh"):
            for width in (80, 100, 120, 200):
                for fmt in ("table", "markdown", "csv", "json"):
                    jobs.append((["compare", scenario, "--lang", lang, "-f", fmt], width))
                jobs.append((["compare", scenario, "--lang", lang, "--view", "accounting"], width))
                jobs.append((["validate", scenario, "--lang", lang], width))
            jobs.append((["compare", scenario, "--lang", lang, "--chart"], 100))
    for bad in ["/nonexistent/x.yaml", *(str(inputs / name) for name in errors), str(inputs)]:
        for command in ("compare", "validate"):
            for lang in ("en", "zh"):
                jobs.append(([command, bad, "--lang", lang], 100))
    first = scenarios[0]
    for extra in (["--set", "workload.tokens_per_month=5B"], ["--set", "nosuch.field=1"], ["--set", "horizon_months=abc"],
                  ["-f", "nope"], ["--view", "x"], ["--bogus"], ["--set", "paths[API].price_per_1k_input=0.001"]):
        jobs.append((["compare", first, *extra], 100))
        jobs.append((["validate", first, *extra], 100))
    for args in ([], ["--help"], ["compare", "--help"], ["validate", "--help"], ["compare"], ["validate"], ["init", "-o", "-"]):
        for width in (80, 120):
            jobs.append((args, width))
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--src", default=str(ROOT / "src"), help="source folder to run (default: this checkout's src)")
    parser.add_argument("--jobs", type=int, default=3)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        inputs = Path(folder) / "inputs"  # the same names in every run: paths appear in error messages
        inputs.mkdir()
        jobs = cases(inputs)

        def run(numbered: tuple[int, tuple[list[str], int]]) -> None:
            number, (argv, width) = numbered
            env = {**os.environ, "PYTHONPATH": args.src, "COLUMNS": str(width), "NO_COLOR": "1", "LINES": "50"}
            env.pop("TERM", None)
            done = subprocess.run([sys.executable, "-m", "buildorbuy", *argv], capture_output=True, env=env, cwd=folder)
            shown = [a.replace(folder, "<tmp>") for a in argv]
            (args.out / f"{number:04d}").write_bytes(
                repr((shown, width)).encode() + b"\n--status %d\n--stdout\n" % done.returncode + done.stdout.replace(
                    folder.encode(), b"<tmp>") + b"\n--stderr\n" + done.stderr.replace(folder.encode(), b"<tmp>"))

        with ThreadPoolExecutor(args.jobs) as pool:
            list(pool.map(run, enumerate(jobs)))
    print(f"{len(jobs)} cases written to {args.out}")


if __name__ == "__main__":
    main()
