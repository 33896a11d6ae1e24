"""Issue 22: the book's classes, name for name (nnfs_cli.book), on our core. Book-style
scripts reach the book's results, the objects compute what the registry's components
compute, and files save and load without running code (the book's own pickles included)."""

import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fashion_runs import needs_fashion
from nnfs_cli import book
from nnfs_cli.book import *  # noqa: F403 - exactly what a learner writes
from nnfs_cli.core.activations import ReLU, Sigmoid, Softmax
from nnfs_cli.core.layers import Dense
from nnfs_cli.core.losses import CategoricalCrossentropy, MeanSquaredError
from nnfs_cli.core.optimizers import SGD, Adagrad, Adam, RMSprop
from nnfs_cli.errors import BadUsage, NnfsError

REFERENCE = Path(__file__).parent / "book_reference.py"


def spiral_model(units=512, l2=5e-4, dropout=0.1, lr=0.05):
    model = Model()
    model.add(Layer_Dense(2, units, weight_regularizer_l2=l2, bias_regularizer_l2=l2))
    model.add(Activation_ReLU())
    model.add(Layer_Dropout(dropout))
    model.add(Layer_Dense(units, 3))
    model.add(Activation_Softmax())
    model.set(loss=Loss_CategoricalCrossentropy(),
              optimizer=Optimizer_Adam(learning_rate=lr, decay=5e-5),
              accuracy=Accuracy_Categorical())
    model.finalize()
    return model


def validation_accuracy(printed):
    return float(re.findall(r"validation, acc: ([0-9.]+), loss: [0-9.]+", printed)[-1])


# --- book-style scripts ------------------------------------------------------------------

def test_the_spiral_model_of_chapter_18_reaches_the_books_accuracy(capsys):
    """The book's 512-unit spiral model with L2, dropout and Adam (it reports about 0.86
    after 10,000 epochs); 1,500 epochs here, to keep the test short."""
    np.random.seed(0)
    X, y = spiral_data(samples=1000, classes=3)
    X_test, y_test = spiral_data(samples=100, classes=3)
    model = spiral_model()
    model.train(X, y, validation_data=(X_test, y_test), epochs=1500, print_every=500)
    printed = capsys.readouterr().out.splitlines()
    pattern = (r"epoch: {}, acc: [0-9.]+, loss: [0-9.]+ \(data_loss: [0-9.]+, reg_loss: "
               r"[0-9.]+\), lr: [0-9.e-]+")
    assert [re.fullmatch(pattern.format(e), line) is not None
            for line, e in zip(printed, (500, 1000, 1500))] == [True] * 3, printed
    assert printed[-1].startswith("validation, acc: ")
    assert validation_accuracy(printed[-1]) >= 0.8


def test_the_sine_regression_of_chapter_17_fits_the_curve(capsys):
    """Chapter 17's loop, call for call: forward, calculate, regularization_loss(layer),
    backward, pre_update_params / update_params / post_update_params."""
    np.random.seed(0)
    X, y = sine_data()
    dense1, activation1 = Layer_Dense(1, 64), Activation_ReLU()
    dense2, activation2 = Layer_Dense(64, 64), Activation_ReLU()
    dense3, activation3 = Layer_Dense(64, 1), Activation_Linear()
    loss_function = Loss_MeanSquaredError()
    optimizer = Optimizer_Adam(learning_rate=0.005, decay=1e-3)
    accuracy_precision = np.std(y) / 250
    for epoch in range(3001):
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        activation2.forward(dense2.output)
        dense3.forward(activation2.output)
        activation3.forward(dense3.output)
        data_loss = loss_function.calculate(activation3.output, y)
        regularization_loss = (loss_function.regularization_loss(dense1)
                               + loss_function.regularization_loss(dense2)
                               + loss_function.regularization_loss(dense3))
        accuracy = np.mean(np.absolute(activation3.output - y) < accuracy_precision)
        loss_function.backward(activation3.output, y)
        activation3.backward(loss_function.dinputs)
        dense3.backward(activation3.dinputs)
        activation2.backward(dense3.dinputs)
        dense2.backward(activation2.dinputs)
        activation1.backward(dense2.dinputs)
        dense1.backward(activation1.dinputs)
        optimizer.pre_update_params()
        optimizer.update_params(dense1)
        optimizer.update_params(dense2)
        optimizer.update_params(dense3)
        optimizer.post_update_params()
    assert regularization_loss == 0
    assert data_loss < 1e-3 and accuracy > 0.3
    assert optimizer.current_learning_rate == pytest.approx(0.005 / (1 + 1e-3 * 3000))
    assert np.max(np.abs(activation3.output - y)) < 0.1


def test_the_chapter_19_lines_with_batches(capsys):
    np.random.seed(1)
    X, y = spiral_data(samples=100, classes=3)
    model = spiral_model(units=16, dropout=0.0)
    model.train(X, y, epochs=2, batch_size=128, print_every=2, validation_data=(X, y))
    printed = capsys.readouterr().out.splitlines()
    figures = r"acc: [0-9.]+, loss: [0-9.]+ \(data_loss: [0-9.]+, reg_loss: [0-9.]+\), lr: [0-9.e-]+"
    expected = ["epoch: 1", f"step: 0, {figures}", f"step: 2, {figures}",
                f"training, {figures}", r"validation, acc: [0-9.]+, loss: [0-9.]+"] * 2
    expected[5] = "epoch: 2"
    assert len(printed) == len(expected), printed
    for line, pattern in zip(printed, expected):
        assert re.fullmatch(pattern, line), (line, pattern)


@needs_fashion
@pytest.mark.slow
def test_the_fashion_mnist_model_of_chapter_19(real_fashion, capsys):
    """The book's last chapters' script on the real data, for 2 of its 10 epochs:
    create_data_mnist, a shuffle of the keys, scaling to [-1, 1], 128-128-10 with Adam."""
    X, y, X_test, y_test = create_data_mnist(str(real_fashion))
    assert X.shape == (60000, 28, 28) and X.dtype == np.uint8 and y.dtype == np.uint8
    assert X_test.shape == (10000, 28, 28) and list(np.bincount(y_test)) == [1000] * 10
    np.random.seed(0)
    keys = np.array(range(X.shape[0]))
    np.random.shuffle(keys)
    X, y = X[keys], y[keys]
    X = (X.reshape(X.shape[0], -1).astype(np.float32) - 127.5) / 127.5
    X_test = (X_test.reshape(X_test.shape[0], -1).astype(np.float32) - 127.5) / 127.5
    model = Model()
    model.add(Layer_Dense(X.shape[1], 128))
    model.add(Activation_ReLU())
    model.add(Layer_Dense(128, 128))
    model.add(Activation_ReLU())
    model.add(Layer_Dense(128, 10))
    model.add(Activation_Softmax())
    model.set(loss=Loss_CategoricalCrossentropy(), optimizer=Optimizer_Adam(decay=1e-3),
              accuracy=Accuracy_Categorical())
    model.finalize()
    model.train(X, y, validation_data=(X_test, y_test), epochs=2, batch_size=128,
                print_every=100)
    assert validation_accuracy(capsys.readouterr().out) > 0.83   # the book: 0.87 after 10
    confidences = model.predict(X_test[:5])
    assert confidences.shape == (5, 10)
    assert model.output_layer_activation.predictions(confidences).shape == (5,)


# --- the same maths as the registry's components -------------------------------------------

def test_the_book_objects_compute_what_the_registry_components_do():
    """Same weights, same inputs: forward outputs and every gradient agree bit for bit (the
    book objects compute in float32, as the core does; tests/test_gradients.py checks the
    core's gradients against central differences in float64)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 4))                     # float64, as the book's data is
    dvalues = rng.normal(size=(6, 5)).astype(np.float32)
    book_dense = Layer_Dense(4, 5, weight_regularizer_l1=1e-3, weight_regularizer_l2=2e-3,
                             bias_regularizer_l1=3e-3, bias_regularizer_l2=4e-3)
    book_dense.biases = np.full((1, 5), 0.1)
    core_dense = Dense(5, weight_l1=1e-3, weight_l2=2e-3, bias_l1=3e-3, bias_l2=4e-3)
    core_dense.build((4,), rng)
    core_dense.params["weights"][...] = book_dense.weights
    core_dense.params["biases"][...] = book_dense.biases
    np.testing.assert_array_equal(book_dense.forward(x), core_dense.forward(x.astype(np.float32), True))
    np.testing.assert_array_equal(book_dense.output, core_dense.forward(x.astype(np.float32), True))
    np.testing.assert_array_equal(book_dense.backward(dvalues), core_dense.backward(dvalues))
    np.testing.assert_array_equal(book_dense.dinputs, core_dense.backward(dvalues))
    np.testing.assert_array_equal(book_dense.dweights, core_dense.grads["weights"])
    np.testing.assert_array_equal(book_dense.dbiases, core_dense.grads["biases"])
    assert book_dense.regularization_loss() == core_dense.regularization_loss()
    assert Loss_CategoricalCrossentropy().regularization_loss(book_dense) == \
        core_dense.regularization_loss()

    for book_class, core_class in ((Activation_ReLU, ReLU), (Activation_Softmax, Softmax),
                                   (Activation_Sigmoid, Sigmoid)):
        book_object, core_object = book_class(), core_class()
        logits = rng.normal(size=(6, 5)).astype(np.float32)
        gradient = rng.normal(size=(6, 5)).astype(np.float32)
        np.testing.assert_array_equal(book_object.forward(logits), core_object.forward(logits, True))
        np.testing.assert_array_equal(book_object.backward(gradient), core_object.backward(gradient))
        np.testing.assert_array_equal(book_object.dinputs, core_object.backward(gradient))

    probabilities = Softmax().forward(rng.normal(size=(6, 5)).astype(np.float32), True)
    labels = rng.integers(0, 5, 6)
    book_loss, core_loss = Loss_CategoricalCrossentropy(), CategoricalCrossentropy()
    assert book_loss.calculate(probabilities, labels) == pytest.approx(
        core_loss.calculate(probabilities, labels), rel=1e-12)
    np.testing.assert_array_equal(book_loss.backward(probabilities, labels),
                                  core_loss.backward(probabilities, labels))
    combined = Activation_Softmax_Loss_CategoricalCrossentropy()
    np.testing.assert_array_equal(combined.backward(probabilities, labels),
                                  core_loss.fused_backward(probabilities, labels))
    one_hot = np.eye(5, dtype=np.float32)[labels]
    np.testing.assert_allclose(combined.backward(probabilities, one_hot), combined.dinputs)
    values = rng.normal(size=(6, 1)).astype(np.float32)
    targets = rng.normal(size=(6, 1)).astype(np.float32)
    np.testing.assert_array_equal(Loss_MeanSquaredError().backward(values, targets),
                                  MeanSquaredError().backward(values, targets))


@pytest.mark.parametrize("book_class, core_class, options", [
    (Optimizer_SGD, SGD, {"learning_rate": 0.5, "decay": 0.1, "momentum": 0.9}),
    (Optimizer_Adagrad, Adagrad, {"learning_rate": 0.5, "decay": 0.1, "epsilon": 1e-7}),
    (Optimizer_RMSprop, RMSprop, {"learning_rate": 0.01, "decay": 0.1, "epsilon": 1e-7,
                                  "rho": 0.8}),
    (Optimizer_Adam, Adam, {"learning_rate": 0.01, "decay": 0.1, "epsilon": 1e-7,
                            "beta_1": 0.8, "beta_2": 0.9}),
])
def test_the_book_optimizers_step_as_the_registry_optimizers_do(book_class, core_class, options):
    """pre_update_params, update_params(layer) per layer, post_update_params: the same
    numbers, step after step, as the registry's optimizer.step over the same arrays."""
    rng = np.random.default_rng(1)
    np.random.seed(1)
    layer = Layer_Dense(3, 2)
    weights = layer.weights.copy()
    core = core_class(**options)
    optimizer = book_class(**options)
    for step in range(3):
        gradient = rng.normal(size=(3, 2)).astype(np.float32)
        layer.grads["weights"][...] = gradient
        layer.grads["biases"][...] = 0.5
        optimizer.pre_update_params()
        optimizer.update_params(layer)
        optimizer.post_update_params()
        core.step([((0, "weights"), weights, gradient)])
        np.testing.assert_array_equal(layer.weights, weights)
        assert optimizer.current_learning_rate == core.current_learning_rate
    assert optimizer.iterations == 3
    assert optimizer.current_learning_rate == pytest.approx(
        options["learning_rate"] / (1 + options["decay"] * 2))


def test_weights_are_the_books_draws_and_plain_arrays():
    np.random.seed(0)
    layer = Layer_Dense(2, 3)
    np.random.seed(0)
    np.testing.assert_array_equal(layer.weights,
                                  (0.01 * np.random.randn(2, 3)).astype(np.float32))
    assert (layer.biases == 0).all() and layer.biases.shape == (1, 3)
    layer.weights += 1            # as chapter 6's random search does
    layer.weights = layer.weights * 2
    assert layer.weights[0, 0] == pytest.approx(2 * (1 + 0.01 * np.random.RandomState(0).randn()))
    with pytest.raises(BadUsage, match=r"Layer_Dense.weights: expected shape \(2, 3\), got \(3, 3\)"):
        layer.weights = np.zeros((3, 3))


# --- misuse -------------------------------------------------------------------------------

def test_misuse_gets_a_clear_message():
    X, y = spiral_data(samples=10, classes=3)
    model = Model()
    model.add(Layer_Dense(2, 8))
    model.add(Activation_ReLU())
    model.add(Layer_Dense(16, 3))
    model.add(Activation_Softmax())
    model.set(loss=Loss_CategoricalCrossentropy(), optimizer=Optimizer_Adam(),
              accuracy=Accuracy_Categorical())
    with pytest.raises(BadUsage, match=r"^Model.train: call model.finalize\(\) first"):
        model.train(X, y)
    with pytest.raises(BadUsage) as error:
        model.finalize()
    assert str(error.value) == ("Model.finalize: model.layers[2]: Layer_Dense(n_inputs=16, ...) "
                                "follows a layer that gives 8 outputs; make n_inputs 8")
    model = spiral_model(units=8)
    with pytest.raises(BadUsage) as error:
        model.train(X, y + 1)
    assert str(error.value) == ("Model.train: y holds class 3, but the last layer gives 3 "
                                "outputs (classes 0 to 2)")
    with pytest.raises(BadUsage, match=r"X has samples of shape \(3,\), but the first layer "
                                       r"takes \(2,\)"):
        model.predict(np.zeros((4, 3)))
    with pytest.raises(BadUsage, match="n_neurons must be a positive whole number, got -3"):
        Layer_Dense(2, -3)
    with pytest.raises(BadUsage, match=r"Layer_Dropout: rate is the fraction dropped"):
        Layer_Dropout(1.5)
    regression = Model()
    regression.add(Layer_Dense(1, 4))
    regression.add(Activation_Linear())
    regression.set(loss=Loss_MeanSquaredError(), optimizer=Optimizer_Adam(),
                   accuracy=Accuracy_Regression())
    regression.finalize()
    with pytest.raises(BadUsage, match=r"y has shape \(10,\), but the outputs are \(samples, "
                                       r"4\)"):
        regression.train(np.zeros((10, 1)), np.zeros(10))
    assert issubclass(BadUsage, NnfsError)


# --- files ----------------------------------------------------------------------------------

def test_save_and_load_keep_the_model_without_pickle(tmp_path, capsys):
    np.random.seed(2)
    X, y = spiral_data(samples=100, classes=3)
    model = spiral_model(units=32)
    model.train(X, y, epochs=50, print_every=100)
    path = tmp_path / "spiral.model"
    model.save(path)
    assert path.exists() and not (tmp_path / "spiral.model.npz").exists()
    with np.load(path, allow_pickle=False) as arrays:   # plain arrays and a JSON description
        assert set(arrays.files) == {"layers[0].weights", "layers[0].biases",
                                     "layers[3].weights", "layers[3].biases", "description"}
    loaded = Model.load(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "Layer_Dense", "Activation_ReLU", "Layer_Dropout", "Layer_Dense", "Activation_Softmax"]
    assert loaded.layers[2].rate == 0.1 and loaded.layers[0].weight_regularizer_l2 == 5e-4
    assert loaded.optimizer.iterations == model.optimizer.iterations == 50
    capsys.readouterr()
    loaded.evaluate(X, y)
    model.evaluate(X, y)
    first, second = capsys.readouterr().out.splitlines()
    assert first == second
    loaded.train(X, y, epochs=1)   # training goes on where it stopped
    assert loaded.optimizer.iterations == 51

    model.save_parameters(tmp_path / "spiral.parms")
    fresh = spiral_model(units=32)
    fresh.load_parameters(tmp_path / "spiral.parms")
    np.testing.assert_array_equal(fresh.predict(X), model.predict(X))
    with open(tmp_path / "spiral.parms", "rb") as f:   # the book's own load_parameters
        assert [tuple(a.shape for a in pair) for pair in pickle.load(f)] == [
            ((2, 32), (1, 32)), ((32, 3), (1, 3))]


@pytest.fixture(scope="module")
def book_files(tmp_path_factory):
    """A model trained and saved by the book's own classes (book_reference.py, run as a
    script so that the pickle names `__main__.Model`, as a learner's does)."""
    out = tmp_path_factory.mktemp("book")
    subprocess.run([sys.executable, str(REFERENCE), str(out)], check=True, timeout=120)
    return out


def test_a_model_saved_by_the_books_own_class_loads_and_predicts(book_files):
    loaded = Model.load(book_files / "spiral.model")
    X = np.load(book_files / "inputs.npy")
    np.testing.assert_allclose(loaded.predict(X), np.load(book_files / "outputs.npy"),
                               rtol=1e-5, atol=1e-6)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "Layer_Dense", "Activation_ReLU", "Layer_Dropout", "Layer_Dense", "Activation_Softmax"]
    assert loaded.layers[2].rate == pytest.approx(0.1)
    iterations, learning_rate = np.load(book_files / "iterations.npy")
    assert loaded.optimizer.iterations == iterations == 200
    assert loaded.optimizer.current_learning_rate == pytest.approx(learning_rate)
    assert isinstance(loaded.loss, Loss_CategoricalCrossentropy)
    assert loaded.softmax_classifier_output is not None


def test_the_books_save_parameters_file_loads(book_files):
    model = spiral_model(units=32)
    model.load_parameters(book_files / "spiral.parms")   # float64 arrays, the book's pickle
    X = np.load(book_files / "inputs.npy")
    np.testing.assert_allclose(model.predict(X), np.load(book_files / "outputs.npy"),
                               rtol=1e-5, atol=1e-6)


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch EVIL_RAN",))


@pytest.mark.parametrize("payload", ["system", "inside-a-model", "call-a-book-name"])
def test_a_model_file_that_tries_to_run_code_is_refused(tmp_path, payload, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.model"
    if payload == "system":
        data = pickle.dumps(_Evil(), protocol=4)
    elif payload == "inside-a-model":   # the book's Model, holding a layer that runs code
        book_model = type("Model", (), {"__module__": "__main__"})
        monkeypatch.setattr(sys.modules["__main__"], "Model", book_model, raising=False)
        holder = book_model()
        holder.layers = [_Evil()]
        data = pickle.dumps(holder, protocol=4)
    else:   # a book name called like a function, with arguments
        data = (b"\x80\x04\x8c\x08__main__\x94\x8c\x0bLayer_Dense\x94\x93\x94"
                b"K\x02K\x03\x86\x94R\x94.")
    path.write_bytes(data)
    with pytest.raises(NnfsError) as error:
        Model.load(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    if payload != "call-a-book-name":
        assert "refused to unpickle" in message and "system" in message
    assert not (tmp_path / "EVIL_RAN").exists()


def test_the_public_names_are_the_books():
    assert sorted(book.__all__) == sorted([
        "Layer_Dense", "Layer_Dropout", "Layer_Input", "Activation_ReLU", "Activation_Softmax",
        "Activation_Sigmoid", "Activation_Linear", "Activation_Softmax_Loss_CategoricalCrossentropy",
        "Activation_Tanh", "Activation_LeakyReLU", "Activation_ELU", "Activation_GELU",
        "Activation_SiLU", "Activation_Softplus",
        "Loss_CategoricalCrossentropy", "Loss_BinaryCrossentropy", "Loss_MeanSquaredError",
        "Loss_MeanAbsoluteError", "Optimizer_SGD", "Optimizer_Adagrad", "Optimizer_RMSprop",
        "Optimizer_Adam", "Accuracy_Categorical", "Accuracy_Regression", "Model",
        "spiral_data", "vertical_data", "sine_data", "create_data_mnist"])
    for name in book.__all__:
        assert getattr(book, name).__doc__, name


def test_the_data_helpers_give_the_book_packages_numbers():
    np.random.seed(0)
    X, y = spiral_data(samples=100, classes=3)
    np.random.seed(0)
    from nnfs_cli.data import book_data
    expected = book_data.spiral_data(100, 3, np.random.RandomState(0))
    np.testing.assert_array_equal(X, expected[0])
    np.testing.assert_array_equal(y, expected[1])
    assert vertical_data(samples=10, classes=2)[0].shape == (20, 2)
    assert sine_data()[0].shape == (1000, 1)


def test_the_activations_beyond_the_book_save_load_and_match_the_registry(tmp_path):
    from nnfs_cli.core.activations import ELU, GELU, LeakyReLU, SiLU, Softplus, Tanh
    x = np.linspace(-5, 5, 24, dtype=np.float32).reshape(4, 6)
    g = np.linspace(1, 2, 24, dtype=np.float32).reshape(4, 6)
    pairs = [(Activation_Tanh(), Tanh()), (Activation_LeakyReLU(alpha=0.2), LeakyReLU(alpha=0.2)),
             (Activation_ELU(alpha=0.5), ELU(alpha=0.5)),
             (Activation_GELU(approximate="tanh"), GELU(approximate="tanh")),
             (Activation_SiLU(), SiLU()), (Activation_Softplus(), Softplus())]
    for ours, core in pairs:
        np.testing.assert_array_equal(ours.forward(x), core.forward(x, True))
        np.testing.assert_array_equal(ours.backward(g), core.backward(g))
    np.random.seed(0)
    model = Model()
    model.add(Layer_Dense(2, 8))
    for ours, _ in pairs:
        model.add(ours)
    model.add(Layer_Dense(8, 2))
    model.add(Activation_Softmax())
    model.set(loss=Loss_CategoricalCrossentropy(), accuracy=Accuracy_Categorical())
    model.finalize()
    model.save(tmp_path / "m.model")
    loaded = Model.load(tmp_path / "m.model")
    assert loaded.layers[2].alpha == 0.2 and loaded.layers[4].approximate == "tanh"
    points = np.random.randn(5, 2)
    np.testing.assert_array_equal(loaded.predict(points), model.predict(points))
