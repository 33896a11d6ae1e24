"""Layers with parameters or training-time behaviour: Dense and Dropout (NNFS ch. 3, 14, 15)."""

import numpy as np

from nnfs_cli import checks, initializers, regularizers  # noqa: F401 (registers initializers)
from nnfs_cli.registry import INITIALIZERS, LAYERS


class Layer:
    """A step of the model stack.

    `forward(x, training) -> out`, `backward(dvalues) -> dinputs`; `params` and
    `grads` are dicts with the same keys (empty for weightless layers).
    """

    constraints = {}

    def __init__(self):
        self.params = {}
        self.grads = {}

    def build(self, n_inputs, rng):
        """Create parameters for inputs of width `n_inputs`; return the output width."""
        return n_inputs

    def forward(self, x, training):
        raise NotImplementedError

    def backward(self, dvalues, need_dinputs=True):
        raise NotImplementedError

    def regularization_loss(self):
        return 0.0

    def options(self):
        """The constructor arguments, as written to the resolved config."""
        return {key: getattr(self, key) for key in self.constraints}


@LAYERS.register("dense")
class Dense(Layer):
    """Fully connected: out = x @ weights + biases; x: (batch, n_inputs) -> (batch, units).

    Optional L1/L2 penalties on weights and biases (NNFS ch. 3, 14).
    """

    constraints = {
        "units": checks.positive_int,
        "init": checks.registered(INITIALIZERS),
        "weight_l1": checks.non_negative,
        "weight_l2": checks.non_negative,
        "bias_l1": checks.non_negative,
        "bias_l2": checks.non_negative,
    }

    def __init__(self, units, init="normal_0.01", weight_l1=0.0, weight_l2=0.0,
                 bias_l1=0.0, bias_l2=0.0):
        super().__init__()
        self.units = units
        self.init = init
        self.weight_l1, self.weight_l2 = weight_l1, weight_l2
        self.bias_l1, self.bias_l2 = bias_l1, bias_l2
        self._init = INITIALIZERS.get(init)

    def build(self, n_inputs, rng):
        self.params = {
            "weights": self._init(rng, n_inputs, self.units),
            "biases": np.zeros((1, self.units), dtype=np.float32),
        }
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        return self.units

    def forward(self, x, training):
        self._inputs = x
        out = np.dot(x, self.params["weights"])
        out += self.params["biases"]
        return out

    def backward(self, dvalues, need_dinputs=True):
        weights, biases = self.params["weights"], self.params["biases"]
        np.dot(self._inputs.T, dvalues, out=self.grads["weights"])
        np.sum(dvalues, axis=0, keepdims=True, out=self.grads["biases"])
        regularizers.add_gradient(self.grads["weights"], weights, self.weight_l1, self.weight_l2)
        regularizers.add_gradient(self.grads["biases"], biases, self.bias_l1, self.bias_l2)
        # The first layer's dinputs would be a gradient for the data: nobody reads it.
        return np.dot(dvalues, weights.T) if need_dinputs else None

    def regularization_loss(self):
        return (regularizers.penalty(self.params["weights"], self.weight_l1, self.weight_l2)
                + regularizers.penalty(self.params["biases"], self.bias_l1, self.bias_l2))


@LAYERS.register("dropout")
class Dropout(Layer):
    """Zeroes a fraction `rate` of the inputs in training, scaling the rest by 1 / (1 - rate)
    so the expected sum is unchanged (inverted dropout, NNFS ch. 15); identity otherwise."""

    constraints = {"rate": checks.in_range(0, 1)}

    def __init__(self, rate):
        super().__init__()
        self.rate = rate

    def build(self, n_inputs, rng):
        self._rng = rng
        return n_inputs

    def forward(self, x, training):
        if not training or self.rate == 0:
            self._mask = None
            return x
        keep = self._rng.random(x.shape, dtype=np.float32) >= self.rate
        self._mask = keep * np.float32(1 / (1 - self.rate))
        return x * self._mask

    def backward(self, dvalues, need_dinputs=True):
        return dvalues if self._mask is None else dvalues * self._mask
