"""Value checks for config options: each converts a YAML value or raises ValueError(message).

Classes declare them beside their constructor, like scikit-learn's `_parameter_constraints`:
`constraints = {"units": positive_int, "rate": in_range(0, 1)}`.
"""

import math

from nnfs_cli import limits
from nnfs_cli.errors import show  # noqa: F401 (validators.show, for messages elsewhere)
from nnfs_cli.registry import suggestion


class KeyProblem(ValueError):
    """A problem of one key inside a mapping option: the message names `option.key`
    (`data.missing.sex: ...`), not the whole option."""

    def __init__(self, key, message):
        super().__init__(message)
        self.key = key


def mapping_of(check, what):
    """A check of a non-empty mapping {key: value}, each value checked by `check(key, value)`;
    a bad value is a KeyProblem naming its key. `what` describes the mapping for messages."""
    def check_mapping(value):
        if not isinstance(value, dict) or not value:
            raise ValueError(f"expected {what}, got {show(value)}")
        found = {}
        for key, item in value.items():
            try:
                found[str(key)] = check(str(key), item)
            except KeyProblem:
                raise
            except ValueError as error:
                raise KeyProblem(key, str(error)) from None
        return found
    return check_mapping


def _number(value):
    # PyYAML reads `5e-4` (no dot) as a string: accept numeric strings as floats.
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {show(value)}")
    return value


def _finite_float(value):
    try:
        value = float(_number(value))
    except OverflowError:   # an integer beyond any float
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {show(value)}")
    return value


def _integer(value, what):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected {what}, got {show(value)}")
    return value


def number(value):
    """A finite number: integers stay integers, numeric strings (`5e-4`) become floats."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _finite_float(value)


def positive_int(value):
    value = _integer(value, "a positive integer")
    if value < 1:
        raise ValueError(f"expected a positive integer, got {value}")
    return value


def int_up_to(maximum, minimum=1):
    """An integer in [minimum, maximum]: a count that allocates memory (samples, classes)."""
    def check_int(value):
        value = _integer(value, "an integer")
        if not minimum <= value <= maximum:
            raise ValueError(f"expected an integer from {minimum} to {maximum:,}, "
                             f"got {show(value)}")
        return value
    return check_int


seed = int_up_to(limits.SEED_MAX, 0)


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
        raise ValueError(f"expected true or false, got {show(value)}")
    return value


def auto_or_boolean(value):
    if value != "auto" and not isinstance(value, bool):
        raise ValueError(f"expected auto, true or false, got {show(value)}")
    return value


def one_of(*choices):
    def check_choice(value):
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(map(str, choices))}, "
                             f"got {show(value)}" + suggestion(value, choices))
        return value
    return check_choice


def text(value):
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty string, got {show(value)}")
    if len(value) > limits.TEXT_CHARS:
        raise ValueError(f"expected at most {limits.TEXT_CHARS:,} characters, "
                         f"got {len(value):,}")
    return value


def registered(registry):
    """A name registered in `registry`."""
    def check_name(value):
        if value not in registry:
            raise ValueError(registry.unknown(value))
        return value
    return check_name


def list_of(check, what="a list"):
    """A non-empty list whose items each pass `check`."""
    def check_list(value):
        if not isinstance(value, list) or not value:
            raise ValueError(f"expected {what}, got {value!r}")
        items = []
        for index, item in enumerate(value):
            try:
                items.append(check(item))
            except ValueError as error:
                raise ValueError(f"item {index}: {error}") from None
        return items
    return check_list


def image_size(value):
    """[height, width]: two positive integers."""
    what = "two positive integers [height, width]"
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"expected {what}, got {value!r}")
    try:
        return [positive_int(side) for side in value]
    except ValueError:
        raise ValueError(f"expected {what}, got {value!r}") from None


def column(value):
    """A table column: its header name, or its 0-based position."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ValueError(f"expected a column name or a 0-based column number, got {value!r}")
