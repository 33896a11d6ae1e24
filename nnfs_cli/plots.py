"""confusion_matrix.png: counts of true against predicted classes (matplotlib, Agg)."""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from nnfs_cli.files import atomic_path


def plot_confusion_matrix(matrix, names, path, title=""):
    """Draw `matrix` (rows true, columns predicted) with class `names` into the PNG at `path`."""
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
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
