"""Layers with parameters or training-time behaviour, one module per family."""

from nnfs_cli.core.layers import dense, dropout  # noqa: F401 (registers them)
from nnfs_cli.core.layers.base import Layer, ShapeError, flat_width  # noqa: F401
from nnfs_cli.core.layers.dense import Dense  # noqa: F401,E402
from nnfs_cli.core.layers.dropout import Dropout  # noqa: F401,E402
