"""ONNX export of tanh, leaky_relu, elu, gelu, silu, softplus and the global poolings: each
converter alone in onnxruntime against nnfs's forward pass (to float32's largest |x|), and
CNNs ending in global pooling trained through `nnfs train` and exported (ONNX and npz)."""

import json

import numpy as np
import pytest

from fashion_runs import run_cli, trained
from nnfs_cli.core.activations import ELU, GELU, LeakyReLU, SiLU, Softplus, Tanh
from nnfs_cli.core.layers import GlobalAvgPool2D, GlobalMaxPool2D
from nnfs_cli.inference.export import onnx_graph
from nnfs_cli.inference.export.onnx_layers import CONVERTERS
from nnfs_cli.registry import ACTIVATIONS, LAYERS
from nnfs_cli.runs.saved import load_run

try:
    import onnx
    import onnxruntime as ort
except ImportError:
    onnx = ort = None
needs_onnx = pytest.mark.skipif(ort is None, reason="needs onnx and onnxruntime")
TOLERANCE = 1e-5


def test_every_registered_layer_and_activation_has_a_converter():
    """The exporter refuses a layer it cannot convert; none of ours is such a layer."""
    assert set(LAYERS.names()) | set(ACTIVATIONS.names()) <= set(CONVERTERS)


def single_layer_model(layer, input_shape):
    """An ONNX model of `layer` alone, built by its converter as the exporter builds it."""
    graph = onnx_graph.Graph(onnx)
    graph.scope, graph.input_shape = f"model[0].{layer.name}", input_shape
    output_shape = layer.build(input_shape, np.random.default_rng(0))
    graph.name_output(CONVERTERS[layer.name](graph, layer, "input"), "output")
    helper, FLOAT = onnx.helper, onnx.TensorProto.FLOAT
    body = helper.make_graph(
        graph.nodes, "one-layer",
        [helper.make_tensor_value_info("input", FLOAT, ["batch", *input_shape])],
        [helper.make_tensor_value_info("output", FLOAT, ["batch", *output_shape])],
        graph.initializers)
    model = helper.make_model(body, opset_imports=[helper.make_opsetid("", onnx_graph.OPSET)],
                              ir_version=onnx_graph.IR_VERSION)
    onnx.checker.check_model(model, full_check=True)
    return model


def run_onnx(model, x):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    return session.run(None, {"input": np.asarray(x, dtype=np.float32)})[0]


def assert_close(got, expected):
    """Within TOLERANCE, or float32's relative precision where the values are large."""
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=TOLERANCE)


BIG = np.finfo(np.float32).max
ACTIVATIONS_TO_EXPORT = [
    (Tanh(), ["Tanh"]),
    (LeakyReLU(), ["LeakyRelu"]),
    (LeakyReLU(0.25), ["LeakyRelu"]),
    (ELU(), ["Elu"]),
    (ELU(0.4), ["Elu"]),
    (GELU(), ["Mul", "Erf", "Add", "Mul", "Mul"]),
    (GELU("tanh"), ["Pow", "Mul", "Add", "Mul", "Tanh", "Add", "Mul", "Mul"]),
    (SiLU(), ["Sigmoid", "Mul"]),
    (Softplus(), ["Softplus"]),
]


@needs_onnx
@pytest.mark.parametrize("layer, ops", ACTIVATIONS_TO_EXPORT,
                         ids=lambda item: getattr(item, "name", None) or "-".join(item))
def test_activation_converters_give_nnfs_values_at_every_size(layer, ops):
    """A dense grid over [-12, 12] and the large values a diverging net could give, up to
    float32's largest (onnxruntime's Softplus is computed without overflow too)."""
    model = single_layer_model(layer, (7,))
    assert [node.op_type for node in model.graph.node] == ops
    attributes = {a.name: a.f for node in model.graph.node for a in node.attribute}
    if hasattr(layer, "alpha"):
        assert attributes == {"alpha": pytest.approx(layer.alpha)}
    grid = np.linspace(-12, 12, 7 * 300, dtype=np.float32).reshape(-1, 7)
    large = np.array([[-BIG, -1e4, -100, -20, 20, 100, 1e4], [BIG, -88, 88, -1, 0, 1, 1e-3]],
                     np.float32)
    x = np.concatenate([grid, large])
    assert_close(run_onnx(model, x), layer.forward(x, training=False))


@needs_onnx
@pytest.mark.parametrize("layer, op", [(GlobalAvgPool2D(), "GlobalAveragePool"),
                                       (GlobalMaxPool2D(), "GlobalMaxPool")],
                         ids=["avg", "max"])
@pytest.mark.parametrize("shape", [(3, 5, 7), (2, 1, 1), (4, 1, 6)])
def test_global_pooling_converters_give_flat_nnfs_values(layer, op, shape):
    model = single_layer_model(layer, shape)
    assert [node.op_type for node in model.graph.node] == [op, "Flatten"]
    x = np.random.default_rng(1).standard_normal((6, *shape)).astype(np.float32) * 3
    got = run_onnx(model, x)
    assert got.shape == (6, shape[0])
    assert_close(got, layer.forward(x, training=False))


# --- CNNs that end in global pooling, trained by `nnfs train` --------------------------------

def pictures(folder, n=150, seed=0):
    """(n, 2, 6, 6) 'pictures' of three classes: noise around -1, 0 or +1 in the first
    channel, and a bright or dark square in the second."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(0, 0.5, (n, 2, 6, 6)).astype(np.float32)
    x[:, 0] += (y - 1)[:, None, None]
    x[:, 1, 1:4, 2:5] += (y == 2)[:, None, None] * 2 - 1
    path = folder / "pictures.npz"
    np.savez(path, x=x, y=y, x_test=x[:30], y_test=y[:30])
    return path


CONFIG = """\
seed: 0
data: {name: npz, path: PATH, validation_split: 0.2}
model:
MODEL
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.02}
training: {epochs: 12, batch_size: 32}
"""

STACKS = {
    "cnn-avg": ("""\
  - conv2d: {filters: 4, kernel_size: 3, init: he_uniform}
  - gelu
  - conv2d: {filters: 6, kernel_size: 3, padding: same, init: lecun_normal}
  - silu
  - global_avg_pool2d
  - dense: {units: 8, init: he_normal}
  - leaky_relu: {alpha: 0.1}
  - dense: 3
  - softmax
""", ["Conv", "Mul", "Erf", "Add", "Mul", "Mul", "Conv", "Sigmoid", "Mul", "GlobalAveragePool",
      "Flatten", "Gemm", "LeakyRelu", "Gemm", "Softmax"]),
    "cnn-max": ("""\
  - conv2d: {filters: 8, kernel_size: [3, 2], init: he_uniform}
  - elu: {alpha: 0.5}
  - global_max_pool2d
  - dense: {units: 8, init: glorot_uniform}
  - tanh
  - dense: {units: 8, init: glorot_uniform}
  - gelu: {approximate: tanh}
  - dense: {units: 8, init: glorot_uniform}
  - softplus
  - dense: 3
  - softmax
""", ["Conv", "Elu", "GlobalMaxPool", "Flatten", "Gemm", "Tanh", "Gemm", "Pow", "Mul", "Add",
      "Mul", "Tanh", "Add", "Mul", "Mul", "Gemm", "Softplus", "Gemm", "Softmax"]),
    # No convolution, so the npz description alone is enough to run the network.
    "pools-only": ("""\
  - global_max_pool2d
  - dense: {units: 8, init: he_normal}
  - leaky_relu
  - dense: {units: 8, init: he_uniform}
  - elu
  - dense: {units: 8, init: glorot_uniform}
  - gelu
  - dense: {units: 8, init: glorot_uniform}
  - gelu: {approximate: tanh}
  - dense: {units: 8, init: glorot_uniform}
  - silu
  - dense: {units: 8, init: glorot_uniform}
  - softplus
  - dense: {units: 8, init: lecun_normal}
  - tanh
  - dense: 3
  - softmax
""", None),
}


@pytest.fixture(scope="module")
def data_path(tmp_path_factory):
    return pictures(tmp_path_factory.mktemp("global-pool-data"))


def train_stack(tmp_path_factory, data_path, name):
    config = CONFIG.replace("PATH", str(data_path)).replace("MODEL\n", STACKS[name][0])
    return trained(tmp_path_factory, f"global-{name}", config)


@needs_onnx
@pytest.mark.parametrize("name", ["cnn-avg", "cnn-max", "pools-only"])
def test_trained_runs_export_to_onnx_with_nnfs_probabilities(name, data_path,
                                                            tmp_path_factory, tmp_path):
    run_dir = train_stack(tmp_path_factory, data_path, name)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["val_accuracy"] >= 0.8, summary   # the new layers learn
    path = tmp_path / "model.onnx"
    result = run_cli("export", run_dir, "-o", path)
    assert result.exit_code == 0, result.stderr
    assert "input   input: float32 [batch, 2, 6, 6]" in result.stdout
    ops = [node.op_type for node in onnx.load(str(path)).graph.node]
    if STACKS[name][1] is not None:   # after the npz data set's (identity) preprocessing
        assert ops == ["Sub", "Div", *STACKS[name][1]]
    run = load_run(run_dir)
    with np.load(data_path) as arrays:
        x = arrays["x"]
    got = run_onnx(onnx.load(str(path)), x)
    expected = run.outputs(x)
    assert np.max(np.abs(got - expected)) <= TOLERANCE
    assert np.array_equal(np.argmax(got, axis=1), np.argmax(expected, axis=1))


def test_the_npz_description_says_what_each_new_layer_computes(data_path, tmp_path_factory,
                                                               tmp_path):
    from test_export import numpy_forward

    run_dir = train_stack(tmp_path_factory, data_path, "pools-only")
    result = run_cli("export", run_dir, "--format", "npz", "-o", tmp_path / "model.npz")
    assert result.exit_code == 0, result.stderr
    with np.load(data_path) as arrays:
        x = arrays["x"]
    description, outputs = numpy_forward(tmp_path / "model.npz", x)
    assert np.max(np.abs(outputs - load_run(run_dir).outputs(x))) <= TOLERANCE
    layers = description["layers"]
    assert all("computes" in layer for layer in layers)
    assert layers[0]["computes"].startswith("the largest value of x over height and width")
    assert (layers[2]["computes"], layers[2]["options"]) == ("x where x > 0, else alpha * x",
                                                            {"alpha": 0.01})
    assert [layer["computes"] for layer in layers if layer["name"] == "gelu"] == [
        "0.5 * x * (1 + erf(x / sqrt(2)))",
        "0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))"]
    assert description["layers"][0]["input_shape"] == [2, 6, 6]
    assert description["layers"][0]["output_shape"] == [2]
