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
from nnfs_cli.runs.saved import read_summary, unfinished_warning

# Rows per forward pass. 256, not 1024: a CNN's activations and window buffers for 1024
# pictures (88 and 143 MB) are new memory mapped and faulted in for every batch, which cost
# 0.7 s of the 3.5 s that 10,000 pictures took (bench/README.md, 7 Dec).
BATCH = 256


def newest_run(inputs=(), root="runs"):
    """The run under `root` that `nnfs predict INPUTS` uses without --run: the newest
    finished one whose data set takes these inputs (pictures; rows of a csv run's columns,
    or as many features as the model takes), one trained on all its data before one with
    data.limit. A diverged or unfinished run is used only when --run names it."""
    wanted = _wanted(inputs)
    candidates, unfinished, other = [], [], []
    for path in sorted(Path(root).iterdir()) if Path(root).is_dir() else ():
        summary_path = path / "summary.json"
        if not (path / "params.pkl").is_file() or not summary_path.is_file():
            continue
        try:
            summary = read_summary(summary_path)
        except NnfsError:
            continue
        if not _takes(summary, wanted):
            other.append(path.name)
        elif summary.get("status") == "finished":
            full = _data_limit(path) is None
            candidates.append((full, summary_path.stat().st_mtime_ns, path.name, path))
        else:
            unfinished.append(f"{path} is {summary.get('status')}")
    if not candidates:
        others = (f" ({', '.join(unfinished)}: name one with --run to use it anyway)"
                  if unfinished else "")
        what = wanted.describe()
        hint = ("train one with `nnfs train configs/fashion.yaml`" if wanted.pictures
                else "train one on such rows")
        elsewhere = (f"; the runs there take other inputs ({_names(other)})" if other else "")
        raise NnfsError(f"no {'finished' if unfinished else 'trained'} run {what} under "
                        f"{root}/{others}{elsewhere}; {hint} or choose a run with --run")
    return max(candidates)[3]


class _Wanted:
    """What the inputs of a predict call are: pictures, rows, and a CSV file's header."""

    def __init__(self, pictures, rows, header):
        self.pictures, self.rows, self.header = pictures, rows, header

    def describe(self):
        if self.pictures or not self.rows:
            return "on pictures"
        return "that takes these rows" if self.header is None else (
            f"that takes rows with the columns {_names(self.header)}")


def _wanted(inputs):
    paths = [Path(path) for path in inputs]
    rows = [path for path in paths if path.suffix.lower() in ROW_SUFFIXES]
    pictures = len(rows) < len(paths) or not paths
    csv = next((path for path in rows if path.suffix.lower() == ".csv" and path.is_file()),
               None)
    return _Wanted(pictures, bool(rows), _csv_header(csv) if csv else None)


def _csv_header(path, limit=1 << 16):
    """The column names of a CSV file's first line (at most `limit` bytes read), or None."""
    import csv
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
            line = f.readline(limit)
    except OSError:
        return None
    names = next(csv.reader([line]), None)
    return [name.strip() for name in names] if names else None


def _takes(summary, wanted):
    """Whether the run of `summary` takes the inputs `wanted` describes."""
    data = summary.get("data")
    if data not in DATASETS:
        return False
    accepted = DATASETS.get(data).predict_inputs
    if wanted.pictures and "images" not in accepted or wanted.rows and "rows" not in accepted:
        return False
    if wanted.header is None:
        return True
    state = summary.get("data_state")
    features = state.get("features") if isinstance(state, dict) else None
    if isinstance(features, list) and features:   # a csv run: its columns, by name
        names = [feature.get("name") for feature in features if isinstance(feature, dict)]
        return set(names) <= set(wanted.header)
    shape = summary.get("input_shape")
    n_inputs = math.prod(shape) if isinstance(shape, list) and all(
        isinstance(size, int) for size in shape) else None
    # Rows of plain numbers, with or without a header line: as many as the model takes.
    return n_inputs == len(wanted.header)


def _data_limit(path):
    """The run's data.limit (a quick experiment on part of the data), or None."""
    from nnfs_cli.runs.listing import read_config   # bounded and safe, never raises
    data = read_config(path / "config.yaml").get("data")
    limit = data.get("limit") if isinstance(data, dict) else None
    return limit if isinstance(limit, int) and not isinstance(limit, bool) else None


def _names(names, shown=5):
    names = [printable(str(name)) for name in names]
    return ", ".join(names[:shown]) + (f", ... ({len(names)} in all)" if len(names) > shown
                                       else "")


def run_notes(run, chosen, inputs=()):
    """What predict says on stderr about its run: which one and how good, when `chosen` for
    the user (loudly when it trained on part of its data); a warning when the run did not
    finish training."""
    summary = run.summary
    notes = []
    if chosen:
        notes.append(f"using {run.path}, the newest finished run {_wanted(inputs).describe()} "
                     f"under runs/ ({score(summary)}); choose another with --run")
        limit = _data_limit(Path(run.path))
        if limit is not None:
            notes.append(f"warning: {run.path} trained on part of its data (data.limit: "
                         f"{limit:,}), and no run on all of it takes these inputs")
    notes.extend(unfinished_warning(summary, run.path))
    return notes


def score(summary):
    """`test accuracy 0.8729 on 10,000 samples`, or the validation one, from summary.json."""
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


def predict(run, args, top_k=3, invert="auto", recursive=False, output=None, prepare="auto"):
    """Predict every image or row named by `args` (directories mean their files, sorted).
    Returns (results, errors): result dicts in input order, and one message per bad file.
    `output` (a path or an atomic.Output) is where to write the predictions as CSV
    (predictions_csv.py)."""
    names, blocks, tables, errors = [], [], [], []
    for path in list_inputs(args, recursive):
        try:
            x = _read_input(run, path, invert, prepare)
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
        else:   # rows, named `file:N`: by their line in a CSV file, from 1 in a .npy
            errors.extend(x.errors or ())   # rows that cannot be read: the others are predicted
            if x.header is not None:   # a table's rows, written back by --output
                tables.append((x, len(names)))
            names += [{"path": str(path), "row": line} for line in (
                x.lines if x.lines is not None else range(1, len(x.x) + 1))]
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


def _read_input(run, path, invert, prepare="auto"):
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
    return picture_input(run, data.read_picture(path), path, invert, prepare)


def picture_input(run, image, where, invert="auto", prepare="auto"):
    """A decoded picture (as the data set's read_picture or decode_picture gives it) -> the
    model's flat input, prepared as training data was; `where` names it in a message."""
    from nnfs_cli.data import photos
    data = run.data
    if data.refuses_blank_pictures and photos.almost_blank(image):
        # A model still answers for a blank picture ("Sandal 0.69"): say there is nothing.
        raise NnfsError(f"{where}: the image is almost blank (nothing in it stands out from "
                        "its background), so there is nothing to classify")
    x = data.prepare_image(image, invert, prepare)
    if x.size != run.n_inputs:
        raise NnfsError(f"{run.params_path}: the model takes {run.n_inputs} inputs, "
                        f"but {data.name} pictures give {x.size}")
    return x.reshape(-1)
