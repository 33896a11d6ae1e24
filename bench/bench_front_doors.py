"""The same training through nnfs's doors: the book's own Model code (nnfs_cli.book) against
`nnfs train configs/fashion.yaml` (issue 22), and what TensorBoard logging costs an epoch,
scalars only and with histograms every epoch (issue 24).

    python bench/bench_front_doors.py                    # 5 epochs a side, 3 rounds (~4 min)
    python bench/bench_front_doors.py --epochs 4 --rounds 2 --only book,cli

Every side trains the book's 784-128-128-10 network (Adam, lr 0.001, decay 1e-3, batches
of 128) on the 60,000 Fashion-MNIST training images, validating on the 10,000 test images
each epoch, with one BLAS thread. The sides take turns round by round in one process,
the order rotating. An epoch's time is from one epoch's start to the next (so it holds
validation and every callback, TensorBoard's writes included); the first epoch of each
training is left out. Needs datasets/fashion_mnist_images (`nnfs download-fashion`) and,
for the logging sides, tensorboardX.
"""

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fashion import ROOT, header  # noqa: E402

from nnfs_cli import api, book  # noqa: E402
from nnfs_cli.callbacks import Callback  # noqa: E402

DATA = ROOT / "datasets" / "fashion_mnist_images"
SIDES = {
    "book": None,
    "cli": [],
    "tensorboard": ["logging.tensorboard=true"],
    "histograms": ["logging.tensorboard=true", "logging.histograms=1"],
}


class EpochStarts(Callback):
    def __init__(self):
        self.starts = []

    def on_epoch_begin(self, epoch, logs):
        self.starts.append(time.perf_counter())

    def on_train_end(self, logs):
        self.starts.append(time.perf_counter())


def through_the_cli(overrides, epochs, folder):
    """Seconds of epochs 2.. of configs/fashion.yaml trained as `nnfs train` trains it."""
    clock = EpochStarts()
    api.train(ROOT / "configs" / "fashion.yaml", Path(folder) / f"run-{time.time_ns()}",
              overrides=[f"data.path={DATA}", *overrides], epochs=epochs, quiet=True,
              download=False, callbacks=[clock])
    return np.diff(clock.starts)[1:epochs].tolist()


def book_data():
    """Chapter 19's data: shuffled once, scaled to -1..1, flattened."""
    X, y, X_test, y_test = book.create_data_mnist(str(DATA))
    np.random.seed(0)
    keys = np.random.permutation(len(X))
    X, y = X[keys], y[keys]
    scale = lambda images: ((images.reshape(len(images), -1).astype(np.float32) - 127.5)
                            / 127.5)
    return scale(X), y, scale(X_test), y_test


def through_the_book(data, epochs):
    """Seconds of epochs 2.. of the book's Model code, one train(epochs=1) call an epoch."""
    X, y, X_test, y_test = data
    np.random.seed(0)
    model = book.Model()
    model.add(book.Layer_Dense(X.shape[1], 128))
    model.add(book.Activation_ReLU())
    model.add(book.Layer_Dense(128, 128))
    model.add(book.Activation_ReLU())
    model.add(book.Layer_Dense(128, 10))
    model.add(book.Activation_Softmax())
    model.set(loss=book.Loss_CategoricalCrossentropy(),
              optimizer=book.Optimizer_Adam(decay=1e-3), accuracy=book.Accuracy_Categorical())
    model.finalize()
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):   # the book's lines, unread
            model.train(X, y, epochs=1, batch_size=128, print_every=10**9,
                        validation_data=(X_test, y_test))
        seconds.append(time.perf_counter() - start)
    return seconds[1:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default=",".join(SIDES),
                        help=f"comma-separated sides from {', '.join(SIDES)}")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} is missing: nnfs download-fashion puts it there")
    os.chdir(ROOT)
    sides = args.only.split(",")
    header(columns=False)
    data = book_data() if "book" in sides else None
    times = {side: [] for side in sides}
    with tempfile.TemporaryDirectory() as folder, threadpool_limits(1, user_api="blas"):
        for round_ in range(args.rounds):
            order = sides[round_ % len(sides):] + sides[:round_ % len(sides)]
            for side in order:
                epochs = (through_the_book(data, args.epochs) if side == "book" else
                          through_the_cli(SIDES[side], args.epochs, folder))
                times[side].extend(epochs)
                print(f"round {round_ + 1} {side:12s} " +
                      " ".join(f"{seconds:.3f}" for seconds in epochs), flush=True)
    base = statistics.median(times[sides[0]])
    print(f"\nseconds per epoch (epochs 2-{args.epochs}, {args.rounds} rounds), one BLAS "
          f"thread; load average at the end {os.getloadavg()[0]:.2f}")
    for side in sides:
        median = statistics.median(times[side])
        print(f"{side:12s} median {median:.3f}  min {min(times[side]):.3f}  max "
              f"{max(times[side]):.3f}  {median / base:.3f}x {sides[0]}")


if __name__ == "__main__":
    main()
