"""Layers with parameters or training-time behaviour, one module per family."""

from nnfs_cli.core.layers import (augmentation, conv, dense, dropout, normalization,  # noqa: F401
                                  pooling, reshape)
from nnfs_cli.core.layers.augmentation import RandomFlip, RandomTranslation  # noqa: F401
from nnfs_cli.core.layers.base import Layer, ShapeError, flat_width  # noqa: F401
from nnfs_cli.core.layers.conv import Conv2D  # noqa: F401,E402
from nnfs_cli.core.layers.dense import Dense  # noqa: F401,E402
from nnfs_cli.core.layers.dropout import Dropout  # noqa: F401,E402
from nnfs_cli.core.layers.normalization import BatchNorm  # noqa: F401,E402
from nnfs_cli.core.layers.pooling import (AvgPool2D, GlobalAvgPool2D,  # noqa: F401,E402
                                          GlobalMaxPool2D, MaxPool2D)
from nnfs_cli.core.layers.reshape import Flatten  # noqa: F401,E402
