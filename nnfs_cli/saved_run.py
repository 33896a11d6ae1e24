"""A trained run, loaded back: the model rebuilt from config.yaml with the arrays of params.pkl
(through the restricted unpickler), its summary and its data set (not loaded)."""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnfs_cli import build, config as configs, safe_pickle
from nnfs_cli.errors import ConfigError, NnfsError
from nnfs_cli.model import Model


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
    def n_inputs(self):
        return self.model.trainable[0].params["weights"].shape[0]

    @property
    def task(self):
        return self.model.loss.task

    @property
    def class_names(self):
        names = self.summary.get("class_names") or self.data.class_names
        return [str(name) for name in names] if names else None

    def outputs(self, x, batch_size=None):
        return self.model.predict(np.asarray(x, dtype=np.float32), batch_size)

    def class_scores(self, outputs):
        """(n, classes) scores: softmax probabilities, or per-class sigmoid outputs; a single
        sigmoid output p (two classes) becomes [1 - p, p]."""
        if self.model.loss.targets == "binary" and outputs.shape[1] == 1:
            return np.hstack([1 - outputs, outputs])
        return outputs


def load_run(run_dir, best=False):
    """Rebuild the model of `run_dir` from config.yaml and params.pkl (params_best.pkl if
    `best`); every problem is one NnfsError line naming the file."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise NnfsError(f"{run_dir}: no such run directory")
    config = _read_config(run_dir / "config.yaml")
    params_path = run_dir / ("params_best.pkl" if best else "params.pkl")
    if best and not params_path.exists():
        raise NnfsError(f"{params_path}: no such file; this run kept no best parameters "
                        "(drop --best to use params.pkl)")
    parameters = _check_pairs(safe_pickle.load(params_path), params_path)
    model = _build_model(config, parameters, params_path)
    return SavedRun(run_dir, params_path, config, model, build.dataset(config),
                    read_summary(run_dir / "summary.json"))


def read_summary(path):
    """summary.json as a dict; {} when the run has none (params saved elsewhere, say)."""
    try:
        summary = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise NnfsError(f"{path}: not a readable JSON file: {error}") from None
    if not isinstance(summary, dict):
        raise NnfsError(f"{path}: expected a JSON object, got {type(summary).__name__}")
    return summary


def _read_config(path):
    if not path.is_file():
        raise NnfsError(f"{path}: no such file; is {path.parent} a run directory?")
    try:
        return configs.load(path)
    except ConfigError as error:
        # The run's own file is broken, not the user's input: exit 1 like the other files.
        raise NnfsError(str(error)) from None


def _check_pairs(parameters, path):
    """The book's format, a list of (weights, biases) arrays -> float32 pairs, biases (1, units)."""
    expected = "a list of (weights, biases) pairs of arrays, one per dense layer"
    if not isinstance(parameters, (list, tuple)) or not parameters:
        raise NnfsError(f"{path}: expected {expected}, got {_describe(parameters)}")
    pairs = []
    for index, pair in enumerate(parameters, 1):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise NnfsError(f"{path}: item {index} should be a (weights, biases) pair, "
                            f"got {_describe(pair)}")
        weights, biases = pair
        for name, array in (("weights", weights), ("biases", biases)):
            if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiu":
                raise NnfsError(f"{path}: dense layer {index} {name} should be a numeric array, "
                                f"got {_describe(array)}")
        if weights.ndim != 2 or biases.size != weights.shape[1] or biases.ndim > 2:
            raise NnfsError(f"{path}: dense layer {index} has weights of shape {weights.shape} "
                            f"and biases of shape {biases.shape}; expected (inputs, units) "
                            "and (1, units)")
        pairs.append((weights.astype(np.float32), biases.astype(np.float32).reshape(1, -1)))
    return pairs


def _build_model(config, parameters, path):
    """Build the config's model for the input width the first weights give, then compare."""
    model = build.model(config, parameters[0][0].shape[0], np.random.default_rng(0))
    layers = model.trainable
    if len(layers) != len(parameters):
        raise NnfsError(f"{path}: holds {len(parameters)} dense layer(s), but config.yaml "
                        f"describes {len(layers)}")
    for index, (layer, (weights, _)) in enumerate(zip(layers, parameters), 1):
        wanted = layer.params["weights"].shape
        if weights.shape != wanted:
            raise NnfsError(f"{path}: dense layer {index} weights have shape {weights.shape}, "
                            f"but config.yaml needs {wanted}")
    model.set_parameters(parameters)
    return model


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"an array of {value.dtype} {value.shape}"
    return type(value).__name__
