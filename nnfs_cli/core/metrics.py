"""Accuracy metrics (NNFS ch. 11, 16, 17). `count` returns (correct, total) for a batch,
so an epoch's accuracy is weighted by batch size."""

import numpy as np

from nnfs_cli.registry import METRICS


class Metric:
    targets = "classes"   # the kind of targets it compares with, as in losses.Loss.targets

    def fit(self, y_train):
        """Fix anything the metric needs from the training targets."""

    def compare(self, predictions, y_true):
        raise NotImplementedError

    def count(self, predictions, y_true):
        matches = self.compare(predictions, y_true)
        return int(np.count_nonzero(matches)), matches.size

    def state_dict(self):
        """What `fit` fixed, as plain values (saved in checkpoints and summary.json)."""
        return {}

    def load_state_dict(self, state):
        pass


@METRICS.register("categorical_accuracy")
class CategoricalAccuracy(Metric):
    """Fraction of samples whose argmax matches the class (index or one-hot target)."""

    def compare(self, predictions, y_true):
        if y_true.ndim == 2:
            y_true = np.argmax(y_true, axis=1)
        return predictions == y_true


@METRICS.register("binary_accuracy")
class BinaryAccuracy(Metric):
    """Fraction of outputs whose 0.5-thresholded prediction matches the 0/1 target."""

    targets = "binary"

    def compare(self, predictions, y_true):
        return predictions == y_true


@METRICS.register("regression_accuracy")
class RegressionAccuracy(Metric):
    """Fraction of outputs within std(training targets) / 250 of the target."""

    targets = "regression"

    def __init__(self):
        self.precision = None

    def fit(self, y_train):
        if self.precision is None:
            self.precision = float(np.std(y_train)) / 250

    def compare(self, predictions, y_true):
        return np.abs(predictions - y_true) < self.precision

    def state_dict(self):
        return {"precision": self.precision}

    def load_state_dict(self, state):
        if state.get("precision") is not None:
            self.precision = float(state["precision"])
