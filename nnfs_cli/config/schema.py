"""A parsed config -> validated, fully resolved config dict. Every problem is gathered with its
key path (`model[2].units: expected a positive integer, got -3`) before ConfigError is raised."""

import copy
import inspect

from nnfs_cli import validators
from nnfs_cli.core.layers import ShapeError
from nnfs_cli.core.model import Model
from nnfs_cli.errors import ConfigError
from nnfs_cli.registry import (ACTIVATIONS, DATASETS, LAYERS, LOSSES, METRICS, OPTIMIZERS,
                               Registry, parse_entry, suggestion)

TOP_LEVEL = ("seed", "data", "model", "loss", "optimizer", "metric", "metrics", "training",
             "logging", "plots")
REQUIRED = ("data", "model", "loss", "optimizer")


def _monitor(value):
    """val_loss, val_accuracy, or val_ and a score's name (it must be among `metrics`, which
    the consistency checks see)."""
    from nnfs_cli.core import scores
    name = value[4:] if isinstance(value, str) and value.startswith("val_") else None
    if value in ("val_loss", "val_accuracy") or (name and any(
            scores.problem(name, task) is None for task in ("classification", "regression"))):
        return value
    hint = suggestion(value, ["val_loss", "val_accuracy"])
    raise ValueError(f"expected val_loss, val_accuracy or val_ and a score of `metrics` "
                     f"(val_f1_macro...), got {validators.show(value)}{hint}")


class EarlyStopping:
    """`training.early_stopping`: stop when `monitor` has not improved by `min_delta` for
    `patience` epochs."""

    constraints = {
        "monitor": lambda value: _monitor(value),
        "patience": validators.positive_int,
        "min_delta": validators.non_negative,
        "restore_best": validators.boolean,
    }

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0, restore_best=False):
        pass


class TrainingOptions:
    """The `training:` section."""

    constraints = {
        "epochs": validators.positive_int,
        "batch_size": validators.optional(validators.positive_int),
        "shuffle": validators.boolean,
        "print_every": validators.positive_int,
        "checkpoint_seconds": validators.non_negative,
        "early_stopping": EarlyStopping,
        "clip_norm": validators.optional(validators.positive),
        "clip_value": validators.optional(validators.positive),
        "class_weight": validators.optional(lambda value: _class_weight(value)),
    }

    def __init__(self, epochs=10, batch_size=None, shuffle=True, print_every=1,
                 checkpoint_seconds=10.0, early_stopping=None, clip_norm=None, clip_value=None,
                 class_weight=None):
        pass


_class_weights = validators.mapping_of(lambda label, weight: validators.positive(weight),
                                       "balanced or a mapping {class: weight}")


def _class_weight(value):
    """`training.class_weight`: balanced (n / (classes * rows of the class), from the
    training rows), or {class name: weight > 0}, 1 for the classes it leaves out; which
    classes there are is checked once the data has loaded (components.class_weights)."""
    if isinstance(value, str):
        if value != "balanced":
            raise ValueError(f"expected balanced or a mapping {{class: weight}}, got "
                             f"{validators.show(value)}")
        return value
    return _class_weights(value)


class Logging:
    """The `logging:` section: TensorBoard event files in RUN/tensorboard/ (the
    `tensorboard` extra), scalars every `steps` steps and per epoch, and weight and gradient
    histograms every `histograms` epochs (0: none)."""

    constraints = {
        "tensorboard": validators.boolean,
        "steps": validators.positive_int,
        "histograms": validators.non_negative_int,
    }

    def __init__(self, tensorboard=False, steps=50, histograms=0):
        pass


class PlotOptions:
    """The `plots:` section: decision_regions.png for inputs it can draw (auto), always
    (true: other inputs are an error) or never; `animate` adds decision_regions.gif, a frame
    every `every` epochs (null: about 50 frames). Checked against the model once it is built
    (runs/regions.py: problems)."""

    constraints = {
        "decision_regions": validators.auto_or_boolean,
        "animate": validators.boolean,
        "every": validators.optional(validators.positive_int),
    }

    def __init__(self, decision_regions="auto", animate=False, every=None):
        pass


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

    resolved["seed"] = _check("seed", raw.get("seed", 0), validators.seed, problems)
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
        problems.append(f"training: expected a mapping, got {validators.show(training)}")
        training = {}
    resolved["training"] = _options("training", training, TrainingOptions, "training", problems)
    resolved["metrics"] = _check("metrics", raw.get("metrics"), _metric_names, problems)
    logging = raw.get("logging") or {}
    if not isinstance(logging, dict):
        problems.append(f"logging: expected a mapping, got {validators.show(logging)}")
        logging = {}
    resolved["logging"] = _options("logging", logging, Logging, "logging", problems)
    plots = raw.get("plots") or {}
    if not isinstance(plots, dict):
        problems.append(f"plots: expected a mapping, got {validators.show(plots)}")
        plots = {}
    resolved["plots"] = _options("plots", plots, PlotOptions, "plots", problems)

    if not problems:
        _check_consistency(resolved, problems)
    if problems:
        raise ConfigError(problems, source)
    return _flatten(resolved)


def _metric_names(value):
    """`metrics`: null (the task's defaults) or a list of score names, checked against the
    task once it is known (core/scores.py)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValueError(f"expected a list of names such as [accuracy, f1_macro], got "
                         f"{validators.show(value)}")
    if len(set(value)) != len(value):
        raise ValueError(f"names a score twice: {validators.show(value)}")
    return list(value)


def _check(path, value, check, problems):
    try:
        return check(value)
    except validators.KeyProblem as error:
        problems.append(f"{path}.{error.key}: {error}")
        return None
    except ValueError as error:
        problems.append(f"{path}: {error}")
        return None


def _unknown_key(path, key, choices, owner):
    message = f"{path}: unknown key {validators.show(key)} for {owner}; choose from {', '.join(choices)}"
    return message + suggestion(key, choices)


def _split_named(path, value, problems):
    try:
        return parse_entry(value)
    except ValueError as error:
        problems.append(f"{path}: {error}")
        return None, None


def _named(path, value, registry, problems):
    name, options = _split_named(path, value, problems)
    if name is None:
        return None
    if name not in registry:
        problems.append(f"{path}: {registry.unknown(name)}")
        return None
    cls = registry.get(name)
    name = cls.name   # an alias (`swish`) is recorded as the name it stands for (`silu`)
    before = len(problems)
    resolved = {"name": name, **_options(path, options, cls, name, problems)}
    check = getattr(cls, "option_problems", None)   # options that do not fit together
    if len(problems) == before and check is not None:
        problems.extend(f"{path}.{key}: {message}" for key, message in check(resolved))
    return resolved


def _model(items, problems):
    if not isinstance(items, list) or not items:
        problems.append(f"model: expected a non-empty list of layers, got {validators.show(items)}")
        return None
    resolved = []
    for index, item in enumerate(items):
        path = f"model[{index}]"
        name, options = _split_named(path, item, problems)
        if name is None:
            resolved.append(None)
            continue
        registry = stack_registry(name)
        if name not in registry:
            names = sorted(LAYERS.names() + ACTIVATIONS.names())
            problems.append(f"{path}: {LAYERS.unknown(name, 'layer or activation', names)}")
            resolved.append(None)
            continue
        cls = registry.get(name)   # an alias (`swish`) resolves to its name (`silu`)
        resolved.append({"name": cls.name, **_options(path, options, cls, cls.name, problems)})
    return resolved


def _options(path, options, cls, owner, problems):
    """Check `options` against `cls.__init__`'s signature and `cls.constraints`; fill defaults."""
    parameters = {name: p for name, p in inspect.signature(cls.__init__).parameters.items()
                  if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    constraints = getattr(cls, "constraints", {})
    result = {}
    # Other libraries' names for an option (PyTorch's `negative_slope` for `alpha`).
    for alias, key in getattr(cls, "option_aliases", {}).items():
        if alias in options:
            if key in options:
                problems.append(f"{path}.{alias}: the same option as {key}; give one of them")
            options = {key if name == alias else name: value for name, value in options.items()}
    for key, value in options.items():
        if key not in parameters:
            problems.append(_unknown_key(f"{path}.{key}", key, list(parameters) or ["(none)"], owner))
    for name, parameter in parameters.items():
        key_path = f"{path}.{name}"
        if isinstance(constraints.get(name), Registry):   # a nested component: {name: ...}
            value = options.get(name, parameter.default)
            result[name] = _named(key_path, value, constraints[name], problems)
        elif name in options and isinstance(constraints[name], type):   # a nested section
            value = options[name]
            if value is not None and not isinstance(value, dict):
                problems.append(f"{key_path}: expected a mapping, got {validators.show(value)}")
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
    sizes = data.problems()
    if sizes:
        problems.extend(sizes)
        return
    loss = LOSSES.get(config["loss"]["name"])
    if task_problems(data, loss):
        problems.extend(task_problems(data, loss))
        return
    layers = config["model"]
    if loss.fused_activation is not None and layers[-1]["name"] != loss.fused_activation.name:
        problems.append(f"model[{len(layers) - 1}]: {loss.name} needs the stack to end in "
                        f"{loss.fused_activation.name}, got {layers[-1]['name']}")
    if data.known_before_loading:
        problems.extend(model_problems(layers, data, loss))
    elif data.input_shape is not None:
        # The samples' shape is known before the files are read (an image folder's `size`),
        # the classes only after: the stack's shapes and size are checked now, before a
        # picture is decoded, and its outputs once the data has loaded.
        problems.extend(shape_problems(layers, data))
    if config["training"].get("class_weight") is not None and loss.task != "classification":
        problems.append(f"training.class_weight: weighs the classes of a classification loss; "
                        f"{loss.name} is a regression loss")
    metric = config.get("metric")
    if metric is None:
        config["metric"] = {"name": loss.default_metric}
    elif METRICS.get(metric["name"]).targets != loss.targets:
        problems.append(f"metric: {metric['name']} does not fit {loss.name}; "
                        f"use {loss.default_metric}")
    problems.extend(metrics_problems(config, loss.task))


def metrics_problems(config, task):
    """`metrics` names scores of the task (filling its defaults), and what early stopping
    monitors is one of them."""
    from nnfs_cli.core import scores
    if config.get("metrics") is None:
        config["metrics"] = list(scores.DEFAULTS[task])
    found = [f"metrics[{index}]: {problem}" for index, problem in
             enumerate(scores.problem(name, task) for name in config["metrics"]) if problem]
    stopping = config["training"].get("early_stopping")
    if stopping and not found:
        monitors = monitor_names(config["metrics"])
        monitor = stopping["monitor"]
        if monitor not in monitors and scores.problem(monitor[4:], task) is None:
            found.append(f"training.early_stopping.monitor: {monitor} needs {monitor[4:]} "
                         f"in `metrics` (they are: {', '.join(config['metrics'])})")
        elif monitor not in monitors:
            found.append(f"training.early_stopping.monitor: expected one of "
                         f"{', '.join(monitors)}, got {validators.show(monitor)}"
                         + suggestion(monitor, monitors))
    return found


def monitor_names(metrics):
    """What early stopping may watch: the validation loss, accuracy and configured scores."""
    names = ["val_loss", "val_accuracy"]
    names += [f"val_{name}" for name in metrics if name not in ("accuracy", "book_accuracy")]
    return names


def task_problems(data, loss):
    """Why `loss` does not fit the data's task; [] when it does or the task is not known yet
    (a data set that decides it from its files, checked again once they are loaded)."""
    if data.task is None or loss.task == data.task:
        return []
    decided = " (found in the data; set data.task to choose)" if data.task_found else ""
    return [f"loss: {loss.name} is for {loss.task}, but data set {data.name!r} is for "
            f"{data.task}{decided}"]


def shape_problems(entries, data):
    """Why the stack of `entries` cannot take `data`'s samples or is too large; [] if not."""
    layers = [stack_registry(name).get(name)(**options)
              for name, options in map(parse_entry, entries)]
    try:
        Model.infer_shapes(layers, data.shape_for(layers))
    except ShapeError as error:
        return [str(error)]
    return []


def model_problems(entries, data, loss):
    """Why the model of `entries` cannot take `data` (its sample shape, its classes or
    targets), one `model[i]...` line each; [] when it fits."""
    parsed = [parse_entry(entry) for entry in entries]
    layers = [stack_registry(name).get(name)(**options) for name, options in parsed]
    try:
        shapes = Model.infer_shapes(layers, data.shape_for(layers))
    except ShapeError as error:
        return [str(error)]
    expected = (loss.output_width(data),)
    if shapes[-1] == expected:
        return []
    sized = [index for index, (_, options) in enumerate(parsed) if "units" in options]
    if sized:
        last = sized[-1]
        return [f"model[{last}].units: the last dense layer must have {expected[0]} units for "
                f"{data.describe_outputs(loss)}, got {parsed[last][1]['units']}"]
    return [f"model: the model outputs shape {shapes[-1]}, but {data.describe_outputs(loss)} "
            f"needs {expected}"]


def stack_registry(name):
    """Where a model entry's name is registered: activations or layers."""
    return ACTIVATIONS if name in ACTIVATIONS else LAYERS


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
