"""Dense, the fully connected layer (NNFS ch. 3, 14)."""

import numpy as np

from nnfs_cli import validators
from nnfs_cli.core import regularizers
from nnfs_cli.core.layers import windows
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

    # Set by Model when its convolutions split each batch over threads (--threads): this
    # layer's products then do too, each part on one BLAS thread, so that OpenBLAS's own
    # threads never wake (after a product they spin for a while on the cores the parts need).
    split_batch = False

    def forward(self, x, training):
        self._inputs = x
        weights, biases = self.params["weights"], self.params["biases"]
        if not self.split_batch:
            out = np.dot(x, weights)
            out += biases
            return out
        out = np.empty((len(x), self.units), dtype=np.result_type(x, weights))

        def part(rows):
            np.matmul(x[rows], weights, out=out[rows])
            out[rows] += biases

        windows.over_batch(part, len(x))
        return out

    def backward(self, dvalues, need_dinputs=True):
        weights, biases = self.params["weights"], self.params["biases"]
        # The first layer's dinputs would be a gradient for the data: nobody reads it.
        if self.split_batch:
            dinputs = self._split_products(dvalues, need_dinputs)
        else:
            np.dot(self._inputs.T, dvalues, out=self.grads["weights"])
            dinputs = np.dot(dvalues, weights.T) if need_dinputs else None
        np.sum(dvalues, axis=0, keepdims=True, out=self.grads["biases"])
        regularizers.add_gradient(self.grads["weights"], weights, self.weight_l1, self.weight_l2)
        regularizers.add_gradient(self.grads["biases"], biases, self.bias_l1, self.bias_l2)
        return dinputs

    def _split_products(self, dvalues, need_dinputs):
        """backward's products with the batch split over threads: each part's share of the
        weight gradient (added in the parts' order) and its rows of the input gradient."""
        weights = self.params["weights"]
        dinputs = (np.empty((len(dvalues), weights.shape[0]),
                            dtype=np.result_type(dvalues, weights)) if need_dinputs else None)

        def part(rows):
            if need_dinputs:
                np.matmul(dvalues[rows], weights.T, out=dinputs[rows])
            return np.matmul(self._inputs[rows].T, dvalues[rows])

        shares = windows.over_batch(part, len(dvalues))
        np.copyto(self.grads["weights"], shares[0])
        for share in shares[1:]:
            self.grads["weights"] += share
        return dinputs

    def regularization_loss(self):
        return (regularizers.penalty(self.params["weights"], self.weight_l1, self.weight_l2)
                + regularizers.penalty(self.params["biases"], self.bias_l1, self.bias_l2))
