"""2-D convolution as one matrix product per batch (im2col)."""

import math

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

    # Set by Model when a max_pool2d of (ph, pw) windows that do not overlap takes this
    # layer's outputs (through a ReLU or directly): the outputs are then computed pool window
    # by pool window, as a (batch, ph, pw, out_h // ph, out_w // pw, filters) array that only
    # that pool reads (each position of its windows is one contiguous block per image), and
    # the pixels no window covers are not computed at all.
    pool_blocks = None

    def forward(self, x, training):
        channels, pads, out_hw = self._geometry(x.shape[1:])
        x_last = self._padded(windows.channels_last(x), pads)
        batch, kernel = len(x), self.kernel
        depth = kernel[0] * kernel[1] * channels
        # Every window, (batch, *grid, channels, kh, kw): grid is the output pixels
        # (out_h, out_w), or (ph, pw, out_h // ph, out_w // pw) pool window by pool window.
        view = windows.patches(x_last, kernel, self.strides, out_hw)
        if self.pool_blocks is not None:
            view = windows.blocked(view, self.pool_blocks)
        grid = view.shape[1:-3]
        pixels = math.prod(grid)
        axes = len(grid)
        # Columns: one row per output pixel, kh * kw * channels values and a 1 that multiplies
        # the biases' row of the weight matrix (so the product adds the biases, and the
        # weight gradient's last row is theirs). The ones are written once per buffer, and
        # only they: the windows are copied over the rest every batch.
        # Copy along whichever axis is contiguous in the input: rows of pixels when width is
        # (raw images, one channel), runs of kw * channels when channels are.
        row_major = windows.width_is_contiguous(x_last)
        if row_major:
            cols = self._buffers.get("cols", (depth + 1, batch * pixels), x.dtype,
                                     setup=lambda cols: cols[depth].fill(1))
            # both as (batch, kh, kw, channels, *grid)
            targets = windows.split(cols[:depth], (*kernel, channels, batch, *grid)).transpose(
                3, 0, 1, 2, *range(4, 4 + axes))
            sources = view.transpose(0, axes + 2, axes + 3, axes + 1, *range(1, axes + 1))
            matrix = cols.T
        else:
            cols = self._buffers.get("cols", (batch * pixels, depth + 1), x.dtype,
                                     setup=lambda cols: cols[:, depth].fill(1))
            # both as (batch, *grid, kh, kw, channels)
            targets = windows.split(cols[:, :depth], (batch, *grid, *kernel, channels))
            sources = view.transpose(*range(axes + 1), axes + 2, axes + 3, axes + 1)
            matrix = cols
        weights = self._weight_matrix(depth)
        out = np.empty((batch * pixels, self.filters), dtype=np.result_type(matrix, weights))

        def convolve(images):
            # A part of the batch: its windows into its rows of columns, then its rows of
            # the product.
            np.copyto(targets[images], sources[images])
            rows = slice(images.start * pixels, images.stop * pixels)
            np.matmul(matrix[rows], weights, out=out[rows])

        windows.over_batch(convolve, batch)
        if training:
            self._cache = (matrix, row_major, x_last.shape, x.shape, pads, out_hw, grid)
        if self.pool_blocks is not None:
            return out.reshape(batch, *grid, self.filters)
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
        matrix, row_major, padded_shape, input_shape, pads, out_hw, grid = self._cache
        depth = matrix.shape[1] - 1
        pixels = math.prod(grid)
        if self.pool_blocks is None:
            dvalues = windows.channels_last(dvalues)
        dout = dvalues.reshape(matrix.shape[0], self.filters)
        if need_dinputs:
            dpadded, col2im = self._col2im(dout, row_major, padded_shape, out_hw, grid)

        def gradients(images):
            # A part of the batch: its share of the weight gradient (the parts' shares are
            # added in order below) and the input gradient of its images.
            rows = slice(images.start * pixels, images.stop * pixels)
            if need_dinputs:
                col2im(images, rows)
            return np.matmul(matrix[rows].T, dout[rows])

        shares = windows.over_batch(gradients, padded_shape[0])
        dweights = shares[0]
        for share in shares[1:]:
            dweights += share
        self.grads["weights"][...] = dweights[:depth].reshape(
            *self.kernel, -1, self.filters).transpose(3, 2, 0, 1)
        self.grads["biases"][...] = dweights[depth]
        for name, l1, l2 in (("weights", self.weight_l1, self.weight_l2),
                             ("biases", self.bias_l1, self.bias_l2)):
            regularizers.add_gradient(self.grads[name], self.params[name], l1, l2)
        if not need_dinputs:
            return None
        top, _, left, _ = pads
        height, width = input_shape[2:]
        return windows.channels_first(dpadded[:, top:top + height, left:left + width])

    def _col2im(self, dout, row_major, padded_shape, out_hw, grid):
        """(dpadded, col2im): the input gradient (channels-last, padded), and the function
        (images, rows) that writes a part of the batch into it: the columns' gradient, then
        one strided add per kernel position (never a loop over pixels)."""
        batch, channels = padded_shape[0], padded_shape[3]
        weights = self.params["weights"]
        positions = self.kernel[0] * self.kernel[1]
        axes = len(grid)
        if row_major:
            dcols = self._buffers.get("dcols", (positions * channels, len(dout)), dout.dtype)
            by_window = weights.transpose(2, 3, 1, 0).reshape(positions * channels, self.filters)
            # (kh, kw, batch, *grid, channels)
            at = dcols.reshape(*self.kernel, channels, batch, *grid).transpose(
                0, 1, *range(3, 4 + axes), 2)
            dpadded = windows.channels_last(np.zeros(
                (batch, channels, *padded_shape[1:3]), dtype=dout.dtype))

            def product(rows):
                np.matmul(by_window, dout[rows].T, out=dcols[:, rows])
        else:
            # One product per kernel position, (pixels, filters) @ (filters, channels), so that
            # each position's columns are contiguous and the adds below run over whole rows
            # of pixels rather than `channels` values at a time (3x faster).
            dcols = self._buffers.get("dcols", (positions, len(dout), channels), dout.dtype)
            by_position = weights.transpose(2, 3, 0, 1).reshape(positions, self.filters,
                                                                channels)
            at = dcols.reshape(*self.kernel, batch, *grid, channels)
            dpadded = np.zeros(padded_shape, dtype=dout.dtype)

            def product(rows):
                np.matmul(dout[rows], by_position, out=dcols[:, rows])

        def col2im(images, rows):
            product(rows)
            for i, j, out_rows, out_columns in windows.offsets(self.kernel, self.strides,
                                                               out_hw):
                target = dpadded[images, out_rows, out_columns]
                if self.pool_blocks is not None:
                    target = windows.blocked(target, self.pool_blocks)
                target += at[i, j, images]

        return dpadded, col2im

    def regularization_loss(self):
        return (regularizers.penalty(self.params["weights"], self.weight_l1, self.weight_l2)
                + regularizers.penalty(self.params["biases"], self.bias_l1, self.bias_l2))
