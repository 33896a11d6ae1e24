"""The book's generated data sets: spiral, vertical and sine, as the `nnfs` package makes them.
Each yields float32 inputs (rows are samples) split for training."""

import contextlib

import numpy as np

from nnfs_cli import validators
from nnfs_cli.data.dataset import Dataset, Splits
from nnfs_cli.registry import DATASETS


@contextlib.contextmanager
def legacy_seed(seed):
    """Seed NumPy's global generator, which the `nnfs` package draws from, and restore it after.

    (We never call nnfs.init(): it patches np.dot globally and slows every product.)
    """
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


class _NnfsClasses(Dataset):
    """A 2-D classification set from `nnfs.datasets`; validation data is freshly generated."""

    input_shape = (2,)

    constraints = {
        "samples": validators.positive_int,
        "classes": validators.positive_int,
        "validation_samples": validators.positive_int,
    }

    def __init__(self, samples=1000, classes=3, validation_samples=100):
        self.samples, self.classes, self.validation_samples = samples, classes, validation_samples
        self.class_names = [f"class {index}" for index in range(classes)]

    def load(self, seed, reporter=None):
        with legacy_seed(seed):
            x_train, y_train = self.generate(self.samples, self.classes)
            x_val, y_val = self.generate(self.validation_samples, self.classes)
        return Splits(x_train.astype(np.float32), y_train.astype(np.int64),
                      x_val.astype(np.float32), y_val.astype(np.int64))


@DATASETS.register("spiral")
class Spiral(_NnfsClasses):
    """nnfs.datasets.spiral_data: `classes` interleaved spirals, `samples` points per class."""

    @staticmethod
    def generate(samples, classes):
        from nnfs.datasets import spiral_data
        return spiral_data(samples=samples, classes=classes)


@DATASETS.register("vertical")
class Vertical(_NnfsClasses):
    """nnfs.datasets.vertical_data: `classes` vertical clusters, `samples` points per class."""

    @staticmethod
    def generate(samples, classes):
        from nnfs.datasets import vertical_data
        return vertical_data(samples=samples, classes=classes)


@DATASETS.register("sine")
class Sine(Dataset):
    """nnfs.datasets.sine_data: y = sin(2 pi x) on x in [0, 1); validation on a different grid."""

    task = "regression"
    target_width = 1
    input_shape = (1,)
    constraints = {"samples": validators.positive_int, "validation_samples": validators.positive_int}

    def __init__(self, samples=1000, validation_samples=250):
        self.samples, self.validation_samples = samples, validation_samples

    def load(self, seed, reporter=None):
        from nnfs.datasets import sine_data
        x_train, y_train = sine_data(samples=self.samples)
        x_val, y_val = sine_data(samples=self.validation_samples)
        return Splits(x_train.astype(np.float32), y_train.astype(np.float32),
                      x_val.astype(np.float32), y_val.astype(np.float32))
