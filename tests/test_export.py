"""nnfs export: ONNX models that take raw inputs and give nnfs's own probabilities in
onnxruntime, npz arrays that a plain NumPy forward pass reads back, and the errors."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fashion_runs import fashion_subset, needs_fashion, run_cli, trained
from nnfs_cli.core.layers import Layer
from nnfs_cli.data.fashion_mnist import CLASS_NAMES, load_fashion
from nnfs_cli.registry import LAYERS
from nnfs_cli.inference.export.onnx_layers import CONVERTERS
from nnfs_cli.runs.saved import load_run

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

TOLERANCE = 1e-5
BATCHES = (1, 37)

FASHION_DROPOUT = """\
seed: 2
data: {name: fashion_mnist, path: PATH, validation_split: 0.1}
model:
  - dense: {units: 32, weight_l2: 5e-4, bias_l2: 5e-4}
  - relu
  - dropout: {rate: 0.1}
  - dense: {units: 32, weight_l2: 5e-4, bias_l2: 5e-4}
  - relu
  - dropout: {rate: 0.1}
  - dense: {units: 10}
  - softmax
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.002}
training: {epochs: 3, batch_size: 32}
"""

BINARY = """\
seed: 4
data: {name: spiral, samples: 100, classes: 2, validation_samples: 50}
model:
  - dense: {units: 16, weight_l2: 5e-4, bias_l2: 5e-4}
  - relu
  - dropout: {rate: 0.1}
  - dense: {units: 1}
  - sigmoid
loss: binary_crossentropy
optimizer: {name: adam, learning_rate: 0.02}
training: {epochs: 30, batch_size: 64}
"""

# Binary cross-entropy on one sigmoid per class: independent probabilities, no two columns.
SIGMOIDS = BINARY.replace("classes: 2", "classes: 3").replace("units: 1}", "units: 3}")


@pytest.fixture(scope="module")
def fashion_dropout(tmp_path_factory):
    path = fashion_subset(tmp_path_factory)
    return trained(tmp_path_factory, "fashion-dropout", FASHION_DROPOUT.replace("PATH", str(path)))


@pytest.fixture(scope="module")
def binary(tmp_path_factory):
    return trained(tmp_path_factory, "binary", BINARY)


@pytest.fixture(scope="module")
def sigmoids(tmp_path_factory):
    return trained(tmp_path_factory, "sigmoids", SIGMOIDS)


def export(run_dir, *args):
    result = run_cli("export", run_dir, *args)
    assert result.exit_code == 0, result.stderr
    return result


def raw_and_model_inputs(run):
    """(raw samples as the data holds them, the inputs nnfs's own pipeline prepares from them):
    every split the data set has, so the comparison covers hundreds of samples."""
    splits = run.data.load(run.config["seed"])
    pairs = [(x, x) for x in (splits.x_val, splits.x_test) if x is not None]
    if run.data.name == "fashion_mnist":   # ScaledImages: raw uint8 pictures, scaled on reading
        pairs = [(x.images, x[:]) for x, _ in pairs]
    raw, prepared = (np.concatenate(part) for part in zip(*pairs))
    return raw, prepared.reshape((len(prepared), *run.input_shape))


def nnfs_probabilities(run, x):
    outputs = run.outputs(x)
    return run.class_scores(outputs) if run.task == "classification" else outputs


def onnx_outputs(path, x):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1   # the test machines' cores are shared
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    (name,) = [item.name for item in session.get_inputs()]
    return session.run(None, {name: np.asarray(x, dtype=np.float32)})[0]


def assert_same_outputs(path, run, raw, prepared):
    """onnxruntime on raw inputs gives nnfs's probabilities within TOLERANCE and the same
    classes, for the whole set and for batches of 1 and 37."""
    expected = nnfs_probabilities(run, prepared)
    for size in (len(raw), *BATCHES):
        got = onnx_outputs(path, raw[:size])
        assert got.shape == expected[:size].shape and got.dtype == np.float32
        assert np.max(np.abs(got - expected[:size])) <= TOLERANCE
        if run.task == "classification":
            assert np.array_equal(np.argmax(got, axis=1), np.argmax(expected[:size], axis=1))


# --- every kind of run we can train, in onnxruntime -----------------------------------------

RUNS = ["spiral", "binary", "sigmoids", "sine",
        pytest.param("fashion_dropout", marks=needs_fashion)]


@pytest.mark.parametrize("name", RUNS)
def test_onnx_gives_nnfs_probabilities_on_raw_inputs(name, request, tmp_path):
    run_dir = request.getfixturevalue(name)
    path = tmp_path / "model.onnx"
    export(run_dir, "-o", path)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    run = load_run(run_dir)
    raw, prepared = raw_and_model_inputs(run)
    assert len(raw) >= max(BATCHES)
    assert_same_outputs(path, run, raw, prepared)


@needs_fashion
def test_fashion_graph_scales_raw_pixels_and_drops_dropout(fashion_dropout):
    result = export(fashion_dropout)
    path = fashion_dropout / "model.onnx"
    assert result.stdout.splitlines() == [
        f"wrote {path} (ONNX opset 17, IR version 8, from params.pkl)",
        "input   input: float32 [batch, 28, 28], 28x28 gray pixel values 0-255 (height, width), "
        "light item on dark, as the data set's PNG files hold them; inside the model: "
        "(x - 127.5) / 127.5",
        "output  probabilities: float32 [batch, 10], one per class: " + ", ".join(CLASS_NAMES),
    ]
    model = onnx.load(str(path))
    opsets = [(opset.domain, opset.version) for opset in model.opset_import]
    assert (model.ir_version, opsets) == (8, [("", 17)])
    assert [node.op_type for node in model.graph.node] == [
        "Sub", "Div", "Reshape", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"]
    softmax = model.graph.node[-1]
    assert [(a.name, a.i) for a in softmax.attribute] == [("axis", -1)]
    constants = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    assert constants["preprocessing.subtract"] == np.float32(127.5)
    assert constants["preprocessing.divide"] == np.float32(127.5)
    assert list(constants["preprocessing.shape"]) == [-1, 784]
    assert all(array.dtype in (np.float32, np.int64) for array in constants.values())
    (graph_input,), (graph_output,) = model.graph.input, model.graph.output
    assert (graph_input.name, graph_output.name) == ("input", "probabilities")
    dims = graph_input.type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 28, 28]

    meta = {prop.key: prop.value for prop in model.metadata_props}
    assert meta["nnfs_version"] == "0.1.0" and meta["task"] == "classification"
    assert json.loads(meta["class_names"]) == CLASS_NAMES
    assert meta["input_layout"].startswith("28x28 gray pixel values 0-255 (height, width)")
    assert json.loads(meta["preprocessing"]) == {
        "formula": "(x - subtract) / divide, reshaped to [batch, 784]", "raw_shape": [28, 28],
        "subtract": 127.5, "divide": 127.5, "reshape_to": [784]}
    assert json.loads(meta["source"]) == {"run": "fashion-dropout", "params": "params.pkl",
                                          "data": "fashion_mnist"}
    assert json.loads(meta["description"])["output"]["shape"] == ["batch", 10]
    assert not list(fashion_dropout.glob(".*.tmp"))


@needs_fashion
def test_fashion_png_files_classify_as_nnfs_does(fashion_dropout, tmp_path):
    """The pictures as a user has them: PNG files decoded to 0-255 gray pixels."""
    import cv2

    run = load_run(fashion_dropout)
    export(fashion_dropout, "-o", tmp_path / "m.onnx")
    folder = Path(run.data.path) / "test" / "7"
    pixels = np.stack([cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted(folder.iterdir())])
    prepared = ((pixels.astype(np.float32) - 127.5) / 127.5).reshape(len(pixels), 784)
    assert_same_outputs(tmp_path / "m.onnx", run, pixels, prepared)


@needs_fashion
@needs_fashion
def test_the_documented_example_runs_on_a_raw_image(fashion_dropout, repo_root, tmp_path):
    section = (repo_root / "docs" / "export.md").read_text()
    start = section.index("```python\n") + len("```python\n")
    code = section[start:section.index("\n```\n", start)]
    assert len(code.splitlines()) == 5
    run = load_run(fashion_dropout)
    export(fashion_dropout)
    code = (code.replace("runs/fashion-20261127-141336", str(fashion_dropout))
            .replace("datasets/fashion_mnist_images", run.data.path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    import cv2
    image = Path(run.data.path) / "test" / "1" / "0000.png"
    pixels = cv2.imread(str(image), cv2.IMREAD_GRAYSCALE).astype(np.float32)
    scores = run.outputs(((pixels - 127.5) / 127.5).reshape(1, 784))[0]
    assert result.stdout == CLASS_NAMES[int(np.argmax(scores))] + "\n"


def test_no_preprocessing_exports_the_bare_network(fashion_dropout, tmp_path):
    path = tmp_path / "bare.onnx"
    result = export(fashion_dropout, "--no-preprocessing", "-o", path)
    assert result.stdout.splitlines()[1] == (
        "input   input: float32 [batch, 784], the model's inputs, already scaled and shaped as "
        "training fed them")
    model = onnx.load(str(path))
    assert model.graph.node[0].op_type == "Gemm"
    assert {p.key: p.value for p in model.metadata_props}["preprocessing"] == "none"
    run = load_run(fashion_dropout)
    _, prepared = raw_and_model_inputs(run)
    assert_same_outputs(path, run, prepared, prepared)


def test_binary_sigmoid_gives_both_class_probabilities(binary):
    export(binary)
    model = onnx.load(str(binary / "model.onnx"))
    assert [node.op_type for node in model.graph.node] == [
        "Gemm", "Relu", "Gemm", "Sigmoid", "Sub", "Concat"]
    meta = {prop.key: prop.value for prop in model.metadata_props}
    assert json.loads(meta["class_names"]) == ["class 0", "class 1"]
    assert meta["preprocessing"] == "none"
    probabilities = onnx_outputs(binary / "model.onnx", np.array([[0.1, -0.3], [0.5, 0.5]]))
    assert probabilities.shape == (2, 2)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-6)


def test_regression_ends_in_the_last_dense_layer(sine):
    result = export(sine)
    assert result.stdout.splitlines()[2] == "output  predictions: float32 [batch, 1]"
    model = onnx.load(str(sine / "model.onnx"))
    assert [node.op_type for node in model.graph.node] == ["Gemm", "Relu", "Gemm"]
    assert model.graph.node[-1].output == ["predictions"]
    assert {p.key: p.value for p in model.metadata_props}["class_names"] == "null"


def test_best_parameters_go_to_model_best(spiral):
    result = export(spiral, "--best")
    assert result.stdout.startswith(f"wrote {spiral / 'model_best.onnx'} (ONNX opset 17, "
                                    "IR version 8, from params_best.pkl)\n")
    run = load_run(spiral, best=True)
    raw, prepared = raw_and_model_inputs(run)
    assert_same_outputs(spiral / "model_best.onnx", run, raw, prepared)


def test_the_installed_command_exports(spiral, tmp_path):
    nnfs = Path(sys.executable).parent / "nnfs"
    if not nnfs.exists():
        pytest.skip("the nnfs script is not installed next to this Python")
    out = tmp_path / "spiral.onnx"
    result = subprocess.run([nnfs, "export", str(spiral), "-o", str(out)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"wrote {out} (ONNX opset 17, IR version 8, from params.pkl)",
        "input   input: float32 [batch, 2], feature values as the data set holds them",
        "output  probabilities: float32 [batch, 3], one per class: class 0, class 1, class 2"]
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)


# --- npz: plain arrays and a JSON description -------------------------------------------

def numpy_forward(path, raw):
    """A forward pass written from the npz's description alone, as a user of another
    language would: no nnfs code."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    description = json.loads(arrays.pop("description").tobytes().decode("utf-8"))
    x = np.asarray(raw, dtype=np.float32)
    steps = description["preprocessing"]
    if steps:
        x = (x - np.float32(steps["subtract"])) / np.float32(steps["divide"])
        x = x.reshape(len(x), *(steps["reshape_to"] or steps["raw_shape"]))
    for layer in description["layers"]:
        params = {name: arrays[key] for name, key in layer["params"].items()}
        if layer["name"] == "dense":
            x = x @ params["weights"] + params["biases"]
        elif layer["name"] == "relu":
            x = np.maximum(x, 0)
        elif layer["name"] == "sigmoid":
            x = 1 / (1 + np.exp(-x))
        elif layer["name"] == "softmax":
            x = np.exp(x - x.max(axis=-1, keepdims=True))
            x /= x.sum(axis=-1, keepdims=True)
        elif layer["name"] in ELEMENTWISE:
            x = ELEMENTWISE[layer["name"]](x, layer["options"]).astype(np.float32)
        else:
            assert layer["name"] in ("linear", "dropout")
    return description, x


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


# The other layers' formulas as their description's `computes` gives them, in float64.
ELEMENTWISE = {
    "tanh": lambda x, options: np.tanh(x),
    "leaky_relu": lambda x, options: np.where(x > 0, x, options["alpha"] * x),
    "elu": lambda x, options: np.where(x > 0, x, options["alpha"] * np.expm1(np.minimum(x, 0))),
    "gelu": lambda x, options: (
        0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x.astype(np.float64) ** 3)))
        if options["approximate"] == "tanh" else 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    "silu": lambda x, options: x / (1 + np.exp(-x.astype(np.float64))),
    "softplus": lambda x, options: np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))),
    "global_avg_pool2d": lambda x, options: x.mean(axis=(2, 3)),
    "global_max_pool2d": lambda x, options: x.max(axis=(2, 3)),
}


@pytest.mark.parametrize("name", ["binary", "sine", pytest.param("fashion_dropout",
                                                                   marks=needs_fashion)])
def test_npz_holds_every_array_and_a_description_enough_to_run(name, request, tmp_path):
    run_dir = request.getfixturevalue(name)
    result = export(run_dir, "--format", "npz")
    path = run_dir / "model.npz"
    assert result.stdout.startswith(f"wrote {path} (NumPy arrays: ")
    if name == "binary":
        assert result.stdout.splitlines()[2] == ("output  probabilities: float32 [batch, 1], "
                                                 "the probability p of class 1 (class 0: 1 - p)")
    run = load_run(run_dir)
    with np.load(path, allow_pickle=False) as data:
        stored = {key: data[key] for key in data.files}
    expected = {f"model[{index}].{param}": array for index, layer in enumerate(run.model.layers)
                for param, array in layer.params.items()}
    assert set(stored) == set(expected) | {"description"}
    for key, array in expected.items():
        assert stored[key].dtype == np.float32 and np.array_equal(stored[key], array)

    raw, prepared = raw_and_model_inputs(run)
    description, outputs = numpy_forward(path, raw)
    assert np.max(np.abs(outputs - run.outputs(prepared))) <= TOLERANCE
    assert description["format"] == "nnfs-cli model arrays"
    assert description["source"]["run"] == run_dir.name
    assert [layer["name"] for layer in description["layers"]] == [
        layer.name for layer in run.model.layers]
    assert description["layers"][0]["options"] == run.config["model"][0]["dense"]


# --- a layer the exporter knows, and one it does not ----------------------------------------

class ImageFlatten(Layer):
    """Takes (channels, height, width) pictures and flattens them, like the coming flatten."""

    input_layout = "image"

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training):
        self._shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, dvalues, need_dinputs=True):
        return dvalues.reshape(self._shape)


class Scale(Layer):
    """out = x * scale, a trained vector; the exporter has no converter for it."""

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


@pytest.fixture
def registered(request):
    """Register layers (and ONNX converters) for one test, and take them out afterwards."""
    added = []

    def register(name, cls, converter=None):
        LAYERS.register(name)(cls)
        added.append(name)
        if converter:
            CONVERTERS[name] = converter

    yield register
    for name in added:
        LAYERS._entries.pop(name)
        CONVERTERS.pop(name, None)


@needs_fashion
def test_a_converter_is_one_function_and_pictures_are_reshaped_for_it(registered, tmp_path,
                                                                       tmp_path_factory):
    def image_flatten(graph, layer, x):
        assert graph.input_shape == (1, 28, 28)
        return graph.node("Flatten", [x], axis=1)

    registered("export_test_flatten", ImageFlatten, image_flatten)
    config = FASHION_DROPOUT.replace("model:\n", "model:\n  - export_test_flatten\n")
    config = config.replace("PATH", str(fashion_subset(tmp_path_factory)))
    (tmp_path / "c.yaml").write_text(config)
    assert run_cli("train", tmp_path / "c.yaml", "--run-dir", tmp_path / "run", "-q").exit_code == 0
    export(tmp_path / "run")
    model = onnx.load(str(tmp_path / "run" / "model.onnx"))
    shape = [t for t in model.graph.initializer if t.name == "preprocessing.shape"][0]
    assert list(onnx.numpy_helper.to_array(shape)) == [-1, 1, 28, 28]
    assert model.graph.node[3].op_type == "Flatten"
    run = load_run(tmp_path / "run")
    assert run.input_shape == (1, 28, 28)
    raw, prepared = raw_and_model_inputs(run)
    assert_same_outputs(tmp_path / "run" / "model.onnx", run, raw, prepared)


def test_an_unknown_layer_is_refused_by_name(registered, write_config, tmp_path):
    registered("export_test_scale", Scale)
    config = write_config("""\
        seed: 0
        data: {name: spiral, samples: 20, classes: 2, validation_samples: 10}
        model: [export_test_scale, {dense: {units: 2}}, softmax]
        loss: categorical_crossentropy
        optimizer: adam
        training: {epochs: 2}
        """)
    run_dir = tmp_path / "run"
    assert run_cli("train", config, "--run-dir", run_dir, "-q").exit_code == 0
    result = run_cli("export", run_dir)
    assert result.exit_code == 1
    assert result.stderr == ("Error: model[0] export_test_scale: the ONNX exporter does not know "
                             "this layer (it converts avg_pool2d, batch_norm, conv2d, dense, "
                             "dropout, elu, flatten, gelu, global_avg_pool2d, "
                             "global_max_pool2d, leaky_relu, linear, max_pool2d, random_flip, "
                             "random_translation, relu, sigmoid, silu, softmax, softplus, "
                             "tanh); nothing was written\n")
    assert not (run_dir / "model.onnx").exists() and not list(run_dir.glob(".*.tmp"))
    # Plain arrays need no converter: every array is stored under its layer and name.
    export(run_dir, "--format", "npz")
    with np.load(run_dir / "model.npz", allow_pickle=False) as data:
        assert sorted(data.files) == ["description", "model[0].scale", "model[1].biases",
                                      "model[1].weights"]


# --- errors ----------------------------------------------------------------------------

def test_a_converter_that_builds_a_wrong_graph_writes_nothing(spiral, tmp_path, monkeypatch):
    def wrong_softmax(graph, layer, x):   # gives (batch, 5) where the output is (batch, 3)
        return graph.node("Gemm", [x, graph.constant("weights", np.ones((3, 5)))])

    monkeypatch.setitem(CONVERTERS, "softmax", wrong_softmax)
    result = run_cli("export", spiral, "-o", tmp_path / "m.onnx")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: the ONNX graph of {spiral} fails onnx's checker (")
    assert result.stderr.endswith("); nothing was written; please report this\n")
    assert len(result.stderr.splitlines()) == 1 and list(tmp_path.iterdir()) == []


def test_without_onnx_one_line_says_how_to_install_it(spiral, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)   # `import onnx` now raises ImportError
    result = run_cli("export", spiral, "-o", tmp_path / "m.onnx")
    assert result.exit_code == 1
    assert result.stderr == ("Error: ONNX export needs the onnx package: "
                             "pip install 'nnfs-cli[onnx]' (from a checkout: "
                             "pip install '.[onnx]')\n")
    assert not (tmp_path / "m.onnx").exists()
    assert run_cli("export", spiral, "--format", "npz", "-o", tmp_path / "m.npz").exit_code == 0


@pytest.mark.parametrize("target, message", [
    ("missing/m.onnx", "-o {path}: no such directory {parent}"),
    (".", "-o {path}: is a directory; give a file name"),
])
def test_a_bad_output_path_is_a_usage_error(spiral, tmp_path, target, message):
    path = tmp_path / target
    result = run_cli("export", spiral, "-o", path)
    assert result.exit_code == 2
    assert result.stderr == "Error: " + message.format(path=path, parent=path.parent) + "\n"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_an_unwritable_place_is_one_line(spiral):
    result = run_cli("export", spiral, "-o", "/proc/model.onnx")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: /proc/model.onnx: cannot write: ")
    assert len(result.stderr.splitlines()) == 1


def test_a_missing_run_or_best_parameters(spiral, tmp_path):
    result = run_cli("export", tmp_path / "nope")
    assert result.exit_code == 2   # the caller named a folder that is not there
    assert result.stderr == f"Error: {tmp_path / 'nope'}: no such run directory\n"
    (tmp_path / "copy").mkdir()
    for name in ("config.yaml", "params.pkl", "summary.json"):
        (tmp_path / "copy" / name).write_bytes((spiral / name).read_bytes())
    result = run_cli("export", tmp_path / "copy", "--best")
    assert result.exit_code == 1 and "params_best.pkl: no such file" in result.stderr


# --- the preprocessing contract -----------------------------------------------------------

@needs_fashion
def test_fashion_preprocessing_is_what_training_computes(fashion_dropout):
    run = load_run(fashion_dropout)
    steps = run.data.input_preprocessing()
    assert steps.raw_shape == (28, 28)
    splits = run.data.load(0)
    for shape in ((784,), (1, 28, 28)):
        fed = run.data.shaped(splits, shape).x_val
        assert np.array_equal(steps.apply(fed.images, shape), fed[:])   # bit for bit


def test_generated_data_sets_have_no_preprocessing(spiral, sine):
    assert load_run(spiral).data.input_preprocessing() is None
    assert load_run(sine).data.input_preprocessing() is None


# --- the real data set: the accuracy `nnfs evaluate` reports, from raw pixels -----------------

@pytest.mark.slow
def test_real_fashion_onnx_accuracy_equals_evaluate(real_fashion, repo_root, tmp_path):
    config = tmp_path / "fashion.yaml"
    config.write_text((repo_root / "configs" / "fashion.yaml").read_text()
                      .replace("../datasets/fashion_mnist_images", str(real_fashion)))
    run_dir = tmp_path / "run"
    trained_run = run_cli("train", config, "--epochs", "1", "--run-dir", run_dir, "-q")
    assert trained_run.exit_code == 0, trained_run.stderr
    evaluated = run_cli("evaluate", run_dir, "--json")
    assert evaluated.exit_code == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    assert (report["split"], report["samples"]) == ("test", 10_000)
    export(run_dir)

    _, _, pixels, labels = load_fashion(real_fashion)   # uint8 (10000, 28, 28), as the PNGs hold
    probabilities = onnx_outputs(run_dir / "model.onnx", pixels)
    correct = int(np.sum(np.argmax(probabilities, axis=1) == labels))
    assert correct / len(labels) == report["accuracy"]
    assert correct == round(report["accuracy"] * 10_000)
    run = load_run(run_dir)
    prepared = ((pixels.astype(np.float32) - 127.5) / 127.5).reshape(-1, 784)
    assert np.max(np.abs(probabilities - run.outputs(prepared))) <= TOLERANCE
