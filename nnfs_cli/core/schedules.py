"""Learning-rate schedules: the rate of each optimizer step (`optimizer.schedule` in a config).

A schedule is a function of the step count `t` (0 for the first step of training, as the
book counts) and, for those that think in epochs, of the steps per epoch `n` and the
configured epochs `E`, which the trainer gives through `start`. `reduce_on_plateau` also
watches the validation results at the end of each epoch, and keeps that in `state_dict`.
"""

import math

from nnfs_cli import validators
from nnfs_cli.registry import SCHEDULES


class Schedule:
    constraints = {}
    steps_per_epoch = epochs = None

    def start(self, steps_per_epoch, epochs):
        """Called by the trainer before training (and again on resume)."""
        self.steps_per_epoch, self.epochs = steps_per_epoch, epochs

    def rate(self, learning_rate, decay, step):
        raise NotImplementedError

    def epoch_end(self, row):
        """Seen after each epoch's validation (`row` as in metrics.csv)."""

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass

    def _epochs_done(self, step):
        if not self.steps_per_epoch:
            raise RuntimeError(f"the {self.name} schedule needs start(steps_per_epoch, epochs)")
        return step / self.steps_per_epoch


@SCHEDULES.register("constant")
class Constant(Schedule):
    """lr, always."""

    def rate(self, learning_rate, decay, step):
        return learning_rate


@SCHEDULES.register("inverse_time")
class InverseTime(Schedule):
    """lr / (1 + decay * t): the book's decay (NNFS ch. 10), driven by the optimizer's `decay`."""

    def rate(self, learning_rate, decay, step):
        return learning_rate / (1 + decay * step)


@SCHEDULES.register("step")
class Step(Schedule):
    """lr * factor ** floor(epoch / every_epochs), epoch = floor(t / n): a drop every few epochs."""

    constraints = {"every_epochs": validators.positive_int, "factor": validators.open_fraction}

    def __init__(self, every_epochs, factor=0.1):
        self.every_epochs, self.factor = every_epochs, factor

    def rate(self, learning_rate, decay, step):
        epoch = math.floor(self._epochs_done(step))
        return learning_rate * self.factor ** (epoch // self.every_epochs)


@SCHEDULES.register("exponential")
class Exponential(Schedule):
    """lr * factor ** (t / n): multiplied by `factor` over each epoch, smoothly step by step."""

    constraints = {"factor": validators.open_fraction}

    def __init__(self, factor):
        self.factor = factor

    def rate(self, learning_rate, decay, step):
        return learning_rate * self.factor ** self._epochs_done(step)


@SCHEDULES.register("cosine")
class Cosine(Schedule):
    """Linear warm-up over W = warmup_epochs * n steps, lr * (t + 1) / W, then half a cosine
    from lr down to min_lr over the remaining steps of the configured epochs:
    min_lr + (lr - min_lr) * (1 + cos(pi * (t - W) / (E * n - W))) / 2."""

    constraints = {"warmup_epochs": validators.non_negative_int,
                   "min_lr": validators.non_negative}

    def __init__(self, warmup_epochs=0, min_lr=0.0):
        self.warmup_epochs, self.min_lr = warmup_epochs, min_lr

    def rate(self, learning_rate, decay, step):
        self._epochs_done(step)
        warmup = self.warmup_epochs * self.steps_per_epoch
        if step < warmup:
            return learning_rate * (step + 1) / warmup
        total = max(self.epochs * self.steps_per_epoch - warmup, 1)
        progress = min((step - warmup) / total, 1.0)
        return self.min_lr + (learning_rate - self.min_lr) * (1 + math.cos(math.pi * progress)) / 2


@SCHEDULES.register("reduce_on_plateau")
class ReduceOnPlateau(Schedule):
    """lr times `factor` each time `monitor` has not improved for `patience` epochs (then the
    count starts again), never below min_lr; as early stopping counts, and as Keras's
    ReduceLROnPlateau with min_delta 0."""

    constraints = {"monitor": validators.one_of("val_loss", "val_accuracy"),
                   "factor": validators.open_fraction,
                   "patience": validators.positive_int,
                   "min_lr": validators.non_negative}

    def __init__(self, monitor="val_loss", factor=0.5, patience=3, min_lr=0.0):
        self.monitor, self.factor, self.patience, self.min_lr = monitor, factor, patience, min_lr
        self.scale, self.best, self.since = 1.0, None, 0

    def rate(self, learning_rate, decay, step):
        return max(learning_rate * self.scale, min(self.min_lr, learning_rate))

    def epoch_end(self, row):
        value = row[self.monitor]
        sign = -1 if self.monitor.endswith("loss") else 1
        if self.best is None or sign * (value - self.best) > 0:
            self.best, self.since = value, 0
            return
        self.since += 1
        if self.since >= self.patience:
            self.scale *= self.factor
            self.since = 0

    def state_dict(self):
        return {"scale": self.scale, "best": self.best, "since": self.since}

    def load_state_dict(self, state):
        """ValueError or TypeError for a state this schedule never writes."""
        scale, best, since = float(state["scale"]), state["best"], state["since"]
        if not 0 <= scale <= 1 or isinstance(since, bool) or not isinstance(since, int) \
                or since < 0 or not (best is None or math.isfinite(float(best))):
            raise ValueError(f"expected a scale in [0, 1], a finite best or none and a count, "
                             f"got {validators.show(state)}")
        self.scale, self.best, self.since = scale, best, since
