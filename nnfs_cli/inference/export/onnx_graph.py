"""A saved run as an ONNX model, built with the `onnx` package's helper API: the data set's
preprocessing (IsNaN and Where filling missing values, Sub, Div, Reshape), the layers through onnx_layers.CONVERTERS, the class
probabilities (or regression outputs scaled back to the targets' own scale: Mul, Add); float32, a dynamic batch axis, opset OPSET and IR version IR_VERSION."""


import numpy as np

from nnfs_cli import __version__, atomic, extras, json_text
from nnfs_cli.errors import NnfsError
from nnfs_cli.inference.export.interface import INPUT, batch_shape, describe, preprocessing_dict
from nnfs_cli.inference.export.onnx_layers import CONVERTERS

# Opset 17 and IR version 8 are those of onnx 1.12 (2022), which onnxruntime supports since
# 1.13.
OPSET = 17
IR_VERSION = 8
ONNX_MISSING = f"ONNX export needs the onnx package: {extras.install('onnx')}"


def import_onnx():
    """The onnx module; NnfsError saying how to install it when it is missing."""
    try:
        import onnx
    except ImportError:
        raise NnfsError(ONNX_MISSING) from None
    return onnx


class Graph:
    """Nodes and constants of a graph being built, named after the step they belong to
    (`model[2].dense.weights`), as onnx_layers' converters see it."""

    def __init__(self, onnx):
        self.onnx = onnx
        self.nodes, self.initializers = [], []
        self.scope, self.input_shape = "input", ()
        self._names = {INPUT}

    def constant(self, name, array, dtype=np.float32):
        """A constant tensor (an initializer); float32 unless `dtype` says otherwise."""
        array = np.ascontiguousarray(np.asarray(array, dtype=dtype))
        name = self._unique(f"{self.scope}.{name}")
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op, inputs, **attributes):
        """Add an `op` node on `inputs`; returns the name of its one output."""
        output = self._unique(f"{self.scope}.{op}")
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [output], name=output,
                                                     **attributes))
        return output

    def name_output(self, x, name):
        """Make the tensor `x` the graph output called `name`: rename the last node's output
        when `x` is it, else add an Identity (a graph of no nodes, say)."""
        if self.nodes and list(self.nodes[-1].output) == [x]:
            self.nodes[-1].output[0] = name
            return name
        self.nodes.append(self.onnx.helper.make_node("Identity", [x], [name], name=name))
        return name

    def _unique(self, name):
        candidate, number = name, 1
        while candidate in self._names:
            number += 1
            candidate = f"{name}.{number}"
        self._names.add(candidate)
        return candidate


def check_layers(model):
    """NnfsError naming every layer onnx_layers cannot convert (before anything is built)."""
    unknown = [f"model[{index}] {layer.name}" for index, layer in enumerate(model.layers)
               if getattr(layer, "name", None) not in CONVERTERS]
    if unknown:
        raise NnfsError(f"{', '.join(unknown)}: the ONNX exporter does not know this layer "
                        f"(it converts {', '.join(sorted(CONVERTERS))}); nothing was written")


def build(run, spec):
    """The onnx.ModelProto of `run` with the Interface `spec`, checked by onnx's checker."""
    onnx = import_onnx()
    check_layers(run.model)
    graph = Graph(onnx)
    x = INPUT
    if spec.preprocessing is not None and spec.preprocessing.fill is not None:
        # Missing cells (NaN) become the training rows' fill values, as nnfs predict fills
        # them; where nothing is filled the fill is NaN, so NaN stays NaN.
        graph.scope = "preprocessing"
        fill = graph.constant("fill", spec.preprocessing.fill)
        x = graph.node("Where", [graph.node("IsNaN", [x]), fill, x])
    if spec.preprocessing is not None:
        graph.scope = "preprocessing"
        x = graph.node("Sub", [x, graph.constant("subtract", spec.preprocessing.subtract)])
        x = graph.node("Div", [x, graph.constant("divide", spec.preprocessing.divide)])
    if spec.input_shape != spec.model_shape:
        graph.scope = "preprocessing"
        shape = graph.constant("shape", [-1, *spec.model_shape], dtype=np.int64)
        x = graph.node("Reshape", [x, shape])
    shapes = [spec.model_shape, *run.model.shapes]
    for index, layer in enumerate(run.model.layers):
        graph.scope, graph.input_shape = f"model[{index}].{layer.name}", shapes[index]
        x = CONVERTERS[layer.name](graph, layer, x)
    if spec.postprocessing is not None:   # standardised regression targets, scaled back
        graph.scope = "postprocessing"
        x = graph.node("Mul", [x, graph.constant("multiply", spec.postprocessing.multiply)])
        x = graph.node("Add", [x, graph.constant("add", spec.postprocessing.add)])
    if spec.two_columns:
        graph.scope = "probabilities"
        x = graph.node("Concat", [graph.node("Sub", [graph.constant("one", 1.0), x]), x], axis=1)
    graph.name_output(x, spec.output_name)
    return _model(onnx, graph, run, spec)


def _model(onnx, graph, run, spec):
    helper, FLOAT = onnx.helper, onnx.TensorProto.FLOAT
    body = helper.make_graph(
        graph.nodes, run.path.resolve().name or "nnfs",
        [helper.make_tensor_value_info(INPUT, FLOAT, batch_shape(spec.input_shape))],
        [helper.make_tensor_value_info(spec.output_name, FLOAT, batch_shape(spec.output_shape))],
        graph.initializers)
    model = helper.make_model(body, opset_imports=[helper.make_opsetid("", OPSET)],
                              ir_version=IR_VERSION, producer_name="nnfs-cli",
                              producer_version=__version__,
                              doc_string=f"nnfs run {body.name}, {run.params_path.name}")
    helper.set_model_props(model, metadata(run, spec))
    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as error:
        # A converter built something ONNX rejects: a bug, and no file is better than that.
        first = str(error).strip().splitlines()[0]
        raise NnfsError(f"the ONNX graph of {run.path} fails onnx's checker ({first}); "
                        "nothing was written; please report this") from None
    return model


def metadata(run, spec):
    """metadata_props: plain text, JSON where the value has structure."""
    description = describe(run, spec)
    preprocessing = preprocessing_dict(spec)
    return {
        "nnfs_version": __version__,
        "task": run.task,
        "class_names": json_text.dumps(spec.class_names),
        "input_layout": f"{spec.layout}; shape {json_text.dumps(batch_shape(spec.input_shape))}",
        "preprocessing": json_text.dumps(preprocessing) if preprocessing else "none",
        "postprocessing": (json_text.dumps(description["postprocessing"])
                           if description["postprocessing"] else "none"),
        "output": description["output"]["meaning"],
        "input_columns": (json_text.dumps(description["input"]["columns"])
                          if description["input"].get("columns") else "none"),
        "source": json_text.dumps(description["source"]),
        "description": json_text.dumps(description),
    }


def write(run, spec, output):
    """Build `run`'s ONNX model and write it to `output` (a path, written atomically, or an
    atomic.Output)."""
    model = build(run, spec)
    atomic.write_to(output, model.SerializeToString())
    return f"ONNX opset {OPSET}, IR version {IR_VERSION}, from {run.params_path.name}"
