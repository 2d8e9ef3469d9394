"""Shared CLI plumbing: the one error boundary, option types and safe output writing."""

from __future__ import annotations

import enum
import functools
import math
import os
import sys
from pathlib import Path
from typing import Callable, Iterable, TypeVar

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


class View(str, enum.Enum):
    cash = "cash"
    accounting = "accounting"


VIEW_HELP = ("cash (the figures as paid) or accounting (adds depreciation of GPU purchases and capex/opex by fiscal "
             "year; the cash figures do not change).")
LANG_HELP = "Language of tables, headings and labels: en (English) or zh (Simplified Chinese)."
SET_HELP = "Override a scenario field: dotted.path=value, e.g. 'paths[API].price_per_1k_input=0.001'. Repeatable."
FORMAT_HELP = "Output format."
OUTPUT_HELP = "Write the output to this file (written whole or not at all) instead of stdout."


def say(text: str, *, err: bool = False) -> None:
    """Print one line for people (stdout, or stderr with `err`), control characters in user text
    (names, file names) shown as `\\x1b`-style escapes so they cannot drive the terminal."""
    from buildorbuy.render.escape import terminal

    text = terminal(text, one_line=True)
    try:
        typer.echo(text, err=err)
    except UnicodeEncodeError:  # a narrow stdout encoding (PYTHONIOENCODING=latin-1) cannot hold "—" or "≥"
        encoding = getattr(sys.stderr if err else sys.stdout, "encoding", None) or "utf-8"
        typer.echo(text.encode(encoding, "replace").decode(encoding), err=err)


def fail(message: str) -> typer.Exit:
    """Print `Error: message` on stderr; return the exit to raise (status 2)."""
    say(f"Error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def parse_count(text: str | None, option: str, *, low: int, high: int) -> int | None:
    """A whole number given as `100000`, `1e5` or `100k`, within [low, high]; a one-line error otherwise."""
    if text is None:
        return None
    from buildorbuy.scenario.types import parse_quantity

    try:
        value = float(parse_quantity(text))
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value == int(value) and low <= value <= high):
        raise fail(f"{option}: must be a whole number from {low:,} to {high:,} (got {text})")
    return int(value)


OUTPUT_SUFFIXES = {
    ".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown", ".txt": "table",
    ".html": "html", ".htm": "html", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods",
    ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".tsv": "tsv", ".xml": "xml", ".pdf": "pdf",
    ".png": "png", ".svg": "svg", ".docx": "docx", ".zip": "zip",
}
"""Output file suffixes we know and the format each holds (`table`: the plain-text table)."""
SUFFIX_NAMES = {"table": "a plain-text", "markdown": "a Markdown", "json": "a JSON", "csv": "a CSV",
                "html": "an HTML", "xlsx": "an Excel workbook", "xls": "an Excel workbook", "ods": "a spreadsheet",
                "yaml": "a YAML", "toml": "a TOML", "tsv": "a TSV", "xml": "an XML", "pdf": "a PDF", "png": "an image",
                "svg": "an image", "docx": "a Word document", "zip": "a zip archive"}
FORMAT_SUFFIX = {"table": ".txt", "markdown": ".md", "json": ".json", "csv": ".csv", "html": ".html"}


def check_output_suffix(output: Path, fmt: str) -> None:
    """A one-line error (exit 2, before any work) when `output` has a known suffix that holds
    another format than `fmt` (`-f json -o model.xlsx`); a name without a suffix, with a suffix we
    do not know (`.log`, `.out`), `-`, a device, FIFO or /dev/stdout is accepted."""
    from buildorbuy.errors import OutputError

    suffix = Path(output).suffix.lower()
    holds = OUTPUT_SUFFIXES.get(suffix)
    if holds is None or holds == fmt or str(output) == "-" or is_stream_or_device(Path(output)):
        return
    what = SUFFIX_NAMES.get(holds, holds)
    want = FORMAT_SUFFIX.get(fmt)
    hint = f": use a {want} name, or --format {holds}" if want and holds in FORMAT_SUFFIX else (
        f": use a {want} name" if want else "")
    raise OutputError(f"--output: '{Path(output).name}' is {what} file name, but the format is {fmt}{hint}")


OUTPUT_RAW_KEY = "buildorbuy.output_raw"


def output_path(text: "str | Path") -> Path:
    """The -o/--output value as a Path (the option's `parser`), remembering the text as given in the
    command's context: Path("x/") is Path("x"), so the slash that makes it a folder would be lost."""
    ctx = _current_context()
    if ctx is not None:
        ctx.meta.setdefault(OUTPUT_RAW_KEY, []).append(str(text))
    return Path(text)


def _current_context():
    """The running command's click context, or None (typer ≥ 0.2x carries its own copy of click)."""
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # older typer: click itself
        from click import get_current_context
    return get_current_context(silent=True)


def check_output_not_folder(output: "Path | None") -> None:
    """A one-line error (exit 2, before any work) when -o/--output names a folder: a name ending in a
    slash (`-o out/`), or an existing folder (`-o .`). Never write a file the user did not name."""
    from buildorbuy.errors import OutputError

    if output is None:
        return
    ctx = _current_context()
    given = [raw for raw in (ctx.meta.get(OUTPUT_RAW_KEY, ()) if ctx is not None else ())
             if Path(raw) == Path(output)]
    seps = (os.sep, os.altsep) if os.altsep else (os.sep,)
    # Path() also drops a last "." (`x.json/.` became x.json) and keeps `-/` as "-" (stdout)
    tails = seps + tuple(sep + "." for sep in seps)
    slashed = [(raw, next(tail for tail in tails[::-1] if raw.endswith(tail))) for raw in given if raw.endswith(tails)]
    if slashed:
        raise OutputError(f"--output: '{slashed[0][0]}' ends in '{slashed[0][1]}', so it names a folder; "
                          "give a file name")
    if "" in given:  # Path("") is "."
        raise OutputError("--output: the file name is empty; give a file name, or - for standard output")
    if str(output) == "-":
        return
    if os.path.isdir(output):
        raise OutputError(f"--output: '{output}' is a folder; give a file name")


def guarded(func: F) -> F:
    """Turn the core's exceptions into one-line errors with exit status 2: the single error boundary."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from buildorbuy.errors import BuildOrBuyError

        try:
            check_output_not_folder(kwargs.get("output"))
            fmt = kwargs.get("fmt", kwargs.get("format"))
            if isinstance(kwargs.get("output"), Path) and fmt is not None:
                check_output_suffix(kwargs["output"], getattr(fmt, "value", fmt))
            return func(*args, **kwargs)
        except BuildOrBuyError as exc:
            _count_like_validate(exc, kwargs.get("scenario"), kwargs.get("overrides"))
            raise fail(exc.one_line()) from None
        except KeyboardInterrupt:  # Ctrl-C: the shell's status for SIGINT, as before typer starts
            from buildorbuy.__main__ import INTERRUPTED

            say("Error: interrupted", err=True)
            raise typer.Exit(INTERRUPTED) from None
        except MemoryError:  # a last resort: inputs should be bounded before the arrays get this big
            raise fail("out of memory: the figures are far larger than any real scenario's "
                       "(check traffic growth, fleet sizes and the horizon)") from None

    return wrapper  # type: ignore[return-value]


def _count_like_validate(exc, scenario, overrides) -> None:
    """When `exc` is a problem of the scenario file, make its "+N more problems" the count `validate`
    lists for the same file and overrides (the loader alone stops at the field errors; validate also
    checks the catalog names). Only on the error path: nothing runs for a good file."""
    from buildorbuy.errors import CatalogError, ScenarioError

    if not isinstance(exc, (ScenarioError, CatalogError)) or not isinstance(scenario, Path) or exc.source != str(scenario):
        return
    from buildorbuy.engine.checks import check_file

    try:
        problems = check_file(scenario, overrides).problems
    except Exception:  # noqa: BLE001 - a recount must never hide the error itself
        return
    if problems and any(p.field == exc.field and p.message == exc.message for p in problems):
        exc.others = [p for p in problems if not (p.field == exc.field and p.message == exc.message)]


def write_output(text: "str | Iterable[str]", output: Path | None) -> None:
    """Write to stdout, or to `output`: atomically for a regular file (temp file in the same folder,
    then rename), straight into a character device, FIFO or /dev/stdout (renaming over those would
    replace the device).

    `text` may be an iterable of pieces (a streamed big output): written as they come.
    """
    from buildorbuy.render.escape import json_safe  # JSON leaves C1 controls and bidi overrides raw

    if not isinstance(text, str):
        _write_pieces(map(json_safe, text), output)
        return
    text = json_safe(text if text.endswith("\n") else text + "\n")
    if output is None or _standard_stream(output) in (1, 2):
        stream = sys.stderr if output is not None and _standard_stream(output) == 2 else sys.stdout
        _to_stream(stream, [text])
        return
    write_file_atomic(output, text.encode("utf-8", "replace"))


STREAM_PIECE = 2048
"""Characters per write to stdout/stderr: at most 8 KB encoded, the buffered writer's buffer."""


def _to_stream(stream, pieces: "Iterable[str]") -> str:
    """Write text to stdout or stderr and flush; returns the last non-empty piece.

    Written in pieces no larger than the stream's buffer: CPython's buffered writer, given one
    write larger than its buffer, loses the rest without an error when the system writes only part
    of it and then fails (a file-size limit, a full disk): the output was cut short with status 0.
    A write error is one `Error:` line and status 2; a closed pipe (`| head`) is left to click,
    which ends quietly with status 1 as before."""
    import errno

    name = "standard error" if stream is sys.stderr else "standard output"
    if stream is None:  # the program started with that descriptor closed (`>&-`): Python gives None
        raise fail(f"cannot write to {name}: it is closed")
    last = ""
    try:
        for piece in pieces:
            for start in range(0, len(piece), STREAM_PIECE):
                part = piece[start:start + STREAM_PIECE]
                try:
                    stream.write(part)
                except UnicodeEncodeError:  # text the stream's encoding cannot hold (a lone surrogate, a narrow locale)
                    stream.write(part.encode(stream.encoding or "utf-8", "replace").decode(stream.encoding or "utf-8"))
            last = piece or last
        if not last.endswith("\n"):
            stream.write("\n")
        stream.flush()
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise
        raise fail(f"cannot write to {name}: {exc.strerror or exc}") from None
    return last


def _write_pieces(pieces: "Iterable[str]", output: Path | None) -> None:
    """write_output for text given in pieces: each piece written as it comes, one final newline."""
    if output is None or _standard_stream(output) in (1, 2):
        stream = sys.stderr if output is not None and _standard_stream(output) == 2 else sys.stdout
        _to_stream(stream, pieces)
        return

    def encoded() -> "Iterable[bytes]":
        last = ""
        for piece in pieces:
            last = piece or last
            yield piece.encode("utf-8", "replace")
        if not last.endswith("\n"):
            yield b"\n"

    write_file_atomic(output, encoded())


def _write_bytes(handle, data: "bytes | Iterable[bytes]") -> None:
    if isinstance(data, (bytes, bytearray)):
        handle.write(data)
    else:
        for piece in data:
            handle.write(piece)


STANDARD_STREAMS = {
    "-": 1,
    "/dev/stdout": 1, "/dev/fd/1": 1, "/proc/self/fd/1": 1,
    "/dev/stderr": 2, "/dev/fd/2": 2, "/proc/self/fd/2": 2,
}
"""Output names that mean this process's stdout (1) or stderr (2): written through sys.stdout/stderr
(`-o -` is stdout for every command, as for init)."""


def _standard_stream(output: Path) -> int | None:
    """1 or 2 when `output` names this process's stdout or stderr (/dev/stdout, /dev/fd/1…)."""
    return STANDARD_STREAMS.get(str(output))


def _umask_mode() -> int:
    """The mode a plain new file gets (0o666 less the umask); mkstemp alone would give 0o600."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


NAME_MAX = 255
"""Longest file name (one path component) in bytes on common file systems (ext4, APFS, NTFS)."""


def _check_name(output: Path) -> None:
    from buildorbuy.errors import OutputError

    for part in output.parts:
        size = len(os.fsencode(part))
        if size > NAME_MAX:
            raise OutputError(f"file or folder name is {size} bytes long; the limit is {NAME_MAX} "
                              f"({part[:24]}…)")


def is_stream_or_device(output: Path) -> bool:
    """True for /dev/stdout, /dev/stderr, or an existing device, FIFO or socket."""
    return bool(_standard_stream(Path(output))) or _special(Path(output))


def _special(output: Path) -> bool:
    """True for an existing character device, FIFO or socket: write into it, never rename over it."""
    import stat

    try:
        mode = os.stat(output).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISBLK(mode)


def _temp_file(folder: Path) -> tuple[int, str]:
    """A new hidden temporary file in `folder`, with a short name whatever the target's length."""
    import tempfile  # on writing only: it imports random, hashlib

    return tempfile.mkstemp(prefix=".bob-", suffix=".tmp", dir=folder)


def _target(output: Path) -> Path:
    """The file to replace for `output`: the link's final target when `output` is a symbolic link
    (the link itself is kept and still points at the new file), `output` otherwise."""
    from buildorbuy.errors import OutputError

    if not os.path.islink(output):
        return output
    target = Path(os.path.realpath(output))
    if os.path.islink(target):
        raise OutputError(f"cannot write {output}: its symbolic links form a loop")
    return target


def _existing(target: Path, shown: Path) -> "os.stat_result | None":
    """The stat of the regular file `target` when it exists (None when it does not); a one-line
    error when it is a folder or read-only (no write permission for this user, or no write bit at
    all, which root would otherwise ignore): such a file is never replaced."""
    import stat

    from buildorbuy.errors import OutputError

    try:
        st = os.stat(target)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{shown} is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        return None
    if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise OutputError(f"{shown} is read-only: not replaced")
    return st


def _set_mode(tmp_name: str, existing: "os.stat_result | None") -> None:
    """Give the temporary file the replaced file's permission bits and (where allowed) its owner
    and group; a new file gets the umask's mode (mkstemp alone would give 0o600)."""
    if existing is None:
        os.chmod(tmp_name, _umask_mode())
        return
    for uid, gid in ((existing.st_uid, existing.st_gid), (-1, existing.st_gid)) if hasattr(os, "chown") else ():
        try:
            os.chown(tmp_name, uid, gid)
            break
        except OSError:  # only root gives a file away; a member of the group may still set the group
            continue
    os.chmod(tmp_name, existing.st_mode & 0o777)


def write_file_atomic(output: Path, data: "bytes | Iterable[bytes]") -> None:
    """Create missing folders, write to a temporary file beside `output`, then rename it into place.

    A character device, FIFO or socket is written directly (renaming would replace it). A
    symbolic link is followed: its target is replaced (atomically, in the target's folder) and the
    link stays. An existing file keeps its permission bits (and owner where allowed); a read-only
    one is a one-line error and is left as it is. `data` may be an iterable of byte pieces, written
    as they come (nothing is renamed into place unless every piece was written)."""
    from buildorbuy.errors import OutputError

    output = Path(output)
    _check_name(output)
    try:
        if _special(output):
            with open(output, "wb") as handle:
                _write_bytes(handle, data)
            return
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
    target = _target(output)
    existing = _existing(target, output)
    tmp_name = None
    try:
        fd, tmp_name = _temp_file(target.parent)
        with os.fdopen(fd, "wb") as handle:
            _write_bytes(handle, data)
        _set_mode(tmp_name, existing)
        os.replace(tmp_name, target)
        tmp_name = None
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
    finally:
        if tmp_name is not None and os.path.exists(tmp_name):
            os.unlink(tmp_name)


ORDER_KEY = "buildorbuy.option_order"


def _ordered_command_class():
    from typer.core import TyperCommand

    class OrderedOptionsCommand(TyperCommand):
        """A command that remembers the order in which options were given (ctx.meta[ORDER_KEY]).

        Click collects each repeated option into its own list and forgets how occurrences of
        different options interleave; `sweep` needs that order to pair each --param with its
        --values or --range.
        """

        def parse_args(self, ctx, args):
            try:
                _opts, _rest, order = self.make_parser(ctx).parse_args(args=list(args))
                ctx.meta[ORDER_KEY] = [param.name for param in order]
            except Exception:  # the real parse below reports the problem
                ctx.meta[ORDER_KEY] = None
            return super().parse_args(ctx, args)

    return OrderedOptionsCommand


OrderedOptionsCommand = _ordered_command_class()



def option_order(ctx) -> list[str] | None:
    """Names of the command's options in the order given (None when unknown)."""
    return None if ctx is None else ctx.meta.get(ORDER_KEY)


def write_files_atomic(files: dict[Path, bytes]) -> None:
    """Write several files as one unit: all of them, or (on any error) none that this call created.

    Missing folders are created; each file goes to a temporary name in its folder first, and the
    renames happen only once every temporary file is written. Pass the main document last: it
    appears only after the files it refers to. A device, FIFO or /dev/stdout among them is
    written directly, after the regular files (renaming over it would replace it).
    """
    direct = {Path(p): data for p, data in files.items() if _standard_stream(Path(p)) or _special(Path(p))}
    if direct:
        _write_regular_files({Path(p): data for p, data in files.items() if Path(p) not in direct})
        for target, data in direct.items():
            if _standard_stream(target):
                write_output(data.decode("utf-8"), target)
            else:
                write_file_atomic(target, data)
        return
    _write_regular_files(files)


def _write_regular_files(files: dict[Path, bytes]) -> None:
    from buildorbuy.errors import OutputError

    created_dirs: list[Path] = []
    temps: dict[Path, str] = {}
    placed: list[Path] = []
    existing: dict[Path, "os.stat_result | None"] = {}
    shown: dict[Path, Path] = {}  # the file replaced (a link's target) → the name given

    def rollback() -> None:
        for tmp in temps.values():
            if os.path.exists(tmp):
                os.unlink(tmp)
        for path in placed:
            if path.exists():
                path.unlink()
        for folder in reversed(created_dirs):
            try:
                folder.rmdir()
            except OSError:
                pass

    try:
        for target in files:
            _check_name(Path(target))
            missing = []
            parent = Path(target).parent
            while not parent.exists() and parent != parent.parent:
                missing.append(parent)
                parent = parent.parent
            for folder in reversed(missing):
                try:
                    folder.mkdir()
                except OSError as exc:
                    raise OutputError(f"cannot create folder {folder}: {exc.strerror or exc}") from None
                created_dirs.append(folder)
            if not Path(target).parent.is_dir():
                raise OutputError(f"cannot write {target}: {Path(target).parent} is not a folder")
            real = _target(Path(target))
            if real in shown:
                raise OutputError(f"{target} and {shown[real]} are the same file")
            existing[real] = _existing(real, Path(target))
            shown[real] = Path(target)
        for real, data in zip(shown, files.values()):  # one entry per file, in order (checked above)
            try:
                fd, temps[real] = _temp_file(real.parent)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                _set_mode(temps[real], existing[real])
            except OSError as exc:
                raise OutputError(f"cannot write {shown[real]}: {exc.strerror or exc}") from None
        for real in shown:
            existed = real.exists()
            try:
                os.replace(temps[real], real)
                del temps[real]
            except OSError as exc:
                raise OutputError(f"cannot write {shown[real]}: {exc.strerror or exc}") from None
            if not existed:
                placed.append(real)
    except BaseException:
        rollback()
        raise
