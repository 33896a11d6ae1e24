"""`nnfs plot`: draw the decision regions of a trained run again."""

import click

from nnfs_cli.threads import with_default_threads


@click.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(file_okay=False))
@click.option("--epoch", type=click.IntRange(min=0),
              help="Draw the parameters an animated run recorded at epoch N (0: the initial "
              "weights) instead of params.pkl.")
@click.option("--animate", is_flag=True,
              help="Write decision_regions.gif again from every recorded epoch.")
@click.option("--best", is_flag=True, help="Draw params_best.pkl.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True),
              help="Where to write (default: RUN_DIR/decision_regions.png, "
              "decision_regions_epochN.png with --epoch, decision_regions.gif with --animate).")
@click.option("--force", is_flag=True, help="Replace an existing --output file.")
@with_default_threads
def plot(run_dir, epoch, animate, best, output, force):
    """Draw what the network of RUN_DIR learnt over its input plane.

    For a classifier of two inputs: the plane coloured by the predicted class (paler where
    it is less sure), the training points in their true class, the misclassified validation
    points crossed. For a regression of one input: the fitted curve over the data.

    \b
    Example:
      nnfs plot runs/spiral-20261127-101500
      nnfs plot runs/spiral-20261127-101500 --epoch 30    # recorded by train --animate
      nnfs plot latest --animate
    """
    from nnfs_cli import api
    from nnfs_cli.errors import BadUsage
    from nnfs_cli.inference.pictures import plot_run

    if best and (epoch is not None or animate):
        raise BadUsage("--best draws params_best.pkl: it cannot be used with --epoch or --animate")
    run = api.load_run(run_dir, best=best)
    target, what = plot_run(run.saved, epoch, output, animate, force)
    where = "standard output" if target.to_stdout else target.path
    click.echo(f"wrote {where}: {what}", err=True)
