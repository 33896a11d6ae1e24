"""The training loop (NNFS ch. 18-19): seeded shuffling, mini-batches, weighted epoch averages,
validation after every epoch, divergence checks, early stopping, and a state that can be
saved at any batch and resumed bit for bit."""

import math
import time

import numpy as np

from nnfs_cli.core.clipping import clip_gradients
from nnfs_cli.core.model import evaluate
from nnfs_cli.core.scores import Scoring, lower_is_better
from nnfs_cli.errors import NnfsError
from nnfs_cli.reporter import NoBar, count, format_metrics
from nnfs_cli.training.callbacks import CallbackList


class Diverged(NnfsError):
    """The loss or a parameter became NaN or infinite."""


class Pruned(Exception):
    """An `on_epoch_end` hook ended training early: a sweep's pruner found the run unpromising."""


class Stopped(Exception):
    """Training stopped on request (a signal) after finishing a batch."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class Trainer:
    """Trains `model` with `optimizer` on prepared (x, y) arrays.

    `should_stop()` is asked after every batch (a signal number, or None to go on);
    `on_epoch_end(trainer, row)` runs after each epoch's validation, after the `callbacks`
    (training/callbacks.py); it may raise Pruned.
    """

    def __init__(self, model, optimizer, metric, options, shuffle_rng, model_rng, reporter,
                 on_epoch_end=None, should_stop=None, callbacks=(), scoring=None,
                 class_weights=None):
        self.model, self.loss = model, model.loss
        # A weight per class (training.class_weight): each training sample's loss and
        # gradient count that many times; validation is never weighted.
        self.class_weights = class_weights
        self.optimizer, self.metric = optimizer, metric
        self.options = options
        self.rng, self.model_rng = shuffle_rng, model_rng
        self.reporter = reporter
        self.on_epoch_end = on_epoch_end or (lambda trainer, row: None)
        self.should_stop = should_stop or (lambda: None)
        self.callbacks = CallbackList(callbacks)
        self.callbacks.set_trainer(self)
        self.stop_training = False    # a callback may set it: stop after this epoch
        # The `metrics` beyond accuracy: on the training batches of each epoch (those that
        # add up batch by batch) and on the validation split.
        self.scoring = scoring or Scoring()
        self._train_scores = []
        self.history = []
        self.position = None          # where an unfinished epoch stands
        stopping = options.get("early_stopping") or {}
        self.monitor = stopping.get("monitor", "val_loss")
        self.best = {"epoch": None, "value": None, "since": 0}
        self.improved = False
        self.stopped_early = False
        self.good_params = model.copy_parameters()

    # --- the loop -------------------------------------------------------------------------

    def fit(self, x, y, x_val=None, y_val=None):
        """Train until options['epochs'] epochs are done (or early stopping); returns history.
        Without x_val, epochs have no validation figures (and nothing to stop early on)."""
        n = len(x)
        batch_size = min(self.options["batch_size"] or n, n)
        steps = -(-n // batch_size)
        self.metric.fit(y)
        epochs = self.options["epochs"]
        self.optimizer.start(steps, epochs)
        self.steps = steps
        position = self.position or {}
        self.callbacks.on_train_begin({"epochs": epochs, "steps": steps,
                                       "epoch": len(self.history) + 1,
                                       "step": position.get("step", 0)})
        # Full-batch training shows one bar over the epochs, mini-batches one bar per epoch.
        run_bar = self.reporter.bar(epochs, "training", unit="epoch") if steps == 1 else NoBar()
        with run_bar:
            run_bar.update(len(self.history))
            while len(self.history) < epochs and not self.stopped_early:
                self._epoch(x, y, x_val, y_val, batch_size, steps, steps > 1)
                run_bar.update()
        self.callbacks.on_train_end(dict(self.history[-1]) if self.history else {})
        return self.history

    def _epoch(self, x, y, x_val, y_val, batch_size, steps, show_bar):
        """Train one epoch (or the rest of an interrupted one), then validate."""
        epoch = len(self.history) + 1
        position = self.position or self._start_epoch(epoch)
        if position["step"] == 0:
            self.callbacks.on_epoch_begin(epoch, {})
        order = (self._order(position["order_state"], len(x)) if self.options["shuffle"] else None)
        started = time.perf_counter() - position["seconds"]
        bar = (self.reporter.bar(steps, f"epoch {epoch}/{self.options['epochs']}") if show_bar
               else NoBar())
        with bar:
            bar.update(position["step"])
            for step in range(position["step"], steps):
                rows = slice(step * batch_size, (step + 1) * batch_size)
                index = rows if order is None else order[rows]
                self._train_batch(x[index], y[index], position, epoch, step)
                position["step"] = step + 1
                position["seconds"] = time.perf_counter() - started
                if not bar.disable:
                    bar.update()
                    bar.set_postfix(loss=f"{_mean_loss(position):.4f}",
                                    acc=f"{position['correct'] / position['total']:.4f}",
                                    refresh=False)
                signum = self.should_stop()
                if signum:
                    raise Stopped(signum)
        self._end_epoch(epoch, position, x_val, y_val, batch_size, started)

    def _start_epoch(self, epoch):
        # The generator state *before* the permutation: a resumed epoch redraws the same order.
        self.position = {"epoch": epoch, "step": 0, "order_state": self.rng.bit_generator.state,
                         "data_sum": 0.0, "reg_sum": 0.0, "correct": 0, "total": 0,
                         "samples": 0, "seconds": 0.0}
        self._train_scores = self.scoring.fresh(training=True)
        return self.position

    def _order(self, state, n):
        self.rng.bit_generator.state = state
        return self.rng.permutation(n)

    def _train_batch(self, batch_x, batch_y, position, epoch, step):
        model = self.model
        output = model.forward(batch_x, training=True)
        weights = None if self.class_weights is None else \
            self.class_weights[_class_indices(batch_y)]
        losses = self.loss.forward(output, batch_y)
        if weights is not None:
            losses = losses * weights
        data_loss = float(losses.sum(dtype=np.float64))
        reg_loss = model.regularization_loss()
        if not math.isfinite(data_loss + reg_loss):
            raise Diverged(f"the loss became {data_loss + reg_loss} at epoch {epoch}, step {step + 1}; "
                           "try a lower learning rate")
        good, count = self.metric.count(model.predictions(output), batch_y)
        for score in self._train_scores:
            score.update(output, batch_y)
        model.backward(output, batch_y, weights)
        items = model.param_items()
        clip_value, clip_norm = self.options.get("clip_value"), self.options.get("clip_norm")
        if clip_value or clip_norm:
            clip_gradients(items, clip_value, clip_norm)
        self.optimizer.step(items)
        position["data_sum"] += data_loss
        position["reg_sum"] += reg_loss * len(batch_x)
        position["correct"] += good
        position["total"] += count
        position["samples"] += len(batch_x)
        if self.callbacks:
            mean = data_loss / len(batch_x)
            self.callbacks.on_batch_end(step, {
                "epoch": epoch, "step": self.optimizer.iterations, "loss": mean + reg_loss,
                "data_loss": mean, "reg_loss": reg_loss, "accuracy": good / count,
                "lr": self.optimizer.current_learning_rate})

    def _end_epoch(self, epoch, position, x_val, y_val, batch_size, started):
        if not all(np.isfinite(param).all() for _, param, _ in self.model.param_items()):
            raise Diverged(f"a parameter became NaN or infinite at epoch {epoch}; "
                           "try a lower learning rate")
        val_loss = val_accuracy = None
        val_scores = self.scoring.fresh() if x_val is not None else []
        if x_val is not None:
            val_loss, val_accuracy = evaluate(self.model, self.metric, x_val, y_val, batch_size,
                                              val_scores)
            if not math.isfinite(val_loss):
                raise Diverged(f"the validation loss became {val_loss} at epoch {epoch}; "
                               "try a lower learning rate")
        samples = position["samples"]
        row = {
            "epoch": epoch,
            "loss": _mean_loss(position),
            "data_loss": position["data_sum"] / samples,
            "reg_loss": position["reg_sum"] / samples,
            "accuracy": position["correct"] / position["total"],
            "val_loss": val_loss,
            "val_accuracy": val_accuracy,
            "lr": self.optimizer.current_learning_rate,
            "seconds": time.perf_counter() - started,
        }
        row.update({score.name: score.result() for score in self._train_scores})
        row.update({f"val_{score.name}": score.result() for score in val_scores})
        self.history.append(row)
        self.optimizer.epoch_end(row)
        self.position = None
        self.good_params = self.model.copy_parameters()
        self._track_best(row)
        last = epoch == self.options["epochs"] or self.stopped_early
        if last or epoch == 1 or epoch % self.options["print_every"] == 0:
            self.reporter.line(format_metrics(row, self.accuracy_label))
        if self.stopped_early:
            since = count(self.best["since"], "epoch")
            self.reporter.line(f"early stopping: {self.monitor} has not improved for {since} "
                               f"(best {self.best['value']:.4f} at epoch {self.best['epoch']})")
        self.callbacks.on_epoch_end(epoch, dict(row))
        if self.stop_training and not self.stopped_early and epoch < self.options["epochs"]:
            self.stopped_early = True
            self.reporter.line(f"stopped by a callback after epoch {epoch}")
        self.on_epoch_end(self, row)

    @property
    def accuracy_label(self):
        """What the epoch line calls the loop's accuracy: a regression's is the book's, shown
        when `metrics` names book_accuracy."""
        if self.loss.task != "regression":
            return "acc"
        return "book_acc" if "book_accuracy" in self.scoring.names else None

    def _track_best(self, row):
        value = row.get(self.monitor)
        if value is None:   # no validation split: nothing to compare
            self.improved = False
            return
        stopping = self.options.get("early_stopping") or {}
        min_delta = stopping.get("min_delta", 0.0)
        sign = -1 if lower_is_better(self.monitor) else 1
        best = self.best
        self.improved = best["value"] is None or sign * (value - best["value"]) > min_delta
        if self.improved:
            best.update(epoch=row["epoch"], value=value, since=0)
        else:
            best["since"] += 1
            if stopping and best["since"] >= stopping["patience"]:
                self.stopped_early = True

    # --- saving and restoring -------------------------------------------------------------

    def state_dict(self):
        """Everything needed to continue exactly where training stands (plain values and arrays)."""
        return {
            "params": [dict(layer.params) for layer in self.model.layers],
            "optimizer": self.optimizer.state_dict(),
            "shuffle_rng": self.rng.bit_generator.state,
            "model_rng": self.model_rng.bit_generator.state,
            "history": self.history,
            "position": (None if self.position is None else
                         dict(self.position, scores={score.name: score.state_dict()
                                                     for score in self._train_scores})),
            "best": self.best,
            "stopped_early": self.stopped_early,
            "metric": self.metric.state_dict(),
        }

    def load_state_dict(self, state):
        for layer, params in zip(self.model.layers, state["params"]):
            for name, value in params.items():
                layer.params[name][...] = value
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["shuffle_rng"]
        self.model_rng.bit_generator.state = state["model_rng"]
        self.history = list(state["history"])
        self.position = state["position"]
        if self.position is not None:
            self._train_scores = self.scoring.fresh(training=True)
            saved = self.position.pop("scores", None) or {}
            for score in self._train_scores:
                if score.name in saved:
                    score.load_state_dict(saved[score.name])
        self.best = state["best"]
        self.stopped_early = state["stopped_early"]
        self.metric.load_state_dict(state["metric"])
        self.good_params = self.model.copy_parameters()


def _mean_loss(position):
    return (position["data_sum"] + position["reg_sum"]) / position["samples"]


def _class_indices(y):
    """The class of each target: class indices as they are, one 0/1 column (two classes and
    a sigmoid) as 0 or 1, one-hot rows by their largest entry."""
    if y.ndim == 1:
        return y.astype(np.intp, copy=False)
    if y.shape[1] == 1:
        return (y[:, 0] > 0.5).astype(np.intp)
    return np.argmax(y, axis=1)
