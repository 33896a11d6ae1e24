"""Activations (NNFS ch. 4, 9, 16, 17, and those Keras and PyTorch users reach for next).
Each maps (batch, ...) -> the same shape elementwise, except softmax over the last axis, and
knows how to turn its outputs into predictions. Each computes in its input's dtype (float32
in training, float64 in the gradient checks), and none overflows for large |x|."""

import math

import numpy as np

from nnfs_cli import validators
from nnfs_cli.core.layers.base import Layer
from nnfs_cli.core.special import normal_cdf, normal_pdf
from nnfs_cli.registry import ACTIVATIONS


class Activation(Layer):
    def forward(self, x, training):
        self.output = self.activate(x)
        return self.output

    def predictions(self, outputs):
        return outputs


def sigmoid_parts(x, e=None):
    """(sigmoid(x), 1 - sigmoid(x)), both from e = exp(-|x|) (computed unless given), which
    never overflows: s is 1 / (1 + e) for x >= 0 and e / (1 + e) below, so s and 1 - s each
    keep full relative precision for large |x|."""
    if e is None:
        e = np.exp(-np.abs(x))
    denominator = e + 1
    # Branch-free selection (np.where is slow on a random mask): with m = 1 where x >= 0
    # and 0 elsewhere, max(e, m) is exactly 1 or e, and max(e, 1 - m) exactly e or 1.
    m = (x >= 0).astype(x.dtype)
    s = np.maximum(e, m)
    s /= denominator
    np.subtract(1, m, out=m)
    complement = np.maximum(e, m, out=m)
    complement /= denominator
    return s, complement


@ACTIVATIONS.register("relu")
class ReLU(Activation):
    """max(0, x); gradient 1 where x > 0.

    `pooled_after` (set by Model when a max_pool2d follows): the pool applies max(0, .) to
    its maxima and the ReLU's gradient to them, so this layer passes values and gradients on
    unchanged and the full-size array is not gone over twice more.
    """

    pooled_after = False

    def activate(self, x):
        if self.pooled_after:
            return x
        self._inputs = x
        return np.maximum(x, 0)

    def backward(self, dvalues, need_dinputs=True):
        if self.pooled_after:
            return dvalues
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
        s, self._complement = sigmoid_parts(x)
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


@ACTIVATIONS.register("tanh")
class Tanh(Activation):
    """tanh(x); gradient 1 - tanh(x)^2."""

    def activate(self, x):
        return np.tanh(x)

    def backward(self, dvalues, need_dinputs=True):
        slope = np.square(self.output)
        np.subtract(1, slope, out=slope)
        slope *= dvalues
        return slope


@ACTIVATIONS.register("leaky_relu")
class LeakyReLU(Activation):
    """x where x > 0, alpha * x elsewhere (Keras's and PyTorch's `negative_slope`); the
    gradient is that slope, 1 or alpha."""

    constraints = {"alpha": validators.non_negative}
    option_aliases = {"negative_slope": "alpha"}

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha

    def activate(self, x):
        # slope = m + alpha * (1 - m) with m exactly 0 or 1: exactly 1 or alpha.
        m = (x > 0).astype(x.dtype)
        slope = np.subtract(1, m)
        slope *= x.dtype.type(self.alpha)
        slope += m
        self._slope = slope
        return x * slope

    def backward(self, dvalues, need_dinputs=True):
        return dvalues * self._slope


@ACTIVATIONS.register("elu")
class ELU(Activation):
    """x where x > 0, alpha * (exp(x) - 1) elsewhere; gradient 1, or alpha * exp(x).

    The negative part is alpha * expm1(min(x, 0)): exact for x near 0, where exp(x) - 1
    cancels, and no overflow for large x (whose exp is never taken).
    """

    constraints = {"alpha": validators.non_negative}

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def activate(self, x):
        negative = np.minimum(x, 0)
        np.expm1(negative, out=negative)
        negative *= x.dtype.type(self.alpha)
        self._negative = negative
        self._positive = (x > 0).astype(x.dtype)
        out = np.maximum(x, 0)
        out += negative
        return out

    def backward(self, dvalues, need_dinputs=True):
        # alpha * exp(x) = negative + alpha where x <= 0, and 1 elsewhere (m exactly 0 or 1).
        m = self._positive
        slope = self._negative + self._negative.dtype.type(self.alpha)
        slope *= 1 - m
        slope += m
        slope *= dvalues
        return slope


@ACTIVATIONS.register("gelu")
class GELU(Activation):
    """x * Phi(x) with Phi the standard normal CDF, 0.5 * x * (1 + erf(x / sqrt(2)))
    (Hendrycks and Gimpel, 2016; PyTorch's default); gradient Phi(x) + x * phi(x).

    `approximate: tanh` is PyTorch's (and BERT's) 0.5 * x * (1 + tanh(u)),
    u = sqrt(2 / pi) * (x + 0.044715 * x^3), computed as x * sigmoid(2u), the same function
    without the cancellation of 1 + tanh(u) for x << 0. Phi comes from core.special
    (relative error below 1.1e-7; NumPy has no erf).
    """

    constraints = {"approximate": validators.one_of("none", "tanh")}
    CUBIC = 0.044715
    # |x| beyond which the tanh form's sigmoid is 0 or 1; clipping there keeps x^3 finite.
    CLIP = 1e4

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def activate(self, x):
        self._inputs = x
        if self.approximate == "tanh":
            dtype = x.dtype.type
            clipped = np.clip(x, -self.CLIP, self.CLIP)
            two_u = np.square(clipped)
            two_u *= dtype(self.CUBIC)
            two_u += 1
            two_u *= clipped
            two_u *= dtype(2 * math.sqrt(2 / math.pi))
            self._clipped = clipped
            s, self._complement = sigmoid_parts(two_u)
            self._cdf = s
        else:
            self._cdf = normal_cdf(x)
        return x * self._cdf

    def backward(self, dvalues, need_dinputs=True):
        x = self._inputs
        if self.approximate == "tanh":
            # d/dx x * s(2u) = s + x * s * (1 - s) * 2u', 2u' = 2 sqrt(2 / pi) (1 + 3c x^2).
            dtype = x.dtype.type
            du = np.square(self._clipped)
            du *= dtype(3 * self.CUBIC)
            du += 1
            du *= dtype(2 * math.sqrt(2 / math.pi))
            du *= self._complement
            du *= self._cdf
            slope = du
        else:
            slope = normal_pdf(x)
        slope *= x
        slope += self._cdf
        slope *= dvalues
        return slope


@ACTIVATIONS.register("silu", aliases=("swish",))
class SiLU(Activation):
    """x * sigmoid(x) (Keras's `swish`); gradient s + x * s * (1 - s), with s and 1 - s
    from the same overflow-free sigmoid as `sigmoid`."""

    def activate(self, x):
        self._inputs = x
        self._sigmoid, self._complement = sigmoid_parts(x)
        return x * self._sigmoid

    def backward(self, dvalues, need_dinputs=True):
        slope = self._inputs * self._complement
        slope += 1
        slope *= self._sigmoid
        slope *= dvalues
        return slope


@ACTIVATIONS.register("softplus")
class Softplus(Activation):
    """log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)), which never overflows and
    keeps its relative precision for x << 0 (PyTorch's with beta 1: there, x itself above
    20); gradient sigmoid(x)."""

    def activate(self, x):
        self._inputs = x
        e = np.abs(x)
        np.negative(e, out=e)
        self._exp = np.exp(e, out=e)             # exp(-|x|), kept for the gradient
        out = np.log1p(e)
        out += np.maximum(x, 0)
        return out

    def backward(self, dvalues, need_dinputs=True):
        slope, _ = sigmoid_parts(self._inputs, self._exp)
        slope *= dvalues
        return slope
