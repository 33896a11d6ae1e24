"""Issue 24: `nnfs runs --compare`: the runs' curves on one figure, checked as an image, and
the table checked against the runs' own files."""

import json

import cv2
import numpy as np
import pytest

from own_data import nnfs

CONFIG = """\
seed: 0
data: {name: spiral, samples: 60, classes: 3, validation_samples: 40}
model: [{dense: 16}, relu, {dense: 3}, softmax]
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.02}
training: {epochs: 5, batch_size: 32}
"""
COLOURS = {"C0": (31, 119, 180), "C1": (255, 127, 14), "C2": (44, 160, 44)}   # RGB


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    (folder / "config.yaml").write_text(CONFIG)
    for name, rate in (("slow", 0.001), ("fast", 0.02), ("faster", 0.05)):
        done = nnfs("train", "config.yaml", "--run-dir", f"runs/{name}", "-q", "--set",
                    f"optimizer.learning_rate={rate}", cwd=folder)
        assert done.code == 0, done.stderr
    return folder


def pixels_of(image, rgb, tolerance=12):
    return int((np.abs(image[:, :, ::-1].astype(int) - rgb).max(axis=2) <= tolerance).sum())


def test_the_figure_has_a_line_per_run(three_runs):
    done = nnfs("runs", "--compare", "runs/slow", "runs/fast", "runs/faster", "--metric",
                "accuracy", "-o", "curves.png", cwd=three_runs)
    assert done.code == 0, done.stderr
    assert done.stderr == "wrote curves.png\n"
    image = cv2.imread(str(three_runs / "curves.png"))
    assert image.shape == (550, 1000, 3)
    for name, rgb in COLOURS.items():
        assert pixels_of(image, rgb) > 300, name
    assert pixels_of(image, (148, 103, 189)) < 50   # C3: there is no fourth run
    again = nnfs("runs", "--compare", "runs/slow", "runs/fast", "-o", "curves.png", cwd=three_runs)
    assert (again.code, again.stderr) == (2, "Error: -o curves.png: already exists; pass "
                                             "--force to replace it\n")


def test_the_table_has_the_runs_figures_and_their_differences(three_runs):
    done = nnfs("runs", "--compare", "runs/slow", "runs/fast", "--force", cwd=three_runs)
    assert done.code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["run", "epochs", "best", "val_loss", "val_score", "test", "time"]
    for line, name in zip(lines[1:3], ("slow", "fast")):
        summary = json.loads((three_runs / "runs" / name / "summary.json").read_text())
        cells = line.split()
        assert cells[0] == name and cells[1] == "5/5"
        assert cells[5] == f"{summary['val_loss']:.4f}"
        assert cells[6] == f"{summary['val_accuracy']:.4f}"
    assert lines[4] == "settings that differ (in the order of the runs above):"
    assert lines[5].split() == ["optimizer.learning_rate", "0.001", "|", "0.02"]
    assert len(lines) == 6
    as_json = json.loads(nnfs("runs", "--compare", "runs/slow", "runs/fast", "--force",
                              "--json", cwd=three_runs).stdout)
    assert as_json["differences"] == {"optimizer.learning_rate": [0.001, 0.02]}
    assert [run["name"] for run in as_json["runs"]] == ["slow", "fast"]


def test_compare_refuses_what_it_cannot_draw(three_runs):
    cases = {("runs", "--compare", "runs/slow"):
             "Error: --compare takes two or more run directories (a shell pattern such as "
             "runs/sweeps/NAME/trial-* names many)\n",
             ("runs", "--compare", "runs/slow", "runs/nope"):
             "Error: runs/nope: no such run directory\n",
             ("runs", "--compare", "runs/slow", "runs/fast", "--metric", "f1_macro"):
             "Error: --metric f1_macro: the runs have no such figure; choose from accuracy, "
             "data_loss, loss, lr, reg_loss\n",
             ("runs", "runs", "runs/slow"):
             "Error: give one DIR to list (or --compare to compare runs)\n"}
    for args, message in cases.items():
        done = nnfs(*args, "--force", cwd=three_runs) if "--compare" in args else \
            nnfs(*args, cwd=three_runs)
        assert done.code == 2, args
        assert done.stderr.splitlines()[-1] + "\n" == message.splitlines()[-1] + "\n", args
