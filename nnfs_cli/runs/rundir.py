"""The run directory: config.yaml, params.pkl, metrics.csv, train.log, summary.json.
Every file is written to a temporary name and renamed (atomic.py); one process writes a
run directory at a time (its lock file, `.lock`, holds the writer's pid)."""

import contextlib
import csv
import io
import os
import stat
import time
from pathlib import Path

import yaml

from nnfs_cli import atomic, files, json_text, limits
from nnfs_cli.errors import BadUsage, NnfsError
from nnfs_cli.runs import safe_pickle

try:
    import fcntl
except ImportError:   # Windows
    fcntl = None
    import msvcrt

METRIC_COLUMNS = ("epoch", "loss", "data_loss", "reg_loss", "accuracy",
                  "val_loss", "val_accuracy", "lr", "seconds")
LOCK = ".lock"
NAME_CHARS = 100   # bytes of the config's name in a default run name (a name has 255 at most)
# What nnfs writes into a run directory (train, evaluate, export): never another command's
# output (predict --output, export -o), whatever --force says.
RUN_FILES = ("config.yaml", "params.pkl", "params_best.pkl", "checkpoint.pkl", "metrics.csv",
             "train.log", "curves.png", "summary.json", "eval.json", "eval_best.json",
             "confusion_matrix.png", "confusion_matrix_best.png", "decision_regions.png",
             "decision_regions.gif", LOCK)
EXPORTS = tuple(f"model{best}.{kind}" for best in ("", "_best") for kind in ("onnx", "npz"))


def run_files(run_dir, names=RUN_FILES + EXPORTS):
    """(path, why) of each of the run's own files that exists, for atomic.user_output."""
    run_dir = Path(run_dir)
    return [(run_dir / name, f"is {name}, a file of the run {run_dir}") for name in names
            if os.path.lexists(run_dir / name)]


@contextlib.contextmanager
def claim(path=None, stem="run", root="runs"):
    """Make a new run directory and hold its lock for the block; yields its path.

    `path` (--run-dir) may already exist if it is empty. Without it the name is
    root/<stem>-<YYYYmmdd-HHMMSS>, made by one `mkdir` that fails if the name is taken
    (so two runs never share one), then -2, -3...
    """
    if path is None:
        path = _make_default(stem, root)
    else:
        path = Path(path)
        _make(path)
    with lock(path):
        try:
            used = any(entry.name != LOCK for entry in path.iterdir())
        except OSError as error:
            raise NnfsError(f"cannot read run directory {path}: {error.strerror}") from None
        if used:
            raise BadUsage(f"run directory {path} already exists; choose another --run-dir")
        yield path


def check_new(path):
    """BadUsage unless `path` is free for a new run: missing, or an empty directory (None,
    a default name to be made, always is)."""
    if path is None:
        return None
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BadUsage(f"run directory {path} already exists; choose another --run-dir")
    return path


LATEST = "latest"


def existing(path):
    """`path` as a Path if it is a run directory (it has config.yaml); else BadUsage, with
    the one message that `train --resume`, `evaluate` and `predict --run` give. `latest`
    (when no such folder is here) names the newest run under runs/, `latest-NAME` the newest
    of the config NAME (runs/NAME-<date>-<time>)."""
    path = Path(path)
    if not path.exists() and _is_latest(str(path)):
        path = latest(str(path))
    if not path.is_dir():
        raise BadUsage(f"{path}: no such run directory")
    if not (path / "config.yaml").is_file():
        raise BadUsage(f"{path}: not a run directory (it has no config.yaml)")
    return path


def _is_latest(text):
    return text == LATEST or text.startswith(LATEST + "-")


def latest(name, root="runs"):
    """The run directory `latest` or `latest-NAME` stands for (see existing)."""
    from nnfs_cli.runs.listing import config_stem, list_runs
    stem = name[len(LATEST) + 1:] or None
    runs = [run for run in list_runs(root, missing_ok=True)
            if stem is None or config_stem(run["name"]) == stem]
    if not runs:
        if stem is None:
            raise BadUsage(f"{name}: no runs under {root}/ yet; train one first")
        stems = sorted({config_stem(run["name"]) for run in list_runs(root, missing_ok=True)})
        known = f" (there are runs of {', '.join(stems)})" if stems else ""
        raise BadUsage(f"{name}: no run of {stem} under {root}/{known}")
    return Path(runs[-1]["path"])


def _make(path):
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir()
    except FileExistsError:
        if not path.is_dir():
            raise BadUsage(f"run directory {path} already exists; choose another --run-dir")
    except OSError as error:
        raise NnfsError(f"cannot create run directory {path}: {error.strerror}") from None


def _make_default(stem, root):
    stem = os.fsdecode(os.fsencode(stem)[:NAME_CHARS])   # bytes: names are limited in bytes
    base = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        Path(root).mkdir(parents=True, exist_ok=True)
        for suffix in range(1, 1000):
            path = Path(root) / (base if suffix == 1 else f"{base}-{suffix}")
            try:
                path.mkdir()
                return path
            except FileExistsError:
                continue
    except OSError as error:
        raise NnfsError(f"cannot create a run directory in {root}: {error.strerror}") from None
    raise NnfsError(f"cannot find a free name for a run directory in {root}; "
                    "choose one with --run-dir")


@contextlib.contextmanager
def lock(run_dir):
    """Hold `run_dir`'s lock for the block, or fail at once if another process holds it.

    The lock file holds the holder's pid. The kernel drops the lock (flock) when its
    process ends, however it ends, so a lock file a killed run left behind is stale and
    simply taken over.
    """
    path = Path(run_dir) / LOCK
    fd = _acquire(path)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _acquire(path):
    for _ in range(100):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as error:
            raise NnfsError(f"cannot lock {path}: {error.strerror or error}") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise NnfsError(f"cannot lock {path}: not a regular file")
            if fcntl:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            os.close(fd)
            raise NnfsError(_in_use(path)) from None
        # The last holder removes the file as it lets go: hold the file now at `path`.
        try:
            current = os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
        except OSError:
            current = False
        if current:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)
    raise NnfsError(f"cannot lock {path}: it keeps changing")


def _in_use(path):
    """Who holds the lock file `path`, as the message of a refusal."""
    try:
        text = files.read_bytes(path, 64).decode("ascii", "replace").strip()
    except NnfsError:
        text = ""
    who = f"process {text}" if text.isdigit() else "another process"
    return (f"run directory {path.parent} is in use by {who} (its lock is {path}); "
            "one process writes a run at a time")


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
    """metrics.csv: METRIC_COLUMNS, then the `metrics` scores the rows hold (f1_macro,
    val_f1_macro...); an empty cell where a score has no value."""
    columns = list(METRIC_COLUMNS)
    columns += [key for key in dict.fromkeys(key for row in rows for key in row)
                if key not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_value(row.get(key)) for key in columns})
    atomic.write_text(Path(run_dir) / "metrics.csv", buffer.getvalue())


def read_metrics(run_dir):
    """metrics.csv as a list of {column: float} (epoch an int, an empty cell None); [] when
    the run has none yet."""
    path = Path(run_dir) / "metrics.csv"
    if not path.exists():
        return []
    text = files.read_bytes(path, limits.LOG_BYTES).decode("utf-8", "replace")
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        try:
            rows.append({key: (int(value) if key == "epoch" else float(value) if value else None)
                         for key, value in row.items() if key is not None})
        except (TypeError, ValueError):
            raise NnfsError(f"{path}: not a metrics file of nnfs (line {len(rows) + 2})") from None
    return rows


def _csv_value(value):
    return f"{value:.8g}" if isinstance(value, float) else value


def write_checkpoint(run_dir, state):
    safe_pickle.dump(state, Path(run_dir) / "checkpoint.pkl")


def read_checkpoint(run_dir):
    """checkpoint.pkl as unpickled; training/checkpoint.py checks what it holds."""
    path = Path(run_dir) / "checkpoint.pkl"
    if not path.exists():
        raise NnfsError(f"{path}: no checkpoint to resume from")
    return safe_pickle.load(path)


def read_log(run_dir):
    path = Path(run_dir) / "train.log"
    if not path.exists():
        return []
    data = files.read_bytes(path, limits.LOG_BYTES)
    return data.decode("utf-8", "replace").splitlines()


def write_log(run_dir, lines):
    atomic.write_text(Path(run_dir) / "train.log", "\n".join(lines) + "\n")


def write_summary(run_dir, summary):
    atomic.write_text(Path(run_dir) / "summary.json", json_text.dumps(summary, indent=2) + "\n")
