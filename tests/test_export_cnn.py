"""ONNX export of convolutional runs: Conv, MaxPool, AveragePool, Flatten and
BatchNormalization give nnfs's own probabilities in onnxruntime, from raw pixel values, for
every padding, stride and window shape the layers take."""

import json

import numpy as np
import pytest

from fashion_runs import FASHION_CNN, fashion_subset, needs_fashion, run_cli, trained
from nnfs_cli.runs.saved import load_run
from test_export import assert_same_outputs, export, onnx_outputs, raw_and_model_inputs

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytestmark = needs_fashion

HEAD = FASHION_CNN.split("model:\n")[0] + "model:\n"
TAIL = """\
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.005}
training: {epochs: 1, batch_size: 64}
"""

# Stacks with the geometry the fixture run lacks: strides, rectangular and even kernels
# ("same" then pads more after than before), overlapping and rectangular pools, batch norm
# on flat features.
STACKS = {
    "strided-same": """\
  - conv2d: {filters: 4, kernel_size: [3, 2], stride: 2, padding: same}
  - batch_norm: {momentum: 0.5}
  - relu
  - max_pool2d: {pool_size: 3, stride: 1}
  - flatten
  - dense: {units: 10}
  - softmax
""",
    "even-kernel": """\
  - conv2d: {filters: 3, kernel_size: 4, padding: same, stride: [1, 3]}
  - avg_pool2d: {pool_size: [2, 3], stride: [3, 1]}
  - conv2d: {filters: 2, kernel_size: [1, 5]}
  - flatten
  - dense: {units: 16}
  - batch_norm: {momentum: 0.5, epsilon: 0.01}
  - relu
  - dense: {units: 10}
  - softmax
""",
}


def op_types(path):
    return [node.op_type for node in onnx.load(str(path)).graph.node]


def test_the_cnn_run_exports_every_image_layer(fashion_cnn, tmp_path):
    path = tmp_path / "model.onnx"
    result = export(fashion_cnn, "-o", path)
    assert "input   input: float32 [batch, 28, 28], 28x28 gray pixel values 0-255" \
        in result.stdout, result.stdout
    assert op_types(path) == ["Sub", "Div", "Reshape", "Conv", "Relu", "MaxPool", "Conv",
                              "BatchNormalization", "Relu", "AveragePool", "Flatten", "Gemm",
                              "Softmax"]
    run = load_run(fashion_cnn)
    raw, prepared = raw_and_model_inputs(run)
    assert_same_outputs(path, run, raw, prepared)


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_every_padding_stride_and_window_gives_nnfs_probabilities(stack, tmp_path_factory,
                                                                  tmp_path):
    config = (HEAD + STACKS[stack] + TAIL).replace("PATH", str(fashion_subset(tmp_path_factory)))
    run_dir = trained(tmp_path_factory, f"onnx-{stack}", config)
    run = load_run(run_dir)
    norms = [layer for layer in run.model.layers if layer.name == "batch_norm"]
    # A trained run: the running statistics moved away from 0 and 1, so they are exported.
    assert norms and all(np.ptp(layer.params["running_mean"]) > 0 for layer in norms)
    export(run_dir, "-o", tmp_path / "model.onnx")
    raw, prepared = raw_and_model_inputs(run)
    assert_same_outputs(tmp_path / "model.onnx", run, raw, prepared)


def test_onnx_classes_match_evaluate_on_the_test_split(fashion_cnn, tmp_path):
    """The exported model's accuracy on the raw test pictures is the accuracy `nnfs evaluate`
    reports for the run."""
    export(fashion_cnn, "-o", tmp_path / "model.onnx")
    run = load_run(fashion_cnn)
    splits = run.data.load(run.config["seed"])
    classes = np.argmax(onnx_outputs(tmp_path / "model.onnx", splits.x_test.images), axis=1)
    evaluated = json.loads(run_cli("evaluate", fashion_cnn, "--json").stdout)
    assert np.mean(classes == splits.y_test) == pytest.approx(evaluated["accuracy"], abs=1e-9)
