"""`nnfs train`: train a config into a new run directory, or resume one."""

import click

from nnfs_cli.threads import DEFAULT_THREADS, blas_threads

RESUME_OPTIONS = "--resume RUN_DIR takes only --epochs, --quiet, --no-download and --threads."


@click.command()
@click.argument("config_path", metavar="[CONFIG]", required=False, type=click.Path(dir_okay=False))
@click.option("--resume", type=click.Path(file_okay=False), metavar="RUN_DIR",
              help="Continue an interrupted run from its checkpoint, with the run's own config "
              "(instead of CONFIG; only --epochs, --quiet, --no-download and --threads apply).")
@click.option("--run-dir", type=click.Path(file_okay=False),
              help="Where to write the run (default: runs/<config stem>-<YYYYmmdd-HHMMSS>).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config key, e.g. --set optimizer.learning_rate=0.01 (repeatable).")
@click.option("--seed", type=int, help="Shortcut for --set seed=N.")
@click.option("--epochs", type=int, help="Shortcut for --set training.epochs=N.")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the final summary.")
@click.option("--print-config", is_flag=True,
              help="Print the fully resolved config and exit without training.")
@click.option("--animate", is_flag=True,
              help="Also write decision_regions.gif, the decision regions forming epoch by "
              "epoch (shortcut for --set plots.animate=true).")
@click.option("--no-download", is_flag=True,
              help="Fail instead of downloading a missing data set (Fashion-MNIST).")
@click.option("--tensorboard", is_flag=True,
              help="Write TensorBoard event files into RUN_DIR/tensorboard/ (logging.tensorboard; "
              "needs the tensorboard extra).")
@click.option("--threads", type=click.IntRange(min=1), envvar="NNFS_THREADS", show_envvar=True,
              default=DEFAULT_THREADS, help="Threads for matrix products (BLAS); convolutions "
              "and max pooling split each batch over them instead (default: 1, or what "
              "OPENBLAS_NUM_THREADS / OMP_NUM_THREADS say when set). More threads than "
              "free cores slow training down, many times over on a busy machine. Results "
              "differ in the last bits between thread counts, so resume with the same count "
              "to continue bit for bit.")
def train(config_path, resume, run_dir, overrides, seed, epochs, quiet, print_config, animate,
          no_download, tensorboard, threads):
    """Train the model that CONFIG describes and write a run directory.

    Ctrl-C saves a checkpoint after the current batch; --resume continues from it.

    \b
    Example:
      nnfs train configs/spiral.yaml --animate   # and watch decision_regions.gif
      nnfs train configs/iris.yaml        # a CSV table; image folders and .npz work too
      nnfs train configs/fashion.yaml --epochs 3 --set optimizer.learning_rate=0.002
      nnfs train configs/fashion_cnn.yaml --threads 2
      nnfs train --resume runs/fashion-20261127-101500 --epochs 20
    """
    with blas_threads(threads):
        _train(config_path, resume, run_dir, overrides, seed, epochs, quiet, print_config,
               animate, no_download, tensorboard)


def _train(config_path, resume, run_dir, overrides, seed, epochs, quiet, print_config, animate,
           no_download, tensorboard=False):
    from nnfs_cli import api

    if resume:
        if config_path:
            raise click.UsageError("CONFIG is not taken with --resume: the run has its own "
                                   f"config.yaml. {RESUME_OPTIONS}")
        given = {"--run-dir": run_dir is not None, "--set": bool(overrides),
                 "--seed": seed is not None, "--print-config": print_config,
                 "--animate": animate, "--tensorboard": tensorboard}
        refused = [name for name, used in given.items() if used]
        if refused:
            raise click.UsageError(f"{' and '.join(refused)} cannot be used with --resume. "
                                   + RESUME_OPTIONS)
        run = api.resume(resume, epochs=epochs, quiet=quiet, download=not no_download)
    else:
        if not config_path:
            raise click.UsageError("give a CONFIG file, or --resume RUN_DIR")
        overrides = list(overrides)
        if seed is not None:
            overrides.append(f"seed={seed}")
        if epochs is not None:
            overrides.append(f"training.epochs={epochs}")
        if tensorboard:
            overrides.append("logging.tensorboard=true")
        if animate:
            overrides.append("plots.animate=true")
        if print_config:
            from nnfs_cli import config as configs
            from nnfs_cli.runs import rundir
            click.echo(rundir.dump_config(configs.load(config_path, overrides)), nl=False)
            return
        run = api.train(config_path, run_dir, overrides=overrides, quiet=quiet,
                        download=not no_download)
    for line in run.lines:
        click.echo(line)
