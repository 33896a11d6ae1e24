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
    limit = limits.get("rows_bytes")
    if path.suffix.lower() == ".npy":
        x = load_npy(path, limit, "rows_bytes")
    else:
        x = _load_csv(path, limit)
    if x.dtype.kind not in "fiu":
        raise DataError(f"{path}: expected numbers, got an array of {x.dtype}")
    if x.ndim == 1:
        x = x.reshape(-1, 1) if n_inputs == 1 else x.reshape(1, -1)
    if x.ndim != 2 or len(x) == 0:
        raise DataError(f"{path}: expected rows of features, got an array of shape {x.shape}")
    if len(x) > limits.get("rows"):
        raise DataError(f"{path}: {len(x):,} rows, more than the limit of "
                        f"{limits.get('rows'):,} {limits.hint('rows')}")
    if x.shape[1] != n_inputs:
        raise DataError(f"{path}: rows have {x.shape[1]} value(s), but the model takes "
                        f"{n_inputs} input(s)")
    x = x.astype(np.float32)
    finite = np.isfinite(x).all(axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        raise DataError(f"{path}: row {row + 1} holds {x[row][~np.isfinite(x[row])][0]}, "
                        "not a finite number")
    return x


def _load_csv(path, limit):
    with files.open_regular(path, limit, "rows_bytes") as f, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty file warns; the row check reports it
        try:
            try:
                return np.loadtxt(f, delimiter=",", ndmin=2, dtype=np.float64)
            except ValueError:
                f.seek(0)
                return np.loadtxt(f, delimiter=",", ndmin=2, dtype=np.float64, skiprows=1)
        except (OSError, ValueError, EOFError) as error:
            raise DataError(f"{path}: not a CSV file of numbers ({_first_line(error)})") from None


def _first_line(error):
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
