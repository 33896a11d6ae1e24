"""Fashion-MNIST: download and extract the nnfs.io archive, then load it through an .npz cache.

Layout: DEST/fashion_mnist_images/{train,test}/<label>/<name>.png, plus cache.npz in that folder.
"""

import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import cv2
import numpy as np

from nnfs_cli.archive import LABELS, SPLITS, extract_fashion
from nnfs_cli.errors import NnfsError
from nnfs_cli.fetch import check_sha256, fetch
from nnfs_cli.files import atomic_path

FASHION_URL = "https://nnfs.io/datasets/fashion_mnist_images.zip"
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
FOLDER = "fashion_mnist_images"
CACHE = "cache.npz"
CACHE_FORMAT = 1
KEYS = ("x_train", "y_train", "x_test", "y_test")


def download_fashion(url=FASHION_URL, dest="datasets", force=False, sha256=None):
    """Fetch, check, extract and cache Fashion-MNIST; return the folder DEST/fashion_mnist_images.

    A loadable copy is kept unless `force`. Everything happens in a temporary folder inside
    `dest`, so a failure or Ctrl-C leaves no partial files and the old copy as it was.
    """
    sha256 = check_sha256(sha256)
    dest = Path(dest)
    final = dest / FOLDER
    if not force and dataset_ready(final):
        _say(f"already present: {final}; use --force to download again")
        return final
    try:
        dest.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{FOLDER}.", suffix=".tmp", dir=dest))
    except OSError as error:
        raise _write_error(error, dest) from None
    try:
        archive = work / f"{FOLDER}.zip"
        fetch(url, archive, sha256=sha256)
        new = work / FOLDER
        _say("checking and extracting the archive")
        counts = extract_fashion(archive, new, source=url)
        _say(", ".join(f"{split}: {n} images" for split, n in counts.items()))
        archive.unlink()
        _say(f"building the cache {final / CACHE}")
        stamp = _stamp(new)
        _write_cache(new, _decode(new), stamp)
        _replace(new, final, aside=work / "old")
    except OSError as error:
        raise _write_error(error, dest) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def dataset_ready(path):
    """True if `path` holds train/ and test/, each with labels 0-9 that contain PNG images."""
    return _problem(Path(path)) is None


def load_fashion(path):
    """Return (x_train, y_train, x_test, y_test): uint8 images (N, 28, 28), uint8 labels 0-9.

    Rows follow the folders: by label, then by file name. Reads `path`/cache.npz when it was
    written for this folder, else decodes the PNGs once and writes the cache.
    """
    path = Path(path)
    arrays = _read_cache(path)
    if arrays is not None:
        return arrays
    problem = _problem(path)
    if problem:
        raise NnfsError(problem)
    _say(f"decoding the PNG images in {path} once; they are cached in {path / CACHE}")
    stamp = _stamp(path)
    arrays = _decode(path)
    try:
        _write_cache(path, arrays, stamp)
    except OSError as error:  # a read-only copy still loads, only more slowly
        _say(f"note: cannot write the cache {path / CACHE}: {error.strerror or error}")
    return arrays


def _problem(path):
    """Why `path` cannot be loaded, or None."""
    if not path.is_dir():
        return f"no Fashion-MNIST data set at {path}; run `nnfs download-fashion` first"
    for split in SPLITS:
        for label in LABELS:
            if not _has_png(path / split / label):
                return (f"incomplete Fashion-MNIST data set at {path}: no images in {split}/{label}/; "
                        f"run `nnfs download-fashion --force`")
    return None


def _has_png(folder):
    try:
        with os.scandir(folder) as entries:
            return any(_is_png(entry.name) for entry in entries)
    except OSError:
        return False


def _is_png(name):
    return name.lower().endswith(".png") and not name.startswith(".")


def _stamp(path):
    """mtime_ns of the split and label folders: adding, removing or renaming an image changes one.

    Moving the whole data set keeps them, so the cache stays valid; checking costs 22 stat calls.
    """
    folders = [path / split for split in SPLITS]
    folders += [path / split / label for split in SPLITS for label in LABELS]
    return np.array([os.stat(folder).st_mtime_ns for folder in folders], dtype=np.int64)


def _read_cache(path):
    """The cached arrays if the cache was written for the folder as it is now, else None."""
    try:
        with np.load(path / CACHE, allow_pickle=False) as cache:
            if cache["format"] != CACHE_FORMAT or not np.array_equal(cache["stamp"], _stamp(path)):
                return None
            return tuple(cache[key] for key in KEYS)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def _write_cache(path, arrays, stamp):
    # Uncompressed on purpose: 55 MB that load in a few tens of milliseconds.
    with atomic_path(path / CACHE) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, format=CACHE_FORMAT, stamp=stamp, **dict(zip(KEYS, arrays)))
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the cache is as public as the images


def _decode(path):
    """Decode every PNG under `path` into (x_train, y_train, x_test, y_test)."""
    arrays = []
    for split in SPLITS:
        files, labels = [], []
        for label in LABELS:
            names = sorted(name for name in os.listdir(path / split / label) if _is_png(name))
            files += [path / split / label / name for name in names]
            labels += [int(label)] * len(names)
        images = np.empty((len(files), 28, 28), dtype=np.uint8)
        for i, file in enumerate(files):
            images[i] = _imread(file)
        arrays += [images, np.array(labels, dtype=np.uint8)]
    return tuple(arrays)


def _imread(file):
    try:
        # Faster than np.fromfile, and unlike cv2.imread it copes with any path on Windows.
        image = cv2.imdecode(np.frombuffer(file.read_bytes(), dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    except (OSError, cv2.error) as error:
        raise NnfsError(f"cannot read {file}: {error}") from None
    if image is None or image.shape != (28, 28):
        raise NnfsError(f"{file} is not a 28x28 image; run `nnfs download-fashion --force`")
    return image


def _replace(new, final, aside):
    """Move `new` to `final`; an old copy is moved aside first and put back if that fails."""
    if not os.path.lexists(final):
        os.rename(new, final)
        return
    os.rename(final, aside)
    try:
        os.rename(new, final)
    except BaseException:
        os.rename(aside, final)
        raise


def _write_error(error, dest):
    return NnfsError(f"cannot write to {dest}: {error.strerror or error}")


def _say(message):
    print(message, file=sys.stderr, flush=True)
