"""`nnfs evaluate`: a saved run's loss and accuracy on one split, per-class scores and the
confusion matrix (classifiers) or MSE and MAE (regression); eval.json beside the run."""

import numpy as np

from nnfs_cli import atomic, json_text, limits
from nnfs_cli.errors import ConfigError, NnfsError
from nnfs_cli.reporter import Reporter, printable
from nnfs_cli.runs import components
from nnfs_cli.core.model import evaluate
from nnfs_cli.core.scores import confusion_matrix

WIDTH = 100  # the confusion matrix is printed in column blocks that fit this many characters


def evaluate_run(run, split=None, batch_size=None):
    """Reload the run's data with its seed and score the model on `split` (default: test when
    the data set has one, else validation) the way training did; returns the eval.json dict."""
    config = run.config
    splits = reload_splits(run)
    split = split or ("test" if splits.x_test is not None else "validation")
    x, labels = splits.split(split)
    if x is None:
        raise NnfsError(f"data set {run.data.name} has no {split} split; "
                        "use --split validation or --split train")
    if int(np.prod(x.shape[1:])) != run.n_inputs:
        raise NnfsError(f"{run.params_path}: the model takes inputs of shape {run.input_shape}, "
                        f"but {run.data.name} samples have shape {x.shape[1:]}")
    if tuple(x.shape[1:]) != run.input_shape:
        x = run.data.shaped(splits, run.input_shape).split(split)[0]
    batch_size = batch_size or config["training"]["batch_size"]
    prepare = run.model.loss.prepare_targets
    y = prepare(labels, run.data)
    metric = components.metric(config)
    # What training fitted (runs from before metric_state kept regression_precision);
    # without either, fit finds the same from the regenerated targets.
    metric.load_state_dict(run.summary.get("metric_state")
                           or {"precision": run.summary.get("regression_precision")})
    metric.fit(prepare(splits.y_train, run.data))
    scores = components.scoring(config, run.data, run.model).fresh()
    loss, accuracy = evaluate(run.model, metric, x, y, batch_size, scores)
    report = {"split": split, "samples": len(x), "params": run.params_path.name, "loss": loss}
    report.update(_rows(run.data.rows_used, split))
    outputs = run.outputs(x, batch_size)
    if run.task == "regression":
        # On the targets' own scale (a csv data set may standardise them inside).
        restore = run.data.restore_targets
        errors = restore(outputs).astype(np.float64) - restore(y)
        steps = run.data.output_postprocessing()
        mse = float(np.mean(np.square(errors), dtype=np.float64))
        report.update(mse=mse, rmse=float(np.sqrt(mse)),
                      mae=float(np.mean(np.abs(errors), dtype=np.float64)))
        report.update({score.name: score.result() for score in scores
                       if score.name not in report})
        # The book's figure, under its own name: outputs within the tolerance of the target.
        report.update(book_accuracy=accuracy, book_accuracy_tolerance=metric.precision * (
            abs(steps.multiply) if steps else 1))
        return report
    report["accuracy"] = accuracy
    report.update({score.name: score.result() for score in scores})
    predicted = np.argmax(run.class_scores(outputs), axis=1)
    matrix = confusion_matrix(np.asarray(labels), predicted, len(run.class_names))
    report["per_class"] = per_class(matrix, run.class_names)
    report["confusion_matrix"] = matrix.tolist()
    return report


def reload_splits(run):
    """The SavedRun's data, loaded again with the run's seed (not downloaded)."""
    reporter = Reporter()
    run.data.ensure_available(False, reporter)
    try:
        return run.data.load(run.config["seed"], reporter)
    except limits.BadLimit:   # a limit in the environment, the caller's to fix (exit 2)
        raise
    except ConfigError as error:   # the run's own config no longer fits its data files
        raise NnfsError("\n".join(f"{run.path / 'config.yaml'}: {problem}"
                                   for problem in error.problems)) from None


def _rows(rows_used, split):
    """{"file_rows", "dropped_rows"}: the rows of the file `split` comes from, and how many
    of them had missing cells and were dropped (data.missing: drop); {} for data sets of no
    rows."""
    counts = (rows_used or {}).get("test" if split == "test" else "train")
    if counts is None:
        return {}
    return {"file_rows": counts["rows"], "dropped_rows": counts["rows"] - counts["used"]}


def rows_line(report):
    """`66 of 69 test rows scored; 3 had missing cells`, or None when no row was dropped."""
    dropped = report.get("dropped_rows")
    if not dropped:
        return None
    if report["split"] == "test":
        return (f"{report['samples']} of {report['file_rows']} test rows scored; {dropped} had "
                "missing cells (data.missing: drop)")
    return (f"{dropped} of the training file's {report['file_rows']} rows had missing cells "
            "and were dropped before the validation split (data.missing: drop)")


def per_class(matrix, names):
    """Precision, recall, F1 and support of each class; 0 where a ratio has no denominator."""
    hits = np.diag(matrix).astype(np.float64)
    precision = _ratio(hits, matrix.sum(axis=0))
    recall = _ratio(hits, matrix.sum(axis=1))
    f1 = _ratio(2 * precision * recall, precision + recall)
    return [{"class": index, "name": name, "precision": float(precision[index]),
             "recall": float(recall[index]), "f1": float(f1[index]),
             "support": int(matrix[index].sum())} for index, name in enumerate(names)]


def _ratio(top, bottom):
    return np.divide(top, bottom, out=np.zeros(len(top)), where=bottom > 0)


def write_report(run, report, best=False):
    """eval.json and, for classifiers, confusion_matrix.png (`_best` names for --best)."""
    suffix = "_best" if best else ""
    written = [run.path / f"eval{suffix}.json"]
    atomic.write_text(written[0], to_json(report))
    if "confusion_matrix" in report:
        from nnfs_cli.runs.plots import plot_confusion_matrix
        written.append(run.path / f"confusion_matrix{suffix}.png")
        title = f"{run.path.name}: {report['split']} split, accuracy {report['accuracy']:.4f}"
        plot_confusion_matrix(np.array(report["confusion_matrix"]),
                              [row["name"] for row in report["per_class"]], written[1], title)
    return written


def to_json(report):
    return json_text.dumps(report, indent=2) + "\n"


def format_text(report):
    return "\n".join(map(printable, format_report(report))) + "\n"


def format_report(report):
    """The lines `nnfs evaluate` prints."""
    head = f"{report['split']} split, {report['samples']} samples ({report['params']}): " \
           f"loss {report['loss']:.4f}"
    rows = [line for line in [rows_line(report)] if line]
    if "mse" in report:
        return [head + f"  r2 {report['r2']:.4f}" if report.get("r2") is not None else head,
                *rows,
                f"mae {report['mae']:.6g}  rmse {report['rmse']:.6g}  mse {report['mse']:.6g}  "
                f"(on the target's own scale)",
                f"book_accuracy {report['book_accuracy']:.4f} (outputs within "
                f"{report['book_accuracy_tolerance']:.6g} of the target, the book's measure)"]
    lines = [head + f"  accuracy {report['accuracy']:.4f}", *rows]
    extra = [f"{key} {value:.4f}" for key, value in report.items() if key not in
             ("split", "samples", "params", "loss", "accuracy", "per_class", "confusion_matrix")
             and isinstance(value, float)]
    if extra:
        lines.append("  ".join(extra))
    rows = report["per_class"]
    label = max(len(_row_label(row)) for row in rows)
    lines += ["", f"{'class':<{label}}  precision  recall      f1  support"]
    lines += [f"{_row_label(row):<{label}}  {row['precision']:9.4f}  {row['recall']:6.4f}  "
              f"{row['f1']:6.4f}  {row['support']:7d}" for row in rows]
    lines += ["", "confusion matrix: rows are true classes, columns predicted ones (by number)"]
    lines += matrix_lines(report["confusion_matrix"], [_row_label(row) for row in rows])
    return lines


def _row_label(row, limit=16):
    name = printable(row["name"])
    name = name if len(name) <= limit else name[:limit - 1] + "."
    return f"{row['class']:>2} {name}"


def matrix_lines(matrix, labels, width=WIDTH):
    """The matrix as aligned text; row labels name the classes whose numbers head the columns,
    and columns go in blocks when all of them would not fit in `width` characters."""
    cell = max(len(str(value)) for row in matrix for value in row)
    cell = max(cell, len(str(len(matrix) - 1))) + 2
    label = max(len(text) for text in labels)
    per_block = max(1, (width - label) // cell)
    lines = []
    for start in range(0, len(matrix), per_block):
        columns = range(start, min(start + per_block, len(matrix)))
        if start:
            lines.append("")
        lines.append(" " * label + "".join(f"{column:>{cell}}" for column in columns))
        lines += [f"{text:<{label}}" + "".join(f"{row[column]:>{cell}}" for column in columns)
                  for text, row in zip(labels, matrix)]
    return lines
