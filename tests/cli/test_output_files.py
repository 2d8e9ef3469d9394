"""`-o` into special files and long names: devices and FIFOs are written into, never replaced."""

from __future__ import annotations

import os
import stat
import threading

import pytest
from typer.testing import CliRunner

from buildorbuy.cli import app
from tests.conftest import base_scenario

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def run_into_fifo(fifo, *args, timeout=30):
    """Run the CLI with a reader thread on `fifo` (made here); (result, bytes the reader received)."""
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=read)
    reader.start()
    result = run(*args)
    reader.join(timeout=timeout)
    return result, received


def test_output_into_a_fifo_writes_into_it_and_keeps_it(write_yaml, tmp_path):
    scenario = write_yaml(base_scenario())
    fifo = tmp_path / "pipe"
    result, received = run_into_fifo(fifo, "compare", scenario, "--format", "json", "-o", fifo)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # before: replaced by a regular file (and the reader hung)
    assert received and b'"recommendation"' in received[0]


def test_output_into_a_character_device_keeps_the_device(write_yaml, tmp_path):
    scenario = write_yaml(base_scenario())
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a second /dev/null node
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot create a device node here: {exc}")
    result = run("compare", scenario, "-o", device)
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.stat(device).st_mode)


@pytest.fixture
def fake_dev_stdout(tmp_path, monkeypatch):
    """A stand-in name for /dev/stdout: a test that failed must never replace the real device node."""
    from buildorbuy.cli import common

    name = tmp_path / "dev-stdout"
    monkeypatch.setitem(common.STANDARD_STREAMS, str(name), 1)
    return name


def test_dev_stdout_is_among_the_standard_streams():
    from buildorbuy.cli.common import STANDARD_STREAMS

    assert STANDARD_STREAMS["/dev/stdout"] == 1 and STANDARD_STREAMS["/dev/stderr"] == 2


def test_output_to_dev_stdout_prints(write_yaml, fake_dev_stdout):
    scenario = write_yaml(base_scenario())
    result = run("compare", scenario, "--format", "json", "-o", fake_dev_stdout)
    assert result.exit_code == 0, result.output
    assert '"recommendation"' in result.stdout
    assert not fake_dev_stdout.exists()  # before: a regular file renamed over the device


def test_a_name_over_255_bytes_is_a_one_line_error(write_yaml, tmp_path):
    scenario = write_yaml(base_scenario())
    result = run("compare", scenario, "-o", tmp_path / ("a" * 300))
    assert result.exit_code == 2
    assert "300 bytes" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("length", [242, 250, 255])
def test_names_just_under_the_limit_are_written(write_yaml, tmp_path, length):
    scenario = write_yaml(base_scenario())
    target = tmp_path / ("b" * length)
    result = run("compare", scenario, "-o", target)
    assert result.exit_code == 0, result.output  # before: the temp name added 14 characters and failed
    assert target.read_text().strip()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["scenario.yaml", target.name])


def test_report_with_a_long_name_is_one_line(write_yaml, tmp_path):
    scenario = write_yaml(base_scenario())
    result = run("report", scenario, "-o", tmp_path / ("r" * 300 + ".md"))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_report_to_dev_stdout_prints_it(write_yaml, fake_dev_stdout):
    scenario = write_yaml(base_scenario())
    result = run("report", scenario, "-f", "html", "-o", fake_dev_stdout)
    assert result.exit_code == 0, result.output
    assert result.stdout.lstrip().startswith("<!DOCTYPE html>")
    assert not fake_dev_stdout.exists()


def test_a_report_into_a_fifo_keeps_the_fifo(write_yaml, tmp_path):
    scenario = write_yaml(base_scenario())
    fifo = tmp_path / "pipe.html"
    result, received = run_into_fifo(fifo, "report", scenario, "-o", fifo, timeout=60)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert received and received[0].startswith(b"<!DOCTYPE html>")
