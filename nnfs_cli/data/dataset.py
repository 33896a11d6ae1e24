"""What every data set tells the rest of the program: its task, input shape, classes, how
new inputs are prepared for `nnfs predict` and `nnfs export`, and the state fitted while
loading."""

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


@dataclass(frozen=True)
class InputPreprocessing:
    """The affine map from one raw sample, as the data files hold it, to the model's input:

        model input = ((raw - subtract) / divide).reshape(the model's input shape)

    raw_shape   the shape of one raw sample, e.g. (28, 28) for a picture's pixels
    layout      what those raw values are, in words (kept in exported models)
    subtract, divide   floats, or float32 arrays that broadcast against raw_shape (one value
                per feature for fitted scaling); divide has no zeros
    """

    raw_shape: tuple
    layout: str
    subtract: object = 0.0
    divide: object = 1.0

    def apply(self, raw, shape):
        """Raw samples (n, *raw_shape) -> float32 model inputs (n, *shape), as training
        computed them: subtract, then divide, in float32."""
        x = np.asarray(raw, dtype=np.float32).reshape((-1, *self.raw_shape))
        x = x - np.asarray(self.subtract, dtype=np.float32)
        x /= np.asarray(self.divide, dtype=np.float32)
        return x.reshape((len(x), *shape))


class Dataset:
    """A registered data set. Subclasses set the class attributes below and write `load`.

    task          "classification" or "regression"
    input_shape   one sample's shape as the data holds it, e.g. (2,) or (784,)
    image_shape   (channels, height, width) when samples are pictures, else None; a model
                  whose first shaped layer takes images is fed this layout instead
    predict_inputs   what `nnfs predict` accepts: "rows" (.npy and .csv feature rows), "images"
    classes, class_names, target_width   what the outputs mean
    test_split    True when `load` returns a test split (summary.json gets test_loss and
                  test_accuracy)
    """

    task = "classification"
    constraints = {}
    input_shape = None
    image_shape = None
    predict_inputs = ("rows",)
    classes = None
    class_names = None
    target_width = None
    test_split = False

    @property
    def known_before_loading(self):
        """True when the input shape and the outputs are known without loading the data."""
        width = self.classes if self.task == "classification" else self.target_width
        return self.input_shape is not None and width is not None

    def problems(self):
        """What is wrong across its options, as `data.key: message` lines (sizes that
        would not fit in memory, say); checked with the config."""
        return []

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

    def input_preprocessing(self):
        """How training turned raw samples into model inputs, as an InputPreprocessing, or
        None when the model takes the data's numbers as they are (generated data sets).

        The contract `nnfs export` relies on to put the preprocessing into the model: for a
        raw sample r of `raw_shape` (the numbers the data files hold, as float32), training fed
        the model exactly `(r - subtract) / divide`, computed in float32 in that order, then
        reshaped to the model's input shape (input_shape or image_shape). Write the data
        set's own scaling the same way (e.g. standard scaling: subtract the fitted means,
        divide by the standard deviations; min-max: subtract the minima, divide by the
        ranges) so the exported graph gives the model the same numbers bit for bit. Steps
        that are not affine (one-hot encoding of categories, decoding pictures) stay outside:
        then `raw_shape` and `layout` describe the numbers after them. Called after `load` or
        `load_state_dict`, so fitted values are known.
        """
        return None

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
