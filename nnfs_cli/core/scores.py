"""Scores of a whole split beyond the accuracy the loop counts: top-k accuracy, macro
precision, recall and F1 and ROC AUC for classifiers; MAE, RMSE and R² for regression, on
the target's own scale. Named in a config's `metrics` list.

Each score accumulates batch by batch (`update`) and gives its value at the end (`result`);
its `state` is plain numbers and lists, so a checkpoint taken in the middle of an epoch keeps
it. Those that need every sample at once (AUC) are computed on validation and test splits
only; the rest on the training batches too. Formulas follow scikit-learn's (the tests compare
with `top_k_accuracy_score`, `f1_score(average="macro")`, `roc_auc_score`, `r2_score`...).
"""

import math
import re

import numpy as np

CLASSIFICATION = ("accuracy", "top_k_accuracy", "precision_macro", "recall_macro", "f1_macro",
                  "auc")
REGRESSION = ("book_accuracy", "mae", "rmse", "r2")
TOP_K = re.compile(r"top_(\d+)_accuracy$")
DEFAULTS = {"classification": ["accuracy"], "regression": ["mae", "rmse", "r2"]}


def problem(name, task):
    """Why `name` is not a score for `task` ("classification" or "regression"), or None."""
    valid = CLASSIFICATION if task == "classification" else REGRESSION
    if TOP_K.match(str(name)) and task == "classification":
        return None if int(TOP_K.match(name).group(1)) >= 1 else "k must be at least 1"
    if name in valid:
        return None
    other = REGRESSION if task == "classification" else CLASSIFICATION
    if name in other or TOP_K.match(str(name)):
        return f"{name} is a {'regression' if task == 'classification' else 'classification'} " \
               f"score; a {task} has {', '.join(_shown(valid))}"
    return f"unknown score {name!r}; a {task} has {', '.join(_shown(valid))}"


def _shown(names):
    return [name.replace("top_k_", "top_K_") for name in names]


def lower_is_better(name):
    """True for errors and losses (mae, rmse, val_loss...), False for scores."""
    base = name.removeprefix("val_").removeprefix("test_")
    return base in ("loss", "mae", "rmse", "data_loss")


def make(names, classes=None, scale=1.0):
    """The Score objects for the configured names other than the loop's own accuracy
    (`accuracy`, `book_accuracy`). `classes`: the classifier's width; `scale`: how much a
    unit of the model's outputs is on the target's own scale (a standardised target)."""
    made = []
    for name in names:
        match = TOP_K.match(name)
        if match:
            made.append(TopKAccuracy(name, int(match.group(1))))
        elif name in ("precision_macro", "recall_macro", "f1_macro"):
            made.append(MacroScore(name, classes))
        elif name == "auc":
            made.append(AUC(name, classes))
        elif name in ("mae", "rmse", "r2"):
            made.append(Regression(name, scale))
    return made


class Scoring:
    """The configured scores of a run: fresh accumulators for an epoch's training batches
    (`training=True` leaves out whole-split scores) or for an evaluation pass."""

    def __init__(self, names=(), classes=None, scale=1.0):
        self.names, self.classes, self.scale = list(names), classes, scale

    def fresh(self, training=False):
        made = make(self.names, self.classes, self.scale)
        return [score for score in made if not (training and score.whole_split)]


def labels_and_scores(outputs, targets):
    """(class indices (n,), class scores (n, classes)) from a classifier's outputs and its
    loss's targets: indices, one-hot rows, or 0/1 for a single sigmoid output (whose scores
    become [1 - p, p])."""
    outputs = np.asarray(outputs)
    if outputs.shape[1] == 1:
        outputs = np.hstack([1 - outputs, outputs])
    targets = np.asarray(targets)
    if targets.ndim == 2 and targets.shape[1] > 1:
        labels = targets.argmax(axis=1)
    else:
        labels = targets.reshape(-1).astype(np.intp)
    return labels, outputs


class Score:
    """A score over a split: `update` per batch, `result` at the end."""

    whole_split = False   # True: needs every sample at once (not computed on training batches)

    def __init__(self, name):
        self.name = name
        self.reset()

    def reset(self):
        raise NotImplementedError

    def update(self, outputs, targets):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def state_dict(self):
        return dict(self.state)

    def load_state_dict(self, state):
        self.state = {key: list(value) if isinstance(value, list) else value
                      for key, value in state.items()}


class TopKAccuracy(Score):
    """The fraction of samples whose class is among the k highest scores; ties go to the
    higher class index, as scikit-learn's top_k_accuracy_score breaks them."""

    def __init__(self, name, k):
        self.k = k
        super().__init__(name)

    def reset(self):
        self.state = {"hits": 0, "count": 0}

    def update(self, outputs, targets):
        labels, scores = labels_and_scores(outputs, targets)
        k = min(self.k, scores.shape[1])
        top = np.argsort(scores, axis=1, kind="mergesort")[:, ::-1][:, :k]
        self.state["hits"] += int((top == labels[:, None]).any(axis=1).sum())
        self.state["count"] += len(labels)

    def result(self):
        return self.state["hits"] / self.state["count"] if self.state["count"] else None


class MacroScore(Score):
    """Precision, recall or F1 of each class from the confusion counts, averaged over the
    classes that occur among the true or the predicted labels (scikit-learn's labels=None);
    a ratio without a denominator counts 0 (its zero_division)."""

    def __init__(self, name, classes):
        self.classes = classes
        super().__init__(name)

    def reset(self):
        self.state = {"matrix": [0] * (self.classes * self.classes)}

    def update(self, outputs, targets):
        labels, scores = labels_and_scores(outputs, targets)
        predicted = scores.argmax(axis=1)
        counts = np.bincount(labels * self.classes + predicted,
                             minlength=self.classes * self.classes)
        self.state["matrix"] = (np.asarray(self.state["matrix"]) + counts).tolist()

    def result(self):
        matrix = np.asarray(self.state["matrix"], dtype=np.float64).reshape(self.classes, -1)
        true, predicted, hits = matrix.sum(axis=1), matrix.sum(axis=0), np.diag(matrix)
        present = (true > 0) | (predicted > 0)
        if not present.any():
            return None
        precision = _ratio(hits, predicted)
        recall = _ratio(hits, true)
        values = {"precision_macro": precision, "recall_macro": recall,
                  "f1_macro": _ratio(2 * precision * recall, precision + recall)}[self.name]
        return float(values[present].mean())


class AUC(Score):
    """Area under the ROC curve: for two classes, of the second class's score; for more, the
    mean over the classes of each one against the rest (scikit-learn's multi_class="ovr",
    average="macro"), leaving out a class the split lacks or holds alone. Ties count half
    (average ranks)."""

    whole_split = True

    def __init__(self, name, classes):
        self.classes = classes
        super().__init__(name)

    def reset(self):
        self.scores, self.labels = [], []
        self.state = {}

    def update(self, outputs, targets):
        labels, scores = labels_and_scores(outputs, targets)
        self.labels.append(labels)
        self.scores.append(np.asarray(scores, dtype=np.float64))

    def result(self):
        if not self.labels:
            return None
        labels, scores = np.concatenate(self.labels), np.concatenate(self.scores)
        columns = [1] if scores.shape[1] == 2 else range(scores.shape[1])
        areas = [area for area in (_binary_auc(labels == c, scores[:, c]) for c in columns)
                 if area is not None]
        return float(np.mean(areas)) if areas else None


def _binary_auc(positive, scores):
    """The Mann-Whitney form: the chance that a positive scores above a negative."""
    n_positive = int(positive.sum())
    n_negative = len(positive) - n_positive
    if not n_positive or not n_negative:
        return None
    ranks = _average_ranks(scores)
    return (ranks[positive].sum() - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative)


def _average_ranks(values):
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    ranks = np.empty(len(values), dtype=np.float64)
    # Runs of equal values share the mean of their ranks (1-based).
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = (start + end + 1) / 2
    return ranks


class Regression(Score):
    """MAE, RMSE or R² over every output, on the target's own scale (`scale` times the model's
    units); R² = 1 - SSE / SST per output, averaged over the outputs (scikit-learn's
    "uniform_average")."""

    def __init__(self, name, scale=1.0):
        self.scale = abs(float(scale))
        super().__init__(name)

    def reset(self):
        self.state = {"count": 0, "abs": 0.0, "sq": 0.0, "sum_y": None, "sum_y2": None,
                      "sse": None}

    def update(self, outputs, targets):
        outputs = np.asarray(outputs, dtype=np.float64)
        targets = np.asarray(targets, dtype=np.float64).reshape(outputs.shape)
        errors = outputs - targets
        state = self.state
        state["count"] += len(outputs)
        state["abs"] += float(np.abs(errors).sum())
        state["sq"] += float(np.square(errors).sum())
        for key, value in (("sum_y", targets.sum(axis=0)), ("sum_y2", np.square(targets).sum(axis=0)),
                           ("sse", np.square(errors).sum(axis=0))):
            state[key] = (value if state[key] is None else np.asarray(state[key]) + value).tolist()

    def result(self):
        state = self.state
        if not state["count"]:
            return None
        values = state["count"] * len(state["sse"])
        if self.name == "mae":
            return state["abs"] / values * self.scale
        if self.name == "rmse":
            return math.sqrt(state["sq"] / values) * self.scale
        n = state["count"]
        sst = np.asarray(state["sum_y2"]) - np.square(state["sum_y"]) / n
        sse = np.asarray(state["sse"])
        # An output that never varies: 1 if predicted exactly, else 0 (scikit-learn's rule).
        r2 = np.where(sst > 0, 1 - sse / np.where(sst > 0, sst, 1), np.where(sse == 0, 1.0, 0.0))
        return float(r2.mean())


def confusion_matrix(labels, predicted, classes):
    """counts[true class, predicted class]."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)
    return counts


def _ratio(top, bottom):
    return np.divide(top, bottom, out=np.zeros(len(top)), where=bottom > 0)
