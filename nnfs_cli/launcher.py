"""The `nnfs` script's entry point. It imports nothing before it can catch a Ctrl-C, so one
that lands while the command line is still being imported ends as one that lands later
does: `Interrupted.` and exit code 130, not a traceback through click's import."""

import sys


def main():
    try:
        from nnfs_cli.cli import main as run_command_line
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
    run_command_line()
