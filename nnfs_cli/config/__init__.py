"""YAML config -> validated, fully resolved config dict (loading.py reads, schema.py checks).

The names below are imported on first use: schema.py needs the components (NumPy), and
`nnfs runs` reads run configs with safe_yaml alone."""

import importlib

_NAMES = {"load": "loading", "load_mapping": "loading", "parse_yaml": "loading", "model_problems": "schema",
          "resolve": "schema", "task_problems": "schema"}
__all__ = list(_NAMES)


def __getattr__(name):
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
