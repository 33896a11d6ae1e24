"""Activations (NNFS ch. 4, 9, 16, 17). Each maps (batch, n) -> (batch, n) and knows
how to turn its outputs into predictions."""

import numpy as np

from nnfs_cli.core.layers.base import Layer
from nnfs_cli.registry import ACTIVATIONS


class Activation(Layer):
    def forward(self, x, training):
        self.output = self.activate(x)
        return self.output

    def predictions(self, outputs):
        return outputs


@ACTIVATIONS.register("relu")
class ReLU(Activation):
    """max(0, x); gradient 1 where x > 0."""

    def activate(self, x):
        self._inputs = x
        return np.maximum(x, 0)

    def backward(self, dvalues, need_dinputs=True):
        return dvalues * (self._inputs > 0)


@ACTIVATIONS.register("softmax")
class Softmax(Activation):
    """exp(x - max(x)) / sum(exp(x - max(x))) per row; subtracting the max avoids overflow."""

    def activate(self, x):
        exp = np.exp(x - x.max(axis=1, keepdims=True))
        exp /= exp.sum(axis=1, keepdims=True)
        return exp

    def backward(self, dvalues, need_dinputs=True):
        # The book's per-sample Jacobian (diagflat(s) - s s^T) @ dvalues, for all rows at once.
        out = self.output
        return out * (dvalues - (dvalues * out).sum(axis=1, keepdims=True))

    def predictions(self, outputs):
        return np.argmax(outputs, axis=1)


@ACTIVATIONS.register("sigmoid")
class Sigmoid(Activation):
    """1 / (1 + exp(-x)); gradient s * (1 - s).

    Computed from e = exp(-|x|), which never overflows: s = 1 / (1 + e) for x >= 0 and
    e / (1 + e) below, so both s and 1 - s keep full float32 relative precision for large
    |x| (0.5 * (1 + tanh(x / 2)) cancels to 0 for x < -17 in float32).
    """

    def activate(self, x):
        e = np.exp(-np.abs(x))
        denominator = e + 1
        # Branch-free selection (np.where is slow on a random mask): with m = 1 where x >= 0
        # and 0 elsewhere, max(e, m) is exactly 1 or e, and max(e, 1 - m) exactly e or 1.
        m = (x >= 0).astype(x.dtype)
        s = np.maximum(e, m)
        s /= denominator
        np.subtract(1, m, out=m)
        self._complement = np.maximum(e, m, out=m)   # 1 - s, as exact as s
        self._complement /= denominator
        return s

    def backward(self, dvalues, need_dinputs=True):
        return dvalues * self.output * self._complement

    def predictions(self, outputs):
        return (outputs > 0.5).astype(np.int64)


@ACTIVATIONS.register("linear")
class Linear(Activation):
    """Identity, for regression outputs."""

    def activate(self, x):
        return x

    def backward(self, dvalues, need_dinputs=True):
        return dvalues
