"""Issue 14: `nnfs sweep`, hyper-parameter search on Optuna, end to end on tiny spiral data."""

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import optuna
import pytest
import yaml

from fashion_runs import SPIRAL, run_cli
from nnfs_cli import config as configs
from nnfs_cli.training.signals import graceful_stop
from nnfs_cli.sweep import spec

NNFS = str(Path(sys.executable).parent / "nnfs")

BASE = SPIRAL.replace("epochs: 30,", "epochs: 6,")   # fashion_runs' spiral, shorter

SWEEP = """\
base: base.yaml
metric: val_accuracy
method: random
trials: 4
seed: 0
pruner: none
parameters:
  optimizer.learning_rate: {low: 0.005, high: 0.05, log: true}
  model[0].units: {values: [8, 16]}
"""


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """tmp_path as the working folder, with base.yaml (the tiny spiral) in it."""
    (tmp_path / "base.yaml").write_text(BASE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def summary(run_dir):
    return json.loads((Path(run_dir) / "summary.json").read_text())


def trial_dirs(folder, name):
    return sorted(path.name for path in (folder / "runs" / "sweeps" / name).glob("trial-*"))


def table_rows(stdout):
    """The table's lines after its header, up to the closing lines."""
    lines = stdout.splitlines()
    assert lines[0].split()[0] == "trial", stdout
    return [line.split() for line in lines[1:] if line and line.split()[0].isdigit()]


def test_trials_are_run_directories_and_the_best_config_trains_to_the_same_result(folder):
    write(folder, "search.yaml", SWEEP)
    result = run_cli("sweep", "search.yaml", "--workers", 1)
    assert result.exit_code == 0, result.output
    sweep_dir = folder / "runs" / "sweeps" / "search"
    assert trial_dirs(folder, "search") == [f"trial-000{n}" for n in range(4)]
    assert "sweep search: 4 of 4 trials to run, 1 worker" in result.stderr

    rows = read_csv(sweep_dir / "sweep.csv")
    assert [row["state"] for row in rows] == ["finished"] * 4
    accuracies = [float(row["val_accuracy"]) for row in rows]
    assert accuracies == sorted(accuracies, reverse=True)            # best first
    assert [int(row[0]) for row in table_rows(result.stdout)] == [int(r["trial"]) for r in rows]
    for row in rows:
        run_dir = Path(row["run_dir"])
        config = yaml.safe_load((run_dir / "config.yaml").read_text())
        assert config["optimizer"]["learning_rate"] == float(row["optimizer.learning_rate"])
        assert config["model"][0]["dense"]["units"] == int(row["model[0].units"])
        assert 0.005 <= float(row["optimizer.learning_rate"]) <= 0.05
        assert summary(run_dir)["status"] == "finished"
        assert summary(run_dir)["val_accuracy"] == float(row["val_accuracy"])
    assert (sweep_dir / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    best = rows[0]
    best_yaml = sweep_dir / "best.yaml"
    assert best_yaml.read_text().startswith(f"# The best trial of sweep search: trial {best['trial']}")
    assert f"best: trial {best['trial']}, val_accuracy" in result.stdout
    assert configs.load(best_yaml) == configs.load(Path(best["run_dir"]) / "config.yaml")
    trained = run_cli("train", best_yaml, "--run-dir", folder / "again", "-q")
    assert trained.exit_code == 0, trained.output
    assert summary(folder / "again")["val_accuracy"] == float(best["val_accuracy"])

    # The trials are ordinary runs: listed, evaluated, and --report tells the same table.
    listed = run_cli("runs", sweep_dir)
    assert [line.split()[0] for line in listed.stdout.splitlines()[1:]] == trial_dirs(folder, "search")
    evaluated = run_cli("evaluate", best["run_dir"], "--json")
    assert evaluated.exit_code == 0, evaluated.output
    np.save(folder / "points.npy", np.array([[0.1, 0.2], [-0.5, 0.3]], dtype=np.float32))
    predicted = run_cli("predict", folder / "points.npy", "--run", best["run_dir"])
    assert predicted.exit_code == 0, predicted.output
    assert len(predicted.stdout.splitlines()) == 2
    reported = run_cli("sweep", "search.yaml", "--report")
    assert reported.exit_code == 0, reported.output
    assert table_rows(reported.stdout) == table_rows(result.stdout)
    assert reported.stderr == ""


def test_a_bad_range_is_pruned_and_pruned_trials_show_in_nnfs_runs(folder):
    # A good trial first, then the same study continues with a learning rate far too small.
    pruner = "pruner: {name: median, startup_trials: 1, warmup_epochs: 1}"
    write(folder, "good.yaml", f"""\
        base: base.yaml
        metric: val_accuracy
        method: random
        trials: 1
        {pruner}
        parameters:
          optimizer.learning_rate: {{low: 0.02, high: 0.05, log: true}}
        """)
    write(folder, "bad.yaml", f"""\
        base: base.yaml
        metric: val_accuracy
        method: random
        trials: 3
        {pruner}
        parameters:
          optimizer.learning_rate: {{low: 1e-7, high: 1e-6, log: true}}
        """)
    assert run_cli("sweep", "good.yaml", "--name", "lr", "--workers", 1).exit_code == 0
    result = run_cli("sweep", "bad.yaml", "--name", "lr", "--workers", 1)
    assert result.exit_code == 0, result.output
    assert "sweep lr: 2 of 3 trials to run" in result.stderr
    rows = {row["trial"]: row for row in read_csv(folder / "runs/sweeps/lr/sweep.csv")}
    assert rows["0"]["state"] == "finished"
    for number in ("1", "2"):
        assert rows[number]["state"] == "pruned"
        assert f"trial {number} pruned (2 epochs" in result.stderr
        run = summary(folder / f"runs/sweeps/lr/trial-000{number}")
        assert (run["status"], run["epochs"], run["configured_epochs"]) == ("pruned", 2, 6)
        assert float(rows[number]["val_accuracy"]) == run["val_accuracy"]   # the last epoch's
    listed = run_cli("runs", folder / "runs/sweeps/lr").stdout.splitlines()
    assert listed[2].split()[0] == "trial-0001" and listed[2].split()[-1] == "pruned"
    assert "2/6" in listed[2]
    # A pruned trial can still be trained to its end outside the sweep.
    resumed = run_cli("train", "--resume", folder / "runs/sweeps/lr/trial-0001", "-q")
    assert resumed.exit_code == 0, resumed.output
    assert summary(folder / "runs/sweeps/lr/trial-0001")["epochs"] == 6


def test_running_again_continues_the_study_up_to_its_trials(folder):
    write(folder, "search.yaml", SWEEP.replace("trials: 4", "trials: 3"))
    first = run_cli("sweep", "search.yaml", "--workers", 1, "--trials", 2)
    assert first.exit_code == 0, first.output
    assert trial_dirs(folder, "search") == ["trial-0000", "trial-0001"]
    kept = (folder / "runs/sweeps/search/trial-0000/summary.json").read_bytes()

    second = run_cli("sweep", "search.yaml", "--workers", 1)
    assert second.exit_code == 0, second.output
    assert "sweep search: 1 of 3 trials to run" in second.stderr
    assert "trial 2 started" in second.stderr and "trial 0 " not in second.stderr
    assert trial_dirs(folder, "search") == ["trial-0000", "trial-0001", "trial-0002"]
    assert (folder / "runs/sweeps/search/trial-0000/summary.json").read_bytes() == kept
    assert len(table_rows(second.stdout)) == 3

    third = run_cli("sweep", "search.yaml", "--workers", 1)
    assert third.exit_code == 0, third.output
    assert "all 3 trials are taken" in third.stderr
    assert len(table_rows(third.stdout)) == 3


def test_grid_search_runs_every_point_once(folder):
    write(folder, "grid.yaml", """\
        base: base.yaml
        metric: val_loss
        method: grid
        pruner: none
        parameters:
          model[0].units: {values: [4, 8]}
          training.batch_size: {low: 63, high: 64}
        """)
    result = run_cli("sweep", "grid.yaml", "--workers", 1)
    assert result.exit_code == 0, result.output
    rows = read_csv(folder / "runs/sweeps/grid/sweep.csv")
    assert sorted((row["model[0].units"], row["training.batch_size"]) for row in rows) == [
        ("4", "63"), ("4", "64"), ("8", "63"), ("8", "64")]
    losses = [float(row["val_loss"]) for row in rows]
    assert losses == sorted(losses)                                  # val_loss: lowest first


SINE = """\
seed: 0
data: {name: sine, samples: 200, validation_samples: 50}
model:
  - dense: {units: 16}
  - relu
  - dense: {units: 1}
  - linear
loss: mean_squared_error
optimizer: {name: sgd, learning_rate: 0.01}
training: {epochs: 5, batch_size: 32}
"""


def test_failed_trials_are_reported_and_the_sweep_goes_on(folder):
    # Plain SGD at a learning rate of 10 diverges: that trial fails, the other one trains.
    (folder / "sine.yaml").write_text(SINE)
    write(folder, "fails.yaml", """\
        base: sine.yaml
        method: grid
        pruner: none
        parameters:
          optimizer.learning_rate: {values: [10, 0.01]}
        """)
    result = run_cli("sweep", "fails.yaml", "--workers", 1)
    assert result.exit_code == 0, result.output
    rows = read_csv(folder / "runs/sweeps/fails/sweep.csv")
    assert [(row["optimizer.learning_rate"], row["state"]) for row in rows] == [
        ("0.01", "finished"), ("10", "failed")]
    assert rows[1]["error"].startswith("training diverged")
    assert summary(rows[1]["run_dir"])["status"] == "diverged"
    assert "trial 0 failed: training diverged" in result.stderr or \
        "trial 1 failed: training diverged" in result.stderr

    write(folder, "all_fail.yaml", """\
        base: sine.yaml
        parameters:
          optimizer.learning_rate: {values: [10]}
        """)
    result = run_cli("sweep", "all_fail.yaml", "--workers", 1, "--trials", 1)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: every trial of sweep all_fail failed (the errors are above and in "
        "runs/sweeps/all_fail/sweep.csv)")


# --- Ctrl-C ------------------------------------------------------------------------------

SLOW_BASE = BASE.replace("training: {epochs: 6, batch_size: 64}",
                         "training: {epochs: 200, batch_size: 4}")


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_checkpoints_the_running_trials_and_running_again_resumes_them(folder, workers):
    (folder / "base.yaml").write_text(SLOW_BASE)
    write(folder, "slow.yaml", SWEEP.replace("trials: 4", "trials: 2"))
    started = subprocess.Popen([NNFS, "sweep", "slow.yaml", "--workers", str(workers)],
                               cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    first = [folder / f"runs/sweeps/slow/trial-000{n}" for n in range(workers)]
    deadline = time.monotonic() + 60
    while not all(_training(run_dir) for run_dir in first):
        assert time.monotonic() < deadline and started.poll() is None, started.communicate()
        time.sleep(0.1)
    started.send_signal(signal.SIGINT)
    stdout, stderr = started.communicate(timeout=60)
    assert started.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == "sweep interrupted; run the same command again to continue it"
    for run_dir in first:
        assert summary(run_dir)["status"] == "interrupted"
        assert (run_dir / "checkpoint.pkl").is_file()
    assert "interrupted" in stdout                                   # the table still shows

    again = subprocess.run([NNFS, "sweep", "slow.yaml", "--workers", str(workers)], cwd=folder,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"({workers} to resume)" in again.stderr
    assert trial_dirs(folder, "slow") == ["trial-0000", "trial-0001"]
    for run_dir in first:
        assert "resuming" in (run_dir / "train.log").read_text()
        assert summary(run_dir)["status"] == "finished"
        assert summary(run_dir)["epochs"] == 200
    states = [row["state"] for row in read_csv(folder / "runs/sweeps/slow/sweep.csv")]
    assert states == ["finished"] * 2


def _training(run_dir):
    try:
        return summary(run_dir)["status"] == "running"
    except (OSError, ValueError, KeyError):
        return False


def test_a_signal_before_training_starts_reaches_the_training():
    # A sweep worker's graceful_stop is still listening while the next trial loads its data.
    with graceful_stop() as outer:
        os.kill(os.getpid(), signal.SIGINT)
        with graceful_stop() as inner:
            assert inner() == signal.SIGINT
        assert outer() == signal.SIGINT


# --- bad sweep files and options ---------------------------------------------------------

BAD = [
    ("parameters:\n  model[0].unit: {values: [8, 16]}\n",
     ["parameters.model[0].unit: unknown key 'unit' for dense; choose from units, init, "
      "weight_l1, weight_l2, bias_l1, bias_l2 (did you mean 'units'?)"]),
    ("parameters:\n  model[1].rate: {low: 0.1, high: 0.2}\n",
     ["parameters.model[1].rate: unknown key 'rate' for relu; choose from (none)"]),
    ("parameters:\n  model[7].units: {values: [8]}\n",
     ["parameters.model[7].units: no item [7]; model has 4 items, [0] to [3]"]),
    ("parameters:\n  optimizer.learning_rate: {low: 0.1, high: 1e-3}\n",
     ["parameters.optimizer.learning_rate: low 0.1 is greater than high 0.001"]),
    ("parameters:\n  optimizer.learning_rate: {low: 0, high: 0.1, log: true}\n",
     ["parameters.optimizer.learning_rate.low: a log range needs low > 0, got 0"]),
    ("method: grid\nparameters:\n  optimizer.learning_rate: {low: 1e-4, high: 0.1}\n",
     ["parameters.optimizer.learning_rate: grid search needs a list of values (or an integer "
      "range), not the range 0.0001 to 0.1"]),
    ("method: grid\ntrials: 5\nparameters:\n  model[0].units: {values: [8, 16]}\n",
     ["trials: the grid has only 2 points, got 5"]),
    ("parameters:\n  data.samples: {values: [50, -3]}\n",
     ["parameters.data.samples.values[1]: expected a positive integer, got -3"]),
    ("parameters:\n  optimizer.learning_rate: {low: 0.1, hgih: 0.2}\n",
     ["parameters.optimizer.learning_rate.hgih: unknown key 'hgih'; choose from low, high, "
      "log, values (did you mean 'high'?)"]),
    ("parameters:\n  optimizer.learning_rate: {values: [0.1], low: 0.1}\n",
     ["parameters.optimizer.learning_rate: give either values or low and high, not both"]),
    ("parameters:\n  model[0].units: {values: []}\n",
     ["parameters.model[0].units.values: expected a non-empty list, got []"]),
    ("parameters: {}\n",
     ["parameters: expected a mapping of key paths to ranges or values, got {}"]),
    ("metric: test_accuracy\nparameters:\n  model[0].units: {values: [8]}\n",
     ["metric: data set 'spiral' has no test split; use val_accuracy"]),
    ("metric: val_f1_macro\nparameters:\n  model[0].units: {values: [8]}\n",
     ["metric: val_f1_macro is not one of the base config's metrics (accuracy); add f1_macro "
      "to its `metrics`"]),
    ("metric: val_acc\nmethod: bayes\ngoal: up\nseed: -1\nparameters:\n"
     "  model[0].units: {values: [8]}\n",
     ["metric: expected one of val_loss, val_accuracy, loss, accuracy, test_loss, "
      "test_accuracy, or a score of the base config's metrics (val_f1_macro, test_r2...), "
      "got 'val_acc' (did you mean 'val_accuracy'?)",
      "goal: expected one of minimize, maximize, got 'up'",
      "method: expected one of tpe, random, grid, got 'bayes'",
      "seed: expected a non-negative integer, got -1"]),
    ("pruner: {name: median, startup: 2}\nparameters:\n  model[0].units: {values: [8]}\n",
     ["pruner.startup: unknown key 'startup' for median; choose from startup_trials, "
      "warmup_epochs"]),
    ("pruner: hyperband\nparameters:\n  model[0].units: {values: [8]}\n",
     ["pruner: unknown pruner 'hyperband'; choose from median, none"]),
    ("trails: 3\nparameters:\n  model[0].units: {values: [8]}\n",
     ["trails: unknown key 'trails' for a sweep; choose from base, metric, goal, method, "
      "trials, seed, pruner, parameters (did you mean 'trials'?)"]),
]


@pytest.mark.parametrize("text, problems", BAD)
def test_a_bad_sweep_file_is_a_config_error_before_any_trial(folder, text, problems):
    write(folder, "bad.yaml", "base: base.yaml\n" + text)
    result = run_cli("sweep", "bad.yaml")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"Error: bad.yaml: {problem}" for problem in problems]
    assert not (folder / "runs").exists()


def test_a_missing_or_broken_base_config_is_named(folder):
    write(folder, "nobase.yaml", "base: missing.yaml\nparameters:\n  seed: {values: [1]}\n")
    result = run_cli("sweep", "nobase.yaml")
    assert (result.exit_code, result.stderr) == (
        2, "Error: nobase.yaml: base: no config file missing.yaml (looked for missing.yaml)\n")
    (folder / "broken.yaml").write_text(BASE.replace("units: 16", "units: -3"))
    write(folder, "broken_base.yaml", "base: broken.yaml\nparameters:\n  seed: {values: [1]}\n")
    result = run_cli("sweep", "broken_base.yaml")
    assert (result.exit_code, result.stderr) == (
        2, "Error: broken.yaml: model[0].units: expected a positive integer, got -3\n")
    result = run_cli("sweep", "absent.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: absent.yaml: cannot read sweep file: ")


def test_bad_options_and_storage_problems_are_one_line(folder, monkeypatch):
    write(folder, "search.yaml", SWEEP)
    result = run_cli("sweep", "search.yaml", "--name", "../up")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == ("Error: Invalid value for --name: use letters, "
                                              "digits, '_', '.' and '-' (a folder name)")
    cases = [
        (["--report"], 1, "Error: no sweep 'search' here (runs/sweeps/search/journal.log does "
                          "not exist); run nnfs sweep search.yaml first"),
        (["--storage", "nowhere"], 2, "Error: --storage nowhere: expected a database URL such "
                                      "as postgresql://user:password@host/database"),
        (["--storage", "postgresql://me:secret@127.0.0.1:1/db"], 1,
         "Error: cannot open the study database postgresql://me:***@127.0.0.1:1/db: "),
    ]
    for args, code, message in cases:
        result = run_cli("sweep", "search.yaml", *args)
        assert result.exit_code == code, (args, result.output)
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(message), result.stderr
        assert "secret" not in result.output
    # Without a PostgreSQL driver: one line that says what to install.
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.setitem(sys.modules, "psycopg2", None)
    result = run_cli("sweep", "search.yaml", "--storage", "postgresql://me:secret@db-host/sweeps")
    assert (result.exit_code, result.stderr) == (1, (
        "Error: --storage postgresql://me:***@db-host/sweeps: no PostgreSQL driver is "
        "installed; install one with: pip install 'nnfs-cli[postgres]'\n"))


def test_a_study_keeps_its_metric_and_direction(folder):
    write(folder, "search.yaml", SWEEP.replace("trials: 4", "trials: 1"))
    assert run_cli("sweep", "search.yaml", "--workers", 1).exit_code == 0
    write(folder, "search.yaml", SWEEP.replace("metric: val_accuracy", "metric: val_loss"))
    result = run_cli("sweep", "search.yaml", "--workers", 1)
    assert (result.exit_code, result.stderr) == (2, (
        "Error: sweep 'search' already exists and maximizes val_accuracy, but search.yaml asks "
        "to minimize val_loss; choose another --name\n"))


def test_goal_overrides_the_direction_the_metric_implies(folder):
    write(folder, "search.yaml", SWEEP + "goal: minimize\n")
    assert spec.load(folder / "search.yaml").goal == "minimize"
    write(folder, "search.yaml", SWEEP.replace("val_accuracy", "loss"))
    parsed = spec.load(folder / "search.yaml")
    assert (parsed.goal, parsed.epoch_metric) == ("minimize", "loss")


def test_the_shipped_sweep_is_valid(repo_root):
    parsed = spec.load(repo_root / "sweeps" / "spiral.yaml")
    assert parsed.base == configs.load(repo_root / "configs" / "spiral.yaml")
    assert (parsed.metric, parsed.goal, parsed.method, parsed.trials) == (
        "val_accuracy", "maximize", "tpe", 20)


def test_two_workers_share_the_journal_and_run_each_trial_once(folder):
    write(folder, "search.yaml", SWEEP.replace("trials: 4", "trials: 2"))
    assert run_cli("sweep", "search.yaml", "--workers", 2).exit_code == 0
    from optuna.storages.journal import JournalFileBackend
    storage = optuna.storages.JournalStorage(
        JournalFileBackend(str(folder / "runs/sweeps/search/journal.log")))
    study = optuna.load_study(study_name="search", storage=storage)
    finished = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert sorted(t.number for t in finished) == [0, 1]
    assert os.getpid() not in {t.user_attrs["pid"] for t in finished}   # worker processes ran them
