"""The `npz` data set end to end through the installed `nnfs`: labels and class names from the
arrays, a test split, picture-shaped samples, .npy predictions, regression, bad files."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from nnfs_cli.data.npz_arrays import NpzArrays
from nnfs_cli.errors import NnfsError
from own_data import classifier, config, nnfs, regressor


def blobs(n, seed, shape=(4, 4)):
    """Samples of `shape` around -1, 0 or +1 (by class 0, 1, 2), and their labels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(0, 0.4, (n, *shape)) + (y - 1).reshape(-1, *[1] * len(shape))
    return x.astype(np.float32), y


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    """A run trained on 4x4 'pictures' with x_test and y_test, by the installed nnfs."""
    folder = tmp_path_factory.mktemp("npz")
    x, y = blobs(300, 0)
    x_test, y_test = blobs(60, 1)
    np.savez(folder / "arrays.npz", x=x, y=y, x_test=x_test, y_test=y_test)
    config(folder, "name: npz\npath: arrays.npz\nclass_names: [low, middle, high]\n",
           classifier(3), epochs=10)
    done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=folder)
    assert done.code == 0, done.stderr
    return folder, folder / "run", done


def test_npz_trains_on_its_arrays_with_their_classes(pictures):
    folder, run, done = pictures
    assert "arrays.npz: 300 samples of shape (4, 4) and 60 test samples; classification, " \
           "3 classes (low, middle, high)" in done.stderr
    assert "(16,)" in done.stderr   # a dense stack takes the pictures flattened
    summary = json.loads((run / "summary.json").read_text())
    assert summary["class_names"] == ["low", "middle", "high"]
    assert summary["test_accuracy"] > 0.9
    assert summary["data_state"]["shape"] == [4, 4]
    report = nnfs("evaluate", run, "--json", cwd=run).json()
    assert report["split"] == "test" and report["samples"] == 60
    assert report["accuracy"] == pytest.approx(summary["test_accuracy"])


def test_npz_predicts_npy_samples_one_or_many(pictures, tmp_path):
    _, run, _ = pictures
    x, y = blobs(5, 2)
    np.save(tmp_path / "many.npy", x)
    np.save(tmp_path / "one.npy", x[0])
    np.save(tmp_path / "flat.npy", x.reshape(5, 16))
    many = nnfs("predict", tmp_path / "many.npy", "--run", run, "--json").json()
    assert [r["label"] for r in many] == [["low", "middle", "high"][label] for label in y]
    assert [(r["path"], r["row"]) for r in many] == [(str(tmp_path / "many.npy"), row)
                                                     for row in range(1, 6)]
    one = nnfs("predict", tmp_path / "one.npy", "--run", run, "--json").json()
    assert [r["top_k"] for r in one] == [many[0]["top_k"]]
    flat = nnfs("predict", tmp_path / "flat.npy", "--run", run, "--json").json()
    assert [r["top_k"] for r in flat] == [r["top_k"] for r in many]
    np.save(tmp_path / "wrong.npy", np.zeros((2, 5, 5)))
    done = nnfs("predict", tmp_path / "wrong.npy", "--run", run)
    assert (done.code, done.stderr) == (1, f"Error: {tmp_path / 'wrong.npy'}: an array of shape "
                                           "(2, 5, 5), but the model takes samples of shape "
                                           "(4, 4) (one, or many along a first axis)\n")


def test_npz_text_labels_key_names_and_regression(tmp_path):
    x, y = blobs(200, 3, shape=(3,))
    np.savez(tmp_path / "a.npz", features=x, kinds=np.array(["cat", "dog", "eel"])[y])
    config(tmp_path, "name: npz\npath: a.npz\nx: features\ny: kinds\n", classifier(3),
           epochs=5)
    done = nnfs("train", "config.yaml", "--run-dir", "cls", "-q", cwd=tmp_path)
    assert done.code == 0, done.stderr
    summary = json.loads((tmp_path / "cls" / "summary.json").read_text())
    assert summary["class_names"] == ["cat", "dog", "eel"] and summary["val_accuracy"] > 0.8

    values = (x @ np.array([1.0, -2.0, 0.5])).astype(np.float32)
    np.savez(tmp_path / "r.npz", x=x, y=values)
    config(tmp_path, "name: npz\npath: r.npz\n", regressor(), loss="mean_squared_error",
           epochs=40)
    done = nnfs("train", "config.yaml", "--run-dir", "reg", "-q", cwd=tmp_path)
    assert done.code == 0, done.stderr
    np.save(tmp_path / "q.npy", x[:3])
    results = nnfs("predict", tmp_path / "q.npy", "--run", tmp_path / "reg", "--json").json()
    assert np.allclose([r["value"] for r in results], values[:3], atol=0.3)


@pytest.mark.parametrize("arrays, code, message", [
    ({"x": np.zeros((4, 2)), "labels": np.zeros(4)}, 2,
     "config.yaml: data.y: no array 'y' in {path}; it holds x, labels"),
    ({"x": np.zeros((4, 2)), "y": np.zeros(3)}, 1, "{path}: y has 3 rows, but there are 4 samples"),
    ({"x": np.array([[0.0, np.nan]] * 4), "y": np.arange(4) % 2}, 1,
     "{path}: x[0, 1] is nan; expected finite numbers"),
    ({"x": np.zeros((4, 2)), "y": np.arange(4) % 2, "x_test": np.zeros((2, 2))}, 1,
     "{path}: holds 'x_test' but no 'y_test'; a test split needs both"),
    ({"x": np.zeros((20, 2)), "y": np.arange(20) / 4}, 2,
     "config.yaml: loss: categorical_crossentropy is for classification, but data set 'npz' is "
     "for regression (found in the data; set data.task to choose)"),
], ids=["missing-key", "lengths", "nan", "half-test", "regression-values"])
def test_bad_npz_files(tmp_path, arrays, code, message):
    path = tmp_path / "a.npz"
    np.savez(path, **arrays)
    config(tmp_path, "name: npz\npath: a.npz\n", classifier(2))
    done = nnfs("train", "config.yaml", "--run-dir", "run", cwd=tmp_path)
    assert (done.code, done.stderr) == (code, f"Error: {message.format(path=path)}\n")
    assert not (tmp_path / "run").exists()


def test_objects_and_other_files_are_refused(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, x=np.array([{"a": 1}] * 3, dtype=object), y=np.zeros(3))
    with pytest.raises(NnfsError, match=r"a.npz\[x\]: holds Python objects, not numbers"):
        NpzArrays(str(path)).load(0)
    np.save(tmp_path / "b.npy", np.zeros(3))
    with pytest.raises(NnfsError, match="a single .npy array; expected a .npz file"):
        NpzArrays(str(tmp_path / "b.npy")).load(0)
    Path(tmp_path / "c.npz").write_text("hello")
    with pytest.raises(NnfsError, match="c.npz is not a valid zip archive"):
        NpzArrays(str(tmp_path / "c.npz")).load(0)
    os.mkfifo(tmp_path / "d.npz")   # a FIFO never blocks the reader
    with pytest.raises(NnfsError, match="d.npz: is a FIFO, not a regular file"):
        NpzArrays(str(tmp_path / "d.npz")).load(0)


def test_picture_shaped_samples_feed_image_layers(tmp_path):
    x, y = blobs(20, 0, shape=(2, 3, 3))
    np.savez(tmp_path / "a.npz", x=x, y=y)
    data = NpzArrays(str(tmp_path / "a.npz"))
    splits = data.load(0)
    assert data.input_shape == (18,) and data.image_shape == (2, 3, 3)
    shaped = data.shaped(splits, data.image_shape)
    assert np.array_equal(shaped.x_train.reshape(len(shaped.x_train), -1), splits.x_train)
