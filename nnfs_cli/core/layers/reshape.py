"""Flatten: image samples to flat rows, for the dense layers after convolutions."""

import math

from nnfs_cli.core.layers.base import Layer
from nnfs_cli.registry import LAYERS


@LAYERS.register("flatten")
class Flatten(Layer):
    """(batch, channels, height, width) -> (batch, channels * height * width), in that order
    (channel by channel, row by row, as PyTorch's and ONNX's Flatten); any shape."""

    input_layout = "image"

    def output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def forward(self, x, training):
        self._shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, dvalues, need_dinputs=True):
        return dvalues.reshape(self._shape) if need_dinputs else None
