"""Runs never clobbered and never a traceback: one writer per run directory, atomic names,
a full disk, a read-only run, a closed stdout, a bug (#19)."""

import errno
import os
import re
import shutil
import signal
import time
from pathlib import Path

import pytest

from hostile import assert_one_line, leftovers, nnfs, start, tree
from nnfs_cli import limits
from nnfs_cli.cli import cli
from nnfs_cli.compat import cli_runner
from nnfs_cli.errors import NnfsError
from nnfs_cli.runs import rundir

LIMITS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "limits.md"


@pytest.fixture
def spiral_copy(spiral, tmp_path):
    return shutil.copytree(spiral, tmp_path / "spiral")


def wait_for(condition, process, seconds=90):
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_second_resume_is_refused_while_the_first_runs(spiral_copy):
    first = start("train", "--resume", spiral_copy, "--epochs", 1_000_000, "-q")
    lock, config = spiral_copy / ".lock", spiral_copy / "config.yaml"
    wait_for(lambda: lock.exists() and lock.read_text().strip() == str(first.pid)
             and "epochs: 1000000" in config.read_text(), first)
    before = (spiral_copy / "config.yaml").read_bytes()
    second = nnfs("train", "--resume", spiral_copy, "--epochs", 1_000_000, "-q")
    assert_one_line(second, 1, f"run directory {spiral_copy} is in use by process {first.pid} "
                               f"(its lock is {lock}); one process writes a run at a time")
    assert (spiral_copy / "config.yaml").read_bytes() == before
    first.send_signal(signal.SIGINT)
    _, stderr = first.communicate(timeout=180)
    assert first.returncode == 130, stderr
    assert not leftovers(spiral_copy)


def test_two_trainings_into_one_run_dir_never_mix(spiral_config, tmp_path):
    for attempt in range(3):
        run_dir = tmp_path / f"run{attempt}"
        processes = [start("train", spiral_config, "--run-dir", run_dir, "--seed", seed, "-q")
                     for seed in (1, 2)]
        results = [(process.wait(timeout=180), process.stderr.read()) for process in processes]
        assert sorted(code for code, _ in results)[0] == 0, results
        winner = [seed for seed, (code, _) in zip((1, 2), results) if code == 0][0]
        # The loser is refused at once (exit 1; "another process" when it looks between
        # the winner's flock and its pid reaching the file) or, if it came after the
        # winner had written, finds the directory taken (exit 2, as for any taken --run-dir).
        (code, loser), = [result for result in results if result[0] != 0]
        assert loser.startswith(f"Error: run directory {run_dir} ") and (
            code == 1 and re.search(r" is in use by (process \d+|another process) ", loser)
            or code == 2 and "already exists" in loser), loser
        assert f"seed: {winner}\n" in (run_dir / "config.yaml").read_text()
        assert f'"seed": {winner},' in (run_dir / "summary.json").read_text()
        assert not leftovers(run_dir)


def test_default_names_made_in_the_same_second_get_suffixes(spiral_config, tmp_path,
                                                             monkeypatch):
    monkeypatch.setattr(rundir.time, "strftime", lambda fmt: "20261127-101500")
    root = tmp_path / "runs"
    made = []
    with rundir.claim(None, "spiral", root) as first, rundir.claim(None, "spiral", root) as second:
        made += [first.name, second.name]
    with rundir.claim(None, "spiral", root) as third:
        made.append(third.name)
    assert made == ["spiral-20261127-101500", "spiral-20261127-101500-2",
                    "spiral-20261127-101500-3"]
    (tmp_path / "work").mkdir()
    processes = [start("train", spiral_config, "-q", cwd=tmp_path / "work") for _ in range(3)]
    for process in processes:
        assert process.wait(timeout=180) == 0, process.stderr.read()
    names = sorted(p.name for p in (tmp_path / "work" / "runs").iterdir())
    assert len(names) == 3
    for name in names:
        assert (tmp_path / "work" / "runs" / name / "summary.json").exists()


def test_a_stale_lock_is_taken_over_and_odd_locks_are_refused(spiral_copy):
    lock = spiral_copy / ".lock"
    lock.write_text("999999999\n")   # left by a process that was killed: nobody holds it
    result = nnfs("train", "--resume", spiral_copy, "--epochs", 31, "-q")
    assert result.returncode == 0, result.stderr
    assert not lock.exists()
    os.symlink(spiral_copy / "config.yaml", lock)
    result = nnfs("train", "--resume", spiral_copy, "--epochs", 32, "-q")
    assert_one_line(result, 1, f"cannot lock {lock}: ")
    lock.unlink()
    os.mkfifo(lock)
    result = nnfs("train", "--resume", spiral_copy, "--epochs", 32, "-q")
    assert_one_line(result, 1, f"cannot lock {lock}: not a regular file")


def test_existing_run_dir_is_claimed_only_when_empty(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with rundir.claim(empty) as claimed:
        assert claimed == empty and (empty / ".lock").exists()
        with pytest.raises(NnfsError, match="is in use by process"):
            with rundir.claim(empty):
                pass
    assert list(empty.iterdir()) == []
    (empty / "config.yaml").write_text("seed: 0\n")
    with pytest.raises(NnfsError, match="already exists; choose another --run-dir"):
        with rundir.claim(empty):
            pass
    assert [p.name for p in empty.iterdir()] == ["config.yaml"]


def test_a_full_disk_while_training_is_one_line(spiral_config, tmp_path):
    run_dir = tmp_path / "run"
    result = nnfs("train", spiral_config, "--run-dir", run_dir, "-q", file_size=16_000)
    assert_one_line(result, 1, f"cannot write {run_dir}/", ": File too large")
    assert not leftovers(tmp_path)


def test_a_read_only_run_still_gets_its_scores(spiral_copy, monkeypatch):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(rundir.atomic.tempfile, "mkstemp", read_only)
    result = cli_runner().invoke(cli, ["evaluate", str(spiral_copy)])
    assert result.exit_code == 1
    assert result.stdout.startswith("validation split, 150 samples")
    assert result.stderr == (f"Error: cannot write {spiral_copy / 'eval.json'}: "
                             "Read-only file system\n")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_run_directory(spiral_copy):
    spiral_copy.chmod(0o555)
    try:
        result = nnfs("evaluate", spiral_copy)
    finally:
        spiral_copy.chmod(0o755)
    assert_one_line(result, 1, f"cannot write {spiral_copy / 'eval.json'}: Permission denied")


@pytest.mark.parametrize("args", [["runs", "{root}"], ["train", "{config}", "--print-config"],
                                  ["predict", "{rows}", "--run", "{run}"]])
def test_stdout_on_a_full_device(spiral, spiral_config, tmp_path, args):
    rows = tmp_path / "rows.csv"
    rows.write_text("0.1,0.2\n" * 5000)   # more than stdout's buffer: fails while writing
    names = {"root": spiral.parent, "config": spiral_config, "rows": rows, "run": spiral}
    with open("/dev/full", "w") as full:
        result = nnfs(*[arg.format(**names) for arg in args], stdout=full)
    assert_one_line(result, 1, "Error: cannot write to standard output: No space left on device")


def test_a_long_config_name_gets_a_short_run_name(spiral_config, tmp_path):
    config = tmp_path / ("c" * 250 + ".yaml")
    shutil.copy(spiral_config, config)
    result = nnfs("train", config, "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert run_dir.name.startswith("c" * rundir.NAME_CHARS + "-") and len(run_dir.name) < 130
    assert tree(run_dir)[Path("summary.json")].count(b'"finished"') == 1


def test_an_unexpected_error_is_one_line_asking_for_a_report(tmp_path, monkeypatch):
    from nnfs_cli.runs import listing

    def broken(root, **options):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(listing, "list_runs", broken)
    result = cli_runner().invoke(cli, ["runs", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == ("Error: internal error: ZeroDivisionError: division by zero; "
                             "please report it with the command you ran (NNFS_DEBUG=1 shows "
                             "the traceback)\n")
    result = cli_runner().invoke(cli, ["runs", str(tmp_path)], env={"NNFS_DEBUG": "1"})
    assert result.exit_code == 1
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert result.stderr.endswith("shows the traceback)\n")

    def hungry(root, **options):
        raise MemoryError()

    monkeypatch.setattr(listing, "list_runs", hungry)
    result = cli_runner().invoke(cli, ["runs", str(tmp_path)])
    assert (result.exit_code, result.stderr) == (
        1, "Error: out of memory; try a smaller batch size, model or data set\n")


def test_every_limit_is_documented():
    text = LIMITS_PAGE.read_text()
    for variable, default, _ in limits.table():
        assert f"`{variable}`" in text, variable
    for fixed in ("1 MiB", "100,000", "100 levels", "200,000", "4,294,967,295", "10,000"):
        assert fixed in text, fixed
    from nnfs_cli.commands.sweep import NAME_CHARS
    from nnfs_cli.data import npy
    from nnfs_cli.sweep import journal, parameters
    limits_text = text
    for fixed in (f"at most {npy.INFLATE_RATIO} times its compressed bytes once inflated "
                  f"(past its first {npy.INFLATE_FLOOR >> 20} MiB)",
                  f"a header of at most {npy.HEADER_BYTES >> 10} KiB",
                  f"| {parameters.MAX_VALUES:,} | fixed |",
                  f"`journal.log` | {journal.LINE_BYTES >> 20} MiB | fixed |",
                  f"`--name` | {NAME_CHARS} characters | fixed |",
                  "past 2**63 - 1 it means 2**63 - 1"):
        assert fixed in limits_text, fixed
    assert limits.LARGEST == 2**63 - 1
    for variable, default, _ in limits.table():   # each adjustable one with its default
        row = next(line for line in limits_text.splitlines() if f"`{variable}`" in line)
        shown = f"{default >> 20} MiB" if default % (1 << 20) == 0 and default >= 1 << 20 \
            else (f"{default} s" if variable.endswith("_SECONDS") else f"{default:,}")
        assert f"| {shown} |" in row, (variable, row)
