"""A Keras-like model for notebooks and scripts: a stack of our layers, `compile`, `fit` on
NumPy arrays, `predict`, `evaluate`, and `save_run` to an ordinary run directory.

It is the same machinery as `nnfs train`: the layers become a config (checked with the same
messages), the arrays an `npz` data set held in memory, and the Trainer of training/ runs
the epochs, so the numbers are those a YAML config of the same model gives."""

import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnfs_cli import config as configs
from nnfs_cli.core.model import evaluate as evaluate_model
from nnfs_cli.data.dataset import Splits
from nnfs_cli.data.npz_arrays import NpzArrays
from nnfs_cli.errors import BadUsage, ConfigError
from nnfs_cli.registry import LAYERS, ACTIVATIONS, LOSSES, METRICS, OPTIMIZERS, entry_of
from nnfs_cli.reporter import Reporter, model_summary
from nnfs_cli.runs import components, rundir
from nnfs_cli.training import callbacks as training_callbacks
from nnfs_cli.training.trainer import Trainer

SOURCE = "Sequential"


@dataclass
class History:
    """What fit returns: `rows`, one dict per epoch (metrics.csv's columns), and
    `history`, the same as {column: [value per epoch]}, as Keras's History has it."""

    rows: list = field(default_factory=list)

    @property
    def history(self):
        keys = self.rows[0].keys() if self.rows else ()
        return {key: [row[key] for row in self.rows] for key in keys if key != "epoch"}

    @property
    def epoch(self):
        return [row["epoch"] for row in self.rows]


class _Arrays(NpzArrays):
    """The npz data set over arrays in memory: the same learning of classes and shapes, and
    the same seeded splits, as the file `save_run` writes will give."""

    name = "y"   # for messages: "3 units for 3 classes of y with categorical_crossentropy"

    def __init__(self, arrays, **options):
        super().__init__(path="<arrays>", **options)
        self.arrays = arrays

    def read_arrays(self):
        return self.arrays

    def training_only(self):
        """Splits of every sample for training and none for validation."""
        x, y = self.arrays["x"], self.arrays["y"]
        self._adopt(self._learn(x, y))
        return Splits(self._samples(x, "x"), self._targets(y, "y"), None, None)


class Sequential:
    """A stack of layers trained on arrays, as in Keras:

        model = Sequential([Dense(64), ReLU(), Dense(3), Softmax()])
        model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=0.01))
        history = model.fit(X, y, validation_data=(X_val, y_val), epochs=20, batch_size=32)
        probabilities = model.predict(X_new)

    Layers are objects of nnfs_cli.layers or config entries (`"relu"`, `{"dense": 64}`,
    `{"conv2d": {"filters": 8, "kernel_size": 3}}`), as a YAML config lists them; a layer's
    input size comes from the data. `seed` fixes the initial weights, dropout and shuffling.
    """

    def __init__(self, layers=(), *, seed=0):
        self.layers = list(layers)
        self.seed = seed
        self.loss = self.optimizer = self.metric = None
        self._fitted = None

    def add(self, layer):
        """Put `layer` (an object or a config entry) on top of the stack."""
        self.layers.append(layer)
        self._fitted = None

    def compile(self, loss="categorical_crossentropy", optimizer="adam", metrics=None):
        """The loss and optimizer (names, config entries or objects) and the metric:
        None or ["accuracy"] for the loss's own (categorical, binary or the book's regression
        accuracy), or a metric's name."""
        self.loss, self.optimizer = _entry(loss, LOSSES), _entry(optimizer, OPTIMIZERS)
        metric = metrics[0] if isinstance(metrics, (list, tuple)) and metrics else metrics
        self.metric = None if metric in (None, "accuracy", "acc") else _entry(metric, METRICS)
        self._fitted = None
        return self

    @property
    def config(self):
        """The resolved config of the model as last fitted (what config.yaml would hold)."""
        return self._require_fit("config").config

    # --- training ----------------------------------------------------------------------

    def fit(self, x, y, *, validation_data=None, validation_split=0.0, epochs=1, batch_size=32,
            shuffle=True, callbacks=(), verbose=1, class_names=None):
        """Train for `epochs` epochs; returns a History. `y` holds class labels (whole
        numbers or text; one-hot rows are taken as their argmax) or regression values.
        Validation on `validation_data` (x, y), else on a seeded, stratified
        `validation_split` of the samples (unlike Keras, which takes the last rows), else
        none. Calling fit again trains the same model further."""
        if self.loss is None:
            raise BadUsage("Sequential.fit: call compile(loss=..., optimizer=...) first")
        loss = LOSSES.create(self.loss)
        arrays = {"x": np.asarray(x), "y": _labels(np.asarray(y), loss)}
        validation = "split"
        if validation_data is not None:
            x_val, y_val = validation_data
            arrays.update(x_test=np.asarray(x_val), y_test=_labels(np.asarray(y_val), loss))
            validation = "test"
        data_options = {"task": loss.task, "validation": validation,
                        "validation_split": validation_split or 0.1}
        if class_names is not None:
            data_options["class_names"] = list(class_names)
        config = self._config(data_options, epochs, batch_size, shuffle, callbacks)
        data = _Arrays(arrays, **{key: value for key, value in config["data"].items()
                                  if key not in ("name", "path")})
        if validation_data is not None or validation_split:
            splits = data.load(config["seed"])
        else:
            splits = data.training_only()
        fitted = self._fitted
        if fitted is not None and fitted.data.state_dict() != data.state_dict():
            raise BadUsage("Sequential.fit: these samples or classes differ from the first "
                           "fit's; make a new Sequential to train on other data")
        if fitted is None:
            rngs = components.rngs(config["seed"])
            model = components.model(config, data, rngs[0], SOURCE)
            fitted = _Fitted(config, data, model, rngs, components.optimizer(config),
                             components.metric(config))
        fitted.config, fitted.data = config, data
        model = fitted.model
        if model.input_shape != tuple(data.input_shape):
            splits = data.shaped(splits, model.input_shape)
        fitted.splits = splits
        components.check_batch_memory(config, model, splits, SOURCE)
        prepare = model.loss.prepare_targets
        reporter = Reporter(quiet=not verbose)
        if not fitted.history:
            for line in model_summary(model.input_shape, model.summary()):
                reporter.line(line)
        trainer = Trainer(model, fitted.optimizer, fitted.metric, config["training"],
                          fitted.rngs[1], fitted.rngs[0], reporter, callbacks=callbacks,
                          scoring=components.scoring(config, data, model))
        trainer.history = [dict(row, epoch=row["epoch"]) for row in fitted.history]
        trainer.options = dict(config["training"], epochs=len(fitted.history) + epochs)
        started = time.perf_counter()
        y_val = None if splits.x_val is None else prepare(splits.y_val, data)
        with np.errstate(over="ignore", invalid="ignore"):
            trainer.fit(splits.x_train, prepare(splits.y_train, data), splits.x_val, y_val)
        fitted.seconds += time.perf_counter() - started
        fitted.trainer, fitted.lines = trainer, fitted.lines + reporter.lines
        new = trainer.history[len(fitted.history):]
        fitted.history = list(trainer.history)
        self._fitted = fitted
        return History([dict(row) for row in new])

    def _config(self, data_options, epochs, batch_size, shuffle, callbacks):
        entries = [_layer_entry(layer, index) for index, layer in enumerate(self.layers)]
        training = {"epochs": epochs, "batch_size": batch_size, "shuffle": shuffle,
                    **training_callbacks.training_options(callbacks)}
        raw = {"seed": self.seed, "data": {"name": "npz", "path": "<arrays>", **data_options},
               "model": entries, "loss": self.loss, "optimizer": self.optimizer,
               "training": training}
        if self.metric is not None:
            raw["metric"] = self.metric
        return configs.load_mapping(raw, source=SOURCE)

    def _require_fit(self, what):
        if self._fitted is None:
            raise BadUsage(f"Sequential.{what}: call fit(...) first")
        return self._fitted

    # --- using it ----------------------------------------------------------------------

    def predict(self, x, batch_size=None):
        """The model's outputs for the samples `x` (probabilities for a softmax or sigmoid
        classifier, values for a regression), as Keras's predict gives them."""
        fitted = self._require_fit("predict")
        return fitted.model.predict(fitted.inputs(x), batch_size)

    def evaluate(self, x, y, batch_size=None):
        """{"loss": mean data loss, "accuracy": the metric} on (x, y)."""
        fitted = self._require_fit("evaluate")
        loss = fitted.model.loss
        labels = fitted.data._targets(_labels(np.asarray(y), loss), "y")
        value, accuracy = evaluate_model(fitted.model, fitted.metric, fitted.inputs(x),
                                         loss.prepare_targets(labels, fitted.data), batch_size)
        return {"loss": value, "accuracy": accuracy}

    def summary(self):
        """The table of layers, output shapes and parameter counts, as `nnfs train` prints it."""
        model = self._require_fit("summary").model
        return "\n".join(model_summary(model.input_shape, model.summary()))

    def get_parameters(self):
        """[tuple of arrays per layer with parameters], copies (params.pkl's layout)."""
        return self._require_fit("get_parameters").model.copy_parameters()

    def set_parameters(self, parameters):
        """Copy arrays in get_parameters' layout into the model (shapes checked)."""
        from nnfs_cli.runs.saved import check_parameters
        model = self._require_fit("set_parameters").model
        model.set_parameters(check_parameters(parameters, model, "parameters"))

    def load_parameters(self, path):
        """Parameters from a params.pkl-format file (ModelCheckpoint's, a run's)."""
        from nnfs_cli.runs import safe_pickle
        self.set_parameters(safe_pickle.load(path))

    def save_run(self, path):
        """Write an ordinary run directory at `path` (new, or empty): config.yaml, the
        arrays fit trained on as data.npz (the config's data set), params.pkl, a checkpoint,
        metrics.csv, train.log and summary.json, so that `nnfs evaluate`, `predict`,
        `export`, `runs` and `train --resume` take it. Returns the api Run."""
        from nnfs_cli.api.runs import Run
        from nnfs_cli.training.run import Run as TrainingRun
        fitted = self._require_fit("save_run")
        with rundir.claim(Path(path)) as run_dir:
            data_path = (run_dir / "data.npz").resolve()
            buffer = io.BytesIO()
            np.savez(buffer, **fitted.data.arrays)
            from nnfs_cli import atomic
            atomic.write_bytes(data_path, buffer.getvalue())
            config = dict(fitted.config, data=dict(fitted.config["data"], path=str(data_path)))
            data = components.dataset(config)
            data.load_state_dict(fitted.data.state_dict())
            splits = fitted.splits
            if splits.x_test is None and fitted.data.validation == "test":
                splits = Splits(splits.x_train, splits.y_train, splits.x_val, splits.y_val,
                                splits.x_val, splits.y_val)
            rundir.write_config(run_dir, config)
            reporter = Reporter(quiet=True)
            run = TrainingRun(config, run_dir, data, splits, fitted.model, fitted.rngs, reporter)
            run.trainer.load_state_dict(fitted.trainer.state_dict())
            run.wall_seconds = fitted.seconds
            reporter.lines.extend(fitted.lines)
            run.save("finished", final=True)
        return Run(run_dir)


@dataclass
class _Fitted:
    """What fit made and keeps for the next fit, predict and save_run."""

    config: dict
    data: object
    model: object
    rngs: tuple
    optimizer: object
    metric: object
    history: list = field(default_factory=list)
    splits: object = None
    trainer: object = None
    lines: list = field(default_factory=list)
    seconds: float = 0.0

    def inputs(self, x):
        x = np.asarray(x, dtype=np.float32)
        shape = self.model.input_shape
        if x.ndim >= 1 and x.size == np.prod(shape) and x.shape[0] != 1 and x.ndim <= len(shape):
            x = x.reshape(1, -1)   # one sample
        if x.ndim < 1 or np.prod(x.shape[1:]) != np.prod(shape):
            raise BadUsage(f"samples of shape {x.shape[1:]} do not fit: the model takes "
                           f"samples of shape {tuple(self.data.learnt['shape'])}")
        return x.reshape(len(x), *shape)


def _labels(y, loss):
    """One-hot rows -> class indices for a classification loss; y otherwise."""
    if loss.targets == "classes" and y.ndim == 2 and y.shape[1] > 1:
        return np.argmax(y, axis=1)
    return y


def _layer_entry(layer, index):
    if isinstance(layer, (str, dict)):
        return layer
    if LAYERS.owns(layer) or ACTIVATIONS.owns(layer):
        return entry_of(layer)
    raise ConfigError([f"model[{index}]: expected a layer of nnfs_cli.layers or a config entry "
                       f"such as {{'dense': 64}}, got {type(layer).__name__}; a layer of your "
                       "own needs @LAYERS.register('name') on its class"], SOURCE)


def _entry(value, registry):
    if isinstance(value, (str, dict)):
        return value
    if registry.owns(value):
        return entry_of(value)
    raise ConfigError([f"{registry.kind}: expected a name, a config entry or one of "
                       f"nnfs_cli's {registry.kind}s, got {type(value).__name__}"], SOURCE)
