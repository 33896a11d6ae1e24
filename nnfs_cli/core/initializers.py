"""Weight initialisers, by name: `init(rng, shape, fan_in, fan_out)` -> float32 array of `shape`.

For a dense layer shape is (inputs, units), fan_in = inputs and fan_out = units; a layer
with another layout passes its own fans (a convolution: channels * kernel area, and so on).
"""

import numpy as np

from nnfs_cli.registry import INITIALIZERS


@INITIALIZERS.register("normal_0.01")
def book_normal(rng, shape, fan_in, fan_out):
    """The book's default: 0.01 * randn (NNFS ch. 3)."""
    return rng.standard_normal(shape, dtype=np.float32) * np.float32(0.01)


@INITIALIZERS.register("normal_0.1")
def normal_tenth(rng, shape, fan_in, fan_out):
    """0.1 * randn, the book's choice for the sine regression (NNFS ch. 17)."""
    return rng.standard_normal(shape, dtype=np.float32) * np.float32(0.1)


@INITIALIZERS.register("glorot_uniform")
def glorot_uniform(rng, shape, fan_in, fan_out):
    """U(-l, l) with l = sqrt(6 / (fan_in + fan_out))."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(np.float32)


@INITIALIZERS.register("he_normal")
def he_normal(rng, shape, fan_in, fan_out):
    """N(0, 2 / fan_in), suited to ReLU (PyTorch's kaiming_normal_; not truncated, unlike
    Keras's HeNormal)."""
    scale = np.float32(np.sqrt(2.0 / fan_in))
    return rng.standard_normal(shape, dtype=np.float32) * scale


@INITIALIZERS.register("he_uniform")
def he_uniform(rng, shape, fan_in, fan_out):
    """U(-l, l) with l = sqrt(6 / fan_in): variance 2 / fan_in, as he_normal (Keras's
    HeUniform, PyTorch's kaiming_uniform_ for ReLU)."""
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, shape).astype(np.float32)


@INITIALIZERS.register("lecun_normal")
def lecun_normal(rng, shape, fan_in, fan_out):
    """N(0, 1 / fan_in), for tanh, SELU and other activations of slope 1 at 0 (LeCun et al.,
    1998); not truncated, like he_normal here and unlike Keras's LecunNormal."""
    scale = np.float32(np.sqrt(1.0 / fan_in))
    return rng.standard_normal(shape, dtype=np.float32) * scale
