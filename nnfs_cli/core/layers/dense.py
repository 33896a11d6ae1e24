"""Dense, the fully connected layer (NNFS ch. 3, 14)."""

import numpy as np

from nnfs_cli import validators
from nnfs_cli.core import regularizers
from nnfs_cli.core.layers.base import Layer, flat_width
from nnfs_cli.registry import INITIALIZERS, LAYERS


@LAYERS.register("dense")
class Dense(Layer):
    """Fully connected: out = x @ weights + biases; x: (batch, n_inputs) -> (batch, units).

    Optional L1/L2 penalties on weights and biases (NNFS ch. 3, 14).
    """

    constraints = {
        "units": validators.positive_int,
        "init": validators.registered(INITIALIZERS),
        "weight_l1": validators.non_negative,
        "weight_l2": validators.non_negative,
        "bias_l1": validators.non_negative,
        "bias_l2": validators.non_negative,
    }
    input_layout = "flat"
    size_option = "units"

    def __init__(self, units, init="normal_0.01", weight_l1=0.0, weight_l2=0.0,
                 bias_l1=0.0, bias_l2=0.0):
        super().__init__()
        self.units = units
        self.init = init
        self.weight_l1, self.weight_l2 = weight_l1, weight_l2
        self.bias_l1, self.bias_l2 = bias_l1, bias_l2
        self._init = INITIALIZERS.get(init)

    def output_shape(self, input_shape):
        flat_width(self.name, input_shape)
        return (self.units,)

    def parameter_shapes(self, input_shape):
        return {"weights": (flat_width(self.name, input_shape), self.units),
                "biases": (1, self.units)}

    def build(self, input_shape, rng):
        n_inputs = flat_width(self.name, input_shape)
        self.params = {
            "weights": self._init(rng, (n_inputs, self.units), n_inputs, self.units),
            "biases": np.zeros((1, self.units), dtype=np.float32),
        }
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        return (self.units,)

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
