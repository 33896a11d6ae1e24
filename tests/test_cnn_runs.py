"""Convolutional runs end to end through `nnfs train`, `evaluate` and `predict`: the figures of
the end of training, photos, bit-exact resume, Ctrl-C, divergence, and params.pkl read back
through the restricted unpickler."""

import json
import os
import pickle
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import write_fashion_zip
from fashion_runs import PANTS, needs_fashion, run_cli
from nnfs_cli import config as configs
from nnfs_cli.runs import components
from nnfs_cli.runs.safe_pickle import load as load_pickle
from test_predict import as_photo, held_out_images, write_image

NNFS = str(Path(sys.executable).parent / "nnfs")


def summary_of(run_dir):
    return json.loads((Path(run_dir) / "summary.json").read_text())


def close(value):
    return pytest.approx(value, rel=1e-6, abs=1e-7)


# --- a run on real images: evaluate and predict give the figures of the end of training -----


@needs_fashion
def test_the_summary_shows_every_output_shape(fashion_cnn):
    log = (fashion_cnn / "train.log").read_text()
    assert "data: fashion_mnist, 900 training and 100 validation samples of shape (1, 28, 28)" \
        in log
    shapes = [line.split()[:4] for line in log.splitlines()
              if line.split()[:1] and line.split()[0] in ("conv2d", "max_pool2d", "avg_pool2d",
                                                          "batch_norm", "flatten")]
    assert shapes == [["conv2d", "(8,", "26,", "26)"], ["max_pool2d", "(8,", "13,", "13)"],
                      ["conv2d", "(8,", "13,", "13)"], ["batch_norm", "(8,", "13,", "13)"],
                      ["avg_pool2d", "(8,", "6,", "6)"], ["flatten", "(288,)", "0"]]
    assert summary_of(fashion_cnn)["input_shape"] == [1, 28, 28]


@needs_fashion
def test_evaluate_gives_the_figures_of_the_end_of_training(fashion_cnn):
    summary = summary_of(fashion_cnn)
    assert summary["test_accuracy"] > 0.6        # 300 test images, chance is 0.1
    test = json.loads(run_cli("evaluate", fashion_cnn, "--json").stdout)
    assert test["split"] == "test" and test["samples"] == 300
    assert test["loss"] == close(summary["test_loss"])
    assert test["accuracy"] == close(summary["test_accuracy"])
    validation = json.loads(run_cli("evaluate", fashion_cnn, "--split", "validation",
                                    "--json").stdout)
    assert validation["loss"] == close(summary["val_loss"])
    assert validation["accuracy"] == close(summary["val_accuracy"])


@needs_fashion
def test_predict_on_rows_gives_the_test_accuracy(fashion_cnn, tmp_path):
    """Rows of 784 values are shaped (1, 28, 28) for the network: the same classes as the
    test evaluation at the end of training."""
    config = configs.load(fashion_cnn / "config.yaml")
    splits = components.dataset(config).load(config["seed"])
    rows = tmp_path / "test.npy"
    np.save(rows, np.asarray(splits.x_test).reshape(-1, 784))
    result = run_cli("predict", rows, "--run", fashion_cnn, "--json")
    assert result.exit_code == 0, result.stderr
    predicted = [item["index"] for item in json.loads(result.stdout)]
    assert len(predicted) == 300
    accuracy = np.mean(np.array(predicted) == splits.y_test)
    assert accuracy == close(summary_of(fashion_cnn)["test_accuracy"])


@needs_fashion
def test_photos_are_shaped_for_the_network(fashion_cnn, tmp_path):
    pictures, labels = held_out_images(fashion_cnn)
    rng = np.random.default_rng(0)
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(0, len(pictures), 3):
        write_image(folder / f"{index:04d}.jpg", as_photo(pictures[index], rng))
    result = run_cli("predict", folder, "--run", fashion_cnn, "--json")
    assert result.exit_code == 0, result.stderr
    predicted = np.array([item["index"] for item in json.loads(result.stdout)])
    assert len(predicted) == 100
    accuracy = np.mean(predicted == labels[::3])
    assert accuracy >= summary_of(fashion_cnn)["test_accuracy"] - 0.1
    if PANTS.exists():
        [pants] = json.loads(run_cli("predict", PANTS, "--run", fashion_cnn, "--json").stdout)
        assert pants["label"] == "Trouser"


@needs_fashion
def test_params_pkl_holds_arrays_in_the_onnx_layout(fashion_cnn):
    saved = load_pickle(fashion_cnn / "params.pkl")
    assert [tuple(array.shape for array in arrays) for arrays in saved] == [
        ((8, 1, 3, 3), (8,)),                          # conv: (filters, channels, kh, kw)
        ((8, 8, 3, 3), (8,)),
        ((8,), (8,), (8,), (8,)),                      # batch norm: scale, shift, mean, var
        ((288, 10), (1, 10)),
    ]
    scale, shift, mean, var = saved[2]
    assert np.all(var > 0) and not np.allclose(mean, 0) and not np.allclose(var, 1)
    assert all(array.dtype == np.float32 for arrays in saved for array in arrays)


# --- resume, Ctrl-C, divergence, crafted files (small generated images) ---------------------


CNN = """\
seed: 5
data: {name: fashion_mnist, path: PATH, validation_split: 0.2}
model:
  - random_flip: {mode: both}        # augmentation draws must resume bit for bit too
  - random_translation: {pixels: 2}
  - conv2d: {filters: 4, kernel_size: 3, stride: 2, init: he_normal}
  - batch_norm
  - relu
  - max_pool2d: {pool_size: 3, stride: 2}
  - flatten
  - dense: {units: 16, init: he_normal}
  - relu
  - dropout: {rate: 0.2}
  - dense: {units: 10}
  - softmax
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.01}
# Saved at the end (or a stop) only: a save draws curves.png, which costs more than an epoch.
training: {epochs: EPOCHS, batch_size: 4, checkpoint_seconds: 1000}
"""


@pytest.fixture(scope="module")
def small_images(tmp_path_factory):
    from nnfs_cli.data.fashion_download import download_fashion
    root = tmp_path_factory.mktemp("small-fashion")
    archive = write_fashion_zip(root / "small.zip", per_label=12)
    return download_fashion(archive.as_uri(), root / "datasets")


@pytest.fixture
def cnn_config(small_images, write_config):
    def make(epochs, **replace):
        text = CNN.replace("PATH", str(small_images)).replace("EPOCHS", str(epochs))
        for old, new in replace.items():
            text = text.replace(old, new)
        return write_config(text, f"cnn-{epochs}.yaml")
    return make


def same_params(a, b):
    return (len(a) == len(b)
            and all(len(x) == len(y) and all(np.array_equal(u, v) for u, v in zip(x, y))
                    for x, y in zip(a, b)))


@pytest.fixture(scope="module")
def straight(small_images, tmp_path_factory):
    """The CNN config trained for 30 epochs without a stop: (config, run directory)."""
    root = tmp_path_factory.mktemp("straight")
    config = root / "cnn.yaml"
    config.write_text(CNN.replace("PATH", str(small_images)).replace("EPOCHS", "30"))
    assert run_cli("train", config, "--run-dir", root / "run", "-q").exit_code == 0
    return config, root / "run"


def test_resume_is_bit_exact(straight, tmp_path):
    config, expected = straight
    halves = tmp_path / "halves"
    assert run_cli("train", config, "--run-dir", halves, "--epochs", 13, "-q").exit_code == 0
    resumed = run_cli("train", "--resume", halves, "--epochs", 30, "-q")
    assert resumed.exit_code == 0, resumed.stderr
    assert (halves / "params.pkl").read_bytes() == (expected / "params.pkl").read_bytes()
    assert (halves / "params_best.pkl").read_bytes() == (expected / "params_best.pkl").read_bytes()
    assert summary_of(halves)["test_accuracy"] == summary_of(expected)["test_accuracy"]


def read_until(process, prefix, timeout=120):
    """Read the stderr of `process` until a line starts with `prefix`."""
    data, deadline = b"", time.monotonic() + timeout
    while not any(line.startswith(prefix.encode()) for line in data.split(b"\n")[:-1]):
        assert time.monotonic() < deadline, f"no line {prefix!r} in time: {data!r}"
        ready, _, _ = select.select([process.stderr], [], [], 1.0)
        if ready:
            chunk = os.read(process.stderr.fileno(), 65536)
            assert chunk, f"the run ended before {prefix!r}: {data!r}"
            data += chunk


def test_ctrl_c_checkpoints_and_resume_ends_as_an_uninterrupted_run(straight, tmp_path):
    config, expected = straight
    run_dir = tmp_path / "run"
    process = subprocess.Popen([NNFS, "train", str(config), "--run-dir", str(run_dir)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        read_until(process, "epoch    1 ")
        process.send_signal(signal.SIGINT)
        stderr = process.communicate(timeout=120)[1].decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    position = load_pickle(run_dir / "checkpoint.pkl")["trainer"]["position"]
    assert stderr.splitlines()[-1] == (
        f"interrupted at epoch {position['epoch']}, step {position['step']}; checkpoint saved. "
        f"Resume with: nnfs train --resume {run_dir}")
    result = run_cli("train", "--resume", run_dir, "-q")
    assert result.exit_code == 0, result.stderr
    assert (run_dir / "params.pkl").read_bytes() == (expected / "params.pkl").read_bytes()


def test_divergence_keeps_the_last_good_parameters(cnn_config, tmp_path):
    """Two good epochs, then a learning rate that makes the third blow up: the run keeps the
    parameters of epoch 2, batch norm's running statistics included."""
    config = cnn_config(2, **{"name: adam, learning_rate: 0.01": "name: sgd, learning_rate: 0.05"})
    run_dir, good = tmp_path / "run", tmp_path / "good"
    for path in (run_dir, good):
        assert run_cli("train", config, "--run-dir", path, "-q").exit_code == 0
    saved = run_dir / "config.yaml"
    saved.write_text(saved.read_text().replace("learning_rate: 0.05", "learning_rate: 1.0e+6"))
    result = run_cli("train", "--resume", run_dir, "--epochs", 4, "-q")
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: training diverged: the loss became nan at epoch 3, step ")
    assert line.endswith(f"try a lower learning rate (kept the last good parameters, from "
                         f"epoch 2, in {run_dir / 'params.pkl'})")
    summary = summary_of(run_dir)
    assert summary["status"] == "diverged" and summary["epochs"] == 2
    kept = load_pickle(run_dir / "params.pkl")
    assert same_params(kept, load_pickle(good / "params.pkl"))
    assert all(np.isfinite(array).all() for arrays in kept for array in arrays)
    report = json.loads(run_cli("evaluate", run_dir, "--json").stdout)
    assert report["accuracy"] == summary_of(good)["test_accuracy"]


class Exploit:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return os.system, (f"touch {self.target}",)


def test_params_pkl_goes_through_the_restricted_unpickler(cnn_config, tmp_path):
    run_dir = tmp_path / "run"
    assert run_cli("train", cnn_config(1), "--run-dir", run_dir, "-q").exit_code == 0
    saved = load_pickle(run_dir / "params.pkl")
    assert [len(arrays) for arrays in saved] == [2, 4, 2, 2]

    wrong = [list(arrays) for arrays in saved]
    wrong[0][0] = np.zeros((4, 1, 5, 5), np.float32)
    with open(run_dir / "params.pkl", "wb") as f:
        pickle.dump([tuple(arrays) for arrays in wrong], f)
    result = run_cli("evaluate", run_dir)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {run_dir / 'params.pkl'}: model[2] conv2d weights have "
                             "shape (4, 1, 5, 5), but config.yaml needs (4, 1, 3, 3)\n")

    pwned = tmp_path / "pwned"
    with open(run_dir / "params.pkl", "wb") as f:
        pickle.dump([(Exploit(pwned), saved[0][1])] + saved[1:], f)
    for command in (["evaluate", run_dir], ["predict", "--run", run_dir, tmp_path / "x.npy"]):
        result = run_cli(*command)
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: {run_dir / 'params.pkl'}: refused to unpickle")
    assert not pwned.exists()
