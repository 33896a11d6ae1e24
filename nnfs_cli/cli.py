"""The `nnfs` command: a click group that turns errors into one line; the commands live in
commands/, one module each."""

import errno
import os
import signal
import sys
import threading
import traceback

import click

from nnfs_cli import __version__
from nnfs_cli.commands.download import download_fashion_command
from nnfs_cli.commands.evaluate import evaluate
from nnfs_cli.commands.export import export
from nnfs_cli.commands.gradcheck import gradcheck
from nnfs_cli.commands.lr_find import lr_find
from nnfs_cli.commands.plot import plot
from nnfs_cli.commands.predict import predict
from nnfs_cli.commands.runs import runs
from nnfs_cli.commands.serve import serve
from nnfs_cli.commands.sweep import sweep
from nnfs_cli.commands.train import train
from nnfs_cli.errors import NnfsError, Terminated

CLICK_EXITS = (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort)


class Group(click.Group):
    """Turns every failure into one line on stderr and an exit code, never a traceback:
    NnfsError (its message, 1 or 2), Ctrl-C (130), SIGTERM (143), a full disk or a closed
    standard output (1), and, last, anything unexpected as an internal error (1)."""

    def invoke(self, ctx):
        try:
            with _sigterm_raises():
                return super().invoke(ctx)
        except NnfsError as error:
            for line in str(error).splitlines():
                click.echo(f"{error.prefix}{line}", err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            # Caught here, or click turns it into "Aborted!" and exit 1 (a second Ctrl-C).
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except Terminated:
            click.echo("Terminated.", err=True)
            ctx.exit(143)
        except CLICK_EXITS:
            raise
        except MemoryError:
            click.echo("Error: out of memory; try a smaller batch size, model or data set",
                       err=True)
            ctx.exit(1)
        except OSError as error:
            if error.errno == errno.EPIPE:
                raise   # click leaves quietly when a reader such as `head` went away
            ctx.exit(_os_error(error))
        except Exception as error:   # noqa: BLE001 - the last resort
            ctx.exit(internal_error(error))


def internal_error(error):
    """A bug: one line asking for a report (and the traceback with NNFS_DEBUG=1); exit 1."""
    if os.environ.get("NNFS_DEBUG"):
        traceback.print_exc()
    detail = " ".join(str(error).split())[:200]
    click.echo(f"Error: internal error: {type(error).__name__}: {detail}; please report it "
               "with the command you ran (NNFS_DEBUG=1 shows the traceback)", err=True)
    return 1


def _os_error(error):
    """An OSError that no part of nnfs turned into a message: stdout failing (a full disk,
    /dev/full) when click.echo wrote to it, else the file and the reason."""
    if error.filename is None and any(frame.name == "echo" and "click" in frame.filename
                                      for frame in traceback.extract_tb(error.__traceback__)):
        _stdout_failed(error)
    else:
        where = f"{error.filename}: " if error.filename else ""
        _say(f"Error: {where}{error.strerror or error}")
    return 1


def _stdout_broken():
    """Flush stdout at the end; True (having said so) if that fails."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
        return False
    except ValueError:   # closed
        return False
    except OSError as error:
        _stdout_failed(error)
        return True


def _stdout_failed(error):
    """Say once that stdout failed, then point it at /dev/null so that Python's own flush
    at exit stays quiet."""
    if error.errno != errno.EPIPE:
        _say(f"Error: cannot write to standard output: {error.strerror or error}")
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _say(line):
    try:
        click.echo(line, err=True)
    except OSError:   # stderr is gone too: nothing left to tell
        pass


class _sigterm_raises:
    """SIGTERM raises Terminated for the command, so that `finally` blocks clean up (a
    download's temporary folder, a run's lock) as they do for Ctrl-C."""

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, _terminate)

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
        return False


def _terminate(signum, frame):
    raise Terminated()


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nnfs (nnfs_cli)")
def cli():
    """Train the neural networks of "Neural Networks from Scratch in Python" from YAML configs.

    Input is bounded (model size, pictures, downloads...: the README's Limits table; raise a
    limit with its NNFS_MAX_... variable). NNFS_DEBUG=1 shows the traceback of an internal
    error.

    \b
    Example:
      nnfs download-fashion
      nnfs train configs/fashion.yaml
    """


for command in (train, download_fashion_command, evaluate, predict, export, serve, plot,
                gradcheck, lr_find, runs, sweep):
    cli.add_command(command)


def main():
    try:
        code = _run()
    except KeyboardInterrupt:   # a second Ctrl-C while the first one's message was printed
        code = 130
    # The command is over: a Ctrl-C now would only interrupt the interpreter's exit.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _stdout_broken() and not code:
        code = 1
    sys.exit(code)


def _run():
    """The command's exit code. Not click's standalone mode: it turns a Ctrl-C that lands
    while a message is printed into "Aborted!" and exit 1."""
    try:
        result = cli.main(prog_name="nnfs", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Abort:    # click's wrapping of KeyboardInterrupt and EOFError
        click.echo("Interrupted.", err=True)
        return 130
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except SystemExit as done:
        return done.code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except Terminated:
        click.echo("Terminated.", err=True)
        return 143
