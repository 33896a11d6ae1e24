"""Dropout (NNFS ch. 15)."""

import numpy as np

from nnfs_cli import validators
from nnfs_cli.core.layers.base import Layer
from nnfs_cli.registry import LAYERS


@LAYERS.register("dropout")
class Dropout(Layer):
    """Zeroes a fraction `rate` of the inputs in training, scaling the rest by 1 / (1 - rate)
    so the expected sum is unchanged (inverted dropout); identity otherwise. Any shape."""

    constraints = {"rate": validators.in_range(0, 1)}

    def __init__(self, rate):
        super().__init__()
        self.rate = rate

    def build(self, input_shape, rng):
        self._rng = rng
        return self.output_shape(input_shape)

    def forward(self, x, training):
        if not training or self.rate == 0:
            self._mask = None
            return x
        keep = self._rng.random(x.shape, dtype=np.float32) >= self.rate
        self._mask = keep * np.float32(1 / (1 - self.rate))
        return x * self._mask

    def backward(self, dvalues, need_dinputs=True):
        return dvalues if self._mask is None else dvalues * self._mask
