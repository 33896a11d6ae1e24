"""Data sets by name: the book's spiral, vertical and sine data (Fashion-MNIST is in
fashion_data.py). Each yields float32 inputs (rows are samples) split for training."""

from dataclasses import dataclass

import numpy as np

from nnfs_cli import book_data, checks
from nnfs_cli.registry import DATASETS


@dataclass
class Splits:
    """Arrays of one data set; the test split is optional."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray = None
    y_test: np.ndarray = None

    def split(self, name):
        """(x, y) of 'train', 'validation' or 'test'."""
        key = {"train": "train", "validation": "val", "test": "test"}[name]
        return getattr(self, f"x_{key}"), getattr(self, f"y_{key}")


class Dataset:
    task = "classification"
    constraints = {}
    class_names = None

    def ensure_available(self, download, say):
        """Make sure the data is on disk, fetching it if allowed; generated sets always are."""

    def load(self, seed):
        """Return Splits, generated or shuffled reproducibly from `seed`."""
        raise NotImplementedError

    def describe_outputs(self, loss):
        if self.task == "regression":
            return f"{self.target_width} target(s) of {self.name}"
        return f"{self.classes} classes of {self.name} with {loss.name}"


class _NnfsClasses(Dataset):
    """A 2-D classification set of book_data; validation data is freshly generated."""

    constraints = {
        "samples": checks.positive_int,
        "classes": checks.positive_int,
        "validation_samples": checks.positive_int,
    }

    def __init__(self, samples=1000, classes=3, validation_samples=100):
        self.samples, self.classes, self.validation_samples = samples, classes, validation_samples
        self.class_names = [f"class {index}" for index in range(classes)]

    def load(self, seed):
        # A RandomState (not a Generator) keeps the data of the book's `np.random.seed(seed)`;
        # validation data continues the training data's stream.
        rng = np.random.RandomState(seed)
        x_train, y_train = self.generate(self.samples, self.classes, rng)
        x_val, y_val = self.generate(self.validation_samples, self.classes, rng)
        return Splits(x_train.astype(np.float32), y_train.astype(np.int64),
                      x_val.astype(np.float32), y_val.astype(np.int64))


@DATASETS.register("spiral")
class Spiral(_NnfsClasses):
    """The book's spiral_data: `classes` interleaved spirals, `samples` points per class."""

    generate = staticmethod(book_data.spiral_data)


@DATASETS.register("vertical")
class Vertical(_NnfsClasses):
    """The book's vertical_data: `classes` vertical clusters, `samples` points per class."""

    generate = staticmethod(book_data.vertical_data)


@DATASETS.register("sine")
class Sine(Dataset):
    """The book's sine_data: y = sin(2 pi x) on x in [0, 1); validation on a different grid."""

    task = "regression"
    target_width = 1
    constraints = {"samples": checks.positive_int, "validation_samples": checks.positive_int}

    def __init__(self, samples=1000, validation_samples=250):
        self.samples, self.validation_samples = samples, validation_samples

    def load(self, seed):
        x_train, y_train = book_data.sine_data(self.samples)
        x_val, y_val = book_data.sine_data(self.validation_samples)
        return Splits(x_train.astype(np.float32), y_train.astype(np.float32),
                      x_val.astype(np.float32), y_val.astype(np.float32))
