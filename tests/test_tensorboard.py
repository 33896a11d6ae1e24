"""Issue 24: TensorBoard event files, read back with TensorBoard's own reader: every scalar as
metrics.csv has it, histograms of every trained array, the confusion matrix as an image, the
model and config as text, the hyper-parameters for the HParams table; a resumed run has each
step once, a killed run's files stay readable, and without tensorboardX one line says what to
install."""

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

from fashion_runs import run_cli  # noqa: E402
from nnfs_cli.training import run as runner  # noqa: E402

NNFS = str(Path(sys.executable).parent / "nnfs")
CONFIG = """\
seed: 1
data: {name: spiral, samples: 60, classes: 3, validation_samples: 40}
model: [{dense: 16}, relu, {dense: 3}, softmax]
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.02}
metrics: [accuracy, f1_macro]
training: {epochs: 4, batch_size: 32, checkpoint_seconds: 0}
logging: {steps: 2, histograms: 2}
"""
STEPS = 6   # 180 samples in batches of 32


def events(folder):
    accumulator = event_accumulator.EventAccumulator(str(folder), size_guidance={
        "scalars": 0, "histograms": 0, "images": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def metrics(run_dir):
    with open(run_dir / "metrics.csv") as f:
        return list(csv.DictReader(f))


def scalars(accumulator, tag):
    return [(event.step, event.value) for event in accumulator.Scalars(tag)]


def test_the_event_files_hold_what_the_run_logged(write_config, tmp_path):
    run_dir = tmp_path / "run"
    result = run_cli("train", write_config(CONFIG), "--run-dir", run_dir, "--tensorboard")
    assert result.exit_code == 0, result.stderr
    logs = events(run_dir / "tensorboard")
    rows = metrics(run_dir)
    tags = logs.Tags()
    for column, tag in (("loss", "train/loss"), ("accuracy", "train/accuracy"),
                        ("f1_macro", "train/f1_macro"), ("val_loss", "val/loss"),
                        ("val_accuracy", "val/accuracy"), ("val_f1_macro", "val/f1_macro"),
                        ("lr", "lr")):
        assert scalars(logs, tag) == [(int(row["epoch"]) * STEPS, pytest.approx(
            float(row[column]), rel=1e-6)) for row in rows], tag
    assert [step for step, _ in scalars(logs, "step/loss")] == list(range(2, 4 * STEPS + 1, 2))
    assert scalars(logs, "epoch") == [(epoch * STEPS, epoch) for epoch in range(1, 5)]
    for kind in ("weights", "gradients"):
        for where in ("model.0.dense/weights", "model.0.dense/biases",
                      "model.2.dense/weights", "model.2.dense/biases"):
            assert [event.step for event in logs.Histograms(f"{kind}/{where}")] == [
                2 * STEPS, 4 * STEPS]
    [image] = logs.Images("confusion_matrix")
    picture = cv2.imdecode(np.frombuffer(image.encoded_image_string, np.uint8), cv2.IMREAD_COLOR)
    assert picture is not None and picture.shape[0] > 100 and picture.shape[2] == 3
    texts = {tag: logs.Tensors(tag)[0].tensor_proto.string_val[0].decode()
             for tag in tags["tensors"] if tag.endswith("text_summary")}
    assert "dense" in texts["model/text_summary"] and "total" in texts["model/text_summary"]
    assert "learning_rate: 0.02" in texts["config/text_summary"]

    from tensorboard.plugins.hparams import plugin_data_pb2
    hparams = events(run_dir / "tensorboard" / "hparams")
    content = hparams.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(
        content["_hparams_/session_start_info"]).session_start_info
    assert start.hparams["optimizer.learning_rate"].number_value == pytest.approx(0.02)
    assert start.hparams["model[0].dense.units"].number_value == 16
    assert start.hparams["loss.name"].string_value == "categorical_crossentropy"
    assert scalars(hparams, "hparam/val_f1_macro") == [
        (4 * STEPS, pytest.approx(float(rows[-1]["val_f1_macro"]), rel=1e-6))]


def test_a_resumed_run_logs_each_step_once(write_config, tmp_path, monkeypatch):
    """Interrupted mid-epoch 3 (after a checkpoint at the end of epoch 2 and steps logged
    past it), then resumed: the steps after the checkpoint are logged once, not twice."""
    batches = []

    @contextlib.contextmanager
    def ctrl_c_in_epoch_3():
        yield lambda: batches.append(1) or (signal.SIGINT if len(batches) == 2 * STEPS + 3
                                            else None)

    config = write_config(CONFIG)
    run_dir = tmp_path / "run"
    monkeypatch.setattr(runner, "graceful_stop", ctrl_c_in_epoch_3)
    assert run_cli("train", config, "--run-dir", run_dir, "--tensorboard").exit_code == 130
    monkeypatch.undo()
    assert run_cli("train", "--resume", run_dir).exit_code == 0
    straight = tmp_path / "straight"
    assert run_cli("train", config, "--run-dir", straight, "--tensorboard").exit_code == 0
    resumed, whole = events(run_dir / "tensorboard"), events(straight / "tensorboard")
    for tag in ("step/loss", "train/loss", "val/loss", "lr"):
        steps = [step for step, _ in scalars(resumed, tag)]
        assert steps == sorted(set(steps)), tag
        assert scalars(resumed, tag) == scalars(whole, tag), tag
    assert len(list((run_dir / "tensorboard").glob("events.out.tfevents.*"))) == 2


def test_a_killed_runs_logs_stay_readable(write_config, tmp_path):
    config = write_config(CONFIG.replace("epochs: 4", "epochs: 100000"))
    run_dir = tmp_path / "run"
    process = subprocess.Popen([NNFS, "train", str(config), "--run-dir", str(run_dir),
                                "--tensorboard", "-q"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    try:
        while True:
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline
            files = list((run_dir / "tensorboard").glob("events.out.tfevents.*"))
            if files and len(scalars(events(run_dir / "tensorboard"), "val/loss")
                             if "val/loss" in events(run_dir / "tensorboard").Tags()["scalars"]
                             else []) >= 3:
                break
            time.sleep(0.05)
    finally:
        process.kill()
        process.wait()
    logs = events(run_dir / "tensorboard")
    epochs = [value for _, value in scalars(logs, "epoch")]
    assert epochs[:3] == [1, 2, 3]
    assert [step for step, _ in scalars(logs, "val/loss")] == [e * STEPS for e in epochs]


def test_without_tensorboardx_one_line_says_what_to_install(write_config, tmp_path):
    blocker = tmp_path / "blocker"
    (blocker / "tensorboardX").mkdir(parents=True)
    (blocker / "tensorboardX" / "__init__.py").write_text("raise ImportError('not here')\n")
    env = {**os.environ, "PYTHONPATH": str(blocker)}
    config = write_config(CONFIG)
    for args in (["train", str(config), "--tensorboard", "--run-dir", str(tmp_path / "run")],
                 ["train", str(write_config(CONFIG.replace("steps: 2", "steps: 2, tensorboard: "
                                                           "true"), "on.yaml")),
                  "--run-dir", str(tmp_path / "run")]):
        result = subprocess.run([NNFS, *args], capture_output=True, text=True, env=env,
                                timeout=60)
        assert result.returncode == 1
        assert result.stderr == ("Error: TensorBoard logging needs the tensorboardX package: "
                                 "pip install 'nnfs-cli[tensorboard]' (from a checkout: pip "
                                 "install '.[tensorboard]')\n")
        assert not (tmp_path / "run").exists()


def test_a_sweeps_trials_line_up_in_the_hparams_table(write_config, tmp_path, monkeypatch):
    write_config(CONFIG.replace("epochs: 4", "epochs: 2"), "base.yaml")
    sweep = write_config("""\
        base: base.yaml
        metric: val_accuracy
        method: grid
        parameters:
          optimizer.learning_rate: {values: [0.01, 0.05]}
        """, "lr.yaml")
    monkeypatch.chdir(tmp_path)
    result = subprocess.run([NNFS, "sweep", str(sweep), "--workers", "1", "--tensorboard"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    from tensorboard.plugins.hparams import plugin_data_pb2
    rates = []
    for trial in sorted((tmp_path / "runs" / "sweeps" / "lr").glob("trial-*")):
        content = events(trial / "tensorboard" / "hparams").PluginTagToContent("hparams")
        start = plugin_data_pb2.HParamsPluginData.FromString(
            content["_hparams_/session_start_info"]).session_start_info
        rates.append(round(start.hparams["optimizer.learning_rate"].number_value, 6))
        summary = json.loads((trial / "summary.json").read_text())
        assert summary["status"] == "finished"
    assert sorted(rates) == [0.01, 0.05]
