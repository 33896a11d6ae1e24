"""The `nnfs` command: a thin click group; each command calls into the library."""

import os
import sys

import click

from nnfs_cli import __version__
from nnfs_cli.errors import NnfsError


# One BLAS thread: these networks' matrices are small, and when the other core is busy a second
# OpenBLAS thread makes every product wait (2.4-4x slower; bench/README.md). A thread count the
# user set in the environment is left alone.
BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
DEFAULT_THREADS = None if any(os.environ.get(name) for name in BLAS_ENV) else 1


def blas_threads(count):
    """Limit BLAS to `count` threads for the enclosed work (None: leave it as it is)."""
    import numpy  # noqa: F401 (threadpoolctl can only limit a BLAS that is loaded)
    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=count, user_api="blas")


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


@cli.command()
@click.argument("config_path", metavar="[CONFIG]", required=False, type=click.Path(dir_okay=False))
@click.option("--resume", type=click.Path(file_okay=False), metavar="RUN_DIR",
              help="Continue an interrupted run from its checkpoint (instead of CONFIG).")
@click.option("--run-dir", type=click.Path(file_okay=False),
              help="Where to write the run (default: runs/<config stem>-<YYYYmmdd-HHMMSS>).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config key, e.g. --set optimizer.learning_rate=0.01 (repeatable).")
@click.option("--seed", type=int, help="Shortcut for --set seed=N.")
@click.option("--epochs", type=int, help="Shortcut for --set training.epochs=N.")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the final summary.")
@click.option("--print-config", is_flag=True,
              help="Print the fully resolved config and exit without training.")
@click.option("--no-download", is_flag=True,
              help="Fail instead of downloading a missing data set (Fashion-MNIST).")
@click.option("--threads", type=click.IntRange(min=1), envvar="NNFS_THREADS", show_envvar=True,
              default=DEFAULT_THREADS, help="BLAS threads for matrix products (default: 1, or "
              "what OPENBLAS_NUM_THREADS / OMP_NUM_THREADS say when set).")
def train(config_path, resume, run_dir, overrides, seed, epochs, quiet, print_config, no_download,
          threads):
    """Train the model that CONFIG describes and write a run directory.

    Ctrl-C saves a checkpoint after the current batch; --resume continues from it.

    \b
    Example:
      nnfs train configs/spiral.yaml
      nnfs train configs/fashion.yaml --epochs 3 --set optimizer.learning_rate=0.002
      nnfs train --resume runs/fashion-20261127-101500 --epochs 20
    """
    with blas_threads(threads):
        _train(config_path, resume, run_dir, overrides, seed, epochs, quiet, print_config,
               no_download)


def _train(config_path, resume, run_dir, overrides, seed, epochs, quiet, print_config, no_download):
    from nnfs_cli import config as configs, rundir, runner
    from nnfs_cli.report import Reporter

    if resume:
        if config_path or overrides or seed is not None or run_dir or print_config:
            raise click.UsageError("--resume takes only --epochs, --quiet and --no-download")
        _, final = runner.resume(resume, Reporter(quiet=quiet), epochs, download=not no_download)
        for line in final:
            click.echo(line)
        return
    if not config_path:
        raise click.UsageError("give a CONFIG file, or --resume RUN_DIR")
    overrides = list(overrides)
    if seed is not None:
        overrides.append(f"seed={seed}")
    if epochs is not None:
        overrides.append(f"training.epochs={epochs}")
    config = configs.load(config_path, overrides)
    if print_config:
        click.echo(rundir.dump_config(config), nl=False)
        return
    run_dir = run_dir or rundir.default_path(config_path)
    _, final = runner.train(config, run_dir, Reporter(quiet=quiet),
                             download=not no_download)
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


@cli.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(file_okay=False))
@click.option("--split", type=click.Choice(["test", "validation", "train"]),
              help="The split to score (default: test if the data set has one, else validation).")
@click.option("--batch-size", type=click.IntRange(min=1),
              help="Samples per forward pass (default: the run's training batch size).")
@click.option("--json", "as_json", is_flag=True, help="Print eval.json on stdout, not tables.")
@click.option("--best", is_flag=True,
              help="Use params_best.pkl; writes eval_best.json and confusion_matrix_best.png.")
def evaluate(run_dir, split, batch_size, as_json, best):
    """Score a trained run on one split of its data, reloaded with the run's seed.

    Prints loss and accuracy, then per-class precision, recall, F1 and the confusion
    matrix (classifiers) or MSE and MAE (regression). Writes RUN_DIR/eval.json and,
    for classifiers, RUN_DIR/confusion_matrix.png.

    \b
    Example:
      nnfs evaluate runs/fashion-20261127-101500
      nnfs evaluate runs/spiral-20261127-101500 --split train --json
    """
    from nnfs_cli import evaluation
    from nnfs_cli.saved_run import load_run

    run = load_run(run_dir, best)
    report = evaluation.evaluate_run(run, split, batch_size)
    written = evaluation.write_report(run, report, best)
    click.echo(evaluation.to_json(report) if as_json else evaluation.format_text(report), nl=False)
    click.echo("wrote " + ", ".join(map(str, written)), err=True)


@cli.command()
@click.argument("inputs", metavar="IMAGE|DIR|ROWS...", nargs=-1, required=True, type=click.Path())
@click.option("--run", "run_dir", type=click.Path(file_okay=False),
              help="The run to use (default: the newest Fashion-MNIST run under runs/).")
@click.option("--top-k", type=click.IntRange(min=1), default=3, show_default=True,
              help="How many of the most likely classes to list (at most all of them).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of lines.")
# images.INVERT_CHOICES, spelled out so that `nnfs --help` need not import OpenCV.
@click.option("--invert", type=click.Choice(["auto", "yes", "no"]), default="auto",
              show_default=True, help="Make pictures light-on-dark: auto when the background "
              "is light.")
@click.option("--best", is_flag=True, help="Use the run's params_best.pkl.")
def predict(inputs, run_dir, top_k, as_json, invert, best):
    """Classify pictures with a Fashion-MNIST run, or predict rows of features (.npy or
    .csv, one sample per row) with any run. A DIR means every file in it, sorted.

    \b
    Example:
      nnfs predict shirt.jpg photos/
      nnfs predict points.csv --run runs/spiral-20261127-101500 --top-k 2 --json
    """
    from nnfs_cli import prediction
    from nnfs_cli.saved_run import load_run

    if run_dir is None:
        run_dir = prediction.newest_run()
        click.echo(f"using {run_dir}, the newest Fashion-MNIST run under runs/", err=True)
    results, errors = prediction.predict(load_run(run_dir, best), inputs, top_k, invert)
    for message in errors:
        click.echo(f"{NnfsError.prefix}{message}", err=True)
    click.echo(prediction.render(results, as_json), nl=False)
    if errors:
        click.get_current_context().exit(1)


@cli.command()
@click.argument("root", metavar="[DIR]", default="runs", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects instead.")
def runs(root, as_json):
    """List the runs in DIR (default: runs/), newest last: data set, epochs done of
    configured, best and final validation accuracy, wall time and status.

    \b
    A status is finished, interrupted or diverged; running (its process is alive
    on this machine); killed (it was running, but its process is gone: --resume
    continues from the last checkpoint, if any); created (training never started);
    or unreadable.

    \b
    Example:
      nnfs runs
      nnfs runs experiments --json
    """
    from nnfs_cli import listing

    found = listing.list_runs(root)
    if as_json:
        click.echo(listing.to_json(found))
    elif found:
        click.echo("\n".join(listing.format_table(found)))
    else:
        click.echo(f"no runs in {root}")


def main():
    try:
        cli(prog_name="nnfs")
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
