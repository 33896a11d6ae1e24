"""Sweeps against hostile and broken state, through the installed `nnfs` under a memory limit
and a timeout: huge grids, a journal cut short or replaced by a FIFO, trials whose data or
process went missing, odd names and storage URLs (#28)."""

import csv
import json
import os
import shutil
import socket
import subprocess
import textwrap

import pytest

from fashion_runs import SPIRAL
from hostile import assert_one_line, fifo, leftovers, link_to_zero, nnfs, tree

BASE = SPIRAL.replace("epochs: 30,", "epochs: 2,")
SWEEP = """\
base: base.yaml
metric: val_accuracy
method: random
trials: 1
seed: 0
pruner: none
parameters:
  model[0].units: {values: [8, 16]}
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "s.yaml").write_text(SWEEP)
    return tmp_path


def sweep(folder, *args, **options):
    return nnfs("sweep", "s.yaml", "--workers", 1, *args, cwd=folder, **options)


def states(folder, name="s"):
    with open(folder / "runs" / "sweeps" / name / "sweep.csv", newline="") as f:
        return {int(row["trial"]): row for row in csv.DictReader(f)}


def journal(folder, name="s"):
    return folder / "runs" / "sweeps" / name / "journal.log"


# --- item 3: a grid of 10**9 points -------------------------------------------------------


def test_a_grid_of_a_billion_points_is_never_listed(folder):
    (folder / "s.yaml").write_text(textwrap.dedent("""\
        base: base.yaml
        metric: val_accuracy
        method: grid
        trials: 2
        pruner: none
        parameters:
          model[0].units: {low: 1, high: 1000}
          training.batch_size: {low: 1, high: 1000}
          training.print_every: {low: 1, high: 1000}
        """))
    result = sweep(folder, memory=1 << 30)
    assert result.returncode == 0, result.stderr
    rows = states(folder)
    assert [row["state"] for row in rows.values()] == ["finished", "finished"]
    points = {tuple(int(row[key]) for key in ("model[0].units", "training.batch_size",
                                               "training.print_every")) for row in rows.values()}
    assert len(points) == 2 and all(1 <= value <= 1000 for point in points for value in point)


# --- items 4 and 6: the journal ---------------------------------------------------------


def test_a_journal_cut_short_is_repaired_in_one_line(folder):
    assert sweep(folder).returncode == 0
    path = journal(folder)
    last = path.read_bytes().splitlines(keepends=True)[-1]
    with open(path, "ab") as f:   # a kill while a record was being written
        f.write(last[:len(last) // 2])
    result = sweep(folder, "--trials", 2)
    assert result.returncode == 0, result.stderr
    assert (f"note: {path.relative_to(folder)}: its last record was cut short (the sweep was "
            f"killed while writing it); dropped those {len(last) // 2:,} bytes") in result.stderr
    result = sweep(folder, "--report")
    assert result.returncode == 0, result.stderr
    assert [row["state"] for row in states(folder).values()] == ["finished", "finished"]
    assert "note:" not in result.stderr


def test_a_journal_an_earlier_version_broke_is_repaired(folder):
    assert sweep(folder).returncode == 0
    path = journal(folder)
    good = path.read_bytes()
    lines = good.splitlines(keepends=True)
    cut = lines[2][:20]   # a record cut short, with the next one appended onto it
    path.write_bytes(b"".join(lines[:3] + [cut + lines[3]] + lines[4:]))
    result = sweep(folder, "--report")
    assert result.returncode == 0, result.stderr
    assert (f"note: {path.relative_to(folder)}: line 4 began with a record cut short, with a "
            "whole one after it; dropped the 20 bytes of the cut one") in result.stderr
    assert path.read_bytes() == good


@pytest.mark.parametrize("kind, message", [
    ("fifo", "is a FIFO, not a regular file"),
    ("zero", "is a character device, not a regular file"),
    ("text", "journal.log:1: not a record of an Optuna journal"),
    ("latin-1", "journal.log:3: not UTF-8 text (byte 0xe9); not an Optuna journal"),
])
def test_a_journal_that_is_not_one_is_refused_in_one_line(folder, kind, message):
    path = journal(folder)
    path.parent.mkdir(parents=True)
    notes = folder / "notes.txt"
    notes.write_text("my notes\n")
    if kind == "fifo":
        fifo(path)
    elif kind == "zero":
        link_to_zero(path)
    elif kind == "text":
        os.symlink(notes, path)
    else:
        assert sweep(folder).returncode == 0
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(lines[:2] + ['{"op_code": "café"}\n'.encode("latin-1")]
                                  + lines[2:]))
    before = tree(folder)
    for args in (["--report"], []):
        result = sweep(folder, *args, timeout=60)
        assert_one_line(result, 1, f"{path.relative_to(folder)}", message)
    assert tree(folder) == before and notes.read_text() == "my notes\n"
    assert not leftovers(folder)


# --- item 10: a trial whose data is missing ------------------------------------------------

CSV_BASE = """\
seed: 0
data: {name: csv, path: DATA}
model: [{dense: {units: 8}}, relu, {dense: {units: 2}}, softmax]
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.02}
training: {epochs: 2, batch_size: 16}
"""


def test_a_trial_whose_data_is_missing_fails_and_the_sweep_goes_on(folder):
    (folder / "good.csv").write_text("a,b,label\n" + "".join(
        f"{i % 7},{i % 5},{i % 2}\n" for i in range(60)))
    (folder / "base.yaml").write_text(CSV_BASE.replace("DATA", "good.csv"))
    (folder / "s.yaml").write_text(SWEEP.replace("trials: 1", "trials: 2").replace(
        "method: random", "method: grid").replace(
        "model[0].units: {values: [8, 16]}", "data.path: {values: [good.csv, missing.csv]}"))
    result = sweep(folder)
    assert result.returncode == 0, result.stderr
    rows = states(folder)
    by_path = {row["data.path"]: row for row in rows.values()}
    assert by_path["good.csv"]["state"] == "finished"
    assert by_path["missing.csv"]["state"] == "failed"
    assert by_path["missing.csv"]["error"] == f"{folder / 'missing.csv'}: no such file"
    assert f"failed: {folder / 'missing.csv'}: no such file" in result.stderr
    again = sweep(folder)
    assert again.returncode == 0 and "all 2 trials are taken" in again.stderr

    # Data missing for every trial (the base config's): stopped, and no trial used up.
    (folder / "base.yaml").write_text(CSV_BASE.replace("DATA", "gone.csv"))
    (folder / "s.yaml").write_text(SWEEP)
    result = sweep(folder, "--name", "base-data")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == f"Error: {folder / 'gone.csv'}: no such file"
    report = sweep(folder, "--name", "base-data", "--report")
    assert report.returncode == 0, report.stderr
    assert "sweep base-data has no trials yet" in report.stdout


# --- item 11: a trial whose process was killed ---------------------------------------------


def test_trials_whose_process_is_gone_are_recorded_from_their_run_directories(folder, spiral):
    from nnfs_cli.sweep import spec
    from nnfs_cli.sweep import study as studies

    (folder / "s.yaml").write_text(SWEEP.replace("trials: 1", "trials: 3"))
    sweep_dir = folder / "runs" / "sweeps" / "s"
    parsed = spec.load(folder / "s.yaml")
    storage = studies.open_storage(None, sweep_dir)
    study = studies.open_study(storage, "s", parsed)
    gone = subprocess.Popen(["true"])
    gone.wait()   # a pid whose process has ended, as a SIGKILLed worker's
    for number, status in ((0, "finished"), (1, "running")):
        trial = study.ask()
        trial.suggest_categorical("model[0].units", [8, 16])
        run_dir = shutil.copytree(spiral, sweep_dir / f"trial-{number:04d}")
        summary = json.loads((run_dir / "summary.json").read_text())
        summary.update(status=status, pid=gone.pid)
        (run_dir / "summary.json").write_text(json.dumps(summary))
        trial.set_user_attr("host", socket.gethostname())
        trial.set_user_attr("pid", gone.pid)
        trial.set_user_attr("run_dir", f"runs/sweeps/s/trial-{number:04d}")
    accuracy = json.loads((spiral / "summary.json").read_text())["val_accuracy"]
    result = sweep(folder)
    assert result.returncode == 0, result.stderr
    assert (f"trial 0: its process {gone.pid} is gone, and runs/sweeps/s/trial-0000 has "
            f"finished since: recorded it, val_accuracy {accuracy:.4f}") in result.stderr
    assert (f"trial 1 failed: its process {gone.pid} on {socket.gethostname()} was killed "
            "(SIGKILL, out of memory, a power cut?); nnfs train --resume "
            "runs/sweeps/s/trial-0001 can still finish the run") in result.stderr
    rows = states(folder)
    assert {number: row["state"] for number, row in rows.items()} == {
        0: "finished", 1: "failed", 2: "finished"}
    assert float(rows[0]["val_accuracy"]) == accuracy
    assert "killed" in rows[1]["error"]
    assert "all 3 trials are taken" in sweep(folder).stderr


# --- item 15 and small items: names and storage URLs ---------------------------------------


def test_a_storage_url_it_cannot_parse_is_a_usage_error(folder):
    result = sweep(folder, "--storage", "postgresql://u:secret@[::1")
    line = assert_one_line(result, 2, "--storage postgresql://u:***@[::1: not a database URL "
                                      "it can read (")
    assert "secret" not in line and "internal error" not in line


def test_masking_hides_the_password_in_urls_only(folder):
    pytest.importorskip("psycopg")
    url = "postgresql://u:a@127.0.0.1:1/db"   # a password of one letter, nothing listens
    result = sweep(folder, "--storage", url)
    line = assert_one_line(result, 1, "postgresql://u:***@127.0.0.1:1/db")
    assert "failed" in line and "f***iled" not in line and ":a@" not in line


def test_sweep_names_from_odd_file_names_and_overlong_names(folder):
    shutil.copy(folder / "s.yaml", folder / "my sweep.yaml")
    result = nnfs("sweep", "my sweep.yaml", "--report", cwd=folder)
    assert_one_line(result, 1, "no sweep 'my-sweep' here (runs/sweeps/my-sweep/journal.log "
                               "does not exist)")
    result = nnfs("sweep", "my sweep.yaml", "--workers", 1, cwd=folder)
    assert result.returncode == 0, result.stderr
    assert (folder / "runs" / "sweeps" / "my-sweep" / "trial-0000").is_dir()
    result = sweep(folder, "--name", "n" * 300)
    assert result.returncode == 2   # a usage error, as click reports them
    assert result.stderr.splitlines()[-1] == ("Error: Invalid value for --name: at most 100 "
                                              "characters (a folder name), got 300")
    assert [p.name for p in (folder / "runs" / "sweeps").iterdir()] == ["my-sweep"]


def test_an_in_memory_database_is_one_worker(folder):
    result = nnfs("sweep", "s.yaml", "--storage", "sqlite://", "--workers", 2, cwd=folder)
    assert_one_line(result, 2, "--storage sqlite://: an in-memory SQLite database is private "
                               "to each process, so --workers 2 would run that many separate "
                               "studies; use --workers 1, or a file: sqlite:///sweep.db")
    (folder / "s.yaml").write_text(SWEEP.replace("trials: 1", "trials: 2"))
    result = nnfs("sweep", "s.yaml", "--storage", "sqlite://", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "2 of 2 trials to run, 1 worker" in result.stderr
    assert [row["state"] for row in states(folder).values()] == ["finished", "finished"]


def test_a_sweep_file_of_20000_values_is_refused_quickly(folder):
    values = ", ".join(str(n) for n in range(1, 20_001))
    (folder / "s.yaml").write_text(SWEEP.replace("[8, 16]", f"[{values}]"))
    result = sweep(folder, "--report", cpu_seconds=20)
    assert_one_line(result, 2, "s.yaml: parameters.model[0].units.values: 20,000 values, more "
                               "than the limit of 1,000; for many numbers use a range "
                               "{low: ..., high: ...}")
    assert not (folder / "runs").exists()
