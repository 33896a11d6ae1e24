"""Weight initialisers for Dense, by name. Each returns float32 (n_inputs, n_outputs)."""

import numpy as np

from nnfs_cli.registry import INITIALIZERS


@INITIALIZERS.register("normal_0.01")
def book_normal(rng, n_inputs, n_outputs):
    """The book's default: 0.01 * randn (NNFS ch. 3)."""
    return rng.standard_normal((n_inputs, n_outputs), dtype=np.float32) * np.float32(0.01)


@INITIALIZERS.register("normal_0.1")
def normal_tenth(rng, n_inputs, n_outputs):
    """0.1 * randn, the book's choice for the sine regression (NNFS ch. 17)."""
    return rng.standard_normal((n_inputs, n_outputs), dtype=np.float32) * np.float32(0.1)


@INITIALIZERS.register("glorot_uniform")
def glorot_uniform(rng, n_inputs, n_outputs):
    """U(-l, l) with l = sqrt(6 / (n_inputs + n_outputs))."""
    limit = np.sqrt(6.0 / (n_inputs + n_outputs))
    return rng.uniform(-limit, limit, (n_inputs, n_outputs)).astype(np.float32)


@INITIALIZERS.register("he_normal")
def he_normal(rng, n_inputs, n_outputs):
    """N(0, 2 / n_inputs), suited to ReLU."""
    scale = np.float32(np.sqrt(2.0 / n_inputs))
    return rng.standard_normal((n_inputs, n_outputs), dtype=np.float32) * scale
