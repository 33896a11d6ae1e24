"""The book's layers (NNFS ch. 3, 14, 15, 18) on our core layers: same names, arguments and
attributes (`output`, `dinputs`, `weights`, `dweights`...), our forward and backward."""

import numpy as np

from nnfs_cli.core.layers.base import Layer, ShapeError, flat_width
from nnfs_cli.core.layers.dense import Dense
from nnfs_cli.core.layers.dropout import Dropout
from nnfs_cli.errors import BadUsage


def as_float32(values):
    """The core computes in float32; the book's data (spiral_data...) is float64."""
    if isinstance(values, np.ndarray) and values.dtype == np.float32:
        return values
    return np.asarray(values, dtype=np.float32)


class BookStep:
    """What every book object does around our forward and backward: `forward(inputs)`
    leaves `self.output` (and `self.inputs`), `backward(dvalues)` leaves `self.dinputs`;
    both also return them. `training` defaults to True, as the chapters before the Model
    class (which passes it) behave."""

    def forward(self, inputs, training=True):
        self.inputs = inputs
        self.output = super().forward(as_float32(inputs), training)
        return self.output

    def backward(self, dvalues, need_dinputs=True):
        self.dinputs = super().backward(as_float32(dvalues), need_dinputs)
        return self.dinputs

    def book_options(self):
        """The constructor's arguments, to save the object as data."""
        return {}


class Layer_Dense(BookStep, Dense):
    """Fully connected: output = inputs @ weights + biases (NNFS ch. 3), with L1/L2 penalties
    (ch. 14). Weights are `weight_scale * np.random.randn(n_inputs, n_neurons)` from NumPy's
    global generator, as the book draws them (so `np.random.seed(0)` gives its starting
    point), stored as float32; biases start at zero. `weight_scale` is the book's 0.01;
    chapter 17's sine regression uses 0.1.

    `weights` and `biases` are plain arrays to print or set (setting copies into the model's
    buffer); `dweights` and `dbiases` are the last backward's gradients.
    """

    def __init__(self, n_inputs, n_neurons, weight_regularizer_l1=0, weight_regularizer_l2=0,
                 bias_regularizer_l1=0, bias_regularizer_l2=0, *, weight_scale=0.01):
        for name, value in (("n_inputs", n_inputs), ("n_neurons", n_neurons)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise BadUsage(f"Layer_Dense: {name} must be a positive whole number, "
                               f"got {value!r}")
        for name, value in (("weight_regularizer_l1", weight_regularizer_l1),
                            ("weight_regularizer_l2", weight_regularizer_l2),
                            ("bias_regularizer_l1", bias_regularizer_l1),
                            ("bias_regularizer_l2", bias_regularizer_l2)):
            if not isinstance(value, (int, float, np.number)) or not value >= 0:
                raise BadUsage(f"Layer_Dense: {name} must be a number >= 0, got {value!r}")
        super().__init__(int(n_neurons), weight_l1=weight_regularizer_l1,
                         weight_l2=weight_regularizer_l2, bias_l1=bias_regularizer_l1,
                         bias_l2=bias_regularizer_l2)
        self.n_inputs, self.n_neurons, self.weight_scale = int(n_inputs), int(n_neurons), weight_scale
        weights = weight_scale * np.random.randn(self.n_inputs, self.n_neurons)
        self.params = {"weights": weights.astype(np.float32),
                       "biases": np.zeros((1, self.n_neurons), dtype=np.float32)}
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}

    def build(self, input_shape, rng):
        """Already built with its own weights: check that it fits what comes before it."""
        width = flat_width("Layer_Dense", input_shape)
        if width != self.n_inputs:
            raise ShapeError(f"Layer_Dense(n_inputs={self.n_inputs}, ...) follows a layer "
                             f"that gives {width} outputs; make n_inputs {width}")
        return (self.n_neurons,)

    def get_parameters(self):
        return self.weights.copy(), self.biases.copy()

    def set_parameters(self, weights, biases):
        self.weights, self.biases = weights, biases

    weights = property(lambda self: self.params["weights"],
                       lambda self, value: self._set("weights", value))
    biases = property(lambda self: self.params["biases"],
                      lambda self, value: self._set("biases", value))
    dweights = property(lambda self: self.grads["weights"])
    dbiases = property(lambda self: self.grads["biases"])
    weight_regularizer_l1 = property(lambda self: self.weight_l1,
                                     lambda self, value: setattr(self, "weight_l1", value))
    weight_regularizer_l2 = property(lambda self: self.weight_l2,
                                     lambda self, value: setattr(self, "weight_l2", value))
    bias_regularizer_l1 = property(lambda self: self.bias_l1,
                                   lambda self, value: setattr(self, "bias_l1", value))
    bias_regularizer_l2 = property(lambda self: self.bias_l2,
                                   lambda self, value: setattr(self, "bias_l2", value))

    def _set(self, name, value):
        target = self.params[name]
        value = np.asarray(value, dtype=np.float32)
        if value.shape != target.shape and value.size == target.size:
            value = value.reshape(target.shape)   # a bias saved as (n_neurons,)
        if value.shape != target.shape:
            raise BadUsage(f"Layer_Dense.{name}: expected shape {target.shape}, got "
                             f"{value.shape}")
        target[...] = value

    def book_options(self):
        return {"n_inputs": self.n_inputs, "n_neurons": self.n_neurons,
                "weight_regularizer_l1": self.weight_l1, "weight_regularizer_l2": self.weight_l2,
                "bias_regularizer_l1": self.bias_l1, "bias_regularizer_l2": self.bias_l2,
                "weight_scale": self.weight_scale}


class Layer_Dropout(BookStep, Dropout):
    """Zeroes the fraction `rate` of the inputs in training and scales the rest by
    1 / (1 - rate) (NNFS ch. 15). The mask is drawn from NumPy's global generator, as the
    book's is, but with np.random.random_sample < 1 - rate: the same distribution as the
    book's np.random.binomial at a third of its cost. It is kept as `binary_mask`."""

    def __init__(self, rate):
        if not isinstance(rate, (int, float, np.number)) or not 0 <= rate < 1:
            raise BadUsage(f"Layer_Dropout: rate is the fraction dropped, in [0, 1); "
                             f"got {rate}")
        super().__init__(rate)

    def forward(self, inputs, training=True):
        self.inputs = inputs
        inputs = as_float32(inputs)
        if not training or self.rate == 0:
            self._mask = None
            self.output = inputs
            return inputs
        keep = 1 - self.rate
        mask = np.random.random_sample(inputs.shape) < keep
        self.binary_mask = self._mask = mask * np.float32(1 / keep)
        self.output = inputs * self._mask
        return self.output

    def book_options(self):
        return {"rate": self.rate}


class Layer_Input(Layer):
    """The model's first step (NNFS ch. 18): its output is the inputs, as float32."""

    def forward(self, inputs, training=False):
        self.output = as_float32(inputs)
        return self.output

    def backward(self, dvalues, need_dinputs=True):
        return dvalues
