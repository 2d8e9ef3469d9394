"""`python -m buildorbuy` and the `buildorbuy` program (`run`)."""

GC_THRESHOLD = 100_000
"""The program's young-generation collection threshold (buildorbuy.cli.GC_THRESHOLD: a test keeps them equal)."""


INTERRUPTED = 130
"""Status of a program stopped by Ctrl-C outside a command's own handling (typer's, 128 + SIGINT;
buildorbuy.cli.INTERRUPTED: a test keeps them equal)."""


def run() -> None:
    """The program: `buildorbuy.cli.run`, with the garbage collector's threshold raised before the
    command-line modules (typer, click, the command modules) are imported, not only once `main`
    starts: they are long-lived objects in which the collections find no garbage (see
    `buildorbuy.cli.main`)."""
    import gc

    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    try:
        from buildorbuy.cli import run as run_program
    except KeyboardInterrupt:  # Ctrl-C while the modules load: typer's status for it, not a traceback
        raise SystemExit(INTERRUPTED) from None

    run_program()


if __name__ == "__main__":
    run()
