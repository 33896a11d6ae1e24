"""`nnfs lr-find`: the learning-rate range test of a config."""

from pathlib import Path

import click

from nnfs_cli.threads import with_default_threads


@click.command("lr-find")
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option("--start", type=click.FloatRange(min=0, min_open=True), default=1e-7,
              show_default=True, help="The first step's learning rate.")
@click.option("--end", type=click.FloatRange(min=0, min_open=True), default=10.0,
              show_default=True, help="The last step's learning rate.")
@click.option("--steps", type=click.IntRange(min=2), default=200, show_default=True,
              help="Steps from --start to --end (the rate grows by the same factor each).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config key, as nnfs train takes it (repeatable).")
@click.option("--run-dir", type=click.Path(file_okay=False),
              help="A new directory for lr_find.png and lr_find.csv (step, lr, loss, smoothed).")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Where to write the picture without --run-dir (default: lr_find.png here, "
              "replaced if it is there).")
@click.option("--force", is_flag=True, help="Replace an existing --output file.")
@click.option("--no-download", is_flag=True,
              help="Fail instead of downloading a missing data set (Fashion-MNIST).")
@with_default_threads
def lr_find(config_path, start, end, steps, overrides, run_dir, output, force, no_download):
    """Find a learning rate for CONFIG: the range test (Smith 2015; fastai's lr_find).

    From the config's initial weights, trains with its optimizer for --steps steps while
    the rate grows geometrically from --start to --end, and stops when the smoothed loss
    passes 4 times its minimum. Prints the suggested rate (the minimum's rate / 10) and the
    rate of steepest descent, and draws the smoothed loss against the rate. No run is made.

    \b
    Example:
      nnfs lr-find configs/spiral.yaml
      nnfs train configs/spiral.yaml --set optimizer.learning_rate=0.01
      nnfs lr-find configs/fashion.yaml --steps 300 --run-dir runs/lr-fashion
    """
    from nnfs_cli import atomic
    from nnfs_cli.api.tools import lr_find as find
    from nnfs_cli.errors import BadUsage
    from nnfs_cli.runs import rundir
    from nnfs_cli.training.lr_find import check_range

    check_range(start, end, steps)
    if run_dir is not None:
        if output is not None:
            raise BadUsage("--output and --run-dir cannot be used together: --run-dir gets "
                           "lr_find.png and lr_find.csv")
        rundir.check_new(run_dir)
        target = None
    else:
        default = Path("lr_find.png")
        target = atomic.user_output(default if output is None else output, "--output",
                                    force=force, own=[default] if output is None else [])
    result = find(config_path, overrides=overrides, download=not no_download, start=start,
                  end=end, steps=steps)
    to_stdout = target is not None and target.to_stdout   # the picture is the output then
    for line in result.lines():
        click.echo(line, err=to_stdout)
    title = f"learning-rate range test of {Path(config_path).name}"
    if run_dir is not None:
        with rundir.claim(run_dir) as folder:
            result.plot(folder / "lr_find.png", title)
            atomic.write_text(folder / "lr_find.csv", result.csv())
        written = f"{folder / 'lr_find.png'} and {folder / 'lr_find.csv'}"
    else:
        _plot_to(result, target, title)
        written = "standard output" if to_stdout else str(target.path)
    click.echo(f"wrote {written}", err=True)


def _plot_to(result, target, title):
    import tempfile

    from nnfs_cli import atomic
    with tempfile.TemporaryDirectory() as folder:
        picture = Path(folder) / "lr_find.png"
        result.plot(picture, title)
        atomic.write_to(target, picture.read_bytes())
