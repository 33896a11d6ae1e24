"""How long your own data takes to load, through the data sets `nnfs train` uses.

    python bench/bench_data_loading.py                  # both measurements
    python bench/bench_data_loading.py --only csv --rows 100000 --columns 50
    python bench/bench_data_loading.py --only images --archive PATH/fashion_mnist_images.zip

csv: writes a CSV of `rows` x `columns` random numbers (6 significant digits, the last column
a text label) into a temporary folder and times `csv` data set loads (parse, encode, split,
scale). images: extracts the 70,000 Fashion-MNIST PNGs into a temporary folder (never into
the repository), then times an `image_folder` load without a cache (decoding every PNG) and
with it. Each load runs `--rounds` times; the median and range of the wall time and of the
CPU time of this process are printed (the CPU time hardly moves when other processes compete
for the cores; the wall time does). `--folder` times an extracted copy instead.
"""

import argparse
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nnfs_cli.data.csv_table import CsvTable  # noqa: E402
from nnfs_cli.data.image_folder import ImageFolder  # noqa: E402

ARCHIVE = ROOT.parent / "shared" / "datasets" / "fashion_mnist_images.zip"


def timed(load, rounds, before=None):
    """(last result, [(wall seconds, CPU seconds of this process)] per round)."""
    seconds = []
    for _ in range(rounds):
        if before:
            before()
        started, cpu = time.perf_counter(), time.process_time()
        result = load()
        seconds.append((time.perf_counter() - started, time.process_time() - cpu))
    return result, seconds


def show(what, seconds):
    """Wall and CPU time: on a shared machine the CPU time is the steadier figure."""
    wall, cpu = [w for w, _ in seconds], [c for _, c in seconds]
    print(f"{what:<44} wall median {statistics.median(wall):6.2f} s "
          f"({min(wall):.2f}-{max(wall):.2f}), CPU median {statistics.median(cpu):6.2f} s "
          f"({min(cpu):.2f}-{max(cpu):.2f}), {len(seconds)} rounds")


def bench_csv(folder, rows, columns, rounds):
    rng = np.random.default_rng(0)
    path = folder / "table.csv"
    with open(path, "w") as f:
        f.write(",".join(f"c{i}" for i in range(columns - 1)) + ",label\n")
        values = rng.normal(size=(rows, columns - 1))
        labels = np.array(["alpha", "beta", "gamma"])[rng.integers(0, 3, rows)]
        text = np.char.add(np.char.add(np.array([",".join(f"{v:.6g}" for v in row)
                                                 for row in values]), ","), labels)
        f.write("\n".join(text) + "\n")
    print(f"csv: {path.stat().st_size / 1e6:.1f} MB, {rows} rows x {columns} columns")
    splits, seconds = timed(lambda: CsvTable(str(path)).load(0), rounds)
    show(f"csv load ({len(splits.x_train)} + {len(splits.x_val)} rows)", seconds)


def bench_images(folder, archive, rounds, root=None):
    if root is None:
        started = time.perf_counter()
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(folder)
        root = folder / "fashion_mnist_images"
        if not root.is_dir():
            root = folder
        print(f"images: extracted {archive.name} in {time.perf_counter() - started:.1f} s")
    cache = root / ".nnfs-cache-28x28-gray.npz"

    def load():
        return ImageFolder(str(root), size=[28, 28], validation="test").load(0)
    splits, first = timed(load, rounds, before=lambda: cache.unlink(missing_ok=True))
    show(f"image_folder first load ({len(splits.x_train)} + {len(splits.x_test)} PNGs)", first)
    _, cached = timed(load, rounds)
    show("image_folder cached load", cached)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["csv", "images"])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--archive", type=Path, default=ARCHIVE)
    parser.add_argument("--folder", type=Path,
                        help="an extracted Fashion-MNIST folder (train/, test/) outside the repo")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nnfs-bench-") as tmp:
        if args.only in (None, "csv"):
            bench_csv(Path(tmp), args.rows, args.columns, args.rounds)
        if args.only in (None, "images"):
            bench_images(Path(tmp) / "images", args.archive, args.rounds, args.folder)


if __name__ == "__main__":
    main()
