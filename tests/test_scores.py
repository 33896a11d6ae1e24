"""Issue 24: the scores beyond accuracy, against scikit-learn's on random inputs (ties, a class
that one batch lacks, a class the split never holds), accumulated batch by batch as training
and evaluation feed them; and through a run: the epoch line, metrics.csv, summary.json,
evaluate, early stopping and curves.png."""

import csv
import json

import numpy as np
import pytest
from sklearn import metrics as sk

from fashion_runs import run_cli
from nnfs_cli.core import scores


def batches(n, size=7):
    return [slice(start, start + size) for start in range(0, n, size)]


def accumulated(score, outputs, targets):
    for rows in batches(len(outputs)):
        score.update(outputs[rows], targets[rows])
    return score.result()


@pytest.fixture
def classified():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(61, 5)).round(1)            # rounded: ties in the scores
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = rng.integers(0, 5, 61)
    labels[:7] = 0                                        # the first batch holds class 0 only
    return probabilities, labels


def test_top_k_accuracy_is_scikit_learns(classified):
    probabilities, labels = classified
    for k in (1, 2, 3):
        ours = accumulated(scores.make([f"top_{k}_accuracy"], 5)[0], probabilities, labels)
        assert ours == pytest.approx(sk.top_k_accuracy_score(labels, probabilities, k=k,
                                                             labels=range(5)))


@pytest.mark.parametrize("name, function", [("f1_macro", sk.f1_score),
                                            ("precision_macro", sk.precision_score),
                                            ("recall_macro", sk.recall_score)])
def test_macro_scores_are_scikit_learns(classified, name, function):
    probabilities, labels = classified
    predicted = probabilities.argmax(axis=1)
    ours = accumulated(scores.make([name], 5)[0], probabilities, labels)
    assert ours == pytest.approx(function(labels, predicted, average="macro", zero_division=0))
    # A class neither true nor predicted anywhere is left out, as scikit-learn does.
    wide = np.hstack([probabilities, np.zeros((len(labels), 2))])
    assert accumulated(scores.make([name], 7)[0], wide, labels) == pytest.approx(ours)


def test_auc_is_scikit_learns(classified):
    probabilities, labels = classified
    ours = accumulated(scores.make(["auc"], 5)[0], probabilities, labels)
    assert ours == pytest.approx(sk.roc_auc_score(labels, probabilities, multi_class="ovr",
                                                  average="macro"))
    # Two classes: one sigmoid output p, scored on p, as roc_auc_score(y, p).
    rng = np.random.default_rng(1)
    p = rng.random((40, 1)).round(1)
    y = (rng.random((40, 1)) < p).astype(np.float32)
    assert accumulated(scores.make(["auc"], 2)[0], p, y) == pytest.approx(
        sk.roc_auc_score(y[:, 0], p[:, 0]))


def test_regression_scores_are_scikit_learns_on_the_targets_scale():
    rng = np.random.default_rng(2)
    outputs, targets = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    scale = 250.0   # a standardised target: its units are 250 of the target's own
    made = {score.name: accumulated(score, outputs, targets)
            for score in scores.make(["mae", "rmse", "r2"], scale=scale)}
    assert made["mae"] == pytest.approx(sk.mean_absolute_error(targets * scale, outputs * scale))
    assert made["rmse"] == pytest.approx(np.sqrt(sk.mean_squared_error(targets * scale,
                                                                       outputs * scale)))
    assert made["r2"] == pytest.approx(sk.r2_score(targets, outputs))


def test_a_score_keeps_its_state_across_a_checkpoint(classified):
    probabilities, labels = classified
    whole = accumulated(scores.make(["f1_macro"], 5)[0], probabilities, labels)
    first, second = scores.make(["f1_macro"], 5)[0], scores.make(["f1_macro"], 5)[0]
    first.update(probabilities[:30], labels[:30])
    second.load_state_dict(json.loads(json.dumps(first.state_dict())))
    second.update(probabilities[30:], labels[30:])
    assert second.result() == pytest.approx(whole)


def test_names_are_checked_against_the_task(write_config):
    config = write_config("""\
        data: {name: spiral, samples: 50, classes: 3, validation_samples: 30}
        model: [{dense: 8}, relu, {dense: 3}, softmax]
        loss: categorical_crossentropy
        optimizer: adam
        metrics: [accuracy, r2, f1, top_0_accuracy]
        """)
    result = run_cli("train", config)
    assert result.exit_code == 2
    scores_of = ("a classification has accuracy, top_K_accuracy, precision_macro, "
                 "recall_macro, f1_macro, auc")
    assert result.stderr.splitlines() == [
        f"Error: {config}: metrics[1]: r2 is a regression score; {scores_of}",
        f"Error: {config}: metrics[2]: unknown score 'f1'; {scores_of}",
        f"Error: {config}: metrics[3]: k must be at least 1"]
    watched = write_config("""\
        data: {name: spiral, samples: 50, classes: 3, validation_samples: 30}
        model: [{dense: 8}, relu, {dense: 3}, softmax]
        loss: categorical_crossentropy
        optimizer: adam
        training: {early_stopping: {monitor: val_auc, patience: 2}}
        """, "watched.yaml")
    result = run_cli("train", watched)
    assert result.stderr == (f"Error: {watched}: training.early_stopping.monitor: val_auc needs "
                             "auc in `metrics` (they are: accuracy)\n")


SPIRAL = """\
seed: 0
data: {name: spiral, samples: 60, classes: 3, validation_samples: 40}
model: [{dense: 16}, relu, {dense: 3}, softmax]
loss: categorical_crossentropy
optimizer: {name: adam, learning_rate: 0.02}
metrics: [accuracy, f1_macro, auc, top_2_accuracy]
training: {epochs: 6, batch_size: 32}
"""


def test_a_run_records_its_scores_everywhere(write_config, tmp_path):
    result = run_cli("train", write_config(SPIRAL), "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.stderr
    epoch_line = [line for line in result.stderr.splitlines() if line.startswith("epoch    6")][0]
    for name in ("val_f1_macro", "val_auc", "val_top_2_accuracy"):
        assert f" {name} " in epoch_line
    with open(tmp_path / "run" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert {"f1_macro", "val_f1_macro", "val_auc", "top_2_accuracy"} <= set(rows[0])
    assert "auc" not in rows[0]   # AUC needs a whole split: validation only
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["val_f1_macro"] == pytest.approx(float(rows[-1]["val_f1_macro"]), rel=1e-6)
    report = json.loads(run_cli("evaluate", tmp_path / "run", "--json").stdout)
    assert report["f1_macro"] == pytest.approx(summary["val_f1_macro"], rel=1e-6)
    assert report["auc"] == pytest.approx(summary["val_auc"], rel=1e-6)
    stopped = run_cli("train", write_config(SPIRAL.replace(
        "epochs: 6,", "epochs: 60, early_stopping: {monitor: val_f1_macro, patience: 1, "
        "min_delta: 0.5},")), "--run-dir", tmp_path / "stopped")
    assert stopped.exit_code == 0, stopped.stderr
    assert "early stopping: val_f1_macro has not improved for 1 epoch" in stopped.stderr
    assert json.loads((tmp_path / "stopped" / "summary.json").read_text())["best"][
        "monitor"] == "val_f1_macro"


def test_a_regression_speaks_regression(write_config, tmp_path):
    text = """\
        data: {name: sine, samples: 200, validation_samples: 50}
        model: [{dense: {units: 16, init: he_normal}}, relu, {dense: 1}, linear]
        loss: mean_squared_error
        optimizer: {name: adam, learning_rate: 0.01}
        training: {epochs: 3, batch_size: 32}
        """
    result = run_cli("train", write_config(text), "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.stderr
    last = result.stdout.splitlines()[0]
    assert " acc " not in last and "val_r2 " in last and "val_mae " in last
    assert all(" acc " not in line for line in result.stderr.splitlines())
    book = run_cli("train", write_config(text.replace(
        "training:", "metrics: [book_accuracy, r2]\n        training:")),
        "--run-dir", tmp_path / "book")
    assert "book_acc " in book.stdout and "val_book_acc " in book.stdout
