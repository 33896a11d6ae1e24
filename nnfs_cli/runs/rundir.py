"""The run directory: config.yaml, params.pkl, metrics.csv, train.log, summary.json.
Every file is written to a temporary name and renamed (atomic.py)."""

import csv
import io
import json
import time
from pathlib import Path

import yaml

from nnfs_cli import atomic
from nnfs_cli.errors import BadUsage, NnfsError
from nnfs_cli.runs import safe_pickle

METRIC_COLUMNS = ("epoch", "loss", "data_loss", "reg_loss", "accuracy",
                  "val_loss", "val_accuracy", "lr", "seconds")


def default_path(config_path, root="runs"):
    """runs/<config stem>-<YYYYmmdd-HHMMSS>, with a suffix if that name is taken."""
    base = Path(root) / f"{Path(config_path).stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, suffix = base, 1
    while path.exists():
        suffix += 1
        path = base.with_name(f"{base.name}-{suffix}")
    return path


def check_new(path):
    """BadUsage unless `path` is free for a new run: missing, or an empty directory."""
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BadUsage(f"run directory {path} already exists; choose another --run-dir")
    return path


def existing(path):
    """`path` as a Path if it is a run directory (it has config.yaml); else BadUsage, with
    the one message that `train --resume`, `evaluate` and `predict --run` give."""
    path = Path(path)
    if not path.is_dir():
        raise BadUsage(f"{path}: no such run directory")
    if not (path / "config.yaml").is_file():
        raise BadUsage(f"{path}: not a run directory (it has no config.yaml)")
    return path


def create(path):
    """Make a new, empty run directory; an existing non-empty one is never overwritten."""
    path = check_new(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise NnfsError(f"cannot create run directory {path}: {error.strerror}") from None
    return path


def dump_config(config):
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=None)


def write_config(run_dir, config):
    atomic.write_text(Path(run_dir) / "config.yaml", dump_config(config))


def write_params(run_dir, parameters, name="params.pkl"):
    """A pickled list with one tuple of arrays per layer that has parameters, in stack order
    (`Model.get_parameters`). For dense layers that is the book's list of (weights, biases),
    which its `Model.load_parameters` reads."""
    safe_pickle.dump([tuple(arrays) for arrays in parameters], Path(run_dir) / name)


def write_metrics(run_dir, rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=METRIC_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_value(row[key]) for key in METRIC_COLUMNS})
    atomic.write_text(Path(run_dir) / "metrics.csv", buffer.getvalue())


def _csv_value(value):
    return f"{value:.8g}" if isinstance(value, float) else value


def write_checkpoint(run_dir, state):
    safe_pickle.dump(state, Path(run_dir) / "checkpoint.pkl")


def read_checkpoint(run_dir):
    path = Path(run_dir) / "checkpoint.pkl"
    if not path.exists():
        raise NnfsError(f"{path}: no checkpoint to resume from")
    state = safe_pickle.load(path)
    if not isinstance(state, dict) or "trainer" not in state:
        raise NnfsError(f"{path}: not a checkpoint written by nnfs")
    return state


def read_log(run_dir):
    path = Path(run_dir) / "train.log"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def write_log(run_dir, lines):
    atomic.write_text(Path(run_dir) / "train.log", "\n".join(lines) + "\n")


def write_summary(run_dir, summary):
    atomic.write_text(Path(run_dir) / "summary.json", json.dumps(summary, indent=2) + "\n")
