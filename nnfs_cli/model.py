"""The model: a stack of layers and activations with a loss (NNFS ch. 18). Maths only, no I/O."""

import numpy as np

from nnfs_cli.activations import Activation


class Model:
    """Sequential stack; `loss` picks the fused output gradient when the stack allows it."""

    def __init__(self, layers, loss):
        self.layers = list(layers)
        self.loss = loss
        fused = loss.fused_activation
        self.fused = fused is not None and bool(self.layers) and type(self.layers[-1]) is fused

    def build(self, n_inputs, rng):
        """Create every layer's parameters; returns the output width of each layer."""
        widths = []
        for layer in self.layers:
            n_inputs = layer.build(n_inputs, rng)
            widths.append(n_inputs)
        return widths

    @property
    def trainable(self):
        return [layer for layer in self.layers if layer.params]

    def param_items(self):
        """(key, param, grad) for each parameter; the key names it for optimizer state."""
        return [((index, name), layer.params[name], layer.grads[name])
                for index, layer in enumerate(self.layers) for name in layer.params]

    def forward(self, x, training=False):
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, output, y_true):
        """Fill every layer's grads for the mean loss of `output` against `y_true`."""
        layers = self.layers
        if self.fused:
            dvalues = self.loss.fused_backward(output, y_true)
            layers = layers[:-1]
        else:
            dvalues = self.loss.backward(output, y_true)
        for position in range(len(layers) - 1, -1, -1):
            dvalues = layers[position].backward(dvalues, need_dinputs=position > 0)

    def regularization_loss(self):
        return sum(layer.regularization_loss() for layer in self.trainable)

    def predictions(self, outputs):
        last = self.layers[-1] if self.layers else None
        return last.predictions(outputs) if isinstance(last, Activation) else outputs

    def predict(self, x, batch_size=None):
        """Outputs for `x`, computed `batch_size` rows at a time to bound memory."""
        if not batch_size or batch_size >= len(x):
            return self.forward(x)
        return np.concatenate([self.forward(x[start:start + batch_size])
                               for start in range(0, len(x), batch_size)])

    def get_parameters(self):
        """The book's format: a list of (weights, biases), one per Dense layer."""
        return [(layer.params["weights"], layer.params["biases"]) for layer in self.trainable]

    def set_parameters(self, parameters):
        for layer, (weights, biases) in zip(self.trainable, parameters):
            layer.params["weights"][...] = weights
            layer.params["biases"][...] = biases

    def summary(self, n_inputs):
        """Rows of (layer name, output width, parameter count)."""
        rows = []
        for layer in self.layers:
            n_inputs = getattr(layer, "units", n_inputs)
            rows.append((layer.name, n_inputs, sum(p.size for p in layer.params.values())))
        return rows
