"""Where a Fashion-MNIST training epoch spends its time, through the code path of `nnfs train`.

    python bench/profile_epoch.py                  # the book's model, 1 BLAS thread
    python bench/profile_epoch.py --big --threads 2
    python bench/profile_epoch.py --pyinstrument   # also print pyinstrument's call tree
    python bench/profile_epoch.py --config configs/fashion_cnn.yaml --epochs 1   # the CNN

One warm-up epoch, then `--epochs` measured epochs. Each part of the model is wrapped with a
timer that adds up CPU seconds of this process (time.process_time, so time spent waiting for a
core while other processes run is left out); "Python and the loop" is the rest of the
epoch: the training loop's own lines, per-batch bookkeeping and calls between the parts.
The wrappers add a few microseconds per call, which shows up under "Python and the loop".
A convolution's time is split into its matrix products (np.matmul, timed inside the layer)
and the rest: copying windows into columns (im2col) forward, adding columns back onto the
pixels (col2im) backward.
"""

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fashion import (BIG_MODEL, CONFIG, ROOT, NnfsSide, load_config, model_name,  # noqa: E402
                          without_augmentation)

from nnfs_cli.runs import components as build  # noqa: E402
from nnfs_cli.core.layers import conv  # noqa: E402
from nnfs_cli.threads import blas_threads  # noqa: E402

TOTALS = defaultdict(float)
CALLS = defaultdict(int)


def timed(category, function):
    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            TOTALS[category] += time.process_time() - start
            CALLS[category] += 1
    return wrapper


class TimedRows:
    """Training inputs or targets whose indexing (taking a batch) is timed as data gathering."""

    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __getattr__(self, name):
        return getattr(self.rows, name)

    def __getitem__(self, index):
        start = time.process_time()
        try:
            return self.rows[index]
        finally:
            TOTALS["data: taking a batch (x[index], y[index])"] += time.process_time() - start


PRODUCTS = [0.0]   # CPU seconds inside np.matmul calls of the conv module


class TimedNumpy:
    """numpy for the conv module, with np.matmul timed."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def matmul(*args, **kwargs):
        start = time.process_time()
        try:
            return np.matmul(*args, **kwargs)
        finally:
            PRODUCTS[0] += time.process_time() - start


def split_timed(products, rest, function):
    """Time `function`, its np.matmul calls under `products` and the remainder under `rest`."""
    def wrapper(*args, **kwargs):
        start, before = time.process_time(), PRODUCTS[0]
        try:
            return function(*args, **kwargs)
        finally:
            inside = PRODUCTS[0] - before
            TOTALS[products] += inside
            TOTALS[rest] += time.process_time() - start - inside
            CALLS[products] += 1
            CALLS[rest] += 1
    return wrapper


def instrument(run):
    model, trainer = run.model, run.trainer
    conv.np = TimedNumpy()
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            layer.forward = split_timed("matrix products: Conv2D forward (columns @ weights)",
                                        "im2col: Conv2D forward, the rest (copy windows)",
                                        layer.forward)
            layer.backward = split_timed("matrix products: Conv2D backward (weights, inputs)",
                                         "col2im: Conv2D backward, the rest (add back)",
                                         layer.backward)
            continue
        if kind == "Dense":
            forward = "matrix products: Dense forward (x @ W + b)"
            backward = "matrix products: Dense backward (x.T @ d, d @ W.T, sum)"
        elif kind in ("MaxPool2D", "AvgPool2D"):
            forward, backward = f"pooling: {kind} forward", f"pooling: {kind} backward"
        else:
            forward = f"element-wise: {kind} forward"
            backward = f"element-wise: {kind} backward"
        layer.forward = timed(forward, layer.forward)
        layer.backward = timed(backward, layer.backward)
    loss = model.loss
    loss.forward = timed("element-wise: loss forward (per-sample losses)", loss.forward)
    loss.fused_backward = timed("element-wise: softmax + cross-entropy gradient",
                                loss.fused_backward)
    trainer.metric.count = timed("element-wise: accuracy count", trainer.metric.count)
    trainer.optimizer.step = timed("optimizer: Adam step", trainer.optimizer.step)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--big", action="store_true")
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--augmentation", action="store_true",
                        help="keep the config's random_* layers (left out by default, as "
                             "bench_fashion.py does)")
    args = parser.parse_args()
    args.config = args.config.resolve()
    os.chdir(ROOT)
    overrides = [f"training.epochs={args.epochs + 1}", "training.checkpoint_seconds=1e9"]
    if args.big:
        overrides.append(f"model={BIG_MODEL % (0.1, 0.1)}")
    config = load_config(args.config, overrides)
    if not args.augmentation:
        config = without_augmentation(config)
    data = build.dataset(config)
    splits = data.load(config["seed"])
    with blas_threads(args.threads):   # as `nnfs train --threads` does
        side = NnfsSide(config, data, splits)
        side.epoch()   # warm-up
        if args.pyinstrument:
            from pyinstrument import Profiler
            profiler = Profiler(interval=0.0005)
            profiler.start()
            side.epoch()
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False))
        side.splits.x_train = TimedRows(side.splits.x_train)
        side.run.y_train = TimedRows(side.run.y_train)
        instrument(side.run)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.epochs):
            side.epoch()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    batches = -(-len(splits.x_train) // config["training"]["batch_size"]) * args.epochs
    print(f"{args.epochs} epoch(s) of {model_name(config)}, "
          f"{args.threads} BLAS thread(s): wall {wall / args.epochs:.3f} s, "
          f"CPU {cpu / args.epochs:.3f} s per epoch ({batches // args.epochs} batches "
          f"+ validation); per training batch {cpu / batches * 1e6:.0f} us of CPU")
    print(f"{'':58}{'s/epoch':>9}{'share':>7}{'us/call':>9}")
    rows = sorted(TOTALS.items(), key=lambda item: -item[1])
    rows.append(("Python and the loop (the rest)", cpu - sum(TOTALS.values())))
    for name, seconds in rows:
        per_call = f"{seconds / CALLS[name] * 1e6:9.1f}" if CALLS.get(name) else ""
        print(f"{name:58}{seconds / args.epochs:9.3f}{seconds / cpu:7.1%}{per_call}")
    groups = defaultdict(float)
    for name, seconds in rows:
        groups[name.split(":")[0].split(" (")[0]] += seconds
    print("by kind: " + ", ".join(f"{name} {seconds / cpu:.0%}" for name, seconds in
                                  sorted(groups.items(), key=lambda item: -item[1])))


if __name__ == "__main__":
    main()
