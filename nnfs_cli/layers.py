"""The layers and activations a Sequential stacks: the classes behind the config's names
(`dense` is Dense, `relu` is ReLU...), with the same options."""

from nnfs_cli.core.activations import Linear, ReLU, Sigmoid, Softmax  # noqa: F401
from nnfs_cli.core.layers import (AvgPool2D, BatchNorm, Conv2D, Dense, Dropout,  # noqa: F401
                                  Flatten, MaxPool2D, RandomFlip, RandomTranslation)

__all__ = ["Dense", "Dropout", "Conv2D", "MaxPool2D", "AvgPool2D", "Flatten", "BatchNorm",
           "RandomFlip", "RandomTranslation", "ReLU", "Softmax", "Sigmoid", "Linear"]
