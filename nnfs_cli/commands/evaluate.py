"""`nnfs evaluate`: score a trained run on one split of its data."""

import click

from nnfs_cli.threads import with_default_threads


@click.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(file_okay=False))
@click.option("--split", type=click.Choice(["test", "validation", "train"]),
              help="The split to score (default: test if the data set has one, else validation).")
@click.option("--batch-size", type=click.IntRange(min=1),
              help="Samples per forward pass (default: the run's training batch size).")
@click.option("--json", "as_json", is_flag=True, help="Print eval.json on stdout, not tables.")
@click.option("--best", is_flag=True,
              help="Use params_best.pkl; writes eval_best.json and confusion_matrix_best.png.")
@with_default_threads
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
    from nnfs_cli import api
    from nnfs_cli.inference import evaluation

    from nnfs_cli.runs.saved import unfinished_warning

    run = api.load_run(run_dir, best=best)
    for warning in unfinished_warning(run.saved.summary, run.saved.path):
        click.echo(warning, err=True)
    report = run.evaluate(split, batch_size)
    # The scores first: a run directory we may not write to still gets them (then exit 1).
    click.echo(evaluation.to_json(report) if as_json else evaluation.format_text(report), nl=False)
    written = evaluation.write_report(run, report, best)
    click.echo("wrote " + ", ".join(map(str, written)), err=True)
