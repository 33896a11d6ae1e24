"""The model: a stack of layers and activations with a loss (NNFS ch. 18). Maths only, no I/O."""

import math

import numpy as np

from nnfs_cli import limits
from nnfs_cli.core.activations import Activation, ReLU
from nnfs_cli.core.layers.base import ShapeError
from nnfs_cli.core.layers.conv import Conv2D
from nnfs_cli.core.layers.dense import Dense
from nnfs_cli.core.layers.pooling import MaxPool2D
from nnfs_cli.core.parameters import FlatParameters


class Model:
    """Sequential stack; `loss` picks the fused output gradient when the stack allows it."""

    def __init__(self, layers, loss):
        self.layers = list(layers)
        self.loss = loss
        fused = getattr(loss, "fused_activation", None)   # no loss: a model to predict with
        self.fused = fused is not None and bool(self.layers) and isinstance(self.layers[-1], fused)
        self.flat = None
        # relu then max_pool2d: the pool applies the ReLU to its maxima (relu(max) =
        # max(relu), the same values and gradients) on a quarter of the numbers.
        for before, after in zip(self.layers, self.layers[1:]):
            if type(before) is ReLU and type(after) is MaxPool2D:
                before.pooled_after = after.relu_before = True
        # conv2d, then (through that ReLU or directly) max_pool2d of windows that do not
        # overlap: the convolution computes its outputs pool window by pool window, in the
        # order the pool reads them, and skips the pixels no window covers.
        for index, pool in enumerate(self.layers):
            if type(pool) is not MaxPool2D or pool.strides != pool.pool or index == 0:
                continue
            conv = self.layers[index - 1]
            if type(conv) is ReLU and conv.pooled_after and index >= 2:
                conv = self.layers[index - 2]
            if type(conv) is Conv2D:
                conv.pool_blocks, pool.blocked_input = pool.pool, True
        # With convolutions, whose work splits over the batch (--threads), dense layers split
        # theirs too: BLAS then never runs threaded products between the parts.
        if any(type(layer) is Conv2D for layer in self.layers):
            for layer in self.layers:
                if type(layer) is Dense:
                    layer.split_batch = True

    def build(self, input_shape, rng):
        """Create every layer's parameters for inputs of `input_shape` (no batch axis);
        returns each layer's output shape. ShapeError names the layer that cannot fit,
        or the largest one when the parameters would pass the limit. The trained parameters
        and their gradients then live in one flat buffer each."""
        self.infer_shapes(self.layers, input_shape)
        self.input_shape = tuple(input_shape)
        self.shapes = []
        shape = self.input_shape
        for index, layer in enumerate(self.layers):
            try:
                shape = tuple(layer.build(shape, rng))
            except ShapeError as error:
                raise ShapeError(f"model[{index}]: {error}") from None
            self.shapes.append(shape)
        self.flat = FlatParameters(self.layers)
        return self.shapes

    @staticmethod
    def infer_shapes(layers, input_shape):
        """Output shapes of unbuilt `layers` for `input_shape`, allocating nothing;
        ShapeError also when their parameters would pass the limit."""
        shapes, counts, shape = [], [], tuple(input_shape)
        for index, layer in enumerate(layers):
            try:
                counts.append(sum(math.prod(s) for s in layer.parameter_shapes(shape).values()))
                shape = tuple(layer.output_shape(shape))
            except ShapeError as error:
                raise ShapeError(f"model[{index}]: {error}") from None
            shapes.append(shape)
        limit = limits.get("parameters")
        if sum(counts) > limit:
            # Blame the layer where the running total passes the limit.
            index = next(i for i in range(len(counts)) if sum(counts[:i + 1]) > limit)
            option = layers[index].size_option
            key = f"model[{index}]" + (f".{option}" if option else "")
            raise ShapeError(f"{key}: the model would have {sum(counts):,} parameters, more "
                             f"than the limit of {limit:,} {limits.hint('parameters')}")
        return shapes

    @property
    def trainable(self):
        return [layer for layer in self.layers if layer.params]

    def param_items(self):
        """(key, param, grad) for each trained parameter; the key names it for optimizer state.
        The FlatParameters itself while the layers hold its views, so optimizers can update
        the whole model at once; otherwise a list of the layers' own arrays."""
        if self.flat is not None and self.flat.intact():
            return self.flat
        return [((index, name), layer.params[name], layer.grads[name])
                for index, layer in enumerate(self.layers) for name in layer.grads]

    def forward(self, x, training=False):
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, output, y_true, sample_weight=None):
        """Fill every layer's grads for the mean loss of `output` against `y_true`; with
        `sample_weight` (n,), of the mean of the samples' losses times their weights."""
        layers = self.layers
        if self.fused:
            dvalues = self.loss.fused_backward(output, y_true)
            layers = layers[:-1]
        else:
            dvalues = self.loss.backward(output, y_true)
        if sample_weight is not None:
            dvalues = dvalues * sample_weight.astype(dvalues.dtype).reshape(
                (-1,) + (1,) * (dvalues.ndim - 1))
        # Nothing before the first trained layer needs a gradient (augmentation layers in
        # front of a convolution): stop there, without its input gradient.
        first = next((i for i, layer in enumerate(layers) if layer.params), 0)
        for position in range(len(layers) - 1, first - 1, -1):
            dvalues = layers[position].backward(dvalues, need_dinputs=position > first)

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
        """One tuple per layer that has parameters, in stack order, holding its arrays in
        `params` order. For dense layers that is the book's (weights, biases)."""
        return [tuple(layer.params.values()) for layer in self.trainable]

    def set_parameters(self, parameters):
        """Copy arrays in `get_parameters`' layout into the layers (shapes already checked)."""
        for layer, arrays in zip(self.trainable, parameters):
            for target, array in zip(layer.params.values(), arrays):
                target[...] = np.reshape(array, target.shape)

    def copy_parameters(self):
        return [tuple(array.copy() for array in arrays) for arrays in self.get_parameters()]

    def summary(self):
        """Rows of (layer name, output shape, parameter count) of the built model."""
        return [(layer.name, shape, layer.parameter_count())
                for layer, shape in zip(self.layers, self.shapes)]


def evaluate(model, metric, x, y, batch_size=None, scores=()):
    """(mean data loss, accuracy) of `model` on (x, y), computed in batches; each of
    `scores` (core/scores.py) sees every batch too."""
    batch_size = batch_size or len(x)
    loss_sum = 0.0
    correct = total = 0
    for start in range(0, len(x), batch_size):
        batch_x, batch_y = x[start:start + batch_size], y[start:start + batch_size]
        output = model.forward(batch_x, training=False)
        loss_sum += float(model.loss.forward(output, batch_y).sum(dtype=np.float64))
        good, count = metric.count(model.predictions(output), batch_y)
        correct, total = correct + good, total + count
        for score in scores:
            score.update(output, batch_y)
    return loss_sum / len(x), correct / total
