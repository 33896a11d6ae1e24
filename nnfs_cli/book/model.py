"""The book's Model class (NNFS ch. 18-22), name for name, training on our core: the layers'
arrays in one flat buffer, the fused softmax and cross-entropy gradient, the optimizer's
update once per step over the whole model, and our training loop (training/trainer.py)
with the book's order of batches (no shuffling) and its printed lines."""

import numpy as np

from nnfs_cli.book.activations import Activation_Softmax, Activation_Softmax_Loss_CategoricalCrossentropy
from nnfs_cli.book.layers import Layer_Dense, Layer_Input, as_float32
from nnfs_cli.book.losses import BookLoss, Loss_CategoricalCrossentropy
from nnfs_cli.core.layers.base import ShapeError
from nnfs_cli.core.model import Model as CoreModel
from nnfs_cli.core.model import evaluate
from nnfs_cli.errors import BadUsage
from nnfs_cli.reporter import Reporter
from nnfs_cli.training.callbacks import Callback
from nnfs_cli.training.trainer import Trainer


class Model:
    """add layers, set(loss=, optimizer=, accuracy=), finalize(), then train, evaluate,
    predict, save and load, as in the book."""

    def __init__(self):
        self.layers = []
        self.softmax_classifier_output = None
        self.loss = self.optimizer = self.accuracy = None
        self._core = None

    def add(self, layer):
        self.layers.append(layer)
        self._core = None

    def set(self, *, loss=None, optimizer=None, accuracy=None):
        if loss is not None:
            self.loss = loss
        if optimizer is not None:
            self.optimizer = optimizer
        if accuracy is not None:
            self.accuracy = accuracy
        self._core = None

    def finalize(self):
        """Link the layers, find the trainable ones, pick the fused softmax/cross-entropy
        gradient when the model ends in softmax with that loss, and put the parameters in
        one buffer. Checks that each Layer_Dense takes what the layer before it gives."""
        if not self.layers:
            raise BadUsage("Model.finalize: the model has no layers; add them with "
                           "model.add(Layer_Dense(...)) first")
        self.input_layer = Layer_Input()
        for index, layer in enumerate(self.layers):
            layer.prev = self.input_layer if index == 0 else self.layers[index - 1]
            layer.next = self.layers[index + 1] if index < len(self.layers) - 1 else self.loss
        self.output_layer_activation = self.layers[-1]
        self.trainable_layers = [layer for layer in self.layers if getattr(layer, "params", None)]
        if isinstance(self.loss, BookLoss):
            self.loss.remember_trainable_layers(self.trainable_layers)
        if (isinstance(self.layers[-1], Activation_Softmax)
                and isinstance(self.loss, Loss_CategoricalCrossentropy)):
            self.softmax_classifier_output = Activation_Softmax_Loss_CategoricalCrossentropy()
        self._core = CoreModel(self.layers, self.loss)
        width = _input_width(self.layers)
        if width is not None:
            self._build((width,))

    def _build(self, input_shape):
        try:
            self._core.build(input_shape, np.random.default_rng(0))
        except ShapeError as error:
            raise BadUsage(f"Model.finalize: {str(error).replace('model[', 'model.layers[', 1)}"
                           ) from None

    def _ready(self, X, what):
        """X as float32, the model built for it; BadUsage for a model not finalized or
        inputs of the wrong width."""
        if self._core is None:
            raise BadUsage(f"Model.{what}: call model.finalize() first (after model.set(...))")
        X = as_float32(X)
        if X.ndim < 2:
            raise BadUsage(f"Model.{what}: X should hold one sample per row, got shape {X.shape}")
        if self._core.flat is None:
            self._build(X.shape[1:])
        if tuple(X.shape[1:]) != self._core.input_shape:
            raise BadUsage(f"Model.{what}: X has samples of shape {X.shape[1:]}, but the first "
                           f"layer takes {self._core.input_shape}")
        return X

    def _targets(self, y, what, name="y"):
        """y as an array, checked against what the loss and the outputs need."""
        y = np.asarray(y)
        width = self._core.shapes[-1][0] if len(self._core.shapes[-1]) == 1 else None
        targets = getattr(self.loss, "targets", None)
        if targets == "classes" and y.ndim == 1:
            if y.dtype.kind not in "iub":
                raise BadUsage(f"Model.{what}: {name} should hold class numbers 0 to "
                               f"{width - 1}, got {y.dtype} values")
            if len(y) and (y.min() < 0 or y.max() >= width):
                raise BadUsage(f"Model.{what}: {name} holds class {int(y.max() if y.max() >= width else y.min())}, "
                               f"but the last layer gives {width} outputs (classes 0 to {width - 1})")
        elif targets is not None and y.shape[1:] != (width,):
            hint = f"; reshape it: {name}.reshape(-1, 1)" if y.ndim == 1 and width == 1 else ""
            raise BadUsage(f"Model.{what}: {name} has shape {y.shape}, but the outputs are "
                           f"(samples, {width}){hint}")
        return y

    def train(self, X, y, *, epochs=1, batch_size=None, print_every=1, validation_data=None):
        """Train `epochs` passes over (X, y) in order, `batch_size` samples a step (all at
        once when None), printing the book's lines: with batches, `epoch: N`, a `step:` line
        every `print_every` steps and a `training,` line per epoch, validating after each
        epoch; without, an `epoch: N, acc: ...` line every `print_every` epochs and the
        validation at the end."""
        X = self._ready(X, "train")
        y = self._targets(y, "train")
        if self.optimizer is None or self.accuracy is None:
            raise BadUsage("Model.train: set an optimizer and an accuracy first: "
                           "model.set(loss=..., optimizer=..., accuracy=...)")
        if validation_data is not None:
            X_val, y_val = validation_data
            validation_data = (self._ready(X_val, "train"), self._targets(y_val, "train", "y_val"))
        self.accuracy.init(y)
        options = {"epochs": epochs, "batch_size": batch_size, "shuffle": False,
                   "print_every": print_every}
        lines = _BookLines(self, print_every, batch_size, validation_data)
        trainer = Trainer(self._core, self.optimizer, self.accuracy, options,
                          np.random.default_rng(0), np.random.default_rng(0),
                          Reporter(quiet=True), callbacks=[lines])
        with np.errstate(over="ignore", invalid="ignore"):
            trainer.fit(X, y)

    def evaluate(self, X_val, y_val, *, batch_size=None):
        """Print `validation, acc: ..., loss: ...` for (X_val, y_val)."""
        X_val = self._ready(X_val, "evaluate")
        y_val = self._targets(y_val, "evaluate", "y_val")
        if self.loss is None or self.accuracy is None:
            raise BadUsage("Model.evaluate: set a loss and an accuracy first: "
                           "model.set(loss=..., accuracy=...)")
        if getattr(self.accuracy, "precision", 0) is None:
            self.accuracy.init(y_val)   # a regression model loaded without training
        loss, accuracy = evaluate(self._core, self.accuracy, X_val, y_val, batch_size)
        print(f"validation, acc: {accuracy:.3f}, loss: {loss:.3f}")

    def predict(self, X, *, batch_size=None):
        """The last layer's outputs for X (confidences, for a classifier), `batch_size`
        samples at a time."""
        return self._core.predict(self._ready(X, "predict"), batch_size)

    def forward(self, X, training):
        self.input_layer.forward(X, training)
        return self._core.forward(self._ready(X, "forward"), training)

    def backward(self, output, y):
        self._core.backward(output, np.asarray(y))

    # --- parameters and files -----------------------------------------------------------

    def get_parameters(self):
        """[(weights, biases) per trainable layer], copies."""
        return [layer.get_parameters() for layer in self.trainable_layers]

    def set_parameters(self, parameters):
        if len(parameters) != len(self.trainable_layers):
            raise BadUsage(f"Model.set_parameters: {len(parameters)} parameter sets for "
                           f"{len(self.trainable_layers)} trainable layers")
        for parameter_set, layer in zip(parameters, self.trainable_layers):
            layer.set_parameters(*parameter_set)

    def save_parameters(self, path):
        """The book's file: a pickle of get_parameters(), which the book's own
        load_parameters reads too; written atomically."""
        from nnfs_cli.book import saving
        saving.save_parameters(self.get_parameters(), path)

    def load_parameters(self, path):
        """A file of save_parameters (ours or the book's), read without running any code."""
        from nnfs_cli.book import saving
        self.set_parameters(saving.load_parameters(path))

    def save(self, path):
        """The whole model (layers, parameters, loss, optimizer, accuracy) as an npz file of
        arrays and a JSON description: no pickle, nothing in it can run code."""
        from nnfs_cli.book import saving
        saving.save_model(self, path)

    @staticmethod
    def load(path):
        """A model written by save, or by the book's own Model.save (a pickle of its classes,
        read without running any of it: only arrays and the book's names are taken)."""
        from nnfs_cli.book import saving
        return saving.load_model(path)


def _input_width(layers):
    """n_inputs of the first Layer_Dense when only shape-keeping steps come before it."""
    for layer in layers:
        if isinstance(layer, Layer_Dense):
            return layer.n_inputs
        if getattr(layer, "params", None) or getattr(layer, "input_layout", "any") != "any":
            return None
    return None


class _BookLines(Callback):
    """The lines the book's Model.train prints (chapter 18 without batches, 19 with)."""

    def __init__(self, model, print_every, batch_size, validation_data):
        self.model, self.print_every = model, print_every
        self.batch_size, self.validation_data = batch_size, validation_data

    def on_epoch_begin(self, epoch, logs):
        if self.batch_size is not None:
            print(f"epoch: {epoch}")

    def on_batch_end(self, batch, logs):
        if self.batch_size is not None and (not batch % self.print_every
                                            or batch == self.trainer.steps - 1):
            print(f"step: {batch}, " + _figures(logs["accuracy"], logs["data_loss"],
                                                logs["reg_loss"], logs["lr"]))

    def on_epoch_end(self, epoch, logs):
        if self.batch_size is None:
            if not epoch % self.print_every:
                print(f"epoch: {epoch}, " + _figures(logs["accuracy"], logs["data_loss"],
                                                     logs["reg_loss"], logs["lr"]))
            return
        # The book's epoch figure: the accumulated data loss, the penalty at the epoch's end.
        reg_loss = self.model._core.regularization_loss()
        print("training, " + _figures(logs["accuracy"], logs["data_loss"], reg_loss, logs["lr"]))
        if self.validation_data is not None:
            self.model.evaluate(*self.validation_data, batch_size=self.batch_size)

    def on_train_end(self, logs):
        if self.batch_size is None and self.validation_data is not None:
            self.model.evaluate(*self.validation_data)


def _figures(accuracy, data_loss, reg_loss, lr):
    return (f"acc: {accuracy:.3f}, loss: {data_loss + reg_loss:.3f} (data_loss: "
            f"{data_loss:.3f}, reg_loss: {reg_loss:.3f}), lr: {lr}")
