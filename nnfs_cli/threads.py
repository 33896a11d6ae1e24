"""How many BLAS threads the matrix products use.

One by default: these networks' matrices are small, and when the other core is busy a second
OpenBLAS thread makes every product wait (2.4-4x slower; bench/README.md). A thread count the
user set in the environment is left alone.
"""

import functools
import os

BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
DEFAULT_THREADS = None if any(os.environ.get(name) for name in BLAS_ENV) else 1


def blas_threads(count):
    """Limit BLAS to `count` threads for the enclosed work (None: leave it as it is), and
    let element-wise work over the batch (pooling) use as many threads from now on."""
    import numpy  # noqa: F401 (threadpoolctl can only limit a BLAS that is loaded)
    from threadpoolctl import threadpool_limits

    from nnfs_cli.core.layers import windows
    windows.set_element_threads(count or 1)
    return threadpool_limits(limits=count, user_api="blas")


def with_default_threads(command):
    """Run a command's callback within blas_threads(DEFAULT_THREADS). A decorator rather than
    a limit around every command, so that `--help` and `nnfs runs` never import NumPy."""
    @functools.wraps(command)
    def limited(*args, **kwargs):
        with blas_threads(DEFAULT_THREADS):
            return command(*args, **kwargs)
    return limited
