"""The `parameters:` of a sweep file: each key path with its range or values, checked on its
own and then tried on the base config, so a path that does not exist or a value the config
refuses is caught before any trial starts."""

import copy
import re
from dataclasses import dataclass

from nnfs_cli import validators
from nnfs_cli.config import resolve
from nnfs_cli.config.overrides import set_path
from nnfs_cli.errors import ConfigError, show
from nnfs_cli.registry import suggestion

PARAMETER_KEYS = ("low", "high", "log", "values")
MAX_VALUES = 1000   # values of one parameter: each is tried on the base config (1 ms or so)
# PyYAML reads `1e-4` (an exponent, no dot) as a string.
_NUMERIC_TEXT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


@dataclass
class Parameter:
    """One swept key path: a list of `values`, or a range from `low` to `high` (spaced
    evenly in log when `log`; integers when both ends are)."""

    key: str
    values: list = None
    low: float = None
    high: float = None
    log: bool = False

    @property
    def integer(self):
        return self.values is None and all(isinstance(end, int) for end in (self.low, self.high))

    def grid_size(self):
        """How many values grid search tries."""
        return len(self.values) if self.values is not None else self.high - self.low + 1

    def grid_value(self, index):
        """The `index`-th value grid search tries (an integer range is never listed)."""
        return self.values[index] if self.values is not None else self.low + index

    def edges(self):
        """(label, value) pairs that stand for the whole parameter when it is checked."""
        if self.values is not None:
            return [(f"values[{index}]", value) for index, value in enumerate(self.values)]
        return [("low", self.low), ("high", self.high)]


def check(path, value, validator, problems):
    """`validator(value)`, or None with the problem added to `problems` under `path`."""
    try:
        return validator(value)
    except ValueError as error:
        problems.append(f"{path}: {error}")
        return None


def parse(section, method, problems):
    """The Parameters of the `parameters:` mapping; problems go to `problems`."""
    if not isinstance(section, dict) or not section:
        problems.append(f"parameters: expected a mapping of key paths to ranges or values, "
                        f"got {section!r}")
        return []
    parameters = []
    for key, spec in section.items():
        parameter = _parameter(f"parameters.{key}", str(key), spec, method, problems)
        if parameter is not None:
            parameters.append(parameter)
    return parameters


def _parameter(path, key, spec, method, problems):
    if not isinstance(spec, dict):
        problems.append(f"{path}: expected {{low: ..., high: ...}} or {{values: [...]}}, "
                        f"got {spec!r}")
        return None
    unknown = [name for name in spec if name not in PARAMETER_KEYS]
    for name in unknown:
        problems.append(f"{path}.{name}: unknown key {name!r}; choose from "
                        f"{', '.join(PARAMETER_KEYS)}" + suggestion(name, PARAMETER_KEYS))
    if unknown:
        return None
    if "values" in spec:
        if any(name in spec for name in ("low", "high", "log")):
            problems.append(f"{path}: give either values or low and high, not both")
            return None
        values = _values(path, spec["values"], problems)
        return None if values is None else Parameter(key, values=values)
    missing = [name for name in ("low", "high") if name not in spec]
    if missing:
        problems.append(f"{path}: expected {{low: ..., high: ...}} or {{values: [...]}}; "
                        f"missing {' and '.join(missing)}")
        return None
    before = len(problems)
    low = check(f"{path}.low", spec["low"], validators.number, problems)
    high = check(f"{path}.high", spec["high"], validators.number, problems)
    log = check(f"{path}.log", spec.get("log", False), validators.boolean, problems)
    if len(problems) > before:
        return None
    if low > high:
        problems.append(f"{path}: low {low:g} is greater than high {high:g}")
    elif log and low <= 0:
        problems.append(f"{path}.low: a log range needs low > 0, got {low:g}")
    parameter = Parameter(key, low=low, high=high, log=log)
    if method == "grid" and not parameter.integer:
        problems.append(f"{path}: grid search needs a list of values (or an integer range), "
                        f"not the range {low:g} to {high:g}")
    return None if len(problems) > before else parameter


def _values(path, values, problems):
    if not isinstance(values, list) or not values:
        problems.append(f"{path}.values: expected a non-empty list, got {show(values)}")
        return None
    if len(values) > MAX_VALUES:   # each is tried on the base config
        problems.append(f"{path}.values: {len(values):,} values, more than the limit of "
                        f"{MAX_VALUES:,}; for many numbers use a range {{low: ..., high: ...}}")
        return None
    result, seen = [], set()
    for index, value in enumerate(values):
        if isinstance(value, str) and _NUMERIC_TEXT.fullmatch(value):
            value = float(value)
        if value is not None and not isinstance(value, (bool, int, float, str)):
            problems.append(f"{path}.values[{index}]: expected a number, a string, true, false "
                            f"or null, got {value!r}")
            return None
        if (type(value), value) in seen:   # 1 and 1.0, or true and 1, are not the same
            problems.append(f"{path}.values[{index}]: {value!r} is listed twice")
            return None
        seen.add((type(value), value))
        result.append(value)
    return result


def try_on_base(parameter, base, problems):
    """Set each edge of `parameter` alone in the base config and resolve it: an unknown key
    path or an out-of-range value is caught here, before any trial."""
    path = f"parameters.{parameter.key}"
    failures = []
    for label, value in parameter.edges():
        raw = copy.deepcopy(base)
        try:
            set_path(raw, parameter.key, value)
            resolve(raw)
        except ValueError as error:
            failures.append((label, [str(error)]))
        except ConfigError as error:
            failures.append((label, error.problems))
    if not failures:
        return
    own = f"{parameter.key}: "   # the config's key path is the parameter's: say it once
    failures = [(label, [p[len(own):] if p.startswith(own) else p for p in found])
                for label, found in failures]
    if len(failures) == len(parameter.edges()) and all(f[1] == failures[0][1] for f in failures):
        problems.extend(f"{path}: {problem}" for problem in failures[0][1])   # the key path itself
    else:
        problems.extend(f"{path}.{label}: {problem}" for label, found in failures for problem in found)
