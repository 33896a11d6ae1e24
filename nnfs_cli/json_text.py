"""JSON as every file and output of nnfs writes it: never NaN or Infinity, which Python's
json module writes by default but are not JSON (most parsers refuse them). A value that is
not finite (a loss that overflowed, a confidence of NaN) becomes null."""

import json
import math


def dumps(value, **options):
    """json.dumps of `value` with every non-finite float made null."""
    try:
        return json.dumps(value, allow_nan=False, **options)
    except ValueError:   # a NaN or an infinity somewhere: only then walk the whole value
        return json.dumps(finite(value), allow_nan=False, **options)


def finite(value):
    """`value` with NaN and infinite floats (in dicts, lists and tuples) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value
