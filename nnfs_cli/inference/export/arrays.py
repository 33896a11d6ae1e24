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

# What the book's layers compute, for readers of the description (x: (batch, features)).
COMPUTES = {
    "dense": "x @ weights + biases",
    "relu": "max(x, 0)",
    "sigmoid": "1 / (1 + exp(-x))",
    "softmax": "exp(x - max(x)) / sum(exp(x - max(x))) over the last axis",
    "linear": "x",
    "dropout": "x (dropout acts only in training)",
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
        if layer.name in COMPUTES:
            item["computes"] = COMPUTES[layer.name]
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
