"""curves.png: loss and accuracy per epoch, training and validation (matplotlib, Agg)."""

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from nnfs_cli.files import atomic_path


def plot_curves(history, path, title=""):
    """Draw the metrics rows of `history` into the PNG at `path` (atomically)."""
    epochs = [row["epoch"] for row in history]
    figure = Figure(figsize=(10, 4), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    marker = "o" if len(epochs) <= 30 else None
    for axes, key, label in ((loss_axes, "loss", "loss"), (accuracy_axes, "accuracy", "accuracy")):
        axes.plot(epochs, [row[key] for row in history], marker=marker, label=f"training {label}")
        axes.plot(epochs, [row[f"val_{key}"] for row in history], marker=marker,
                  label=f"validation {label}")
        axes.set_xlabel("epoch")
        axes.set_ylabel(label)
        axes.grid(True, alpha=0.3)
        axes.legend()
    loss_axes.set_title("Loss")
    accuracy_axes.set_title("Accuracy")
    if title:
        figure.suptitle(title)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
