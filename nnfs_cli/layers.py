"""The layers and activations a Sequential stacks: the classes behind the config's names
(`dense` is Dense, `relu` is ReLU...), with the same options."""

from nnfs_cli.core.activations import (ELU, GELU, LeakyReLU, Linear, ReLU, Sigmoid,  # noqa: F401
                                       SiLU, Softmax, Softplus, Tanh)
from nnfs_cli.core.layers import (AvgPool2D, BatchNorm, Conv2D, Dense, Dropout,  # noqa: F401
                                  Flatten, MaxPool2D, RandomFlip, RandomTranslation)
from nnfs_cli.core.layers.pooling import GlobalAvgPool2D, GlobalMaxPool2D  # noqa: F401

__all__ = ["Dense", "Dropout", "Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D",
           "GlobalMaxPool2D", "Flatten", "BatchNorm", "RandomFlip", "RandomTranslation",
           "ReLU", "Softmax", "Sigmoid", "Linear", "Tanh", "LeakyReLU", "ELU", "GELU", "SiLU",
           "Softplus"]
