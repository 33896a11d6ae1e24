"""nnfs: train the networks of "Neural Networks from Scratch in Python" from YAML configs,
from the command line (`nnfs`) or from Python:

    import nnfs_cli
    run = nnfs_cli.train("configs/spiral.yaml", epochs=100)
    run.predict([[0.1, 0.2]])

The public names are listed in `__all__` and imported on first use, so that `nnfs --help`
starts without NumPy; the registries fill themselves with every component (layers, losses,
optimizers, data sets...) when first asked for one (registry.load_components). The book's
own classes are in nnfs_cli.book.
"""

import importlib

__version__ = "0.1.0"

from nnfs_cli import limits  # noqa: E402

# Before anything imports OpenCV, which reads its pixel limit once, when it loads.
limits.configure_opencv()

_PUBLIC = {
    "train": "nnfs_cli.api.runs", "resume": "nnfs_cli.api.runs",
    "load_run": "nnfs_cli.api.runs", "Run": "nnfs_cli.api.runs",
    "Sequential": "nnfs_cli.api.sequential", "History": "nnfs_cli.api.sequential",
    "NnfsError": "nnfs_cli.errors", "ConfigError": "nnfs_cli.errors",
    "BadUsage": "nnfs_cli.errors", "DataError": "nnfs_cli.errors",
    "Callback": "nnfs_cli.training.callbacks", "EarlyStopping": "nnfs_cli.training.callbacks",
    "ModelCheckpoint": "nnfs_cli.training.callbacks",
    "gradcheck": "nnfs_cli.api.tools", "lr_find": "nnfs_cli.api.tools",
}
_MODULES = {"layers": "nnfs_cli.layers", "optimizers": "nnfs_cli.optimizers",
            "callbacks": "nnfs_cli.callbacks", "book": "nnfs_cli.book"}
__all__ = ["__version__", *_PUBLIC, *_MODULES]


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    raise AttributeError(f"module 'nnfs_cli' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
