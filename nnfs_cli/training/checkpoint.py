"""checkpoint.pkl, checked before `--resume` writes anything. The unpickler admits only
plain values and arrays, but their structure could still be anything (`{"trainer": {}}`,
10**400 iterations, text for seconds, arrays of another model): `progress` checks what
the file says about the run's progress, `fitted` checks it against the model, optimizer,
metric and data it resumes, and returns a copy with fresh float32 arrays."""

import math
import numbers

import numpy as np

from nnfs_cli.errors import NnfsError
from nnfs_cli.runs import components
from nnfs_cli.runs.rundir import METRIC_COLUMNS
from nnfs_cli.validators import show

MAX_COUNT = 2**53   # steps, epochs, samples: beyond what a float counts exactly
TRAINER_KEYS = ("params", "optimizer", "shuffle_rng", "model_rng", "history", "position",
                "best", "stopped_early", "metric")
POSITION_KEYS = ("epoch", "step", "order_state", "data_sum", "reg_sum", "correct", "total",
                 "samples", "seconds")


class _Bad(Exception):
    """`where: what was expected, what was found`."""


def progress(state, path):
    """Check the structure and the plain values of a checkpoint (not yet its arrays);
    returns it. NnfsError names the file and the first problem."""
    try:
        _mapping(state, "checkpoint", ("trainer", "wall_seconds"))
        _number(state["wall_seconds"], "wall_seconds", low=0)
        trainer = state["trainer"]
        _mapping(trainer, "trainer", TRAINER_KEYS)
        history = _list(trainer["history"], "trainer.history")
        for index, row in enumerate(history):
            where = f"trainer.history[{index}]"
            _mapping(row, where, METRIC_COLUMNS)
            if _count(row["epoch"], f"{where}.epoch") != index + 1:
                raise _Bad(f"{where}.epoch: expected {index + 1}, got {show(row['epoch'])}")
            for key in METRIC_COLUMNS[1:]:
                if not (key.startswith("val_") and row[key] is None):   # no validation split
                    _number(row[key], f"{where}.{key}")
        _position(trainer["position"], len(history))
        _best(trainer["best"], len(history))
        if not isinstance(trainer["stopped_early"], bool):
            raise _Bad(f"trainer.stopped_early: expected true or false, "
                       f"got {show(trainer['stopped_early'])}")
        optimizer = _mapping(trainer["optimizer"], "trainer.optimizer",
                             ("iterations", "current_learning_rate", "state"))
        _count(optimizer["iterations"], "trainer.optimizer.iterations")
        _number(optimizer["current_learning_rate"], "trainer.optimizer.current_learning_rate")
        _mapping(optimizer["state"], "trainer.optimizer.state", ())
        _mapping(trainer["metric"], "trainer.metric", ())
        _list(trainer["params"], "trainer.params")
    except _Bad as problem:
        raise NnfsError(f"{path}: not a checkpoint nnfs can resume: {problem}") from None
    return state


def fitted(state, path, config, model, steps):
    """`state` (checked by `progress`) checked against the run it resumes: the arrays of
    `model` and of the config's optimizer, generator states, the metric's state and
    `steps` batches per epoch. Returns a copy whose arrays are fresh float32 copies."""
    try:
        trainer = dict(state["trainer"])
        trainer["params"] = _params(trainer["params"], model)
        trainer["optimizer"] = _optimizer(trainer["optimizer"], config, model)
        for key in ("shuffle_rng", "model_rng"):
            _generator(trainer[key], f"trainer.{key}")
        position = trainer["position"]
        if position is not None:
            _generator(position["order_state"], "trainer.position.order_state")
            if position["step"] > steps:
                raise _Bad(f"trainer.position.step: an epoch has {steps} steps, "
                           f"got {position['step']}")
        try:
            components.metric(config).load_state_dict(trainer["metric"])
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            raise _Bad(f"trainer.metric: {error}") from None
        best_params = _best_params(state.get("best_params"), model)
    except _Bad as problem:
        raise NnfsError(f"{path}: does not fit this run: {problem}") from None
    fitted_state = {**state, "trainer": trainer}
    if "best_params" in state:
        fitted_state["best_params"] = best_params
    return fitted_state


def _mapping(value, where, keys):
    if not isinstance(value, dict):
        raise _Bad(f"{where}: expected a mapping, got {_kind(value)}")
    missing = [key for key in keys if key not in value]
    if missing:
        raise _Bad(f"{where}: missing {', '.join(map(str, missing))}")
    return value


def _list(value, where):
    if not isinstance(value, list):
        raise _Bad(f"{where}: expected a list, got {_kind(value)}")
    return value


def _count(value, where, low=0):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _Bad(f"{where}: expected a whole number, got {_kind(value)}")
    if not low <= value <= MAX_COUNT:
        raise _Bad(f"{where}: expected a whole number from {low} to {MAX_COUNT}, "
                   f"got {show(int(value))}")
    return int(value)


def _number(value, where, low=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _Bad(f"{where}: expected a number, got {_kind(value)}")
    try:
        finite = math.isfinite(value)
    except OverflowError:
        finite = False
    if not finite or (low is not None and value < low):
        bound = f" >= {low}" if low is not None else ""
        raise _Bad(f"{where}: expected a finite number{bound}, got {show(value)}")
    return float(value)


def _position(position, epochs_done):
    if position is None:
        return
    where = "trainer.position"
    _mapping(position, where, POSITION_KEYS)
    if _count(position["epoch"], f"{where}.epoch") != epochs_done + 1:
        raise _Bad(f"{where}.epoch: expected {epochs_done + 1}, got {position['epoch']}")
    for key in ("step", "samples", "total"):
        _count(position[key], f"{where}.{key}", low=1)   # saved only after a batch
    if _count(position["correct"], f"{where}.correct") > position["total"]:
        raise _Bad(f"{where}.correct: more than {where}.total")
    for key in ("data_sum", "reg_sum", "seconds"):
        _number(position[key], f"{where}.{key}", low=0)
    _mapping(position["order_state"], f"{where}.order_state", ())


def _best(best, epochs_done):
    where = "trainer.best"
    _mapping(best, where, ("epoch", "value", "since"))
    if epochs_done or best["epoch"] is not None:
        if _count(best["epoch"], f"{where}.epoch", low=1) > epochs_done:
            raise _Bad(f"{where}.epoch: after the {epochs_done} epoch(s) done")
        _number(best["value"], f"{where}.value")
    _count(best["since"], f"{where}.since")


def _array(value, where, shape):
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
        raise _Bad(f"{where}: expected a numeric array, got {_kind(value)}")
    if value.shape != tuple(shape):
        raise _Bad(f"{where}: expected shape {tuple(shape)}, got {value.shape}")
    return np.array(value, dtype=np.float32)   # a copy: writable, contiguous, float32


def _params(saved, model):
    if len(saved) != len(model.layers):
        raise _Bad(f"trainer.params: holds {len(saved)} layer(s), but config.yaml describes "
                   f"{len(model.layers)}")
    checked = []
    for index, (arrays, layer) in enumerate(zip(saved, model.layers)):
        where = f"trainer.params[{index}]"
        _mapping(arrays, where, ())
        if set(arrays) != set(layer.params):
            raise _Bad(f"{where}: holds {sorted(map(str, arrays))}, but model[{index}] "
                       f"{layer.name} has {sorted(layer.params)}")
        arrays = {name: _array(arrays[name], f"{where}.{name}", target.shape)
                  for name, target in layer.params.items()}
        for name in layer.non_negative:
            if (arrays[name] < 0).any():
                raise _Bad(f"{where}.{name}: holds negative values, which a {name} cannot "
                           "have")
        checked.append(arrays)
    return checked


def _optimizer(saved, config, model):
    names = set(components.optimizer(config).state_names)
    params = {key: param for key, param, _ in model.param_items()}
    state = {}
    for key, arrays in saved["state"].items():
        where = f"trainer.optimizer.state[{show(key)}]"
        if key not in params:
            raise _Bad(f"{where}: no such trained parameter in config.yaml's model")
        _mapping(arrays, where, names)
        if set(arrays) != names:
            raise _Bad(f"{where}: holds {sorted(map(str, arrays))}, expected {sorted(names)}")
        state[key] = {name: _array(arrays[name], f"{where}.{name}", params[key].shape)
                      for name in names}
    checked = {"iterations": int(saved["iterations"]),
               "current_learning_rate": float(saved["current_learning_rate"]), "state": state}
    if "schedule" in saved:   # checkpoints before schedules have none
        try:
            components.optimizer(config).schedule.load_state_dict(saved["schedule"])
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            raise _Bad(f"trainer.optimizer.schedule: {error}") from None
        checked["schedule"] = saved["schedule"]
    return checked


def _best_params(saved, model):
    """restore_best's copy of the best epoch's parameters, in `Model.get_parameters`' layout."""
    if saved is None:
        return None
    expected = model.get_parameters()
    if not isinstance(saved, list) or len(saved) != len(expected):
        raise _Bad(f"best_params: expected {len(expected)} layer(s) of arrays, "
                   f"got {_kind(saved)}")
    checked = []
    for index, (arrays, targets) in enumerate(zip(saved, expected)):
        where = f"best_params[{index}]"
        if not isinstance(arrays, (list, tuple)) or len(arrays) != len(targets):
            raise _Bad(f"{where}: expected {len(targets)} arrays, got {_kind(arrays)}")
        checked.append(tuple(_array(array, f"{where}[{position}]", target.shape)
                             for position, (array, target) in enumerate(zip(arrays, targets))))
    return checked


def _generator(value, where):
    try:
        np.random.default_rng().bit_generator.state = value
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        raise _Bad(f"{where}: not a generator state ({str(error)[:80]})") from None


def _kind(value):
    if isinstance(value, np.ndarray):
        return f"an array of {value.dtype} {value.shape}"
    return f"{type(value).__name__} {show(value)}"
