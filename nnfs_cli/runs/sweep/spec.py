"""A sweep file -> a checked Sweep: the base config, the metric and its direction, the search
method and the parameter ranges. Problems are gathered with their key paths, like a training
config's, and every parameter is tried on the base config before any trial starts."""

import copy
import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path

from nnfs_cli import validators
from nnfs_cli.config import parse_yaml, resolve
from nnfs_cli.config.overrides import set_path
from nnfs_cli.errors import ConfigError
from nnfs_cli.registry import DATASETS, parse_entry, suggestion

TOP_LEVEL = ("base", "metric", "goal", "method", "trials", "seed", "pruner", "parameters")
METRICS = ("val_loss", "val_accuracy", "loss", "accuracy", "test_loss", "test_accuracy")
GOALS = ("minimize", "maximize")
METHODS = ("tpe", "random", "grid")
PRUNERS = {"median": {"startup_trials": 5, "warmup_epochs": 0}, "none": {}}
PARAMETER_KEYS = ("low", "high", "log", "values")
DEFAULT_TRIALS = 20
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

    def grid(self):
        """Every value grid search tries."""
        return list(self.values) if self.values is not None else list(range(self.low, self.high + 1))

    def edges(self):
        """(label, value) pairs that stand for the whole parameter when it is checked."""
        if self.values is not None:
            return [(f"values[{index}]", value) for index, value in enumerate(self.values)]
        return [("low", self.low), ("high", self.high)]


@dataclass
class Sweep:
    """A checked sweep file. `base` is the resolved base config."""

    path: Path
    base_path: Path
    base: dict
    metric: str
    goal: str
    method: str
    trials: int
    seed: int
    pruner: dict
    parameters: list

    @property
    def epoch_metric(self):
        """The metrics.csv column reported to the pruner each epoch (test metrics exist only
        at the end, so their validation twin stands in)."""
        return self.metric.replace("test_", "val_")

    def config(self, params, source=None):
        """The resolved config of the base with `params` ({key path: value}) applied."""
        raw = copy.deepcopy(self.base)
        try:
            for key, value in params.items():
                set_path(raw, key, value)
        except ValueError as error:
            raise ConfigError([f"{key}: {error}"], source) from None
        return resolve(raw, source)

    def grid_points(self):
        """Every combination of the parameters' grid values, in the file's order."""
        keys = [parameter.key for parameter in self.parameters]
        return [dict(zip(keys, values))
                for values in itertools.product(*(p.grid() for p in self.parameters))]


def load(path, trials=None):
    """Read and check the sweep file at `path` (`trials` overrides its `trials`)."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError([f"cannot read sweep file: {error.strerror or error}"], source) from None
    raw = parse_yaml(text, source, TOP_LEVEL)
    problems = [f"{key}: unknown key {key!r} for a sweep; choose from {', '.join(TOP_LEVEL)}"
                + suggestion(key, TOP_LEVEL) for key in raw if key not in TOP_LEVEL]
    for key in ("base", "parameters"):
        if key not in raw:
            problems.append(f"{key}: required")

    metric = _check("metric", raw.get("metric", "val_loss"), validators.one_of(*METRICS), problems)
    default_goal = "minimize" if metric and metric.endswith("loss") else "maximize"
    goal = _check("goal", raw.get("goal", default_goal), validators.one_of(*GOALS), problems)
    method = _check("method", raw.get("method", "tpe"), validators.one_of(*METHODS), problems)
    seed = _check("seed", raw.get("seed", 0), validators.non_negative_int, problems)
    pruner = _pruner(raw.get("pruner", "median"), problems)
    parameters = _parameters(raw.get("parameters"), method, problems) if "parameters" in raw else []
    base_path = _base_path(raw.get("base"), path, problems) if "base" in raw else None
    base, base_error = None, None
    if base_path is not None:
        try:
            base = _load_base(base_path)
        except ConfigError as error:
            base_error = error
    if base is not None:
        for parameter in parameters:
            _try_on_base(parameter, base, problems)
        if metric and metric.startswith("test_") and not DATASETS.get(base["data"]["name"]).test_split:
            problems.append(f"metric: data set {base['data']['name']!r} has no test split; "
                            f"use {metric.replace('test_', 'val_')}")
    trials = _trials(raw.get("trials"), trials, method, parameters, problems)
    if problems:
        raise ConfigError(problems, source)
    if base_error is not None:   # the base config's own problems, naming its own file
        raise base_error
    return Sweep(path, base_path, base, metric, goal, method, trials, seed, pruner, parameters)


def _check(path, value, check, problems):
    try:
        return check(value)
    except ValueError as error:
        problems.append(f"{path}: {error}")
        return None


def _base_path(value, path, problems):
    if not isinstance(value, str) or not value:
        problems.append(f"base: expected the path of a training config, got {value!r}")
        return None
    base_path = Path(value) if Path(value).is_absolute() else path.parent / value
    if not base_path.is_file():
        problems.append(f"base: no config file {value} (looked for {base_path})")
        return None
    return base_path


def _load_base(base_path):
    """The base config, raw and resolved; its own problems name its own file."""
    text = base_path.read_text(encoding="utf-8")
    return resolve(parse_yaml(text, str(base_path)), str(base_path))


def _pruner(value, problems):
    try:
        name, options = parse_entry(value)
    except ValueError as error:
        problems.append(f"pruner: {error}")
        return None
    if name not in PRUNERS:
        problems.append(f"pruner: unknown pruner {name!r}; choose from {', '.join(PRUNERS)}"
                        + suggestion(name, PRUNERS))
        return None
    result = {"name": name, **PRUNERS[name]}
    for key, option in options.items():
        if key not in PRUNERS[name]:
            choices = ", ".join(PRUNERS[name]) or "(none)"
            problems.append(f"pruner.{key}: unknown key {key!r} for {name}; choose from {choices}")
        else:
            result[key] = _check(f"pruner.{key}", option, validators.non_negative_int, problems)
    return result


def _parameters(section, method, problems):
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
    low = _check(f"{path}.low", spec["low"], validators.number, problems)
    high = _check(f"{path}.high", spec["high"], validators.number, problems)
    log = _check(f"{path}.log", spec.get("log", False), validators.boolean, problems)
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
        problems.append(f"{path}.values: expected a non-empty list, got {values!r}")
        return None
    result = []
    for index, value in enumerate(values):
        if isinstance(value, str) and _NUMERIC_TEXT.fullmatch(value):
            value = float(value)
        if value is not None and not isinstance(value, (bool, int, float, str)):
            problems.append(f"{path}.values[{index}]: expected a number, a string, true, false "
                            f"or null, got {value!r}")
            return None
        if value in result and type(value) is type(result[result.index(value)]):
            problems.append(f"{path}.values[{index}]: {value!r} is listed twice")
            return None
        result.append(value)
    return result


def _try_on_base(parameter, base, problems):
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


def _trials(value, override, method, parameters, problems):
    grid_size = (math.prod(len(parameter.grid()) for parameter in parameters)
                 if method == "grid" else None)
    if override is not None:
        value, where = override, f"trials (--trials {override})"
    else:
        where = "trials"
        if value is None:
            return grid_size or DEFAULT_TRIALS
    value = _check(where, value, validators.positive_int, problems)
    if value is not None and grid_size is not None and value > grid_size:
        problems.append(f"{where}: the grid has only {grid_size} points, got {value}")
    return value
