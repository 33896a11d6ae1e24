"""Optimizers (NNFS ch. 10). The base class owns the learning-rate schedule (schedules.py;
the book's 1/t decay by default), step counting and the loop over parameters; a subclass
writes `update` for one array. State (momentums,
caches) lives here, keyed by parameter, never on the layers.

Given a model's FlatParameters, `update` runs once on the flat buffers (the formulas are
element-wise, so the numbers are the same as array by array) and the state is flat too,
with a view per parameter key in `state`."""

import math

import numpy as np

from nnfs_cli import validators
from nnfs_cli.core.parameters import FlatParameters
from nnfs_cli.registry import OPTIMIZERS, SCHEDULES

# Every this many steps, state numbers below float32's smallest normal become zero. A momentum
# whose gradient stays zero (a dead ReLU, an always-black pixel) decays into subnormal numbers
# and, with round-to-nearest, sticks at a few ulps instead of reaching zero; some processors
# compute on subnormals many times slower. The numbers dropped are below 1.2e-38, so the
# steps they would give change no parameter of a usual size (bench/README.md).
FLUSH_EVERY = 100


class Optimizer:
    constraints = {
        "learning_rate": validators.positive,
        "decay": validators.non_negative,
        "epsilon": validators.positive,
        "schedule": SCHEDULES,
    }
    state_names = ()

    def __init__(self, learning_rate, decay=0.0, epsilon=1e-7, schedule="inverse_time"):
        self.learning_rate = learning_rate
        self.decay = decay
        self.epsilon = epsilon
        self.schedule = SCHEDULES.create(schedule)
        self.current_learning_rate = learning_rate
        self.iterations = 0
        self.state = {}
        self._flat_owner, self._flat_arrays = None, {}

    def step(self, params):
        """Update every (key, param, grad) in place, then count the step. `params` is a list
        of those or a model's FlatParameters (one update over the whole model)."""
        self.begin_step(params)
        if isinstance(params, FlatParameters):
            self.update(params.params, params.grads, self._flat_state(params))
        else:
            for key, param, grad in params:
                self.update_array(key, param, grad)
        self.end_step()

    def begin_step(self, params=()):
        """The learning rate of this step, and what runs before the updates (the book's
        pre_update_params)."""
        self.current_learning_rate = self.schedule.rate(self.learning_rate, self.decay,
                                                        self.iterations)
        self.before_update(params)

    def update_array(self, key, param, grad):
        """Update one array, with the state kept under `key` (made on first use)."""
        state = self.state.get(key)
        if state is None:
            state = self.state[key] = {name: np.zeros_like(param) for name in self.state_names}
        self.update(param, grad, state)

    def end_step(self):
        """Count the step (the book's post_update_params)."""
        self.iterations += 1
        if FLUSH_EVERY and self.iterations % FLUSH_EVERY == 0:
            self._flush_subnormals()

    @classmethod
    def option_problems(cls, options):
        """(key, message) for options that do not fit together."""
        schedule = options["schedule"]["name"]
        if options["decay"] and schedule != "inverse_time":
            return [("decay", f"only the inverse_time schedule uses decay; remove decay or "
                              f"the {schedule} schedule")]
        return []

    def start(self, steps_per_epoch, epochs):
        """What epoch-based schedules need; the trainer calls it before training."""
        self.schedule.start(steps_per_epoch, epochs)

    def epoch_end(self, row):
        self.schedule.epoch_end(row)

    def before_update(self, params):
        """Runs each step before the updates (AdamW's weight decay)."""

    def _flat_state(self, flat):
        """The state as 1-D buffers laid out like `flat`; `state[key]` become views of them,
        keeping any values already there (from a checkpoint, or earlier steps)."""
        if self._flat_owner is not flat:
            arrays = {name: np.zeros(flat.params.size, dtype=np.float32)
                      for name in self.state_names}
            views = {name: flat.views(array) for name, array in arrays.items()}
            for key in flat.slices:
                old = self.state.get(key, {})
                for name in self.state_names:
                    if name in old:
                        views[name][key][...] = old[name]
                self.state[key] = {name: views[name][key] for name in self.state_names}
            self._flat_owner, self._flat_arrays = flat, arrays
        return self._flat_arrays

    def _flush_subnormals(self):
        for state in self.state.values():
            for array in state.values():
                np.copyto(array, 0, where=np.abs(array) < np.finfo(array.dtype).tiny)

    def update(self, param, grad, state):
        raise NotImplementedError

    def state_dict(self):
        """Step count, current learning rate and per-parameter state, for checkpoints."""
        return {"iterations": self.iterations,
                "current_learning_rate": self.current_learning_rate,
                "state": self.state,
                "schedule": self.schedule.state_dict()}

    def load_state_dict(self, state):
        self.iterations = state["iterations"]
        self.current_learning_rate = state["current_learning_rate"]
        self.state = state["state"]
        self._flat_owner, self._flat_arrays = None, {}
        if "schedule" in state:   # checkpoints of nnfs-cli 0.1.0 have none
            self.schedule.load_state_dict(state["schedule"])


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """p -= lr * g; with momentum: m = momentum * m - lr * g; p += m.

    nesterov: p += momentum * m - lr * g (with m already updated; Sutskever's form, as Keras
    writes it). PyTorch keeps b = momentum * b + g and steps p -= lr * (g + momentum * b): the
    same numbers while lr is constant (m = -lr * b). When the schedule changes lr, ours (like
    the book's momentum) keeps the rates of past steps inside m; PyTorch's applies today's
    rate to the whole of b."""

    constraints = {**Optimizer.constraints, "momentum": validators.in_range(0, 1),
                   "nesterov": validators.boolean}

    def __init__(self, learning_rate=1.0, decay=0.0, momentum=0.0, epsilon=1e-7,
                 nesterov=False, schedule="inverse_time"):
        super().__init__(learning_rate, decay, epsilon, schedule)
        self.momentum, self.nesterov = momentum, nesterov
        self.state_names = ("momentums",) if momentum else ()

    @classmethod
    def option_problems(cls, options):
        found = super().option_problems(options)
        if options["nesterov"] and not options["momentum"]:
            found.append(("nesterov", "needs a momentum above 0"))
        return found

    def update(self, param, grad, state):
        lr = self.current_learning_rate
        if self.momentum:
            momentums = state["momentums"]
            momentums *= self.momentum
            momentums -= lr * grad
            if self.nesterov:
                param += self.momentum * momentums
                param -= lr * grad
            else:
                param += momentums
        else:
            param -= lr * grad


@OPTIMIZERS.register("adagrad")
class Adagrad(Optimizer):
    """cache += g**2; p -= lr * g / (sqrt(cache) + eps)."""

    state_names = ("cache",)

    def __init__(self, learning_rate=1.0, decay=0.0, epsilon=1e-7, schedule="inverse_time"):
        super().__init__(learning_rate, decay, epsilon, schedule)

    def update(self, param, grad, state):
        cache = state["cache"]
        cache += np.square(grad)
        param -= self.current_learning_rate * grad / (np.sqrt(cache) + self.epsilon)


@OPTIMIZERS.register("rmsprop")
class RMSprop(Optimizer):
    """cache = rho * cache + (1 - rho) * g**2; p -= lr * g / (sqrt(cache) + eps)."""

    constraints = {**Optimizer.constraints, "rho": validators.in_range(0, 1)}
    state_names = ("cache",)

    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, rho=0.9,
                 schedule="inverse_time"):
        super().__init__(learning_rate, decay, epsilon, schedule)
        self.rho = rho

    def update(self, param, grad, state):
        cache = state["cache"]
        cache *= self.rho
        cache += (1 - self.rho) * np.square(grad)
        param -= self.current_learning_rate * grad / (np.sqrt(cache) + self.epsilon)


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """m = b1 m + (1 - b1) g;  c = b2 c + (1 - b2) g**2;
    p -= lr * (m / (1 - b1**t)) / (sqrt(c / (1 - b2**t)) + eps),  t = step + 1."""

    constraints = {**Optimizer.constraints, "beta_1": validators.in_range(0, 1),
                   "beta_2": validators.in_range(0, 1)}
    state_names = ("momentums", "cache", "scratch")

    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, beta_1=0.9, beta_2=0.999,
                 schedule="inverse_time"):
        super().__init__(learning_rate, decay, epsilon, schedule)
        self.beta_1, self.beta_2 = beta_1, beta_2

    def update(self, param, grad, state):
        m, c, tmp = state["momentums"], state["cache"], state["scratch"]
        t = self.iterations + 1
        m *= self.beta_1
        np.multiply(grad, 1 - self.beta_1, out=tmp)
        m += tmp
        c *= self.beta_2
        np.square(grad, out=tmp)
        tmp *= 1 - self.beta_2
        c += tmp
        # The book's formula rearranged to work in place on one scratch buffer:
        # sqrt(c / (1 - b2**t)) = sqrt(c) / sqrt(1 - b2**t), and 1 / (1 - b1**t) joins lr.
        np.sqrt(c, out=tmp)
        tmp *= 1 / math.sqrt(1 - self.beta_2 ** t)  # Python floats keep float32 math
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= self.current_learning_rate / (1 - self.beta_1 ** t)
        param -= tmp


@OPTIMIZERS.register("adamw")
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter): before each Adam step,
    p *= 1 - lr * weight_decay, for every trained array but biases (unless decay_biases).

    PyTorch's torch.optim.AdamW formula, step for step; the differences are our defaults:
    epsilon 1e-7 (the book's; PyTorch 1e-8), biases not decayed (PyTorch decays every
    parameter it is given), and lr from our schedule (the book's 1/t decay by default)."""

    constraints = {**Adam.constraints, "weight_decay": validators.non_negative,
                   "decay_biases": validators.boolean}

    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, beta_1=0.9, beta_2=0.999,
                 weight_decay=0.01, decay_biases=False, schedule="inverse_time"):
        super().__init__(learning_rate, decay, epsilon, beta_1, beta_2, schedule)
        self.weight_decay, self.decay_biases = weight_decay, decay_biases

    def before_update(self, params):
        if not self.weight_decay:
            return
        keep = 1 - self.current_learning_rate * self.weight_decay
        for (_, name), param, _ in params:
            if self.decay_biases or name != "biases":
                param *= keep
