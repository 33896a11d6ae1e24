"""nnfs: train the networks of "Neural Networks from Scratch in Python" from YAML configs.

Importing the package registers every component (layers, losses, optimizers, data sets...).
"""

__version__ = "0.1.0"

from nnfs_cli import limits  # noqa: E402

# Before anything imports OpenCV, which reads its pixel limit once, when it loads.
limits.configure_opencv()

from nnfs_cli import core, data  # noqa: E402,F401
