"""Issue 14: many machines share one study in a real PostgreSQL server.

.ci/run starts the server (.ci/postgres.sh installs Debian's postgresql when it is missing) and
sets NNFS_TEST_POSTGRES_URL; without it these tests try the same local server and skip, saying
why, when there is none. Each session works in a fresh database, dropped at the end.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import optuna
import pytest

from fashion_runs import SPIRAL, run_cli
from nnfs_cli.sweep.study import with_driver

NNFS = str(Path(sys.executable).parent / "nnfs")
LOCAL = "postgresql://nnfs:nnfs@127.0.0.1:5432/nnfs_test"   # what .ci/postgres.sh makes
HOW = "run `bash .ci/postgres.sh` as root (as .ci/run does) to install and start one"

BASE = SPIRAL.replace("{epochs: 30, batch_size: 64}", "{epochs: 8, batch_size: 32}")

SWEEP = """\
base: base.yaml
metric: val_accuracy
method: tpe
trials: 6
pruner: {name: median, startup_trials: 2}
parameters:
  optimizer.learning_rate: {low: 1e-4, high: 0.1, log: true}
  model[0].units: {values: [8, 16, 32]}
"""


@pytest.fixture(scope="session")
def postgres_url():
    """The URL of a fresh, empty database on the test server."""
    import psycopg

    if os.environ.get("NNFS_TEST_POSTGRES_SKIP"):
        pytest.skip(os.environ["NNFS_TEST_POSTGRES_SKIP"])
    url = os.environ.get("NNFS_TEST_POSTGRES_URL")
    try:
        admin = psycopg.connect(url or LOCAL, autocommit=True, connect_timeout=5)
    except psycopg.Error as error:
        if url:   # .ci/run said the server is there
            pytest.fail(f"NNFS_TEST_POSTGRES_URL={url} does not connect: {error}")
        pytest.skip(f"no PostgreSQL server at {LOCAL} ({' '.join(str(error).split())}); {HOW}")
    database = f"nnfs_sweep_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f"CREATE DATABASE {database}")
        try:
            yield (url or LOCAL).rsplit("/", 1)[0] + f"/{database}"
        finally:
            admin.execute(f"DROP DATABASE {database} WITH (FORCE)")


def machine(root, name):
    """A working folder standing for one machine, with the base config and the sweep file."""
    folder = root / name
    folder.mkdir()
    (folder / "base.yaml").write_text(BASE)
    (folder / "search.yaml").write_text(SWEEP)
    return folder


def test_two_machines_started_at_once_share_the_trials_without_running_one_twice(
        tmp_path, postgres_url):
    folders = [machine(tmp_path, name) for name in ("a", "b")]
    command = [NNFS, "sweep", "search.yaml", "--storage", postgres_url, "--workers"]
    # Both start on an empty database: both create Optuna's tables and the study at once.
    # Machine a runs two worker processes, machine b one.
    processes = [subprocess.Popen(command + [workers], cwd=folder, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for folder, workers in zip(folders, ("2", "1"))]
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (stdout, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr
        assert "nnfs:***@" in stderr and ":nnfs@" not in stderr   # the password stays hidden

    ran = [{int(path.name[-4:]) for path in (folder / "runs/sweeps/search").glob("trial-*")}
           for folder in folders]
    assert ran[0].isdisjoint(ran[1])
    assert ran[0] | ran[1] == set(range(6))

    study = optuna.load_study(study_name="search",
                              storage=optuna.storages.RDBStorage(with_driver(postgres_url)))
    done = [trial for trial in study.trials if trial.state in (
        optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)]
    assert sorted(trial.number for trial in done) == list(range(6))
    # Numbers drawn past the end are kept, unused, for a later, longer sweep.
    assert all(trial.state == optuna.trial.TrialState.WAITING
               for trial in study.trials if trial.number >= 6)
    for trial in done:   # each trial's run directory is on the machine that ran it
        found = [folder for folder in folders
                 if (folder / trial.user_attrs["run_dir"] / "summary.json").is_file()]
        assert len(found) == 1

    # Any machine reports the whole study.
    elsewhere = machine(tmp_path, "c")
    os.chdir(elsewhere)
    try:
        result = run_cli("sweep", "search.yaml", "--storage", postgres_url, "--report")
    finally:
        os.chdir(tmp_path)
    assert result.exit_code == 0, result.output
    numbers = [int(line.split()[0]) for line in result.stdout.splitlines()[1:]
               if line.split()[0].isdigit()]
    assert sorted(numbers) == list(range(6))
    assert (elsewhere / "runs/sweeps/search/best.yaml").is_file()
