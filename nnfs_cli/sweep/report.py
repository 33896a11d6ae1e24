"""What a sweep found: a table of its trials best first, sweep.csv, best.yaml (the resolved
config of the best trial, ready for `nnfs train`) and sweep.png."""

import csv
import io
import math
from pathlib import Path

from optuna.trial import TrialState

from nnfs_cli import atomic
from nnfs_cli.errors import ConfigError
from nnfs_cli.runs import rundir
from nnfs_cli.sweep.trials import format_value

STATES = {TrialState.COMPLETE: "finished", TrialState.PRUNED: "pruned",
          TrialState.FAIL: "failed", TrialState.RUNNING: "running",
          TrialState.WAITING: "interrupted"}
ORDER = ("finished", "pruned", "running", "interrupted", "failed")


def rows(study, sweep):
    """One dict per trial (the numbers kept for later runs left out), best first: finished
    trials by their metric, then pruned ones by their last value, then the rest."""
    found = []
    for trial in study.get_trials(deepcopy=False):
        interrupted = trial.user_attrs.get("interrupted", False)
        if trial.state == TrialState.WAITING and not interrupted:
            continue   # a trial number given back unused
        found.append({
            "trial": trial.number,
            **{parameter.key: trial.params.get(parameter.key) for parameter in sweep.parameters},
            sweep.metric: _value(trial),
            "state": STATES[trial.state],
            "seconds": trial.user_attrs.get("seconds"),
            "epochs": trial.user_attrs.get("epochs") or (trial.last_step or None),
            "run_dir": trial.user_attrs.get("run_dir"),
            "host": trial.user_attrs.get("host"),
            "error": trial.user_attrs.get("error"),
            "params": trial.params,
        })
    sign = 1 if sweep.goal == "minimize" else -1

    def key(row):
        value = row[sweep.metric]
        return (ORDER.index(row["state"]), math.inf if value is None else sign * value,
                row["trial"])
    return sorted(found, key=key)


def _value(trial):
    if trial.state == TrialState.COMPLETE:
        return trial.value
    if trial.intermediate_values:   # pruned, running or interrupted: the last epoch's value
        return trial.intermediate_values[max(trial.intermediate_values)]
    return None


def table(found, sweep):
    """Aligned lines: a header, then one line per trial."""
    columns = ["trial", *(p.key for p in sweep.parameters), sweep.metric, "state", "seconds",
               "epochs"]
    lines = [[_cell(row[column], column) for column in columns] for row in found]
    widths = [max(len(cell) for cell in column) for column in zip(columns, *lines)]
    aligned = []
    for line in [columns, *lines]:
        cells = [cell.ljust(width) if column == "state" else cell.rjust(width)
                 for cell, column, width in zip(line, columns, widths)]
        aligned.append("  ".join(cells).rstrip())
    return aligned


def _cell(value, column):
    if value is None:
        return "-"
    if column == "seconds":
        return f"{value:.1f}"
    return format_value(value)


def write(folder, study, sweep, name):
    """Write sweep.csv, best.yaml and sweep.png into `folder`; returns (rows, the lines to
    print)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    found = rows(study, sweep)
    lines = table(found, sweep) if found else [f"sweep {name} has no trials yet"]
    _write_csv(folder / "sweep.csv", found, sweep)
    finished = [row for row in found if row["state"] == "finished"]
    best_path = folder / "best.yaml"
    if finished:
        best = finished[0]
        lines.append(f"best: trial {best['trial']}, {sweep.metric} {best[sweep.metric]:.4f} "
                     f"({sweep.goal}); its config is in {best_path}")
        try:   # all the trial's parameters, also those since removed from the sweep file
            config = sweep.config(best["params"], str(sweep.path))
        except ConfigError as error:
            lines[-1] = f"best: trial {best['trial']}, but its config no longer resolves: {error}"
        else:
            header = (f"# The best trial of sweep {name}: trial {best['trial']}, {sweep.metric} "
                      f"{best[sweep.metric]:.6g}\n# Train it with: nnfs train {best_path}\n")
            atomic.write_text(best_path, header + rundir.dump_config(config))
    else:
        lines.append("no trial has finished yet, so there is no best.yaml")
    if found:
        from nnfs_cli.sweep.plots import plot_sweep
        plot_sweep(found, sweep, folder / "sweep.png", title=f"sweep {name}")
    lines.append(f"wrote {folder / 'sweep.csv'} and {folder / 'sweep.png'}"
                 if found else f"wrote {folder / 'sweep.csv'}")
    return found, lines


def _write_csv(path, found, sweep):
    columns = ["trial", *(p.key for p in sweep.parameters), sweep.metric, "state", "seconds",
               "epochs", "run_dir", "host", "error"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in found:
        writer.writerow({column: "" if row[column] is None else row[column] for column in columns})
    atomic.write_text(path, buffer.getvalue())
