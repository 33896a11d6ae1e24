"""The training loop (NNFS ch. 18-19): seeded shuffling, mini-batches, weighted epoch
averages, validation after every epoch, batched evaluation."""

import time

import numpy as np


class Trainer:
    """Trains `model` with `optimizer` on prepared (x, y) arrays, reporting through `reporter`."""

    def __init__(self, model, optimizer, metric, options, shuffle_rng, reporter):
        self.model = model
        self.loss = model.loss
        self.optimizer = optimizer
        self.metric = metric
        self.options = options
        self.rng = shuffle_rng
        self.reporter = reporter
        self.history = []

    def fit(self, x, y, x_val, y_val):
        """Train for options['epochs'] epochs; returns one metrics row per epoch."""
        options = self.options
        n = len(x)
        batch_size = min(options["batch_size"] or n, n)
        steps = -(-n // batch_size)
        self.metric.fit(y)
        params = self.model.param_items()
        regularized = any(layer.regularization_loss() or _has_penalty(layer)
                          for layer in self.model.trainable)
        epochs = options["epochs"]
        for epoch in range(len(self.history) + 1, epochs + 1):
            start = time.perf_counter()
            order = self.rng.permutation(n) if options["shuffle"] else None
            data_sum = reg_sum = 0.0
            correct = total = 0
            with self.reporter.bar(steps, f"epoch {epoch}/{epochs}") as bar:
                for step in range(steps):
                    rows = slice(step * batch_size, (step + 1) * batch_size)
                    if order is None:
                        batch_x, batch_y = x[rows], y[rows]
                    else:
                        batch_x, batch_y = x[order[rows]], y[order[rows]]
                    output = self.model.forward(batch_x, training=True)
                    batch_data = float(self.loss.forward(output, batch_y).sum(dtype=np.float64))
                    batch_reg = self.model.regularization_loss() if regularized else 0.0
                    good, count = self.metric.count(self.model.predictions(output), batch_y)
                    self.model.backward(output, batch_y)
                    self.optimizer.step(params)
                    data_sum += batch_data
                    reg_sum += batch_reg * len(batch_x)
                    correct, total = correct + good, total + count
                    if bar.disable is False:
                        bar.update()
                        bar.set_postfix(loss=f"{(data_sum + reg_sum) / ((step * batch_size) + len(batch_x)):.4f}",
                                        acc=f"{correct / total:.4f}", refresh=False)
            val_loss, val_accuracy = self.evaluate(x_val, y_val, batch_size)
            row = {
                "epoch": epoch,
                "loss": (data_sum + reg_sum) / n,
                "data_loss": data_sum / n,
                "reg_loss": reg_sum / n,
                "accuracy": correct / total,
                "val_loss": val_loss,
                "val_accuracy": val_accuracy,
                "lr": self.optimizer.current_learning_rate,
                "seconds": time.perf_counter() - start,
            }
            self.history.append(row)
            self.report(row, epoch == epochs)
        return self.history

    def report(self, row, last):
        from nnfs_cli.report import format_metrics
        if last or row["epoch"] % self.options["print_every"] == 0 or row["epoch"] == 1:
            self.reporter.line(format_metrics(row))

    def evaluate(self, x, y, batch_size=None):
        """(mean data loss, accuracy) over (x, y), `batch_size` rows at a time."""
        return evaluate(self.model, self.metric, x, y, batch_size)


def evaluate(model, metric, x, y, batch_size=None):
    """(mean data loss, accuracy) of `model` on (x, y), computed in batches."""
    batch_size = batch_size or len(x)
    loss_sum = 0.0
    correct = total = 0
    for start in range(0, len(x), batch_size):
        batch_x, batch_y = x[start:start + batch_size], y[start:start + batch_size]
        output = model.forward(batch_x, training=False)
        loss_sum += float(model.loss.forward(output, batch_y).sum(dtype=np.float64))
        good, count = metric.count(model.predictions(output), batch_y)
        correct, total = correct + good, total + count
    return loss_sum / len(x), correct / total


def _has_penalty(layer):
    return any(getattr(layer, key, 0) for key in ("weight_l1", "weight_l2", "bias_l1", "bias_l2"))
