"""`-o` naming a folder (`-o out/`, `-o .`, an existing folder) is refused with one line naming
--output and exit 2, for every command that has -o: no file is ever written under a name the user
did not give (Path("out/") is Path("out"), so `out/` used to become a file named `out`)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import base_scenario

runner = CliRunner()

COMMANDS = {
    "compare": ["compare", "{s}"],
    "init": ["init"],
    "schema": ["schema"],
    "simulate": ["simulate", "{s}"],
    "sweep": ["sweep", "{s}", "-p", "workload.tokens_per_month", "--values", "1e8,1e9"],
    "tornado": ["tornado", "{s}"],
    "breakeven": ["breakeven", "{s}", "-p", "workload.tokens_per_month"],
    "diff": ["diff", "{s}", "{s}"],
    "report": ["report", "{s}"],
    "voi": ["voi", "{s}"],
    "whatif": ["whatif", "{s}"],
    "export": ["export", "{s}"],
    "when": ["when", "{s}"],
    "estimate training": ["estimate", "training", "--model", "llama-3.1-8b", "--tokens", "1T", "--gpu", "h100-sxm"],
    "estimate finetune": ["estimate", "finetune", "--model", "llama-3.1-8b", "--tokens", "20M", "--gpu", "h100-sxm"],
    "estimate serving": ["estimate", "serving", "--model", "llama-3.1-8b", "--gpu", "h100-sxm"],
    "catalog gpus": ["catalog", "gpus"],
    "catalog models": ["catalog", "models"],
    "catalog apis": ["catalog", "apis"],
}


def _commands_with_output(group, prefix=()):
    for name, command in getattr(group, "commands", {}).items():
        if hasattr(command, "commands"):
            yield from _commands_with_output(command, (*prefix, name))
        elif any("--output" in getattr(p, "opts", ()) for p in command.params):
            yield " ".join((*prefix, name))


def test_every_command_with_output_is_checked():
    from typer.main import get_command

    assert set(_commands_with_output(get_command(app))) == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("given", ["new/", "plan.md/", "existing", "existing/", "."])
def test_output_naming_a_folder_is_refused(write_yaml, tmp_path, monkeypatch, command, given):
    scenario = write_yaml(base_scenario())
    monkeypatch.chdir(tmp_path)
    (tmp_path / "existing").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    args = [str(scenario) if a == "{s}" else a for a in COMMANDS[command]]
    result = runner.invoke(app, [*args, "-o", given])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: --output: "), result.output
    assert given.rstrip("/") in lines[0] and "folder" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no file `new` or `plan.md`
    assert not any((tmp_path / "existing").iterdir())


@pytest.mark.parametrize("given", ["new/out.json", "out.json"])
def test_a_file_name_inside_a_new_folder_still_works(write_yaml, tmp_path, monkeypatch, given):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["compare", str(write_yaml(base_scenario())), "-f", "json", "-o", given])
    assert result.exit_code == 0, result.output
    assert (tmp_path / given).is_file()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_empty_output_name_says_so(write_yaml, tmp_path, monkeypatch, command):
    """`-o ""` was reported as "'.' is a folder" (Path("") is ".")."""
    scenario = write_yaml(base_scenario())
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    args = [str(scenario) if a == "{s}" else a for a in COMMANDS[command]]
    result = runner.invoke(app, [*args, "-o", ""])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        "Error: --output: the file name is empty; give a file name, or - for standard output"]
    assert sorted(p.name for p in tmp_path.iterdir()) == before
