"""The book's generated data sets, number for number as the PyPI package `nnfs` 0.5.1 makes them.

We keep our own copy because that package installs a console script also called `nnfs`, which
can shadow ours. The formulas, draw order and dtypes (float64 inputs, uint8 labels) are the
package's; `rng` is a `np.random.RandomState`, the generator behind the legacy `np.random.randn`
that the package draws from, so a RandomState seeded like `np.random.seed` gives the same data.
"""

import numpy as np


def spiral_data(samples, classes, rng):
    """`classes` interleaved spirals of `samples` points each (NNFS ch. 3, after cs231n).

    Returns x: (samples * classes, 2) float64, y: (samples * classes,) uint8.
    """
    x = np.zeros((samples * classes, 2))
    y = np.zeros(samples * classes, dtype="uint8")
    for class_number in range(classes):
        rows = slice(samples * class_number, samples * (class_number + 1))
        r = np.linspace(0.0, 1, samples)
        t = (np.linspace(class_number * 4, (class_number + 1) * 4, samples)
             + rng.randn(samples) * 0.2)
        x[rows] = np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]
        y[rows] = class_number
    return x, y


def vertical_data(samples, classes, rng):
    """`classes` Gaussian clusters (sd 0.1) centred at (class / 3, 0.5) (NNFS ch. 6).

    Returns x: (samples * classes, 2) float64, y: (samples * classes,) uint8.
    """
    x = np.zeros((samples * classes, 2))
    y = np.zeros(samples * classes, dtype="uint8")
    for class_number in range(classes):
        rows = slice(samples * class_number, samples * (class_number + 1))
        # The x column is drawn before the y column, as in the package.
        x[rows] = np.c_[rng.randn(samples) * .1 + class_number / 3, rng.randn(samples) * .1 + 0.5]
        y[rows] = class_number
    return x, y


def sine_data(samples):
    """y = sin(2 pi x) on the grid x = i / samples, i < samples (NNFS ch. 17); no randomness.

    Returns x, y: (samples, 1) float64.
    """
    x = np.arange(samples).reshape(-1, 1) / samples
    y = np.sin(2 * np.pi * x).reshape(-1, 1)
    return x, y
