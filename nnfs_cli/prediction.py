"""`nnfs predict`: a saved run's predictions for pictures (Fashion-MNIST models) or for rows
of features in .npy and .csv files (any model)."""

import json
import warnings
from pathlib import Path

import numpy as np

from nnfs_cli import images
from nnfs_cli.errors import NnfsError
from nnfs_cli.fashion_data import FashionMNIST
from nnfs_cli.saved_run import read_summary

ROW_SUFFIXES = (".npy", ".csv")
BATCH = 1024


def newest_run(root="runs"):
    """The finished Fashion-MNIST run under `root` whose summary.json was written last."""
    candidates = []
    for path in Path(root).iterdir() if Path(root).is_dir() else ():
        summary_path = path / "summary.json"
        if not (path / "params.pkl").is_file() or not summary_path.is_file():
            continue
        try:
            summary = read_summary(summary_path)
        except NnfsError:
            continue
        # Runs from before `status` existed wrote summary.json only when finished.
        finished = summary.get("status", "finished") == "finished"
        if summary.get("data") == FashionMNIST.name and finished:
            candidates.append((summary_path.stat().st_mtime_ns, path.name, path))
    if not candidates:
        raise NnfsError(f"no trained Fashion-MNIST run under {root}/; train one with "
                        "`nnfs train configs/fashion.yaml` or choose a run with --run")
    return max(candidates)[2]


def predict(run, args, top_k=3, invert="auto"):
    """Predict every image or row named by `args` (directories mean their files, sorted).
    Returns (results, errors): result dicts in input order, and one message per bad file."""
    names, rows, errors = [], [], []
    for path in images.list_images(args):
        try:
            x = _read_input(run, path, invert)
        except NnfsError as error:
            errors.append(str(error))
            continue
        names += [str(path)] if x.ndim == 1 else [f"{path}#{row}" for row in range(len(x))]
        rows.append(x.reshape(-1, run.n_inputs))
    if not rows:
        return [], errors
    outputs = run.outputs(np.concatenate(rows), BATCH)
    if run.task == "regression":
        return [{"path": name, "values": [float(v) for v in out]}
                for name, out in zip(names, outputs)], errors
    scores = run.class_scores(outputs)
    k = min(top_k, scores.shape[1])
    return [_classified(name, row, run.class_names, k) for name, row in zip(names, scores)], errors


def _classified(name, scores, class_names, k):
    best = np.argsort(-scores, kind="stable")[:k]
    top = [{"label": class_names[i], "index": int(i), "confidence": float(scores[i])} for i in best]
    return {"path": name, **top[0], "top_k": top}


def render(results, as_json=False):
    """What predict prints: a JSON list, or one line per result."""
    if as_json:
        return json.dumps(results, indent=2) + "\n"
    return "".join(format_result(result) + "\n" for result in results)


def format_result(result):
    """One line: `shirt.jpg: Shirt 0.81 (Shirt 0.81, T-shirt/top 0.12, Pullover 0.04)`."""
    if "values" in result:
        return f"{result['path']}: " + " ".join(f"{value:.6g}" for value in result["values"])
    top = ", ".join(f"{item['label']} {item['confidence']:.2f}" for item in result["top_k"])
    return f"{result['path']}: {result['label']} {result['confidence']:.2f} ({top})"


def _read_input(run, path, invert):
    """A picture -> (784,); a .npy or .csv file -> (rows, n_inputs)."""
    if path.suffix.lower() in ROW_SUFFIXES:
        return read_rows(path, run.n_inputs)
    if not isinstance(run.data, FashionMNIST):
        raise NnfsError(f"{path}: this model takes rows of {run.n_inputs} feature(s), "
                        "not pictures; give .npy or .csv files")
    if run.n_inputs != images.SIZE ** 2:
        raise NnfsError(f"{run.params_path}: the model takes {run.n_inputs} inputs, "
                        f"not {images.SIZE}x{images.SIZE} pictures")
    return images.prepare_image(images.read_image(path), invert)


def read_rows(path, n_inputs):
    """Feature rows from .npy (a 1-D array is one row, or one column for a 1-input model)
    or .csv (comma-separated, an optional header line), checked against `n_inputs`."""
    try:
        if path.suffix.lower() == ".npy":
            x = np.load(path, allow_pickle=False)
        else:
            x = _load_csv(path)
    except FileNotFoundError:
        raise NnfsError(f"{path}: no such file") from None
    except (OSError, ValueError, EOFError) as error:
        kind = "a .npy array" if path.suffix.lower() == ".npy" else "a CSV file of numbers"
        raise NnfsError(f"{path}: not {kind} ({_first_line(error)})") from None
    if x.dtype.kind not in "fiu":
        raise NnfsError(f"{path}: expected numbers, got an array of {x.dtype}")
    if x.ndim == 1:
        x = x.reshape(-1, 1) if n_inputs == 1 else x.reshape(1, -1)
    if x.ndim != 2 or len(x) == 0:
        raise NnfsError(f"{path}: expected rows of features, got an array of shape {x.shape}")
    if x.shape[1] != n_inputs:
        raise NnfsError(f"{path}: rows have {x.shape[1]} value(s), but the model takes "
                        f"{n_inputs} input(s)")
    return x.astype(np.float32)


def _load_csv(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty file warns; the row check reports it
        try:
            return np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
        except ValueError:
            return np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64, skiprows=1)


def _first_line(error):
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
