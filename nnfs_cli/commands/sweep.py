"""`nnfs sweep`: search hyper-parameters with Optuna, each trial an ordinary run directory."""

import re

import click

from nnfs_cli.threads import with_default_threads

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
NAME_CHARS = 100   # like a run's name: a folder name has 255 bytes at most


@click.command()
@click.argument("sweep_path", metavar="SWEEP", type=click.Path(dir_okay=False))
@click.option("--workers", type=click.IntRange(min=1),
              help="Trials run at once, each in its own process with one BLAS thread "
              "(default: the number of cores).")
@click.option("--trials", type=click.IntRange(min=1),
              help="Trials in total, instead of the sweep file's `trials`.")
@click.option("--storage", "storage_url", metavar="URL", envvar="NNFS_SWEEP_STORAGE", show_envvar=True,
              help="A database that holds the study, e.g. postgresql://user:pass@host/db: "
              "every machine started with it shares one study (default: a journal file in "
              "runs/sweeps/NAME/).")
@click.option("--name", help="The study's name and folder runs/sweeps/NAME/ (default: the "
              "sweep file's name without .yaml).")
@click.option("--report", "report_only", is_flag=True,
              help="Run no trials: print the table and write sweep.csv, best.yaml and sweep.png.")
@click.option("--tensorboard", is_flag=True,
              help="Every trial writes TensorBoard event files (logging.tensorboard), so "
              "`tensorboard --logdir runs/sweeps/NAME` lines them up in its HParams table.")
@with_default_threads
def sweep(sweep_path, workers, trials, storage_url, name, report_only, tensorboard):
    """Search the parameters that SWEEP lists on top of its base training config.

    Each trial is a run directory runs/sweeps/NAME/trial-0007/ (nnfs evaluate, predict,
    runs and train --resume work on it). Unpromising trials are pruned after an epoch.
    Running the command again continues the study up to its number of trials, resuming
    trials that Ctrl-C interrupted. At the end: a table of the trials, best first, and
    runs/sweeps/NAME/sweep.csv, best.yaml (train it with nnfs train) and sweep.png.

    \b
    Example:
      nnfs sweep sweeps/spiral.yaml
      nnfs sweep sweeps/spiral.yaml --workers 2 --trials 40
      nnfs sweep sweeps/spiral.yaml --storage postgresql://nnfs:secret@db-host/sweeps
      nnfs sweep sweeps/spiral.yaml --report
    """
    from pathlib import Path

    from nnfs_cli.errors import BadUsage, NnfsError
    from nnfs_cli.reporter import Reporter
    from nnfs_cli.training.run import Interrupted
    from nnfs_cli.sweep import launch, report, spec
    from nnfs_cli.sweep import study as studies

    parsed = spec.load(sweep_path, trials)
    if tensorboard:
        from nnfs_cli.training.tensorboard import summary_writer
        summary_writer()   # the one line that says what to install, before any trial
        parsed.base["logging"]["tensorboard"] = True
    if name is None:
        name = default_name(Path(sweep_path).stem)
    elif not NAME.fullmatch(name):
        raise click.BadParameter("use letters, digits, '_', '.' and '-' (a folder name)",
                                 param_hint="--name")
    elif len(name) > NAME_CHARS:
        raise click.BadParameter(f"at most {NAME_CHARS} characters (a folder name), got "
                                 f"{len(name)}", param_hint="--name")
    if storage_url is not None and studies.in_memory(storage_url):
        # Each process would open its own empty database: one study per worker.
        if workers is not None and workers > 1:
            raise BadUsage(f"--storage {studies.masked(storage_url)}: an in-memory SQLite "
                           f"database is private to each process, so --workers {workers} "
                           "would run that many separate studies; use --workers 1, or a "
                           "file: sqlite:///sweep.db")
        workers = 1
    folder = Path("runs") / "sweeps" / name
    reporter = Reporter()
    storage, study = launch.open_sweep(parsed, name, folder, storage_url, not report_only,
                                       say=reporter.line)
    stopped = None
    if not report_only:
        try:
            launch.run(parsed, name, folder, storage_url, storage, study,
                       workers or launch.default_workers(), reporter)
        except Interrupted as error:
            stopped = error
    with studies.storage_errors(storage_url):
        found, lines = report.write(folder, study, parsed, name)
    for line in lines:
        click.echo(line)
    if stopped is not None:
        raise stopped
    if found and all(row["state"] == "failed" for row in found):
        raise NnfsError(f"every trial of sweep {name} failed (the errors are above and in "
                        f"{folder / 'sweep.csv'})")


def default_name(stem):
    """The study's name from the sweep file's name: `my sweep` -> `my-sweep`, cut to
    NAME_CHARS; `sweep` when nothing is left."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).lstrip("_.-")[:NAME_CHARS].rstrip("-")
    return name or "sweep"
