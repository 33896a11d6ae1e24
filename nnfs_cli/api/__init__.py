"""The Python API's front door: runs (train, resume, load_run, Run) and the Keras-like
Sequential. The commands of the CLI are thin doors onto these same functions."""

from nnfs_cli.api.runs import Run, load_run, resume, train  # noqa: F401
from nnfs_cli.api.sequential import History, Sequential  # noqa: F401
