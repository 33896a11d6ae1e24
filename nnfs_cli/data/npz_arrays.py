"""The `npz` data set: arrays saved with `np.savez`: samples `x` and targets `y`, plus `x_test`
and `y_test` when the file has them (the key names are options). The arrays are used as they
are, as float32: scale them before saving. Labels (whole numbers or text) make classes."""

import math
from pathlib import Path

import numpy as np

from nnfs_cli import files, limits, validators
from nnfs_cli.data.dataset import Dataset, InputPreprocessing, make_splits
from nnfs_cli.data.npy import Npz, load_npy
from nnfs_cli.data.rows import Rows, read_numbered_rows
from nnfs_cli.data.tables import is_integral, number_name
from nnfs_cli.errors import ConfigError, DataError, show
from nnfs_cli.registry import DATASETS

AUTO_CLASSES = 20   # task: auto takes float targets of at most this many whole numbers for classes
SAMPLE_KINDS = "fiub"      # floats, integers, booleans: not complex, dates, structures
TARGET_KINDS = "fiubUS"    # and text labels
FLOAT32_MAX = float(np.finfo(np.float32).max)


@DATASETS.register("npz")
class NpzArrays(Dataset):
    """x: (N, features), (N, height, width) or (N, channels, height, width); y: (N,) labels,
    or (N,) / (N, targets) values for regression."""

    task = None
    predict_inputs = ("rows",)
    path_options = ("path",)
    test_split = None   # arrays x_test and y_test in the file make one
    constraints = {
        "path": validators.text,
        "x": validators.text, "y": validators.text,
        "x_test": validators.text, "y_test": validators.text,
        "task": validators.one_of("auto", "classification", "regression"),
        "class_names": validators.optional(validators.list_of(validators.text, "a list of names")),
        "validation_split": validators.open_fraction,
        "validation": validators.one_of("split", "test"),
        "limit": validators.optional(validators.positive_int),
    }

    def __init__(self, path, x="x", y="y", x_test="x_test", y_test="y_test", task="auto",
                 class_names=None, validation_split=0.1, validation="split", limit=None):
        self.path, self.keys = path, {"x": x, "y": y, "x_test": x_test, "y_test": y_test}
        self.task = None if task == "auto" else task
        self.task_found = task == "auto"
        self.names = class_names
        self.validation_split, self.validation, self.limit = validation_split, validation, limit
        self.learnt = None

    def load(self, seed, reporter=None):
        arrays = self.read_arrays()
        x, y = arrays["x"], arrays["y"]
        for key in ("", "_test"):
            if f"x{key}" in arrays and len(arrays[f"y{key}"]) != len(arrays[f"x{key}"]):
                raise DataError(f"{self.path}: {self.keys['y' + key]} has "
                                f"{len(arrays['y' + key])} rows, but there are "
                                f"{len(arrays['x' + key])} samples")
        if self.learnt is None:
            self._adopt(self._learn(x, y))
        x, y = self._samples(x, "x"), self._targets(y, "y")
        x_test = y_test = None
        if "x_test" in arrays:
            x_test = self._samples(arrays["x_test"], "x_test")
            y_test = self._targets(arrays["y_test"], "y_test")
        what = (f"{self.classes} classes ({', '.join(self.class_names[:10])}"
                f"{', ...' if self.classes > 10 else ''})"
                if self.task == "classification" else f"{self.target_width} value(s)")
        test = f" and {len(x_test)} test samples" if x_test is not None else ""
        shape = tuple(self.learnt["shape"])
        self.notes = [f"{self.path}: {len(x)} samples of shape {shape}{test}; {self.task}, {what}"]
        return make_splits(x, y, x_test, y_test, seed, self.validation, self.validation_split,
                           self.limit, stratify=self.task == "classification")

    def read_arrays(self):
        """{x, y[, x_test, y_test]: array}, read from the file."""
        return _read_npz(Path(self.path), self.keys)

    def _learn(self, x, y):
        """Sample shape, task and classes from the training arrays."""
        shape = list(x.shape[1:]) or [1]
        task = self.task or _auto_task(y)
        learnt = {"shape": shape, "task": task}
        if task == "regression":
            if y.dtype.kind not in "fiub":
                raise DataError(f"{self.path}: {self.keys['y']} holds {y.dtype} values; a "
                                "regression needs numbers")
            learnt["target_width"] = 1 if y.ndim == 1 else int(np.prod(y.shape[1:]))
            return learnt
        labels = _labels(y, self.path, self.keys["y"])
        values = np.unique(labels)
        if len(values) < 2:
            raise DataError(f"{self.path}: {self.keys['y']} holds one class only "
                            f"({show(values[0].item())}); a classifier needs at least 2 classes")
        text = values.dtype.kind in "US"
        learnt["class_values"] = (values.tolist() if text or values.dtype.kind in "iu"
                                  else [float(v) for v in values])
        names = [str(v) for v in values] if text else [number_name(v) for v in values]
        if self.names is not None:
            if len(self.names) != len(values):
                raise ConfigError([f"data.class_names: {len(self.names)} names for the "
                                   f"{len(values)} classes in {self.path} "
                                   f"({', '.join(names[:20])})"])
            names = list(self.names)
        learnt["class_names"] = names
        return learnt

    def _adopt(self, learnt):
        self.learnt = learnt
        self.task = learnt["task"]
        shape = tuple(learnt["shape"])
        self.input_shape = (int(np.prod(shape)),)
        self.image_shape = ((1, *shape) if len(shape) == 2 else shape if len(shape) == 3
                            else None)
        if self.task == "classification":
            self.class_names = list(learnt["class_names"])
            self.classes = len(self.class_names)
        else:
            self.target_width = learnt["target_width"]

    def _samples(self, x, key):
        """x as float32 rows of `input_shape`, checked against the training samples' shape."""
        shape = tuple(self.learnt["shape"])
        found = x.shape[1:] or (1,)
        if tuple(found) != shape:
            raise DataError(f"{self.path}: {self.keys[key]} holds samples of shape "
                            f"{tuple(found)}, but the training samples have shape {shape}")
        return _float32(x.reshape(len(x), -1), self.path, self.keys[key])

    def _targets(self, y, key):
        name = self.keys[key]
        if self.task == "regression":
            return _float32(y.reshape(len(y), -1), self.path, name)
        labels = _labels(y, self.path, name)
        known = np.array(self.learnt["class_values"])
        index = np.clip(np.searchsorted(known, labels), 0, len(known) - 1)
        unknown = np.flatnonzero(known[index] != labels)
        if len(unknown):
            value = labels[unknown[0]].item()   # 7.0, not NumPy's repr np.float64(7.0)
            raise DataError(f"{self.path}: {name}[{unknown[0]}] is {value!r}, not "
                            f"one of the classes of {self.keys['y']} "
                            f"({', '.join(self.learnt['class_names'][:20])})")
        return index.astype(np.int64)

    def input_preprocessing(self):
        """None for flat samples (the model takes them as they are); for samples with more
        axes, the identity on their own shape, so an exported model takes them unflattened."""
        shape = tuple(self.learnt["shape"])
        if len(shape) < 2:
            return None
        return InputPreprocessing(raw_shape=shape, layout=f"samples of shape {shape} as the "
                                  "npz file's x holds them, used as they are")

    def read_rows(self, path, n_inputs):
        """A .npy of samples shaped like the training ones (one sample, or many along the
        first axis), or rows of `n_inputs` values from .npy or .csv."""
        path = Path(path)
        if path.suffix.lower() != ".npy":
            return read_numbered_rows(path, n_inputs)
        shape = tuple(self.learnt["shape"])
        x = load_npy(path, limits.get("rows_bytes"), "rows_bytes")
        if x.dtype.kind not in "fiub":
            raise DataError(f"{path}: expected numbers, got an array of {x.dtype}")
        if x.shape in (shape, (n_inputs,)):
            x = x.reshape(1, -1)
        elif x.shape[1:] in (shape, (n_inputs,)):
            x = x.reshape(len(x), -1)
        else:
            raise DataError(f"{path}: an array of shape {x.shape}, but the model takes samples "
                            f"of shape {shape} (one, or many along a first axis)")
        if len(x) > limits.get("rows"):
            raise DataError(f"{path}: {len(x):,} samples, more than the limit of "
                            f"{limits.get('rows'):,} {limits.hint('rows')}")
        return Rows(_float32(x, path, "the array"), list(range(1, len(x) + 1)))


def _read_npz(path, keys):
    """{x, y[, x_test, y_test]: array} from the .npz at `path`, by the configured key names;
    each array's header is checked against its bytes before it is read (npy.py)."""
    with files.open_regular(path) as f:
        if f.read(6) == b"\x93NUMPY":
            raise DataError(f"{path}: a single .npy array; expected a .npz file of named "
                            "arrays (np.savez(path, x=..., y=...))")
    with Npz(path) as archive:
        names = archive.names()
        for option in ("x", "y"):
            if keys[option] not in names:
                raise ConfigError([f"data.{option}: no array {keys[option]!r} in {path}; "
                                   f"it holds {', '.join(names) or 'no arrays'}"])
        has_test = [keys[option] in names for option in ("x_test", "y_test")]
        if any(has_test) and not all(has_test):
            there, missing = ((keys["x_test"], keys["y_test"]) if has_test[0]
                              else (keys["y_test"], keys["x_test"]))
            raise DataError(f"{path}: holds {there!r} but no {missing!r}; a test split "
                            "needs both")
        wanted = ["x", "y"] + (["x_test", "y_test"] if all(has_test) else [])
        arrays = {option: archive.read(keys[option]) for option in wanted}
    for option, array in arrays.items():
        key = keys[option]
        kinds = SAMPLE_KINDS if option.startswith("x") else TARGET_KINDS
        if array.dtype.kind not in kinds:
            what = "samples must be numbers" if option.startswith("x") else \
                "targets must be numbers or text labels"
            raise DataError(f"{path}: {key} holds {_dtype_name(array.dtype)} values; {what}")
        if array.ndim == 0:
            raise DataError(f"{path}: {key} is a single value (a 0-d array); expected one "
                            "row per sample along its first axis")
    x = arrays["x"]
    if len(x) == 0:
        raise DataError(f"{path}: {keys['x']} holds no samples")
    if math.prod(x.shape[1:]) == 0:
        raise DataError(f"{path}: {keys['x']} has shape {x.shape}: its samples hold no values")
    return arrays


def _dtype_name(dtype):
    return "structured" if dtype.names else str(dtype)


def _auto_task(y):
    if y.ndim > 1 and np.prod(y.shape[1:]) > 1:
        return "regression"
    if y.dtype.kind in "USbiu":
        return "classification"
    values = np.unique(y)
    values = values[np.isfinite(values)]
    return "classification" if is_integral(values) and len(values) <= AUTO_CLASSES else "regression"


def _labels(y, path, key):
    """Class labels as a 1-D array of whole numbers or text; NnfsError otherwise."""
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(f"{path}: {key} has shape {y.shape}; class labels must be one per "
                        "sample, shape (N,)")
    if y.dtype.kind in "US":
        return y.astype(str)
    if y.dtype.kind == "f":
        _check_finite(y, path, key)
        if not is_integral(y):
            bad = np.flatnonzero(np.floor(y) != y)[0]
            raise DataError(f"{path}: {key}[{bad}] is {y[bad]}; class labels must be whole "
                            "numbers or text")
        return y.astype(np.float64)
    # Whole numbers stay whole: 2**53 and 2**53 + 1 are one float64, but two classes.
    return y.astype(np.int64) if y.dtype.kind == "b" else y


def _check_finite(array, path, key):
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array)
        if bad.any():
            where = ", ".join(map(str, np.argwhere(bad)[0]))
            raise DataError(f"{path}: {key}[{where}] is {array[bad][0]}; expected finite numbers")


def _float32(array, path, key):
    """`array` as float32, the precision the model computes in: NnfsError naming the first
    value that is not finite, or that float32 cannot hold (1e39 would become infinity)."""
    _check_finite(array, path, key)
    with np.errstate(over="ignore"):   # said below, with the value's place
        values = array.astype(np.float32)
    bad = ~np.isfinite(values)
    if bad.any():
        where = tuple(np.argwhere(bad)[0])
        raise DataError(f"{path}: {key}[{', '.join(map(str, where))}] is "
                        f"{float(array[where]):g}, beyond the range of float32 (up to "
                        f"{FLOAT32_MAX:.1e} in size), in which the model computes; scale the "
                        "data before saving it")
    return values
