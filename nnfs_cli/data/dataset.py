"""What every data set tells the rest of the program: its task, input shape, classes, how
new inputs are prepared for `nnfs predict`, and the state fitted while loading."""

from dataclasses import dataclass

import numpy as np


@dataclass
class Splits:
    """Arrays of one data set; the test split is optional. Samples are along the first axis."""

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
    """A registered data set. Subclasses set the class attributes below and write `load`.

    task          "classification" or "regression"
    input_shape   one sample's shape as the data holds it, e.g. (2,) or (784,)
    image_shape   (channels, height, width) when samples are pictures, else None; a model
                  whose first shaped layer takes images is fed this layout instead
    predict_inputs   what `nnfs predict` accepts: "rows" (.npy and .csv feature rows), "images"
    classes, class_names, target_width   what the outputs mean
    """

    task = "classification"
    constraints = {}
    input_shape = None
    image_shape = None
    predict_inputs = ("rows",)
    classes = None
    class_names = None
    target_width = None

    @property
    def known_before_loading(self):
        """True when the input shape and the outputs are known without loading the data."""
        width = self.classes if self.task == "classification" else self.target_width
        return self.input_shape is not None and width is not None

    def ensure_available(self, download, reporter):
        """Make sure the data is on disk, fetching it if `download`; generated sets always are."""

    def load(self, seed, reporter=None):
        """Return Splits, generated or shuffled reproducibly from `seed`, samples shaped
        `input_shape`."""
        raise NotImplementedError

    def shape_for(self, layers):
        """The sample shape to feed `layers`: image_shape when the first layer that cares
        takes pictures (`input_layout == "image"`), else input_shape."""
        for layer in layers:
            kind = getattr(layer, "input_layout", "any")
            if kind == "image" and self.image_shape:
                return tuple(self.image_shape)
            if kind != "any":
                break
        return tuple(self.input_shape)

    def shaped(self, splits, shape):
        """`splits` with every sample reshaped to `shape` (input_shape or image_shape)."""
        def reshape(x):
            return None if x is None else x.reshape((len(x), *shape))
        return Splits(reshape(splits.x_train), splits.y_train, reshape(splits.x_val),
                      splits.y_val, reshape(splits.x_test), splits.y_test)

    def describe_outputs(self, loss):
        if self.task == "regression":
            return f"{self.target_width} target(s) of {self.name}"
        return f"{self.classes} classes of {self.name} with {loss.name}"

    # --- what a saved run needs to treat new inputs like the training data -------------

    def state_dict(self):
        """Numbers fitted while loading (scaling, categories...), as JSON-able values."""
        return {}

    def load_state_dict(self, state):
        pass

    def prepare_rows(self, rows):
        """Raw feature rows (n, features) -> model inputs, as training prepared them."""
        return np.asarray(rows, dtype=np.float32)

    def prepare_image(self, image, invert="auto"):
        """A decoded picture (2-D gray or 3-D BGR uint8) -> one flat model input."""
        raise NotImplementedError(f"{self.name} takes no pictures")


def stratified_indices(labels, fraction, rng):
    """Indices of a seeded `fraction` of each class, sorted."""
    picked = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        count = int(round(len(members) * fraction))
        picked.append(rng.choice(members, size=count, replace=False))
    return np.sort(np.concatenate(picked)) if picked else np.array([], dtype=np.intp)
