"""YAML config -> validated, fully resolved config dict (loading.py reads, schema.py checks)."""

from nnfs_cli.config.loading import load, parse_yaml  # noqa: F401
from nnfs_cli.config.schema import model_problems, resolve, task_problems  # noqa: F401
