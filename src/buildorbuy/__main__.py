"""`python -m buildorbuy` and the `buildorbuy` program (`run`)."""

GC_THRESHOLD = 100_000
"""New container objects between two young-generation collections in the program (Python's default:
700); `buildorbuy.cli.main` sets it too, for callers that start there."""


INTERRUPTED = 130
"""Status of a program stopped by Ctrl-C (typer's, 128 + SIGINT): while the modules load, before typer's
own handling starts, and inside a command (`buildorbuy.cli.common.guarded`)."""


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
