"""book_data makes the PyPI `nnfs` package's data number for number, and the shipped configs
the same arrays as before issue 17. References: tests/make_book_data_reference.py.

NumPy's float64 sin and cos differ in the last bit across NumPy versions and CPUs (SIMD
kernels), and the book's package inherits that: float64 values are compared to a few units
in the last place, and exactly once cast to float32, the precision the data sets use."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import nnfs_cli  # noqa: F401 (fills every registry)
from nnfs_cli.data import book_data
from nnfs_cli.runs import components as build
from nnfs_cli import config as configs
from nnfs_cli.registry import DATASETS

DATA = Path(__file__).resolve().parent / "data"
REFERENCE = json.loads((DATA / "book_data_reference.json").read_text())
with np.load(DATA / "book_data_reference.npz", allow_pickle=False) as _arrays:
    ARRAYS = dict(_arrays)


def digest(array):
    array = np.ascontiguousarray(array)
    if array.dtype.kind == "f":
        array = array.astype(np.float32)
    return {"shape": list(array.shape), "dtype": array.dtype.str,
            "sha256": hashlib.sha256(array.tobytes()).hexdigest()}


def generate(name, seed, samples, classes):
    if name == "sine":
        return book_data.sine_data(samples)
    function = {"spiral": book_data.spiral_data, "vertical": book_data.vertical_data}[name]
    return function(samples, classes, np.random.RandomState(seed))


def _small_cases():
    """(key, name, seed, samples, classes) of the arrays stored whole, keyed
    NAME_SEED_SAMPLES_CLASSES or sine_SAMPLES."""
    cases = []
    for key in sorted(k[:-2] for k in ARRAYS if k.endswith("_x")):
        name, *numbers = key.split("_")
        if name == "sine":
            numbers = [None, *numbers, None]
        seed, samples, classes = (None if n is None else int(n) for n in numbers)
        cases.append(pytest.param(key, name, seed, samples, classes, id=key))
    return cases


@pytest.mark.parametrize("key, name, seed, samples, classes", _small_cases())
def test_small_sets_equal_the_book_arrays(key, name, seed, samples, classes):
    x, y = generate(name, seed, samples, classes)
    for ours, theirs in ((x, ARRAYS[f"{key}_x"]), (y, ARRAYS[f"{key}_y"])):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        if ours.dtype.kind == "f":
            np.testing.assert_array_max_ulp(ours, theirs, maxulp=4)
            np.testing.assert_array_equal(ours.astype(np.float32), theirs.astype(np.float32))
        else:
            np.testing.assert_array_equal(ours, theirs)


def _digest_cases():
    """(name, case) of each digest, with an id such as spiral-0-1000-3 (seed, samples, classes)."""
    cases = []
    for name, entries in REFERENCE["book"].items():
        for case in entries:
            numbers = [str(case[key]) for key in ("seed", "samples", "classes") if key in case]
            cases.append(pytest.param(name, case, id="-".join([name, *numbers])))
    return cases


@pytest.mark.parametrize("name, case", _digest_cases())
def test_larger_sets_match_the_book_digests(name, case):
    x, y = generate(name, case.get("seed"), case["samples"], case.get("classes"))
    assert digest(x) == case["x"] and digest(y) == case["y"]


@pytest.mark.parametrize("name", ["spiral", "vertical", "sine"])
def test_shipped_configs_make_the_same_data_as_before(repo_root, name):
    config = configs.load(repo_root / "configs" / f"{name}.yaml")
    expected = REFERENCE["configs"][name]
    assert config["seed"] == expected["seed"] == 0
    splits = build.dataset(config).load(config["seed"])
    for key in ("x_train", "y_train", "x_val", "y_val"):
        assert digest(getattr(splits, key)) == expected[key], key


def test_loading_neither_reads_nor_moves_numpys_global_generator():
    spiral = DATASETS.create({"spiral": {"samples": 20}})
    saved, runs = np.random.get_state(), []
    try:
        for global_seed in (5, 6):
            np.random.seed(global_seed)
            before = np.random.get_state()
            runs.append(spiral.load(seed=1))
            after = np.random.get_state()
            np.testing.assert_array_equal(after[1], before[1])
            assert after[2] == before[2]
    finally:
        np.random.set_state(saved)
    for key in ("x_train", "y_train", "x_val", "y_val"):
        np.testing.assert_array_equal(getattr(runs[0], key), getattr(runs[1], key))
