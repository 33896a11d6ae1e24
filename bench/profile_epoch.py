"""Where a Fashion-MNIST training epoch spends its time, through the code path of `nnfs train`.

    python bench/profile_epoch.py                  # the book's model, 1 BLAS thread
    python bench/profile_epoch.py --big --threads 2
    python bench/profile_epoch.py --pyinstrument   # also print pyinstrument's call tree

One warm-up epoch, then `--epochs` measured epochs. Each part of the model is wrapped with a
timer that adds up CPU seconds of this process (time.process_time, so time spent waiting for a
core while other processes run is left out); "Python and the loop" is the rest of the
epoch: the training loop's own lines, per-batch bookkeeping and calls between the parts.
The wrappers add a few microseconds per call, which shows up under "Python and the loop".
"""

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fashion import BIG_MODEL, CONFIG, ROOT, NnfsSide  # noqa: E402

from nnfs_cli.runs import components as build  # noqa: E402
from nnfs_cli import config as configs  # noqa: E402

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


def instrument(run):
    model, trainer = run.model, run.trainer
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Dense":
            forward = "matrix products: Dense forward (x @ W + b)"
            backward = "matrix products: Dense backward (x.T @ d, d @ W.T, sum)"
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
    parser.add_argument("--pyinstrument", action="store_true")
    args = parser.parse_args()
    os.chdir(ROOT)
    overrides = [f"training.epochs={args.epochs + 1}", "training.checkpoint_seconds=1e9"]
    if args.big:
        overrides.append(f"model={BIG_MODEL % (0.1, 0.1)}")
    config = configs.load(CONFIG, overrides)
    data = build.dataset(config)
    splits = data.load(config["seed"])
    with threadpool_limits(args.threads, user_api="blas"):
        side = NnfsSide(config, data, splits)
        side.epoch()   # warm-up
        if args.pyinstrument:
            from pyinstrument import Profiler
            profiler = Profiler(interval=0.0005)
            profiler.start()
            side.epoch()
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False))
        splits.x_train = TimedRows(splits.x_train)
        side.run.y_train = TimedRows(side.run.y_train)
        instrument(side.run)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.epochs):
            side.epoch()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    batches = -(-len(splits.x_train) // config["training"]["batch_size"]) * args.epochs
    print(f"{args.epochs} epoch(s) of {'784-512-512-10' if args.big else '784-128-128-10'}, "
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
