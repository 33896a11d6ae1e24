"""The book's generated data sets: spiral, vertical and sine, made as the `nnfs` package makes
them (book_data.py). Each yields float32 inputs (rows are samples) split for training."""

import numpy as np

from nnfs_cli import limits, validators
from nnfs_cli.data import book_data
from nnfs_cli.data.dataset import Dataset, Splits
from nnfs_cli.registry import DATASETS


class _NnfsClasses(Dataset):
    """A 2-D classification set of book_data; validation data is freshly generated."""

    input_shape = (2,)

    constraints = {
        "samples": validators.positive_int,
        "classes": validators.int_up_to(limits.CLASSES),
        "validation_samples": validators.positive_int,
    }

    def __init__(self, samples=1000, classes=3, validation_samples=100):
        self.samples, self.classes, self.validation_samples = samples, classes, validation_samples
        self.class_names = [f"class {index}" for index in range(classes)]

    def problems(self):
        return _size_problems({"samples": self.samples,
                               "validation_samples": self.validation_samples}, self.classes)

    def load(self, seed, reporter=None):
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
    input_shape = (1,)
    constraints = {"samples": validators.positive_int, "validation_samples": validators.positive_int}

    def __init__(self, samples=1000, validation_samples=250):
        self.samples, self.validation_samples = samples, validation_samples

    def problems(self):
        return _size_problems({"samples": self.samples,
                               "validation_samples": self.validation_samples})

    def load(self, seed, reporter=None):
        x_train, y_train = book_data.sine_data(self.samples)
        x_val, y_val = book_data.sine_data(self.validation_samples)
        return Splits(x_train.astype(np.float32), y_train.astype(np.float32),
                      x_val.astype(np.float32), y_val.astype(np.float32))


def _size_problems(counts, classes=1):
    """`data.samples: ...` for each split that would hold more than the samples limit."""
    limit = limits.get("samples")
    per_class = f" per class x {classes:,} classes" if classes > 1 else ""
    return [f"data.{key}: {count:,}{per_class} is more than the limit of {limit:,} samples "
            f"{limits.hint('samples')}"
            for key, count in counts.items() if count * classes > limit]
