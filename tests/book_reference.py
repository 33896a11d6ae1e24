"""The book's classes as its chapters 18-22 write them (NNFS, the parts `Model.save` pickles),
in float64 NumPy, written for the tests from the book's formulas. Run as a script, it builds
and trains a small model on the spiral the book's way and writes `fashion.model`-style files
with the book's own `Model.save` (a pickle of these `__main__` classes) and
`save_parameters`, plus what its own predict gives: the files nnfs must read without
running any of this code.

    python book_reference.py OUT_DIR
"""

import copy
import pickle
import sys
from pathlib import Path

import numpy as np


class Layer_Dense:
    def __init__(self, n_inputs, n_neurons, weight_regularizer_l1=0, weight_regularizer_l2=0,
                 bias_regularizer_l1=0, bias_regularizer_l2=0):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))
        self.weight_regularizer_l1 = weight_regularizer_l1
        self.weight_regularizer_l2 = weight_regularizer_l2
        self.bias_regularizer_l1 = bias_regularizer_l1
        self.bias_regularizer_l2 = bias_regularizer_l2

    def forward(self, inputs, training):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        if self.weight_regularizer_l2 > 0:
            self.dweights += 2 * self.weight_regularizer_l2 * self.weights
        if self.bias_regularizer_l2 > 0:
            self.dbiases += 2 * self.bias_regularizer_l2 * self.biases
        self.dinputs = np.dot(dvalues, self.weights.T)


class Layer_Dropout:
    def __init__(self, rate):
        self.rate = 1 - rate

    def forward(self, inputs, training):
        self.inputs = inputs
        if not training:
            self.output = inputs.copy()
            return
        self.binary_mask = np.random.binomial(1, self.rate, size=inputs.shape) / self.rate
        self.output = inputs * self.binary_mask

    def backward(self, dvalues):
        self.dinputs = dvalues * self.binary_mask


class Layer_Input:
    def forward(self, inputs, training):
        self.output = inputs


class Activation_ReLU:
    def forward(self, inputs, training):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0


class Activation_Softmax:
    def forward(self, inputs, training):
        exp_values = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = exp_values / np.sum(exp_values, axis=1, keepdims=True)

    def predictions(self, outputs):
        return np.argmax(outputs, axis=1)


class Loss:
    def regularization_loss(self):
        total = 0
        for layer in self.trainable_layers:
            total += layer.weight_regularizer_l2 * np.sum(layer.weights * layer.weights)
            total += layer.bias_regularizer_l2 * np.sum(layer.biases * layer.biases)
        return total

    def remember_trainable_layers(self, trainable_layers):
        self.trainable_layers = trainable_layers

    def calculate(self, output, y):
        sample_losses = self.forward(output, y)
        self.accumulated_sum += np.sum(sample_losses)
        self.accumulated_count += len(sample_losses)
        return np.mean(sample_losses)

    def new_pass(self):
        self.accumulated_sum = 0
        self.accumulated_count = 0


class Loss_CategoricalCrossentropy(Loss):
    def forward(self, y_pred, y_true):
        clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
        return -np.log(clipped[range(len(y_pred)), y_true])


class Activation_Softmax_Loss_CategoricalCrossentropy:
    def backward(self, dvalues, y_true):
        self.dinputs = dvalues.copy()
        self.dinputs[range(len(dvalues)), y_true] -= 1
        self.dinputs = self.dinputs / len(dvalues)


class Optimizer_Adam:
    def __init__(self, learning_rate=0.001, decay=0., epsilon=1e-7, beta_1=0.9, beta_2=0.999):
        self.learning_rate = learning_rate
        self.current_learning_rate = learning_rate
        self.decay = decay
        self.iterations = 0
        self.epsilon = epsilon
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def pre_update_params(self):
        if self.decay:
            self.current_learning_rate = self.learning_rate * (1. / (1. + self.decay * self.iterations))

    def update_params(self, layer):
        if not hasattr(layer, 'weight_cache'):
            layer.weight_momentums = np.zeros_like(layer.weights)
            layer.weight_cache = np.zeros_like(layer.weights)
            layer.bias_momentums = np.zeros_like(layer.biases)
            layer.bias_cache = np.zeros_like(layer.biases)
        t = self.iterations + 1
        for name, prefix in (("weights", "weight"), ("biases", "bias")):
            param, grad = getattr(layer, name), getattr(layer, "d" + name)
            momentums = self.beta_1 * getattr(layer, prefix + "_momentums") + (1 - self.beta_1) * grad
            cache = self.beta_2 * getattr(layer, prefix + "_cache") + (1 - self.beta_2) * grad ** 2
            setattr(layer, prefix + "_momentums", momentums)
            setattr(layer, prefix + "_cache", cache)
            corrected_m = momentums / (1 - self.beta_1 ** t)
            corrected_c = cache / (1 - self.beta_2 ** t)
            setattr(layer, name, param - self.current_learning_rate * corrected_m
                    / (np.sqrt(corrected_c) + self.epsilon))

    def post_update_params(self):
        self.iterations += 1


class Accuracy:
    def new_pass(self):
        self.accumulated_sum = 0
        self.accumulated_count = 0


class Accuracy_Categorical(Accuracy):
    def __init__(self, *, binary=False):
        self.binary = binary


class Model:
    def __init__(self):
        self.layers = []
        self.softmax_classifier_output = None

    def add(self, layer):
        self.layers.append(layer)

    def set(self, *, loss, optimizer, accuracy):
        self.loss, self.optimizer, self.accuracy = loss, optimizer, accuracy

    def finalize(self):
        self.input_layer = Layer_Input()
        count = len(self.layers)
        self.trainable_layers = []
        for i in range(count):
            self.layers[i].prev = self.input_layer if i == 0 else self.layers[i - 1]
            self.layers[i].next = self.layers[i + 1] if i < count - 1 else self.loss
            if hasattr(self.layers[i], 'weights'):
                self.trainable_layers.append(self.layers[i])
        self.output_layer_activation = self.layers[-1]
        self.loss.remember_trainable_layers(self.trainable_layers)
        self.softmax_classifier_output = Activation_Softmax_Loss_CategoricalCrossentropy()

    def forward(self, X, training):
        self.input_layer.forward(X, training)
        for layer in self.layers:
            layer.forward(layer.prev.output, training)
        return layer.output

    def train(self, X, y, epochs):
        self.loss.new_pass()
        self.accuracy.new_pass()
        for _ in range(epochs):
            output = self.forward(X, training=True)
            self.loss.calculate(output, y)
            self.softmax_classifier_output.backward(output, y)
            self.layers[-1].dinputs = self.softmax_classifier_output.dinputs
            for layer in reversed(self.layers[:-1]):
                layer.backward(layer.next.dinputs)
            self.optimizer.pre_update_params()
            for layer in self.trainable_layers:
                self.optimizer.update_params(layer)
            self.optimizer.post_update_params()

    def get_parameters(self):
        return [(layer.weights, layer.biases) for layer in self.trainable_layers]

    def save_parameters(self, path):
        with open(path, 'wb') as f:
            pickle.dump(self.get_parameters(), f)

    def save(self, path):
        model = copy.deepcopy(self)
        model.loss.new_pass()
        model.accuracy.new_pass()
        model.input_layer.__dict__.pop('output', None)
        model.loss.__dict__.pop('dinputs', None)
        for layer in model.layers:
            for attribute in ['inputs', 'output', 'dinputs', 'dweights', 'dbiases']:
                layer.__dict__.pop(attribute, None)
        with open(path, 'wb') as f:
            pickle.dump(model, f)


def spiral(samples, classes):
    x = np.zeros((samples * classes, 2))
    y = np.zeros(samples * classes, dtype='uint8')
    for number in range(classes):
        rows = slice(samples * number, samples * (number + 1))
        r = np.linspace(0.0, 1, samples)
        t = np.linspace(number * 4, (number + 1) * 4, samples) + np.random.randn(samples) * 0.2
        x[rows] = np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]
        y[rows] = number
    return x, y


if __name__ == "__main__":
    out = Path(sys.argv[1])
    np.random.seed(0)
    X, y = spiral(100, 3)
    model = Model()
    model.add(Layer_Dense(2, 32, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4))
    model.add(Activation_ReLU())
    model.add(Layer_Dropout(0.1))
    model.add(Layer_Dense(32, 3))
    model.add(Activation_Softmax())
    model.set(loss=Loss_CategoricalCrossentropy(), optimizer=Optimizer_Adam(learning_rate=0.02, decay=1e-4),
              accuracy=Accuracy_Categorical())
    model.finalize()
    model.train(X, y, epochs=200)
    model.save(out / "spiral.model")
    model.save_parameters(out / "spiral.parms")
    np.save(out / "inputs.npy", X)
    np.save(out / "outputs.npy", model.forward(X, training=False))
    np.save(out / "iterations.npy", np.array([model.optimizer.iterations,
                                              model.optimizer.current_learning_rate]))
