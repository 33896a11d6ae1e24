"""Max and average pooling over windows of pixels, or over the whole picture, per channel."""

import numpy as np

from nnfs_cli import validators
from nnfs_cli.core.layers import windows
from nnfs_cli.core.layers.base import Layer, ShapeError
from nnfs_cli.registry import LAYERS


class Pool2D(Layer):
    """Windows of `pool_size` moved by `stride` (default: the pool size, so windows do not
    overlap); only whole windows (no padding). (batch, channels, height, width) ->
    (batch, channels, out_height, out_width).

    Works with one strided view per position inside the window (pool_size[0] * pool_size[1]
    slices of the whole batch), never a loop over pixels.
    """

    constraints = {
        "pool_size": validators.size_2d,
        "stride": validators.optional(validators.size_2d),
    }
    input_layout = "image"
    bare_option = "pool_size"   # `max_pool2d: 3`, as `dense: 64` gives the units

    def __init__(self, pool_size=2, stride=None):
        super().__init__()
        self.pool_size, self.stride = pool_size, stride
        self.pool = windows.pair(pool_size)
        self.strides = windows.pair(stride if stride is not None else pool_size)
        self._buffers = windows.Buffers()

    def output_shape(self, input_shape):
        channels, height, width = windows.image_dims(self.name, input_shape)
        if height < self.pool[0] or width < self.pool[1]:
            raise ShapeError(f"{self.name}: a {self.pool[0]}x{self.pool[1]} pool does not fit "
                             f"{height}x{width} inputs")
        return (channels, windows.output_size(height, self.pool[0], self.strides[0]),
                windows.output_size(width, self.pool[1], self.strides[1]))

    def _slices(self, x_last, out_hw):
        """The (batch, out_h, out_w, channels) view of each position inside the window."""
        return [x_last[:, rows, columns]
                for _, _, rows, columns in windows.offsets(self.pool, self.strides, out_hw)]

    def _input_gradient(self, input_shape, out_hw, dtype):
        """The input gradient, channels-last, and its view at each position of the window.
        Zeros only where some pixel is in no window or in several."""
        batch, channels, height, width = input_shape
        tiled = (self.strides == self.pool and out_hw[0] * self.pool[0] == height
                 and out_hw[1] * self.pool[1] == width)
        dinputs = (np.empty if tiled else np.zeros)((batch, height, width, channels), dtype=dtype)
        return dinputs, self._slices(dinputs, out_hw)

    def _put(self, target, part, scale=None):
        """target (a window position of the input gradient) gets part (* scale): added where
        windows overlap, written where they do not."""
        overlapping = self.strides[0] < self.pool[0] or self.strides[1] < self.pool[1]
        if overlapping:
            target += part if scale is None else part * scale
        elif scale is None:
            target[...] = part
        else:
            np.multiply(part, scale, out=target)


@LAYERS.register("max_pool2d")
class MaxPool2D(Pool2D):
    """The largest value of each window; its gradient goes to the first largest in the window
    (row by row, as PyTorch does), so a tie is not counted twice.

    Training keeps one index per window (which position won, uint8), not a mask per position,
    and backward writes the gradient through it. When a ReLU comes right before the pool,
    Model sets `relu_before`: the ReLU passes its input on unchanged and the pool takes the
    maximum of the raw values and applies max(0, .) to the (4x smaller) result, which gives
    the same outputs and gradients (relu(max) = max(relu); where the maximum is <= 0 both
    give 0 and no gradient, elsewhere the same position wins).
    """

    relu_before = False
    # Set by Model when the convolution before gives its outputs pool window by pool window
    # (Conv2D.pool_blocks): x is then (batch, ph, pw, out_h, out_w, channels), and each
    # position of the windows is x[:, i, j], contiguous for each image.
    blocked_input = False

    def forward(self, x, training):
        if self.blocked_input:
            slices = [x[:, i, j] for i in range(self.pool[0]) for j in range(self.pool[1])]
        else:
            _, out_h, out_w = self.output_shape(x.shape[1:])
            slices = self._slices(windows.channels_last(x), (out_h, out_w))
        if len(slices) > 255 and training:
            raise ShapeError(f"{self.name}: at most 255 values per window in training")
        out = np.empty(slices[0].shape, dtype=x.dtype)
        chosen = (self._buffers.get("chosen", out.shape, np.uint8)
                  if training and len(slices) > 1 else None)
        beat = self._buffers.get("beat", out.shape, np.uint8) if chosen is not None else None
        # The fused ReLU against an image of zeros: NumPy's maximum with a scalar 0 takes a
        # loop 4-6x slower than with an array.
        zeros = (self._buffers.get("zeros", out.shape[1:], x.dtype, fill=0)
                 if self.relu_before else None)

        def pool(rows):
            # chosen: the position of the first largest. Positions only grow, and a later one
            # wins only when it is strictly larger than every earlier one, so the winner is
            # the largest of position * (beat the running maximum): one uint8 maximum each.
            part_out = out[rows]
            if len(slices) == 1:
                np.copyto(part_out, slices[0][rows])
            else:
                np.maximum(slices[0][rows], slices[1][rows], out=part_out)
                if chosen is not None:
                    np.greater(slices[1][rows], slices[0][rows], out=chosen[rows])
            for position, part in enumerate(slices[2:], 2):
                if chosen is not None:
                    np.greater(part[rows], part_out, out=beat[rows])
                    np.multiply(beat[rows], position, out=beat[rows])
                    np.maximum(chosen[rows], beat[rows], out=chosen[rows])
                np.maximum(part_out, part[rows], out=part_out)
            if zeros is not None:
                np.maximum(part_out, zeros, out=part_out)

        windows.over_batch(pool, len(x))
        if training:
            self._cache = (chosen, x.shape, out)
        return windows.channels_first(out)

    def backward(self, dvalues, need_dinputs=True):
        if not need_dinputs:
            return None
        chosen, input_shape, out = self._cache
        dout = windows.channels_last(dvalues)
        if self.blocked_input:
            # Every position of every window is written: no zeros needed.
            dinputs = np.empty(input_shape, dtype=dout.dtype)
            targets = [dinputs[:, i, j] for i in range(self.pool[0]) for j in range(self.pool[1])]
        else:
            dinputs, targets = self._input_gradient(input_shape, out.shape[1:3], dout.dtype)
        masked = self._buffers.get("dout", out.shape, dout.dtype) if self.relu_before else None
        mask = self._buffers.get("mask", out.shape, np.bool_)

        def scatter(rows):
            part_dout = dout[rows]
            if masked is not None:
                # The ReLU's gradient, on the pooled values: none where the maximum was <= 0.
                np.greater(out[rows], 0, out=mask[rows])
                part_dout = np.multiply(part_dout, mask[rows], out=masked[rows])
            if chosen is None:
                self._put(targets[0][rows], part_dout)
                return
            for position, target in enumerate(targets):
                np.equal(chosen[rows], position, out=mask[rows])
                self._put(target[rows], part_dout, mask[rows])

        windows.over_batch(scatter, len(dout))
        return dinputs if self.blocked_input else windows.channels_first(dinputs)


@LAYERS.register("avg_pool2d")
class AvgPool2D(Pool2D):
    """The mean of each window; its gradient is shared equally by the window's pixels."""

    def forward(self, x, training):
        _, out_h, out_w = self.output_shape(x.shape[1:])
        slices = self._slices(windows.channels_last(x), (out_h, out_w))
        out = slices[0].copy() if len(slices) == 1 else np.add(slices[0], slices[1])
        for part in slices[2:]:
            out += part
        out *= out.dtype.type(1 / len(slices))
        self._input_shape = x.shape
        return windows.channels_first(out)

    def backward(self, dvalues, need_dinputs=True):
        if not need_dinputs:
            return None
        dout = windows.channels_last(dvalues)
        share = dout * dout.dtype.type(1 / (self.pool[0] * self.pool[1]))
        dinputs, targets = self._input_gradient(self._input_shape, dout.shape[1:3], dout.dtype)
        for target in targets:
            self._put(target, share)
        return windows.channels_first(dinputs)


class GlobalPool2D(Layer):
    """One value per channel over the whole picture: (batch, channels, height, width) ->
    (batch, channels), flat, so a dense layer can follow without a flatten (Keras's
    GlobalAveragePooling2D and GlobalMaxPooling2D, ONNX's GlobalAveragePool and
    GlobalMaxPool followed by a Flatten)."""

    input_layout = "image"

    def output_shape(self, input_shape):
        channels, _, _ = windows.image_dims(self.name, input_shape)
        return (channels,)

    def _input_gradient(self, input_shape, dtype, allocate):
        """A new (batch, channels, height, width) gradient array from `allocate` (np.empty or
        np.zeros), channels-last in memory like the arrays image layers pass on, and its
        (batch, height * width, channels) view."""
        batch, channels, height, width = input_shape
        dinputs = allocate((batch, height, width, channels), dtype=dtype)
        return dinputs, dinputs.reshape(batch, height * width, channels)


@LAYERS.register("global_avg_pool2d")
class GlobalAvgPool2D(GlobalPool2D):
    """The mean of each channel over height and width; its gradient is shared equally by
    the channel's pixels."""

    def forward(self, x, training):
        self.output_shape(x.shape[1:])
        self._input_shape = x.shape
        # NumPy's reduction runs over the axes in memory order, channels-last or not.
        out = np.add.reduce(x, axis=(2, 3))
        out *= out.dtype.type(1 / (x.shape[2] * x.shape[3]))
        return out

    def backward(self, dvalues, need_dinputs=True):
        if not need_dinputs:
            return None
        _, _, height, width = self._input_shape
        dinputs, pixels = self._input_gradient(self._input_shape, dvalues.dtype, np.empty)
        np.multiply(dvalues[:, None, :], dvalues.dtype.type(1 / (height * width)), out=pixels)
        return windows.channels_first(dinputs)


@LAYERS.register("global_max_pool2d")
class GlobalMaxPool2D(GlobalPool2D):
    """The largest value of each channel over height and width; its gradient goes to the
    first largest pixel (row by row, as max_pool2d and PyTorch do), so a tie is not counted
    twice."""

    def forward(self, x, training):
        self.output_shape(x.shape[1:])
        batch, channels, height, width = x.shape
        # Merging height and width is a view for channels-first and channels-last memory.
        pixels = x.reshape(batch, channels, height * width)
        if not training:
            return pixels.max(axis=2)
        # argmax gives the first largest in row-by-row order.
        self._chosen = np.argmax(pixels, axis=2)
        self._input_shape = x.shape
        return np.take_along_axis(pixels, self._chosen[:, :, None], axis=2)[:, :, 0]

    def backward(self, dvalues, need_dinputs=True):
        if not need_dinputs:
            return None
        dinputs, pixels = self._input_gradient(self._input_shape, dvalues.dtype, np.zeros)
        np.put_along_axis(pixels, self._chosen[:, None, :], dvalues[:, None, :], axis=1)
        return windows.channels_first(dinputs)
