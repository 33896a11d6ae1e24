"""The book's activations (NNFS ch. 4, 9, 16, 17) on ours, each with `predictions`, and the
combined softmax and cross-entropy of chapter 9; and, named the book's way, the activations
beyond it that Keras users reach for (tanh, leaky ReLU, ELU, GELU, SiLU, softplus)."""

from nnfs_cli.book.layers import BookStep, as_float32
from nnfs_cli.book.losses import Loss_CategoricalCrossentropy
from nnfs_cli.core.activations import (ELU, GELU, Linear, LeakyReLU, ReLU, Sigmoid, SiLU,
                                       Softmax, Softplus, Tanh)


class Activation_ReLU(BookStep, ReLU):
    """max(0, inputs); predictions are the outputs."""


class Activation_Softmax(BookStep, Softmax):
    """Normalised exponentials per row; predictions are the argmax. backward uses the
    whole-batch form of the book's per-sample Jacobian product."""


class Activation_Sigmoid(BookStep, Sigmoid):
    """1 / (1 + exp(-inputs)), computed without overflow; predictions are outputs > 0.5
    (as 0/1 integers)."""


class Activation_Linear(BookStep, Linear):
    """The identity, for regression outputs; predictions are the outputs."""


class Activation_Tanh(BookStep, Tanh):
    """tanh(inputs); not in the book, named its way."""


class Activation_LeakyReLU(BookStep, LeakyReLU):
    """inputs where > 0, else alpha * inputs (alpha 0.01); not in the book."""

    def book_options(self):
        return {"alpha": self.alpha}


class Activation_ELU(BookStep, ELU):
    """inputs where > 0, else alpha * (exp(inputs) - 1) (alpha 1.0); not in the book."""

    def book_options(self):
        return {"alpha": self.alpha}


class Activation_GELU(BookStep, GELU):
    """inputs * Phi(inputs), or PyTorch's tanh approximation (approximate="tanh"); not in
    the book."""

    def book_options(self):
        return {"approximate": self.approximate}


class Activation_SiLU(BookStep, SiLU):
    """inputs * sigmoid(inputs) (Keras's swish); not in the book."""


class Activation_Softplus(BookStep, Softplus):
    """log(1 + exp(inputs)), without overflow; not in the book."""


class Activation_Softmax_Loss_CategoricalCrossentropy:
    """Softmax and categorical cross-entropy in one step (NNFS ch. 9): backward gives
    (softmax outputs - one-hot targets) / samples, the gradient of both at once."""

    def __init__(self):
        self.activation = Activation_Softmax()
        self.loss = Loss_CategoricalCrossentropy()

    def forward(self, inputs, y_true):
        """Softmax of `inputs` into `output`; returns the mean loss against `y_true`."""
        self.output = self.activation.forward(inputs)
        return self.loss.calculate(self.output, y_true)

    def backward(self, dvalues, y_true):
        self.dinputs = self.loss.fused_backward(as_float32(dvalues), _labels(y_true))
        return self.dinputs


def _labels(y_true):
    import numpy as np
    y_true = np.asarray(y_true)
    return y_true.argmax(axis=1) if y_true.ndim == 2 else y_true
