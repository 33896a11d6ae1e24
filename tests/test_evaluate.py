"""nnfs evaluate: the numbers training reported, per-class scores, files; and loading a run
safely (crafted, truncated and mismatched params.pkl; the book's own float64 params)."""

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from fashion_runs import needs_fashion, run_cli
from nnfs_cli.inference.evaluation import matrix_lines
from nnfs_cli.runs.safe_pickle import load as load_pickle

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def summary_of(run_dir):
    return json.loads((Path(run_dir) / "summary.json").read_text())


def evaluate_json(*args):
    result = run_cli("evaluate", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def copy_run(run_dir, tmp_path):
    return Path(shutil.copytree(run_dir, tmp_path / "run"))


def close(value):
    """Equal to float32 precision: the loss sums float32 per-sample losses."""
    return pytest.approx(value, rel=1e-6, abs=1e-7)


@needs_fashion
def test_fashion_matches_the_summary_and_writes_files(fashion):
    summary = summary_of(fashion)
    result = run_cli("evaluate", fashion)
    assert result.exit_code == 0, result.stderr
    report = json.loads((fashion / "eval.json").read_text())
    assert report["split"] == "test" and report["samples"] == 300
    assert report["loss"] == close(summary["test_loss"])
    assert report["accuracy"] == close(summary["test_accuracy"])
    assert [row["name"] for row in report["per_class"]] == CLASS_NAMES
    matrix = np.array(report["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 300
    assert list(matrix.sum(axis=1)) == [row["support"] for row in report["per_class"]] == [30] * 10
    assert np.trace(matrix) / 300 == close(report["accuracy"])
    for row in report["per_class"]:
        hits = matrix[row["class"], row["class"]]
        assert row["recall"] == pytest.approx(hits / 30)
        assert row["precision"] == pytest.approx(hits / max(1, matrix[:, row["class"]].sum()))
    # The text says the same, within 100 columns.
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"test split, 300 samples (params.pkl): loss {report['loss']:.4f}")
    assert all(len(line) <= 100 for line in lines)
    assert any(line.split()[:2] == ["1", "Trouser"] for line in lines)
    assert "confusion matrix" in result.stdout
    png = (fashion / "confusion_matrix.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    height, width = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR).shape[:2]
    assert 500 <= width <= 2000 and 500 <= height <= 2000
    assert not list(fashion.glob(".*.tmp"))


@needs_fashion
def test_fashion_validation_and_train_splits(fashion):
    summary = summary_of(fashion)
    report = evaluate_json(fashion, "--split", "validation")
    assert report["split"] == "validation" and report["samples"] == 100
    assert report["loss"] == close(summary["val_loss"])
    assert report["accuracy"] == close(summary["val_accuracy"])
    # The batch size changes only how the sums are split: the same numbers.
    assert evaluate_json(fashion, "--split", "validation", "--batch-size", "7")["loss"] == close(
        summary["val_loss"])
    train = evaluate_json(fashion, "--split", "train")
    assert train["samples"] == 900 and train["accuracy"] > 0.6
    assert json.loads((fashion / "eval.json").read_text()) == train


@needs_fashion
def test_json_is_all_that_stdout_holds(fashion):
    result = run_cli("evaluate", fashion, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads((fashion / "eval.json").read_text())
    assert "eval.json" in result.stderr


@needs_fashion
def test_best_parameters(fashion, tmp_path):
    run_dir = copy_run(fashion, tmp_path)
    best = summary_of(run_dir).get("best")
    report = evaluate_json(run_dir, "--best", "--split", "validation")
    assert report["params"] == "params_best.pkl"
    if best:  # the best epoch's validation numbers, as training recorded them
        assert report["loss"] == close(best["val_loss"])
    assert (run_dir / "eval_best.json").exists()
    assert (run_dir / "confusion_matrix_best.png").exists()
    assert json.loads((run_dir / "eval.json").read_text()) == json.loads(
        (fashion / "eval.json").read_text())
    (run_dir / "params_best.pkl").unlink()
    result = run_cli("evaluate", run_dir, "--best")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {run_dir / 'params_best.pkl'}: no such file; this run kept no best parameters "
        "(drop --best to use params.pkl)"]


def test_spiral_defaults_to_validation(spiral):
    summary = summary_of(spiral)
    report = evaluate_json(spiral)
    assert report["split"] == "validation" and report["samples"] == 150
    assert report["loss"] == close(summary["val_loss"])
    assert report["accuracy"] == close(summary["val_accuracy"])
    assert [row["name"] for row in report["per_class"]] == ["class 0", "class 1", "class 2"]
    assert (spiral / "confusion_matrix.png").exists()
    result = run_cli("evaluate", spiral, "--split", "test")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Error: data set spiral has no test split; use --split validation or --split train")


def test_sine_reports_mse_and_mae(sine, tmp_path):
    summary = summary_of(sine)
    report = evaluate_json(sine)
    assert report["split"] == "validation"
    assert report["loss"] == close(summary["val_loss"])
    assert report["mse"] == pytest.approx(report["loss"], rel=1e-5)
    assert 0 < report["mae"] and report["mae"] ** 2 <= report["mse"] * (1 + 1e-6)
    assert report["book_accuracy"] == close(summary["val_accuracy"])
    assert report["book_accuracy_tolerance"] == summary["metric_state"]["precision"]
    assert "accuracy" not in report and "precision" not in report
    assert report["rmse"] == pytest.approx(report["mse"] ** 0.5)
    assert report["r2"] == pytest.approx(summary["val_r2"], rel=1e-5)
    assert "per_class" not in report and not (sine / "confusion_matrix.png").exists()
    text = run_cli("evaluate", sine).stdout
    assert "mse" in text and "mae" in text
    # Without the stored precision it is refitted on the regenerated training targets.
    run_dir = copy_run(sine, tmp_path)
    summary.pop("metric_state")
    (run_dir / "summary.json").write_text(json.dumps(summary))
    again = evaluate_json(run_dir)
    assert again["book_accuracy_tolerance"] == pytest.approx(report["book_accuracy_tolerance"])
    assert again["book_accuracy"] == report["book_accuracy"]


def test_confusion_matrix_text_fits_100_columns():
    labels = [f"{index:>2} class {index}" for index in range(30)]
    matrix = np.full((30, 30), 12345).tolist()
    lines = matrix_lines(matrix, labels)
    assert max(len(line) for line in lines) <= 100
    header = [line for line in lines if line.startswith(" " * len(labels[0]))]
    assert len(header) > 1  # split into column blocks
    assert sum(len(line.split()) for line in header) == 30


# --- loading a run safely ----------------------------------------------------------------


class Exploit:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return os.system, (f"touch {self.target}",)


def error_lines(result):
    return result.stderr.splitlines()


def test_crafted_pickle_is_refused(spiral, tmp_path):
    run_dir = copy_run(spiral, tmp_path)
    pwned = tmp_path / "pwned"
    (run_dir / "params.pkl").write_bytes(pickle.dumps([(Exploit(pwned), Exploit(pwned))]))
    result = run_cli("evaluate", run_dir)
    assert result.exit_code == 1 and result.stdout == ""
    [line] = error_lines(result)
    assert line.startswith(f"Error: {run_dir / 'params.pkl'}: refused to unpickle '")
    assert "system" in line
    assert not pwned.exists()


def test_truncated_params(spiral, tmp_path):
    run_dir = copy_run(spiral, tmp_path)
    data = (run_dir / "params.pkl").read_bytes()
    (run_dir / "params.pkl").write_bytes(data[: len(data) // 2])
    result = run_cli("evaluate", run_dir)
    assert result.exit_code == 1
    [line] = error_lines(result)
    assert line.startswith(f"Error: {run_dir / 'params.pkl'}: not a readable pickle")


@pytest.mark.parametrize("params, message", [
    ([(np.zeros((2, 8), np.float32), np.zeros((1, 8), np.float32)),
      (np.zeros((8, 3), np.float32), np.zeros((1, 3), np.float32))],
     "model[0] dense weights have shape (2, 8), but config.yaml needs (2, 16)"),
    ([(np.zeros((2, 16), np.float32), np.zeros((1, 16), np.float32))],
     "holds 1 parameter set(s), but config.yaml describes 2 layer(s) with parameters"),
    ([(np.zeros((2, 16), np.float32), np.zeros((1, 5), np.float32)),
      (np.zeros((16, 3), np.float32), np.zeros((1, 3), np.float32))],
     "model[0] dense biases have shape (1, 5), but config.yaml needs (1, 16)"),
    ({"weights": np.zeros(3)}, "expected a list with one tuple of arrays per layer with "
     "parameters ((weights, biases) for dense layers), got dict"),
    ([np.zeros((2, 16)), (np.zeros((16, 3)), np.zeros((1, 3)))],
     "item 1 should be a tuple of 2 arrays (weights, biases) for model[0] dense, "
     "got an array of float64 (2, 16)"),
    ([(np.zeros((2, 16)), "biases"), (np.zeros((16, 3)), np.zeros((1, 3)))],
     "model[0] dense biases should be a numeric array, got str"),
])
def test_mismatched_params(spiral, tmp_path, params, message):
    run_dir = copy_run(spiral, tmp_path)
    with open(run_dir / "params.pkl", "wb") as f:
        pickle.dump(params, f)
    for command in (["evaluate", run_dir], ["predict", "--run", run_dir, "rows.csv"]):
        result = run_cli(*command)
        assert result.exit_code == 1
        assert error_lines(result) == [f"Error: {run_dir / 'params.pkl'}: {message}"]


def test_book_float64_params_load(spiral, tmp_path):
    """What the book's Model.save_parameters writes: default protocol, float64 tuples."""
    run_dir = copy_run(spiral, tmp_path)
    params = load_pickle(run_dir / "params.pkl")
    with open(run_dir / "params.pkl", "wb") as f:
        pickle.dump([(w.astype(np.float64), b.astype(np.float64)) for w, b in params], f)
    assert load_pickle(run_dir / "params.pkl")[0][0].dtype == np.float64
    report = evaluate_json(run_dir)
    assert report["loss"] == close(summary_of(spiral)["val_loss"])


def test_missing_run_files(spiral, tmp_path):
    result = run_cli("evaluate", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert error_lines(result) == [f"Error: {tmp_path / 'nowhere'}: no such run directory"]
    run_dir = copy_run(spiral, tmp_path)
    (run_dir / "params.pkl").unlink()
    assert error_lines(run_cli("evaluate", run_dir)) == [
        f"Error: {run_dir / 'params.pkl'}: no such file"]
    (run_dir / "config.yaml").unlink()
    result = run_cli("evaluate", run_dir)
    assert result.exit_code == 2
    assert error_lines(result) == [
        f"Error: {run_dir}: not a run directory (it has no config.yaml)"]


def test_installed_entry_point_evaluates(spiral):
    nnfs = Path(sys.executable).parent / "nnfs"
    nnfs = str(nnfs) if nnfs.exists() else shutil.which("nnfs")
    assert nnfs, "the nnfs command is not installed"
    result = subprocess.run([nnfs, "evaluate", str(spiral), "--json"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["split"] == "validation"
    assert report["loss"] == close(summary_of(spiral)["val_loss"])
