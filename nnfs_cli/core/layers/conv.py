"""2-D convolution as one matrix product per batch (im2col)."""

import numpy as np

from nnfs_cli import validators
from nnfs_cli.core import regularizers
from nnfs_cli.core.layers import windows
from nnfs_cli.core.layers.base import Layer, ShapeError
from nnfs_cli.registry import INITIALIZERS, LAYERS


@LAYERS.register("conv2d")
class Conv2D(Layer):
    """out[n, f, y, x] = biases[f] + sum over c, i, j of
    weights[f, c, i, j] * x_padded[n, c, y * stride + i, x * stride + j]
    (cross-correlation, as PyTorch and ONNX compute it).

    x: (batch, channels, height, width) -> (batch, filters, out_height, out_width);
    weights: (filters, channels, kh, kw), biases: (filters,). `padding` "valid" uses only
    whole windows; "same" pads with zeros to give ceil(size / stride) outputs. Optional L1/L2
    penalties on weights and biases, as for dense layers.

    Every window is copied once per batch from a strided view into a row of a (pixels,
    kh * kw * channels + 1) matrix, so the layer is one product with the weights forward and
    two backward; the input gradient adds the columns back with one slice per kernel
    position (never a loop over pixels, never np.add.at).
    """

    constraints = {
        "filters": validators.positive_int,
        "kernel_size": validators.size_2d,
        "stride": validators.size_2d,
        "padding": validators.one_of("valid", "same"),
        "init": validators.registered(INITIALIZERS),
        "weight_l1": validators.non_negative,
        "weight_l2": validators.non_negative,
        "bias_l1": validators.non_negative,
        "bias_l2": validators.non_negative,
    }
    input_layout = "image"
    size_option = "filters"

    def __init__(self, filters, kernel_size, stride=1, padding="valid", init="glorot_uniform",
                 weight_l1=0.0, weight_l2=0.0, bias_l1=0.0, bias_l2=0.0):
        super().__init__()
        self.filters = filters
        self.kernel_size, self.stride = kernel_size, stride
        self.padding, self.init = padding, init
        self.weight_l1, self.weight_l2 = weight_l1, weight_l2
        self.bias_l1, self.bias_l2 = bias_l1, bias_l2
        self.kernel, self.strides = windows.pair(kernel_size), windows.pair(stride)
        self._init = INITIALIZERS.get(init)
        self._buffers = windows.Buffers()

    def _geometry(self, input_shape):
        """(channels, (pad top, bottom, left, right), (out_height, out_width))."""
        channels, height, width = windows.image_dims(self.name, input_shape)
        if self.padding == "same":
            pads = (*windows.same_padding(height, self.kernel[0], self.strides[0]),
                    *windows.same_padding(width, self.kernel[1], self.strides[1]))
        else:
            pads = (0, 0, 0, 0)
        padded = (height + pads[0] + pads[1], width + pads[2] + pads[3])
        if padded[0] < self.kernel[0] or padded[1] < self.kernel[1]:
            raise ShapeError(f"{self.name}: a {self.kernel[0]}x{self.kernel[1]} kernel does not "
                             f"fit {height}x{width} inputs with padding {self.padding}")
        out_hw = tuple(windows.output_size(size, k, s)
                       for size, k, s in zip(padded, self.kernel, self.strides))
        return channels, pads, out_hw

    def pads(self, input_shape):
        """Zeros added around `input_shape`'s images: (top, bottom, left, right)."""
        return self._geometry(input_shape)[1]

    def output_shape(self, input_shape):
        _, _, out_hw = self._geometry(input_shape)
        return (self.filters, *out_hw)

    def parameter_shapes(self, input_shape):
        channels, _, _ = self._geometry(input_shape)
        return {"weights": (self.filters, channels, *self.kernel), "biases": (self.filters,)}

    def scratch_values(self, input_shape):
        """The window matrix: one row of kh * kw * channels + 1 values per output pixel."""
        channels, _, (out_height, out_width) = self._geometry(input_shape)
        return out_height * out_width * (self.kernel[0] * self.kernel[1] * channels + 1)

    def build(self, input_shape, rng):
        channels, _, out_hw = self._geometry(input_shape)
        area = self.kernel[0] * self.kernel[1]
        shape = (self.filters, channels, *self.kernel)
        self.params = {
            "weights": self._init(rng, shape, channels * area, self.filters * area),
            "biases": np.zeros(self.filters, dtype=np.float32),
        }
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        return (self.filters, *out_hw)

    def _weight_matrix(self, depth):
        """weights (filters, channels, kh, kw) as a (kh * kw * channels, filters) matrix, with
        the biases as one more row."""
        weights = self.params["weights"]
        matrix = self._buffers.get("weight_matrix", (depth + 1, self.filters), weights.dtype)
        np.copyto(windows.split(matrix[:depth], (*self.kernel, -1, self.filters)),
                  weights.transpose(2, 3, 1, 0))
        matrix[depth] = self.params["biases"]
        return matrix

    def forward(self, x, training):
        channels, pads, out_hw = self._geometry(x.shape[1:])
        x_last = self._padded(windows.channels_last(x), pads)
        batch, kernel = len(x), self.kernel
        rows = batch * out_hw[0] * out_hw[1]
        depth = kernel[0] * kernel[1] * channels
        view = windows.patches(x_last, kernel, self.strides, out_hw)
        # Columns: one row per output pixel, kh * kw * channels values and a 1 that multiplies
        # the biases' row of the weight matrix (so the product adds the biases, and the
        # weight gradient's last row is theirs). The ones are written once per buffer, and
        # only they: the windows are copied over the rest every batch.
        # Copy along whichever axis is contiguous in the input: rows of pixels when width is
        # (raw images, one channel), runs of kw * channels when channels are.
        row_major = windows.width_is_contiguous(x_last)
        if row_major:
            cols = self._buffers.get("cols", (depth + 1, rows), x.dtype,
                                     setup=lambda cols: cols[depth].fill(1))
            np.copyto(windows.split(cols[:depth], (*kernel, channels, batch, *out_hw)),
                      view.transpose(4, 5, 3, 0, 1, 2))
            matrix = cols.T
        else:
            cols = self._buffers.get("cols", (rows, depth + 1), x.dtype,
                                     setup=lambda cols: cols[:, depth].fill(1))
            np.copyto(windows.split(cols[:, :depth], (batch, *out_hw, *kernel, channels)),
                      view.transpose(0, 1, 2, 4, 5, 3))
            matrix = cols
        out = np.matmul(matrix, self._weight_matrix(depth))
        if training:
            self._cache = (matrix, row_major, x_last.shape, x.shape, pads, out_hw)
        return windows.channels_first(out.reshape(batch, *out_hw, self.filters))

    def _padded(self, x_last, pads):
        """x_last with zeros around it, in a buffer whose border stays zero across batches."""
        top, bottom, left, right = pads
        if not any(pads):
            return x_last
        batch, height, width, channels = x_last.shape
        padded_hw = (height + top + bottom, width + left + right)
        if windows.width_is_contiguous(x_last):
            padded = windows.channels_last(self._buffers.get(
                "padded", (batch, channels, *padded_hw), x_last.dtype, fill=0))
        else:
            padded = self._buffers.get("padded", (batch, *padded_hw, channels), x_last.dtype,
                                       fill=0)
        padded[:, top:top + height, left:left + width] = x_last
        return padded

    def backward(self, dvalues, need_dinputs=True):
        matrix, row_major, padded_shape, input_shape, pads, out_hw = self._cache
        depth = matrix.shape[1] - 1
        dout = windows.channels_last(dvalues).reshape(matrix.shape[0], self.filters)
        dweights = np.matmul(matrix.T, dout)
        self.grads["weights"][...] = dweights[:depth].reshape(
            *self.kernel, -1, self.filters).transpose(3, 2, 0, 1)
        self.grads["biases"][...] = dweights[depth]
        for name, l1, l2 in (("weights", self.weight_l1, self.weight_l2),
                             ("biases", self.bias_l1, self.bias_l2)):
            regularizers.add_gradient(self.grads[name], self.params[name], l1, l2)
        if not need_dinputs:
            return None
        batch, channels = padded_shape[0], padded_shape[3]
        weights = self.params["weights"]
        if row_major:
            dcols = self._buffers.get("dcols", (depth, matrix.shape[0]), dout.dtype)
            np.matmul(weights.transpose(2, 3, 1, 0).reshape(depth, self.filters), dout.T,
                      out=dcols)
            dcols = dcols.reshape(*self.kernel, channels, batch, *out_hw).transpose(
                0, 1, 3, 4, 5, 2)
            dpadded = windows.channels_last(np.zeros(
                (batch, channels, *padded_shape[1:3]), dtype=dout.dtype))
        else:
            # One product per kernel position, (pixels, filters) @ (filters, channels), so that
            # each position's columns are contiguous and the adds below run over whole rows
            # of pixels rather than `channels` values at a time (3x faster).
            positions = self.kernel[0] * self.kernel[1]
            dcols = self._buffers.get("dcols", (positions, matrix.shape[0], channels),
                                      dout.dtype)
            np.matmul(dout, weights.transpose(2, 3, 0, 1).reshape(positions, self.filters,
                                                                  channels), out=dcols)
            dcols = dcols.reshape(*self.kernel, batch, *out_hw, channels)
            dpadded = np.zeros(padded_shape, dtype=dout.dtype)
        # col2im: one strided add per kernel position, never a loop over pixels.
        for i, j, rows, columns in windows.offsets(self.kernel, self.strides, out_hw):
            dpadded[:, rows, columns] += dcols[i, j]
        top, _, left, _ = pads
        height, width = input_shape[2:]
        return windows.channels_first(dpadded[:, top:top + height, left:left + width])

    def regularization_loss(self):
        return (regularizers.penalty(self.params["weights"], self.weight_l1, self.weight_l2)
                + regularizers.penalty(self.params["biases"], self.bias_l1, self.bias_l2))
