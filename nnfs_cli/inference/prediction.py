"""`nnfs predict`: a saved run's predictions for the inputs its data set takes: pictures
(image data sets) and rows of features in .npy and .csv files."""

import math
from pathlib import Path

import numpy as np

from nnfs_cli import json_text
from nnfs_cli.data.rows import ROW_SUFFIXES, Rows
from nnfs_cli.errors import BadUsage, ConfigError, NnfsError
from nnfs_cli.registry import DATASETS
from nnfs_cli.reporter import count, printable
from nnfs_cli.runs.saved import read_summary

BATCH = 1024


def newest_run(root="runs"):
    """The finished run under `root` whose data set takes pictures and whose summary.json
    was written last. A diverged or unfinished run is used only when --run names it."""
    candidates, unfinished = [], []
    for path in sorted(Path(root).iterdir()) if Path(root).is_dir() else ():
        summary_path = path / "summary.json"
        if not (path / "params.pkl").is_file() or not summary_path.is_file():
            continue
        try:
            summary = read_summary(summary_path)
        except NnfsError:
            continue
        data = summary.get("data")
        takes_pictures = data in DATASETS and "images" in DATASETS.get(data).predict_inputs
        if takes_pictures and summary.get("status") == "finished":
            candidates.append((summary_path.stat().st_mtime_ns, path.name, path))
        elif takes_pictures:
            unfinished.append(f"{path} is {summary.get('status')}")
    if not candidates:
        others = (f" ({', '.join(unfinished)}: name one with --run to use it anyway)"
                  if unfinished else "")
        raise NnfsError(f"no {'finished' if unfinished else 'trained'} run on pictures under "
                        f"{root}/{others}; train one with `nnfs train configs/fashion.yaml` "
                        "or choose a run with --run")
    return max(candidates)[2]


def run_notes(run, chosen):
    """What predict says on stderr about its run: which one and how good, when `chosen` for
    the user; a warning when the run did not finish training."""
    summary = run.summary
    notes = []
    if chosen:
        notes.append(f"using {run.path}, the newest finished run on pictures under runs/ "
                     f"({_score(summary)}); choose another with --run")
    status = summary.get("status")
    if status not in (None, "finished"):
        done, configured = summary.get("epochs"), summary.get("configured_epochs", "?")
        untrained = "; its parameters are the untrained initial ones" if done == 0 else ""
        notes.append(f"warning: {run.path} did not finish training ({status} after {done} of "
                     f"{configured} epochs){untrained}")
    return notes


def _score(summary):
    for split, name in (("test", "test"), ("val", "validation")):
        accuracy = summary.get(f"{split}_accuracy")
        if isinstance(accuracy, (int, float)):
            samples = summary.get(f"{split}_samples")
            over = f" on {count(samples, 'sample')}" if isinstance(samples, int) else ""
            return f"{name} accuracy {accuracy:.4f}{over}"
    return "no accuracy recorded"


def skipped_folders(args):
    """{directory given: its visible subfolders}, which a non-recursive listing leaves out."""
    skipped = {}
    for arg in map(Path, args):
        if arg.is_dir():
            inside = sorted(path.name for path in arg.iterdir()
                            if path.is_dir() and not path.name.startswith("."))
            if inside:
                skipped[arg] = inside
    return skipped


def list_inputs(args, recursive=False):
    """Paths as given, with each directory replaced by its visible files, sorted; with
    `recursive`, those of its visible subfolders too (not following linked folders)."""
    paths = []
    for arg in map(Path, args):
        if arg.is_dir():
            paths.extend(sorted(_visible_files(arg, recursive)))
        else:
            paths.append(arg)
    return paths


def _visible_files(folder, recursive):
    for path in folder.iterdir():
        if path.name.startswith("."):
            continue
        if path.is_file():
            yield path
        elif recursive and path.is_dir() and not path.is_symlink():
            yield from _visible_files(path, recursive)


def output_for(run, args, recursive, output, force=False, as_json=False):
    """The checked atomic.Output of `--output`: never one of the inputs or of the run's
    files, an existing file only with `force` (exit 2 otherwise, before any work)."""
    from nnfs_cli import atomic
    from nnfs_cli.runs import rundir
    protected = [(path, "is one of the inputs") for path in list_inputs(args, recursive)]
    target = atomic.user_output(output, "--output", force=force,
                                protected=protected + rundir.run_files(run.path))
    if target.to_stdout and as_json:
        raise BadUsage(f"--output {output} and --json would both write to standard output; "
                       "choose one")
    return target


def predict(run, args, top_k=3, invert="auto", recursive=False, output=None):
    """Predict every image or row named by `args` (directories mean their files, sorted).
    Returns (results, errors): result dicts in input order, and one message per bad file.
    `output` (a path or an atomic.Output) is where to write the predictions as CSV
    (predictions_csv.py)."""
    names, blocks, tables, errors = [], [], [], []
    for path in list_inputs(args, recursive):
        try:
            x = _read_input(run, path, invert)
        except ConfigError:   # a bad limit in the environment: no file's fault (exit 2)
            raise
        except NnfsError as error:
            errors.append(str(error))
            continue
        if not isinstance(x, Rows):
            names.append({"path": str(path)})
            x = Rows(x.reshape(1, -1))
        elif not len(x.x):   # no row could be read: each is named among the errors
            errors.extend(x.errors or ())
            continue
        elif x.lines is not None:   # rows of a table: named by their line in the file
            errors.extend(x.errors or ())   # rows that cannot be read: the others are predicted
            tables.append((x, len(names)))
            names += [{"path": str(path), "row": line} for line in x.lines]
        else:
            names += [{"path": f"{path}#{row}"} for row in range(len(x.x))]
        blocks.append(x.x.reshape(-1, run.n_inputs))
    if not blocks:
        return [], errors
    outputs = run.outputs(np.concatenate(blocks), BATCH)
    results = describe(run, outputs, names, top_k)
    if output is not None:
        from nnfs_cli.inference.predictions_csv import write_predictions
        probabilities = None if run.task == "regression" else run.class_scores(outputs)
        write_predictions(output, results, tables, probabilities, run.class_names)
    return results, errors


def describe(run, outputs, names, top_k=3):
    """One result dict per output row: `names[i]` (path, row) with the label, confidence and
    top k classes, or the value(s) on the target's own scale for a regression."""
    if run.task == "regression":
        values = run.data.restore_targets(outputs)
        return [{**name, "value": float(row[0])} if "row" in name and len(row) == 1
                else {**name, "values": [float(v) for v in row]}
                for name, row in zip(names, values)]
    scores = run.class_scores(outputs)
    k = min(top_k, scores.shape[1])
    return [_classified(name, row, run.class_names, k) for name, row in zip(names, scores)]


def model_inputs(run, samples):
    """Model inputs (n, inputs) float32 from samples given in Python, as the run's data files
    hold them and its ONNX export takes them: raw pixels 0-255 of the data set's picture
    size for picture runs ((n, 28, 28) for Fashion-MNIST, a single picture too), feature
    rows for generated and npz data, and for csv runs rows of the table's columns (a list
    of {column: value} dicts, a DataFrame, or rows in the training file's column order).
    Scaled as training scaled them; NnfsError for the wrong shape or non-finite values."""
    data = run.data
    if hasattr(data, "encode_records"):
        return data.encode_records(samples)
    try:
        x = np.asarray(samples)
    except (ValueError, TypeError) as error:
        raise NnfsError(f"expected an array of samples: {str(error)[:200]}") from None
    if x.dtype.kind not in "biuf":
        raise NnfsError(f"expected numbers, got an array of {x.dtype}")
    steps = data.input_preprocessing()
    shape = tuple(steps.raw_shape) if steps else tuple(run.input_shape)
    per_sample = math.prod(shape)
    if x.ndim >= 2 and math.prod(x.shape[1:]) == per_sample:
        n = len(x)
    elif x.size == per_sample and x.ndim <= len(shape):
        n = 1   # one sample
    else:
        raise NnfsError(f"samples of shape {x.shape[1:] if x.ndim > 1 else x.shape} do not fit: "
                        f"the model takes samples of shape {shape} ({per_sample} values each)")
    x = x.reshape(n, per_sample).astype(np.float32)
    bad = ~np.isfinite(x).all(axis=1)
    if bad.any():
        rows = ", ".join(map(str, np.flatnonzero(bad)[:5]))
        raise NnfsError(f"sample(s) {rows} hold NaN or infinite values")
    if steps is not None:
        x = steps.apply(x, (per_sample,))
    return x.reshape(n, -1)


def _classified(name, scores, class_names, k):
    best = np.argsort(-scores, kind="stable")[:k]
    top = [{"label": class_names[i], "index": int(i), "confidence": float(scores[i])} for i in best]
    return {**name, **top[0], "top_k": top}


def render(results, as_json=False):
    """What predict prints: a JSON list, or one line per result."""
    if as_json:
        # Inputs are finite, but an output can still overflow: null, never invalid JSON.
        return json_text.dumps(results, indent=2) + "\n"
    return "".join(format_result(result) + "\n" for result in results)


def format_result(result):
    """One line: `shirt.jpg: Shirt 0.81 (Shirt 0.81, T-shirt/top 0.12, Pullover 0.04)`;
    rows of a table are named by their line: `rows.csv:12: benign 0.97 (...)`."""
    where = result["path"] + (f":{result['row']}" if "row" in result else "")
    if "value" in result:
        line = f"{where}: {result['value']:.6g}"
    elif "values" in result:
        line = f"{where}: " + " ".join(f"{value:.6g}" for value in result["values"])
    else:
        top = ", ".join(f"{item['label']} {item['confidence']:.2f}" for item in result["top_k"])
        line = f"{where}: {result['label']} {result['confidence']:.2f} ({top})"
    return printable(line)   # a class name or a path with a line break stays one line


def _read_input(run, path, invert):
    """A picture -> (n_inputs,); a .npy or .csv file -> Rows, prepared the way the run's data
    set prepared its training data."""
    data = run.data
    if path.suffix.lower() in ROW_SUFFIXES:
        if "rows" not in data.predict_inputs:
            raise NnfsError(f"{path}: this model takes pictures, not rows of features")
        return data.read_rows(path, run.n_inputs)
    if "images" not in data.predict_inputs:
        raise NnfsError(f"{path}: this model takes rows of {run.n_inputs} feature(s), "
                        "not pictures; give .npy or .csv files")
    from nnfs_cli.data import photos
    image = data.read_picture(path)
    if data.refuses_blank_pictures and photos.almost_blank(image):
        # A model still answers for a blank picture ("Sandal 0.69"): say there is nothing.
        raise NnfsError(f"{path}: the image is almost blank (nothing in it stands out from "
                        "its background), so there is nothing to classify")
    x = data.prepare_image(image, invert)
    if x.size != run.n_inputs:
        raise NnfsError(f"{run.params_path}: the model takes {run.n_inputs} inputs, "
                        f"but {data.name} pictures give {x.size}")
    return x.reshape(-1)
