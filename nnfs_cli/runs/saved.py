"""A trained run, loaded back: the model rebuilt from config.yaml for the input shape the run
recorded, with the arrays of params.pkl (through the restricted unpickler), its summary and
its data set (not loaded, but with the state fitted in training)."""

import json
import math
import numbers
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnfs_cli import config as configs
from nnfs_cli import files, limits
from nnfs_cli.core.layers import ShapeError
from nnfs_cli.core.model import Model
from nnfs_cli.errors import ConfigError, NnfsError
from nnfs_cli.runs import components, rundir, safe_pickle
from nnfs_cli.validators import show


@dataclass
class SavedRun:
    """A run directory's model with its parameters set, ready for `forward`."""

    path: Path
    params_path: Path
    config: dict
    model: Model
    data: object
    summary: dict = field(default_factory=dict)

    @property
    def input_shape(self):
        return self.model.input_shape

    @property
    def n_inputs(self):
        """Values per sample, as rows of features give them."""
        return int(np.prod(self.model.input_shape))

    @property
    def task(self):
        return self.model.loss.task

    @property
    def class_names(self):
        names = self.summary.get("class_names") or self.data.class_names
        return [str(name) for name in names] if names else None

    def outputs(self, x, batch_size=None):
        x = np.asarray(x, dtype=np.float32).reshape((len(x), *self.input_shape))
        return self.model.predict(x, batch_size)

    def class_scores(self, outputs):
        """(n, classes) scores of the model's `outputs` (see class_scores)."""
        return class_scores(self.model.loss, outputs)


def class_scores(loss, outputs):
    """(n, classes) scores: softmax probabilities, or per-class sigmoid outputs; a single
    sigmoid output p (two classes) becomes [1 - p, p]."""
    if loss.targets == "binary" and outputs.shape[1] == 1:
        return np.hstack([1 - outputs, outputs])
    return outputs


def load_run(run_dir, best=False):
    """Rebuild the model of `run_dir` from config.yaml and params.pkl (params_best.pkl if
    `best`); every problem is one NnfsError line naming the file."""
    run_dir = rundir.existing(run_dir)
    config = _read_config(run_dir / "config.yaml")
    params_path = run_dir / ("params_best.pkl" if best else "params.pkl")
    if best and not params_path.exists():
        raise NnfsError(f"{params_path}: no such file; this run kept no best parameters "
                        "(drop --best to use params.pkl)")
    summary_path = run_dir / "summary.json"
    summary = read_summary(summary_path)
    data = _fitted_dataset(config, summary.get("data_state") or {}, summary_path)
    model = _build_model(config, data, summary, run_dir / "config.yaml", summary_path)
    _check_class_names(summary, model, summary_path)
    model.set_parameters(check_parameters(safe_pickle.load(params_path), model, params_path))
    return SavedRun(run_dir, params_path, config, model, data, summary)


def read_summary(path):
    """summary.json as a dict, the fields evaluate and predict use checked; {} when the run
    has none (params saved elsewhere, say)."""
    if not Path(path).exists():
        return {}
    summary = read_json(path)
    if not isinstance(summary, dict):
        raise NnfsError(f"{path}: expected a JSON object, got {type(summary).__name__}")
    problem = _summary_problem(summary)
    if problem:
        raise NnfsError(f"{path}: {problem}")
    return summary


def read_json(path, limit=limits.SUMMARY_BYTES):
    """A JSON file (a regular file of at most `limit` bytes) as plain values."""
    data = files.read_bytes(path, limit)
    try:
        return json.loads(data)
    except RecursionError:
        raise NnfsError(f"{path}: not a readable JSON file: nested too deeply") from None
    except ValueError as error:   # bad JSON, bad UTF-8, an integer of 5,000 digits
        raise NnfsError(f"{path}: not a readable JSON file: {str(error)[:200]}") from None


def _summary_problem(summary):
    """What is wrong with the fields of summary.json that evaluate and predict read."""
    def number(value):
        return value is None or (isinstance(value, numbers.Real) and not isinstance(value, bool))

    names, shape = summary.get("class_names"), summary.get("input_shape")
    if names is not None and not (isinstance(names, list)
                                  and all(isinstance(name, str) for name in names)):
        return f"class_names: expected a list of names, got {show(names)}"
    if shape is not None and not (isinstance(shape, list) and 1 <= len(shape) <= 8 and all(
            isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 2**31 for n in shape)):
        return f"input_shape: expected a list of positive integers, got {show(shape)}"
    for key in ("data_state", "metric_state"):
        if summary.get(key) is not None and not isinstance(summary[key], dict):
            return f"{key}: expected a mapping, got {show(summary[key])}"
    state = summary.get("metric_state") or {}
    for key, value in [*state.items(), ("regression_precision",
                                        summary.get("regression_precision"))]:
        if not number(value):
            return f"{key}: expected a number, got {show(value)}"
    return None


def _check_class_names(summary, model, path):
    """class_names must name every class the model scores (predict and evaluate index it)."""
    names = summary.get("class_names")
    if names is None or model.loss.task != "classification":
        return
    width = model.shapes[-1][0] if len(model.shapes[-1]) == 1 else None
    if model.loss.targets == "binary" and width == 1:
        width = 2
    if width is not None and len(names) != width:
        raise NnfsError(f"{path}: class_names has {len(names)} name(s), but the model scores "
                        f"{width} classes")


def _fitted_dataset(config, state, summary_path):
    """The run's data set with the state it fitted in training (its columns, classes...)."""
    data = components.dataset(config)
    try:
        data.load_state_dict(state)
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        raise NnfsError(f"{summary_path}: data_state does not fit data set {data.name}: "
                        f"{str(error)[:200]}") from None
    if not data.known_before_loading:
        raise NnfsError(f"{summary_path}: no data_state for the {data.name} data set, so its "
                        "inputs and classes are unknown; the run never finished loading its data")
    return data


def _read_config(path):
    try:
        return configs.load(path)
    except limits.BadLimit:   # a limit in the environment, the caller's to fix (exit 2)
        raise
    except ConfigError as error:
        # The run's own file is broken, not the user's input: exit 1 like the other files.
        raise NnfsError(str(error)) from None


def _build_model(config, data, summary, config_path, summary_path):
    """The config's model for the input shape the run recorded (runs from before it was
    recorded fed the data set's own shape)."""
    model = components.unbuilt_model(config)
    recorded = summary.get("input_shape")
    if recorded is None:
        shape, source = data.shape_for(model.layers), config_path
    else:
        shape, source = tuple(recorded), f"{summary_path}: input_shape {recorded}"
        if data.input_shape is not None and math.prod(shape) != math.prod(data.input_shape):
            raise NnfsError(f"{source} does not fit data set {data.name}, whose samples have "
                            f"shape {tuple(data.input_shape)}")
    try:
        model.build(shape, np.random.default_rng(0))
    except (ShapeError, TypeError, ValueError) as error:
        raise NnfsError(f"{source}: {error}") from None
    return model


def check_parameters(parameters, model, path):
    """The arrays of params.pkl, checked against `model`: a list with one tuple per layer that
    has parameters, its arrays in the layer's order (the book's (weights, biases) for dense
    layers). Returns them as float32; a bias saved as (units,) fits (1, units)."""
    layers = [(index, layer) for index, layer in enumerate(model.layers) if layer.params]
    expected = ("a list with one tuple of arrays per layer with parameters "
                "((weights, biases) for dense layers)")
    if not isinstance(parameters, (list, tuple)) or not parameters:
        raise NnfsError(f"{path}: expected {expected}, got {_describe(parameters)}")
    if len(parameters) != len(layers):
        raise NnfsError(f"{path}: holds {len(parameters)} parameter set(s), but config.yaml "
                        f"describes {len(layers)} layer(s) with parameters")
    checked = []
    for item, (arrays, (index, layer)) in enumerate(zip(parameters, layers), 1):
        names = list(layer.params)
        where = f"model[{index}] {layer.name}"
        if not isinstance(arrays, (list, tuple)) or len(arrays) != len(names):
            raise NnfsError(f"{path}: item {item} should be a tuple of {len(names)} arrays "
                            f"({', '.join(names)}) for {where}, got {_describe(arrays)}")
        converted = []
        for name, array in zip(names, arrays):
            wanted = layer.params[name].shape
            if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiu":
                raise NnfsError(f"{path}: {where} {name} should be a numeric array, "
                                f"got {_describe(array)}")
            if array.shape != wanted and _squeezed(array.shape) != _squeezed(wanted):
                raise NnfsError(f"{path}: {where} {name} have shape {array.shape}, but "
                                f"config.yaml needs {wanted}")
            array = array.astype(np.float32).reshape(wanted)
            if not np.isfinite(array).all():
                raise NnfsError(f"{path}: {where} {name} hold NaN or infinite values")
            if name in layer.non_negative and (array < 0).any():
                raise NnfsError(f"{path}: {where} {name} hold negative values, which a "
                                f"{name} cannot have")
            converted.append(array)
        checked.append(tuple(converted))
    return checked


def _squeezed(shape):
    return tuple(n for n in shape if n != 1)


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"an array of {value.dtype} {value.shape}"
    return type(value).__name__
