"""Folders of pictures -> uint8 arrays, decoded once and cached beside them.

Layout: ROOT/<split>/<label>/<image>, e.g. fashion_mnist_images/train/7/0001.png. The
cache (ROOT/cache.npz) is keyed on the decoding options and the modification times of the
split and label folders, which change whenever an image is added, removed or renamed.
"""

import json
import os
from pathlib import Path

import numpy as np

from nnfs_cli.atomic import atomic_path
from nnfs_cli.data.image_limits import OPENCV_REFUSAL, read_encoded, too_many_pixels
from nnfs_cli.data.npy import Npz
from nnfs_cli.errors import NnfsError

CACHE = "cache.npz"
CACHE_FORMAT = 2
COLORS = ("gray", "rgb")


class ImageTree:
    """Decoding options for one folder tree: its splits, label folders, image size and color."""

    def __init__(self, root, splits, labels, size, color="gray", suffixes=None):
        self.root = Path(root)
        self.splits, self.labels = tuple(splits), tuple(labels)
        self.size, self.color = tuple(size), color
        self.suffixes = tuple(suffixes) if suffixes else None

    @property
    def sample_shape(self):
        """(height, width) for gray, (height, width, 3) for rgb."""
        return self.size if self.color == "gray" else (*self.size, 3)

    def load(self, reporter=None):
        """{split: (images uint8 (N, *sample_shape), labels int64 (N,))}, from the cache
        when it was written for the folders as they are now, else decoded and cached."""
        arrays = self._read_cache(self._stamp())
        if arrays is not None:
            return arrays
        _say(reporter, f"decoding the images in {self.root} once; they are cached in "
                       f"{self.root / CACHE}")
        stamp = self._stamp()
        arrays = self.decode_all()
        try:
            self.write_cache(arrays, stamp)
        except OSError as error:  # a read-only copy still loads, only more slowly
            _say(reporter, f"note: cannot write the cache {self.root / CACHE}: "
                           f"{error.strerror or error}")
        return arrays

    def files(self, split, label):
        """The visible image files of one label folder, sorted by name."""
        folder = self.root / split / label
        try:
            names = sorted(os.listdir(folder))
        except OSError as error:
            raise NnfsError(f"cannot read {folder}: {error.strerror or error}") from None
        return [folder / name for name in names if self._is_image(name)]

    def _is_image(self, name):
        if name.startswith("."):
            return False
        return self.suffixes is None or name.lower().endswith(self.suffixes)

    def _key(self):
        return json.dumps({"format": CACHE_FORMAT, "splits": self.splits, "labels": self.labels,
                           "size": self.size, "color": self.color})

    def _stamp(self):
        folders = [self.root / split for split in self.splits]
        folders += [self.root / split / label for split in self.splits for label in self.labels]
        try:
            return np.array([os.stat(folder).st_mtime_ns for folder in folders], dtype=np.int64)
        except OSError as error:
            raise NnfsError(f"cannot read {error.filename}: {error.strerror or error}") from None

    def _read_cache(self, stamp):
        """The cached arrays, or None when the cache is missing, stale or unreadable (each
        array's header is checked against its bytes: npy.py)."""
        if not (self.root / CACHE).exists():
            return None
        try:
            with Npz(self.root / CACHE) as cache:
                if (str(cache.read("key")) != self._key()
                        or not np.array_equal(cache.read("stamp"), stamp)):
                    return None
                return {split: (cache.read(f"x_{split}"), cache.read(f"y_{split}"))
                        for split in self.splits}
        except (NnfsError, KeyError):
            return None

    def decode_all(self):
        return {split: self._decode(split) for split in self.splits}

    def write_cache(self, arrays, stamp=None):
        """Write `arrays` (as `load` returns them) to the cache; OSError if that fails."""
        stamp = self._stamp() if stamp is None else stamp
        content = {"key": np.array(self._key()), "stamp": stamp}
        for split, (images, labels) in arrays.items():
            content[f"x_{split}"], content[f"y_{split}"] = images, labels
        # Uncompressed on purpose: Fashion-MNIST's 55 MB load in a few tens of milliseconds.
        with atomic_path(self.root / CACHE) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **content)

    def _decode(self, split):
        files, labels = [], []
        for index, label in enumerate(self.labels):
            found = self.files(split, label)
            files += found
            labels += [index] * len(found)
        images = np.empty((len(files), *self.sample_shape), dtype=np.uint8)
        for i, file in enumerate(files):
            images[i] = self._imread(file)
        return images, np.array(labels, dtype=np.int64)

    def _imread(self, file):
        import cv2
        flag = cv2.IMREAD_GRAYSCALE if self.color == "gray" else cv2.IMREAD_COLOR
        try:
            # Unlike cv2.imread it copes with any path on Windows; only regular files, and
            # no picture past the pixel limit is decoded.
            image = cv2.imdecode(read_encoded(file), flag)
        except cv2.error as error:
            if OPENCV_REFUSAL in str(error):
                raise NnfsError(f"{file}: {too_many_pixels()}") from None
            raise NnfsError(f"cannot read {file}: {error}") from None
        if image is None:
            raise NnfsError(f"{file}: not an image OpenCV can read")
        if image.shape[:2] != self.size:
            height, width = self.size
            raise NnfsError(f"{file} is {image.shape[1]}x{image.shape[0]}, "
                            f"expected {width}x{height}")
        if self.color == "rgb":
            image = image[:, :, ::-1]   # OpenCV decodes BGR
        return image


def _say(reporter, message):
    if reporter is not None:
        reporter.line(message)
