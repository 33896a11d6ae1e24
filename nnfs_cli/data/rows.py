"""Feature rows from .npy and .csv files, for `nnfs predict` on models that take rows."""

import warnings
from dataclasses import dataclass

import numpy as np

from nnfs_cli import files, limits
from nnfs_cli.data.npy import load_npy
from nnfs_cli.errors import DataError

ROW_SUFFIXES = (".npy", ".csv")


@dataclass
class Rows:
    """Model inputs read from one file, and what `nnfs predict` shows and writes for them."""

    x: np.ndarray             # (rows, inputs) float32
    lines: list = None        # each row's line in the file, for tables with a header
    header: list = None       # the file's columns and its rows as text, for --output
    cells: list = None
    errors: list = None       # "file:line: problem" of each row that could not be read


def read_rows(path, n_inputs):
    """Feature rows from .npy (a 1-D array is one row, or one column for a 1-input model)
    or .csv (comma-separated, an optional header line), checked against `n_inputs`: only
    regular files of at most NNFS_MAX_ROWS_BYTES and NNFS_MAX_ROWS rows, and only finite
    numbers."""
    return read_numbered_rows(path, n_inputs).x


def read_numbered_rows(path, n_inputs, sample_shape=None):
    """read_rows' rows as Rows whose `lines` number them as every message of nnfs does,
    `file:N`: N is the row's line in a .csv file (a header line counts), its place from 1
    in a .npy array. A .npy array of samples of `sample_shape` ((n, 28, 28) pixels, as the
    ONNX export takes them) is taken as rows of their values too."""
    limit = limits.get("rows_bytes")
    if path.suffix.lower() == ".npy":
        x, first = load_npy(path, limit, "rows_bytes"), 1
        if sample_shape is not None:
            x = _flatten_samples(x, tuple(sample_shape))
    else:
        x, first = _load_csv(path, limit)
    x = check_rows(x, n_inputs, path, first=first)
    return Rows(x, list(range(first, first + len(x))))


def _flatten_samples(x, shape):
    if x.ndim in (len(shape), len(shape) + 1) and x.shape[x.ndim - len(shape):] == shape:
        return x.reshape(-1, int(np.prod(shape)))
    return x


def check_rows(x, n_inputs, where, limit_name="rows", first=None):
    """An array of feature rows, however it came (a file, a request to `nnfs serve`), as
    float32 (rows, n_inputs): numbers only, at most the `limit_name` limit of rows, all
    finite; DataError naming `where` otherwise, and the row: `where:N` counting from
    `first` for a file's, by its index from 0 for an array's."""
    if x.dtype.kind not in "fiu":
        raise DataError(f"{where}: expected numbers, got an array of {x.dtype}")
    if x.ndim == 1:
        x = x.reshape(-1, 1) if n_inputs == 1 else x.reshape(1, -1)
    if x.ndim != 2 or len(x) == 0:
        raise DataError(f"{where}: expected rows of features, got an array of shape {x.shape}")
    if len(x) > limits.get(limit_name):
        raise DataError(f"{where}: {len(x):,} rows, more than the limit of "
                        f"{limits.get(limit_name):,} {limits.hint(limit_name)}")
    if x.shape[1] != n_inputs:
        raise DataError(f"{where}: rows have {x.shape[1]} value(s), but the model takes "
                        f"{n_inputs} input(s)")
    x = x.astype(np.float32)
    finite = np.isfinite(x).all(axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        # A file's rows by line (`file:N`); an array's (a request's JSON) by index from 0.
        at = f"{where}: row {row}" if first is None else f"{where}:{first + row}:"
        raise DataError(f"{at} holds {x[row][~np.isfinite(x[row])][0]}, not a finite number")
    return x


def _load_csv(path, limit):
    with files.open_regular(path, limit, "rows_bytes") as f, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty file warns; the row check reports it
        try:
            try:
                return np.loadtxt(f, delimiter=",", ndmin=2, dtype=np.float64), 1
            except ValueError:
                f.seek(0)   # a header line: the rows start on line 2
                return np.loadtxt(f, delimiter=",", ndmin=2, dtype=np.float64, skiprows=1), 2
        except (OSError, ValueError, EOFError) as error:
            raise DataError(f"{path}: not a CSV file of numbers ({_first_line(error)})") from None


def _first_line(error):
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
