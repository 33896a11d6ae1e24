"""Runs from Python: `train` and `resume` take the same path as `nnfs train`, `load_run`
opens any run directory, and a `Run` predicts, evaluates and exports on NumPy arrays."""

from pathlib import Path

import numpy as np

from nnfs_cli import config as configs
from nnfs_cli.errors import BadUsage
from nnfs_cli.reporter import Reporter
from nnfs_cli.runs import rundir
from nnfs_cli.training import callbacks as training_callbacks

SHORTCUTS = {"epochs": "training.epochs", "seed": "seed", "batch_size": "training.batch_size"}


class Run:
    """A run directory: one that `train` just wrote, or any that `nnfs train` wrote.

    path          the run directory
    config        the resolved config (a dict, as config.yaml holds it)
    summary       summary.json: status, epochs, final and test figures, what the data set fitted
    history       one dict per epoch, as metrics.csv holds them
    class_names   the classes' names, in output order (None for a regression)
    lines         the closing summary `nnfs train` prints (empty for a run only opened)
    """

    def __init__(self, path, best=False, lines=()):
        from nnfs_cli.runs.saved import load_run as load_saved
        self._saved = load_saved(path, best)
        self.path, self.best, self.lines = self._saved.path, best, list(lines)

    def __repr__(self):
        return f"Run({str(self.path)!r}, status={self.status!r})"

    @property
    def config(self):
        return self._saved.config

    @property
    def summary(self):
        return self._saved.summary

    @property
    def status(self):
        return self.summary.get("status")

    @property
    def task(self):
        """"classification" or "regression"."""
        return self._saved.task

    @property
    def class_names(self):
        return self._saved.class_names if self.task == "classification" else None

    @property
    def history(self):
        return rundir.read_metrics(self.path)

    @property
    def saved(self):
        """The loaded run behind it (runs/saved.py's SavedRun), as inference/ takes it."""
        return self._saved

    @property
    def model(self):
        """The model (nnfs_cli.core.model.Model) with the run's parameters."""
        return self._saved.model

    def inputs(self, samples):
        """The model's inputs for `samples` (see predict): scaled and shaped as in training."""
        from nnfs_cli.inference.prediction import model_inputs
        return model_inputs(self._saved, samples)

    def predict_proba(self, samples, batch_size=1024):
        """(n, classes) class probabilities, in class_names order (a single sigmoid output p
        of a two-class run gives [1 - p, p], as `nnfs predict` shows them)."""
        if self.task != "classification":
            raise BadUsage(f"{self.path} is a regression; use predict")
        return self._saved.class_scores(self._saved.outputs(self.inputs(samples), batch_size))

    def predict(self, samples, batch_size=1024):
        """Labels (an array of class names) for a classifier, values on the target's own
        scale for a regression ((n,) for one target, else (n, targets)).

        `samples` are what the run's data files hold, as its ONNX export takes them: raw
        pixels 0-255 for picture runs ((n, 28, 28) for Fashion-MNIST; one picture too),
        feature rows for generated and npz data, and for csv runs rows of the table (a list
        of {column: value} dicts, a DataFrame, or rows of the feature columns in the
        training file's order). A list of file paths is read as `nnfs predict` reads them.
        """
        if self._is_paths(samples):
            return self._predict_files(samples)
        outputs = self._saved.outputs(self.inputs(samples), batch_size)
        if self.task == "classification":
            best = np.argmax(self._saved.class_scores(outputs), axis=1)
            return np.array(self.class_names, dtype=object)[best]
        values = self._saved.data.restore_targets(outputs)
        return values[:, 0] if values.shape[1] == 1 else values

    def _is_paths(self, samples):
        return (isinstance(samples, (list, tuple)) and samples
                and all(isinstance(item, (str, Path)) for item in samples)
                and not hasattr(self._saved.data, "encode_records"))

    def _predict_files(self, paths):
        from nnfs_cli.inference import prediction
        from nnfs_cli.errors import NnfsError
        results, errors = prediction.predict(self._saved, paths)
        if errors:
            raise NnfsError(errors[0])
        key = "label" if self.task == "classification" else "value"
        return np.array([result.get(key, result.get("values")) for result in results],
                        dtype=object if key == "label" else np.float64)

    def evaluate(self, split=None, batch_size=None):
        """Loss and accuracy on one split of the run's data (default: test when there is
        one), reloaded with the run's seed, with per-class scores and the confusion matrix
        (classifiers) or MSE and MAE (regression): the dict `nnfs evaluate --json` prints."""
        from nnfs_cli.inference.evaluation import evaluate_run
        return evaluate_run(self._saved, split, batch_size)

    def export(self, path=None, format="onnx", preprocessing=True, force=False):
        """Write the model as ONNX (raw inputs in, probabilities out) or as npz arrays; to
        RUN/model.onnx (model.npz) by default; an existing file other than those is replaced
        only with `force`. Returns (the path, the lines describing its input and output)."""
        from nnfs_cli.inference.export import export_run
        target, lines = export_run(self._saved, path, format, preprocessing, self.best, force)
        return target.path, lines

    def plot(self, path=None, *, epoch=None, animate=False, force=False):
        """Draw the decision regions as `nnfs plot` does (the parameters recorded at `epoch`,
        or with `animate` the GIF of every recorded epoch), to RUN/decision_regions.png by
        default; returns the path written."""
        from nnfs_cli.inference.pictures import plot_run
        target, _ = plot_run(self._saved, epoch, path, animate, force)
        return target.path

    def resume(self, epochs=None, *, callbacks=(), quiet=False, download=True):
        """Continue training from the run's checkpoint (see `resume`); returns the Run."""
        return resume(self.path, epochs=epochs, callbacks=callbacks, quiet=quiet,
                      download=download)


def train(config, run_dir=None, *, overrides=(), callbacks=(), quiet=False, download=True,
          **settings):
    """Train the model `config` describes and write a run directory, as `nnfs train` does;
    returns the Run.

    config     a YAML file's path, or a dict holding what such a file holds
    run_dir    where to write (default: runs/<config stem>-<date>-<time>)
    overrides  `--set`-style "KEY=VALUE" strings (YAML values)
    callbacks  nnfs_cli.callbacks objects: on_epoch_end(epoch, logs) and the rest
    settings   Python values by key path: epochs=3, seed=1, batch_size=64, or any key with
               `__` for its dots (optimizer__learning_rate=0.01), or
               **{"model[0].units": 64}
    Bad input raises nnfs_cli.ConfigError (its message is the lines `nnfs train` prints).
    """
    from nnfs_cli.training import run as runner
    source, resolved = resolve(config, overrides, settings, callbacks)
    outcome = runner.train(resolved, run_dir, Reporter(quiet=quiet), download=download,
                           source=source, callbacks=callbacks)
    return Run(outcome.path, lines=outcome.lines)


def resolve(config, overrides=(), settings=None, callbacks=()):
    """(source, resolved config) of a YAML file's path or a dict, with `--set`-style
    `overrides`, Python `settings` (as `train` takes them) and what `callbacks` set."""
    values = {SHORTCUTS.get(key, key.replace("__", ".")): value
              for key, value in (settings or {}).items()}
    values.update({f"training.{key}": value for key, value
                   in training_callbacks.training_options(callbacks).items()})
    if isinstance(config, dict):
        return None, configs.load_mapping(config, list(overrides), values, None)
    return str(config), configs.load(config, list(overrides), values)


def resume(run_dir, *, epochs=None, callbacks=(), quiet=False, download=True):
    """Continue an interrupted run (or train a finished one further, to `epochs`) from its
    checkpoint, bit for bit as if it had not stopped; returns the Run."""
    from nnfs_cli.training import run as runner
    outcome = runner.resume(run_dir, Reporter(quiet=quiet), epochs, download=download,
                            callbacks=callbacks)
    return Run(outcome.path, lines=outcome.lines)


def load_run(run_dir, *, best=False):
    """Open a run directory (its params_best.pkl with `best`)."""
    return Run(run_dir, best)
