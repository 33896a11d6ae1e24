"""`nnfs export`: a trained run as an ONNX model or as plain arrays, for use outside nnfs."""

import click

from nnfs_cli.threads import with_default_threads


@click.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(file_okay=False))
@click.option("--format", "kind", type=click.Choice(["onnx", "npz"]), default="onnx",
              show_default=True, help="onnx: a model for onnxruntime and other runtimes; npz: "
              "every parameter array and a JSON description, no pickle.")
@click.option("-o", "--output", type=click.Path(allow_dash=True),
              help="Where to write (default: RUN_DIR/model.onnx or RUN_DIR/model.npz; "
              "model_best.* with --best); - is standard output. A FIFO or a device is "
              "written into, a file replaced only with --force.")
@click.option("--force", is_flag=True, help="Replace an existing file named by -o.")
@click.option("--best", is_flag=True, help="Export params_best.pkl instead of params.pkl.")
@click.option("--no-preprocessing", is_flag=True,
              help="Export the bare network, which takes inputs already scaled and shaped as "
              "training fed them.")
@with_default_threads
def export(run_dir, kind, output, force, best, no_preprocessing):
    """Export a trained run for use outside nnfs: an ONNX model (onnxruntime, C#, JavaScript,
    mobile runtimes) or NumPy arrays with a JSON description of the stack.

    The ONNX model takes raw inputs and gives probabilities: it starts with the data set's
    own preprocessing (Fashion-MNIST: 28x28 pixel values 0-255, scaled by (x - 127.5) / 127.5
    inside) and keeps the class names, input layout and preprocessing in its metadata. ONNX
    export needs `pip install 'nnfs-cli[onnx]'`.

    \b
    Example:
      nnfs export runs/fashion-20261127-101500
      nnfs export runs/spiral-20261127-101500 --format npz -o spiral.npz
    """
    from nnfs_cli.api import load_run
    from nnfs_cli.inference.export import export_run

    run = load_run(run_dir, best=best)   # what Run.export does, keeping where it wrote
    target, lines = export_run(run.saved, output, kind, not no_preprocessing, best, force)
    # With the model on standard output, what was written is said on stderr.
    for line in lines:
        click.echo(line, err=target.to_stdout)
