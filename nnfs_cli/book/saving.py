"""Files of the book's Model: parameters (the book's pickle of (weights, biases) tuples, read
by our restricted unpickler) and whole models, written as npz (arrays plus a JSON
description, no pickle) and read from that or from the book's own `Model.save` pickle,
whose objects are rebuilt from their attributes without running any of the book's code."""

import io
import json
import math
import numbers

import numpy as np

from nnfs_cli import atomic, files
from nnfs_cli.book import accuracy, activations, layers, losses, optimizers
from nnfs_cli.errors import NnfsError
from nnfs_cli.runs import safe_pickle

FORMAT = "nnfs_cli.book.Model"
VERSION = 1
MODEL_BYTES = 1 << 30   # a saved model: 100 million float32 parameters and change

# Every class a model file may name, by the book's name.
CLASSES = {cls.__name__: cls for module in (layers, activations, losses, optimizers, accuracy)
           for cls in vars(module).values()
           if isinstance(cls, type) and cls.__module__ == module.__name__
           and cls.__name__[0].isupper() and "_" in cls.__name__}
LAYERS = ("Layer_Dense", "Layer_Dropout", "Activation_ReLU", "Activation_Softmax",
          "Activation_Sigmoid", "Activation_Linear", "Activation_Tanh", "Activation_LeakyReLU",
          "Activation_ELU", "Activation_GELU", "Activation_SiLU", "Activation_Softplus")
LOSSES = ("Loss_CategoricalCrossentropy", "Loss_BinaryCrossentropy", "Loss_MeanSquaredError",
          "Loss_MeanAbsoluteError")
OPTIMIZERS = ("Optimizer_SGD", "Optimizer_Adagrad", "Optimizer_RMSprop", "Optimizer_Adam")
ACCURACIES = ("Accuracy_Categorical", "Accuracy_Regression")
# What the book's own classes hold besides these, in a pickle of its Model.
BOOK_EXTRAS = ("Model", "Layer_Input", "Activation_Softmax_Loss_CategoricalCrossentropy",
               "Loss", "Accuracy", "Optimizer")


def save_parameters(parameters, path):
    safe_pickle.dump([tuple(np.asarray(array) for array in arrays) for arrays in parameters],
                     path)


def load_parameters(path):
    parameters = safe_pickle.load(path)
    if not isinstance(parameters, (list, tuple)) or not all(
            isinstance(item, (list, tuple)) and all(isinstance(a, np.ndarray) for a in item)
            for item in parameters):
        raise NnfsError(f"{path}: expected a list of (weights, biases) tuples, as "
                        "save_parameters writes")
    return [tuple(item) for item in parameters]


# --- whole models: our npz format ------------------------------------------------------

def save_model(model, path):
    """npz: `layers[i].weights` and `.biases` arrays, and `description`, the UTF-8 JSON of
    the layers, loss, optimizer and accuracy with their arguments."""
    def entry(obj):
        if obj is None:
            return None
        name = type(obj).__name__
        if name not in CLASSES:
            raise NnfsError(f"Model.save: cannot save a {name}; only the book API's classes "
                            f"({', '.join(LAYERS)}, ...)")
        return {"class": name, "options": obj.book_options()}

    description = {"format": FORMAT, "version": VERSION,
                   "layers": [entry(layer) for layer in model.layers],
                   "loss": entry(model.loss), "accuracy": entry(model.accuracy),
                   "optimizer": entry(model.optimizer)}
    if model.optimizer is not None:
        description["optimizer"]["state"] = {
            "iterations": model.optimizer.iterations,
            "current_learning_rate": float(model.optimizer.current_learning_rate)}
    if getattr(model.accuracy, "precision", None) is not None:
        description["accuracy"]["precision"] = float(model.accuracy.precision)
    arrays = {f"layers[{index}].{name}": np.asarray(array)
              for index, layer in enumerate(model.layers) if getattr(layer, "params", None)
              for name, array in layer.params.items()}
    arrays["description"] = np.frombuffer(json.dumps(description).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)   # to a buffer: np.savez would add .npz to a file's name
    atomic.write_bytes(path, buffer.getvalue())


def load_model(path):
    """A model from `path`: our npz format, or a pickle of the book's Model."""
    data = files.read_bytes(path, MODEL_BYTES)
    if data[:2] == b"PK":
        return _from_npz(data, path)
    if data[:1] == b"\x80":
        return _from_book_pickle(data, path)
    raise NnfsError(f"{path}: neither a model saved by Model.save (npz) nor a pickle of the "
                    "book's Model")


def _from_npz(data, path):
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        description = json.loads(arrays.pop("description").tobytes())
    except (ValueError, KeyError, OSError, EOFError) as error:
        raise NnfsError(f"{path}: not a readable model file: {str(error)[:200]}") from None
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise NnfsError(f"{path}: not a model saved by Model.save (no {FORMAT} description)")
    spec = _Spec(path)
    model = _model()
    for index, entry in enumerate(description.get("layers") or []):
        layer = spec.make(entry, LAYERS, f"layers[{index}]")
        for name in getattr(layer, "params", {}):
            key = f"layers[{index}].{name}"
            if key not in arrays:
                raise NnfsError(f"{path}: no array {key}")
            spec.set_array(layer, name, arrays[key], key)
        model.add(layer)
    loss = spec.make(description.get("loss"), LOSSES, "loss", optional=True)
    found = spec.make(description.get("accuracy"), ACCURACIES, "accuracy", optional=True)
    optimizer = spec.make(description.get("optimizer"), OPTIMIZERS, "optimizer", optional=True)
    if optimizer is not None:
        state = description["optimizer"].get("state") or {}
        optimizer.iterations = spec.whole(state.get("iterations", 0), "optimizer.iterations")
        optimizer.current_learning_rate = spec.number(
            state.get("current_learning_rate", optimizer.learning_rate),
            "optimizer.current_learning_rate")
    if found is not None and description["accuracy"].get("precision") is not None:
        found.precision = spec.number(description["accuracy"]["precision"], "accuracy.precision")
    model.set(loss=loss, optimizer=optimizer, accuracy=found)
    model.finalize()
    return model


class _Spec:
    """Builds book objects from a description, every value checked."""

    def __init__(self, path):
        self.path = path

    def fail(self, message):
        raise NnfsError(f"{self.path}: {message}")

    def make(self, entry, allowed, where, optional=False):
        if entry is None and optional:
            return None
        if not isinstance(entry, dict) or entry.get("class") not in allowed:
            name = entry.get("class") if isinstance(entry, dict) else entry
            self.fail(f"{where}: {str(name)[:60]!r} is not one of {', '.join(allowed)}")
        options = entry.get("options") or {}
        if not isinstance(options, dict) or not all(
                isinstance(value, (bool, numbers.Real, str)) for value in options.values()):
            self.fail(f"{where}: options should be numbers or names")
        try:
            return CLASSES[entry["class"]](**options)
        except (TypeError, ValueError, NnfsError) as error:
            self.fail(f"{where}: {str(error)[:200]}")

    def set_array(self, layer, name, array, key):
        target = layer.params[name]
        if array.dtype.kind not in "fiu" or array.size != target.size:
            self.fail(f"{key}: expected {target.shape} numbers, got {array.dtype} {array.shape}")
        array = array.astype(np.float32).reshape(target.shape)
        if not np.isfinite(array).all():
            self.fail(f"{key}: holds NaN or infinite values")
        target[...] = array

    def number(self, value, where):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            self.fail(f"{where}: expected a number, got {str(value)[:60]!r}")
        return float(value)

    def whole(self, value, where):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            self.fail(f"{where}: expected a whole number, got {str(value)[:60]!r}")
        return int(value)


def _model():
    from nnfs_cli.book.model import Model
    return Model()


# --- whole models: the book's own pickles ----------------------------------------------

class BookObject:
    """What an object of the book's classes becomes when its pickle is read: a plain holder
    of the attributes the pickle sets. Nothing of the book's code exists here to run."""

    book_class = None


def _stand_ins():
    return {name: type(name, (BookObject,), {"book_class": name})
            for name in (*CLASSES, *BOOK_EXTRAS)}


def _from_book_pickle(data, path):
    stand_ins = _stand_ins()
    saved = safe_pickle._unpickle(data, path, stand_ins, what="a model file")
    if not isinstance(saved, BookObject) or saved.book_class != "Model":
        raise NnfsError(f"{path}: the pickle holds no Model of the book")
    spec = _Spec(path)
    attributes = vars(saved)
    model = _model()
    saved_layers = attributes.get("layers")
    if not isinstance(saved_layers, list) or not saved_layers:
        spec.fail("the Model has no layers")
    for index, item in enumerate(saved_layers):
        model.add(_book_layer(item, index, spec))
    model.set(loss=_book_plain(attributes.get("loss"), LOSSES, "loss", spec),
              accuracy=_book_accuracy(attributes.get("accuracy"), spec),
              optimizer=_book_optimizer(attributes.get("optimizer"), spec))
    model.finalize()
    return model


def _book_layer(item, index, spec):
    where = f"layers[{index}]"
    name = getattr(item, "book_class", None)
    if name not in LAYERS:
        spec.fail(f"{where}: {str(name or type(item).__name__)[:60]!r} is not one of the "
                  f"book's layers nnfs knows ({', '.join(LAYERS)})")
    state = vars(item)
    if name == "Layer_Dense":
        weights, biases = state.get("weights"), state.get("biases")
        if not isinstance(weights, np.ndarray) or weights.ndim != 2:
            spec.fail(f"{where}: Layer_Dense without a 2-D weights array")
        regularizers = {key: spec.number(state.get(key, 0), f"{where}.{key}")
                        for key in ("weight_regularizer_l1", "weight_regularizer_l2",
                                    "bias_regularizer_l1", "bias_regularizer_l2")}
        layer = layers.Layer_Dense(*weights.shape, **regularizers)
        spec.set_array(layer, "weights", weights, f"{where}.weights")
        if not isinstance(biases, np.ndarray):
            spec.fail(f"{where}: Layer_Dense without a biases array")
        spec.set_array(layer, "biases", biases, f"{where}.biases")
        return layer
    if name == "Layer_Dropout":
        keep = spec.number(state.get("rate"), f"{where}.rate")   # the book keeps 1 - rate
        return layers.Layer_Dropout(round(1 - keep, 12))
    return CLASSES[name]()


def _book_plain(item, allowed, where, spec):
    if item is None:
        return None
    name = getattr(item, "book_class", None)
    if name not in allowed:
        spec.fail(f"{where}: {str(name)[:60]!r} is not one of {', '.join(allowed)}")
    return CLASSES[name]()


def _book_accuracy(item, spec):
    found = _book_plain(item, ACCURACIES, "accuracy", spec)
    state = vars(item) if item is not None else {}
    if isinstance(found, accuracy.Accuracy_Categorical):
        found.binary = bool(state.get("binary", False))
    elif found is not None and state.get("precision") is not None:
        found.precision = spec.number(state["precision"], "accuracy.precision")
    return found


def _book_optimizer(item, spec):
    if item is None:
        return None
    name = getattr(item, "book_class", None)
    if name not in OPTIMIZERS:
        spec.fail(f"optimizer: {str(name)[:60]!r} is not one of {', '.join(OPTIMIZERS)}")
    cls = CLASSES[name]
    state = vars(item)
    options = {key: spec.number(state[key], f"optimizer.{key}")
               for key in cls.book_arguments if key in state}
    optimizer = cls(**options)
    optimizer.iterations = spec.whole(state.get("iterations", 0), "optimizer.iterations")
    optimizer.current_learning_rate = spec.number(
        state.get("current_learning_rate", optimizer.learning_rate),
        "optimizer.current_learning_rate")
    return optimizer
