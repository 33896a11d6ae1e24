"""Callbacks: code of one's own that the training loop calls, with the numbers it logs.

A callback subclasses `Callback` and overrides any of its methods; the loop sets
`callback.trainer` (the Trainer: its model, optimizer and history) before training starts.
`logs` are plain dicts of floats: per batch the batch's own figures, per epoch the row that
the epoch line and metrics.csv show. Setting `self.trainer.stop_training = True` ends
training after the current epoch, as early stopping does.

A callback may also give `training_options()`, a dict merged into the config's `training`
section before it is checked (EarlyStopping does): then the loop's own, resumable
mechanism does the work, and the run records it like any config key.
"""

import math

from nnfs_cli.errors import ConfigError
from nnfs_cli.runs import safe_pickle


class Callback:
    """Does nothing; override what you need."""

    trainer = None

    def training_options(self):
        """{key: value} for the config's `training` section, or {}."""
        return {}

    def on_train_begin(self, logs):
        """Before the first batch. logs: epochs, steps (per epoch), epoch and step where
        training starts (not 0 after a resume)."""

    def on_epoch_begin(self, epoch, logs):
        """Before the first batch of epoch `epoch` (1-based)."""

    def on_batch_end(self, batch, logs):
        """After each optimizer step. `batch` counts from 0 within the epoch; logs: epoch,
        step (all steps so far, from 1), loss, data_loss, reg_loss, accuracy, lr."""

    def on_epoch_end(self, epoch, logs):
        """After validation. logs: the metrics.csv row (epoch, loss, data_loss, reg_loss,
        accuracy, val_loss, val_accuracy, lr, seconds)."""

    def on_train_end(self, logs):
        """After the last epoch (not after an interrupt or divergence). logs: the last row."""


class CallbackList(Callback):
    """Calls each callback in turn."""

    def __init__(self, callbacks=()):
        self.callbacks = list(callbacks or ())
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise ConfigError([f"callbacks: expected Callback objects, got "
                                   f"{type(callback).__name__}"])

    def __bool__(self):
        return bool(self.callbacks)

    def set_trainer(self, trainer):
        for callback in self.callbacks:
            callback.trainer = trainer

    def on_train_begin(self, logs):
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_epoch_begin(self, epoch, logs):
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_batch_end(self, batch, logs):
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs):
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_end(self, logs):
        for callback in self.callbacks:
            callback.on_train_end(logs)


def training_options(callbacks):
    """The `training` keys the callbacks set; ConfigError when two set one differently."""
    options, problems = {}, []
    for callback in callbacks or ():
        for key, value in callback.training_options().items():
            if key in options and options[key] != value:
                problems.append(f"callbacks: two callbacks set training.{key}")
            options[key] = value
    if problems:
        raise ConfigError(problems)
    return options


class EarlyStopping(Callback):
    """Stop when `monitor` (val_loss or val_accuracy) has not improved by more than
    `min_delta` for `patience` epochs; `restore_best_weights` ends with the best epoch's
    parameters. The config's `training.early_stopping`, set from Python (Keras's names)."""

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0,
                 restore_best_weights=False):
        self.options = {"monitor": monitor, "patience": patience, "min_delta": min_delta,
                        "restore_best": restore_best_weights}

    def training_options(self):
        return {"early_stopping": dict(self.options)}


class ModelCheckpoint(Callback):
    """Write the parameters to `path` after every epoch, or only when `monitor` improved
    (`save_best_only`), in params.pkl's format (the book's list of (weights, biases)
    tuples, read back by `load_parameters` and the book's own `Model.load_parameters`);
    each write is atomic."""

    def __init__(self, path, monitor="val_loss", save_best_only=True):
        if monitor not in ("val_loss", "val_accuracy", "loss", "accuracy"):
            raise ConfigError([f"ModelCheckpoint.monitor: expected val_loss, val_accuracy, "
                               f"loss or accuracy, got {monitor!r}"])
        self.path, self.monitor, self.save_best_only = path, monitor, save_best_only
        self.best = None

    def on_epoch_end(self, epoch, logs):
        value = logs.get(self.monitor)
        if value is None or not math.isfinite(value):
            return
        better = (self.best is None or (value < self.best if "loss" in self.monitor
                                        else value > self.best))
        if better:
            self.best = value
        if better or not self.save_best_only:
            safe_pickle.dump(self.trainer.model.copy_parameters(), self.path)
