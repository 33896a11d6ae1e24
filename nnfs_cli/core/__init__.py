"""The numeric core: NumPy maths, no I/O. Importing it registers every component."""

from nnfs_cli.core import (activations, initializers, layers, losses, metrics,  # noqa: F401
                           optimizers, schedules)
