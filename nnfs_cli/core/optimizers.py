"""Optimizers (NNFS ch. 10). The base class owns the decay schedule, step counting and
the loop over parameters; a subclass writes `update` for one array. State (momentums,
caches) lives here, keyed by parameter, never on the layers.

Given a model's FlatParameters, `update` runs once on the flat buffers (the formulas are
element-wise, so the numbers are the same as array by array) and the state is flat too,
with a view per parameter key in `state`."""

import math

import numpy as np

from nnfs_cli import validators
from nnfs_cli.core.parameters import FlatParameters
from nnfs_cli.registry import OPTIMIZERS

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
    }
    state_names = ()

    def __init__(self, learning_rate, decay=0.0, epsilon=1e-7):
        self.learning_rate = learning_rate
        self.decay = decay
        self.epsilon = epsilon
        self.current_learning_rate = learning_rate
        self.iterations = 0
        self.state = {}
        self._flat_owner, self._flat_arrays = None, {}

    def step(self, params):
        """Update every (key, param, grad) in place, then count the step. `params` is a list
        of those or a model's FlatParameters (one update over the whole model)."""
        # lr / (1 + decay * step), the book's 1/t decay.
        self.current_learning_rate = self.learning_rate / (1 + self.decay * self.iterations)
        if isinstance(params, FlatParameters):
            self.update(params.params, params.grads, self._flat_state(params))
        else:
            for key, param, grad in params:
                state = self.state.get(key)
                if state is None:
                    state = self.state[key] = {name: np.zeros_like(param)
                                               for name in self.state_names}
                self.update(param, grad, state)
        self.iterations += 1
        if FLUSH_EVERY and self.iterations % FLUSH_EVERY == 0:
            self._flush_subnormals()

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
                "state": self.state}

    def load_state_dict(self, state):
        self.iterations = state["iterations"]
        self.current_learning_rate = state["current_learning_rate"]
        self.state = state["state"]
        self._flat_owner, self._flat_arrays = None, {}


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """p -= lr * g; with momentum: m = momentum * m - lr * g; p += m."""

    constraints = {**Optimizer.constraints, "momentum": validators.in_range(0, 1)}

    def __init__(self, learning_rate=1.0, decay=0.0, momentum=0.0, epsilon=1e-7):
        super().__init__(learning_rate, decay, epsilon)
        self.momentum = momentum
        self.state_names = ("momentums",) if momentum else ()

    def update(self, param, grad, state):
        lr = self.current_learning_rate
        if self.momentum:
            momentums = state["momentums"]
            momentums *= self.momentum
            momentums -= lr * grad
            param += momentums
        else:
            param -= lr * grad


@OPTIMIZERS.register("adagrad")
class Adagrad(Optimizer):
    """cache += g**2; p -= lr * g / (sqrt(cache) + eps)."""

    state_names = ("cache",)

    def __init__(self, learning_rate=1.0, decay=0.0, epsilon=1e-7):
        super().__init__(learning_rate, decay, epsilon)

    def update(self, param, grad, state):
        cache = state["cache"]
        cache += np.square(grad)
        param -= self.current_learning_rate * grad / (np.sqrt(cache) + self.epsilon)


@OPTIMIZERS.register("rmsprop")
class RMSprop(Optimizer):
    """cache = rho * cache + (1 - rho) * g**2; p -= lr * g / (sqrt(cache) + eps)."""

    constraints = {**Optimizer.constraints, "rho": validators.in_range(0, 1)}
    state_names = ("cache",)

    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, rho=0.9):
        super().__init__(learning_rate, decay, epsilon)
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

    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, beta_1=0.9, beta_2=0.999):
        super().__init__(learning_rate, decay, epsilon)
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
