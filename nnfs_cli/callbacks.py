"""Callbacks for nnfs_cli.train, resume and Sequential.fit: subclass Callback, or use
EarlyStopping and ModelCheckpoint (training/callbacks.py explains what the loop calls)."""

from nnfs_cli.training.callbacks import Callback, EarlyStopping, ModelCheckpoint  # noqa: F401

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint"]
