"""How many threads the matrix products use.

One by default: these networks' matrices are small, and when the other core is busy a second
OpenBLAS thread makes every product wait (2.4-4x slower; bench/README.md). A thread count the
user set in the environment is left alone. With more than one, a model with convolutions
splits each batch over the threads instead (windows.over_batch), each part on one BLAS
thread; an MLP leaves the threads to BLAS.
"""

import contextlib
import functools
import os
from pathlib import Path

BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
DEFAULT_THREADS = None if any(os.environ.get(name) for name in BLAS_ENV) else 1


def blas_threads(count):
    """Limit BLAS to `count` threads for the enclosed work (None: leave it as it is), and
    let the layers that split their batch (convolutions, max pooling, and the dense layers
    of a model with convolutions) use as many threads from now on, each part of a batch
    with one BLAS thread."""
    import numpy  # noqa: F401 (threadpoolctl can only limit a BLAS that is loaded)
    from threadpoolctl import ThreadpoolController, threadpool_limits

    from nnfs_cli.core.layers import windows
    parts = count or 1
    blas = _numpy_blas(ThreadpoolController()) if parts > 1 else []

    @contextlib.contextmanager
    def one_blas_thread():
        # OpenBLAS serialises concurrent threaded products on one lock: parts of a batch
        # that run side by side must each keep to their caller's thread.
        for library in blas:
            library.set_num_threads(1)
        try:
            yield
        finally:
            for library in blas:
                library.set_num_threads(count)

    windows.set_element_threads(parts, one_blas_thread if blas else None)
    return threadpool_limits(limits=count, user_api="blas")


def _numpy_blas(controller):
    """The threadpoolctl controllers of the BLAS NumPy multiplies with (not the one OpenCV
    bundles)."""
    import numpy

    from nnfs_cli.blas import numpy_pools
    libraries = controller.select(user_api="blas").lib_controllers
    ours = {pool["filepath"] for pool in numpy_pools([library.info() for library in libraries],
                                                      Path(numpy.__file__).parent)}
    return [library for library in libraries if library.filepath in ours]


def with_default_threads(command):
    """Run a command's callback within blas_threads(DEFAULT_THREADS). A decorator rather than
    a limit around every command, so that `--help` and `nnfs runs` never import NumPy."""
    @functools.wraps(command)
    def limited(*args, **kwargs):
        with blas_threads(DEFAULT_THREADS):
            return command(*args, **kwargs)
    return limited
