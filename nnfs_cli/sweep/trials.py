"""Running a sweep's trials: each one an ordinary run directory (trial-0007/) trained by
training/run.py, reporting its metric to Optuna after every epoch so the pruner can stop it."""

import json
import math
import os
import shutil
import socket
from pathlib import Path

import optuna

from nnfs_cli import files, limits
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
    config = None
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
    except limits.BadLimit:   # NNFS_MAX_... in the environment: every trial would fail alike
        studies.give_back(storage, study, trial.number, interrupted=run_dir.exists())
        raise
    except (Interrupted, KeyboardInterrupt):
        studies.give_back(storage, study, trial.number, interrupted=run_dir.exists())
        say(f"trial {trial.number} interrupted; run the sweep again to resume it")
        raise
    except (ConfigError, Diverged) as error:
        # This trial's settings cannot train: a failed trial, and the sweep goes on.
        _fail(study, trial, error, say)
        return
    except NnfsError as error:
        # Its data would not load (a swept data.path naming no file, say): the trial's own
        # settings failed it, and the sweep goes on. With the base config's data, every
        # trial would fail the same way: given back, the sweep stops to have it fixed.
        if config is None or config["data"] == sweep.base["data"] or run_dir.exists():
            studies.give_back(storage, study, trial.number, interrupted=run_dir.exists())
            raise
        _fail(study, trial, error, say)
        return
    except BaseException:
        studies.give_back(storage, study, trial.number, interrupted=run_dir.exists())
        raise
    _finish(sweep, study, trial, summary, say)


def _fail(study, trial, error, say):
    message = str(error).splitlines()[0]
    trial.set_user_attr("error", message)
    study.tell(trial, state=studies.TrialState.FAIL)
    say(f"trial {trial.number} failed: {message}")


def _ended(run_dir):
    """The summary of a run that has ended (finished or pruned), else None."""
    summary = _summary(run_dir)
    ended = summary.get("status") in ("finished", "pruned")
    return summary if ended else None


def _summary(run_dir):
    """The run's summary.json as a dict ({} when it cannot be read)."""
    try:
        summary = json.loads(files.read_bytes(Path(run_dir) / "summary.json",
                                              limits.SUMMARY_BYTES))
    except (NnfsError, ValueError, RecursionError):
        return {}
    return summary if isinstance(summary, dict) else {}


def reconcile(storage, study, sweep, folder, say):
    """Trials the study has as running whose process on this machine is gone (SIGKILL, the
    out-of-memory killer, a power cut): recorded from their run directories. One that
    finished since (nnfs train --resume) or was pruned is recorded so, with its value;
    any other is failed, so that the sweep goes on (resuming it could be killed again the
    same way). Trials of other machines, or whose run is being trained, are left alone."""
    from nnfs_cli.runs.listing import alive
    host = socket.gethostname()
    study_id = storage.get_study_id_from_name(study.study_name)
    for trial in study.get_trials(deepcopy=False, states=(studies.TrialState.RUNNING,)):
        attrs = trial.user_attrs
        pid = attrs.get("pid")
        if attrs.get("host") != host or not isinstance(pid, int) or alive(pid):
            continue
        run_dir = Path(attrs.get("run_dir") or trial_dir(folder, trial.number))
        summary = _summary(run_dir)
        if summary.get("status") == "running" and alive(summary.get("pid")):
            continue   # its run directory is being trained now: told when it ends
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        value = summary.get(sweep.metric)
        gone = f"trial {trial.number}: its process {pid} is gone"
        try:
            for key in ("seconds", "epochs"):
                if key in summary:
                    storage.set_trial_user_attr(trial_id, key, summary[key])
            if summary.get("status") == "finished" and _finite(value):
                storage.set_trial_user_attr(trial_id, "interrupted", False)
                storage.set_trial_state_values(trial_id, studies.TrialState.COMPLETE, [value])
                say(f"{gone}, and {run_dir} has finished since: recorded it, {sweep.metric} "
                    f"{value:.4f}")
            elif summary.get("status") == "pruned":
                storage.set_trial_state_values(trial_id, studies.TrialState.PRUNED)
                say(f"{gone}, and {run_dir} was pruned: recorded it")
            else:
                error = (f"its process {pid} on {host} was killed (SIGKILL, out of memory, a "
                         f"power cut?); nnfs train --resume {run_dir} can still finish the run")
                storage.set_trial_user_attr(trial_id, "error", error)
                storage.set_trial_state_values(trial_id, studies.TrialState.FAIL)
                say(f"trial {trial.number} failed: {error}")
        except optuna.exceptions.UpdateFinishedTrialError:
            continue   # another process recorded it first


def _finite(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


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
