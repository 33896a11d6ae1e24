"""Issue 5: signals and checkpoints, --resume, divergence, early stopping and curves.png."""

import csv
import json
import os
import pickle
import random
import re
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nnfs_cli.runs import components as build
from nnfs_cli import config as configs
from nnfs_cli.cli import cli
from nnfs_cli.compat import cli_runner
from nnfs_cli.runs.safe_pickle import load as load_pickle
from nnfs_cli.core.model import evaluate

NNFS = str(Path(sys.executable).parent / "nnfs")

# Many small batches and dropout (the model generator's state must survive a resume too),
# with a checkpoint after every epoch.
LONG = """\
seed: 7
data: {name: spiral, samples: 500, classes: 3, validation_samples: 50}
model:
  - dense: {units: 32}
  - relu
  - dropout: {rate: 0.2}
  - dense: {units: 3}
  - softmax
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.005, decay: 1.0e-4}
training: {epochs: 3, batch_size: 4, checkpoint_seconds: 0}
"""

SINE = """\
seed: 0
data: {name: sine, samples: 200, validation_samples: 50}
model:
  - dense: {units: 16}
  - relu
  - dense: {units: 1}
  - linear
loss: mean_squared_error
optimizer: {name: sgd, learning_rate: 10}
training: {epochs: 10, batch_size: 32}
"""

# Plain SGD at a tiny rate: the validation loss moves by far less than min_delta.
PLATEAU = """\
seed: 0
data: {name: spiral, samples: 100, classes: 3, validation_samples: 50}
model:
  - dense: {units: 16}
  - relu
  - dense: {units: 3}
  - softmax
loss: categorical_crossentropy
optimizer: {name: sgd, learning_rate: 1.0e-4}
training:
  epochs: 20
  batch_size: 32
  early_stopping: {patience: 2, min_delta: 0.01}
"""


def run(*args):
    result = cli_runner().invoke(cli, [str(arg) for arg in args])
    assert "Traceback" not in result.output + result.stderr
    return result


@pytest.fixture
def start():
    """Start `nnfs train CONFIG --run-dir RUN_DIR ...` as a user does; whatever still runs
    when the test ends is killed."""
    processes = []

    def start(config, run_dir, *args, output=subprocess.PIPE):
        processes.append(subprocess.Popen(
            [NNFS, "train", str(config), "--run-dir", str(run_dir), *map(str, args)],
            stdout=output, stderr=output, text=True))
        return processes[-1]

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate()


def epochs_done(run_dir):
    try:
        return json.loads((run_dir / "summary.json").read_text())["epochs"]
    except (FileNotFoundError, ValueError, KeyError):
        return 0


def wait_for_epoch(process, run_dir, epochs=1, timeout=60):
    deadline = time.monotonic() + timeout
    while epochs_done(run_dir) < epochs:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"no epoch {epochs} in {timeout}s"
        time.sleep(0.02)


def params(path):
    return load_pickle(path)


def assert_same_params(a, b):
    assert len(a) == len(b)
    for (wa, ba), (wb, bb) in zip(a, b):
        assert np.array_equal(wa, wb) and np.array_equal(ba, bb)


def metrics(run_dir):
    """metrics.csv rows without the `seconds` column, the one thing that varies."""
    rows = list(csv.DictReader((run_dir / "metrics.csv").open()))
    return [{key: value for key, value in row.items() if key != "seconds"} for row in rows]


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The LONG config trained without interruption: (config path, run directory)."""
    root = tmp_path_factory.mktemp("reference")
    config = root / "long.yaml"
    config.write_text(LONG)
    result = run("train", config, "--run-dir", root / "run", "-q")
    assert result.exit_code == 0, result.output
    return config, root / "run"


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_checkpoints_and_resume_matches_an_uninterrupted_run(reference, start, tmp_path,
                                                                   signum, code):
    config, expected = reference
    run_dir = tmp_path / "run"
    process = start(config, run_dir)
    wait_for_epoch(process, run_dir)
    time.sleep(0.1)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr

    state = load_pickle(run_dir / "checkpoint.pkl")["trainer"]
    position = state["position"]   # Stopped is raised after a batch: always inside an epoch
    assert position["epoch"] == len(state["history"]) + 1 and position["step"] >= 1
    message = (f"interrupted at epoch {position['epoch']}, step {position['step']}; "
               f"checkpoint saved. Resume with: nnfs train --resume {run_dir}")
    assert stderr.splitlines()[-1] == message
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "interrupted"
    assert png_size(run_dir / "curves.png") == (1400, 400)   # written at a checkpoint
    assert not list(run_dir.glob("*.tmp"))

    result = run("train", "--resume", run_dir)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("finished 3 epochs")
    assert_same_params(params(run_dir / "params.pkl"), params(expected / "params.pkl"))
    assert_same_params(params(run_dir / "params_best.pkl"), params(expected / "params_best.pkl"))
    assert metrics(run_dir) == metrics(expected)
    assert [row["epoch"] for row in metrics(run_dir)] == ["1", "2", "3"]
    log = (run_dir / "train.log").read_text().splitlines()
    resumed = (f"resuming {run_dir} from epoch {position['epoch']}, "
               f"step {position['step']}")
    assert log[0] == f"run directory: {run_dir}"
    assert log.index(message) < log.index(resumed) < len(log) - 1
    assert log[-1].startswith("finished 3 epochs")
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "finished"


def test_a_second_sigint_exits_at_once(reference, start, tmp_path):
    config, _ = reference
    run_dir = tmp_path / "run"
    process = start(config, run_dir)
    wait_for_epoch(process, run_dir)
    process.send_signal(signal.SIGINT)
    # Two signals sent at once may reach Python's handler as one.
    time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "Aborted" not in stderr
    if (run_dir / "checkpoint.pkl").exists():
        trainer = load_pickle(run_dir / "checkpoint.pkl")["trainer"]
        # summary.json (what `nnfs runs` shows) describes that checkpoint.
        summary = json.loads((run_dir / "summary.json").read_text())
        assert summary["epochs"] == len(trainer["history"])


def test_sigkill_never_leaves_a_corrupt_checkpoint(reference, start, tmp_path):
    config, expected = reference
    # Three die at a random time after launch (often before any checkpoint), two at a random
    # time after their first checkpoint, while training or saving the next one.
    rng = random.Random(5)
    delays = [rng.uniform(0.2, 3.0) for _ in range(3)] + [rng.uniform(0, 1.0) for _ in range(2)]
    run_dirs = [tmp_path / f"run{index}" for index in range(5)]
    processes = [start(config, run_dir, "--epochs", 50, output=subprocess.DEVNULL)
                 for run_dir in run_dirs]
    launched, kill_at = time.monotonic(), {}
    pending = dict(enumerate(processes))
    while pending:
        now = time.monotonic()
        assert now - launched < 90, "training never reached a first checkpoint"
        for index, process in list(pending.items()):
            assert process.poll() is None, f"run{index} ended by itself"
            if index not in kill_at and (index < 3 or epochs_done(run_dirs[index]) >= 1):
                kill_at[index] = now + delays[index]
            if index in kill_at and now >= kill_at[index]:
                process.kill()
                process.wait()
                del pending[index]
        time.sleep(0.01)

    # .lock: a stale lock (the kernel let go of it with the process), which --resume takes over.
    known = {"config.yaml", "summary.json", "checkpoint.pkl", "params.pkl", "params_best.pkl",
             "metrics.csv", "train.log", "curves.png", "decision_regions.png", ".lock"}
    resumable = []
    for run_dir in run_dirs:
        if not run_dir.exists():
            continue
        for path in run_dir.iterdir():
            # SIGKILL leaves no chance to clean up an unfinished temporary file.
            assert path.name in known or re.fullmatch(r"\.[\w.]+\.\w+\.tmp", path.name), path
        if (run_dir / "checkpoint.pkl").exists():
            resumable.append((run_dir, load_pickle(run_dir / "checkpoint.pkl")["trainer"]))
    assert len(resumable) >= 2
    listed = json.loads(run("runs", tmp_path, "--json").stdout)
    assert {entry["status"] for entry in listed} <= {"killed", "created"}
    assert {entry["name"] for entry in listed if entry["status"] == "killed"} >= {
        run_dir.name for run_dir, _ in resumable}

    run_dir, state = min(resumable, key=lambda item: len(item[1]["history"]))
    done = len(state["history"])
    assert state["position"] is None   # checkpoints are taken between epochs
    epochs = max(done + 1, 3)
    result = run("train", "--resume", run_dir, "--epochs", epochs, "-q")
    assert result.exit_code == 0, result.output
    assert not (run_dir / ".lock").exists()
    assert [row["epoch"] for row in metrics(run_dir)] == [str(n) for n in range(1, epochs + 1)]
    if done < 3:   # the same epochs as the uninterrupted run: the same numbers
        assert_same_params(params(run_dir / "params.pkl"), params(expected / "params.pkl"))


def test_divergence_keeps_the_last_good_parameters(write_config, tmp_path):
    config = write_config(SINE, "sine.yaml")
    run_dir = tmp_path / "run"
    result = run("train", config, "--run-dir", run_dir, "-q")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: training diverged: the loss became inf at epoch 3, step 3; try a lower learning "
        f"rate (kept the last good parameters, from epoch 2, in {run_dir / 'params.pkl'})")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "diverged" and summary["epochs"] == 2
    assert (run_dir / "train.log").read_text().splitlines()[-1] == (
        "diverged: the loss became inf at epoch 3, step 3; try a lower learning rate")
    kept = params(run_dir / "params.pkl")
    assert all(np.isfinite(w).all() and np.isfinite(b).all() for w, b in kept)
    # The same as training two epochs and no more; the files agree with the summary.
    two = tmp_path / "two"
    assert run("train", config, "--run-dir", two, "-q", "--epochs", 2).exit_code == 0
    assert_same_params(kept, params(two / "params.pkl"))
    assert_same_params(params(run_dir / "params_best.pkl"), params(two / "params_best.pkl"))
    assert metrics(run_dir) == metrics(two)


def test_early_stopping_keeps_the_best_epoch(write_config, tmp_path):
    config = write_config(PLATEAU, "plateau.yaml")
    run_dir = tmp_path / "run"
    result = run("train", config, "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    summary = json.loads((run_dir / "summary.json").read_text())
    best = summary["best"]
    assert summary["early_stopped"] is True and summary["epochs"] == 3
    assert best["epoch"] == 1 and best["monitor"] == "val_loss"
    assert (f"early stopping: val_loss has not improved for 2 epochs "
            f"(best {best['val_loss']:.4f} at epoch 1)") in result.stderr.splitlines()
    assert [row["epoch"] for row in metrics(run_dir)] == ["1", "2", "3"]

    resolved = configs.load(run_dir / "config.yaml")
    data = build.dataset(resolved)
    splits = data.load(resolved["seed"])
    model = build.model(resolved, data, build.rngs(resolved["seed"])[0])
    y_val = model.loss.prepare_targets(splits.y_val, data)

    def val_loss(name):
        model.set_parameters(params(run_dir / name))
        return evaluate(model, build.metric(resolved), splits.x_val, y_val,
                        resolved["training"]["batch_size"])[0]

    assert val_loss("params_best.pkl") == pytest.approx(best["val_loss"], rel=1e-6)
    assert val_loss("params.pkl") == pytest.approx(summary["val_loss"], rel=1e-6)
    last, kept = params(run_dir / "params.pkl"), params(run_dir / "params_best.pkl")
    assert not all(np.array_equal(a, b) for pair in zip(last, kept) for a, b in zip(*pair))

    # Stopped early is finished: --resume needs --epochs, and then early stopping goes on.
    result = run("train", "--resume", run_dir)
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {run_dir} has already trained 3 epochs; "
                             "pass --epochs N (more than 3) to train further\n")
    result = run("train", "--resume", run_dir, "--epochs", 20, "-q")
    assert result.exit_code == 0, result.output
    assert json.loads((run_dir / "summary.json").read_text())["epochs"] == 4


def test_resume_a_finished_run_only_with_more_epochs(spiral_config, tmp_path):
    run_dir = tmp_path / "run"
    assert run("train", spiral_config, "--run-dir", run_dir, "-q").exit_code == 0
    curves = (run_dir / "curves.png").read_bytes()
    result = run("train", "--resume", run_dir)
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {run_dir} has already trained 5 epochs; "
                             "pass --epochs N (more than 5) to train further\n")

    result = run("train", "--resume", run_dir, "--epochs", 7)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("finished 7 epochs")
    assert f"resuming {run_dir} from the end of epoch 5" in result.stderr
    assert [row["epoch"] for row in metrics(run_dir)] == [str(n) for n in range(1, 8)]
    assert "epochs: 7" in (run_dir / "config.yaml").read_text()
    assert png_size(run_dir / "curves.png") == (1400, 400)
    assert (run_dir / "curves.png").read_bytes() != curves


def test_resume_needs_a_checkpoint_once_the_run_has_parameters(spiral_config, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.yaml").write_text(spiral_config.read_text())
    (run_dir / "params.pkl").write_bytes(b"")   # trained, but its checkpoint is gone
    result = run("train", "--resume", run_dir)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {run_dir / 'checkpoint.pkl'}: no checkpoint to resume from\n"
    # With nothing learnt yet (stopped before its first checkpoint): trained from epoch 0.
    (run_dir / "params.pkl").unlink()
    result = run("train", "--resume", run_dir, "--quiet")
    assert result.exit_code == 0, result.output
    assert (run_dir / "params.pkl").is_file()


class Exploit:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def test_a_crafted_checkpoint_is_refused(spiral_config, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.yaml").write_text(spiral_config.read_text())
    pwned = tmp_path / "pwned"
    checkpoint = run_dir / "checkpoint.pkl"
    checkpoint.write_bytes(pickle.dumps({"trainer": Exploit(f"touch {pwned}")}))
    result = run("train", "--resume", run_dir)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {checkpoint}: refused to unpickle "
                             f"'{os.system.__module__}.system': params and checkpoints may hold "
                             "only NumPy arrays and plain values\n")
    assert not pwned.exists()



def test_resume_needs_a_run_directory(tmp_path):
    # The same words as evaluate and predict --run, and exit 2: the caller's mistake.
    result = run("train", "--resume", tmp_path / "nope")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path / 'nope'}: no such run directory\n"
    (tmp_path / "empty").mkdir()
    result = run("train", "--resume", tmp_path / "empty")
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {tmp_path / 'empty'}: not a run directory "
                             "(it has no config.yaml)\n")
