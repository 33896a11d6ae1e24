"""`nnfs train`: a training run on disk. Builds everything from the resolved config, trains,
and keeps the run directory complete at every checkpoint, on interrupt and at the end."""

import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnfs_cli import __version__, blas
from nnfs_cli import config as configs
from nnfs_cli.errors import BadUsage, NnfsError
from nnfs_cli.reporter import count, model_summary
from nnfs_cli.runs import components, rundir
from nnfs_cli.training import checkpoint
from nnfs_cli.training.decision_regions import DecisionRegions
from nnfs_cli.runs.saved import read_summary
from nnfs_cli.training.signals import EXIT_CODES, deferred, graceful_stop
from nnfs_cli.training.trainer import Diverged, Pruned, Stopped, Trainer, evaluate


class Interrupted(NnfsError):
    """Training stopped by a signal after saving a checkpoint (exit 130 or 143)."""

    prefix = ""


@dataclass
class Outcome:
    """What a finished (or pruned) training gives back: summary.json's contents, the lines of
    the closing summary, and the run directory."""

    summary: dict
    lines: list
    path: Path


def train(config, run_dir, reporter, download=True, source=None, on_epoch_end=None,
          callbacks=()):
    """Train a new run into the new directory `run_dir` (None: a default name after the
    config file `source`), made once the data has loaded and the model is built.
    `on_epoch_end(trainer, row)` is called after each epoch and may raise Pruned (the run
    then ends with status pruned); `callbacks` (training/callbacks.py) see every batch and
    epoch. Returns an Outcome."""
    rundir.check_new(run_dir)   # before the data loads: a taken name is the caller's mistake
    if config["logging"]["tensorboard"]:
        from nnfs_cli.training.tensorboard import summary_writer
        summary_writer()   # the one line that says what to install, before any work
    config, changed = components.with_absolute_paths(config, source)
    for line in components.missing_path_notes(changed, source):
        reporter.line(line)
    data, splits = _load_data(config, reporter, download, source)
    rngs = components.rngs(config["seed"])
    model = components.model(config, data, rngs[0], source)
    components.check_batch_memory(config, model, splits, source)
    warnings = components.batch_norm_warnings(config, model, splits, source)
    weights = components.class_weights(config, data, splits.y_train, source)
    stem = Path(source).stem if source else "run"
    notes = components.path_notes(changed, source)
    with rundir.claim(run_dir, stem) as run_dir:
        rundir.write_config(run_dir, config)
        return Run(config, run_dir, data, splits, model, rngs, reporter,
                   on_epoch_end=on_epoch_end, notes=notes, warnings=warnings,
                   callbacks=callbacks, class_weights=weights).train()


def resume(run_dir, reporter, epochs=None, download=True, on_epoch_end=None, callbacks=()):
    """Continue the run in `run_dir` from its checkpoint, to `epochs` if given. Holds the
    run's lock throughout, and checks the checkpoint against the run before writing.
    Returns an Outcome."""
    run_dir = rundir.existing(run_dir)
    with rundir.lock(run_dir):
        overrides = [f"training.epochs={epochs}"] if epochs else []
        config_path = run_dir / "config.yaml"
        config = configs.load(config_path, overrides)
        if not (run_dir / "checkpoint.pkl").exists() and not (run_dir / "params.pkl").exists():
            # Stopped (killed, crashed) before its first checkpoint: nothing was learnt, so
            # train it again from the start rather than leave a run that cannot go on.
            return _restart(run_dir, config, config_path, reporter, download, on_epoch_end,
                            callbacks)
        state = checkpoint.progress(rundir.read_checkpoint(run_dir),
                                    run_dir / "checkpoint.pkl")
        done = len(state["trainer"]["history"])
        # An early-stopped run is finished too, unless --epochs asks for more.
        finished = done >= config["training"]["epochs"] or (state["trainer"]["stopped_early"]
                                                            and not epochs)
        position = state["trainer"]["position"]
        if finished and position is None:
            raise BadUsage(f"{run_dir} has already trained {count(done, 'epoch')}; "
                           f"pass --epochs N (more than {done}) to train further")
        if position is not None and config["training"]["epochs"] < position["epoch"]:
            # Interrupted inside an epoch: it must be finished, not dropped.
            given = (f"--epochs {epochs}" if epochs
                     else f"training.epochs: {config['training']['epochs']}")
            raise BadUsage(f"{run_dir} was interrupted in epoch {position['epoch']} after "
                           f"{count(done, 'whole epoch')}; {given} would drop that epoch's "
                           f"steps: pass --epochs N of {position['epoch']} or more")
        # Preprocessing as fitted when the run began, even if the data files changed since.
        recorded = read_summary(run_dir / "summary.json")
        data, splits = _load_data(config, reporter, download, config_path,
                                  recorded.get("data_state"))
        rngs = components.rngs(config["seed"])
        model = components.model(config, data, rngs[0], config_path)
        components.check_batch_memory(config, model, splits, config_path)
        warnings = components.batch_norm_warnings(config, model, splits, config_path)
        weights = components.class_weights(config, data, splits.y_train, config_path)
        rows = len(splits.x_train)
        steps = -(-rows // min(config["training"]["batch_size"] or rows, rows))
        state = checkpoint.fitted(state, run_dir / "checkpoint.pkl", config, model, steps)
        if state["trainer"]["stopped_early"] and epochs:
            state["trainer"]["stopped_early"] = False
        changed = [*_data_changed(recorded.get("data_fingerprint"), splits.fingerprint()),
                   *_threads_changed(recorded.get("blas"), blas.info())]
        run = Run(config, run_dir, data, splits, model, rngs, reporter, state, on_epoch_end,
                  warnings=[*changed, *warnings], callbacks=callbacks, class_weights=weights)
        rundir.write_config(run_dir, config)
        reporter.lines[:0] = rundir.read_log(run_dir)
        return run.train()


def _restart(run_dir, config, config_path, reporter, download, on_epoch_end, callbacks):
    """Train the run in `run_dir`, which has a config but no checkpoint, from epoch 0."""
    data, splits = _load_data(config, reporter, download, config_path)
    rngs = components.rngs(config["seed"])
    model = components.model(config, data, rngs[0], config_path)
    components.check_batch_memory(config, model, splits, config_path)
    warnings = components.batch_norm_warnings(config, model, splits, config_path)
    notes = [f"{run_dir} has no checkpoint (it stopped before its first one): training it "
             "again from epoch 0"]
    rundir.write_config(run_dir, config)
    return Run(config, run_dir, data, splits, model, rngs, reporter, on_epoch_end=on_epoch_end,
               notes=notes, warnings=warnings, callbacks=callbacks).train()


def _threads_changed(before, now):
    """The warning when a run resumes with another BLAS thread count than it trained with:
    the products add up in another order, so the result is no longer bit for bit that of an
    uninterrupted run. [] when the counts agree or either is unknown."""
    def threads(pools):
        if isinstance(pools, list) and pools and isinstance(pools[0], dict):
            return pools[0].get("num_threads")
        return None
    then, current = threads(before), threads(now)
    if not isinstance(then, int) or not isinstance(current, int) or then == current:
        return []
    return [f"warning: this run trained with {count(then, 'BLAS thread')} and resumes with "
            f"{current}; its results will differ from an uninterrupted run's in the last bits "
            f"(--threads {then} resumes bit for bit)"]


def _data_changed(before, now):
    """The warning when the data a run is resumed on is not what it began on (a file that
    was edited or replaced since); [] when it is, or the run recorded nothing (older runs)."""
    if not isinstance(before, dict) or before == now:
        return []
    counts = (f"{before.get('train')} training and {before.get('validation')} validation "
              f"samples then, {now['train']} and {now['validation']} now"
              if (before.get("train"), before.get("validation"))
              != (now["train"], now["validation"]) else "as many samples, other values")
    return [f"warning: the data changed since this run began ({counts}); it goes on training "
            "on the data as it is now"]


def _load_data(config, reporter, download, source, state=None):
    """The data set and its splits, both non-empty (components.load_data)."""
    return components.load_data(config, reporter, download, source, state,
                                required=("training", "validation"))


class Run:
    """One run directory and the trainer that fills it."""

    def __init__(self, config, run_dir, data, splits, model, rngs, reporter, state=None,
                 on_epoch_end=None, notes=(), warnings=(), callbacks=(),
                 class_weights=(None, None)):
        """`model` was built with `rngs` = (model generator, shuffle generator); dropout keeps
        drawing from the first. `notes` are printed after the run directory's name,
        `warnings` with the BLAS ones (and kept in summary.json); `class_weights` are
        components.class_weights' (weights, log line)."""
        self.config, self.run_dir, self.data = config, Path(run_dir), data
        self.reporter = reporter
        self.on_epoch_end = on_epoch_end
        model_rng, shuffle_rng = rngs
        self.model = model
        if model.input_shape != tuple(data.input_shape):
            splits = data.shaped(splits, model.input_shape)
        self.fingerprint = splits.fingerprint()
        self.splits = splits
        prepare = self.model.loss.prepare_targets
        self.y_train = prepare(splits.y_train, data)
        self.y_val = None if splits.y_val is None else prepare(splits.y_val, data)
        self.scoring = components.scoring(config, data, model)
        self.tensorboard = self._tensorboard(config)
        callbacks = [*callbacks, *([self.tensorboard] if self.tensorboard else [])]
        # decision_regions.png (and .gif) when the model's inputs can be drawn: None if not
        self.regions = DecisionRegions.for_run(config, self.run_dir, data, splits, model,
                                               reporter)
        if self.regions is not None:
            callbacks = [*callbacks, self.regions]
        self.trainer = Trainer(self.model, components.optimizer(config), components.metric(config),
                               config["training"], shuffle_rng, model_rng, reporter,
                               on_epoch_end=self._epoch_done, callbacks=callbacks,
                               scoring=self.scoring, class_weights=class_weights[0])
        self.class_weights = class_weights[0]
        self.wall_seconds = 0.0
        self.best_params = None
        stopping = config["training"]["early_stopping"] or {}
        self.restore_best = stopping.get("restore_best", False)
        self.warnings = [*warnings, *blas.warnings()]
        if state:
            self.trainer.load_state_dict(state["trainer"])
            self.wall_seconds = state["wall_seconds"]
            self.best_params = state.get("best_params")
            position = self.trainer.position
            where = (f"epoch {position['epoch']}, step {position['step']}" if position
                     else f"the end of epoch {len(self.trainer.history)}")
            reporter.line(f"resuming {self.run_dir} from {where}")
        else:
            reporter.line(f"run directory: {self.run_dir}")
            for line in [*notes, *data.notes, *filter(None, [class_weights[1]])]:
                reporter.line(line)
            validation = len(splits.x_val) if splits.x_val is not None else "no"
            reporter.line(f"data: {data.name}, {len(splits.x_train)} training and "
                          f"{validation} validation samples of shape {model.input_shape}")
            for line in model_summary(model.input_shape, model.summary()):
                reporter.line(line)
        for line in self.warnings:
            reporter.line(line)
        self.started = time.perf_counter()
        self.last_save = self.started

    def _tensorboard(self, config):
        """The TensorBoard callback when `logging.tensorboard` is on (training/tensorboard.py)."""
        options = config["logging"]
        if not options["tensorboard"]:
            return None
        from nnfs_cli.training.tensorboard import TensorBoard
        validation = None if self.splits.x_val is None else (self.splits.x_val, self.y_val)
        names = self.data.class_names if self.model.loss.task == "classification" else None
        return TensorBoard(self.run_dir, config,
                           model_summary(self.model.input_shape, self.model.summary()),
                           validation, names, options["steps"], options["histograms"])

    def train(self):
        """Train to the end; returns an Outcome. Raises Interrupted or Diverged."""
        try:
            return self._train()
        finally:
            if self.tensorboard is not None:
                self.tensorboard.close()

    def _train(self):
        trainer, splits = self.trainer, self.splits
        rundir.write_summary(self.run_dir, self._summary("running"))
        try:
            # Divergence is reported once, as Diverged; NumPy's overflow warnings are noise.
            with graceful_stop() as stop_requested, np.errstate(over="ignore", invalid="ignore"):
                trainer.should_stop = stop_requested
                trainer.fit(splits.x_train, self.y_train, splits.x_val, self.y_val)
        except Stopped as stop:
            position = trainer.position
            message = (f"interrupted at epoch {position['epoch']}, step {position['step']}; "
                       f"checkpoint saved. Resume with: nnfs train --resume {self.run_dir}")
            self.reporter.lines.append(message)   # for train.log; the CLI prints it
            self.save("interrupted")
            raise Interrupted(message, exit_code=EXIT_CODES[stop.signum]) from None
        except Pruned:
            self.reporter.line(f"pruned after epoch {len(trainer.history)}")
            summary = self.save("pruned")
            return Outcome(summary, [f"pruned after {summary['epochs']} epochs in "
                                     f"{summary['seconds']:.1f}s"], self.run_dir)
        except Diverged as error:
            self.model.set_parameters(trainer.good_params)
            self.reporter.lines.append(f"diverged: {error}")   # for train.log; the CLI prints it
            with deferred():
                rundir.write_params(self.run_dir, trainer.good_params)
                if self.best_params is not None:
                    rundir.write_params(self.run_dir, self.best_params, "params_best.pkl")
                rundir.write_metrics(self.run_dir, trainer.history)
                rundir.write_log(self.run_dir, self.reporter.lines)
                rundir.write_summary(self.run_dir, self._summary("diverged"))
            kept = (f"epoch {len(trainer.history)}" if trainer.history
                    else "the start of the run")
            raise Diverged(f"training diverged: {error} (kept the last good parameters, from "
                           f"{kept}, in {self.run_dir / 'params.pkl'})") from None
        if self.restore_best and self.best_params is not None:
            self.model.set_parameters(self.best_params)
            self.reporter.line(f"restored the parameters of epoch {trainer.best['epoch']}, the "
                               f"best {trainer.monitor} ({trainer.best['value']:.4f})")
        summary = self.save("finished", final=True)
        return Outcome(summary, self.final_lines(summary), self.run_dir)

    def _epoch_done(self, trainer, row):
        if trainer.improved:
            self.best_params = self.model.copy_parameters()
        if self.on_epoch_end is not None:
            self.on_epoch_end(trainer, row)
        if len(trainer.history) == self.config["training"]["epochs"] or trainer.stopped_early:
            return   # the final save follows
        # Ten thousand tiny full-batch epochs must not mean ten thousand writes.
        if time.perf_counter() - self.last_save >= self.config["training"]["checkpoint_seconds"]:
            self.save("running")

    def save(self, status, final=False):
        """Write checkpoint, parameters, metrics, log and summary, each atomically, then the
        curves."""
        run_dir, trainer = self.run_dir, self.trainer
        summary = self._summary(status, final)
        if final:
            self.reporter.lines.extend(self.final_lines(summary))
        # A second Ctrl-C waits for these few writes, so summary.json always describes the
        # last complete checkpoint (and `nnfs runs` the state --resume will continue from).
        with deferred():
            checkpoint = {"trainer": trainer.state_dict(), "wall_seconds": self._wall()}
            if self.restore_best:   # params_best.pkl alone could be a save behind after a kill
                checkpoint["best_params"] = self.best_params
            rundir.write_checkpoint(run_dir, checkpoint)
            rundir.write_params(run_dir, self.model.get_parameters())
            if self.best_params is not None:
                rundir.write_params(run_dir, self.best_params, "params_best.pkl")
            rundir.write_metrics(run_dir, trainer.history)
            rundir.write_log(run_dir, self.reporter.lines)
            rundir.write_summary(run_dir, summary)
        if trainer.history:   # drawn after: slow, and a second Ctrl-C need not wait for it
            from nnfs_cli.runs.plots import plot_curves
            plot_curves(trainer.history, run_dir / "curves.png", title=str(run_dir.name),
                        best_epoch=trainer.best["epoch"], monitor=trainer.monitor,
                        accuracy="accuracy" if trainer.loss.task != "regression"
                        else "the book's accuracy")
            if self.regions is not None:
                self.regions.saved(final)
        self.last_save = time.perf_counter()
        return summary

    def _wall(self):
        return self.wall_seconds + time.perf_counter() - self.started

    def _summary(self, status, final=False):
        trainer, history = self.trainer, self.trainer.history
        summary = {"status": status, "pid": os.getpid(), "data": self.data.name,
                   "task": self.model.loss.task, "epochs": len(history),
                   "configured_epochs": self.config["training"]["epochs"],
                   "seed": self.config["seed"], "metrics": self.scoring.names}
        if history:
            last = history[-1]
            summary.update({key: value for key, value in last.items()
                            if key not in ("epoch", "lr", "seconds", "data_loss", "reg_loss")})
            if trainer.best["epoch"] is not None:   # None: trained without validation
                best = history[trainer.best["epoch"] - 1]
                summary["best"] = {"epoch": best["epoch"], "monitor": trainer.monitor,
                                   "val_loss": best["val_loss"],
                                   "val_accuracy": best["val_accuracy"]}
                if trainer.monitor not in summary["best"]:
                    summary["best"][trainer.monitor] = best[trainer.monitor]
            summary["early_stopped"] = trainer.stopped_early
        if final and self.splits.x_test is not None:
            y_test = self.model.loss.prepare_targets(self.splits.y_test, self.data)
            test_scores = self.scoring.fresh()
            summary["test_loss"], summary["test_accuracy"] = evaluate(
                self.model, trainer.metric, self.splits.x_test, y_test,
                self.config["training"]["batch_size"], test_scores)
            summary.update({f"test_{score.name}": score.result() for score in test_scores})
            summary["test_samples"] = len(y_test)
        train_seconds = sum(row["seconds"] for row in history)
        summary.update({
            "seconds": self._wall(),
            "samples_per_second": (len(self.splits.x_train) * len(history) / train_seconds
                                   if train_seconds else None),
            "class_names": self.data.class_names,
            "input_shape": list(self.model.input_shape),
            "data_state": self.data.state_dict(),
            # Rows of each file and how many were used (data.missing: drop skips some).
            "data_rows": self.data.rows_used,
            # training.class_weight as it weighed each class (None: no weights).
            "class_weight": (None if self.class_weights is None else dict(zip(
                map(str, self.data.class_names or range(len(self.class_weights))),
                map(float, self.class_weights)))),
            "data_fingerprint": self.fingerprint,   # --resume says when the data changed
            "metric_state": trainer.metric.state_dict(),
            "versions": {"nnfs_cli": __version__, "numpy": np.__version__,
                         "python": platform.python_version()},
            "blas": blas.info(),   # results and speed depend on the kernel and threads
            "warnings": self.warnings,
        })
        return summary

    @staticmethod
    def final_lines(summary):
        """The closing summary printed on stdout."""
        label = ("acc" if summary.get("task") != "regression" else
                 "book_acc" if "book_accuracy" in summary.get("metrics", ()) else None)

        def figures(prefix):
            shown = [f"{prefix}loss {summary[prefix + 'loss']:.4f}"]
            if label:
                shown.append(f"{prefix}{label} {summary[prefix + 'accuracy']:.4f}")
            shown += [f"{prefix}{name} {summary[prefix + name]:.4f}"
                      for name in summary.get("metrics", ())
                      if name not in ("accuracy", "book_accuracy")
                      and summary.get(prefix + name) is not None]
            return "  ".join(shown)
        lines = [f"finished {count(summary['epochs'], 'epoch')} in {summary['seconds']:.1f}s: "
                 f"loss {summary['loss']:.4f}" + (f"  {label} {summary['accuracy']:.4f}"
                                                  if label else "")]
        if summary.get("val_loss") is not None:
            lines[0] += "  " + figures("val_")
        if "test_loss" in summary:
            # data.limit can leave a few test samples: say over how many the figures are.
            tested = f"on {count(summary['test_samples'], 'test sample')}"
            counts = (summary.get("data_rows") or {}).get("test")
            if counts and counts["rows"] > counts["used"]:
                tested += (f"; {counts['rows'] - counts['used']} of the {counts['rows']:,} test "
                           "rows had missing cells and were dropped")
            lines.append(figures("test_") + f"  ({tested})")
        return lines
