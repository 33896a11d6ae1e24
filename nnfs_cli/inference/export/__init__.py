"""`nnfs export`: a trained run as an ONNX model (onnx_graph.py, with one converter per layer
kind in onnx_layers.py) or as plain NumPy arrays with a JSON description (arrays.py)."""

from pathlib import Path

from nnfs_cli.errors import NnfsError

FORMATS = ("onnx", "npz")


def export_run(run, output=None, kind="onnx", preprocessing=True, best=False):
    """Write the SavedRun `run` as `kind` to `output` (default RUN/model[_best].KIND);
    returns (path, lines describing the file's input and output)."""
    from nnfs_cli.inference.export import arrays, onnx_graph
    from nnfs_cli.inference.export.interface import interface, summary_lines
    if kind not in FORMATS:
        raise NnfsError(f"format: expected onnx or npz, got {kind!r}", exit_code=2)
    if kind == "onnx":
        onnx_graph.import_onnx()   # before any work: the one line that says how to install it
    path = _output_path(output, run.path, kind, best)
    spec = interface(run, preprocessing=preprocessing, two_columns=kind == "onnx")
    writer = onnx_graph.write if kind == "onnx" else arrays.write
    try:
        what = writer(run, spec, path)
    except OSError as error:
        raise NnfsError(f"{path}: cannot write: {error.strerror or error}") from None
    return path, summary_lines(spec, path, what, inside=kind == "onnx")


def _output_path(output, run_dir, kind, best):
    """-o PATH, or RUN_DIR/model[_best].KIND; a usage error (exit 2) if it cannot be a file."""
    if output is None:
        return run_dir / f"model{'_best' if best else ''}.{kind}"
    path = Path(output)
    if path.is_dir():
        raise NnfsError(f"-o {path}: is a directory; give a file name", exit_code=2)
    if not path.parent.is_dir():
        raise NnfsError(f"-o {path}: no such directory {path.parent}", exit_code=2)
    return path
