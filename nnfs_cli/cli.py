"""The `nnfs` command: a click group that turns errors into one line; the commands live in
commands/, one module each."""

import sys

import click

from nnfs_cli import __version__
from nnfs_cli.commands.download import download_fashion_command
from nnfs_cli.commands.evaluate import evaluate
from nnfs_cli.commands.export import export
from nnfs_cli.commands.predict import predict
from nnfs_cli.commands.runs import runs
from nnfs_cli.commands.train import train
from nnfs_cli.errors import NnfsError
from nnfs_cli.threads import DEFAULT_THREADS, blas_threads


class Group(click.Group):
    """Turns NnfsError into one line on stderr and its exit code, never a traceback."""

    def invoke(self, ctx):
        try:
            with blas_threads(DEFAULT_THREADS):
                return super().invoke(ctx)
        except NnfsError as error:
            for line in str(error).splitlines():
                click.echo(f"{error.prefix}{line}", err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            # Caught here, or click turns it into "Aborted!" and exit 1 (a second Ctrl-C).
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nnfs (nnfs_cli)")
def cli():
    """Train the neural networks of "Neural Networks from Scratch in Python" from YAML configs.

    \b
    Example:
      nnfs download-fashion
      nnfs train configs/fashion.yaml
    """


for command in (train, download_fashion_command, evaluate, predict, export, runs):
    cli.add_command(command)


def main():
    try:
        cli(prog_name="nnfs")
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
