"""A seeded mutation fuzzer for scenario files and command lines (used by tests/test_fuzz.py and
benchmarks/fuzz.py).

Seeds are the bundled scenarios, the `init` template and a minimal scenario. Each case mutates a
seed with one to three operators — a hostile scalar in place of a value, a hostile line, a deleted,
duplicated or re-indented line, flipped bytes, truncation, a structural change to the parsed data
written back as YAML or JSON — and may add a hostile `--set`. `check` runs a case and returns a
problem description, or None when the outcome is acceptable:

- the loader raises only `BuildOrBuyError` (a one-line error), never anything else;
- a command exits 0 or 2, never with a traceback;
- JSON output never holds NaN or Infinity.
"""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

HOSTILE_SCALARS = [
    "036", "1:30", "0x1F", "0b11", "0o17", "1_0_0_", "'1,5B'", "'20%%'", "'1_0_0_,,,_M'", "'\uff11\uff12'",
    "1e999", "-1e999", ".nan", ".inf", "-.inf", "1e-300", "1e300", "-1", "0", "-0", "1e18", "1e19", "0.0000001",
    "9" * 60, "9" * 5000, "'" + "9" * 400 + "'", "~", "null", "yes", "no", "on", "true", "[]", "{}", "[1, 2]",
    "{a: 1}", "&a [*a]", "*nope", "!!binary aGVsbG8=", "!!python/object:os.system x", "!!set {a, b}",
    "2026-01-01", "2026-13", "'\\x1b[2J'", '"\\x1b]0;t\\x07"', '"\\ud800"', '"\\0"', "'=1+1'", "'@SUM(A1)'",
    "'<b>x</b>'", "'*x*'", "'a|b'", "'# h'", "auto", "'auto'", "rent", "own", "api", "build", "finetune",
    "h100-sxm", "llama-3.1-8b", "gpt-4o", "'" + "x" * 300 + "'", "'\\t'", "\"a\\nb\"", "''", "' '",
    "1.5B", "500M", "12k", "30%", "-30%", "150%", "1,000", "0.5", "600", "601", "1e7", "1e8",
]

HOSTILE_LINES = [
    "x: &a [*a]", "? [a, b]\n: 1", "~: 2", "1: 2", "<<: {name: merged}", "name: again", "paths: []",
    "horizon_months: 0", "horizon_months: 601", "workload: {}", "bridge: nowhere", "correlations: [{a: x, b: y, rank: 2}]",
    "a0: &a0 [x, x, x, x, x, x, x, x, x]\na1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n"
    "a2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]\na3: [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]",
    "deep: " + "[" * 80 + "]" * 80, "%YAML 1.1", "---", "...", "\t", "- stray", "&x", "key: |\n  text\n  more",
    "start: 2026-01-01", "currency: usd", "currency: EURO", "discount_rate: 11",
]

HOSTILE_SETS = [
    ".=1", "=1", "paths[\uff10].name=x", "paths[0].kind=build", "paths[99].name=x", "paths[-1].name=y",
    "paths[nope].name=z", "workload.tokens_per_month=1,5B", "workload.tokens_per_month=20%%",
    "workload.tokens_per_month=1e999", "horizon_months=" + "9" * 5000, "name=&a [*a]", "name=\x1b[2J",
    "paths[0].staff=[{annual_cost: 1}]", "workload.growth_per_year=100", "horizon_months=600",
    "paths[0].price_per_1k_input=-1", "discount_rate=-0.99", "workload.schedule=[1, 2]", "a.b.c=1",
    "paths[0].serving.tokens_per_second_per_gpu=1e-300", "workload=1", "paths=1",
    "name=\udcff\udcfe", "na\udcffme=1",  # bytes that are not UTF-8 in argv arrive as lone surrogates
]

KEYS = ["name", "horizon_months", "discount_rate", "tokens_per_month", "output_share", "growth_per_year",
        "price_per_1k_input", "price_per_1k_output", "gpu", "params", "tokens_per_second_per_gpu", "count",
        "annual_cost", "lead_time_months", "success_probability", "kind", "ownership", "start", "currency"]


@functools.cache
def seeds() -> list[tuple[str, str]]:
    """(suffix, text) of every seed scenario."""
    out = [(".yaml", path.read_text(encoding="utf-8")) for path in sorted((REPO / "scenarios").glob("*.yaml"))]
    out.append((".yaml", (REPO / "src" / "buildorbuy" / "templates" / "starter.yaml").read_text(encoding="utf-8")))
    minimal = {"name": "m", "start": "2026-01", "horizon_months": 12,
               "workload": {"tokens_per_month": 1e9},
               "paths": [{"name": "A", "kind": "api", "price_per_1k_input": 0.001, "price_per_1k_output": 0.002}]}
    out.append((".json", json.dumps(minimal, indent=1)))
    return out


@dataclass
class Case:
    number: int
    suffix: str
    data: bytes
    sets: list[str] = field(default_factory=list)
    operators: list[str] = field(default_factory=list)


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _value_line(rng: random.Random, lines: list[str]) -> int | None:
    candidates = [i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith("#")]
    return rng.choice(candidates) if candidates else None


def _mutate_text(rng: random.Random, text: str, ops: list[str]) -> str:
    lines = _lines(text)
    op = rng.choice(["scalar", "scalar", "scalar", "line", "delete", "duplicate", "indent", "truncate", "key"])
    ops.append(op)
    if op == "scalar":
        i = _value_line(rng, lines)
        if i is not None:
            head = lines[i].split(":", 1)[0]
            lines[i] = f"{head}: {rng.choice(HOSTILE_SCALARS)}"
    elif op == "line":
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(HOSTILE_LINES))
    elif op == "delete" and lines:
        del lines[rng.randrange(len(lines))]
    elif op == "duplicate" and lines:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif op == "indent" and lines:
        i = rng.randrange(len(lines))
        lines[i] = " " * rng.choice([1, 2, 3, 4]) + lines[i] if rng.random() < 0.5 else lines[i].lstrip()
    elif op == "truncate":
        return text[: rng.randrange(len(text) + 1)]
    elif op == "key":
        i = _value_line(rng, lines)
        if i is not None:
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            rest = lines[i].split(":", 1)[1]
            lines[i] = f"{indent}{rng.choice(KEYS + ['nmae', 'paths', '<<', '? x'])}:{rest}"
    return "\n".join(lines)


def _leaves(data, path=()):
    if len(path) > 12:  # the fuzzer's own YAML load may hold a self-containing alias
        return
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _leaves(value, path + (i,))
    yield path


def _structural(rng: random.Random, text: str, suffix: str, ops: list[str]) -> tuple[str, str]:
    try:
        data = json.loads(text) if suffix == ".json" else yaml.load(text, Loader=_LOADER)  # noqa: S506 - safe
    except Exception:
        return suffix, text
    if not isinstance(data, dict):
        return suffix, text
    leaves = [p for p in _leaves(data) if p]
    if not leaves:
        return suffix, text
    target = rng.choice(leaves)
    node = data
    for part in target[:-1]:
        node = node[part]
    choice = rng.choice([
        -1, 0, 1e300, -1e300, float("nan"), float("inf"), 10 ** 30, 0.5, "x" * 200, "\x1b[2J", "=cmd",
        [], {}, [1, 2, 3], {"a": 1}, None, True, "1,5B", "1:30", list(range(700)), "auto",
        [{"role": "r", "annual_cost": 1000}] * 250,
    ])
    ops.append(f"set {target}")
    node[target[-1]] = choice
    try:
        if rng.random() < 0.3:
            ops.append("as json")
            return ".json", json.dumps(data, allow_nan=True, default=str)
        return ".yaml", yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False)
    except (ValueError, RecursionError, yaml.YAMLError):  # a self-containing structure
        return suffix, text


def _bytes(rng: random.Random, data: bytes, ops: list[str]) -> bytes:
    op = rng.choice(["flip", "insert", "bom", "utf16", "nul"])
    ops.append(op)
    buf = bytearray(data)
    if op == "flip" and buf:
        for _ in range(rng.randint(1, 4)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif op == "insert":
        pos = rng.randrange(len(buf) + 1)
        buf[pos:pos] = rng.choice([b"\xff\xfe", b"\xc3", b"\x00", b"\r", b"\x1b[2J", b"\xef\xbb\xbf", b"\t"])
    elif op == "bom":
        buf[0:0] = b"\xef\xbb\xbf"
    elif op == "utf16":
        return data.decode("utf-8", "replace").encode("utf-16")
    elif op == "nul":
        buf += b"\x00"
    return bytes(buf)


PLAUSIBLE = ["0", "0.5", "1", "2", "3", "12", "36", "0.05", "-0.3", "1e9", "2.5B", "100k", "250k", "0.9", "10%"]


def _mild(rng: random.Random, text: str, ops: list[str]) -> str:
    """A plausible edit: one number replaced by another ordinary number (most such files stay valid)."""
    lines = _lines(text)
    numeric = [i for i, line in enumerate(lines)
               if ":" in line and line.split(":", 1)[1].split("#")[0].strip()[:1].isdigit()]
    if numeric:
        i = rng.choice(numeric)
        head, rest = lines[i].split(":", 1)
        comment = "  #" + rest.split("#", 1)[1] if "#" in rest else ""
        lines[i] = f"{head}: {rng.choice(PLAUSIBLE)}{comment}"
        ops.append("mild")
    return "\n".join(lines)


def make_case(number: int, seed: int = 0, *, mild_share: float = 0.0) -> Case:
    """The case `number` of the stream `seed` (the same arguments give the same case). A share
    `mild_share` of cases gets one plausible edit instead of hostile ones, so commands also run to
    the end on valid files."""
    rng = random.Random(f"{seed}:{number}")
    suffix, text = rng.choice(seeds())
    ops: list[str] = []
    if rng.random() < mild_share:
        text = _mild(rng, text, ops) if suffix == ".yaml" else text
        return Case(number, suffix, text.encode("utf-8"), [], ops or ["none"])
    for _ in range(rng.choice([1, 1, 2, 3])):
        if rng.random() < 0.25:
            suffix, text = _structural(rng, text, suffix, ops)
        else:
            text = _mutate_text(rng, text, ops)
    data = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.12:
        data = _bytes(rng, data, ops)
    sets = [rng.choice(HOSTILE_SETS)] if rng.random() < 0.2 else []
    return Case(number, suffix, data, sets, ops)


# ---------------------------------------------------------------- running cases


def _no_constants(name: str):
    raise ValueError(f"JSON output holds {name}")


def check_loader(case: Case, folder: Path) -> str | None:
    """Load the case's file (and --set) through the public loader: only one-line errors may come out."""
    from buildorbuy.errors import BuildOrBuyError
    from buildorbuy.scenario.loading import load_scenario

    path = folder / f"case{case.suffix}"
    path.write_bytes(case.data)
    try:
        load_scenario(path, case.sets)
    except BuildOrBuyError as exc:
        line = exc.one_line()
        if not line or "Traceback" in line:
            return f"bad error text: {line!r}"
    except Exception as exc:  # noqa: BLE001 - that is what the fuzzer looks for
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


def commands(case: Case, path: Path, rng: random.Random, *, report: bool = True, more: bool = False) -> list[str]:
    """One command line exercising the case's file (or an estimate/catalog command with hostile values).

    `report=False` leaves out `report` (its charts take seconds per valid scenario); `more=True`
    adds `when`, `whatif`, `voi` and `export` (slower; the benchmark script uses them)."""
    s = str(path)
    value = rng.choice(["70B", "1,5B", "20%%", "-1", "1e999", "0", "\x1b[2J", "1_0_", "h100-sxm", "nope", "8B"])
    choices = [
        ["validate", s],
        ["compare", s, "-f", "json"],
        ["compare", s, "-f", "markdown"],
        ["compare", s, "-f", "csv"],
        ["compare", s],
        ["tornado", s, "-f", "json"],
        ["breakeven", s, "-p", "workload.tokens_per_month", "-f", "json"],
        ["sweep", s, "-p", "workload.tokens_per_month", "--values", "1e9,1e11", "-f", "json"],
        ["diff", s, str(REPO / "scenarios" / "startup-assistant.yaml"), "-f", "json"],
        ["simulate", s, "--samples", "64", "--seed", "1", "-f", "json"],
        ["estimate", "training", "--params", value, "--tokens", rng.choice(["2T", value]), "--gpu",
         rng.choice(["h100-sxm", value]), "--format", "json"],
        ["estimate", "serving", "--params", value, "--gpu", rng.choice(["h100-sxm", value]), "--format", "json"],
        ["estimate", "finetune", "--params", value, "--tokens", "25M", "--gpu", "a100-80gb", "--format", "json"],
        ["catalog", rng.choice(["gpus", "models"]), "--format", rng.choice(["json", "csv"])],
    ]
    if report:
        choices.append(["report", s, "-f", "html", "-o", str(path.parent / "report.html")])
    if more:
        choices += [
            ["when", s, "-f", "json"],
            ["whatif", s, "--top", "3", "-f", "json"],
            ["voi", s, "--samples", "1000", "--seed", "1", "-f", "json"],
            ["export", s, "-o", str(path.parent / "workbook.xlsx")],
            ["tornado", s, "-f", "markdown"],
            ["simulate", s, "--samples", "64", "-f", "csv"],
        ]
    args = rng.choice(choices)
    if args[0] in {"compare", "tornado", "breakeven", "sweep", "simulate", "validate", "report", "when", "whatif", "voi",
                   "export"}:
        for item in case.sets:
            args = args + ["--set", item]
    return args


def check_command(runner, app, args: list[str], folder: Path) -> tuple[str | None, int]:
    """Run one command line: exit 0 or 2, never a traceback; JSON output without NaN/Infinity.
    Returns (the problem or None, the exit status)."""
    result = runner.invoke(app, args)
    return _judge(result, args), result.exit_code


def _judge(result, args: list[str]) -> str | None:
    if result.exit_code not in (0, 2):
        exc = result.exception
        return f"exit {result.exit_code}: {type(exc).__name__ if exc else ''}: {exc}"[:300]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"exception {type(result.exception).__name__}: {result.exception}"[:300]
    if "Traceback" in result.output:
        return "traceback in the output"
    if result.exit_code == 2:
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
        if not errors:
            return f"exit 2 without an Error line: {result.stderr[:200]!r}"
    if result.exit_code == 0 and "json" in args and "-o" not in args:
        try:
            json.loads(result.stdout, parse_constant=_no_constants)
        except ValueError as exc:
            return f"bad JSON: {exc}"[:300]
    return None


def patch_cached_command(setattr_) -> None:
    """Make typer's CliRunner reuse one click command for the app (typer rebuilds it on every invoke,
    ~80 ms; the command object holds no state between invocations). `setattr_` is
    `monkeypatch.setattr` in tests, `setattr` in scripts."""
    import typer.main
    import typer.testing

    from buildorbuy.cli import app

    command = typer.main.get_command(app)
    original = typer.testing._get_command
    setattr_(typer.testing, "_get_command", lambda _app: command if _app is app else original(_app))
