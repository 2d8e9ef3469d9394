"""Hostile input aimed at the latest changes (the percent refusal on amounts, the bridge's staff after
a failure, the program's exit): each case here used to give a silently wrong number or a silently
truncated output with status 0."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import REPO, one_line_error

runner = CliRunner()
UNCERTAIN = REPO / "scenarios" / "uncertain-enterprise.yaml"
STARTUP = REPO / "scenarios" / "startup-assistant.yaml"


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def _uncertain_with(tmp_path, old: str, new: str):
    text = UNCERTAIN.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "s.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


# ------------------------------------------------------------ a percent sign inside a distribution on an amount

THROUGHPUT = "tokens_per_second_per_gpu: {dist: triangular, low: 3000, mode: 5000, high: 8000}"
RENT = "gpu_hour_price: {dist: lognormal, p10: 2.0, p90: 3.5}"
LEAD = "lead_time_months: {dist: choice, values: [6, 9, 12], weights: [0.5, 0.3, 0.2]}"
GROWTH = "growth_per_year: {dist: triangular, low: 0.1, mode: 0.4, high: 1.0}"


@pytest.mark.parametrize("old, new, field", [
    (THROUGHPUT, "tokens_per_second_per_gpu: {dist: triangular, low: 3000%, mode: 5000, high: 8000}",
     "paths[1].serving.tokens_per_second_per_gpu.low"),
    (RENT, "gpu_hour_price: {dist: lognormal, p10: 2%, p90: 3.5}", "paths[1].serving.gpu_hour_price.p10"),
    (LEAD, "lead_time_months: {dist: choice, values: [6%, 9, 12], weights: [0.5, 0.3, 0.2]}",
     "paths[2].lead_time_months.values[0]"),
])
@pytest.mark.parametrize("command", ["validate", "compare", "simulate"])
def test_a_percent_in_a_distribution_on_an_amount_is_refused_with_its_line(tmp_path, old, new, field, command):
    path = _uncertain_with(tmp_path, old, new)
    extra = ["--samples", "200"] if command == "simulate" else []
    line = one_line_error(run(command, path, *extra), field, "not a share")
    line_number = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if new in text)
    assert f"{path}:{line_number}:" in line


def test_a_percent_in_a_distribution_on_an_amount_from_set_is_refused():
    line = one_line_error(run("simulate", UNCERTAIN, "--samples", "200", "--set",
                              "paths[gpt-4o].price_per_1k_input={dist: uniform, low: 1%, high: 2%}"),
                          "paths[0].price_per_1k_input.low", "not a share", "--set")
    assert not re.search(r"\.yaml:[0-9]+:", line)  # a value from --set is never blamed on a line of the file


def test_a_percent_in_a_distribution_on_a_share_still_reads_as_a_share(tmp_path):
    as_percent = _uncertain_with(tmp_path, GROWTH, "growth_per_year: {dist: triangular, low: 10%, mode: 40%, high: 100%}")
    plain = run("simulate", UNCERTAIN, "--samples", "300", "--seed", "3", "-f", "json")
    percent = run("simulate", as_percent, "--samples", "300", "--seed", "3", "-f", "json")
    assert plain.exit_code == 0 and percent.exit_code == 0, (plain.output, percent.output)
    assert plain.stdout == percent.stdout.replace(str(as_percent), str(UNCERTAIN))


# ------------------------------------------------------------ the bridge cannot fail

def test_the_bridge_with_a_success_probability_below_one_is_refused():
    # it halved the bridge's own cost: a failed bridge left its traffic to nobody
    line = one_line_error(run("compare", STARTUP, "--set", "paths[gpt-4o-mini].success_probability=0.5"),
                          "paths[0].success_probability", "bridge", "--set")
    assert "1" in line


def test_the_bridge_with_a_success_probability_from_the_file_names_its_line(tmp_path):
    text = STARTUP.read_text(encoding="utf-8")
    old = "    price_change_per_year: -0.3   # assumption: list prices keep falling\n"
    assert old in text
    path = tmp_path / "s.yaml"
    path.write_text(text.replace(old, old + "    success_probability: 0.9\n", 1), encoding="utf-8")
    number = path.read_text(encoding="utf-8").splitlines().index("    success_probability: 0.9") + 1
    for command in ("validate", "compare"):
        one_line_error(run(command, path), f"{path}:{number}:", "paths[0].success_probability", "bridge")


def test_the_bridge_with_an_uncertain_success_probability_is_refused_even_when_its_estimate_is_one():
    one_line_error(run("simulate", UNCERTAIN, "--samples", "200", "--set",
                       "paths[gpt-4o].success_probability={dist: triangular, low: 0.5, mode: 1, high: 1}"),
                   "paths[0].success_probability", "bridge")


def test_the_bridge_at_certain_success_and_other_api_paths_at_risk_still_run():
    assert run("compare", STARTUP, "--set", "paths[gpt-4o-mini].success_probability=1").exit_code == 0
    result = run("compare", UNCERTAIN, "-f", "json")
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------ a write error on stdout is never status 0

@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_stdout_cut_short_by_a_write_error_fails_instead_of_exiting_0(tmp_path):
    # a file-size limit stops the write after 100 KB: a big single write to stdout lost the rest
    # without an error (the buffered writer's partial write) and the program ended with status 0
    target = tmp_path / "out.json"
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000)); "
            "sys.argv = ['buildorbuy', 'catalog', 'apis', '--format', 'json']; "
            "from buildorbuy.__main__ import run; run()")
    with open(target, "wb") as stdout:
        done = subprocess.run([sys.executable, "-c", code], stdout=stdout, stderr=subprocess.PIPE, timeout=120,
                              cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert target.stat().st_size <= 100_000
    assert done.returncode != 0, done.stderr
    assert b"Traceback" not in done.stderr, done.stderr
    assert done.stderr.decode().strip().startswith("Error: "), done.stderr


# ------------------------------------------------------------ -o naming a folder by a last "." or "-/"

@pytest.mark.parametrize("given, tail", [("x.json/.", "/."), ("out/.", "/."), ("-/", "/")])
def test_output_ending_in_a_dot_folder_or_dash_slash_is_refused(tmp_path, monkeypatch, given, tail):
    # Path() dropped the last "." (x.json/. wrote a file x.json) and read -/ as "-" (stdout)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    one_line_error(run("compare", STARTUP, "-f", "json", "-o", given), "--output", f"ends in '{tail}'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert list((tmp_path / "out").iterdir()) == []


def test_output_dash_alone_still_prints(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("compare", STARTUP, "-f", "json", "-o", "-")
    assert result.exit_code == 0 and result.stdout.startswith("{"), result.output
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------ a program started with stdout closed (`>&-`)

def _closed_stdout(*args, cwd):
    code = f"import sys; sys.argv = ['buildorbuy', *{[str(a) for a in args]!r}]; from buildorbuy.__main__ import run; run()"
    return subprocess.run([sys.executable, "-c", code], stderr=subprocess.PIPE, timeout=120, cwd=cwd,
                          preexec_fn=lambda: os.close(1),  # noqa: PLW1509 - the child starts with fd 1 closed
                          env={**os.environ, "PYTHONPATH": str(REPO / "src")})


@pytest.mark.skipif(sys.platform == "win32", reason="preexec_fn is POSIX")
@pytest.mark.parametrize("args", [["compare", STARTUP], ["schema"], ["diff", STARTUP, STARTUP],
                                  ["compare", STARTUP, "-f", "json", "-o", "-"]])
def test_a_closed_stdout_is_one_line_not_a_traceback(tmp_path, args):
    # sys.stdout is None then: AttributeError tracebacks (isatty, write) with status 1
    done = _closed_stdout(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode().strip().splitlines()[-1] == "Error: cannot write to standard output: it is closed"
    assert b"Traceback" not in done.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="preexec_fn is POSIX")
def test_a_closed_stdout_does_not_stop_writing_to_a_named_file(tmp_path):
    done = _closed_stdout("compare", STARTUP, "-f", "json", "-o", tmp_path / "out.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.json").read_text(encoding="utf-8").startswith("{")


# ------------------------------------------------------------ Ctrl-C before typer's own handling starts

INTERRUPT_ON_IMPORT = """
import sys
class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == "buildorbuy.cli.app":
            raise KeyboardInterrupt
sys.meta_path.insert(0, Interrupt())
sys.argv = ["buildorbuy", "--version"]
from buildorbuy.__main__ import run
run()
"""

INTERRUPT_IN_MAIN = """
import sys
sys.argv = ["buildorbuy", "--version"]
import buildorbuy.cli as cli
def main():
    raise KeyboardInterrupt
cli.main = main
from buildorbuy.__main__ import run
run()
"""


@pytest.mark.parametrize("code", [INTERRUPT_ON_IMPORT, INTERRUPT_IN_MAIN], ids=["while-importing", "in-main"])
def test_ctrl_c_before_typer_starts_ends_quietly_with_typers_status(tmp_path, code):
    # a KeyboardInterrupt traceback and death by SIGINT (-2) while the modules loaded
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert done.returncode == 130, (done.returncode, done.stderr)
    assert b"Traceback" not in done.stderr and done.stdout == b""


def test_the_interrupted_status_is_the_same_in_both_modules():
    import buildorbuy.__main__ as program
    import buildorbuy.cli as cli

    assert program.INTERRUPTED == cli.INTERRUPTED == 130


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (a device that is always full)")
@pytest.mark.parametrize("args", [["validate", STARTUP], ["--help"], ["compare", "--help"], ["compare", STARTUP]])
def test_a_full_disk_under_stdout_is_one_line_and_status_2(args):
    """`> /dev/full`: validate's line and click's help went out through click's echo, past the
    commands' writer, and ended in an OSError traceback with status 1."""
    with open("/dev/full", "w") as full:  # opened for the child only; nothing is written by this test
        done = subprocess.run([sys.executable, "-m", "buildorbuy", *map(str, args)], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == ["Error: cannot write to standard output: No space left on device"]


@pytest.mark.parametrize("field", ["success_probability", "start_month", "lead_time_months"])
@pytest.mark.parametrize("command", [["sweep", "-v", "0,0.5"], ["whatif"], ["breakeven"], ["tornado"]])
def test_the_bridge_service_fields_cannot_be_varied(command, field):
    """The file refuses a bridge that could fail or start late; a sweep of its success_probability
    marked it infeasible at 0.5 (its failure flows empty: half its cost) and named the fine-tune
    the winner, an artefact of a value the scenario itself refuses."""
    key = f"paths[gpt-4o-mini].{field}"
    line = one_line_error(run(command[0], STARTUP, "-p", key, *command[1:]), key, "cannot be varied", "bridge")
    assert "Traceback" not in line


def test_a_path_that_is_not_the_bridge_still_varies_its_start():
    result = run("sweep", STARTUP, "-p", "paths[Fine-tuned Llama 3.1 8B].start_month", "-v", "0,3", "--format", "json")
    assert result.exit_code == 0, result.output


def test_ctrl_c_inside_a_command_has_the_same_status_as_before_typer_starts(monkeypatch):
    """Ctrl-C during a command ended with status 2 (the status of bad input), before typer started
    with 130: one status for an interrupt, with one Error line."""
    import buildorbuy.analysis.compare as compare_module
    import buildorbuy.cli as cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(compare_module, "summarise", interrupted)
    result = run("compare", STARTUP)
    assert result.exit_code == cli.INTERRUPTED == 130
    assert result.stderr.strip().splitlines() == ["Error: interrupted"]


BANK = REPO / "scenarios" / "bank-onprem-cny.yaml"


def test_tornado_leaves_out_a_bridge_success_probability_written_as_1():
    """Written out as 1 (the only value the file accepts for the bridge), the bridge's success_probability
    was in tornado's default inputs: −20 % moved it to 0.8, cut the bridge's NPV and flipped the winner
    to the fine-tune, the artefact the --param refusal exists to prevent."""
    import json

    result = run("tornado", BANK, "--set", "paths[Qwen private].success_probability=1", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert "paths[1].success_probability" not in [r["param"] for r in data["rows"]]
    assert "bridge" in data["skipped"]["paths[1].success_probability"]
    assert "paths[3].success_probability" in [r["param"] for r in data["rows"]]  # another path's still moves
    result = run("tornado", BANK, "--set", "paths[Qwen private].success_probability=1", "--lang", "zh", "-f", "markdown")
    assert result.exit_code == 0, result.output
    assert "paths[Qwen private].success_probability: 固定：过渡 API 从第 0 月到评估期末承担其他方案的流量" in result.stdout


def test_whatif_does_not_search_a_bridge_success_probability_written_as_1():
    from buildorbuy import whatif
    from buildorbuy.scenario.loading import load_scenario

    result = whatif(load_scenario(BANK, ["paths[Qwen private].success_probability=1"]))
    assert "paths[1].success_probability" not in result.searched
    assert "bridge" in result.skipped["paths[1].success_probability"]
    assert "paths[3].success_probability" in result.searched
