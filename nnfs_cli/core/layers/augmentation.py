"""Data augmentation as layers (as Keras's RandomFlip and RandomTranslation): each training
batch sees its pictures randomly flipped or moved by a few pixels; outside training they
pass unchanged, so evaluate, predict and export see the network alone.

The draws come from the model's generator, like dropout's masks, so a resumed run draws
exactly what the uninterrupted one would have.
"""

import numpy as np

from nnfs_cli import validators
from nnfs_cli.core.layers import windows
from nnfs_cli.core.layers.base import Layer, ShapeError
from nnfs_cli.registry import LAYERS

FLIP_AXES = {"horizontal": (3,), "vertical": (2,), "both": (3, 2)}


@LAYERS.register("random_flip")
class RandomFlip(Layer):
    """In training, mirrors each picture with probability 1/2 left to right (`horizontal`),
    top to bottom (`vertical`), or each of the two independently (`both`)."""

    constraints = {"mode": validators.one_of(*FLIP_AXES)}
    input_layout = "image"

    def __init__(self, mode="horizontal"):
        super().__init__()
        self.mode = mode

    def output_shape(self, input_shape):
        return windows.image_dims(self.name, input_shape)

    def build(self, input_shape, rng):
        self._rng = rng
        return self.output_shape(input_shape)

    def forward(self, x, training):
        self._flips = []
        if not training:
            return x
        out = x
        for axis in FLIP_AXES[self.mode]:
            chosen = self._rng.random(len(x)) < 0.5
            out = _flip(out, chosen, axis)
            self._flips.append((chosen, axis))
        return out

    def backward(self, dvalues, need_dinputs=True):
        if not need_dinputs:
            return None
        for chosen, axis in reversed(self._flips):   # a flip is its own inverse
            dvalues = _flip(dvalues, chosen, axis)
        return dvalues


def _flip(x, chosen, axis):
    """x with the samples where `chosen` mirrored along `axis` (a new array)."""
    out = np.array(x)
    out[chosen] = np.flip(x[chosen], axis=axis)
    return out


@LAYERS.register("random_translation")
class RandomTranslation(Layer):
    """In training, moves each picture by a whole number of pixels drawn uniformly from
    -pixels..pixels, down and right independently; the pixels that come in repeat the
    picture's edge (Keras's fill_mode="nearest"), so a dark background stays dark."""

    constraints = {"pixels": validators.positive_int}
    input_layout = "image"

    def __init__(self, pixels):
        super().__init__()
        self.pixels = pixels

    def output_shape(self, input_shape):
        channels, height, width = windows.image_dims(self.name, input_shape)
        if self.pixels >= min(height, width):
            raise ShapeError(f"{self.name}: pixels must be smaller than the pictures' height "
                             f"and width ({height}x{width}), got {self.pixels}")
        return channels, height, width

    def build(self, input_shape, rng):
        self._rng = rng
        return self.output_shape(input_shape)

    def forward(self, x, training):
        self._moves = None
        if not training:
            return x
        p, (batch, _, height, width) = self.pixels, x.shape
        # Output pixel (y, x) of a picture moved by (dy, dx) is padded[y + p - dy, x + p - dx].
        starts = self._rng.integers(0, 2 * p + 1, size=(2, batch))
        self._moves = starts
        padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="edge")
        views = np.lib.stride_tricks.sliding_window_view(padded, (height, width), axis=(2, 3))
        # views: (batch, channels, 2p + 1, 2p + 1, height, width); one window per sample.
        return views[np.arange(batch), :, starts[0], starts[1]]

    def backward(self, dvalues, need_dinputs=True):
        if not need_dinputs:
            return None
        if self._moves is None:
            return dvalues
        p, (batch, channels, height, width) = self.pixels, dvalues.shape
        dpadded = np.zeros((batch, channels, height + 2 * p, width + 2 * p), dvalues.dtype)
        views = np.lib.stride_tricks.sliding_window_view(dpadded, (height, width), axis=(2, 3),
                                                         writeable=True)
        views[np.arange(batch), :, self._moves[0], self._moves[1]] = dvalues
        # The padding repeated the edge: its gradient goes back to the edge pixels.
        dpadded[:, :, p, :] += dpadded[:, :, :p, :].sum(axis=2)
        dpadded[:, :, p + height - 1, :] += dpadded[:, :, p + height:, :].sum(axis=2)
        rows = dpadded[:, :, p:p + height]
        rows[:, :, :, p] += rows[:, :, :, :p].sum(axis=3)
        rows[:, :, :, p + width - 1] += rows[:, :, :, p + width:].sum(axis=3)
        return np.ascontiguousarray(rows[:, :, :, p:p + width])
