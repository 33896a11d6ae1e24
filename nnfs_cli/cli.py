"""The `nnfs` command: a thin click group; each command calls into the library."""

import sys

import click

from nnfs_cli import __version__
from nnfs_cli.errors import NnfsError


class Group(click.Group):
    """Turns NnfsError into one line on stderr and its exit code, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NnfsError as error:
            for line in str(error).splitlines():
                click.echo(f"Error: {line}", err=True)
            ctx.exit(error.exit_code)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nnfs (nnfs_cli)")
def cli():
    """Train the neural networks of "Neural Networks from Scratch in Python" from YAML configs.

    \b
    Example:
      nnfs download-fashion
      nnfs train configs/fashion.yaml
    """


@cli.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option("--run-dir", type=click.Path(file_okay=False),
              help="Where to write the run (default: runs/<config stem>-<YYYYmmdd-HHMMSS>).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config key, e.g. --set optimizer.learning_rate=0.01 (repeatable).")
@click.option("--seed", type=int, help="Shortcut for --set seed=N.")
@click.option("--epochs", type=int, help="Shortcut for --set training.epochs=N.")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the final summary.")
@click.option("--print-config", is_flag=True,
              help="Print the fully resolved config and exit without training.")
def train(config_path, run_dir, overrides, seed, epochs, quiet, print_config):
    """Train the model that CONFIG describes and write a run directory.

    \b
    Example:
      nnfs train configs/spiral.yaml
      nnfs train configs/fashion.yaml --epochs 3 --set optimizer.learning_rate=0.002
    """
    from nnfs_cli import build, config as configs, rundir, runner  # noqa: F401 (fills registries)
    from nnfs_cli.report import Reporter

    overrides = list(overrides)
    if seed is not None:
        overrides.append(f"seed={seed}")
    if epochs is not None:
        overrides.append(f"training.epochs={epochs}")
    config = configs.load(config_path, overrides)
    if print_config:
        click.echo(rundir.dump_config(config), nl=False)
        return
    run_dir = rundir.create(run_dir or rundir.default_path(config_path))
    _, final = runner.train(config, run_dir, Reporter(quiet=quiet))
    for line in final:
        click.echo(line)


@cli.command("download-fashion")
@click.option("--url", envvar="NNFS_FASHION_URL", show_envvar=True,
              default="https://nnfs.io/datasets/fashion_mnist_images.zip", show_default=True,
              help="Where to fetch the archive: http(s)://, file:// or a local path.")
@click.option("--dest", default="datasets", show_default=True, type=click.Path(file_okay=False),
              help="Folder that receives fashion_mnist_images/ and its cache.")
@click.option("--force", is_flag=True, help="Download and extract again even if a valid copy exists.")
@click.option("--sha256", default=None, help="Expected SHA-256 of the archive; checked when given.")
def download_fashion_command(url, dest, force, sha256):
    """Fetch Fashion-MNIST, check it, extract it safely and cache it.

    \b
    Example:
      nnfs download-fashion --dest datasets
      nnfs download-fashion --url file:///data/fashion_mnist_images.zip
    """
    from nnfs_cli.fashion import download_fashion

    path = download_fashion(url, dest, force=force, sha256=sha256)
    click.echo(str(path))


def main():
    try:
        cli(prog_name="nnfs")
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
