"""Command-line interface: thin commands over the public API. `buildorbuy --help` imports no engine."""

from __future__ import annotations

import sys

from buildorbuy.__main__ import GC_THRESHOLD, INTERRUPTED  # the program's settings, set there before these imports
from buildorbuy.cli.app import app
from buildorbuy.cli import compare as _compare  # noqa: F401  (registers commands)
from buildorbuy.cli import estimate as _estimate  # noqa: F401
from buildorbuy.cli import catalog_cmd as _catalog  # noqa: F401
from buildorbuy.cli import simulate as _simulate  # noqa: F401
from buildorbuy.cli import sweep as _sweep  # noqa: F401
from buildorbuy.cli import tornado as _tornado  # noqa: F401
from buildorbuy.cli import breakeven as _breakeven  # noqa: F401
from buildorbuy.cli import diff as _diff  # noqa: F401
from buildorbuy.cli import report as _report  # noqa: F401
from buildorbuy.cli import decision as _decision  # noqa: F401
from buildorbuy.cli import export as _export  # noqa: F401
from buildorbuy.cli import when as _when  # noqa: F401


def main() -> None:
    """The `buildorbuy` program: the click command tree holds only the command being run.

    Start-up settings of this process only (not of `import buildorbuy`):
    - pydantic looks for plugins (observability hooks) by reading the entry points of every
      installed distribution the first time it builds a validator, a cost that grows with the
      environment; the program's validators are its own, so it asks for none (as typer does for
      its parameter types), unless PYDANTIC_DISABLE_PLUGINS is already set;
    - the cyclic garbage collector runs every 700 new container objects by default, dozens of
      times while start-up builds the ~50k long-lived objects (modules, classes, validators) in
      which there is no garbage to find: it runs every 100,000 here (not once in a compare).
      Cost arrays are numpy buffers, freed by reference counting either way;
    - numpy's OpenBLAS starts worker threads (one fewer than the cores) when numpy is imported,
      and each busy-waits up to 2^28 clock ticks for work before it sleeps: up to a tenth of a
      second of every other core, taken from whatever else runs on the machine. The program's
      linear algebra is a few small products, so the workers go to sleep at once
      (OPENBLAS_THREAD_TIMEOUT=4, OpenBLAS's shortest); the number of threads and every result
      stay the same. Not when already set;
    - when the command is done (click ends it with SystemExit), every object is moved to the
      collector's permanent generation (gc.freeze): the interpreter's shutdown collections then
      skip the ~66,000 objects of the loaded modules, classes and validators, which they would
      traverse to find nothing to finalise (the process frees its memory as it exits). Output
      is flushed, files are closed and atexit handlers run as before.
    """
    import gc
    import os

    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # read when numpy is first imported: after this
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    _no_plugin_discovery()
    _lazy_secrets()
    try:
        app_for(sys.argv[1:])()
    except OSError as exc:  # output the commands' own writer does not carry (click's help, validate's line) failing
        _output_failed(exc)
    finally:
        gc.freeze()


def _output_failed(exc: OSError) -> None:
    """A write that failed outside the commands' own error boundary (`--help` or a one-line answer
    into a full disk, `> /dev/full`): one `Error:` line and status 2, not a traceback. A closed
    pipe stays click's (it ends quietly, status 1). The unwritten rest of stdout is dropped: the
    process ends at once, so no flush at exit fails again."""
    import errno
    import os

    if exc.errno == errno.EPIPE:
        raise exc
    where = f"'{exc.filename}'" if exc.filename is not None else "to standard output"
    try:
        sys.stderr.write(f"Error: cannot write {where}: {exc.strerror or exc}\n")
        sys.stderr.flush()
    finally:
        os._exit(2)


def run() -> None:
    """The program's entry point (`buildorbuy`, `python -m buildorbuy`): `main()`, then the exit
    without the interpreter's teardown.

    When a command is done the interpreter would, before the process ends, dismantle every module
    (~70,000 objects: their dictionaries cleared, each object freed in turn), all memory the
    operating system takes back at once anyway. Here the exit's own work is done first, in the
    interpreter's order: non-daemon threads joined (threading's own exit hooks), atexit handlers
    run (they may still print), stdout and stderr flushed; then the process ends with the same
    status (`os._exit`). When that is not certain to be the same, the ordinary exit is taken:
    a status that is not a number from 0 to 255 (Python prints it or maps it), an exception
    other than SystemExit (its traceback), output that cannot be flushed (a closed pipe: the
    interpreter reports it as before), or `python -i`. `main()` as a library call ends as before.
    """
    import os

    try:
        try:
            main()
        except KeyboardInterrupt:  # outside typer's own handling (before it starts): its status, no traceback
            raise SystemExit(INTERRUPTED) from None
    except SystemExit as done:
        code = 0 if done.code is None else done.code
        if not isinstance(code, int) or isinstance(code, bool) or not 0 <= code <= 255 or sys.flags.inspect:
            raise
        import atexit
        import threading

        try:
            threading._shutdown()  # what the interpreter does first at exit: join non-daemon threads
            atexit._run_exitfuncs()
            for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
                if stream is not None:
                    stream.flush()
        except BaseException:  # noqa: BLE001 - let the ordinary exit report it as it always has
            raise done from None
        os._exit(code)
    raise SystemExit(0)  # pragma: no cover - click ends every command with SystemExit


PLUGINS_OFF = ("__all__", "1", "true")
"""PYDANTIC_DISABLE_PLUGINS values with which pydantic's plugin loader returns no plugins at all."""


def _no_plugin_discovery() -> None:
    """With plugins disabled, pydantic's plugin loader returns none, but importing it imports
    importlib.metadata (email, zipfile, csv…: ~11 ms) for the entry-point scan it will not run.
    The program gives pydantic a loader module whose `get_plugins` returns none straight away:
    the same validators, without that import. Not when the variable names single plugins to
    leave out (the real loader then finds the others) or when the loader is already imported."""
    import os
    import types

    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") not in PLUGINS_OFF or "pydantic.plugin._loader" in sys.modules:
        return
    loader = types.ModuleType("pydantic.plugin._loader", "No pydantic plugins (PYDANTIC_DISABLE_PLUGINS is set).")
    loader.get_plugins = lambda: ()
    sys.modules[loader.__name__] = loader


def _lazy_secrets() -> None:
    """pydantic.types imports `secrets` (for the constant-time comparison of its Secret types),
    which imports hmac, random and hashlib, whose OpenSSL binding takes ~3 ms to load; a scenario
    holds no secrets. The program registers a stand-in module that loads the real `secrets`, unchanged,
    the first time any of its names is asked for (and from then on holds all of them). Not when it
    is already imported. (importlib.util.LazyLoader would load it at the `import` statement itself:
    the import system reads the module's `__spec__`.)"""
    import importlib.util
    import types

    if "secrets" in sys.modules:
        return
    spec = importlib.util.find_spec("secrets")
    if spec is None or spec.loader is None:  # pragma: no cover - the standard library has it
        return

    class Secrets(types.ModuleType):
        def __getattr__(self, name: str):
            real = sys.modules.get(spec.name)
            if real is self or real is None:
                real = importlib.util.module_from_spec(spec)
                sys.modules[spec.name] = real
                spec.loader.exec_module(real)
                vars(self).update(vars(real))
            return getattr(real, name)

    stand_in = Secrets(spec.name, "The secrets module, loaded when first used.")
    stand_in.__spec__ = spec
    sys.modules[spec.name] = stand_in


def app_for(args: list[str]):
    """`app` with only the sub-command that `args` name (a copy), or `app` itself.

    Typer turns every registered command into a click command with its parameter types each
    time the program starts (~20 commands, ~13 ms); a run uses one. The root has no options
    taking a value, so the first argument not starting with `-` names the command. Without one
    (`buildorbuy`, `buildorbuy --help`) or with an unknown name (click suggests close names),
    the whole app is used. The one command keeps its help, options and error messages: they
    depend on the command alone and the program's name.
    """
    import copy

    name = next((arg for arg in args if not arg.startswith("-")), None)
    commands = [info for info in app.registered_commands if _command_name(info) == name]
    groups = [info for info in app.registered_groups if info.name == name]
    if not commands and not groups:
        return app
    lean = copy.copy(app)
    lean.registered_commands = commands
    lean.registered_groups = groups
    return lean


def _command_name(info) -> str:
    """The name typer gives a registered command (its function's name, `_` → `-`, unless named)."""
    return info.name or info.callback.__name__.lower().replace("_", "-")
