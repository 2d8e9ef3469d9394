"""Shared CLI plumbing: the one error boundary, option types and safe output writing."""

from __future__ import annotations

import enum
import functools
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable, TypeVar

import typer

F = TypeVar("F", bound=Callable)

EXIT_USAGE = 2


class Format(str, enum.Enum):
    table = "table"
    markdown = "markdown"
    csv = "csv"
    json = "json"


class Lang(str, enum.Enum):
    en = "en"
    zh = "zh"


LANG_HELP = "Language of tables, headings and labels: en (English) or zh (Simplified Chinese)."
SET_HELP = "Override a scenario field: dotted.path=value, e.g. 'paths[API].price_per_1k_input=0.001'. Repeatable."
FORMAT_HELP = "Output format."
OUTPUT_HELP = "Write the output to this file (written whole or not at all) instead of stdout."


def fail(message: str) -> typer.Exit:
    """Print `Error: message` on stderr; return the exit to raise (status 2)."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def guarded(func: F) -> F:
    """Turn the core's exceptions into one-line errors with exit status 2: the single error boundary."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from buildorbuy.errors import BuildOrBuyError

        try:
            return func(*args, **kwargs)
        except BuildOrBuyError as exc:
            raise fail(exc.one_line()) from None
        except KeyboardInterrupt:
            raise fail("interrupted") from None

    return wrapper  # type: ignore[return-value]


def write_output(text: str, output: Path | None) -> None:
    """Write to stdout, or atomically to `output` (temp file in the same folder, then rename)."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    write_file_atomic(output, text.encode("utf-8"))


def write_file_atomic(output: Path, data: bytes) -> None:
    """Create missing folders, write to a temporary file beside `output`, then rename it into place."""
    from buildorbuy.errors import OutputError

    output = Path(output)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {output.parent}: {exc.strerror or exc}") from None
    if output.is_dir():
        raise OutputError(f"{output} is a folder, not a file")
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp_name, output)
        tmp_name = None
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
    finally:
        if tmp_name is not None and os.path.exists(tmp_name):
            os.unlink(tmp_name)
