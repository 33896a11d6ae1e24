"""A sweep file -> a checked Sweep: the base config, the metric and its direction, the search
method and the parameter ranges. Problems are gathered with their key paths, like a training
config's, and every parameter is tried on the base config before any trial starts."""

import copy
import math
import re
from dataclasses import dataclass
from pathlib import Path

from nnfs_cli import config as configs
from nnfs_cli import files, limits, validators
from nnfs_cli.config import resolve
from nnfs_cli.config.loading import decode, parse_yaml
from nnfs_cli.config.overrides import set_path
from nnfs_cli.core import scores
from nnfs_cli.core.scores import lower_is_better
from nnfs_cli.errors import ConfigError
from nnfs_cli.registry import DATASETS, parse_entry, suggestion
from nnfs_cli.sweep.parameters import check, parse, try_on_base

TOP_LEVEL = ("base", "metric", "goal", "method", "trials", "seed", "pruner", "parameters")
METRICS = ("val_loss", "val_accuracy", "loss", "accuracy", "test_loss", "test_accuracy")
SCORE = re.compile(r"(val_|test_)?(top_\d+_accuracy|[a-z0-9_]+)$")


def _metric(value):
    """A metrics.csv or summary.json figure: the loss and accuracy of a split, or a split's
    score of the base config's `metrics` (val_f1_macro, test_r2...)."""
    if value in METRICS:
        return value
    match = SCORE.match(value) if isinstance(value, str) else None
    if match and any(scores.problem(match.group(2), task) is None
                     for task in ("classification", "regression")):
        return value
    raise ValueError(f"expected one of {', '.join(METRICS)}, or a score of the base config's "
                     f"metrics (val_f1_macro, test_r2...), got {validators.show(value)}"
                     + suggestion(value, METRICS))
GOALS = ("minimize", "maximize")
METHODS = ("tpe", "random", "grid")
PRUNERS = {"median": {"startup_trials": 5, "warmup_epochs": 0}, "none": {}}
DEFAULT_TRIALS = 20


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

    def grid_size(self):
        """How many points the grid has: every combination of the parameters' values."""
        return math.prod(parameter.grid_size() for parameter in self.parameters)

    def grid_point(self, index):
        """The `index`-th combination, in itertools.product's order (the last parameter
        varies fastest), computed from the index alone: a grid of 10**9 points is never
        listed."""
        point = {}
        for parameter in reversed(self.parameters):
            index, digit = divmod(index, parameter.grid_size())
            point[parameter.key] = parameter.grid_value(digit)
        return {parameter.key: point[parameter.key] for parameter in self.parameters}


def load(path, trials=None):
    """Read and check the sweep file at `path` (`trials` overrides its `trials`)."""
    path = Path(path)
    source = str(path)
    try:
        data = files.read_bytes(path, limits.CONFIG_BYTES)
    except files.UnreadableFile as error:
        raise ConfigError([f"cannot read sweep file: {error.reason}"], source) from None
    raw = parse_yaml(decode(data, source), source, TOP_LEVEL)
    problems = [f"{key}: unknown key {key!r} for a sweep; choose from {', '.join(TOP_LEVEL)}"
                + suggestion(key, TOP_LEVEL) for key in raw if key not in TOP_LEVEL]
    for key in ("base", "parameters"):
        if key not in raw:
            problems.append(f"{key}: required")

    metric = check("metric", raw.get("metric", "val_loss"), _metric, problems)
    default_goal = "minimize" if metric and lower_is_better(metric) else "maximize"
    goal = check("goal", raw.get("goal", default_goal), validators.one_of(*GOALS), problems)
    method = check("method", raw.get("method", "tpe"), validators.one_of(*METHODS), problems)
    seed = check("seed", raw.get("seed", 0), validators.non_negative_int, problems)
    pruner = _pruner(raw.get("pruner", "median"), problems)
    parameters = parse(raw.get("parameters"), method, problems) if "parameters" in raw else []
    base_path = _base_path(raw.get("base"), path, problems) if "base" in raw else None
    base, base_error = None, None
    if base_path is not None:
        try:
            base = configs.load(base_path)   # its own problems name its own file
        except ConfigError as error:
            base_error = error
    if base is not None:
        for parameter in parameters:
            try_on_base(parameter, base, problems)
        # False: no test split; None: the data files will tell (npz, image_folder).
        test_split = DATASETS.create(base["data"]).test_split
        if metric and metric.startswith("test_") and test_split is False:
            problems.append(f"metric: data set {base['data']['name']!r} has no test split; "
                            f"use {metric.replace('test_', 'val_')}")
        score = metric.split("_", 1)[1] if metric and metric.startswith(("val_", "test_")) \
            else metric
        if metric and metric not in METRICS and score not in base["metrics"]:
            problems.append(f"metric: {metric} is not one of the base config's metrics "
                            f"({', '.join(base['metrics'])}); add {score} to its `metrics`")
    trials = _trials(raw.get("trials"), trials, method, parameters, problems)
    if problems:
        raise ConfigError(problems, source)
    if base_error is not None:   # the base config's own problems, naming its own file
        raise base_error
    return Sweep(path, base_path, base, metric, goal, method, trials, seed, pruner, parameters)


def _base_path(value, path, problems):
    if not isinstance(value, str) or not value:
        problems.append(f"base: expected the path of a training config, got {value!r}")
        return None
    base_path = Path(value) if Path(value).is_absolute() else path.parent / value
    if not base_path.is_file():
        problems.append(f"base: no config file {value} (looked for {base_path})")
        return None
    return base_path




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
            result[key] = check(f"pruner.{key}", option, validators.non_negative_int, problems)
    return result


def _trials(value, override, method, parameters, problems):
    grid_size = (math.prod(parameter.grid_size() for parameter in parameters)
                 if method == "grid" else None)
    if override is not None:
        value, where = override, f"trials (--trials {override})"
    else:
        where = "trials"
        if value is None:
            return grid_size or DEFAULT_TRIALS
    value = check(where, value, validators.positive_int, problems)
    if value is not None and grid_size is not None and value > grid_size:
        problems.append(f"{where}: the grid has only {grid_size} points, got {value}")
    return value
