"""The APIs that differ between the oldest and newest dependencies pyproject.toml admits.

CI tests both ends (ci/oldest.txt pins the floors), so a call that changed between them
lives here, once, with both spellings; tests/test_compat.py checks each under whatever
is installed. Checked and stable over the whole range, so not here: matplotlib's
`Figure(layout="constrained")` with the Agg canvas (3.5+), `np.random.Generator`,
`SeedSequence.spawn` and `bit_generator.state` (1.17+), `np.savez`/`np.load`.
"""

import contextlib
import importlib
import inspect
import os
import sys
import threading

import numpy as np

def numpy_pickle_globals():
    """{(module, name): callable} for what pickles of NumPy arrays, scalars and dtypes call
    beyond numpy.ndarray and numpy.dtype, from NumPy 1.x and 2.x files alike.

    NumPy 2 renamed numpy.core to numpy._core and a pickle names the one that wrote it, so
    both spellings map to this NumPy's functions. Chosen by version, not by whether
    `np._core` exists: NumPy 1.26 has a stub of that name (opencv-python 4.11 imports it)
    whose `multiarray` is missing until imported.
    """
    core = "numpy._core" if int(np.__version__.split(".")[0]) >= 2 else "numpy.core"
    multiarray = importlib.import_module(f"{core}.multiarray")
    numeric = importlib.import_module(f"{core}.numeric")
    table = {}
    for package in ("numpy.core", "numpy._core"):
        table[(f"{package}.multiarray", "_reconstruct")] = multiarray._reconstruct
        table[(f"{package}.multiarray", "scalar")] = multiarray.scalar
        table[(f"{package}.numeric", "_frombuffer")] = numeric._frombuffer  # protocol 5
    # The dtype classes (numpy.dtypes.Float32DType...), new in NumPy 1.25.
    try:
        from numpy import dtypes
    except ImportError:
        dtypes = None
    for name, cls in vars(dtypes).items() if dtypes else ():
        if name.endswith("DType") and isinstance(cls, type) and issubclass(cls, np.dtype):
            table[("numpy.dtypes", name)] = cls
    return table


@contextlib.contextmanager
def _stderr_fd_to_devnull():
    """Point file descriptor 2 at /dev/null inside the block (C libraries write there,
    past sys.stderr); a no-op where it cannot be duplicated (closed)."""
    if sys.stderr is not None:
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


_quiet = {"lock": threading.Lock(), "depth": 0, "undo": None}


@contextlib.contextmanager
def quiet_opencv():
    """Keep OpenCV's own complaints about a broken file off stderr inside the block.

    OpenCV 5 sends them through its logger (cv2.utils.logging), which we silence. In
    opencv-python 4.x, which has no such module, libpng prints `libpng error: ...` to file
    descriptor 2 itself, and only redirecting that silences it: keep the block to the
    decode calls, as a write from another thread meanwhile is lost too.

    Threads may overlap their blocks (`nnfs serve` decodes uploads in a pool): the first in
    silences, the last out restores, so no thread restores another's silenced state.
    """
    import cv2

    with _quiet["lock"]:
        if _quiet["depth"] == 0:
            _quiet["undo"] = _silence_opencv(cv2)
        _quiet["depth"] += 1
    try:
        yield
    finally:
        with _quiet["lock"]:
            _quiet["depth"] -= 1
            if _quiet["depth"] == 0:
                _quiet.pop("undo")()
                _quiet["undo"] = None


def _silence_opencv(cv2):
    """Silence OpenCV's complaints now; returns the function that restores them."""
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is None:
        redirect = _stderr_fd_to_devnull()
        redirect.__enter__()
        return lambda: redirect.__exit__(None, None, None)
    level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    return lambda: logging.setLogLevel(level)


def cli_runner(**kwargs):
    """A click.testing.CliRunner whose results keep stdout and stderr apart.

    click 8.2 always does (and dropped `mix_stderr`); 8.1 mixes them unless told not to.
    """
    from click.testing import CliRunner

    if "mix_stderr" in inspect.signature(CliRunner).parameters:
        kwargs.setdefault("mix_stderr", False)
    return CliRunner(**kwargs)
