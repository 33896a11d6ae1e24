"""sweep.png: the metric of each trial with the running best, and the metric against each
parameter (finished trials in colour, pruned ones grey at their last epoch's value)."""

import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from nnfs_cli.atomic import atomic_path


def plot_sweep(rows, sweep, path, title=""):
    """Draw the report rows of a sweep into the PNG at `path` (atomically)."""
    metric = sweep.metric
    scored = [row for row in rows if row[metric] is not None
              and row["state"] in ("finished", "pruned")]
    panels = 1 + len(sweep.parameters)
    columns = min(panels, 3)
    lines = math.ceil(panels / columns)
    figure = Figure(figsize=(4.5 * columns, 3.6 * lines), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(lines, columns, squeeze=False).ravel()
    _by_trial(axes[0], scored, metric, sweep.goal)
    for panel, parameter in zip(axes[1:], sweep.parameters):
        _against(panel, scored, metric, parameter)
    for panel in axes[panels:]:
        panel.set_visible(False)
    if title:
        figure.suptitle(title)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")


def _split(rows):
    return ([row for row in rows if row["state"] == "finished"],
            [row for row in rows if row["state"] == "pruned"])


def _by_trial(axes, rows, metric, goal):
    finished, pruned = _split(sorted(rows, key=lambda row: row["trial"]))
    axes.scatter([r["trial"] for r in pruned], [r[metric] for r in pruned], color="0.7",
                 marker="x", label="pruned")
    axes.scatter([r["trial"] for r in finished], [r[metric] for r in finished], label="finished")
    best, running = None, []
    pick = min if goal == "minimize" else max
    for row in finished:
        best = row[metric] if best is None else pick(best, row[metric])
        running.append(best)
    if finished:
        last = max(row["trial"] for row in rows)   # carry the best on to the last trial
        axes.step([r["trial"] for r in finished] + [last], running + running[-1:], where="post",
                  color="C3", label="best so far")
    axes.set_xlabel("trial")
    axes.set_ylabel(metric)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small")


def _against(axes, rows, metric, parameter):
    labels = None if parameter.values is None else [str(value) for value in parameter.values]
    # Trials from before the parameter was added to the sweep file, or from other values, sit out.
    finished, pruned = _split([row for row in rows if row[parameter.key] is not None and
                               (labels is None or str(row[parameter.key]) in labels)])
    if labels is not None:
        # Categories at evenly spaced positions, labelled with their values.

        def position(row):
            return labels.index(str(row[parameter.key]))
        axes.set_xticks(range(len(labels)), labels=labels)
    else:
        def position(row):
            return row[parameter.key]
        if parameter.log:
            axes.set_xscale("log")
    axes.scatter([position(r) for r in pruned], [r[metric] for r in pruned], color="0.7",
                 marker="x")
    axes.scatter([position(r) for r in finished], [r[metric] for r in finished])
    axes.set_xlabel(parameter.key)
    axes.set_ylabel(metric)
    axes.grid(True, alpha=0.3)
