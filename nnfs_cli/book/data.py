"""The book's data helpers: the `nnfs` package's spiral, vertical and sine data (number for
number, drawn from NumPy's global generator as that package does, so `np.random.seed(0)`
gives its data), and chapter 19's Fashion-MNIST loader."""

import numpy as np

from nnfs_cli.data import book_data


def spiral_data(samples, classes):
    """`classes` interleaved spirals of `samples` points each: X (samples * classes, 2)
    float64, y (samples * classes,) uint8."""
    return book_data.spiral_data(samples, classes, np.random)


def vertical_data(samples, classes):
    """`classes` vertical clusters of `samples` points each: X float64, y uint8."""
    return book_data.vertical_data(samples, classes, np.random)


def sine_data(samples=1000):
    """y = sin(2 pi x) on `samples` points of [0, 1): X, y (samples, 1) float64."""
    return book_data.sine_data(samples)


def create_data_mnist(path):
    """(X, y, X_test, y_test) from a folder laid out as Fashion-MNIST is (train/ and test/,
    one folder per label 0-9 of 28x28 PNG files): images (N, 28, 28) and labels (N,), uint8.
    Rows go by label, then by file name (the book takes os.listdir's order, which differs
    between machines); the images are decoded once and cached beside them."""
    from nnfs_cli.data.fashion_mnist import load_fashion
    return load_fashion(path)
