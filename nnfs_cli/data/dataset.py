"""What every data set tells the rest of the program: its task, input shape, classes, how
new inputs are prepared for `nnfs predict` and `nnfs export`, and the state fitted while
loading."""

import hashlib
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

    def fingerprint(self):
        """{"train", "validation": samples, "sha256": of their values and targets}: kept in
        a run, so that `--resume` can tell when its data changed. Pictures are hashed as the
        uint8 pixels they are kept as (47 MB for Fashion-MNIST: a tenth of a second)."""
        digest = hashlib.sha256()
        for array in (self.x_train, self.y_train, self.x_val, self.y_val):
            if array is None:   # trained without validation (Sequential.fit)
                digest.update(b"none;")
                continue
            values = np.ascontiguousarray(getattr(array, "images", array))
            digest.update(f"{values.dtype.str}{values.size};".encode())
            digest.update(values.reshape(-1).view(np.uint8))
        return {"train": len(self.x_train),
                "validation": 0 if self.x_val is None else len(self.x_val),
                "sha256": digest.hexdigest()}


@dataclass(frozen=True)
class InputPreprocessing:
    """The affine map from one raw sample, as the data files hold it, to the model's input:

        model input = ((raw - subtract) / divide).reshape(the model's input shape)

    raw_shape   the shape of one raw sample, e.g. (28, 28) for a picture's pixels
    layout      what those raw values are, in words (kept in exported models)
    subtract, divide   floats, or float32 arrays that broadcast against raw_shape (one value
                per feature for fitted scaling); divide has no zeros
    fill        None, or a float32 array of raw_shape: what a missing (NaN) raw value becomes
                before the scaling (the training rows' mean, median or most frequent value);
                NaN where nothing is filled in
    columns     None, or one {"name", "kind": "number" | "category", "column", "category"}
                per raw value: which column of the data files it is (a category's 0/1)
    """

    raw_shape: tuple
    layout: str
    subtract: object = 0.0
    divide: object = 1.0
    fill: object = None
    columns: list = None

    def apply(self, raw, shape):
        """Raw samples (n, *raw_shape) -> float32 model inputs (n, *shape), as training
        computed them: missing values filled, subtract, then divide, in float32."""
        x = np.asarray(raw, dtype=np.float32).reshape((-1, *self.raw_shape))
        if self.fill is not None:
            x = np.where(np.isnan(x), np.asarray(self.fill, dtype=np.float32), x)
        x = x - np.asarray(self.subtract, dtype=np.float32)
        x /= np.asarray(self.divide, dtype=np.float32)
        return x.reshape((len(x), *shape))


@dataclass(frozen=True)
class OutputPostprocessing:
    """The affine map from a regression model's outputs back to the data's targets, for a
    data set that scaled its targets for training:

        target = output * multiply + add      (in float32)
    """

    multiply: float
    add: float

    def apply(self, outputs):
        x = np.asarray(outputs, dtype=np.float32) * np.float32(self.multiply)
        x += np.float32(self.add)
        return x


class Dataset:
    """A registered data set. Subclasses set the class attributes below and write `load`.

    task          "classification" or "regression" (None until loaded when the data decides,
                  and then `task_found` is true)
    input_shape   one sample's shape as the data holds it, e.g. (2,) or (784,)
    image_shape   (channels, height, width) when samples are pictures, else None; a model
                  whose first shaped layer takes images is fed this layout instead
    predict_inputs   what `nnfs predict` accepts: "rows" (.npy and .csv feature rows), "images"
    classes, class_names, target_width   what the outputs mean
    test_split    True when `load` returns a test split (summary.json gets test_loss and
                  test_accuracy); None when only the data files can tell
    path_options  the options that name files or folders; a run records them as absolute paths
    notes         lines saying what `load` found (rows, classes, skipped files), which the run
                  prints with its summary
    rows_used     None, or {file's split ("train", "test"): {"path", "rows": in the file,
                  "used": after the rows with missing cells were dropped}}, set by `load`
    Data sets that learn these from their files set them in `load`.
    """

    task = "classification"
    task_found = False
    constraints = {}
    input_shape = None
    image_shape = None
    predict_inputs = ("rows",)
    classes = None
    class_names = None
    target_width = None
    test_split = False
    path_options = ()
    notes = ()
    rows_used = None
    # predict refuses a near-uniform picture: nothing in Fashion-MNIST looks like one, but
    # a folder of one's own pictures may have a class of them (sky, empty shelves...)
    refuses_blank_pictures = True

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

    learnt = None   # what `load` fitted (classes, shapes...), set through `_adopt`

    def state_dict(self):
        """Numbers fitted while loading (scaling, categories...), as JSON-able values."""
        return self.learnt or {}

    def load_state_dict(self, state):
        if state:
            self._adopt(dict(state))

    def _adopt(self, learnt):
        """Take what loading learnt (the state of a saved run, or a fresh fit)."""
        self.learnt = learnt

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

    def input_names(self):
        """What each model input is, for axis labels (a csv's column names), or None."""
        return None

    def prepare_rows(self, rows):
        """Raw feature rows (n, features) -> model inputs, as training prepared them."""
        return np.asarray(rows, dtype=np.float32)

    def prepare_image(self, image, invert="auto", prepare="auto"):
        """A decoded picture (as `read_picture` gives it) -> one flat model input; `prepare`
        (auto, photo, none) says whether to make a photo look like the data set's pictures."""
        raise NotImplementedError(f"{self.name} takes no pictures")

    def read_picture(self, path):
        """A picture file decoded for `prepare_image`: by default 2-D gray, any format."""
        from nnfs_cli.data import photos
        return photos.read_image(path)

    def decode_picture(self, data, where):
        """A picture file's bytes (an upload to `nnfs serve`) decoded as read_picture decodes
        a file, within the same limits; `where` names it in a message."""
        from nnfs_cli.data import photos
        from nnfs_cli.data.image_limits import check_encoded
        return photos.decode_image(check_encoded(data, where), where)

    def read_rows(self, path, n_inputs):
        """A .npy or .csv file of rows -> Rows of model inputs, as training prepared them."""
        from nnfs_cli.data.rows import read_numbered_rows
        rows = read_numbered_rows(path, n_inputs)
        rows.x = self.prepare_rows(rows.x)
        return rows

    def output_postprocessing(self):
        """How a regression's outputs map back to the data's targets, as an
        OutputPostprocessing, or None when training used the targets as they are. `nnfs
        predict`, `evaluate` and `export` apply it. Called after `load` or `load_state_dict`."""
        return None

    def restore_targets(self, values):
        """Model outputs of a regression -> values on the scale of the data's targets."""
        steps = self.output_postprocessing()
        return values if steps is None else steps.apply(values)


def make_splits(x, y, x_test=None, y_test=None, seed=0, validation="split",
                validation_split=0.1, limit=None, stratify=True, wrap=None, noun="samples",
                x_val=None, y_val=None):
    """Splits from training (and test) arrays: both shuffled with a Generator seeded by `seed`,
    then a seeded validation part held out of the training samples (stratified by class when
    `stratify`), the test samples used for validation (`validation: test`), or validation
    arrays of their own (`validation: folder`: x_val, y_val, shuffled too); each split
    capped at `limit` samples. `wrap` turns each x into what the model reads (once per array);
    `noun` names the samples in messages ("images", "rows").

    Raises ConfigError (data.validation, data.validation_split) when a split would be empty.
    """
    from nnfs_cli.errors import ConfigError
    if validation == "test" and x_test is None:
        raise ConfigError(["data.validation: 'test' needs a test split, and this data has none; "
                           "use validation: split"])
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    if x_test is not None:
        # Test files are often sorted by class: shuffle them too, so a `limit` keeps every class.
        test_order = rng.permutation(len(x_test))
        x_test, y_test = x_test[test_order], y_test[test_order]
    if validation == "folder":
        val_order = rng.permutation(len(x_val))
        x_val, y_val = x_val[val_order], y_val[val_order]
    elif validation == "test":
        x_val, y_val = x_test, y_test
    else:
        val = (stratified_indices(y, validation_split, rng) if stratify else
               np.sort(rng.choice(len(y), size=int(round(len(y) * validation_split)),
                                  replace=False)))
        keep = np.ones(len(y), dtype=bool)
        keep[val] = False
        if len(val) in (0, len(y)):
            side = "validation" if len(val) == 0 else "training"
            raise ConfigError([f"data.validation_split: {validation_split:g} of {len(y):,} "
                               f"training {noun} leaves no {side} {noun}"])
        x_val, y_val, x, y = x[val], y[val], x[keep], y[keep]
    if limit:
        x, y = x[:limit], y[:limit]
        if x_test is not None:
            x_test, y_test = x_test[:limit], y_test[:limit]
        x_val, y_val = (x_test, y_test) if validation == "test" else (x_val[:limit], y_val[:limit])
    wrap = wrap or (lambda array: array)
    x_test = None if x_test is None else wrap(x_test)
    x_val = x_test if validation == "test" else wrap(x_val)
    return Splits(wrap(x), y, x_val, y_val, x_test, y_test)


def stratified_indices(labels, fraction, rng):
    """Indices of a seeded `fraction` of each class, sorted: each class's share rounded, as
    nnfs has always split; when those roundings miss the requested total (round(N *
    fraction)) by more than half of it (many small classes: 5,000 classes of 2 samples at
    0.1 round to none), that total is shared out by largest remainder instead."""
    _, inverse, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    shares = sizes * fraction
    counts = np.array([int(round(share)) for share in shares], dtype=np.int64)
    wanted = int(round(len(labels) * fraction))
    if abs(int(counts.sum()) - wanted) > wanted / 2:
        counts = np.floor(shares).astype(np.int64)
        extra = wanted - int(counts.sum())   # to the classes whose shares lost the most
        counts[np.argsort(counts - shares, kind="stable")[:extra]] += 1
    members = np.split(np.argsort(inverse.reshape(-1), kind="stable"), np.cumsum(sizes)[:-1])
    picked = [rng.choice(indices, size=count, replace=False)
              for indices, count in zip(members, counts)]
    return np.sort(np.concatenate(picked)) if picked else np.array([], dtype=np.intp)
