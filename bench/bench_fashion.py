"""Fashion-MNIST speed and memory: nnfs, through the code path of `nnfs train`, side by side
with the same model in PyTorch on the CPU.

    python bench/bench_fashion.py                 # the book's 784-128-128-10 model, 3 epochs
    python bench/bench_fashion.py --big           # 784-512-512-10 with dropout 0.1
    python bench/bench_fashion.py --threads 1     # one BLAS / torch thread count only
    python bench/bench_fashion.py --busy 1        # with one CPU-bound process competing
    python bench/bench_fashion.py --configs       # also train configs/fashion_large.yaml
    python bench/bench_fashion.py --config configs/fashion_cnn.yaml --epochs 2   # the CNN

torch is not a dependency of nnfs: `pip install torch==2.13.0`. Without it only nnfs runs.

What is measured (see bench/README.md for why):
1. Timing, one process per thread count: a fresh nnfs Run and torch copies of the same model
   (torch.optim.Adam as it comes, and with fused=True) start from the same weights and take
   turns epoch by epoch (who goes first rotates). An epoch is what `nnfs train` reports:
   every training batch plus the validation pass. Then evaluation and prediction of the
   10,000 test images (median of 5) and the final test accuracy.
2. Peak memory, one fresh process per framework (`--only nnfs` / `--only torch`): VmHWM of a
   process that loads the data, trains and evaluates. Its epoch times are printed too: they
   are free of the other framework's idle threads, but not alternated.
3. nnfs alone: loading Fashion-MNIST from the PNGs and from the cache (fresh processes), and
   the peak RSS of a real `nnfs train configs/fashion.yaml` run.
"""

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from nnfs_cli.registry import parse_entry
from nnfs_cli.runs import components as build
from nnfs_cli import config as configs
from nnfs_cli.reporter import Reporter
from nnfs_cli.threads import blas_threads
from nnfs_cli.training.run import Run
from nnfs_cli.core.model import evaluate

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "configs" / "fashion.yaml"
PREDICT_BATCH = 1024   # what `nnfs predict` uses (prediction.BATCH)
BIG_MODEL = ("[{dense: {units: 512}}, relu, {dropout: {rate: %s}}, {dense: {units: 512}}, relu, "
             "{dropout: {rate: %s}}, {dense: {units: 10}}, softmax]")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per framework (default 3)")
    parser.add_argument("--config", type=Path, default=CONFIG,
                        help="the config to train (default configs/fashion.yaml; "
                             "configs/fashion_cnn.yaml for the convolutional network)")
    parser.add_argument("--big", action="store_true", help="784-512-512-10 with dropout")
    parser.add_argument("--dropout", type=float, default=0.1, help="dropout rate for --big")
    parser.add_argument("--threads", default=None,
                        help="comma-separated thread counts (default: 1 and the number of CPUs)")
    parser.add_argument("--torch-adam", default="default,fused",
                        help="torch Adam variants to time: default (op by op), fused, or both "
                             "comma-separated (default: both)")
    parser.add_argument("--busy", type=int, default=0,
                        help="start N CPU-bound processes for the duration, to measure contention")
    parser.add_argument("--only", choices=["nnfs", "torch", "load"], help=argparse.SUPPRESS)
    parser.add_argument("--no-extras", action="store_true",
                        help="skip the data loading and `nnfs train` measurements")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the peak-memory runs (one fresh process per framework)")
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--configs", action="store_true",
                        help="also train configs/fashion_large.yaml in full (about 4 minutes)")
    parser.add_argument("--train-epochs", type=int, default=None,
                        help="epochs of the `nnfs train` run (default: the config's)")
    args = parser.parse_args()
    args.torch_adam = args.torch_adam.split(",")
    args.config = args.config.resolve()
    os.chdir(ROOT)  # the config's data path is relative to the repository
    counts = ([int(n) for n in args.threads.split(",")] if args.threads
              else sorted({1, os.cpu_count() or 1}))
    if args.only == "load":
        print(json.dumps(load_alone(args.path)))
        return
    if args.only:
        print(json.dumps(alone(args, counts[0])))
        return
    header()
    with busy(args.busy):
        for threads in counts:
            side_by_side(args, threads)
        if not args.no_memory:
            memory(args, counts)
        if not args.no_extras:
            loading()
            nnfs_train_memory(args, args.config)
        if args.configs:
            nnfs_train_memory(args, ROOT / "configs" / "fashion_large.yaml")
    print(f"\nload average at the end: {load_average()}")


# --- the two frameworks ---------------------------------------------------------------------


def load_config(path, overrides=()):
    """The config at `path` as `nnfs train` resolves it, its data paths relative to the
    config's folder."""
    return build.with_absolute_paths(configs.load(path, overrides), path)[0]


def resolved_config(args):
    overrides = [f"training.epochs={args.epochs}",
                 "training.checkpoint_seconds=1e9"]  # no checkpoint files inside timed epochs
    if args.big:
        overrides.append(f"model={BIG_MODEL % (args.dropout, args.dropout)}")
    return without_augmentation(load_config(args.config, overrides))


AUGMENTATION = ("random_flip", "random_translation")


def without_augmentation(config):
    """The config without its augmentation layers: the sides compare the network itself
    (torch would do augmentation in its data pipeline, not in the model)."""
    kept = [item for item in config["model"] if parse_entry(item)[0] not in AUGMENTATION]
    if len(kept) < len(config["model"]):
        print(f"(left out on both sides: the config's {len(config['model']) - len(kept)} "
              "augmentation layers)")
    return {**config, "model": kept}


class NnfsSide:
    """A Run built exactly as `nnfs train` builds it; epochs go through Trainer.fit."""

    name = "nnfs"

    def __init__(self, config, data, splits):
        unused = Path(tempfile.gettempdir()) / "nnfs-bench-run-never-written"
        rngs = build.rngs(config["seed"])
        model = build.model(config, data, rngs[0])
        self.run = Run(config, unused, data, splits, model, rngs, Reporter(quiet=True))
        self.splits = self.run.splits   # shaped for the model: (1, 28, 28) for convolutions
        self.initial = self.run.model.copy_parameters()

    def epoch(self):
        trainer, splits = self.run.trainer, self.splits
        trainer.options["epochs"] = len(trainer.history) + 1
        trainer.fit(splits.x_train, self.run.y_train, splits.x_val, self.run.y_val)

    def shuffle_state(self):
        return self.run.trainer.rng.bit_generator.state

    @staticmethod
    def tensor(x):
        return x

    def evaluate(self, x, y):
        """(loss, accuracy) as `nnfs train` scores the test set at the end."""
        run = self.run
        y = run.model.loss.prepare_targets(y, run.data)
        return evaluate(run.model, run.trainer.metric, x, y, run.config["training"]["batch_size"])

    def predict(self, x):
        """Class indices, as `nnfs predict` computes them."""
        return np.argmax(self.run.model.predict(x, PREDICT_BATCH), axis=1)


class TorchSide:
    """The same layers in torch.nn, started from nnfs's initial weights, trained with Adam and
    the book's 1/t decay on the same shuffled order; no DataLoader."""

    def __init__(self, config, splits, initial, adam="default"):
        import torch
        self.torch, self.F = torch, torch.nn.functional
        self.name = "torch" if adam == "default" else f"torch-{adam}"
        torch.manual_seed(config["seed"])  # dropout masks (they cannot match nnfs's)
        params = iter(initial)
        stack = [layer for item in config["model"]
                 if (layer := torch_layer(torch, *parse_entry(item), params)) is not None]
        if parse_entry(config["loss"])[0] != "categorical_crossentropy":
            raise SystemExit("the torch side needs categorical_crossentropy")
        self.model = torch.nn.Sequential(*stack)
        name, opt = parse_entry(config["optimizer"])
        if name != "adam":
            raise SystemExit("the torch side needs adam")
        # torch's default Adam loops over the parameters op by op; fused=True is one kernel.
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=opt["learning_rate"],
                                          betas=(opt["beta_1"], opt["beta_2"]), eps=opt["epsilon"],
                                          fused=True if adam == "fused" else None)
        decay = opt["decay"]
        # lr / (1 + decay * step), counting steps from 0 as nnfs's Optimizer does.
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: 1 / (1 + decay * step))
        self.batch_size = config["training"]["batch_size"]
        self.shuffle_rng = build.rngs(config["seed"])[1]   # the generator Trainer shuffles with
        self._tensors = {}
        self.x, self.y = self.tensor(splits.x_train), torch.from_numpy(splits.y_train)
        self.x_val, self.y_val = self.tensor(splits.x_val), torch.from_numpy(splits.y_val)

    def tensor(self, x):
        """float32 inputs as a tensor sharing their memory (made float32 first if nnfs keeps
        them in another form, such as uint8 images scaled batch by batch). Made once per
        split: the validation split may be the test split."""
        if id(x) not in self._tensors:
            self._tensors[id(x)] = (x, self.torch.from_numpy(np.asarray(x, dtype=np.float32)))
        return self._tensors[id(x)][1]

    def epoch(self):
        torch, F, model, optimizer = self.torch, self.F, self.model, self.optimizer
        order = torch.from_numpy(self.shuffle_rng.permutation(len(self.x)))
        model.train()
        loss_sum, correct = 0.0, 0
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            batch_x, batch_y = self.x[rows], self.y[rows]
            logits = model(batch_x)
            loss = F.cross_entropy(logits, batch_y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            self.schedule.step()
            # The running loss and accuracy that nnfs's Trainer keeps for each epoch.
            loss_sum += loss.item() * len(rows)
            correct += int((logits.argmax(1) == batch_y).sum())
        self.evaluate(self.x_val, self.y_val)   # nnfs's epoch ends with validation too

    def shuffle_state(self):
        return self.shuffle_rng.bit_generator.state

    def evaluate(self, x, y):
        torch, F = self.torch, self.F
        y = torch.as_tensor(y)
        self.model.eval()
        loss_sum, correct = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(x), self.batch_size):
                logits = self.model(x[start:start + self.batch_size])
                batch_y = y[start:start + self.batch_size]
                loss_sum += F.cross_entropy(logits, batch_y, reduction="sum").item()
                correct += int((logits.argmax(1) == batch_y).sum())
        return loss_sum / len(x), correct / len(x)

    def predict(self, x):
        torch = self.torch
        self.model.eval()
        with torch.no_grad():
            outputs = [torch.softmax(self.model(x[start:start + PREDICT_BATCH]), dim=1)
                       for start in range(0, len(x), PREDICT_BATCH)]
        return torch.cat(outputs).argmax(1).numpy()


def torch_layer(torch, name, options, params):
    """The torch.nn module for one nnfs layer, holding nnfs's arrays (`params` yields each
    parameterised layer's tuple in stack order); None for softmax (fused into the loss)."""
    nn = torch.nn

    def copy(module, **arrays):
        with torch.no_grad():
            for key, array in arrays.items():
                getattr(module, key).copy_(torch.from_numpy(np.ascontiguousarray(array)))
        return module

    if name == "dense":
        weights, biases = next(params)
        return copy(nn.Linear(*weights.shape), weight=weights.T, bias=biases[0])
    if name == "conv2d":
        weights, biases = next(params)
        kernel = tuple(weights.shape[2:])
        if options["padding"] == "same" and (options["stride"] != 1 or min(kernel) % 2 == 0):
            raise SystemExit("the torch side pads 'same' only for stride 1 and odd kernels")
        padding = "same" if options["padding"] == "same" else 0
        conv = nn.Conv2d(weights.shape[1], weights.shape[0], kernel, options["stride"], padding)
        return copy(conv, weight=weights, bias=biases)
    if name in ("max_pool2d", "avg_pool2d"):
        pool = nn.MaxPool2d if name == "max_pool2d" else nn.AvgPool2d
        return pool(options["pool_size"], options["stride"])
    if name == "batch_norm":
        scale, shift, mean, var = next(params)
        # (features,) or (channels, height, width) inputs, like ours; torch's momentum weighs
        # the batch (ours weighs the running value).
        class BatchNorm(nn.modules.batchnorm._BatchNorm):
            def _check_input_dim(self, x):
                pass
        norm = BatchNorm(len(scale), eps=options["epsilon"], momentum=1 - options["momentum"])
        return copy(norm, weight=scale, bias=shift, running_mean=mean, running_var=var)
    if name == "flatten":
        return nn.Flatten()
    if name == "relu":
        return nn.ReLU()
    if name == "dropout":
        return nn.Dropout(options["rate"])
    if name == "softmax":
        return None
    raise SystemExit(f"the torch side does not know layer {name!r}")


def torch_available():
    return importlib.util.find_spec("torch") is not None


# --- timing ---------------------------------------------------------------------------------


class Clock:
    """Wall and CPU seconds of a block, and how many cores other processes kept busy meanwhile
    (from /proc/stat), which shows how noisy a measurement was."""

    def __enter__(self):
        self.wall, self.cpu, self.busy = time.perf_counter(), time.process_time(), busy_seconds()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        end = busy_seconds()
        self.others = (max(end - self.busy - self.cpu, 0.0) / self.wall
                       if end is not None and self.busy is not None else float("nan"))


@contextlib.contextmanager
def busy(count):
    """`count` CPU-bound child processes (a stand-in for other jobs), killed at the end."""
    children = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(count)]
    if children:
        print(f"\n(started {count} CPU-bound process(es) to compete for the cores)")
    try:
        yield
    finally:
        for child in children:
            child.kill()
            child.wait()


def busy_seconds():
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]   # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def thread_limit(side, threads):
    if side.name.startswith("torch"):
        side.torch.set_num_threads(threads)
        return threadpool_limits(threads, user_api="blas")
    return blas_threads(threads)   # as `nnfs train --threads` does


def side_by_side(args, threads):
    config = resolved_config(args)
    data = build.dataset(config)
    splits = data.load(config["seed"])
    nnfs = NnfsSide(config, data, splits)
    sides = [nnfs]
    if torch_available():
        sides += [TorchSide(config, nnfs.splits, nnfs.initial, adam) for adam in args.torch_adam]
    print(f"\n== {model_name(config)}, {threads} thread(s), one process, alternating epochs ==")
    print(f"load average: {load_average()}")
    print("epoch " + "".join(f"{side.name + ' s':>14} {'cpu/wall':>8} {'others':>6}"
                             for side in sides))
    times = {side.name: [] for side in sides}
    cpu_times = {side.name: [] for side in sides}
    for epoch in range(args.epochs):
        row = {}
        turn = epoch % len(sides)   # rotate who goes first
        for side in sides[turn:] + sides[:turn]:
            with thread_limit(side, threads), Clock() as clock:
                side.epoch()
            times[side.name].append(clock.wall)
            cpu_times[side.name].append(clock.cpu)
            row[side.name] = f"{clock.wall:14.3f} {clock.cpu / clock.wall:8.2f} {clock.others:6.2f}"
        print(f"{epoch + 1:>5} " + "".join(row[side.name] for side in sides))
    if any(side.shuffle_state() != nnfs.shuffle_state() for side in sides):
        print("WARNING: the frameworks did not draw the same shuffled orders")
    results = {}
    for side in sides:
        x_test = side.tensor(nnfs.splits.x_test)
        with thread_limit(side, threads):
            evaluate_s = median_seconds(lambda: side.evaluate(x_test, splits.y_test))
            predict_s = median_seconds(lambda: side.predict(x_test))
            _, accuracy = side.evaluate(x_test, splits.y_test)
        results[side.name] = {"epoch": statistics.median(times[side.name]),
                              "evaluate": evaluate_s, "predict": predict_s, "accuracy": accuracy}
    others = sides[1:]
    print(f"{'':22}" + "".join(f"{side.name:>13}" for side in sides)
          + "".join(f"{'nnfs/' + side.name:>19}" for side in others))
    for key, label in [("epoch", "median epoch s"),
                       ("evaluate", "evaluate 10k test s"),
                       ("predict", "predict 10k test s"),
                       ("accuracy", "test accuracy")]:
        values = [results[side.name][key] for side in sides]
        line = f"{label:22}" + "".join(f"{value:13.4f}" for value in values)
        if key != "accuracy":
            line += "".join(f"{values[0] / value:18.2f}x" for value in values[1:])
        print(line)
    for side in others:
        paired = [a / b for a, b in zip(times["nnfs"], times[side.name])]
        later = f", epochs 2-{len(paired)}: {statistics.median(paired[1:]):.2f}x" if len(paired) > 1 else ""
        print(f"epoch ratio nnfs/{side.name} round by round: "
              f"{' '.join(f'{r:.2f}' for r in paired)} (median {statistics.median(paired):.2f}x"
              f"{later})")
    for side in sides:
        series, cpu = times[side.name], cpu_times[side.name]
        if len(series) > 2:
            print(f"{side.name}: last epoch / second epoch {series[-1] / series[1]:.2f} wall, "
                  f"{cpu[-1] / cpu[1]:.2f} CPU; CPU s per epoch "
                  + " ".join(f"{value:.3f}" for value in cpu))
    print(f"load average: {load_average()}")


def median_seconds(function, repeats=5):
    function()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def model_name(config):
    """784-128-128-10 for dense stacks; the layers in short for others."""
    entries = [parse_entry(item) for item in config["model"]]
    if all(name in ("dense", "relu", "dropout", "softmax") for name, _ in entries):
        widths = [str(options["units"]) for name, options in entries if name == "dense"]
        rates = {str(options["rate"]) for name, options in entries if name == "dropout"}
        return "784-" + "-".join(widths) + (f" dropout {', '.join(sorted(rates))}" if rates
                                            else "")
    short = {"conv2d": lambda o: f"conv {o['filters']} {o['kernel_size']}",
             "max_pool2d": lambda o: f"maxpool {o['pool_size']}",
             "avg_pool2d": lambda o: f"avgpool {o['pool_size']}",
             "dense": lambda o: f"dense {o['units']}",
             "dropout": lambda o: f"dropout {o['rate']}"}
    return " ".join(short[name](options) if name in short else name
                    for name, options in entries if name not in ("relu", "softmax"))


# --- memory: one process per framework -----------------------------------------------------


def alone(args, threads):
    """`--only NAME`: load, train and evaluate in this process; report times and peak memory."""
    config = resolved_config(args)
    data = build.dataset(config)
    splits = data.load(config["seed"])
    after_load = proc_status()
    nnfs = NnfsSide(config, data, splits)
    side = nnfs if args.only == "nnfs" else TorchSide(config, nnfs.splits, nnfs.initial)
    x_test = side.tensor(nnfs.splits.x_test)
    if side is not nnfs:
        del nnfs
    epochs = []
    with thread_limit(side, threads):
        for _ in range(args.epochs):
            with Clock() as clock:
                side.epoch()
            epochs.append(clock.wall)
        evaluate_s = median_seconds(lambda: side.evaluate(x_test, splits.y_test), 3)
        _, accuracy = side.evaluate(x_test, splits.y_test)
    status = proc_status()
    return {"epochs": epochs, "evaluate": evaluate_s, "accuracy": accuracy,
            "rss_after_load_mb": after_load["VmRSS"], "hwm_after_load_mb": after_load["VmHWM"],
            "peak_mb": status["VmHWM"]}


def proc_status():
    """VmRSS and VmHWM of this process in MB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


def memory(args, counts):
    names = ["nnfs"] + (["torch"] if torch_available() else [])
    print(f"\n== peak memory and times, one fresh process per framework ({args.epochs} epochs) ==")
    print(f"{'':8}{'threads':>8}{'epochs s':>22}{'evaluate s':>12}{'test acc':>10}"
          f"{'RSS after load MB':>19}{'peak RSS MB':>13}")
    for threads in counts:
        for name in names:
            command = [sys.executable, __file__, "--only", name, "--threads", str(threads),
                       "--epochs", str(args.epochs), "--dropout", str(args.dropout),
                       "--config", str(args.config)]
            command += ["--big"] if args.big else []
            result = json.loads(subprocess.run(command, check=True, capture_output=True,
                                               text=True).stdout)
            epochs = " ".join(f"{s:.2f}" for s in result["epochs"])
            print(f"{name:8}{threads:>8}{epochs:>22}{result['evaluate']:>12.3f}"
                  f"{result['accuracy']:>10.4f}{result['rss_after_load_mb']:>19.0f}"
                  f"{result['peak_mb']:>13.0f}")


# --- nnfs alone: data loading and a real `nnfs train` -----------------------------------------


def loading():
    from nnfs_cli.data.fashion_mnist import load_fashion
    from nnfs_cli.data.image_files import CACHE
    source = ROOT / "datasets" / "fashion_mnist_images"
    print("\n== loading Fashion-MNIST (nnfs) ==")
    with tempfile.TemporaryDirectory(prefix="nnfs-bench-") as tmp:
        copy = Path(tmp) / "fashion_mnist_images"
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns(CACHE))
        with Clock() as clock:
            load_fashion(copy)       # decodes the PNGs and writes the cache
        print(f"from the 70,000 PNGs (decode + write the cache), in this process: "
              f"{clock.wall:.3f} s")
        runs = [json.loads(subprocess.run(
            [sys.executable, __file__, "--only", "load", "--path", str(copy)],
            check=True, capture_output=True, text=True).stdout) for _ in range(3)]
    for key, label in [("cache", "from cache.npz (load_fashion)"),
                       ("dataset", "FashionMNIST.load (what `nnfs train` calls)")]:
        values = [run[key] for run in runs]
        print(f"{label}, fresh processes: median {statistics.median(values):.3f} s "
              f"({' '.join(f'{v:.3f}' for v in values)})")


def load_alone(path):
    """`--only load`: first load of the cache, then of the whole data set, in a fresh process."""
    from nnfs_cli.data.fashion_mnist import load_fashion
    from nnfs_cli.data.fashion_mnist import FashionMNIST
    with Clock() as cache:
        load_fashion(path)
    with Clock() as dataset:
        FashionMNIST(path=path).load(0)
    return {"cache": cache.wall, "dataset": dataset.wall}


# Runs a command and reports its peak RSS. A small process of its own starts it: the peak
# that wait4 reports for a child forked straight from this (large) process includes the
# pages it shared with us before exec.
PEAK_OF = """import json, resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": code, "peak_kb": peak}))"""


def nnfs_train_memory(args, config=CONFIG):
    """A real `nnfs train CONFIG` in a fresh process: epoch seconds, test accuracy, peak RSS."""
    epochs = args.train_epochs or configs.load(config)["training"]["epochs"]
    print(f"\n== a real `nnfs train {config.relative_to(ROOT)} --epochs {epochs}` "
          "(environment as is) ==")
    with tempfile.TemporaryDirectory(prefix="nnfs-bench-") as tmp:
        command = [sys.executable, "-c", PEAK_OF, sys.executable, "-m", "nnfs_cli", "train",
                   str(config.relative_to(ROOT)), "--run-dir", str(Path(tmp) / "run"),
                   "--quiet", "--epochs", str(epochs)]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
        *output, result = done.stdout.strip().splitlines()
        result = json.loads(result)
        metrics = Path(tmp) / "run" / "metrics.csv"
        rows = metrics.read_text().splitlines() if metrics.is_file() else []
        seconds = ([float(line.split(",")[-1]) for line in rows[1:]]
                   if rows and rows[0].split(",")[-1] == "seconds" else [])
    for line in output + done.stderr.strip().splitlines():
        print(f"  {line}")
    print(f"exit code {result['code']}, wall {wall:.1f} s (process start to exit), "
          f"peak RSS {result['peak_kb'] / 1024:.0f} MB")
    if seconds:
        print(f"epoch seconds: {' '.join(f'{s:.2f}' for s in seconds)} "
              f"(median {statistics.median(seconds):.2f})")


# --- the header -----------------------------------------------------------------------------


def header(columns=True):
    print(f"{Path(sys.argv[0]).name} {' '.join(sys.argv[1:])}  "
          f"({time.strftime('%Y-%m-%d %H:%M:%S')})")
    print(f"machine: nproc {os.cpu_count()}, CPU {cpu_model()}, "
          f"Python {platform.python_version()}, NumPy {np.__version__}, torch {torch_version()}")
    for pool in threadpool_info():
        if pool["user_api"] == "blas":
            print(f"BLAS: {pool['internal_api']} {pool.get('version')}, kernel "
                  f"{pool.get('architecture')}, {pool['num_threads']} threads by default "
                  f"({Path(pool['filepath']).name})")
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        print(f"{name}={os.environ.get(name, '(unset)')}")
    print(f"load average at the start: {load_average()}")
    if columns:
        print("columns: cpu/wall = CPU seconds of this process per wall second; "
              "others = cores kept busy by other processes meanwhile")


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def torch_version():
    if not torch_available():
        return "not installed"
    import torch
    return torch.__version__


def load_average():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
