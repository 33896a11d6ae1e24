"""The optimizers a Sequential compiles with: the classes behind the config's names."""

from nnfs_cli.core.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop  # noqa: F401

__all__ = ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]
