"""YAML config -> validated, fully resolved config dict. Every problem is gathered with its
key path (`model[2].units: expected a positive integer, got -3`) before ConfigError is raised."""

import copy
import difflib
import inspect
from pathlib import Path

import yaml

from nnfs_cli import build, checks  # noqa: F401 (build fills the registries)
from nnfs_cli.errors import ConfigError
from nnfs_cli.overrides import apply_overrides, one_line
from nnfs_cli.registry import ACTIVATIONS, DATASETS, LAYERS, LOSSES, METRICS, OPTIMIZERS

TOP_LEVEL = ("seed", "data", "model", "loss", "optimizer", "metric", "training")
REQUIRED = ("data", "model", "loss", "optimizer")


class EarlyStopping:
    """`training.early_stopping`: stop when `monitor` has not improved by `min_delta` for
    `patience` epochs."""

    constraints = {
        "monitor": checks.one_of("val_loss", "val_accuracy"),
        "patience": checks.positive_int,
        "min_delta": checks.non_negative,
    }

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0):
        pass


class TrainingOptions:
    """The `training:` section."""

    constraints = {
        "epochs": checks.positive_int,
        "batch_size": checks.optional(checks.positive_int),
        "shuffle": checks.boolean,
        "print_every": checks.positive_int,
        "checkpoint_seconds": checks.non_negative,
        "early_stopping": EarlyStopping,
    }

    def __init__(self, epochs=10, batch_size=None, shuffle=True, print_every=1,
                 checkpoint_seconds=10.0, early_stopping=None):
        pass


def load(path, overrides=()):
    """Read, override and validate the config at `path`; returns the resolved dict."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError([f"cannot read config: {error.strerror or error}"], source) from None
    raw = parse_yaml(text, source)
    apply_overrides(raw, overrides, source)
    return resolve(raw, source)


def parse_yaml(text, source):
    """YAML text -> dict; duplicate keys, which PyYAML silently merges, are errors."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise ConfigError([f"invalid YAML: {one_line(error)}"], source) from None
    if node is None:
        raise ConfigError(["the file is empty; expected a mapping with keys "
                           + ", ".join(TOP_LEVEL)], source)
    problems = []
    _find_duplicates(node, "", problems)
    if problems:
        raise ConfigError(problems, source)
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise ConfigError([f"expected a mapping with keys {', '.join(TOP_LEVEL)}, "
                           f"got {type(raw).__name__}"], source)
    return raw


def _find_duplicates(node, path, problems):
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            key = key_node.value
            child = f"{path}.{key}" if path else str(key)
            if key in seen:
                problems.append(f"{child}: duplicate key (line {key_node.start_mark.line + 1})")
            seen.add(key)
            _find_duplicates(value_node, child, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _find_duplicates(item, f"{path}[{index}]", problems)


# --- validation ------------------------------------------------------------------------


def resolve(raw, source=None):
    """Validate `raw` and fill every default; raises ConfigError listing all problems."""
    problems = []
    resolved = {}
    for key in raw:
        if key not in TOP_LEVEL:
            problems.append(_unknown_key(str(key), key, TOP_LEVEL, "the config"))
    for key in REQUIRED:
        if key not in raw:
            problems.append(f"{key}: required")

    resolved["seed"] = _check("seed", raw.get("seed", 0), checks.non_negative_int, problems)
    if "data" in raw:
        resolved["data"] = _named("data", raw["data"], DATASETS, problems)
    if "model" in raw:
        resolved["model"] = _model(raw["model"], problems)
    if "loss" in raw:
        resolved["loss"] = _named("loss", raw["loss"], LOSSES, problems)
    if "optimizer" in raw:
        resolved["optimizer"] = _named("optimizer", raw["optimizer"], OPTIMIZERS, problems)
    metric = raw.get("metric")
    if metric is not None:
        resolved["metric"] = _named("metric", metric, METRICS, problems)
    training = raw.get("training") or {}
    if not isinstance(training, dict):
        problems.append(f"training: expected a mapping, got {training!r}")
        training = {}
    resolved["training"] = _options("training", training, TrainingOptions, "training", problems)

    if not problems:
        _check_consistency(resolved, problems)
    if problems:
        raise ConfigError(problems, source)
    return _flatten(resolved)


def _check(path, value, check, problems):
    try:
        return check(value)
    except ValueError as error:
        problems.append(f"{path}: {error}")
        return None


def _unknown_key(path, key, choices, owner):
    message = f"{path}: unknown key {key!r} for {owner}; choose from {', '.join(choices)}"
    close = difflib.get_close_matches(str(key), list(choices), n=1)
    return message + (f" (did you mean {close[0]!r}?)" if close else "")


def _split_named(path, value, problems):
    """`name`, `{name: x, opt: ..}` or `{x: {opt: ..}}` -> (name, options)."""
    if isinstance(value, str):
        return value, {}
    if isinstance(value, dict) and "name" in value:
        options = {k: v for k, v in value.items() if k != "name"}
        return value["name"], options
    if isinstance(value, dict) and len(value) == 1:
        (name, options), = value.items()
        if options is None:
            options = {}
        if isinstance(options, dict):
            return name, options
    problems.append(f"{path}: expected a name or a mapping with 'name', got {value!r}")
    return None, None


def _named(path, value, registry, problems):
    name, options = _split_named(path, value, problems)
    if name is None:
        return None
    if name not in registry:
        problems.append(f"{path}: {registry.unknown(name)}")
        return None
    cls = registry.get(name)
    return {"name": name, **_options(path, options, cls, name, problems)}


def _model(items, problems):
    if not isinstance(items, list) or not items:
        problems.append(f"model: expected a non-empty list of layers, got {items!r}")
        return None
    resolved = []
    for index, item in enumerate(items):
        path = f"model[{index}]"
        name, options = _split_named(path, item, problems)
        if name is None:
            resolved.append(None)
            continue
        registry = ACTIVATIONS if name in ACTIVATIONS else LAYERS
        if name not in registry:
            names = sorted(LAYERS.names() + ACTIVATIONS.names())
            close = difflib.get_close_matches(str(name), names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"{path}: unknown layer or activation {name!r}; "
                            f"choose from {', '.join(names)}{hint}")
            resolved.append(None)
            continue
        resolved.append({"name": name, **_options(path, options, registry.get(name), name, problems)})
    return resolved


def _options(path, options, cls, owner, problems):
    """Check `options` against `cls.__init__`'s signature and `cls.constraints`; fill defaults."""
    parameters = {name: p for name, p in inspect.signature(cls.__init__).parameters.items()
                  if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    constraints = getattr(cls, "constraints", {})
    result = {}
    for key, value in options.items():
        if key not in parameters:
            problems.append(_unknown_key(f"{path}.{key}", key, list(parameters) or ["(none)"], owner))
    for name, parameter in parameters.items():
        key_path = f"{path}.{name}"
        if name in options and isinstance(constraints[name], type):   # a nested section
            value = options[name]
            if value is not None and not isinstance(value, dict):
                problems.append(f"{key_path}: expected a mapping, got {value!r}")
                value = None
            result[name] = (None if value is None else
                            _options(key_path, value, constraints[name], name, problems))
        elif name in options:
            result[name] = _check(key_path, options[name], constraints[name], problems)
        elif parameter.default is inspect.Parameter.empty:
            problems.append(f"{key_path}: required for {owner}")
        else:
            result[name] = parameter.default
    return result


def _check_consistency(config, problems):
    """Checks across sections: loss vs data and stack, last width vs classes or targets."""
    data = DATASETS.get(config["data"]["name"])(**_args(config["data"]))
    loss = LOSSES.get(config["loss"]["name"])
    if loss.task != data.task:
        problems.append(f"loss: {loss.name} is for {loss.task}, but data set "
                        f"{data.name!r} is for {data.task}")
        return
    layers = config["model"]
    if loss.fused_activation is not None and layers[-1]["name"] != loss.fused_activation.name:
        problems.append(f"model[{len(layers) - 1}]: {loss.name} needs the stack to end in "
                        f"{loss.fused_activation.name}, got {layers[-1]['name']}")
    dense = [index for index, layer in enumerate(layers) if "units" in layer]
    expected = loss.output_width(data)
    if not dense:
        problems.append("model: needs at least one dense layer")
    elif layers[dense[-1]]["units"] != expected:
        problems.append(f"model[{dense[-1]}].units: the last dense layer must have {expected} "
                        f"units for {data.describe_outputs(loss)}, got {layers[dense[-1]]['units']}")
    metric = config.get("metric")
    if metric is None:
        config["metric"] = {"name": loss.default_metric}
    elif METRICS.get(metric["name"]).targets != loss.targets:
        problems.append(f"metric: {metric['name']} does not fit {loss.name}; "
                        f"use {loss.default_metric}")


def _args(section):
    return {key: value for key, value in section.items() if key != "name"}


def _flatten(resolved):
    """Write named sections the way a user would: bare names where there are no options."""
    out = copy.deepcopy(resolved)
    out["model"] = [layer["name"] if len(layer) == 1 else {layer["name"]: _args(layer)}
                    for layer in out["model"]]
    for key in ("loss", "metric"):
        if len(out[key]) == 1:
            out[key] = out[key]["name"]
    return {key: out[key] for key in TOP_LEVEL}
