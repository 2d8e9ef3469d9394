"""Start-up structure (no timing): the program builds only the command it runs and imports only
what that command needs. Timings are in benchmarks/startup_bench.py."""

from __future__ import annotations

import json
import subprocess
import sys

import typer
from typer.testing import CliRunner

from buildorbuy.cli import app, app_for
from tests.conftest import REPO

SCENARIO = str(REPO / "scenarios" / "enterprise-support.yaml")


def _names() -> list[list[str]]:
    root = typer.main.get_command(app)
    names = []
    for name, command in root.commands.items():
        names.append([name])
        for sub in getattr(command, "commands", {}):
            names.append([name, sub])
    return names


def test_the_program_builds_only_the_command_it_runs():
    for args in (["compare", SCENARIO], ["catalog", "apis"], ["estimate", "training", "--params", "7B"]):
        names = sorted(typer.main.get_command(app_for(args)).commands)
        assert names == [next(a for a in args if not a.startswith("-"))], args
    assert app_for(["compare", SCENARIO]).registered_callback is app.registered_callback
    assert len(app.registered_commands) > 10  # app itself is untouched
    for args in ([], ["--help"], ["--version"], ["compar", SCENARIO], ["-f", "json"]):
        assert app_for(args) is app, args


def test_one_command_app_gives_the_same_help_and_errors_as_the_whole_app():
    runner = CliRunner()
    cases = [[*name, "--help"] for name in _names()]
    cases += [["compare", SCENARIO, "--format", "xml"], ["validate"], ["catalog", "apis", "--nope"],
              ["estimate", "training", "--params", "7B", "--tokens"], ["compare", SCENARIO, "--set", "nope=1"]]
    assert len(cases) > 20
    for args in cases:
        whole = runner.invoke(app, args, env={"COLUMNS": "100"})
        lean = runner.invoke(app_for(args), args, env={"COLUMNS": "100"})
        assert (lean.exit_code, lean.stdout, lean.stderr) == (whole.exit_code, whole.stdout, whole.stderr), args


def _modules_after(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules a fresh `buildorbuy ARGS` process has imported when it exits."""
    code = ("import atexit, json, sys\n"
            "atexit.register(lambda: sys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules))))\n"
            f"sys.argv = ['buildorbuy', *{list(args)!r}]\n"
            "from buildorbuy.cli import main\n"
            "main()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.rsplit("MODULES ", 1)[1]))


NOT_FOR_COMPARE = [
    "buildorbuy.analysis.montecarlo", "buildorbuy.analysis.sweep", "buildorbuy.analysis.tornado",
    "buildorbuy.analysis.voi", "buildorbuy.analysis.breakeven", "buildorbuy.render.report",
    "buildorbuy.render.workbook", "buildorbuy.render.charts", "buildorbuy.estimators.calibration",
    "buildorbuy.scenario.schema",
    "buildorbuy.scenario.distributions", "buildorbuy.catalog.models", "buildorbuy.catalog.apis",  # not in this scenario
    "rich.markdown", "rich.syntax", "rich.progress", "rich.traceback", "rich.live", "matplotlib", "scipy",
]


def test_compare_and_validate_import_only_what_they_use():
    compare = _modules_after("compare", SCENARIO)
    validate = _modules_after("validate", SCENARIO)
    for modules in (compare, validate):
        assert "buildorbuy.engine.core" in modules and "buildorbuy.scenario.models" in modules  # the check can fail
        unexpected = sorted(m for m in modules if m in NOT_FOR_COMPARE or m.split(".")[0] in NOT_FOR_COMPARE)
        assert not unexpected, unexpected
    assert not any(m.startswith("rich") and m != "rich" for m in validate)  # validate draws no table
    for modules in (compare, validate):  # pydantic's plugin loader (entry-point scan) is not imported
        assert "buildorbuy.scenario.models" in modules and "importlib.metadata" not in modules
    assert "rich._emoji_codes" not in compare  # the panel title holds no emoji code


def test_pydantic_plugin_loader_is_replaced_only_when_every_plugin_is_off():
    import os

    base = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    for value, real in ((None, False), ("__all__", False), ("true", False), ("some-plugin", True)):
        env = base if value is None else {**base, "PYDANTIC_DISABLE_PLUGINS": value}
        modules = _modules_after("validate", SCENARIO, env=env)
        assert ("importlib.metadata" in modules) is real, value


def test_the_program_freezes_its_objects_for_the_shutdown_collections():
    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: print(gc.get_freeze_count() > 10_000))\n"
            f"sys.argv = ['buildorbuy', 'validate', {SCENARIO!r}]\n"
            "from buildorbuy.cli import main\n"
            "print(gc.get_freeze_count())\n"
            "main()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "0" and ": valid — 2 paths" in lines[1] and lines[-1] == "True", done.stdout


def test_start_up_settings_belong_to_the_program_not_to_the_library():
    code = ("import gc, os, sys\n"
            "import buildorbuy.cli, buildorbuy.scenario.loading\n"
            "assert 'numpy' not in sys.modules  # OpenBLAS reads its settings when numpy is imported\n"
            "show = lambda: print(gc.get_threshold()[0], os.environ.get('PYDANTIC_DISABLE_PLUGINS'),"
            " os.environ.get('OPENBLAS_THREAD_TIMEOUT'))\n"
            "show()\n"
            "import atexit\n"
            "atexit.register(show)\n"
            "sys.argv = ['buildorbuy', 'schema', '-o', sys.argv[1]]\n"
            "buildorbuy.cli.main()\n")
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("PYDANTIC_DISABLE_PLUGINS", "OPENBLAS_THREAD_TIMEOUT")}
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run([sys.executable, "-c", code, f"{folder}/s.json"], capture_output=True, text=True,
                              cwd=REPO, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    library, program = done.stdout.split("\n")[:2]
    assert library == "700 None None"
    assert program == "100000 __all__ 4"


def test_building_the_scenario_validator_does_not_inspect_the_number_validators_field_by_field(monkeypatch):
    """pydantic asks for a validator's signature for every field using it; the number types'
    validators carry theirs (`__signature__`), computed once."""
    import inspect

    from buildorbuy.scenario import types
    from buildorbuy.scenario.models import Scenario

    seen = []
    original = inspect._signature_from_function

    def spy(cls, func, *args, **kwargs):
        seen.append(func)
        return original(cls, func, *args, **kwargs)

    parsed = []  # signatures of builtins, parsed from text with the tokenizer (its patterns compiled on first use)
    from_text = inspect._signature_fromstr
    monkeypatch.setattr(inspect, "_signature_from_function", spy)
    monkeypatch.setattr(inspect, "_signature_fromstr", lambda cls, obj, *a, **k: parsed.append(obj) or from_text(cls, obj, *a, **k))
    Scenario.model_rebuild(force=True)
    assert seen  # the spy sees the other validators
    assert not {types.parse_quantity, types._finite, types._whole} & set(seen)
    assert not parsed  # list fields default to models.no_items, not `list`


def test_compare_loads_no_openssl_hashing():
    """hashlib's OpenSSL binding is not loaded: the catalog's digests use the built-in SHA-256 and
    pydantic's `secrets` import is lazy (it imports hmac and hashlib)."""
    modules = _modules_after("compare", SCENARIO)
    assert "buildorbuy.catalog.gpus" in modules  # the catalog was read: the check can fail
    assert not {"hashlib", "_hashlib", "hmac"} & modules


def test_the_lazy_secrets_module_is_the_real_one_when_used():
    code = ("import sys\n"
            "sys.argv = ['buildorbuy', 'validate', sys.argv[1]]\n"
            "import atexit\n"
            "def use():\n"
            "    import secrets\n"
            "    print(len(secrets.token_hex(4)), secrets.compare_digest(b'a', b'a'), 'hmac' in sys.modules)\n"
            "atexit.register(use)\n"
            "from buildorbuy.cli import main\n"
            "main()\n")
    done = subprocess.run([sys.executable, "-c", code, SCENARIO], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "8 True True"


def test_catalog_digest_is_sha256():
    import hashlib

    from buildorbuy.catalog._lookup import _sha256

    for data in (b"", b"gpus: []\n", "名字".encode() * 1000):
        assert _sha256()(data).hexdigest() == hashlib.sha256(data).hexdigest()


def _program(args: list[str], prelude: str = "", stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    code = (f"import sys\n{prelude}"
            f"sys.argv = ['buildorbuy', *{args!r}]\n"
            "from buildorbuy.__main__ import run\n"
            "run()\n")
    return subprocess.run([sys.executable, "-c", code], stdout=stdout, stderr=subprocess.PIPE, text=True, cwd=REPO,
                          timeout=120)


def test_the_program_exit_keeps_status_output_and_atexit_handlers(tmp_path):
    ok = _program(["validate", SCENARIO])
    assert ok.returncode == 0 and ": valid — 2 paths" in ok.stdout, ok.stderr
    bad = _program(["validate", str(tmp_path / "missing.yaml")])
    assert bad.returncode == 2 and bad.stderr.startswith("Error: ") and "file not found" in bad.stderr
    usage = _program(["compare", SCENARIO, "--format", "xml"])
    assert usage.returncode == 2 and "xml" in usage.stderr
    # output to a file (block-buffered) arrives whole, atexit handlers run after the command and print
    # (in the order they were registered, last first), a thread still running when the command ends
    # (it waits for the main thread to finish) is joined first
    prelude = ("import atexit, threading\n"
               "atexit.register(lambda: print('first registered, last run'))\n"
               "atexit.register(lambda: print('handler', flush=False))\n"
               "threading.Thread(target=lambda: (threading.main_thread().join(), print('thread done'))).start()\n")
    target = tmp_path / "out.txt"
    with open(target, "w") as out:
        done = _program(["compare", SCENARIO, "-f", "json"], prelude, stdout=out)
    assert done.returncode == 0, done.stderr
    body, rest = target.read_text().split("\n}\n", 1)
    assert json.loads(body + "\n}")["recommendation"]
    assert rest.splitlines() == ["thread done", "handler", "first registered, last run"]


def test_the_program_settings_match():
    import buildorbuy.__main__ as program
    import buildorbuy.cli as cli

    assert program.GC_THRESHOLD == cli.GC_THRESHOLD


def test_main_as_a_library_call_still_ends_with_system_exit():
    code = ("import sys\n"
            "sys.argv = ['buildorbuy', 'validate', sys.argv[1]]\n"
            "from buildorbuy.cli import main\n"
            "try:\n"
            "    main()\n"
            "except SystemExit as done:\n"
            "    print('caught', done.code)\n")
    done = subprocess.run([sys.executable, "-c", code, SCENARIO], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "caught 0", done.stdout + done.stderr


def test_the_program_exit_with_a_closed_pipe_is_the_ordinary_one():
    def closed_stdout(entry: str) -> tuple[int, bytes]:
        code = (f"import sys\nsys.argv = ['buildorbuy', 'compare', sys.argv[1], '-f', 'json']\n"
                f"from {entry} import {entry.rsplit('.', 1)[-1] == 'cli' and 'main' or 'run'} as entry\nentry()\n")
        process = subprocess.Popen([sys.executable, "-c", code, SCENARIO], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   cwd=REPO)
        process.stdout.close()  # the reader is gone before anything is written
        err = process.stderr.read()
        process.stderr.close()
        return process.wait(timeout=120), err

    assert closed_stdout("buildorbuy.__main__") == closed_stdout("buildorbuy.cli")
