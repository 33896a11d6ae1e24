"""`nnfs runs`: every state of a run directory, in start order, as a table and as JSON."""

import contextlib
import datetime
import json
import os
import re
import signal
import time

import yaml

from nnfs_cli.training import run as runner
from nnfs_cli.cli import cli
from nnfs_cli.compat import cli_runner

BASE = time.mktime(time.strptime("20260101-000000", "%Y%m%d-%H%M%S"))
DEAD_PID = 2 ** 30   # beyond any pid_max


def run(*args):
    result = cli_runner().invoke(cli, [str(arg) for arg in args])
    assert "Traceback" not in result.output + result.stderr
    return result


def make_run(root, name, summary=None, epochs=10, written=0.0, data="spiral"):
    """A run directory as `nnfs train` leaves it; `summary` a dict or raw text, written
    (with its mtime) `written` seconds after BASE."""
    path = root / name
    path.mkdir(parents=True)
    (path / "config.yaml").write_text(yaml.safe_dump(
        {"seed": 0, "data": {"name": data}, "training": {"epochs": epochs}}))
    os.utime(path / "config.yaml", (BASE + written, BASE + written))
    if summary is not None:
        text = summary if isinstance(summary, str) else json.dumps(summary)
        (path / "summary.json").write_text(text)
        os.utime(path / "summary.json", (BASE + written, BASE + written))
    return path


def summary(status, epochs, seconds, best=None, final=None, **extra):
    result = {"status": status, "pid": os.getpid(), "data": "spiral", "epochs": epochs,
              "seed": 0, "seconds": seconds, **extra}
    if best is not None:
        result.update(val_accuracy=final, best={"epoch": 1, "monitor": "val_loss",
                                                "val_loss": 0.5, "val_accuracy": best})
    return result


def fake_runs(root):
    """One run in every state; the name, the writing order and the start order all differ."""
    finished = summary("finished", 5, 5000.0, 0.91, 0.9)
    make_run(root, "zeta-long", finished, epochs=5, written=5000)                      # start 0
    make_run(root, "spiral-20260101-000500", summary("finished", 3, 2.5, 0.8, 0.75),
             epochs=3, written=9000)                                                  # 300
    make_run(root, "alpha", summary("interrupted", 3, 75.5, 0.62, 0.6), written=1000)  # 924.5
    make_run(root, "beta", summary("diverged", 2, 12.3, 0.5, 0.4), written=2000)
    make_run(root, "gamma", summary("running", 1, 30.0, 0.7, 0.7), written=3000)
    make_run(root, "delta", summary("running", 4, 3725.0, 0.7, 0.65, pid=DEAD_PID),
             written=7725)                                                            # 4000
    make_run(root, "eps", written=5000)
    make_run(root, "eta", '{"status": "finished", "epo', written=6000)
    make_run(root, "theta", {"status": "finished", "epochs": "many", "val_accuracy": float("nan"),
                             "seconds": -3, "data": 7, "best": [1]}, epochs=5, written=7000)
    (root / "iota").mkdir()
    (root / "iota" / "summary.json").write_text("[1, 2]")
    os.utime(root / "iota" / "summary.json", (BASE + 8000, BASE + 8000))
    (root / "notes").mkdir()
    (root / "notes" / "README").write_text("not a run")
    (root / "todo.txt").write_text("not a run either")


TABLE = """\
run                     data    epochs                best  val_acc   time  status
zeta-long               spiral     5/5  val_loss 0.5000 @1   0.9000  1h23m  finished
spiral-20260101-000500  spiral     3/3  val_loss 0.5000 @1   0.7500   2.5s  finished
alpha                   spiral    3/10  val_loss 0.5000 @1   0.6000  1m15s  interrupted
beta                    spiral    2/10  val_loss 0.5000 @1   0.4000  12.3s  diverged
gamma                   spiral    1/10  val_loss 0.5000 @1   0.7000  30.0s  running
delta                   spiral    4/10  val_loss 0.5000 @1   0.6500  1h02m  killed
eps                     spiral    0/10                   -        -      -  created
eta                     spiral    ?/10                   -        -      -  unreadable
theta                   spiral     ?/5                   -        -      -  finished
iota                    -            -                   -        -      -  unreadable
"""


def test_lists_every_state_newest_last(tmp_path):
    fake_runs(tmp_path / "runs")
    result = run("runs", tmp_path / "runs")
    assert result.exit_code == 0, result.output
    assert result.stdout == TABLE
    assert result.stderr == ""


def test_json_is_a_list_of_objects(tmp_path, monkeypatch):
    fake_runs(tmp_path / "runs")
    monkeypatch.chdir(tmp_path)
    result = run("runs", "--json")   # DIR defaults to runs/
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)
    assert [entry["name"] for entry in runs] == [line.split()[0]
                                                 for line in TABLE.splitlines()[1:]]
    assert runs[0] == {
        "name": "zeta-long", "path": os.path.join("runs", "zeta-long"), "status": "finished",
        "data": "spiral", "epochs": 5, "configured_epochs": 5, "best_epoch": 1,
        "best_monitor": "val_loss", "best_value": 0.5,
        "best_val_accuracy": 0.91, "val_accuracy": 0.9, "early_stopped": None,
        "seconds": 5000.0, "task": None, "val_r2": None,
        "started": datetime.datetime.fromtimestamp(BASE).astimezone().isoformat(),
    }
    stamped = datetime.datetime.fromtimestamp(BASE + 300).astimezone().isoformat()
    assert runs[1]["started"] == stamped
    assert {entry["name"]: entry["status"] for entry in runs}["delta"] == "killed"


def test_real_runs_in_each_end_state(spiral_config, write_config, tmp_path, monkeypatch):
    root = tmp_path / "runs"
    assert run("train", spiral_config, "--run-dir", root / "done", "-q").exit_code == 0

    @contextlib.contextmanager
    def ctrl_c_after_one_batch():
        yield lambda: signal.SIGINT

    with monkeypatch.context() as patch:
        patch.setattr(runner, "graceful_stop", ctrl_c_after_one_batch)
        assert run("train", spiral_config, "--run-dir", root / "stopped").exit_code == 130

    sine = write_config("""\
        data: {name: sine, samples: 200, validation_samples: 50}
        model: [{dense: {units: 16}}, relu, {dense: {units: 1}}, linear]
        loss: mean_squared_error
        optimizer: {name: sgd, learning_rate: 10}
        training: {epochs: 10, batch_size: 32}
        """, "sine.yaml")
    assert run("train", sine, "--run-dir", root / "blown", "-q").exit_code == 1

    result = run("runs", root, "--json")
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)
    summaries = [json.loads((root / name / "summary.json").read_text())
                 for name in ("done", "stopped", "blown")]
    assert [(entry["name"], entry["status"], entry["epochs"], entry["configured_epochs"])
            for entry in runs] == [("done", "finished", 5, 5), ("stopped", "interrupted", 0, 5),
                                   ("blown", "diverged", 2, 10)]
    assert [entry["seconds"] for entry in runs] == [s["seconds"] for s in summaries]
    assert runs[0]["val_accuracy"] == summaries[0]["val_accuracy"]
    assert runs[0]["best_val_accuracy"] == summaries[0]["best"]["val_accuracy"]

    lines = run("runs", root).stdout.splitlines()
    assert lines[0].split() == ["run", "data", "epochs", "best", "val_acc", "time", "status"]

    def best(summary):   # the monitored value at the best epoch, named, and that epoch
        return f"val_loss {summary['best']['val_loss']:.4f} @{summary['best']['epoch']}"

    assert [line.split()[:3] + [line.split()[-1]] for line in lines[1:]] == [
        ["done", "spiral", "5/5", "finished"], ["stopped", "spiral", "0/5", "interrupted"],
        ["blown", "sine", "2/10", "diverged"]]
    assert re.search(f"{best(summaries[0])} +{summaries[0]['val_accuracy']:.4f}", lines[1])
    r2 = summaries[2]["val_r2"]   # a regression shows R² (its accuracy is the book's)
    shown = f"r2 {r2:{'.4f' if r2 > -1000 else '.3g'}}"
    assert re.search(re.escape(best(summaries[2])) + " +" + re.escape(shown), lines[3])
    assert runs[0]["best_monitor"] == "val_loss"
    assert runs[0]["best_value"] == summaries[0]["best"]["val_loss"]


def test_empty_and_missing_directories(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes").mkdir()
    result = run("runs", empty)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0, f"no runs under {empty}/ yet\n", "")
    assert run("runs", empty, "--json").stdout == "[]\n"

    # A DIR the caller names must exist (exit 2: a typo is theirs) ...
    result = run("runs", tmp_path / "missing")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path / 'missing'}: no such directory\n"
    (tmp_path / "file").write_text("")
    result = run("runs", tmp_path / "file")
    assert (result.exit_code, result.stderr) == (2, f"Error: {tmp_path / 'file'}: not a directory\n")
    # ... but runs/ appears with the first run: before that, an empty listing.
    monkeypatch.chdir(tmp_path)
    result = run("runs")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "no runs under runs/ yet\n", "")
    assert (run("runs", "--json").exit_code, run("runs", "--json").stdout) == (0, "[]\n")
