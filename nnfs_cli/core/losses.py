"""Losses (NNFS ch. 5, 16, 17). `forward` gives one loss per sample, `backward` the gradient
of their mean with respect to the predictions."""

import numpy as np

from nnfs_cli import validators
from nnfs_cli.core.activations import Sigmoid, Softmax
from nnfs_cli.registry import LOSSES

# Predictions are clipped to [EPS, 1 - EPS] so that log never sees 0.
EPS = 1e-7


class Loss:
    task = "classification"
    targets = "classes"       # what the targets are: class indices, 0/1 per output, or values
    fused_activation = None   # the activation whose combined gradient `fused_backward` gives
    default_metric = None

    @classmethod
    def output_width(cls, data):
        """How many outputs the model needs for `data`."""
        return data.classes if cls.task == "classification" else data.target_width

    def prepare_targets(self, y, data):
        """Labels or values from the data set -> what `forward` and `backward` take."""
        if self.task == "regression":
            return np.asarray(y, dtype=np.float32).reshape(len(y), -1)
        return np.asarray(y, dtype=np.intp)

    def forward(self, y_pred, y_true):
        raise NotImplementedError

    def backward(self, y_pred, y_true):
        raise NotImplementedError

    def fused_backward(self, y_pred, y_true):
        """Gradient with respect to the inputs of `fused_activation`."""
        raise NotImplementedError

    def calculate(self, y_pred, y_true):
        return float(np.mean(self.forward(y_pred, y_true), dtype=np.float64))


class SmoothedLoss(Loss):
    """A cross-entropy whose targets can be smoothed: t = y * (1 - s) + s / k, with k the
    number of classes (2 for binary cross-entropy, as Keras does). The reported losses are
    against the smoothed targets too."""

    constraints = {"label_smoothing": validators.in_range(0, 1)}
    smoothing_classes = None   # k; None: the width of the predictions

    def __init__(self, label_smoothing=0.0):
        self.label_smoothing = label_smoothing

    def smoothed(self, y_true, y_pred):
        """Targets as smoothed (batch, outputs) in the predictions' float type."""
        y_true = _one_hot(_same_dtype(y_true, y_pred), y_pred.shape[1], y_pred.dtype)
        classes = self.smoothing_classes or y_pred.shape[1]
        s = self.label_smoothing
        return y_true * y_pred.dtype.type(1 - s) + y_pred.dtype.type(s / classes)


@LOSSES.register("categorical_crossentropy")
class CategoricalCrossentropy(SmoothedLoss):
    """-log(p[true class]); targets as class indices (batch,) or one-hot (batch, classes).
    With label_smoothing s: -sum(t * log p), t = y * (1 - s) + s / classes."""

    fused_activation = Softmax
    default_metric = "categorical_accuracy"

    def forward(self, y_pred, y_true):
        if self.label_smoothing:
            targets = self.smoothed(y_true, y_pred)
            return -(targets * np.log(np.clip(y_pred, EPS, 1 - EPS))).sum(axis=1)
        if y_true.ndim == 1:
            confidences = y_pred[np.arange(len(y_pred)), y_true]
        else:
            confidences = (y_pred * y_true).sum(axis=1)
        return -np.log(np.clip(confidences, EPS, 1 - EPS))

    def backward(self, y_pred, y_true):
        if self.label_smoothing:
            y_true = self.smoothed(y_true, y_pred)
        y_true = _same_dtype(y_true, y_pred)
        y_true = _one_hot(y_true, y_pred.shape[1], y_pred.dtype)
        return -y_true / np.clip(y_pred, EPS, 1 - EPS) / len(y_pred)

    def fused_backward(self, y_pred, y_true):
        # Softmax + cross-entropy: d/dz = (p - y) / n  (NNFS ch. 9); smoothed: (p - t) / n
        y_true = self.smoothed(y_true, y_pred) if self.label_smoothing else _same_dtype(y_true, y_pred)
        if y_true.ndim == 1:
            dinputs = y_pred.copy()
            dinputs[np.arange(len(y_pred)), y_true] -= 1
        else:
            dinputs = y_pred - y_true
        dinputs /= len(y_pred)
        return dinputs


@LOSSES.register("binary_crossentropy")
class BinaryCrossentropy(SmoothedLoss):
    """-(y log p + (1 - y) log(1 - p)), averaged over the outputs; targets (batch, outputs).
    With label_smoothing s, y becomes y * (1 - s) + s / 2."""

    targets = "binary"
    fused_activation = Sigmoid
    default_metric = "binary_accuracy"
    smoothing_classes = 2

    def _targets(self, y_true, y_pred):
        return self.smoothed(y_true, y_pred) if self.label_smoothing else y_true

    @classmethod
    def output_width(cls, data):
        # Two classes need one sigmoid output; more become independent one-hot outputs.
        return 1 if data.classes == 2 else data.classes

    def prepare_targets(self, y, data):
        y = np.asarray(y)
        if data.classes == 2:
            return y.astype(np.float32).reshape(-1, 1)
        return np.eye(data.classes, dtype=np.float32)[y]

    def forward(self, y_pred, y_true):
        y_true = self._targets(y_true, y_pred)
        p = np.clip(y_pred, EPS, 1 - EPS)
        return -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)).mean(axis=-1)

    def backward(self, y_pred, y_true):
        y_true = _same_dtype(self._targets(y_true, y_pred), y_pred)
        p = np.clip(y_pred, EPS, 1 - EPS)
        return -(y_true / p - (1 - y_true) / (1 - p)) / y_pred.shape[1] / len(y_pred)

    def fused_backward(self, y_pred, y_true):
        # Sigmoid + binary cross-entropy: d/dz = (p - y) / outputs / n
        y_true = _same_dtype(self._targets(y_true, y_pred), y_pred)
        return (y_pred - y_true) / np.float32(y_pred.shape[1] * len(y_pred))


@LOSSES.register("mean_squared_error")
class MeanSquaredError(Loss):
    """mean((y - p)**2) over the outputs."""

    task = "regression"
    targets = "regression"
    default_metric = "regression_accuracy"

    def forward(self, y_pred, y_true):
        return np.mean(np.square(y_true - y_pred), axis=-1)

    def backward(self, y_pred, y_true):
        y_true = _same_dtype(y_true, y_pred)
        return -2 * (y_true - y_pred) / np.float32(y_pred.shape[1] * len(y_pred))


@LOSSES.register("mean_absolute_error")
class MeanAbsoluteError(Loss):
    """mean(|y - p|) over the outputs."""

    task = "regression"
    targets = "regression"
    default_metric = "regression_accuracy"

    def forward(self, y_pred, y_true):
        return np.mean(np.abs(y_true - y_pred), axis=-1)

    def backward(self, y_pred, y_true):
        y_true = _same_dtype(y_true, y_pred)
        return -np.sign(y_true - y_pred) / np.float32(y_pred.shape[1] * len(y_pred))


def _same_dtype(y_true, y_pred):
    """Targets given as whole numbers (one-hot, 0/1, values) in the predictions' float type,
    so a float32 model gets float32 gradients; class indices stay integers."""
    return y_true if y_true.ndim == 1 else np.asarray(y_true, dtype=y_pred.dtype)


def _one_hot(y_true, classes, dtype):
    if y_true.ndim == 2:
        return y_true
    return np.eye(classes, dtype=dtype)[y_true]
