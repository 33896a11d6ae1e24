"""Batch normalization (Ioffe and Szegedy, 2015), on flat or image samples."""

import numpy as np

from nnfs_cli import validators
from nnfs_cli.core.layers import windows
from nnfs_cli.core.layers.base import Layer, ShapeError
from nnfs_cli.registry import LAYERS


@LAYERS.register("batch_norm")
class BatchNorm(Layer):
    """out = scale * (x - mean) / sqrt(var + epsilon) + shift, per feature of (features,)
    samples or per channel of (channels, height, width) ones (statistics over the batch,
    height and width).

    In training, mean and var are the batch's (var divided by n) and the running statistics
    follow them: running = momentum * running + (1 - momentum) * batch, as ONNX's
    BatchNormalization and Keras do. Outside training the running ones are used.
    params: scale, shift (trained), running_mean, running_var (saved, not trained), all of
    shape (features,) or (channels,).
    """

    constraints = {"momentum": validators.in_range(0, 1), "epsilon": validators.positive}
    non_negative = ("running_var",)   # its square root is taken

    def __init__(self, momentum=0.9, epsilon=1e-5):
        super().__init__()
        self.momentum, self.epsilon = momentum, epsilon
        self._buffers = windows.Buffers()

    def output_shape(self, input_shape):
        if len(input_shape) not in (1, 3):
            raise ShapeError(f"{self.name} expects (features,) or (channels, height, width) "
                             f"inputs, got shape {tuple(input_shape)}")
        return tuple(input_shape)

    def parameter_shapes(self, input_shape):
        width = self.output_shape(input_shape)[0]
        return dict.fromkeys(("scale", "shift", "running_mean", "running_var"), (width,))

    def build(self, input_shape, rng):
        shape = self.output_shape(input_shape)
        width = shape[0]
        self.params = {
            "scale": np.ones(width, dtype=np.float32),
            "shift": np.zeros(width, dtype=np.float32),
            "running_mean": np.zeros(width, dtype=np.float32),
            "running_var": np.ones(width, dtype=np.float32),
        }
        self.grads = {"scale": np.zeros(width, dtype=np.float32),
                      "shift": np.zeros(width, dtype=np.float32)}
        return shape

    @staticmethod
    def _rows(x):
        """x as (samples, features): images become (batch * height * width, channels) (a view
        of channels-last memory), with the function that shapes such rows back."""
        if x.ndim == 2:
            return x, lambda rows: rows
        batch, channels, height, width = x.shape
        rows = windows.channels_last(x).reshape(-1, channels)
        return rows, lambda out: windows.channels_first(out.reshape(batch, height, width, channels))

    def _column_sums(self, rows):
        """Sums over the rows as one matrix-vector product: on rows of a few dozen channels
        10x faster than rows.sum(axis=0), which adds them a row at a time."""
        return np.matmul(self._buffers.get("ones", (len(rows),), rows.dtype, fill=1), rows)

    def forward(self, x, training):
        rows, shape_back = self._rows(x)
        params = self.params
        if not training:
            # One multiply and one add: scale * (x - mean) * inv_std + shift, rearranged.
            inv_std = 1 / np.sqrt(params["running_var"] + self.epsilon)
            factor = params["scale"] * inv_std
            self._cache = (rows, inv_std, shape_back, False)
            out = rows * factor
            out += params["shift"] - params["running_mean"] * factor
            return shape_back(out)
        count = len(rows)
        mean = self._column_sums(rows) / count
        normalized = rows - mean
        squares = self._buffers.get("scratch", rows.shape, rows.dtype)
        var = self._column_sums(np.square(normalized, out=squares)) / count
        inv_std = 1 / np.sqrt(var + self.epsilon)
        normalized *= inv_std
        self._cache = (normalized, inv_std, shape_back, True)
        for running, batch in ((params["running_mean"], mean), (params["running_var"], var)):
            running *= self.momentum
            running += (1 - self.momentum) * batch
        out = normalized * params["scale"]
        out += params["shift"]
        return shape_back(out)

    def backward(self, dvalues, need_dinputs=True):
        cached, inv_std, shape_back, batch_statistics = self._cache
        normalized = (cached if batch_statistics
                      else (cached - self.params["running_mean"]) * inv_std)
        dout, _ = self._rows(dvalues)
        products = self._buffers.get("scratch", dout.shape, dout.dtype)
        self.grads["shift"][...] = self._column_sums(dout)
        self.grads["scale"][...] = self._column_sums(np.multiply(dout, normalized, out=products))
        if not need_dinputs:
            return None
        factor = self.params["scale"] * inv_std
        if not batch_statistics:
            return shape_back(dout * factor)
        # The batch's mean and variance depend on every input of the batch too.
        count = len(dout)
        dinputs = normalized * (self.grads["scale"] / count)
        dinputs += self.grads["shift"] / count
        np.subtract(dout, dinputs, out=dinputs)
        dinputs *= factor
        return shape_back(dinputs)
