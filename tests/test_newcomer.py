"""Issue 27: what a new user tripped over, each with a test that failed before the fix."""

import subprocess
import sys

import pytest

from nnfs_cli import cli as cli_module


def test_a_ctrl_c_while_the_last_message_prints_is_still_exit_130(monkeypatch, capsys):
    """A second Ctrl-C landing while the first one's message is printed: click's standalone
    mode turned that into "Aborted!" and exit 1."""
    def interrupted_echo(message=None, **options):
        if message and "no such run directory" in str(message):
            raise KeyboardInterrupt
        print(message, file=sys.stderr)

    monkeypatch.setattr(sys, "argv", ["nnfs", "evaluate", "nowhere"])
    monkeypatch.setattr(cli_module.click, "echo", interrupted_echo)
    with pytest.raises(SystemExit) as done:
        cli_module.main()
    assert done.value.code == 130
    assert "Aborted" not in capsys.readouterr().err


def test_usage_errors_and_version_keep_their_codes_outside_standalone_mode(tmp_path):
    nnfs = [sys.executable, "-m", "nnfs_cli"]
    for args, code, text in ((["nope"], 2, "No such command 'nope'"),
                             (["train"], 2, "give a CONFIG file"),
                             (["--version"], 0, "nnfs (nnfs_cli), version"),
                             (["runs", str(tmp_path / "x")], 2, "no such directory")):
        result = subprocess.run([*nnfs, *args], capture_output=True, text=True, timeout=60)
        assert result.returncode == code, (args, result.stderr)
        assert text in result.stdout + result.stderr


INTERRUPTING_IMPORT = '''
import sys

class Interrupt:
    """A Ctrl-C landing while the module named by NNFS_TEST_INTERRUPT is imported."""
    def find_spec(self, name, path=None, target=None):
        import os
        if name == os.environ["NNFS_TEST_INTERRUPT"]:
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, Interrupt())
'''


@pytest.mark.parametrize("module, args", [("click", ["--help"]),
                                          ("numpy", ["train", "spiral.yaml"])])
def test_a_ctrl_c_during_the_first_imports_is_one_line(tmp_path, module, args):
    """Ctrl-C in the first fraction of a second lands in an import: of click while the
    command line loads, of NumPy once the command runs. Either way: one line, exit 130."""
    import shutil
    from pathlib import Path

    nnfs = shutil.which("nnfs", path=str(Path(sys.executable).parent))
    if nnfs is None:
        pytest.skip("the nnfs script is not installed next to this Python")
    (tmp_path / "hook").mkdir()
    (tmp_path / "hook" / "sitecustomize.py").write_text(INTERRUPTING_IMPORT)
    (tmp_path / "spiral.yaml").write_text("data: {name: spiral}\nmodel: [dense: 8, softmax]\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path / "hook"),
           "NNFS_TEST_INTERRUPT": module}
    result = subprocess.run([nnfs, *args], capture_output=True, text=True, timeout=60,
                            cwd=tmp_path, env=env)
    assert (result.returncode, result.stderr, result.stdout) == (130, "Interrupted.\n", "")


def test_resuming_with_another_thread_count_warns(spiral_config, tmp_path):
    """Item 11: results differ in the last bits between thread counts, so a resume with
    another --threads is not bit for bit an uninterrupted run: say so, and keep it."""
    import json

    from nnfs_cli.cli import cli
    from nnfs_cli.compat import cli_runner

    run = tmp_path / "run"
    runner = cli_runner()
    trained = runner.invoke(cli, ["train", str(spiral_config), "--run-dir", str(run), "-q",
                                  "--epochs", "2", "--threads", "1"])
    assert trained.exit_code == 0, trained.output
    same = runner.invoke(cli, ["train", "--resume", str(run), "--epochs", "3",
                               "--threads", "1"])
    assert same.exit_code == 0, same.output
    assert "BLAS thread" not in same.stderr
    other = runner.invoke(cli, ["train", "--resume", str(run), "--epochs", "4",
                                "--threads", "2"])
    assert other.exit_code == 0, other.output
    warning = ("warning: this run trained with 1 BLAS thread and resumes with 2; its results "
               "will differ from an uninterrupted run's in the last bits (--threads 1 resumes "
               "bit for bit)")
    assert warning + "\n" in other.stderr
    assert warning in json.loads((run / "summary.json").read_text())["warnings"]


def test_the_threads_help_says_what_too_many_threads_cost():
    from nnfs_cli.cli import cli
    from nnfs_cli.compat import cli_runner

    text = " ".join(cli_runner().invoke(cli, ["train", "--help"]).output.split())
    assert "More threads than free cores slow training down" in text
    assert "resume with the same count" in text


def test_a_run_killed_before_its_first_checkpoint_resumes_from_epoch_0(spiral_config, tmp_path):
    """Item 8: SIGKILL before the first checkpoint left `killed 0/N`, a run that could not
    resume and a --run-dir that could not be used again. --resume now trains it from 0."""
    import json

    from nnfs_cli.cli import cli
    from nnfs_cli.compat import cli_runner

    runner = cli_runner()
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    for run in (straight, killed):
        result = runner.invoke(cli, ["train", str(spiral_config), "--run-dir", str(run), "-q",
                                     "--epochs", "2"])
        assert result.exit_code == 0, result.output
    # What a kill in the first epoch leaves: the config, and a summary saying "running".
    for path in killed.iterdir():
        if path.name not in ("config.yaml", "summary.json"):
            path.unlink() if path.is_file() else __import__("shutil").rmtree(path)
    summary = json.loads((killed / "summary.json").read_text())
    summary.update(status="running", pid=0, epochs=0)
    (killed / "summary.json").write_text(json.dumps(summary))
    listed = runner.invoke(cli, ["runs", str(tmp_path)])
    assert "killed" in listed.output
    result = runner.invoke(cli, ["train", "--resume", str(killed)])
    assert result.exit_code == 0, result.output
    assert (f"{killed} has no checkpoint (it stopped before its first one): training it again "
            "from epoch 0") in result.stderr
    again, first = (json.loads((run / "summary.json").read_text()) for run in (killed, straight))
    assert again["status"] == "finished" and again["epochs"] == 2
    assert again["val_loss"] == first["val_loss"]
    assert (killed / "params.pkl").read_bytes() == (straight / "params.pkl").read_bytes()


def test_evaluate_warns_about_an_unfinished_run(spiral_config, tmp_path):
    import json

    from nnfs_cli.cli import cli
    from nnfs_cli.compat import cli_runner

    run = tmp_path / "run"
    runner = cli_runner()
    assert runner.invoke(cli, ["train", str(spiral_config), "--run-dir", str(run), "-q",
                               "--epochs", "2"]).exit_code == 0
    assert "warning" not in runner.invoke(cli, ["evaluate", str(run)]).stderr
    summary = json.loads((run / "summary.json").read_text())
    (run / "summary.json").write_text(json.dumps({**summary, "status": "interrupted",
                                                  "epochs": 1, "configured_epochs": 2}))
    result = runner.invoke(cli, ["evaluate", str(run)])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"warning: {run} did not finish training (interrupted "
                                    "after 1 of 2 epochs)\n")


def _table(path, header, rows=90, seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    lines = [",".join(header)]
    for _ in range(rows):
        a, b = rng.normal(size=2)
        lines.append(f"{a:.4f},{b:.4f},{'p' if a + b > 0 else 'q'}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_predict_without_run_picks_the_newest_run_that_takes_these_inputs(tmp_path,
                                                                           monkeypatch):
    """Item 5: the newest finished run whose data set takes these inputs, a full-data one
    before a data.limit one (and loudly when only that fits); else which --run to give."""
    import os

    from nnfs_cli.cli import cli
    from nnfs_cli.compat import cli_runner

    monkeypatch.chdir(tmp_path)
    runner = cli_runner()
    _table(tmp_path / "table.csv", ["a", "b", "label"])
    (tmp_path / "table.yaml").write_text(
        "data: {name: csv, path: table.csv, target: label}\nmodel: [dense: 8, relu, dense: 2, "
        "softmax]\nloss: categorical_crossentropy\noptimizer: {name: adam}\n"
        "training: {epochs: 2}\n")
    (tmp_path / "spiral.yaml").write_text("data: {name: spiral, samples: 30}\n"
                                          "model: [dense: 8, relu, dense: 3, softmax]\n"
                                          "loss: categorical_crossentropy\n"
                                          "optimizer: {name: adam}\ntraining: {epochs: 2}\n")
    trainings = [("table-full", "table.yaml", []), ("table-part", "table.yaml",
                                                     ["--set", "data.limit=40"]),
                 ("spiral-newest", "spiral.yaml", [])]
    for age, (name, config, extra) in zip((300, 200, 100), trainings):
        result = runner.invoke(cli, ["train", config, "--run-dir", f"runs/{name}", "-q", *extra])
        assert result.exit_code == 0, result.output
        os.utime(f"runs/{name}/summary.json", (1_800_000_000 - age,) * 2)

    result = runner.invoke(cli, ["predict", "table.csv"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(os.path.join("using runs", "table-full") + ", the newest "
                                    "finished run that takes rows with the columns a, b, label "
                                    "under runs/ (")
    assert "warning" not in result.stderr

    (tmp_path / "runs" / "table-full" / "params.pkl").unlink()   # only the data.limit one fits
    result = runner.invoke(cli, ["predict", "table.csv"])
    assert result.exit_code == 0, result.output
    part = os.path.join("runs", "table-part")
    assert (f"warning: {part} trained on part of its data (data.limit: 40), and no run on all "
            "of it takes these inputs\n") in result.stderr

    _table(tmp_path / "other.csv", ["x", "y", "z"])
    result = runner.invoke(cli, ["predict", "other.csv"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no trained run that takes rows with the columns x, y, z under runs/; the runs "
        "there take other inputs (spiral-newest, table-part); train one on such rows or "
        "choose a run with --run\n")
    result = runner.invoke(cli, ["predict", "picture.png"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no trained run on pictures under runs/; the runs "
                                    "there take other inputs (spiral-newest, table-part); ")


@pytest.mark.parametrize("name, content, message", [
    ("pants.png", None, "a PNG picture, not a YAML config; to classify it: nnfs predict "
                        "pants.png"),
    ("x.npy", b"\x93NUMPY\x01\x00", "a NumPy .npy array, not a YAML config"),
    ("search.yaml", b"base: spiral.yaml\nmetric: val_accuracy\nparameters:\n  seed: [1, 2]\n",
     "a sweep file (it has base: and parameters:), not a training config; run it with: nnfs "
     "sweep search.yaml"),
])
def test_train_names_what_it_was_given_instead_of_a_config(tmp_path, monkeypatch, name,
                                                           content, message):
    """Item 9: a picture read as "UTF-16 text", a sweep file as six errors and a bogus
    `did you mean 'binary_accuracy'`."""
    import shutil
    from pathlib import Path

    from nnfs_cli.cli import cli
    from nnfs_cli.compat import cli_runner

    monkeypatch.chdir(tmp_path)
    if content is None:
        shutil.copy(Path(__file__).resolve().parents[1] / "examples" / "pants.png", name)
    else:
        Path(name).write_bytes(content)
    result = cli_runner().invoke(cli, ["train", name])
    assert (result.exit_code, result.stderr) == (2, f"Error: {name}: {message}\n")
