"""Feature rows from .npy and .csv files, for `nnfs predict` on models that take rows."""

import warnings

import numpy as np

from nnfs_cli.errors import NnfsError

ROW_SUFFIXES = (".npy", ".csv")


def read_rows(path, n_inputs):
    """Feature rows from .npy (a 1-D array is one row, or one column for a 1-input model)
    or .csv (comma-separated, an optional header line), checked against `n_inputs`."""
    try:
        if path.suffix.lower() == ".npy":
            x = np.load(path, allow_pickle=False)
        else:
            x = _load_csv(path)
    except FileNotFoundError:
        raise NnfsError(f"{path}: no such file") from None
    except (OSError, ValueError, EOFError) as error:
        kind = "a .npy array" if path.suffix.lower() == ".npy" else "a CSV file of numbers"
        raise NnfsError(f"{path}: not {kind} ({_first_line(error)})") from None
    if x.dtype.kind not in "fiu":
        raise NnfsError(f"{path}: expected numbers, got an array of {x.dtype}")
    if x.ndim == 1:
        x = x.reshape(-1, 1) if n_inputs == 1 else x.reshape(1, -1)
    if x.ndim != 2 or len(x) == 0:
        raise NnfsError(f"{path}: expected rows of features, got an array of shape {x.shape}")
    if x.shape[1] != n_inputs:
        raise NnfsError(f"{path}: rows have {x.shape[1]} value(s), but the model takes "
                        f"{n_inputs} input(s)")
    return x.astype(np.float32)


def _load_csv(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty file warns; the row check reports it
        try:
            return np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
        except ValueError:
            return np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64, skiprows=1)


def _first_line(error):
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
