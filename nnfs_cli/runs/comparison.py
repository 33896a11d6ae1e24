"""`nnfs runs --compare`: several runs side by side, their learning curves on one figure
(a colour per run, validation solid, training dashed, the best epoch marked) and a table of
their final figures and of the config keys whose values differ."""

import io
import math
from pathlib import Path

from nnfs_cli.config import safe_yaml
from nnfs_cli import files, limits
from nnfs_cli.errors import BadUsage, NnfsError
from nnfs_cli.runs import rundir
from nnfs_cli.runs.listing import read_run
from nnfs_cli.runs.saved import read_summary

HIDDEN = ("seed", "checkpoint_seconds", "print_every", "path", "test_path")


def load(paths):
    """[{name, path, config, history, summary}] of the run directories `paths` (names such
    as `latest` too); BadUsage for fewer than two or for one that is not a run."""
    if len(paths) < 2:
        raise BadUsage("--compare takes two or more run directories (a shell pattern such as "
                       "runs/sweeps/NAME/trial-* names many)")
    loaded = []
    for given in paths:
        path = rundir.existing(given)
        entry, _ = read_run(path)
        loaded.append({"name": _name(path, paths), "path": path, "entry": entry,
                       "config": _config(path / "config.yaml"),
                       "history": rundir.read_metrics(path),
                       "summary": read_summary(path / "summary.json")})
    return loaded


def _name(path, paths):
    """The folder's name, or with its parent's when two compared runs share a name."""
    names = [Path(p).resolve().name for p in paths]
    return path.name if names.count(path.resolve().name) == 1 else f"{path.parent.name}/{path.name}"


def _config(path):
    try:
        text = files.read_bytes(path, limits.CONFIG_BYTES).decode("utf-8")
        config = safe_yaml.load(text)
    except (files.UnreadableFile, UnicodeDecodeError, safe_yaml.YamlProblem) as error:
        raise NnfsError(f"{path}: not a readable config: {str(error)[:200]}") from None
    return config if isinstance(config, dict) else {}


def check_metric(runs, metric):
    """`metric` names a column the runs' metrics.csv hold (accuracy, f1_macro, val_r2...)."""
    base = metric.removeprefix("val_")
    columns = set().union(*(row.keys() for run in runs for row in run["history"]))
    if base not in columns and f"val_{base}" not in columns:
        shown = sorted(name for name in columns if not name.startswith("val_")
                       and name not in ("epoch", "seconds"))
        extra = sorted(name[4:] for name in columns if name.startswith("val_")
                       and name[4:] not in columns)
        raise BadUsage(f"--metric {metric}: the runs have no such figure; choose from "
                       f"{', '.join(shown + extra)}")
    return base


def flatten(config):
    """{key path: value} of a config's settings: `optimizer.learning_rate`,
    `model[0].dense.units`..."""
    flat = {}

    def walk(value, path):
        if isinstance(value, dict):
            if not value and path.startswith("model["):
                flat[path] = ""   # a bare layer name: `relu`
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list) and path == "model":
            for index, item in enumerate(value):
                walk(item if isinstance(item, dict) else {item: {}}, f"model[{index}]")
        elif isinstance(value, list):
            flat[path] = "[" + ", ".join(map(str, value)) + "]"
        elif isinstance(value, (bool, int, float, str)) or value is None:
            flat[path] = value
        else:
            flat[path] = str(value)

    walk({key: value for key, value in config.items() if key != "logging"}, "")
    return flat


def differences(runs):
    """[(key path, [value per run])] of the settings that are not the same in every run."""
    flats = [flatten(run["config"]) for run in runs]
    keys = list(dict.fromkeys(key for flat in flats for key in flat))
    missing = object()
    found = []
    for key in keys:
        if key.rsplit(".", 1)[-1] in HIDDEN:
            continue
        values = [flat.get(key, missing) for flat in flats]
        if any(value != values[0] for value in values[1:]):
            found.append((key, ["-" if value is missing else value for value in values]))
    return found


def table(runs):
    """The lines of the comparison: one row per run, then the differing settings."""
    columns = ["run", "epochs", "best", "val_loss", "val_score", "test", "time"]
    rows = []
    for run in runs:
        summary, entry = run["summary"], run["entry"]
        regression = summary.get("task") == "regression"
        score = summary.get("val_r2" if regression else "val_accuracy")
        test = summary.get("test_r2" if regression else "test_accuracy")
        label = "r2 " if regression else ""
        rows.append([run["name"], f"{entry['epochs']}/{entry['configured_epochs']}",
                     _best(entry), _number(summary.get("val_loss")),
                     label + _number(score) if score is not None else "-",
                     label + _number(test) if test is not None else "-",
                     f"{entry['seconds']:.1f}s" if entry["seconds"] is not None else "-"])
    widths = [max(len(str(cell)) for cell in column) for column in zip(columns, *rows)]
    lines = ["  ".join(f"{cell:<{width}}" for cell, width in zip(row, widths)).rstrip()
             for row in [columns, *rows]]
    found = differences(runs)
    if found:
        width = max(len(key) for key, _ in found)
        lines += ["", "settings that differ (in the order of the runs above):"]
        lines += [f"{key:<{width}}  " + " | ".join(_value(value) for value in values)
                  for key, values in found]
    else:
        lines += ["", "the runs' configs hold the same settings"]
    return lines


def to_dict(runs):
    """What --json prints."""
    return {"runs": [{"name": run["name"], "path": str(run["path"]), **run["entry"],
                      "summary": {key: run["summary"].get(key) for key in run["summary"]
                                  if key.startswith(("val_", "test_")) or key in (
                                      "loss", "accuracy", "task", "best")}}
                     for run in runs],
            "differences": {key: values for key, values in differences(runs)}}


def _best(entry):
    if entry["best_value"] is None:
        return "-"
    return f"{entry['best_monitor']} {entry['best_value']:.4f} @{entry['best_epoch']}"


def _number(value):
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "-"
    return f"{value:.4f}"


def _value(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def plot(runs, metric, output):
    """The figure of `metric` (a base name: loss, accuracy, f1_macro...) per epoch for every
    run, written to the checked output `output` (atomic.Output)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 5.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    for index, run in enumerate(runs):
        color = f"C{index % 10}"
        history = run["history"]
        epochs = [row["epoch"] for row in history]
        validation = [row.get(f"val_{metric}") for row in history]
        training = [row.get(metric) for row in history]
        if any(value is not None for value in validation):
            axes.plot(epochs, validation, color=color, label=f"{run['name']} (validation)")
        if any(value is not None for value in training):
            axes.plot(epochs, training, color=color, linestyle="--",
                      label=f"{run['name']} (training)")
        best = run["summary"].get("best") or {}
        if isinstance(best.get("epoch"), int) and 1 <= best["epoch"] <= len(history):
            row = history[best["epoch"] - 1]
            value = row.get(f"val_{metric}", row.get(metric))
            if value is not None:
                axes.plot([best["epoch"]], [value], marker="o", color=color, markersize=7)
    axes.set_xlabel("epoch")
    axes.set_ylabel(metric)
    axes.set_title(f"{metric}: validation solid, training dashed, the best epoch marked")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    output.write(buffer.getvalue())
