"""`nnfs lr-find`: the learning-rate range test (Smith 2015, "Cyclical Learning Rates for
Training Neural Networks"; fastai's `lr_find`). From the config's initial weights, train
with the config's optimizer, loss, batches and clipping while the rate grows geometrically,
step by step, from `start` to `end`; record each step's loss and its smoothed value (an
exponential moving average with bias correction, beta 0.98, as fastai smooths), and stop
when the smoothed loss passes 4 times its minimum or the loss stops being finite.

Two suggestions, as fastai reports them: the rate of the minimum divided by 10 (the one
suggested: below the rates that start to hurt, as Smith advises) and the rate where the
smoothed loss falls fastest against log(rate), between the first steps and the minimum
(often higher, and noisier). Nothing is written here; the command draws lr_find.png
(runs/plots.py).
"""

import math
from dataclasses import dataclass

import numpy as np

from nnfs_cli.core.schedules import Schedule
from nnfs_cli.errors import BadUsage
from nnfs_cli.reporter import Reporter
from nnfs_cli.training.callbacks import Callback
from nnfs_cli.training.trainer import Diverged, Trainer

START, END, STEPS = 1e-7, 10.0, 200
BETA = 0.98
BLOW_UP = 4.0      # stop when the smoothed loss passes this many times its minimum
SKIP_START = 5     # steps left out of the steepest-descent search (the average settling)


class RangeTest(Schedule):
    """start * (end / start) ** (t / (steps - 1)): `end` at the last step t = steps - 1."""

    def __init__(self, start, end, steps):
        self.first, self.last, self.steps = start, end, steps

    def rate(self, learning_rate, decay, step):
        return self.first * (self.last / self.first) ** (min(step, self.steps - 1)
                                                         / max(self.steps - 1, 1))


@dataclass
class RangeResult:
    """Per step (from 1): `rates`, `losses` (the batch's loss with regularisation) and
    `smoothed`; `stopped` says why it ended before `steps` (None if it did not); the two
    suggestions, None when the loss never fell."""

    rates: list
    losses: list
    smoothed: list
    steps: int
    stopped: str = None
    steepest: float = None
    minimum: float = None

    @property
    def suggestion(self):
        """The rate to try first: the minimum's tenth."""
        return self.minimum

    def rows(self):
        """(step, lr, loss, smoothed) per step, for lr_find.csv."""
        return [(step, rate, loss, smooth) for step, (rate, loss, smooth)
                in enumerate(zip(self.rates, self.losses, self.smoothed), 1)]

    def csv(self):
        """lr_find.csv's text: step, lr, loss, smoothed (repr floats: exact, nan as nan)."""
        return "step,lr,loss,smoothed\n" + "".join(
            f"{step},{rate!r},{loss!r},{smooth!r}\n" for step, rate, loss, smooth in self.rows())

    def plot(self, path, title=""):
        """Draw lr_find.png to `path` (runs/plots.py)."""
        from nnfs_cli.runs.plots import plot_lr_find
        plot_lr_find(self, path, title)

    def lines(self):
        """What `nnfs lr-find` prints on stdout."""
        done = (f"stopped after {len(self.rates)} of {self.steps} steps: {self.stopped}"
                if self.stopped else f"ran all {self.steps} steps without the loss blowing up "
                                     "(a larger --end would show where it does)")
        lines = [f"learning rates {_rate(self.rates[0])} to {_rate(self.rates[-1])}; {done}"]
        if self.suggestion is None:
            lines.append("no suggestion: the smoothed loss never fell; try a larger --end or "
                         "more --steps")
            return lines
        low = int(np.argmin(self.smoothed))
        lines.append(f"lowest smoothed loss {self.smoothed[low]:.4f} at lr "
                     f"{_rate(self.rates[low])}")
        lines.append(f"suggested learning rate: {_rate(self.minimum)} (minimum / 10: the rate "
                     "of the lowest smoothed loss, divided by 10)")
        if self.steepest is not None:
            lines.append(f"steepest descent: {_rate(self.steepest)} (where the smoothed loss "
                         "falls fastest)")
        return lines


def _rate(value):
    return f"{value:.3g}"


class _Record(Callback):
    """Records every step's rate and loss; ends the test when the loss blows up or after
    `steps` steps (the epochs were rounded up to hold them)."""

    def __init__(self, steps):
        self.steps = steps
        self.rates, self.losses, self.smoothed = [], [], []
        self.average, self.best, self.stopped = 0.0, math.inf, None

    def on_batch_end(self, batch, logs):
        loss = logs["loss"]
        self.rates.append(logs["lr"])
        self.losses.append(loss)
        if not math.isfinite(loss):
            self.smoothed.append(math.nan)
            self.stopped = f"the loss became {loss} at lr {_rate(logs['lr'])}"
            raise _Done
        self.average = BETA * self.average + (1 - BETA) * loss
        smooth = self.average / (1 - BETA ** len(self.losses))
        self.smoothed.append(smooth)
        self.best = min(self.best, smooth)
        if smooth > BLOW_UP * self.best:
            self.stopped = (f"the smoothed loss {smooth:.4g} passed {BLOW_UP:g} times its "
                            f"minimum {self.best:.4g} at lr {_rate(logs['lr'])}")
            raise _Done
        if len(self.losses) >= self.steps:
            raise _Done


class _Done(Exception):
    """The loss blew up: the range test is over."""


def check_range(start, end, steps):
    """BadUsage for a range that cannot be tested."""
    if not (0 < start < end and math.isfinite(end)):
        raise BadUsage(f"--start {start:g} and --end {end:g}: need 0 < start < end")
    if steps < 2:
        raise BadUsage(f"--steps {steps}: need 2 steps or more")


def lr_find(config, source=None, download=True, start=START, end=END, steps=STEPS,
            reporter=None):
    """Run the range test on the resolved `config`; returns a RangeResult."""
    from nnfs_cli.runs import components
    check_range(start, end, steps)
    reporter = reporter or Reporter(quiet=True)
    data, splits = components.load_data(config, reporter, download, source)
    model_rng, shuffle_rng = components.rngs(config["seed"])
    model = components.model(config, data, model_rng, source)
    x = splits.x_train
    if tuple(x.shape[1:]) != model.input_shape:
        x = x.reshape((len(x), *model.input_shape))
    y = model.loss.prepare_targets(splits.y_train, data)
    optimizer = components.optimizer(config)
    optimizer.schedule = RangeTest(start, end, steps)   # the config's optimizer, our rates
    rows = len(x)
    per_epoch = -(-rows // min(config["training"]["batch_size"] or rows, rows))
    options = {**config["training"], "epochs": -(-steps // per_epoch), "early_stopping": None,
               "print_every": steps + 1}
    record = _Record(steps)
    trainer = Trainer(model, optimizer, components.metric(config), options, shuffle_rng,
                      model_rng, Reporter(quiet=True), callbacks=[record])
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            trainer.fit(x, y)
    except _Done:
        pass
    except Diverged as error:   # parameters no longer finite at an epoch's end
        record.stopped = str(error).split(";")[0]
    return _suggest(RangeResult(record.rates, record.losses, record.smoothed, steps,
                                record.stopped))


def _suggest(result):
    smoothed = np.asarray(result.smoothed, dtype=np.float64)
    finite = np.isfinite(smoothed)
    if not finite.any():
        return result
    low = int(np.nanargmin(np.where(finite, smoothed, np.nan)))
    if smoothed[low] >= smoothed[0] and low == 0:
        return result   # the loss never fell
    result.minimum = result.rates[low] / 10
    first = min(SKIP_START, max(low - 1, 0))
    if low - first >= 2:
        logs = np.log10(result.rates[first:low + 1])
        slopes = np.gradient(smoothed[first:low + 1], logs)
        result.steepest = result.rates[first + int(np.argmin(slopes))]
    return result
