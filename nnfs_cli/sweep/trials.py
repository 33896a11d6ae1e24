"""Running a sweep's trials: each one an ordinary run directory (trial-0007/) trained by
training/run.py, reporting its metric to Optuna after every epoch so the pruner can stop it."""

import json
import os
import shutil
import socket
from pathlib import Path

from nnfs_cli.errors import ConfigError, NnfsError
from nnfs_cli.reporter import Reporter
from nnfs_cli.training import run as runner
from nnfs_cli.training.run import Interrupted
from nnfs_cli.sweep import study as studies
from nnfs_cli.training.trainer import Diverged, Pruned


def trial_dir(folder, number):
    return Path(folder) / f"trial-{number:04d}"


def describe(params):
    return ", ".join(f"{key}={format_value(value)}" for key, value in params.items())


def format_value(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def work(sweep, storage, study, folder, trials, say, stop):
    """Claim and run trials until every number below `trials` is taken or `stop()` says a
    signal came. Raises Interrupted when a running trial was stopped by a signal."""
    while not stop():
        trial = studies.claim(storage, study, trials)
        if trial is None:
            return
        run_trial(sweep, storage, study, trial, folder, say)


def run_trial(sweep, storage, study, trial, folder, say):
    """Train one trial to its end, its pruning or its failure and tell Optuna; give it back
    (for the next run to resume) if a signal or a runtime problem stops it."""
    params = {parameter.key: suggest(trial, parameter) for parameter in sweep.parameters}
    run_dir = trial_dir(folder, trial.number)
    ours = trial.user_attrs.get("interrupted", False)   # given back with its run directory
    if run_dir.exists() and not ours:
        studies.give_back(storage, study, trial.number)
        raise NnfsError(f"{run_dir} already exists but is not trial {trial.number} of this "
                        f"study (was the study's storage replaced?); move it away or choose "
                        f"another --name")
    trial.set_user_attr("host", socket.gethostname())
    trial.set_user_attr("pid", os.getpid())
    trial.set_user_attr("run_dir", str(run_dir))
    resuming = (run_dir / "checkpoint.pkl").is_file()
    say(f"trial {trial.number} {'resumed' if resuming else 'started'}: {describe(params)}")

    def report(trainer, row):
        trial.report(row[sweep.epoch_metric], row["epoch"])
        if row["epoch"] < trainer.options["epochs"] and trial.should_prune():
            raise Pruned()

    reporter = Reporter(quiet=True)
    try:
        done = _ended(run_dir)
        if done is not None:   # stopped between its end and telling Optuna
            summary = done
        elif resuming:
            summary = runner.resume(run_dir, reporter, on_epoch_end=report).summary
        else:
            config = sweep.config(params, f"{sweep.path} (trial {trial.number})")
            if run_dir.exists():   # a trial stopped before its first checkpoint: start afresh
                shutil.rmtree(run_dir)
            summary = runner.train(config, run_dir, reporter, source=sweep.base_path,
                                   on_epoch_end=report).summary
    except (Interrupted, KeyboardInterrupt):
        studies.give_back(storage, study, trial.number, interrupted=run_dir.exists())
        say(f"trial {trial.number} interrupted; run the sweep again to resume it")
        raise
    except (ConfigError, Diverged) as error:
        # This trial's settings cannot train: a failed trial, and the sweep goes on.
        message = str(error).splitlines()[0]
        trial.set_user_attr("error", message)
        study.tell(trial, state=studies.TrialState.FAIL)
        say(f"trial {trial.number} failed: {message}")
        return
    except BaseException:
        studies.give_back(storage, study, trial.number, interrupted=run_dir.exists())
        raise
    _finish(sweep, study, trial, summary, say)


def _ended(run_dir):
    """The summary of a run that has ended (finished or pruned), else None."""
    try:
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ended = isinstance(summary, dict) and summary.get("status") in ("finished", "pruned")
    return summary if ended else None


def suggest(trial, parameter):
    if parameter.values is not None:
        return trial.suggest_categorical(parameter.key, parameter.values)
    if parameter.integer:
        return trial.suggest_int(parameter.key, parameter.low, parameter.high, log=parameter.log)
    return trial.suggest_float(parameter.key, float(parameter.low), float(parameter.high),
                               log=parameter.log)


def _finish(sweep, study, trial, summary, say):
    trial.set_user_attr("seconds", summary["seconds"])
    trial.set_user_attr("epochs", summary["epochs"])
    trial.set_user_attr("interrupted", False)
    epochs = summary["epochs"]
    took = f"{epochs} epoch{'s' if epochs != 1 else ''}, {summary['seconds']:.1f}s"
    if summary["status"] == "pruned":
        study.tell(trial, state=studies.TrialState.PRUNED)
        say(f"trial {trial.number} pruned ({took}): {sweep.epoch_metric} "
            f"{summary[sweep.epoch_metric]:.4f}")
        return
    if sweep.metric not in summary:
        raise NnfsError(f"trial {trial.number} has no {sweep.metric} in its summary.json")
    study.tell(trial, summary[sweep.metric])
    say(f"trial {trial.number} finished ({took}): {sweep.metric} {summary[sweep.metric]:.4f}")
