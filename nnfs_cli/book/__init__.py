"""The book's classes, name for name, on nnfs's core: put

    from nnfs_cli.book import *

in place of the class definitions of "Neural Networks from Scratch in Python" (chapters
2-22) and the code runs unchanged (and the activations Keras users know, named the book's
way: Activation_Tanh, Activation_LeakyReLU, Activation_ELU, Activation_GELU,
Activation_SiLU, Activation_Softplus): the chapter-by-chapter loop (`dense1.forward(X)`,
`loss_function.calculate(...)`, `optimizer.update_params(dense1)`...) and the Model class
of chapters 18-22. What differs, and why, is in each class's docstring (float32 arrays,
the book's bugs that our core fixes, files that cannot run code).
"""

from nnfs_cli.book.accuracy import Accuracy_Categorical, Accuracy_Regression
from nnfs_cli.book.activations import (Activation_ELU, Activation_GELU, Activation_LeakyReLU,
                                       Activation_Linear, Activation_ReLU, Activation_Sigmoid,
                                       Activation_SiLU, Activation_Softmax,
                                       Activation_Softmax_Loss_CategoricalCrossentropy,
                                       Activation_Softplus, Activation_Tanh)
from nnfs_cli.book.data import create_data_mnist, sine_data, spiral_data, vertical_data
from nnfs_cli.book.layers import Layer_Dense, Layer_Dropout, Layer_Input
from nnfs_cli.book.losses import (Loss_BinaryCrossentropy, Loss_CategoricalCrossentropy,
                                  Loss_MeanAbsoluteError, Loss_MeanSquaredError)
from nnfs_cli.book.model import Model
from nnfs_cli.book.optimizers import Optimizer_Adagrad, Optimizer_Adam, Optimizer_RMSprop, Optimizer_SGD

__all__ = [
    "Layer_Dense", "Layer_Dropout", "Layer_Input",
    "Activation_ReLU", "Activation_Softmax", "Activation_Sigmoid", "Activation_Linear",
    "Activation_Softmax_Loss_CategoricalCrossentropy",
    "Activation_Tanh", "Activation_LeakyReLU", "Activation_ELU", "Activation_GELU",
    "Activation_SiLU", "Activation_Softplus",
    "Loss_CategoricalCrossentropy", "Loss_BinaryCrossentropy", "Loss_MeanSquaredError",
    "Loss_MeanAbsoluteError",
    "Optimizer_SGD", "Optimizer_Adagrad", "Optimizer_RMSprop", "Optimizer_Adam",
    "Accuracy_Categorical", "Accuracy_Regression",
    "Model",
    "spiral_data", "vertical_data", "sine_data", "create_data_mnist",
]
