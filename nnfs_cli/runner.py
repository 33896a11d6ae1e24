"""`nnfs train`: build everything from a resolved config, train, write the run directory."""

import platform
import time

import numpy as np

from nnfs_cli import __version__, build, rundir
from nnfs_cli.report import model_summary
from nnfs_cli.training import Trainer, evaluate


def train(config, run_dir, reporter):
    """Train as `config` says and write `run_dir`; returns the summary dict."""
    started = time.perf_counter()
    data = build.dataset(config)
    splits = data.load(config["seed"])
    model_rng, shuffle_rng = build.rngs(config["seed"])
    model = build.model(config, splits.x_train.shape[1], model_rng)
    optimizer, metric = build.optimizer(config), build.metric(config)
    prepare = model.loss.prepare_targets
    y_train, y_val = prepare(splits.y_train, data), prepare(splits.y_val, data)

    rundir.write_config(run_dir, config)
    reporter.line(f"run directory: {run_dir}")
    reporter.line(f"data: {data.name}, {len(splits.x_train)} training and "
                  f"{len(splits.x_val)} validation samples of {splits.x_train.shape[1]} features")
    for line in model_summary(model.summary(splits.x_train.shape[1])):
        reporter.line(line)

    trainer = Trainer(model, optimizer, metric, config["training"], shuffle_rng, reporter)
    history = trainer.fit(splits.x_train, y_train, splits.x_val, y_val)
    last = history[-1]
    summary = {
        "loss": last["loss"], "accuracy": last["accuracy"],
        "val_loss": last["val_loss"], "val_accuracy": last["val_accuracy"],
    }
    if splits.x_test is not None:
        y_test = prepare(splits.y_test, data)
        summary["test_loss"], summary["test_accuracy"] = evaluate(
            model, metric, splits.x_test, y_test, config["training"]["batch_size"])
    seconds = time.perf_counter() - started
    train_seconds = sum(row["seconds"] for row in history)
    summary.update({
        "epochs": len(history),
        "seconds": seconds,
        "samples_per_second": len(splits.x_train) * len(history) / train_seconds,
        "seed": config["seed"],
        "data": data.name,
        "class_names": data.class_names,
        "versions": {"nnfs_cli": __version__, "numpy": np.__version__,
                     "python": platform.python_version()},
    })
    if getattr(metric, "precision", None) is not None:
        summary["regression_precision"] = metric.precision

    rundir.write_params(run_dir, model.get_parameters())
    rundir.write_metrics(run_dir, history)
    final = final_lines(summary)
    reporter.lines.extend(final)
    rundir.write_log(run_dir, reporter.lines)
    rundir.write_summary(run_dir, summary)
    return summary, final


def final_lines(summary):
    """The closing summary printed on stdout."""
    lines = [f"finished {summary['epochs']} epochs in {summary['seconds']:.1f}s: "
             f"loss {summary['loss']:.4f}  acc {summary['accuracy']:.4f}  "
             f"val_loss {summary['val_loss']:.4f}  val_acc {summary['val_accuracy']:.4f}"]
    if "test_loss" in summary:
        lines.append(f"test_loss {summary['test_loss']:.4f}  test_acc {summary['test_accuracy']:.4f}")
    return lines
