"""The book's losses (NNFS ch. 5, 14, 16, 17) on ours, with its bookkeeping: `calculate`
(the mean loss, and the regularization loss when asked), `regularization_loss`, accumulated
sums over a pass (`new_pass`, `calculate_accumulated`) and `backward` leaving `dinputs`.

Where the book has a bug our losses fix, the fix stays: cross-entropy's backward clips the
predictions (the book divides by an exact 0), and mean absolute error's gradient has the
right sign (the book's is `sign(y_true - y_pred)`, which climbs the loss)."""

import numpy as np

from nnfs_cli.book.layers import as_float32
from nnfs_cli.core.losses import (BinaryCrossentropy, CategoricalCrossentropy, MeanAbsoluteError,
                                  MeanSquaredError)


class BookLoss:
    """The book's `Loss` base class, in front of one of our losses."""

    def __init__(self):
        super().__init__()
        self.trainable_layers = []
        self.new_pass()

    def remember_trainable_layers(self, trainable_layers):
        self.trainable_layers = trainable_layers

    def regularization_loss(self, layer=None):
        """The L1/L2 penalty of `layer` (chapter 14), or of every remembered trainable
        layer (chapter 18, where it takes no argument)."""
        layers = [layer] if layer is not None else self.trainable_layers
        return sum(layer.regularization_loss() for layer in layers)

    def calculate(self, output, y, *, include_regularization=False):
        sample_losses = self.forward(as_float32(output), np.asarray(y))
        data_loss = float(np.mean(sample_losses, dtype=np.float64))
        self.accumulated_sum += float(np.sum(sample_losses, dtype=np.float64))
        self.accumulated_count += len(sample_losses)
        if not include_regularization:
            return data_loss
        return data_loss, self.regularization_loss()

    def calculate_accumulated(self, *, include_regularization=False):
        data_loss = self.accumulated_sum / self.accumulated_count
        if not include_regularization:
            return data_loss
        return data_loss, self.regularization_loss()

    def new_pass(self):
        self.accumulated_sum = 0.0
        self.accumulated_count = 0

    def backward(self, dvalues, y_true):
        self.dinputs = super().backward(as_float32(dvalues), np.asarray(y_true))
        return self.dinputs

    def book_options(self):
        return {}


class Loss_CategoricalCrossentropy(BookLoss, CategoricalCrossentropy):
    """-log(confidence of the true class); targets as class indices or one-hot rows."""


class Loss_BinaryCrossentropy(BookLoss, BinaryCrossentropy):
    """-(y log p + (1 - y) log(1 - p)), averaged over the outputs; targets (samples, outputs)
    of 0 and 1."""


class Loss_MeanSquaredError(BookLoss, MeanSquaredError):
    """mean((y - p)**2) over the outputs."""


class Loss_MeanAbsoluteError(BookLoss, MeanAbsoluteError):
    """mean(|y - p|) over the outputs (with the gradient's sign the book gets wrong fixed)."""
