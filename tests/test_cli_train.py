import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnfs_cli import __version__
from nnfs_cli.cli import cli
from nnfs_cli.compat import cli_runner
from nnfs_cli.runs.safe_pickle import load as load_pickle


def run(*args):
    result = cli_runner().invoke(cli, [str(arg) for arg in args])
    assert "Traceback" not in result.output + result.stderr
    return result


def test_train_writes_a_complete_run(spiral_config, tmp_path):
    run_dir = tmp_path / "run"
    result = run("train", spiral_config, "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "checkpoint.pkl", "config.yaml", "curves.png", "decision_regions.png", "metrics.csv",
        "params.pkl", "params_best.pkl", "summary.json", "train.log"]
    rows = list(csv.DictReader((run_dir / "metrics.csv").open()))
    assert [row["epoch"] for row in rows] == ["1", "2", "3", "4", "5"]
    assert list(rows[0]) == ["epoch", "loss", "data_loss", "reg_loss", "accuracy",
                             "val_loss", "val_accuracy", "lr", "seconds"]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["epochs"] == 5 and summary["seed"] == 3 and summary["status"] == "finished"
    assert summary["val_accuracy"] == pytest.approx(float(rows[-1]["val_accuracy"]))
    for key in ("loss", "accuracy", "val_loss", "seconds", "samples_per_second", "versions"):
        assert key in summary
    params = load_pickle(run_dir / "params.pkl")
    assert [(w.shape, b.shape) for w, b in params] == [((2, 16), (1, 16)), ((16, 3), (1, 3))]
    assert all(w.dtype == "float32" for w, _ in params)
    # Summary on stdout, progress on stderr, everything in train.log.
    assert result.stdout.startswith("finished 5 epochs")
    assert "epoch    5" in result.stderr and "total" in result.stderr
    log = (run_dir / "train.log").read_text()
    assert "epoch    5" in log and "finished 5 epochs" in log
    assert not list(run_dir.glob("*.tmp"))


def test_same_seed_same_numbers(spiral_config, tmp_path):
    for name in ("a", "b"):
        assert run("train", spiral_config, "--run-dir", tmp_path / name, "-q").exit_code == 0
    metrics = [(tmp_path / name / "metrics.csv").read_text().splitlines() for name in "ab"]
    strip_seconds = [[line.rsplit(",", 1)[0] for line in lines] for lines in metrics]
    assert strip_seconds[0] == strip_seconds[1]
    other = run("train", spiral_config, "--run-dir", tmp_path / "c", "-q", "--seed", "4")
    assert other.exit_code == 0
    assert (tmp_path / "c" / "metrics.csv").read_text() != metrics[0]


def test_quiet_prints_only_the_summary(spiral_config, tmp_path):
    result = run("train", spiral_config, "--run-dir", tmp_path / "run", "--quiet")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.startswith("finished 5 epochs")


def test_overrides_and_shortcuts_reach_the_run(spiral_config, tmp_path):
    result = run("train", spiral_config, "--run-dir", tmp_path / "run", "-q", "--epochs", "2",
                 "--set", "optimizer.learning_rate=5e-3", "--set", "model[0].units=8")
    assert result.exit_code == 0, result.output
    saved = (tmp_path / "run" / "config.yaml").read_text()
    assert "learning_rate: 0.005" in saved and "units: 8" in saved and "epochs: 2" in saved
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["epochs"] == 2


def test_print_config_prints_the_resolved_config(spiral_config, tmp_path):
    result = run("train", spiral_config, "--print-config", "--set", "training.epochs=7")
    assert result.exit_code == 0
    assert "epochs: 7" in result.stdout and "init: normal_0.01" in result.stdout
    again = tmp_path / "again.yaml"
    again.write_text(result.stdout)
    assert run("train", again, "--print-config").stdout == result.stdout


def test_bad_config_is_exit_2_one_line_each(write_config, spiral_config):
    text = spiral_config.read_text().replace("units: 16", "units: -3").replace("0.02", "-1")
    bad = write_config(text, "bad.yaml")
    result = run("train", bad)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: {bad}: model[0].units: expected a positive integer, got -3",
        f"Error: {bad}: optimizer.learning_rate: expected a number > 0, got -1",
    ]
    assert result.stdout == ""


def test_bad_set_and_missing_file(spiral_config, tmp_path):
    result = run("train", spiral_config, "--set", "training.batch_size=0")
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {spiral_config}: training.batch_size: "
                             "expected a positive integer, got 0\n")
    result = run("train", tmp_path / "missing.yaml")
    assert result.exit_code == 2
    assert "missing.yaml: cannot read config" in result.stderr


def test_existing_run_is_never_overwritten(spiral_config, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "keep.txt").write_text("mine")
    result = run("train", spiral_config, "--run-dir", run_dir)
    assert result.exit_code == 2   # the caller's mistake
    assert result.stderr == f"Error: run directory {run_dir} already exists; choose another --run-dir\n"
    assert (run_dir / "keep.txt").read_text() == "mine"


def test_default_run_dir_is_under_runs(spiral_config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("train", spiral_config, "-q").exit_code == 0
    assert run("train", spiral_config, "-q").exit_code == 0
    names = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert len(names) == 2 and all(name.startswith("spiral-") for name in names)


def test_version_and_help():
    assert run("--version").output.strip() == f"nnfs (nnfs_cli), version {__version__}"
    for command in cli.commands:
        result = run(command, "--help")
        assert result.exit_code == 0 and "Example:" in result.output, command


def _installed_nnfs():
    script = Path(sys.executable).parent / "nnfs"
    return str(script) if script.exists() else shutil.which("nnfs")


def test_installed_entry_point_is_ours(spiral_config, tmp_path):
    """The installed `nnfs` script is this tool (the book's package, which has one too, is not installed)."""
    nnfs = _installed_nnfs()
    assert nnfs, "the nnfs command is not installed"
    version = subprocess.run([nnfs, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and f"nnfs (nnfs_cli), version {__version__}" in version.stdout
    result = subprocess.run([nnfs, "train", str(spiral_config), "--run-dir", str(tmp_path / "run")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("finished 5 epochs")
    bad = subprocess.run([nnfs, "train", str(tmp_path / "missing.yaml")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_python_m_fallback():
    result = subprocess.run([sys.executable, "-m", "nnfs_cli", "--version"], capture_output=True,
                            text=True, timeout=60, env={**os.environ})
    assert result.returncode == 0 and "nnfs_cli" in result.stdout


def test_blas_threads_are_one_unless_asked(spiral_config, tmp_path, monkeypatch):
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NNFS_THREADS"):
        monkeypatch.delenv(name, raising=False)
    nnfs = _installed_nnfs()
    runs = {"default": [], "flag": ["--threads", "2"]}
    for name, extra in runs.items():
        result = subprocess.run([nnfs, "train", str(spiral_config), "--run-dir",
                                 str(tmp_path / name), "-q", *extra],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}
    result = subprocess.run([nnfs, "train", str(spiral_config), "--run-dir", str(tmp_path / "env"),
                             "-q"], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr

    def threads(name):
        summary = json.loads((tmp_path / name / "summary.json").read_text())
        return {pool["num_threads"] for pool in summary["blas"]}

    assert threads("default") == {1}
    assert threads("flag") == {2}
    assert threads("env") == {2}


def _run_on_terminal(args):
    """Run the installed nnfs on a pseudo-terminal of 120 columns; returns all it wrote."""
    import fcntl
    import pty
    import struct
    import termios

    pid, fd = pty.fork()
    if pid == 0:   # the child: become nnfs
        os.execv(args[0], args)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    return out.decode(errors="replace")


def test_progress_bar_on_a_terminal_plain_lines_elsewhere(spiral_config, tmp_path):
    shown = _run_on_terminal([_installed_nnfs(), "train", str(spiral_config),
                              "--run-dir", str(tmp_path / "tty")])
    frames = [frame for frame in shown.split("\r") if "batch" in frame]
    assert frames and frames[0].startswith("epoch 1/5:")       # 300 samples, batches of 64
    assert "epoch    5  loss" in shown
    plain = run("train", spiral_config, "--run-dir", tmp_path / "plain")
    assert "batch" not in plain.stderr and "\r" not in plain.stderr
    assert "epoch    5  loss" in plain.stderr
