"""`nnfs export --format npz`: every parameter array of a run under the key
`model[INDEX].NAME` (`model[0].weights`), plus `description`: UTF-8 JSON (as uint8 bytes) of
where the model came from, its input and preprocessing, the layer stack and the output.
Arrays only, so `np.load(path, allow_pickle=False)` and npy readers in other languages read it.
"""

import io

import numpy as np

from nnfs_cli import atomic, json_text
from nnfs_cli.registry import parse_entry
from nnfs_cli.inference.export.interface import describe

DESCRIPTION = "description"
FORMAT = "nnfs-cli model arrays"
FORMAT_VERSION = 1

# What layers compute, for readers of the description (x: (batch, features), or (batch,
# channels, height, width) for the global poolings; options such as alpha are the layer's
# `options`). A function of the options where the formula depends on one.
COMPUTES = {
    "dense": "x @ weights + biases",
    "relu": "max(x, 0)",
    "sigmoid": "1 / (1 + exp(-x))",
    "softmax": "exp(x - max(x)) / sum(exp(x - max(x))) over the last axis",
    "linear": "x",
    "dropout": "x (dropout acts only in training)",
    "tanh": "tanh(x)",
    "leaky_relu": "x where x > 0, else alpha * x",
    "elu": "x where x > 0, else alpha * (exp(x) - 1)",
    "gelu": lambda options: (
        "0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))"
        if options.get("approximate") == "tanh" else "0.5 * x * (1 + erf(x / sqrt(2)))"),
    "silu": "x / (1 + exp(-x))",
    "softplus": "log(1 + exp(x)), computed as max(x, 0) + log(1 + exp(-abs(x)))",
    "global_avg_pool2d": "the mean of x over height and width (axes 2 and 3): (batch, "
                         "channels, height, width) -> (batch, channels)",
    "global_max_pool2d": "the largest value of x over height and width (axes 2 and 3): "
                         "(batch, channels, height, width) -> (batch, channels)",
}


def arrays(run):
    """{key: float32 array} for every parameter of every layer, in stack order."""
    return {f"model[{index}].{name}": np.asarray(array, dtype=np.float32)
            for index, layer in enumerate(run.model.layers)
            for name, array in layer.params.items()}


def description(run, spec):
    """The JSON-able description stored beside the arrays."""
    shapes = [spec.model_shape, *run.model.shapes]
    layers = []
    for index, (layer, entry) in enumerate(zip(run.model.layers, run.config["model"])):
        item = {"index": index, "name": layer.name, "options": parse_entry(entry)[1],
                "input_shape": list(shapes[index]), "output_shape": list(shapes[index + 1]),
                "params": {name: f"model[{index}].{name}" for name in layer.params}}
        computes = COMPUTES.get(layer.name)
        if computes is not None:
            item["computes"] = computes(item["options"]) if callable(computes) else computes
        layers.append(item)
    return {"format": FORMAT, "format_version": FORMAT_VERSION, **describe(run, spec),
            "layers": layers}


def write(run, spec, output):
    """Write the arrays and the description to `output` (a path, written atomically, or an
    atomic.Output); returns what was written."""
    stored = arrays(run)
    text = json_text.dumps(description(run, spec), indent=2)
    stored[DESCRIPTION] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **stored)
    atomic.write_to(output, buffer.getvalue())
    count = len(stored) - 1
    return (f"NumPy arrays: {count} parameter array(s), the JSON description under "
            f"'{DESCRIPTION}'; from {run.params_path.name}")
