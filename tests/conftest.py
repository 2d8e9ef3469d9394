from __future__ import annotations

import copy
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))


def one_line_error(result, *words) -> str:
    """The CLI's answer to bad input: exit status 2, no traceback, one `Error: ` line on stderr
    holding each of `words`; returns that line."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path, monkeypatch):
    """Every test runs in its own empty folder, so no test touches real files."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")


def api_path(name="API", price_in=0.001, price_out=0.002, **extra):
    return {"name": name, "kind": "api", "price_per_1k_input": price_in, "price_per_1k_output": price_out, **extra}


def base_scenario(**extra):
    data = {
        "name": "test",
        "start": "2026-01",
        "horizon_months": 12,
        "discount_rate": 0.0,
        "workload": {"tokens_per_month": 1e9, "output_share": 0.25},
        "paths": [api_path()],
    }
    data.update(copy.deepcopy(extra))
    return data


@pytest.fixture
def write_yaml(tmp_path):
    import yaml

    def write(data, name="scenario.yaml"):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False) if not isinstance(data, str) else data)
        return path

    return write


def cli_commands():
    """(name, click command) for every command of the CLI, sub-commands as `group sub`."""
    import typer

    from buildorbuy.cli import app

    root = typer.main.get_command(app)
    for name, command in root.commands.items():
        if hasattr(command, "commands"):
            for sub_name, sub in command.commands.items():
                yield f"{name} {sub_name}", sub
        else:
            yield name, command
