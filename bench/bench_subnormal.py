"""Do subnormal float32 numbers in Adam's state slow the optimizer step? The same step, with
and without them.

    python bench/bench_subnormal.py               # train the book's model 3 epochs, then time
    python bench/bench_subnormal.py --epochs 10

1. Trains the book's model (configs/fashion.yaml, one BLAS thread) through the code path of
   `nnfs train`, with the optimizer's flushing of subnormal state switched off, and counts the
   subnormal numbers in parameters, gradients and Adam's state after each epoch.
2. Times one Adam step over the whole model on that state as it is and on a copy whose
   subnormal numbers are set to zero (nothing else differs), in alternating blocks, and
   reports the median of each (wall and CPU seconds of this process).
   With --flush the optimizer flushes as `nnfs train` does, so both sides are the same; the
   epoch times then show whether epochs stay flat.
3. Times single NumPy operations on arrays of normal, zero and subnormal float32 numbers, to
   show which instructions pay for subnormals on this processor.
"""

import argparse
import copy
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fashion import CONFIG, ROOT, NnfsSide, load_config  # noqa: E402

from nnfs_cli.core import optimizers  # noqa: E402
from nnfs_cli.runs import components as build  # noqa: E402

TINY = np.finfo(np.float32).tiny


def subnormal_share(arrays):
    arrays = list(arrays)
    count = sum(int(np.count_nonzero((a != 0) & (np.abs(a) < TINY))) for a in arrays)
    return count / sum(a.size for a in arrays)


def state_arrays(optimizer, name):
    return [state[name] for state in optimizer.state.values() if name in state]


def median_step(step, repeats, block=10):
    """Median wall and CPU seconds of `step()` for each of the callables in `step`."""
    wall = {key: [] for key in step}
    cpu = {key: [] for key in step}
    for _ in range(repeats // block):
        for key, function in step.items():
            for _ in range(block):
                w, c = time.perf_counter(), time.process_time()
                function()
                wall[key].append(time.perf_counter() - w)
                cpu[key].append(time.process_time() - c)
    return {key: (statistics.median(wall[key]), statistics.median(cpu[key])) for key in step}


def ufunc_table(size=784 * 128, repeats=300):
    values = {"normal (1e-3)": 1e-3, "zero": 0.0, "subnormal (5.6e-45)": 5.6e-45,
              "subnormal (1e-40)": 1e-40}
    operations = {
        "a * 0.9": lambda a, b, out: np.multiply(a, 0.9, out=out),
        "a + a": lambda a, b, out: np.add(a, a, out=out),
        "1e-2 - a": lambda a, b, out: np.subtract(b, a, out=out),
        "a / 1e-2": lambda a, b, out: np.divide(a, b, out=out),
        "sqrt(a)": lambda a, b, out: np.sqrt(a, out=out),
        "a ** 2": lambda a, b, out: np.square(a, out=out),
    }
    print(f"\nsingle operations on {size:,} float32 numbers, median us of {repeats}:")
    print(f"{'':22}" + "".join(f"{name:>12}" for name in operations))
    for label, value in values.items():
        a = np.full(size, value, dtype=np.float32)
        b = np.full(size, 1e-2, dtype=np.float32)
        out = np.empty_like(a)
        row = []
        for operation in operations.values():
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                operation(a, b, out)
                times.append(time.perf_counter() - start)
            row.append(statistics.median(times) * 1e6)
        print(f"{label:22}" + "".join(f"{t:12.1f}" for t in row))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=600)
    parser.add_argument("--flush", action="store_true",
                        help="train with the flushing on, as `nnfs train` does")
    args = parser.parse_args()
    os.chdir(ROOT)
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               "?")
    kernels = [pool.get("architecture") for pool in threadpool_info()
               if pool.get("user_api") == "blas"]
    print(f"CPU: {cpu}; BLAS kernel {kernels}; OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; load {os.getloadavg()}")
    if not args.flush:
        optimizers.FLUSH_EVERY = 0   # let subnormal numbers build up, as before the fix
    config = load_config(CONFIG, [f"training.epochs={args.epochs}",
                                  "training.checkpoint_seconds=1e9"])
    data = build.dataset(config)
    splits = data.load(config["seed"])
    with threadpool_limits(1, user_api="blas"):
        side = NnfsSide(config, data, splits)
        model, optimizer = side.run.model, side.run.trainer.optimizer
        print(f"\nflushing every {optimizers.FLUSH_EVERY or 'never'} steps")
        print(f"{'epoch':>5} {'wall s':>7} {'cpu s':>6}  subnormal share of: "
              "params   grads   momentums  cache  scratch")
        cpu_seconds = []
        for epoch in range(args.epochs):
            w, c = time.perf_counter(), time.process_time()
            side.epoch()
            w, c = time.perf_counter() - w, time.process_time() - c
            cpu_seconds.append(c)
            items = model.param_items()
            print(f"{epoch + 1:>5} {w:7.3f} {c:6.3f}  {'':20}"
                  f"{subnormal_share(p for _, p, _ in items):6.4f}  "
                  f"{subnormal_share(g for _, _, g in items):6.4f}  "
                  + "  ".join(f"{subnormal_share(state_arrays(optimizer, n)):9.4f}"
                              for n in ("momentums", "cache", "scratch")))

        if len(cpu_seconds) > 2:
            print(f"last epoch / second epoch, CPU seconds: {cpu_seconds[-1] / cpu_seconds[1]:.3f}")

        # A second model and optimizer, identical but for the subnormal numbers set to zero.
        twin = build.model(config, data, build.rngs(config["seed"])[0])
        twin.set_parameters(model.get_parameters())
        twin.flat.grads[...] = model.flat.grads   # the last batch's gradients, for both
        state = copy.deepcopy(optimizer.state_dict())
        for arrays in state["state"].values():
            for array in arrays.values():
                array[np.abs(array) < TINY] = 0
        flushed = build.optimizer(config)
        flushed.load_state_dict(state)
        # Elements whose gradient is zero keep their subnormal momentum step after step, as
        # in training; each side keeps updating its own parameters.
        runs = {"with subnormals": lambda: optimizer.step(model.param_items()),
                "flushed to zero": lambda: flushed.step(twin.param_items())}
        grads = [g for _, _, g in model.param_items()]
        result = median_step(runs, args.repeats)
        print(f"\none Adam step over the whole model ({sum(g.size for g in grads):,} numbers), "
              f"median of {args.repeats}, alternating blocks of 10:")
        for key, (wall, cpu_s) in result.items():
            print(f"  {key:18} wall {wall * 1e6:7.1f} us   cpu {cpu_s * 1e6:7.1f} us")
        with_wall, without_wall = result["with subnormals"][0], result["flushed to zero"][0]
        print(f"  ratio with/without: {with_wall / without_wall:.2f}x (momentums subnormal: "
              f"{subnormal_share(state_arrays(optimizer, 'momentums')):.1%})")
    ufunc_table()
    print(f"\nload average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
