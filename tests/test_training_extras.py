"""Gradient clipping, label smoothing and Nesterov momentum against independent float64
implementations; then through `nnfs train`: resume bit for bit with every schedule and with
clipping, early stopping that restores the best epoch, and curves.png's panels."""

import contextlib
import json
import signal

import numpy as np
import pytest

import nnfs_cli  # noqa: F401 (fills every registry)
from nnfs_cli.cli import cli
from nnfs_cli.compat import cli_runner
from nnfs_cli.core.clipping import clip_gradients
from nnfs_cli.core.layers import Dense
from nnfs_cli.core.losses import BinaryCrossentropy, CategoricalCrossentropy
from nnfs_cli.core.optimizers import SGD
from nnfs_cli.core.parameters import FlatParameters
from nnfs_cli.training import run as runner
from nnfs_cli.runs.safe_pickle import load as load_pickle

# ---------------------------------------------------------------- clipping


def grads(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(np.float32) * scale
            for shape in ((4, 3), (1, 3), (3, 2))]


def reference_clip(arrays, clip_value=None, clip_norm=None):
    arrays = [a.astype(np.float64) for a in arrays]
    if clip_value is not None:
        arrays = [np.minimum(np.maximum(a, -clip_value), clip_value) for a in arrays]
    if clip_norm is not None:
        norm = np.sqrt(sum((a ** 2).sum() for a in arrays))
        if norm > clip_norm:
            arrays = [a * (clip_norm / norm) for a in arrays]
    return arrays


@pytest.mark.parametrize("clip_value, clip_norm", [(None, 1.0), (0.5, None), (0.5, 1.0),
                                                   (None, 100.0), (10.0, None)])
def test_clipping_matches_float64(clip_value, clip_norm):
    arrays = grads(scale=2.0)
    expected = reference_clip(arrays, clip_value, clip_norm)
    items = [((i, "weights"), None, g) for i, g in enumerate(arrays)]
    norm = clip_gradients(items, clip_value, clip_norm)
    for got, want in zip(arrays, expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
        assert got.dtype == np.float32
    if clip_norm is not None:
        total = np.sqrt(sum((a.astype(np.float64) ** 2).sum() for a in arrays))
        assert total <= clip_norm * (1 + 1e-6)
        assert norm == pytest.approx(np.sqrt(sum((a ** 2).sum() for a in reference_clip(
            grads(scale=2.0), clip_value))), rel=1e-6)


def test_clipping_a_flat_buffer_is_global():
    layers = [Dense(3), Dense(2)]
    layers[0].build((4,), np.random.default_rng(0))
    layers[1].build((3,), np.random.default_rng(1))
    flat = FlatParameters(layers)
    flat.grads[...] = np.random.default_rng(2).standard_normal(flat.grads.size)
    expected = reference_clip([flat.grads.copy()], None, 0.3)[0]
    clip_gradients(flat, None, 0.3)
    np.testing.assert_allclose(flat.grads, expected, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(layers[0].grads["weights"]) ** 2
                               + np.linalg.norm(layers[1].grads["weights"]) ** 2
                               + np.linalg.norm(layers[0].grads["biases"]) ** 2
                               + np.linalg.norm(layers[1].grads["biases"]) ** 2, 0.09, rtol=1e-5)


# ---------------------------------------------------------------- label smoothing


def reference_cce(p, labels, classes, s):
    targets = np.eye(classes)[labels] * (1 - s) + s / classes
    return -(targets * np.log(np.clip(p, 1e-7, 1 - 1e-7))).sum(axis=1)


def reference_bce(p, y, s):
    t = y * (1 - s) + s / 2
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(axis=1)


def test_categorical_label_smoothing_matches_float64():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((6, 4))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    labels = rng.integers(0, 4, 6)
    loss = CategoricalCrossentropy(label_smoothing=0.2)
    want = reference_cce(p, labels, 4, 0.2)
    np.testing.assert_allclose(loss.forward(p, labels), want, rtol=1e-12)
    np.testing.assert_allclose(loss.forward(p, np.eye(4)[labels]), want, rtol=1e-12)
    p32 = p.astype(np.float32)
    np.testing.assert_allclose(loss.forward(p32, labels), want, rtol=1e-5)
    fused = loss.fused_backward(p32, labels)
    assert fused.dtype == np.float32
    np.testing.assert_allclose(fused, (p - (np.eye(4)[labels] * 0.8 + 0.05)) / 6, atol=1e-7)


def test_binary_label_smoothing_matches_float64():
    rng = np.random.default_rng(4)
    p = rng.uniform(0.05, 0.95, (6, 3))
    y = rng.integers(0, 2, (6, 3)).astype(np.float64)
    loss = BinaryCrossentropy(label_smoothing=0.1)
    np.testing.assert_allclose(loss.forward(p, y), reference_bce(p, y, 0.1), rtol=1e-12)
    np.testing.assert_allclose(loss.fused_backward(p, y), (p - (y * 0.9 + 0.05)) / 18,
                               rtol=1e-12)


def test_no_smoothing_is_the_books_loss_to_the_bit():
    rng = np.random.default_rng(5)
    p = rng.dirichlet(np.ones(3), 8).astype(np.float32)
    labels = rng.integers(0, 3, 8)
    plain, zero = CategoricalCrossentropy(), CategoricalCrossentropy(label_smoothing=0.0)
    assert np.array_equal(plain.fused_backward(p, labels), zero.fused_backward(p, labels))
    assert np.array_equal(plain.forward(p, labels), zero.forward(p, labels))


# ---------------------------------------------------------------- Nesterov, PyTorch's formula


def test_nesterov_matches_pytorch_with_a_constant_rate():
    rng = np.random.default_rng(6)
    param = rng.standard_normal((3, 2)).astype(np.float32)
    expected, buffer = param.astype(np.float64), None
    sgd = SGD(learning_rate=0.1, momentum=0.9, nesterov=True, schedule="constant")
    for _ in range(5):
        grad = rng.standard_normal((3, 2)).astype(np.float32)
        sgd.step([((0, "weights"), param, grad)])
        g = grad.astype(np.float64)   # torch.optim.SGD, dampening 0, nesterov=True:
        buffer = g if buffer is None else 0.9 * buffer + g
        expected = expected - 0.1 * (g + 0.9 * buffer)
        np.testing.assert_allclose(param, expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- through nnfs train

CONFIG = """\
seed: 4
data: {{name: spiral, samples: 40, classes: 3, validation_samples: 30}}
model:
  - dense: {{units: 16}}
  - relu
  - dropout: {{rate: 0.1}}
  - dense: {{units: 3}}
  - softmax
loss: {loss}
optimizer: {optimizer}
training: {{epochs: 4, batch_size: 32{training}}}
"""

SCHEDULED = {
    "constant": "{name: adam, learning_rate: 0.01, schedule: constant}",
    "inverse_time": "{name: adam, learning_rate: 0.01, decay: 0.01}",
    "step": "{name: adam, learning_rate: 0.01, schedule: {name: step, every_epochs: 1, "
            "factor: 0.5}}",
    "exponential": "{name: adam, learning_rate: 0.01, schedule: {name: exponential, "
                   "factor: 0.7}}",
    "cosine": "{name: adamw, learning_rate: 0.01, schedule: {name: cosine, warmup_epochs: 1}}",
    "reduce_on_plateau": "{name: sgd, learning_rate: 0.5, momentum: 0.9, nesterov: true, "
                         "schedule: {name: reduce_on_plateau, patience: 1, factor: 0.5}}",
}


def write(tmp_path, optimizer, loss="categorical_crossentropy", training=""):
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(optimizer=optimizer, loss=loss, training=training))
    return path


def cli_run(*args):
    result = cli_runner().invoke(cli, [str(arg) for arg in args])
    assert "Traceback" not in result.output + result.stderr
    return result


@contextlib.contextmanager
def interrupt_after(batches):
    """Stand-in for graceful_stop: a Ctrl-C arrives after `batches` batches."""
    asked = []

    def stop_requested():
        asked.append(1)
        return signal.SIGINT if len(asked) >= batches else None
    yield stop_requested


def interrupted_then_resumed(tmp_path, config, batches, monkeypatch):
    run_dir = tmp_path / "resumed"
    with monkeypatch.context() as patch:
        patch.setattr(runner, "graceful_stop", lambda: interrupt_after(batches))
        result = cli_run("train", config, "--run-dir", run_dir, "-q")
    assert result.exit_code == 130, result.output
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "interrupted"
    result = cli_run("train", "--resume", run_dir, "-q")
    assert result.exit_code == 0, result.output
    return run_dir


@pytest.mark.parametrize("name", sorted(SCHEDULED))
def test_resume_is_bit_exact_with_every_schedule(tmp_path, monkeypatch, name):
    training = ", clip_norm: 0.5, clip_value: 0.2" if name == "cosine" else ""
    loss = ("{name: categorical_crossentropy, label_smoothing: 0.1}" if name == "step"
            else "categorical_crossentropy")
    config = write(tmp_path, SCHEDULED[name], loss, training)
    straight = tmp_path / "straight"
    assert cli_run("train", config, "--run-dir", straight, "-q").exit_code == 0
    # 4 batches per epoch: stop inside epoch 3, after a plateau may have lowered the rate.
    resumed = interrupted_then_resumed(tmp_path, config, 10, monkeypatch)
    assert (resumed / "params.pkl").read_bytes() == (straight / "params.pkl").read_bytes()
    rows = [(straight / "metrics.csv").read_text(), (resumed / "metrics.csv").read_text()]
    without_seconds = [[line.rsplit(",", 1)[0] for line in text.splitlines()] for text in rows]
    assert without_seconds[0] == without_seconds[1]
    # metrics.csv's lr is the rate of each epoch's last step, t = 4 * epoch - 1.
    rates = [float(line.split(",")[7]) for line in rows[0].splitlines()[1:]]
    expected = {"constant": [0.01] * 4,
                "inverse_time": [0.01 / (1 + 0.01 * (4 * e - 1)) for e in (1, 2, 3, 4)],
                "step": [0.01, 0.005, 0.0025, 0.00125],
                "exponential": [0.01 * 0.7 ** ((4 * e - 1) / 4) for e in (1, 2, 3, 4)]}
    if name in expected:
        assert rates == pytest.approx(expected[name], rel=1e-6)


def test_reduce_on_plateau_state_is_in_the_checkpoint(tmp_path, monkeypatch):
    config = write(tmp_path, SCHEDULED["reduce_on_plateau"])
    run_dir = tmp_path / "run"
    with monkeypatch.context() as patch:
        patch.setattr(runner, "graceful_stop", lambda: interrupt_after(14))
        assert cli_run("train", config, "--run-dir", run_dir, "-q").exit_code == 130
    state = load_pickle(run_dir / "checkpoint.pkl")["trainer"]["optimizer"]["schedule"]
    history = load_pickle(run_dir / "checkpoint.pkl")["trainer"]["history"]
    assert set(state) == {"scale", "best", "since"} and len(history) == 3
    assert state["best"] == min(row["val_loss"] for row in history)


def test_restore_best_leaves_the_best_epochs_parameters(tmp_path):
    # A rate far too high: the validation loss rises after the first epochs.
    config = write(tmp_path, "{name: sgd, learning_rate: 3.0, schedule: constant}",
                   training=", early_stopping: {patience: 10, restore_best: true}")
    run_dir = tmp_path / "run"
    result = cli_run("train", config, "--run-dir", run_dir, "--epochs", 6)
    assert result.exit_code == 0, result.output
    summary = json.loads((run_dir / "summary.json").read_text())
    best = summary["best"]["epoch"]
    assert best < 6
    assert (run_dir / "params.pkl").read_bytes() == (run_dir / "params_best.pkl").read_bytes()
    assert f"restored the parameters of epoch {best}, the best val_loss" in result.stderr
    evaluated = cli_run("evaluate", run_dir, "--split", "validation", "--json")
    assert json.loads(evaluated.stdout)["loss"] == pytest.approx(summary["best"]["val_loss"],
                                                                 rel=1e-6)
    # Without restore_best, params.pkl is the last epoch's.
    plain = write(tmp_path, "{name: sgd, learning_rate: 3.0, schedule: constant}")
    other = tmp_path / "plain"
    assert cli_run("train", plain, "--run-dir", other, "--epochs", 6, "-q").exit_code == 0
    last = json.loads((other / "summary.json").read_text())
    if last["best"]["epoch"] != 6:
        assert (other / "params.pkl").read_bytes() != (other / "params_best.pkl").read_bytes()


def test_restore_best_survives_an_interruption(tmp_path, monkeypatch):
    config = write(tmp_path, "{name: sgd, learning_rate: 3.0, schedule: constant}",
                   training=", early_stopping: {patience: 10, restore_best: true}")
    straight = tmp_path / "straight"
    assert cli_run("train", config, "--run-dir", straight, "-q").exit_code == 0
    resumed = interrupted_then_resumed(tmp_path, config, 13, monkeypatch)
    assert (resumed / "params.pkl").read_bytes() == (straight / "params.pkl").read_bytes()
    assert (resumed / "params.pkl").read_bytes() == (resumed / "params_best.pkl").read_bytes()


def test_the_installed_nnfs_trains_with_the_new_options(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    config = write(tmp_path, "{name: adamw, learning_rate: 0.01, weight_decay: 0.1, "
                             "schedule: {name: cosine, warmup_epochs: 1, min_lr: 0.001}}",
                   "{name: categorical_crossentropy, label_smoothing: 0.1}",
                   ", clip_norm: 1.0, early_stopping: {patience: 5, restore_best: true}")
    nnfs = str(Path(sys.executable).parent / "nnfs")
    run_dir = tmp_path / "run"
    result = subprocess.run([nnfs, "train", str(config), "--run-dir", str(run_dir)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rates = [float(line.split(",")[7])
             for line in (run_dir / "metrics.csv").read_text().splitlines()[1:]]
    # Warm-up over epoch 1 (4 steps), then a cosine from 0.01 to 0.001 over 12 steps.
    assert rates[0] == pytest.approx(0.01)
    assert rates[-1] == pytest.approx(0.001 + 0.009 * (1 + np.cos(np.pi * 11 / 12)) / 2)
    assert "restored the parameters of epoch" in result.stderr
    assert (run_dir / "curves.png").read_bytes()[16:24] == (1400).to_bytes(4, "big") + (
        400).to_bytes(4, "big")


@pytest.mark.parametrize("change, message", [
    (lambda state: state["trainer"]["optimizer"].update(schedule={"scale": "half"}),
     "does not fit this run: trainer.optimizer.schedule: "),
    (lambda state: state["trainer"]["optimizer"]["schedule"].update(since=-1),
     "does not fit this run: trainer.optimizer.schedule: expected a scale in [0, 1]"),
    (lambda state: state.update(best_params=[(np.zeros((2, 2)), np.zeros((1, 16)))] * 2),
     "does not fit this run: best_params[0][0]: expected shape (2, 16), got (2, 2)"),
    (lambda state: state.update(best_params="all of them"),
     "does not fit this run: best_params: expected 2 layer(s) of arrays, got str"),
])
def test_crafted_schedule_and_best_states_are_refused(tmp_path, monkeypatch, change, message):
    import pickle
    config = write(tmp_path, SCHEDULED["reduce_on_plateau"],
                   training=", early_stopping: {patience: 10, restore_best: true}")
    run_dir = tmp_path / "run"
    with monkeypatch.context() as patch:
        patch.setattr(runner, "graceful_stop", lambda: interrupt_after(10))
        assert cli_run("train", config, "--run-dir", run_dir, "-q").exit_code == 130
    state = load_pickle(run_dir / "checkpoint.pkl")
    assert set(state["trainer"]["optimizer"]["schedule"]) == {"scale", "best", "since"}
    assert len(state["best_params"]) == 2
    change(state)
    (run_dir / "checkpoint.pkl").write_bytes(pickle.dumps(state, protocol=4))
    result = cli_run("train", "--resume", run_dir)
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.splitlines()) == 1
