"""Record what the book's PyPI package `nnfs` generates, for tests/test_book_data.py.

Made once with nnfs 0.5.1 and numpy 2.4.6, outside the project (which no longer needs `nnfs`):

    python3 -m venv /tmp/nnfsref && /tmp/nnfsref/bin/pip install nnfs numpy pyyaml
    /tmp/nnfsref/bin/python tests/make_book_data_reference.py

It writes tests/data/book_data_reference.npz (full arrays of small cases) and
tests/data/book_data_reference.json (sha256 of the bytes of larger ones, floats cast to float32
as our data sets use them: NumPy's float64 sin and cos differ in the last bit across NumPy
versions and CPUs, and the book's package inherits that). The "configs" part
repeats what nnfs_cli/datasets.py did before issue 17 (seed NumPy's global generator, training
data then validation data from the same stream, cast to float32/int64); its digests were checked
equal to that code's `load(0)` when recorded. This script never imports nnfs_cli.
"""

import hashlib
import json
from pathlib import Path

import numpy as np
import yaml
from nnfs.datasets import sine_data, spiral_data, vertical_data

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "data" / "book_data_reference"

# (seed, samples, classes): small ones stored whole, larger ones as digests.
SMALL = [(0, 5, 3), (1, 1, 2), (7, 10, 1), (42, 8, 5)]
LARGE = [(0, 1000, 3), (3, 100, 3), (123, 500, 7), (2**32 - 1, 64, 2)]
SINE_SMALL = [1, 7, 20]
SINE_LARGE = [250, 1000, 12345]


def digest(array):
    """Shape, dtype and sha256 of the C-ordered bytes of `array` (floats as float32)."""
    array = np.ascontiguousarray(array)
    if array.dtype.kind == "f":
        array = array.astype(np.float32)
    return {"shape": list(array.shape), "dtype": array.dtype.str,
            "sha256": hashlib.sha256(array.tobytes()).hexdigest()}


def seeded(function, seed, *args):
    np.random.seed(seed)
    return function(*args)


def old_config_path(name):
    """The arrays the pre-issue-17 nnfs_cli made from configs/NAME.yaml."""
    config = yaml.safe_load((ROOT / "configs" / f"{name}.yaml").read_text())
    data = config["data"]
    if name == "sine":
        (x_train, y_train), (x_val, y_val) = (sine_data(data["samples"]),
                                              sine_data(data["validation_samples"]))
        y_type = np.float32
    else:
        function = {"spiral": spiral_data, "vertical": vertical_data}[name]
        np.random.seed(config["seed"])
        x_train, y_train = function(data["samples"], data["classes"])
        x_val, y_val = function(data["validation_samples"], data["classes"])
        y_type = np.int64
    arrays = {"x_train": x_train.astype(np.float32), "y_train": y_train.astype(y_type),
              "x_val": x_val.astype(np.float32), "y_val": y_val.astype(y_type)}
    return {"seed": config["seed"], **{key: digest(value) for key, value in arrays.items()}}


def main():
    import nnfs

    arrays, book = {}, {"spiral": [], "vertical": [], "sine": []}
    for name, function in (("spiral", spiral_data), ("vertical", vertical_data)):
        for seed, samples, classes in SMALL:
            x, y = seeded(function, seed, samples, classes)
            arrays[f"{name}_{seed}_{samples}_{classes}_x"] = x
            arrays[f"{name}_{seed}_{samples}_{classes}_y"] = y
        for seed, samples, classes in LARGE:
            x, y = seeded(function, seed, samples, classes)
            book[name].append({"seed": seed, "samples": samples, "classes": classes,
                               "x": digest(x), "y": digest(y)})
    for samples in SINE_SMALL:
        arrays[f"sine_{samples}_x"], arrays[f"sine_{samples}_y"] = sine_data(samples)
    for samples in SINE_LARGE:
        x, y = sine_data(samples)
        book["sine"].append({"samples": samples, "x": digest(x), "y": digest(y)})

    OUT.parent.mkdir(exist_ok=True)
    np.savez_compressed(OUT.with_suffix(".npz"), **arrays)
    record = {"made_with": f"nnfs {nnfs.__version__}, numpy {np.__version__}", "book": book,
              "configs": {name: old_config_path(name) for name in ("spiral", "vertical", "sine")}}
    OUT.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
