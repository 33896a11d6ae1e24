"""`nnfs runs`: the run directories under runs/, read from their summary.json and config.yaml.
One bad run never stops the listing: it shows as `unreadable`.

Newest start last. A default name holds its start (runs/spiral-20261127-101500); for other
names it is the last write of summary.json less the wall time recorded there (later than
the real start for a run resumed after a pause).

Statuses: finished, interrupted, diverged, pruned (a sweep's pruner stopped it early), as
summary.json says; running (it says running and its process is alive on this machine);
killed (it says running but the process is gone: SIGKILL, a crash, a power cut; `--resume`
continues from the last checkpoint if there is one); created (config.yaml but no
summary.json: training never started); unreadable.
"""

import datetime
import json
import math
import os
import re
import time
from pathlib import Path

from nnfs_cli import files, json_text, limits
from nnfs_cli.config import safe_yaml
from nnfs_cli.errors import BadUsage, NnfsError
from nnfs_cli.reporter import printable

COLUMNS = (("run", "<"), ("data", "<"), ("epochs", ">"), ("best", ">"),
           ("val_acc", ">"), ("time", ">"), ("status", "<"))
MONITOR = re.compile(r"val_[a-z0-9_]{1,40}$")   # what training.early_stopping.monitor may name
RUN_FILES = ("summary.json", "config.yaml")
_STAMP = re.compile(r"-(\d{8}-\d{6})(?:-\d+)?$")   # rundir.claim's default names


def config_stem(name):
    """The config's name in a default run name: `spiral` for spiral-20261127-101500(-2)."""
    return _STAMP.sub("", name)


def list_runs(root="runs", missing_ok=False):
    """One dict per run directory in `root`, newest start last; [] for a missing `root`
    when `missing_ok` (no run has been trained here yet)."""
    root = Path(root)
    if not root.exists():
        if missing_ok:
            return []
        raise BadUsage(f"{root}: no such directory")
    if not root.is_dir():
        raise BadUsage(f"{root}: not a directory")
    try:
        paths = list(root.iterdir())
    except OSError as error:
        raise NnfsError(f"{root}: cannot read: {error.strerror or error}") from None
    keyed = []
    for path in paths:
        try:
            if not path.is_dir() or not any((path / name).exists() for name in RUN_FILES):
                continue
            run, started = read_run(path)
        # One broken run (a directory we may not read, a file that is a FIFO, a crafted
        # summary) shows as unreadable; it never stops the listing of the others.
        except Exception:
            run, started = {**_blank(path), "status": "unreadable"}, _mtime(path) or 0.0
        keyed.append((started, run["name"], run))
    return [run for _, _, run in sorted(keyed, key=lambda item: item[:2])]


def read_run(path):
    """(entry, start time as a timestamp) of the run directory `path`."""
    path = Path(path)
    config = _read_config(path / "config.yaml")
    training, data = config.get("training"), config.get("data")
    run = {**_blank(path), "status": "created", "epochs": 0,
           "data": _text(data.get("name") if isinstance(data, dict) else data),
           "configured_epochs": _number(training.get("epochs") if isinstance(training, dict)
                                        else None, int)}
    summary_path = path / "summary.json"
    started = _mtime(summary_path) or _mtime(path / "config.yaml") or 0.0
    if summary_path.exists():
        summary = _read_summary(summary_path)
        if summary is None:
            run.update(status="unreadable", epochs=None)
        else:
            run.update(_from_summary(summary), data=_text(summary.get("data")) or run["data"])
            # The wall time up to its last write, back from that write: when the run began
            # (later than that if it was resumed after a pause).
            started -= min(run["seconds"] or 0.0, started)
    started = _stamp(path.name) or started
    run["started"] = _iso(started)
    return run, started


def _blank(path):
    return {"name": path.name, "path": str(path), "status": None, "data": None, "task": None,
            "val_r2": None,
            "epochs": None, "configured_epochs": None, "best_epoch": None,
            "best_monitor": None, "best_value": None, "best_val_accuracy": None,
            "val_accuracy": None, "early_stopped": None,
            "seconds": None, "started": None}


def _from_summary(summary):
    best = summary.get("best") if isinstance(summary.get("best"), dict) else {}
    status = summary.get("status")
    if status == "running" and not alive(summary.get("pid")):
        status = "killed"
    # "best" is the epoch with the best monitored value (val_loss unless early stopping
    # says otherwise): its val_accuracy may be lower than the last epoch's.
    monitor = best.get("monitor")
    monitor = monitor if isinstance(monitor, str) and MONITOR.match(monitor) else None
    entry = {"status": _text(status) or "unreadable",
             "epochs": _number(summary.get("epochs"), int),
             "best_epoch": _number(best.get("epoch"), int),
             "best_monitor": monitor,
             "best_value": _number(best.get(monitor)) if monitor else None,
             "best_val_accuracy": _number(best.get("val_accuracy")),
             "val_accuracy": _number(summary.get("val_accuracy")),
             "val_r2": _number(summary.get("val_r2")),
             "task": _text(summary.get("task")),
             "early_stopped": summary.get("early_stopped") if isinstance(
                 summary.get("early_stopped"), bool) else None,
             "seconds": _number(summary.get("seconds"), positive=True)}
    # What the run is training to (a resume with --epochs changes it), from its start.
    configured = _number(summary.get("configured_epochs"), int)
    if configured is not None:
        entry["configured_epochs"] = configured
    return entry


def alive(pid):
    """Whether process `pid` exists on this machine (a recycled pid fools it, rarely)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False   # os.kill(0 or -1, ...) would mean a whole process group
    if os.name != "posix":
        return True    # on Windows os.kill(pid, 0) terminates the process
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True    # someone else's process
    except (OSError, OverflowError):
        return False
    return True


def _read_summary(path):
    try:
        summary = json.loads(files.read_bytes(path, limits.SUMMARY_BYTES))
    except (NnfsError, ValueError, RecursionError):
        return None
    return summary if isinstance(summary, dict) else None


def _read_config(path):
    try:
        config = safe_yaml.load(files.read_text(path, limits.CONFIG_BYTES))
    except (NnfsError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def _mtime(path):
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _stamp(name):
    """The start time in a default run name (runs/spiral-20261127-101500), or None."""
    match = _STAMP.search(name)
    try:
        return time.mktime(time.strptime(match.group(1), "%Y%m%d-%H%M%S")) if match else None
    except (ValueError, OverflowError):
        return None


def _iso(timestamp):
    try:
        return (datetime.datetime.fromtimestamp(timestamp).astimezone()
                .isoformat(timespec="seconds") if timestamp else None)
    except (ValueError, OverflowError, OSError):
        return None


def _number(value, kind=float, positive=False):
    """A finite number from a file, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or positive and value < 0:
        return None
    try:
        return kind(value) if math.isfinite(value) else None
    except OverflowError:   # an integer too large for a float
        return None


def _text(value):
    """A string from a file, safe to print on one line; None for anything else."""
    if not isinstance(value, str):
        return None
    return printable(value)


# --- output ----------------------------------------------------------------------------


def to_json(runs):
    return json_text.dumps(runs, indent=2)


def _score(run):
    """The last validation accuracy; R² for a regression (whose accuracy is the book's)."""
    if run.get("task") == "regression":
        value = run.get("val_r2")
        return "-" if value is None else f"r2 {value:.4f}" if value > -1000 else f"r2 {value:.3g}"
    return _accuracy(run["val_accuracy"])


def format_table(runs):
    """Aligned lines: a header, then one row per run."""
    rows = [[_text(run["name"]), run["data"] or "-", _epochs(run), _best(run),
             _score(run),
             _duration(run["seconds"]), run["status"]] for run in runs]
    headers = [name for name, _ in COLUMNS]
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows)]
    return ["  ".join(f"{cell:{align}{width}}" for cell, (_, align), width
                     in zip(row, COLUMNS, widths)).rstrip() for row in [headers, *rows]]


def _epochs(run):
    done, configured = run["epochs"], run["configured_epochs"]
    if done is None and configured is None:
        return "-"
    return f"{'?' if done is None else done}/{'?' if configured is None else configured}"


def _best(run):
    """`val_loss 0.3012 @7`: the monitored value at the best epoch, and that epoch."""
    if run["best_value"] is None:
        return "-"
    epoch = "" if run["best_epoch"] is None else f" @{run['best_epoch']}"
    return f"{run['best_monitor']} {run['best_value']:.4f}{epoch}"


def _accuracy(value):
    return "-" if value is None else f"{value:.4f}"


def _duration(seconds):
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
