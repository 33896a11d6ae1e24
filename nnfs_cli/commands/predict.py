"""`nnfs predict`: a trained run's predictions for pictures or rows of features."""

import click

from nnfs_cli.errors import NnfsError
from nnfs_cli.threads import with_default_threads


@click.command()
@click.argument("inputs", metavar="IMAGE|DIR|ROWS...", nargs=-1, required=True, type=click.Path())
@click.option("--run", "run_dir", type=click.Path(file_okay=False),
              help="The run to use (default: the newest finished run under runs/ that takes these "
              "inputs, one trained on all its data first; a diverged or unfinished run only "
              "when named here). `latest` names the newest run.")
@click.option("--top-k", type=click.IntRange(min=1), default=3, show_default=True,
              help="How many of the most likely classes to list (at most all of them).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of lines.")
# images.INVERT_CHOICES, spelled out so that `nnfs --help` need not import OpenCV.
@click.option("--invert", type=click.Choice(["auto", "yes", "no"]), default="auto",
              show_default=True, help="Make pictures light-on-dark (Fashion-MNIST runs: auto "
              "when the background is light); for an image-folder run, yes takes each "
              "picture's negative and auto leaves it.")
# photos.PREPARE_CHOICES, likewise.
@click.option("--prepare", type=click.Choice(["auto", "photo", "none"]), default="auto",
              show_default=True, help="Fashion-MNIST runs: photo trims, fits and stretches a "
              "picture as the data set's were made; none takes a 28x28 picture as it is; auto "
              "takes one already in the data set's form (28x28, dark background) as it is and "
              "prepares any other as a photo.")
@click.option("--best", is_flag=True, help="Use the run's params_best.pkl.")
@click.option("--recursive", "-r", is_flag=True,
              help="Also take the files in the folders inside each DIR.")
@click.option("--output", type=click.Path(allow_dash=True),
              help="Also write the predictions to this CSV file: the rows of CSV inputs with "
              "prediction columns added (for classifiers confidence and a probability_<class> "
              "column per class), else one line per input. The lines are still printed "
              "(--quiet leaves them out; - : standard output, instead of the lines).")
@click.option("--force", is_flag=True, help="Replace an existing file named by --output.")
@click.option("--quiet", "-q", is_flag=True,
              help="Print no predictions (with --output, the file holds them); errors are "
              "still printed.")
@with_default_threads
def predict(inputs, run_dir, top_k, as_json, invert, prepare, best, recursive, output, force,
            quiet):
    """Classify pictures with a run on pictures (Fashion-MNIST, image folders), or predict
    rows with a run on rows: for a csv run, CSV files with the training file's columns (the
    target column may be there and is ignored); for others, .npy or .csv rows of features.
    A DIR means every file in it, sorted (and in its subfolders with --recursive). A blank
    picture is an error, not a guess (for Fashion-MNIST runs).

    \b
    Example:
      nnfs predict examples/pants.png
      nnfs predict shirt.jpg photos/ --recursive
      nnfs predict patients.csv --run runs/patients-20261127-101500 --output preds.csv -q
      nnfs predict points.csv --run runs/spiral-20261127-101500 --top-k 2 --json
    """
    from nnfs_cli import api
    from nnfs_cli.inference import prediction
    from nnfs_cli.reporter import count

    run = api.load_run(run_dir or prediction.newest_run(inputs), best=best).saved
    for note in prediction.run_notes(run, chosen=run_dir is None, inputs=inputs):
        click.echo(note, err=True)
    if not recursive:
        for folder, inside in prediction.skipped_folders(inputs).items():
            names = ", ".join(inside[:3]) + (", ..." if len(inside) > 3 else "")
            click.echo(f"{folder}: skipped its {count(len(inside), 'subfolder')} ({names}); "
                       "--recursive takes them too", err=True)
    target = None if output is None else prediction.output_for(run, inputs, recursive, output,
                                                                force, as_json)
    results, errors = prediction.predict(run, inputs, top_k, invert, recursive, target, prepare)
    if not quiet and (target is None or not target.to_stdout):   # else stdout holds the CSV
        click.echo(prediction.render(results, as_json), nl=False)
    # Every good input is predicted, then each bad one named (and exit 1).
    for message in errors:
        click.echo(f"{NnfsError.prefix}{message}", err=True)
    if target is not None and not target.to_stdout:
        click.echo(f"wrote {count(len(results), 'prediction')} to {target.path}", err=True)
    if errors:
        click.get_current_context().exit(1)
