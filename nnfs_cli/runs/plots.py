"""The pictures of a run (matplotlib, Agg): curves.png, the loss, accuracy and learning rate
per epoch, and
confusion_matrix.png, counts of true against predicted classes."""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from nnfs_cli.atomic import atomic_path


def plot_confusion_matrix(matrix, names, path, title=""):
    """Draw `matrix` (rows true, columns predicted) with class `names` into the PNG at `path`."""
    figure = confusion_figure(matrix, names, title)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")


def confusion_figure(matrix, names, title=""):
    """The Figure (Agg) of `matrix`, rows true classes and columns predicted ones."""
    matrix = np.asarray(matrix)
    classes = len(names)
    side = min(max(4.0, 0.6 * classes + 2.5), 24.0)
    figure = Figure(figsize=(side + 1.5, side), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    image = axes.imshow(matrix, cmap="Blues", vmin=0)
    figure.colorbar(image, ax=axes, shrink=0.8, label="samples")
    ticks = np.arange(classes)
    axes.set_xticks(ticks, labels=names, rotation=45, ha="right", rotation_mode="anchor")
    axes.set_yticks(ticks, labels=names)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    if classes <= 30:
        # Light text on dark cells, so every count stays readable.
        threshold = matrix.max() / 2 if matrix.size else 0
        size = 9 if classes <= 12 else 7
        for (row, column), count in np.ndenumerate(matrix):
            axes.text(column, row, str(count), ha="center", va="center", fontsize=size,
                      color="white" if count > threshold else "black")
    if title:
        axes.set_title(title)
    return figure


def plot_curves(history, path, title="", best_epoch=None, monitor="val_loss",
                accuracy="accuracy"):
    """Draw the metrics rows of `history` into the PNG at `path` (atomically): loss, accuracy
    (named `accuracy`: a regression's is "the book's accuracy"), the other scores and the
    learning rate per epoch, with the best epoch (by `monitor`) marked."""
    epochs = [row["epoch"] for row in history]
    fixed = {"val_loss", "val_accuracy"}
    scores = [key[4:] for key in dict.fromkeys(key for row in history for key in row)
              if key.startswith("val_") and key not in fixed]
    figure = Figure(figsize=(14 + 4.5 * bool(scores), 4), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    panels = figure.subplots(1, 3 + bool(scores))
    loss_axes, accuracy_axes, lr_axes = panels[:3]
    if scores:   # the `metrics` beyond accuracy: validation solid, training dashed
        score_axes = panels[3]
        for index, name in enumerate(scores):
            color = f"C{index}"
            score_axes.plot(epochs, [row.get(f"val_{name}") for row in history], color=color,
                            label=f"validation {name}")
            if any(row.get(name) is not None for row in history):
                score_axes.plot(epochs, [row.get(name) for row in history], color=color,
                                linestyle="--", label=f"training {name}")
        score_axes.set_title("Scores")
        score_axes.set_xlabel("epoch")
        score_axes.grid(True, alpha=0.3)
        score_axes.legend()
    marker = "o" if len(epochs) <= 30 else None
    for axes, key, label in ((loss_axes, "loss", "loss"), (accuracy_axes, "accuracy", accuracy)):
        axes.plot(epochs, [row[key] for row in history], marker=marker, label=f"training {label}")
        if any(row.get(f"val_{key}") is not None for row in history):
            axes.plot(epochs, [row[f"val_{key}"] for row in history], marker=marker,
                      label=f"validation {label}")
        axes.set_ylabel(label)
    lr_axes.plot(epochs, [row["lr"] for row in history], marker=marker, color="tab:green",
                 label="learning rate (last step of the epoch)")
    lr_axes.set_ylabel("learning rate")
    lr_axes.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    for axes in (loss_axes, accuracy_axes, lr_axes):
        if best_epoch is not None:
            axes.axvline(best_epoch, color="gray", linestyle="--", linewidth=1,
                         label=f"best epoch ({best_epoch}, {monitor})")
        axes.set_xlabel("epoch")
        axes.grid(True, alpha=0.3)
        axes.legend()
    loss_axes.set_title("Loss")
    accuracy_axes.set_title(accuracy.capitalize())
    lr_axes.set_title("Learning rate")
    if title:
        figure.suptitle(title)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")


def plot_lr_find(result, path, title=""):
    """Draw a learning-rate range test (training/lr_find.py's RangeResult) into the PNG at
    `path` (atomically): the loss and its smoothed value against the rate on a log axis,
    with both suggestions marked."""
    figure = Figure(figsize=(7, 4.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.plot(result.rates, result.losses, color="lightgray", linewidth=1, label="loss (per step)")
    axes.plot(result.rates, result.smoothed, color="tab:blue", linewidth=2,
              label="smoothed loss")
    axes.set_xscale("log")
    marks = (("suggestion: minimum / 10", result.minimum, "tab:red"),
             ("steepest descent", result.steepest, "tab:green"))
    for label, rate, color in marks:
        if rate is not None:
            axes.axvline(rate, color=color, linestyle="--", linewidth=1.2,
                         label=f"{label}: {rate:.3g}")
    finite = [value for value in result.smoothed if np.isfinite(value)]
    if finite:   # the blow-up at the end would flatten the curve that matters
        low, start = min(finite), finite[0]
        top = max(start, low) + 0.5 * abs(start - low) + 1e-3 * abs(start)
        axes.set_ylim(low - 0.25 * (top - low), top)
    axes.set_xlabel("learning rate (log scale)")
    axes.set_ylabel("training loss")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    axes.set_title(title or "learning-rate range test")
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
