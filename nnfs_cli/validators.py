"""Value checks for config options: each converts a YAML value or raises ValueError(message).

Classes declare them beside their constructor, like scikit-learn's `_parameter_constraints`:
`constraints = {"units": positive_int, "rate": in_range(0, 1)}`.
"""

import math


def _number(value):
    # PyYAML reads `5e-4` (no dot) as a string: accept numeric strings as floats.
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {value!r}")
    return value


def _finite_float(value):
    value = float(_number(value))
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    return value


def _integer(value, what):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected {what}, got {value!r}")
    return value


def positive_int(value):
    value = _integer(value, "a positive integer")
    if value < 1:
        raise ValueError(f"expected a positive integer, got {value}")
    return value


def size_2d(value):
    """A positive integer (the same along height and width) or [height, width]."""
    if isinstance(value, (list, tuple)):
        try:
            if len(value) == 2:
                return [positive_int(value[0]), positive_int(value[1])]
        except ValueError:
            pass
        raise ValueError(f"expected a positive integer or [height, width] of positive integers, "
                         f"got {list(value)!r}")
    return positive_int(value)


def non_negative_int(value):
    value = _integer(value, "a non-negative integer")
    if value < 0:
        raise ValueError(f"expected a non-negative integer, got {value}")
    return value


def optional(check):
    """`check`, or None (YAML `null`) for 'not set'."""
    def check_optional(value):
        return None if value is None else check(value)
    check_optional.__doc__ = check.__doc__
    return check_optional


def non_negative(value):
    value = _finite_float(value)
    if value < 0:
        raise ValueError(f"expected a number >= 0, got {value:g}")
    return value


def positive(value):
    value = _finite_float(value)
    if value <= 0:
        raise ValueError(f"expected a number > 0, got {value:g}")
    return value


def in_range(low, high, high_inclusive=False):
    """A float in [low, high) (or [low, high] when `high_inclusive`)."""
    closing = "]" if high_inclusive else ")"

    def check_range(value):
        value = _finite_float(value)
        above = value > high if high_inclusive else value >= high
        if value < low or above:
            raise ValueError(f"must be in [{low:g}, {high:g}{closing}, got {value:g}")
        return value
    return check_range


def open_fraction(value):
    """A float strictly between 0 and 1."""
    value = _finite_float(value)
    if not 0 < value < 1:
        raise ValueError(f"must be in (0, 1), got {value:g}")
    return value


def boolean(value):
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def one_of(*choices):
    def check_choice(value):
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(map(str, choices))}, got {value!r}")
        return value
    return check_choice


def text(value):
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def registered(registry):
    """A name registered in `registry`."""
    def check_name(value):
        if value not in registry:
            raise ValueError(registry.unknown(value))
        return value
    return check_name
