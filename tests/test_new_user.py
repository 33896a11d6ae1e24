"""Issue 16: what a new user tripped over. Exit codes and messages for the caller's mistakes,
the state `nnfs runs` shows at every instant, and plain wording, end to end through the CLI."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from fashion_runs import run_cli
from nnfs_cli.runs import listing, rundir
from nnfs_cli.training import run as runner
from nnfs_cli.runs.safe_pickle import load as load_pickle
from nnfs_cli.training.trainer import Trainer

NNFS = str(Path(sys.executable).parent / "nnfs")
RESUME_TAKES = "--resume RUN_DIR takes only --epochs, --quiet, --no-download and --threads."


def test_installed_nnfs_exits_2_for_the_callers_mistakes(spiral_config, tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    finished = tmp_path / "finished"
    assert run_cli("train", spiral_config, "--run-dir", finished, "-q").exit_code == 0
    mistakes = {
        ("runs",): (0, "no runs under runs/ yet\n", ""),
        ("train", spiral_config, "--run-dir", taken):
            (2, "", f"Error: run directory {taken} already exists; choose another --run-dir\n"),
        ("download-fashion", "--sha256", "deadbeef", "--dest", tmp_path / "d"):
            (2, "", "Error: Invalid value for '--sha256': must be 64 hex digits, got 'deadbeef'\n"),
        ("train", "--resume", finished):
            (2, "", f"Error: {finished} has already trained 5 epochs; pass --epochs N "
                    "(more than 5) to train further\n"),
        ("train", "--resume", "runs/nope"): (2, "", "Error: runs/nope: no such run directory\n"),
        ("evaluate", "runs/nope"): (2, "", "Error: runs/nope: no such run directory\n"),
        ("predict", spiral_config, "--run", "runs/nope"):
            (2, "", "Error: runs/nope: no such run directory\n"),
        ("train", spiral_config, "--resume", finished):
            (2, "", "Error: CONFIG is not taken with --resume: the run has its own config.yaml. "
                    f"{RESUME_TAKES}\n"),
    }
    for args, (code, stdout, last_stderr_line) in mistakes.items():
        result = subprocess.run([NNFS, *map(str, args)], capture_output=True, text=True,
                                timeout=120, cwd=tmp_path)
        assert result.returncode == code, (args, result.stderr)
        assert result.stdout == stdout, args
        assert "Traceback" not in result.stderr
        lines = result.stderr.splitlines(keepends=True)
        assert (lines[-1] if lines else "") == last_stderr_line, args
    assert (taken / "notes.txt").read_text() == "mine"


def test_resume_names_what_it_does_not_take(spiral_config, tmp_path):
    result = run_cli("train", "--resume", tmp_path, "--seed", 0, "--set", "seed=1",
                     "--run-dir", tmp_path / "x", "--print-config")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: --run-dir and --set and --seed and --print-config cannot be used with --resume. "
        + RESUME_TAKES)
    assert "--threads" in run_cli("train", "--help").stdout


def test_a_taken_run_dir_is_refused_before_the_data_loads(write_config, tmp_path):
    # Fashion-MNIST is missing and may not be downloaded: the run directory is the first word.
    config = write_config("""\
        data: {name: fashion_mnist, path: nowhere/fashion_mnist_images}
        model: [{dense: 10}, softmax]
        loss: categorical_crossentropy
        optimizer: adam
        """)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("")
    result = run_cli("train", config, "--run-dir", tmp_path / "taken", "--no-download")
    assert (result.exit_code, result.stderr) == (
        2, f"Error: run directory {tmp_path / 'taken'} already exists; choose another --run-dir\n")


def test_keras_habits_train_end_to_end(write_config, tmp_path):
    config = write_config("""\
        data: {name: spiral, samples: 60, classes: 3, validation_samples: 20}
        model: [{dense: 8}, relu, {dropout: 0.1}, {dense: 3}, softmax]
        loss: categorical_crossentropy
        optimizer: {name: adam, learning_rate: 0.01}
        training: {epochs: 1}
        """)
    result = run_cli("train", config, "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.output
    # One epoch, said in good English.
    assert result.stdout.startswith("finished 1 epoch in ")
    saved = (tmp_path / "run" / "config.yaml").read_text()
    assert "dense: {units: 8," in saved and "dropout: {rate: 0.1}" in saved
    lr = run_cli("train", config, "--set", "optimizer.lr=0.1")
    assert lr.exit_code == 2
    assert lr.stderr.endswith("(did you mean 'learning_rate'?)\n")


def test_a_divergence_is_said_once(write_config, tmp_path):
    config = write_config("""\
        data: {name: sine, samples: 200, validation_samples: 50}
        model: [{dense: 16}, relu, {dense: 1}, linear]
        loss: mean_squared_error
        optimizer: {name: sgd, learning_rate: 10}
        training: {epochs: 10, batch_size: 32}
        """)
    result = run_cli("train", config, "--run-dir", tmp_path / "run")
    assert result.exit_code == 1
    assert result.stderr.count("the loss became inf") == 1
    assert result.stderr.splitlines()[-1].startswith("Error: training diverged: the loss became inf")
    # train.log keeps its own line for it.
    assert (tmp_path / "run" / "train.log").read_text().count("the loss became inf") == 1


def test_runs_shows_the_configured_epochs_from_the_start(spiral_config, tmp_path, monkeypatch):
    seen = []
    fit = Trainer.fit

    def listing_first(trainer, *args):
        seen.append(listing.list_runs(tmp_path / "runs"))
        return fit(trainer, *args)

    monkeypatch.setattr(Trainer, "fit", listing_first)
    result = run_cli("train", spiral_config, "--run-dir", tmp_path / "runs" / "first", "-q",
                     "--epochs", 4)
    assert result.exit_code == 0, result.output
    [[entry]] = seen
    assert (entry["status"], entry["epochs"], entry["configured_epochs"]) == ("running", 0, 4)
    assert listing.format_table([entry])[1].split()[1:3] == ["spiral", "0/4"]
    # A resume to more epochs shows the new goal at once.
    result = run_cli("train", "--resume", tmp_path / "runs" / "first", "--epochs", 6, "-q")
    assert result.exit_code == 0, result.output
    assert (seen[1][0]["epochs"], seen[1][0]["configured_epochs"]) == (4, 6)


def test_a_second_ctrl_c_while_saving_leaves_an_agreeing_summary(spiral_config, tmp_path,
                                                                  monkeypatch):
    """The first Ctrl-C comes after two epochs (no checkpoint yet, however slow the machine),
    the second one while the checkpoint is being written: summary.json must still say what
    the checkpoint holds, and `nnfs runs` what --resume continues from."""
    batches = []

    @contextlib.contextmanager
    def ctrl_c_in_epoch_3():   # one batch per epoch: the third batch is epoch 3, step 1
        yield lambda: batches.append(1) or (signal.SIGINT if len(batches) == 3 else None)

    write_checkpoint = rundir.write_checkpoint

    def second_ctrl_c(run_dir, state):
        write_checkpoint(run_dir, state)
        # raise_signal delivers to this thread before it returns; os.kill may hand the signal
        # to a BLAS thread, which a loaded machine can leave unscheduled until the saving is
        # over, and the "second" Ctrl-C then comes after the save, not during it.
        signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(runner, "graceful_stop", ctrl_c_in_epoch_3)
    monkeypatch.setattr(rundir, "write_checkpoint", second_ctrl_c)
    run_dir = tmp_path / "runs" / "run"
    # What a fresh `nnfs` process has, whatever handler an earlier test left behind.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result = run_cli("train", spiral_config, "--run-dir", run_dir, "--set",
                         "training.batch_size=null", "--set", "training.checkpoint_seconds=1e9",
                         "--epochs", 150)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert result.exit_code == 130
    assert result.stderr.endswith("Interrupted.\n")
    trainer = load_pickle(run_dir / "checkpoint.pkl")["trainer"]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert len(trainer["history"]) == summary["epochs"] == 2
    assert summary["status"] == "interrupted"
    assert "checkpoint saved" in (run_dir / "train.log").read_text()
    [entry] = listing.list_runs(tmp_path / "runs")
    assert (entry["status"], entry["epochs"], entry["configured_epochs"]) == ("interrupted", 2, 150)


def test_no_network_on_train_says_how_to_use_a_local_copy(write_config, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = write_config(f"""\
        data: {{name: fashion_mnist, path: {tmp_path}/datasets/fashion_mnist_images}}
        model: [{{dense: 10}}, softmax]
        loss: categorical_crossentropy
        optimizer: adam
        """)
    env = {**os.environ, "NNFS_FASHION_URL": f"http://127.0.0.1:{port}/fashion.zip"}
    result = subprocess.run([NNFS, "train", str(config), "--run-dir", str(tmp_path / "run")],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 1
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"Error: cannot reach http://127.0.0.1:{port}/fashion.zip: ")
    assert last.endswith("or set NNFS_FASHION_URL=/path/to/fashion_mnist_images.zip")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args", [("model[9].units=3",), ("model[-6]=relu",)])
def test_set_says_how_many_items_there_are(spiral_config, args):
    result = run_cli("train", spiral_config, "--set", *args)
    assert result.exit_code == 2
    key = args[0].split("=")[0]
    index = key[key.index("[") + 1:key.index("]")]
    assert result.stderr == (f"Error: {spiral_config}: --set {key}: no item [{index}]; "
                             "model has 4 items, [0] to [3]\n")
