"""`nnfs export`: a trained run as an ONNX model (onnx_graph.py, with one converter per layer
kind in onnx_layers.py) or as plain NumPy arrays with a JSON description (arrays.py)."""

from nnfs_cli.errors import NnfsError

FORMATS = ("onnx", "npz")


def export_run(run, output=None, kind="onnx", preprocessing=True, best=False, force=False):
    """Write the SavedRun `run` as `kind` to `output` (default RUN/model[_best].KIND; "-" is
    standard output; a FIFO or a device is written into, an existing file replaced only with
    `force`); returns (the checked atomic.Output, lines describing the file's input and
    output)."""
    from nnfs_cli.inference.export import arrays, onnx_graph
    from nnfs_cli.inference.export.interface import interface, summary_lines
    if kind not in FORMATS:
        raise NnfsError(f"format: expected onnx or npz, got {kind!r}", exit_code=2)
    if kind == "onnx":
        onnx_graph.import_onnx()   # before any work: the one line that says how to install it
    target = _output(output, run.path, kind, best, force)
    spec = interface(run, preprocessing=preprocessing, two_columns=kind == "onnx")
    writer = onnx_graph.write if kind == "onnx" else arrays.write
    try:
        what = writer(run, spec, target)
    except OSError as error:
        raise NnfsError(f"{target.path}: cannot write: {error.strerror or error}") from None
    where = "standard output" if target.to_stdout else target.path
    lines = summary_lines(spec, where, what, inside=kind == "onnx")
    decided = getattr(run.data, "decision_lines", None)
    if decided is not None:
        lines += decided(filled=spec.preprocessing is not None)
    return target, lines


def _output(output, run_dir, kind, best, force):
    """The checked atomic.Output of -o PATH, or of RUN_DIR/model[_best].KIND; a usage error
    (exit 2) for a place that cannot take it: a directory, one of the run's other files, an
    existing file without --force (atomic.user_output). The model files export wrote into
    the run before are its own to write again."""
    from nnfs_cli import atomic
    from nnfs_cli.runs import rundir

    path = run_dir / f"model{'_best' if best else ''}.{kind}" if output is None else output
    return atomic.user_output(path, "-o", force=force, protected=rundir.run_files(
        run_dir, rundir.RUN_FILES), own=[run_dir / name for name in rundir.EXPORTS])
