"""One BLAS thread or several? Trains the shipped configs through the code path of `nnfs train`
and alternates BLAS thread counts chunk by chunk in one process.

    python bench/bench_threads.py                     # sine, spiral, fashion, fashion --big
    python bench/bench_threads.py --rounds 7 --threads 1,2 --only sine,fashion
    python bench/bench_threads.py --busy 1            # with one CPU-bound process competing

Each workload is one Run; a chunk (some epochs) is trained with threadpoolctl limiting
OpenBLAS to each thread count in turn, the order flipping every round. Printed per thread
count: median seconds per chunk, min, max, and how many cores other processes kept busy
meanwhile (from /proc/stat), since a second BLAS thread only helps when a second core is free.
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fashion import BIG_MODEL, ROOT, Clock, NnfsSide, busy, header, load_config  # noqa: E402

from nnfs_cli.runs import components as build  # noqa: E402
from nnfs_cli.registry import parse_entry  # noqa: E402

# name: (config, overrides, epochs per chunk). Fashion-MNIST is limited to a slice of the
# images so that a chunk takes about a second; the matrix shapes are those of a full epoch.
WORKLOADS = {
    "sine": ("configs/sine.yaml", [], 200),
    "spiral": ("configs/spiral.yaml", [], 2),
    "spiral-book": ("configs/spiral.yaml",   # NNFS ch. 14: 1000 points per class, full batch
                    ["data.samples=1000", "training.batch_size=null",
                     "model=[{dense: {units: 64}}, relu, {dense: {units: 3}}, softmax]"], 200),
    "fashion": ("configs/fashion.yaml", ["data.limit=25600"], 1),
    "fashion-big": ("configs/fashion.yaml",
                    ["data.limit=12800", f"model={BIG_MODEL % (0.1, 0.1)}"], 1),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", default=None,
                        help="comma-separated BLAS thread counts (default: 1 and the CPUs)")
    parser.add_argument("--busy", type=int, default=0,
                        help="start N CPU-bound processes for the duration, to measure contention")
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help=f"comma-separated workloads from {', '.join(WORKLOADS)}")
    args = parser.parse_args()
    os.chdir(ROOT)
    counts = ([int(n) for n in args.threads.split(",")] if args.threads
              else sorted({1, os.cpu_count() or 1}))
    header(columns=False)
    with busy(args.busy):
        for name in args.only.split(","):
            measure(name, counts, args.rounds)


def measure(name, counts, rounds):
    path, overrides, epochs = WORKLOADS[name]
    config = load_config(path, overrides + ["training.checkpoint_seconds=1e9",
                                            "training.print_every=1000000"])
    data = build.dataset(config)
    splits = data.load(config["seed"])
    side = NnfsSide(config, data, splits)
    trainer = side.run.trainer
    batch = config["training"]["batch_size"] or len(splits.x_train)
    widths = [parse_entry(item)[1]["units"] for item in config["model"]
              if parse_entry(item)[0] == "dense"]
    print(f"\n== {name}: {path} {' '.join(overrides)} ==")
    print(f"{len(splits.x_train)} rows x {splits.x_train.shape[1]} features, batches of {batch}, "
          f"layers {widths}; a chunk is {epochs} epoch(s) with validation on "
          f"{len(splits.x_val)} rows")
    seconds = {n: [] for n in counts}
    others = {n: [] for n in counts}
    with threadpool_limits(counts[0], user_api="blas"):
        side.epoch()   # warm-up
    for round_ in range(rounds):
        for threads in counts if round_ % 2 == 0 else counts[::-1]:
            with threadpool_limits(threads, user_api="blas"), Clock() as clock:
                trainer.options["epochs"] = len(trainer.history) + epochs
                trainer.fit(splits.x_train, side.run.y_train, splits.x_val, side.run.y_val)
            seconds[threads].append(clock.wall)
            others[threads].append(clock.others)
    base = statistics.median(seconds[counts[0]])
    for threads in counts:
        values = seconds[threads]
        print(f"  {threads} thread(s): median {statistics.median(values):7.3f} s  "
              f"min {min(values):7.3f}  max {max(values):7.3f}  "
              f"({statistics.median(values) / base:5.2f}x of {counts[0]} thread(s))  "
              f"others busy: {' '.join(f'{o:.1f}' for o in others[threads])} cores")


if __name__ == "__main__":
    main()
