"""The book's accuracies (NNFS ch. 17-18) on our metrics: `calculate` (a batch's accuracy,
accumulated over the pass), `calculate_accumulated`, `new_pass`, and `init` from the
training targets. A sample with several outputs counts each output, so the accuracy of a
multi-output model is the fraction of right outputs (the book divides by the samples)."""

import numpy as np

from nnfs_cli.core.metrics import CategoricalAccuracy, RegressionAccuracy


class BookAccuracy:
    def __init__(self):
        super().__init__()
        self.new_pass()

    def calculate(self, predictions, y):
        comparisons = self.compare(predictions, np.asarray(y))
        self.accumulated_sum += int(np.count_nonzero(comparisons))
        self.accumulated_count += comparisons.size
        return float(np.mean(comparisons))

    def calculate_accumulated(self):
        return self.accumulated_sum / self.accumulated_count

    def new_pass(self):
        self.accumulated_sum = 0
        self.accumulated_count = 0

    def book_options(self):
        return {}


class Accuracy_Categorical(BookAccuracy, CategoricalAccuracy):
    """Predictions equal to the class (argmax of one-hot targets unless `binary`)."""

    def __init__(self, *, binary=False):
        super().__init__()
        self.binary = binary

    def init(self, y):
        pass

    def compare(self, predictions, y):
        if not self.binary and y.ndim == 2:
            y = np.argmax(y, axis=1)
        return predictions == y

    def book_options(self):
        return {"binary": self.binary}


class Accuracy_Regression(BookAccuracy, RegressionAccuracy):
    """Predictions within std(training targets) / 250 of the target (the book's precision)."""

    def init(self, y, reinit=False):
        if self.precision is None or reinit:
            self.precision = float(np.std(y)) / 250
