"""The architecture's promises: a new layer or data set is one module (here, one test file);
shapes are explicit; params.pkl keeps the book's format; runs written before the layout
change still evaluate, predict and resume."""

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from fashion_runs import run_cli
from nnfs_cli import validators
from nnfs_cli.core.layers import Layer
from nnfs_cli.data.dataset import Dataset, Splits
from nnfs_cli.registry import DATASETS, LAYERS
from nnfs_cli.runs.safe_pickle import load as load_pickle

OLD_RUN = Path(__file__).parent / "data" / "run-v0.1.0"   # written by nnfs-cli 0.1.0's layout


# --- a toy layer and a toy data set, registered here only ----------------------------------

class Scale(Layer):
    """out = x * scale, one trained vector per feature; any input shape."""

    def build(self, input_shape, rng):
        self.params = {"scale": np.ones(input_shape, dtype=np.float32)}
        self.grads = {"scale": np.zeros(input_shape, dtype=np.float32)}
        return tuple(input_shape)

    def forward(self, x, training):
        self._inputs = x
        return x * self.params["scale"]

    def backward(self, dvalues, need_dinputs=True):
        np.sum(dvalues * self._inputs, axis=0, out=self.grads["scale"])
        return dvalues * self.params["scale"]


class HalvePictures(Layer):
    """Keeps every other row and column of (channels, height, width) inputs."""

    input_layout = "image"

    def output_shape(self, input_shape):
        channels, height, width = input_shape
        return (channels, height // 2, width // 2)

    def forward(self, x, training):
        self._shape = x.shape
        return x[:, :, ::2, ::2]

    def backward(self, dvalues, need_dinputs=True):
        if not need_dinputs:
            return None
        dinputs = np.zeros(self._shape, dtype=dvalues.dtype)
        dinputs[:, :, ::2, ::2] = dvalues
        return dinputs


class Blobs(Dataset):
    """Two Gaussian blobs per class around the points (k, -k), as 4x4 'pictures' or 16 values."""

    constraints = {"samples": validators.positive_int}
    input_shape = (16,)
    image_shape = (1, 4, 4)
    classes = 2
    class_names = ["left", "right"]

    def __init__(self, samples=200):
        self.samples = samples

    def load(self, seed, reporter=None):
        rng = np.random.default_rng(seed)

        def make(n):
            y = rng.integers(0, 2, n)
            x = rng.normal(0, 0.5, (n, 16)).astype(np.float32) + np.where(y[:, None], 1, -1)
            return x.astype(np.float32), y.astype(np.int64)
        x, y = make(self.samples)
        x_val, y_val = make(self.samples // 2)
        return Splits(x, y, x_val, y_val)


@pytest.fixture
def toys():
    added = [(LAYERS, "scale", Scale), (LAYERS, "halve_pictures", HalvePictures),
             (DATASETS, "blobs", Blobs)]
    for registry, name, cls in added:
        registry.register(name)(cls)
    yield
    for registry, name, _ in added:
        registry._entries.pop(name)   # leave the registries as the other tests expect them


TOY_CONFIG = """\
seed: 1
data: {name: blobs, samples: 200}
model:
  - scale
  - dense: {units: 8}
  - relu
  - dense: {units: 2}
  - softmax
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.05}
training: {epochs: 4, batch_size: 32, checkpoint_seconds: 0}
"""


def test_a_new_layer_and_data_set_train_save_evaluate_predict_and_resume(toys, write_config,
                                                                          tmp_path):
    config = write_config(TOY_CONFIG)
    straight, halves = tmp_path / "straight", tmp_path / "halves"
    result = run_cli("train", config, "--run-dir", straight)
    assert result.exit_code == 0, result.stderr
    assert "scale" in result.stderr and "(16,)" in result.stderr   # the summary shows shapes
    summary = json.loads((straight / "summary.json").read_text())
    assert summary["val_accuracy"] > 0.9 and summary["input_shape"] == [16]

    # params.pkl: one tuple per layer with parameters, in stack order, arrays only.
    with open(straight / "params.pkl", "rb") as f:
        saved = pickle.load(f)
    assert [len(arrays) for arrays in saved] == [1, 2, 2]
    assert saved[0][0].shape == (16,) and not np.all(saved[0][0] == 1)   # scale was trained

    report = json.loads(run_cli("evaluate", straight, "--json").stdout)
    assert report["accuracy"] == pytest.approx(summary["val_accuracy"])
    rows = tmp_path / "rows.csv"
    np.savetxt(rows, np.vstack([np.full(16, -1.0), np.full(16, 1.0)]), delimiter=",")
    predicted = run_cli("predict", rows, "--run", straight, "--json")
    assert predicted.exit_code == 0, predicted.stderr
    assert [item["label"] for item in json.loads(predicted.stdout)] == ["left", "right"]

    # Two epochs, then two more: the same bytes as four straight ones.
    assert run_cli("train", config, "--run-dir", halves, "--epochs", "2").exit_code == 0
    resumed = run_cli("train", "--resume", halves, "--epochs", "4")
    assert resumed.exit_code == 0, resumed.stderr
    assert (halves / "params.pkl").read_bytes() == (straight / "params.pkl").read_bytes()


def test_a_layer_that_cannot_take_its_input_shape_is_a_config_error(toys, write_config,
                                                                    tmp_path):
    text = TOY_CONFIG.replace("  - scale\n", "  - halve_pictures\n")
    config = write_config(text)
    result = run_cli("train", config, "--run-dir", tmp_path / "run")
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {config}: model[1]: dense expects flat inputs, got shape "
                             "(1, 2, 2); add a flatten layer before it\n")
    assert not (tmp_path / "run").exists()


def test_image_data_feeds_pictures_to_a_stack_that_takes_them(toys, write_config, tmp_path):
    text = TOY_CONFIG.replace("  - scale\n", "  - halve_pictures\n  - scale\n  - flatten\n")
    result = run_cli("train", write_config(text), "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.stderr
    assert "(1, 2, 2)" in result.stderr and "(4,)" in result.stderr
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["input_shape"] == [1, 4, 4]


# --- the book's format and runs from before ---------------------------------------------

def test_book_only_params_are_the_books_list_of_pairs(spiral_config, tmp_path):
    assert run_cli("train", spiral_config, "--run-dir", tmp_path / "run").exit_code == 0
    with open(tmp_path / "run" / "params.pkl", "rb") as f:
        parameters = pickle.load(f)

    class BookDense:   # what the book's Model.load_parameters does with each pair
        def set_parameters(self, weights, biases):
            self.weights, self.biases = weights, biases

    layers = [BookDense(), BookDense()]
    for parameter_set, layer in zip(parameters, layers):
        layer.set_parameters(*parameter_set)
    assert layers[0].weights.shape == (2, 16) and layers[0].biases.shape == (1, 16)
    assert layers[1].weights.shape == (16, 3) and layers[1].biases.shape == (1, 3)


def test_a_run_written_before_the_layout_change_evaluates_predicts_and_resumes(tmp_path):
    old = Path(shutil.copytree(OLD_RUN, tmp_path / "old"))
    summary = json.loads((old / "summary.json").read_text())
    report = run_cli("evaluate", old, "--json")
    assert report.exit_code == 0, report.stderr
    assert json.loads(report.stdout)["loss"] == pytest.approx(summary["val_loss"], rel=1e-6)
    rows = tmp_path / "rows.csv"
    rows.write_text("0.1,0.2\n-0.5,0.3\n")
    predicted = run_cli("predict", rows, "--run", old)
    assert predicted.exit_code == 0, predicted.stderr
    assert len(predicted.stdout.splitlines()) == 2

    # Two more epochs on the old checkpoint end where four straight epochs of today's code do:
    # bit for bit when this machine computes the fixture's first two epochs bit for bit (the
    # same CPU kernels and BLAS build), and to float32 noise when it does not, since products
    # may round differently in the last bit on another CPU or BLAS.
    first_two = tmp_path / "first-two"
    result = run_cli("train", old / "config.yaml", "--run-dir", first_two)
    assert result.exit_code == 0, result.stderr
    same_machine = (first_two / "params.pkl").read_bytes() == (old / "params.pkl").read_bytes()
    resumed = run_cli("train", "--resume", old, "--epochs", "4")
    assert resumed.exit_code == 0, resumed.stderr
    straight = tmp_path / "straight"
    result = run_cli("train", old / "config.yaml", "--epochs", "4", "--run-dir", straight)
    assert result.exit_code == 0, result.stderr
    assert json.loads((old / "summary.json").read_text())["epochs"] == 4
    if same_machine:
        assert (old / "params.pkl").read_bytes() == (straight / "params.pkl").read_bytes()
    for ours, theirs in zip(load_pickle(old / "params.pkl"), load_pickle(straight / "params.pkl")):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)
