"""Folders of pictures -> uint8 arrays, decoded once and cached beside them.

Layout: ROOT/<split folder>/<label>/<image>, e.g. fashion_mnist_images/train/7/0001.png; a
split folder may be ROOT itself, and a label folder may hold subfolders. The cache
(ROOT/cache.npz unless named otherwise) is keyed on the decoding options and on every
image's path, size and modification time, so adding, removing, renaming or rewriting an
image rebuilds it. Pictures are stored as decoded, (height, width) gray or (height, width,
3) RGB; `ScaledImages` presents them as (channels, height, width) samples, flat or not.
"""

import hashlib
import json
import operator
import os
from pathlib import Path

import numpy as np

from nnfs_cli import files
from nnfs_cli.atomic import atomic_path
from nnfs_cli.compat import quiet_opencv
from nnfs_cli.data.image_limits import OPENCV_REFUSAL, read_encoded, too_many_pixels
from nnfs_cli.data.npy import Npz
from nnfs_cli.errors import ConfigError, DataError, NnfsError

CACHE = "cache.npz"
CACHE_FORMAT = 3
COLORS = ("gray", "rgb")
CENTRE = 127.5   # pixels 0-255 -> [-1, 1]: (x - 127.5) / 127.5, as the book scales them
_NAME = operator.attrgetter("name")


class UnreadableImage(DataError):
    """A file that cannot be read or decoded as a picture."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = Path(path), reason


def read_picture(path, color="gray"):
    """The picture file `path` decoded the way image folders are: 2-D gray or (height,
    width, 3) RGB uint8, EXIF rotation applied; NnfsError naming the file if it cannot be."""
    with quiet_opencv():
        return np.ascontiguousarray(_read(Path(path), color))


def decode_picture(data, color, where):
    """A picture file's bytes (a uint8 array that image_limits checked) decoded as
    read_picture decodes a file; `where` names it in a message."""
    with quiet_opencv():
        return np.ascontiguousarray(_decode(data, color, where))


def _read(path, color):
    try:
        # Only regular files, and no picture past the pixel limit is decoded (image_limits).
        data = read_encoded(path)
    except files.UnreadableFile as error:
        raise UnreadableImage(path, error.reason) from None
    return _decode(data, color, path)


def _decode(data, color, path):
    import cv2
    flag = cv2.IMREAD_GRAYSCALE if color == "gray" else cv2.IMREAD_COLOR
    try:
        # These flags apply the EXIF orientation (phone photos), unlike IMREAD_UNCHANGED.
        image = cv2.imdecode(data, flag) if data.size else None
    except cv2.error as error:
        if OPENCV_REFUSAL in str(error):
            raise UnreadableImage(path, too_many_pixels()) from None
        image = None
    if image is None or image.size == 0:
        raise UnreadableImage(path, "not an image OpenCV can read")
    return image if color == "gray" else image[:, :, ::-1]   # OpenCV decodes BGR


def scale_pixels(images):
    """uint8 pixels -> float32 in [-1, 1]: (x - 127.5) / 127.5, as the book scales Fashion-MNIST."""
    x = images.astype(np.float32)
    x -= CENTRE
    x /= CENTRE
    return x


class ScaledImages:
    """uint8 pictures (N, height, width) or (N, height, width, 3) that read as float32
    samples of `shape` (default flat), scaled by `scale_pixels`, values in (channels,
    height, width) order so that flat and picture-shaped samples hold the same numbers.

    Samples are scaled when a batch is taken: a quarter of the memory of scaling 60,000
    images up front (47 MB instead of 188 MB), for a few microseconds per batch.
    """

    dtype = np.dtype(np.float32)

    def __init__(self, images, shape=None):
        self.images = images
        self.sample_shape = tuple(shape) if shape else (images[0].size,)

    def __len__(self):
        return len(self.images)

    @property
    def shape(self):
        return (len(self.images), *self.sample_shape)

    @property
    def ndim(self):
        return 1 + len(self.sample_shape)

    def reshape(self, shape):
        """Samples of another shape with as many values, e.g. (1, 28, 28) for convolutions."""
        return ScaledImages(self.images, shape[1:])

    def __getitem__(self, index):
        batch = self.images[index]
        single = batch.ndim < self.images.ndim
        if single:
            batch = batch[None]
        if batch.ndim == 4:
            batch = np.ascontiguousarray(batch.transpose(0, 3, 1, 2))   # channels first
        x = scale_pixels(batch).reshape(len(batch), *self.sample_shape)
        return x[0] if single else x

    def __array__(self, dtype=None, copy=None):
        return self[:].astype(dtype or self.dtype, copy=False)


class ImageTree:
    """Decoding options for one folder tree: its split folders, label folders, image size and
    color, whether pictures of other sizes are fitted into `size` (else refused) and whether
    unreadable files are skipped (else refused)."""

    def __init__(self, root, splits, labels, size, color="gray", suffixes=None, fit=True,
                 skip_unreadable=False, cache_name=CACHE):
        """`splits`: {split name: folder under root ("" for root itself)}, or names that are
        also the folders."""
        self.root = Path(root)
        self.splits = dict(splits) if isinstance(splits, dict) else {s: s for s in splits}
        self.labels = tuple(labels)
        self.size, self.color = tuple(size), color
        self.suffixes = tuple(suffixes) if suffixes else None
        self.fit, self.skip_unreadable = fit, skip_unreadable
        self.cache_path = self.root / cache_name
        self.skipped = []   # (path, reason) of the files skipped by the last load

    @property
    def sample_shape(self):
        """(height, width) for gray, (height, width, 3) for rgb."""
        return self.size if self.color == "gray" else (*self.size, 3)

    def load(self, reporter=None):
        """{split: (images uint8 (N, *sample_shape), labels int64 (N,))}, from the cache
        when it was written for the files as they are now, else decoded and cached."""
        listing, digest = self._listing()
        arrays = self._read_cache(digest)
        if arrays is None:
            _say(reporter, f"decoding the images in {self.root} once; they are cached in "
                           f"{self.cache_path}")
            arrays = self._decode_listing(listing)
            try:
                self.write_cache(arrays, digest)
            except OSError as error:  # a read-only copy still loads, only more slowly
                _say(reporter, f"note: cannot write the cache {self.cache_path}: "
                               f"{error.strerror or error}")
        if self.skipped and not self.skip_unreadable:
            path, reason = self.skipped[0]
            raise DataError(f"{path}: {reason}")
        return arrays

    def build_cache(self):
        """Decode every image and write the cache; NnfsError or OSError if that fails."""
        listing, digest = self._listing()
        self.write_cache(self._decode_listing(listing), digest)

    def _is_image(self, name):
        if name.startswith("."):
            return False
        return self.suffixes is None or name.lower().endswith(self.suffixes)

    def _walk(self, folder, relative):
        """[(path, `relative` + its path under `folder`, stat)] of each visible file under
        `folder`, sorted by path; [] if the folder is missing."""
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=_NAME)
            found = []
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                if entry.is_dir():
                    found += self._walk(entry.path, f"{relative}{name}/")
                elif self.suffixes is None or name.lower().endswith(self.suffixes):
                    found.append((entry.path, relative + name, entry.stat()))
            return found
        except FileNotFoundError as error:
            if error.filename == folder:
                return []
            raise DataError(f"cannot read {error.filename}: {error.strerror}") from None
        except OSError as error:
            raise DataError(f"cannot read {error.filename or folder}: "
                            f"{error.strerror or error}") from None

    def _listing(self):
        """{split: [(path, label index)]} and a digest of every file's path, size and mtime."""
        listing, lines = {}, [self._key()]
        for split, folder in self.splits.items():
            listing[split] = []
            for index, label in enumerate(self.labels):
                start = f"{folder}/{label}/" if folder else f"{label}/"
                found = self._walk(os.path.join(self.root, start), start)
                listing[split] += [(path, index) for path, _, _ in found]
                lines += [f"{split}\t{index}\t{name}\t{stat.st_size}\t{stat.st_mtime_ns}"
                          for _, name, stat in found]
        digest = hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape"))
        return listing, digest.hexdigest()

    def _key(self):
        return json.dumps({"format": CACHE_FORMAT, "splits": self.splits, "labels": self.labels,
                           "size": self.size, "color": self.color, "fit": self.fit,
                           "suffixes": self.suffixes})

    def _read_cache(self, digest):
        """The cached arrays, or None when the cache is missing, stale, unreadable or not
        what this tree decodes to (each array's header is checked against its bytes: npy.py;
        their shapes and labels against the tree)."""
        if not self.cache_path.exists():
            return None
        try:
            with Npz(self.cache_path) as cache:
                if str(cache.read("digest")) != digest:
                    return None
                arrays = {split: (cache.read(f"x_{split}"), cache.read(f"y_{split}"))
                          for split in self.splits}
                skipped = cache.read("skipped")
            if not self._fits(arrays, skipped):
                return None
            self.skipped = [(self.root / str(path), str(reason)) for path, reason in skipped]
            return arrays
        except ConfigError:   # a bad limit in the environment: the caller's to fix
            raise
        except (NnfsError, KeyError, ValueError):
            return None

    def _fits(self, arrays, skipped):
        """Whether cached arrays have the shapes, types and labels this tree decodes to."""
        if skipped.dtype.kind != "U" or skipped.ndim != 2 or skipped.shape[1] != 2:
            return False
        for images, labels in arrays.values():
            if (images.dtype != np.uint8 or images.shape[1:] != tuple(self.sample_shape)
                    or labels.dtype.kind not in "iu" or labels.shape != images.shape[:1]):
                return False
            if len(labels) and not (0 <= labels.min() and labels.max() < len(self.labels)):
                return False
        return True

    def write_cache(self, arrays, digest=None):
        """Write `arrays` (as `load` returns them) to the cache; OSError if that fails."""
        digest = self._listing()[1] if digest is None else digest
        skipped = [(os.path.relpath(path, self.root), reason) for path, reason in self.skipped]
        content = {"digest": np.array(digest),
                   "skipped": np.array(skipped, dtype=str).reshape(-1, 2)}
        for split, (images, labels) in arrays.items():
            content[f"x_{split}"], content[f"y_{split}"] = images, labels
        # Uncompressed on purpose: Fashion-MNIST's 55 MB load in a few tens of milliseconds.
        with atomic_path(self.cache_path) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **content)

    def _decode_listing(self, listing):
        self.skipped = []
        with quiet_opencv():
            return {split: self._decode_files(files) for split, files in listing.items()}

    def _decode_files(self, files):
        images = np.empty((len(files), *self.sample_shape), dtype=np.uint8)
        keep = np.ones(len(files), dtype=bool)
        for i, (path, _) in enumerate(files):
            try:
                images[i] = self._picture(path)
            except UnreadableImage as error:
                if not self.skip_unreadable:
                    raise
                keep[i] = False
                self.skipped.append((error.path, error.reason))
        labels = np.array([label for _, label in files], dtype=np.int64)
        if not keep.all():
            images, labels = images[keep], labels[keep]
        return images, labels

    def _picture(self, path):
        image = _read(path, self.color)
        if image.shape[:2] == self.size:
            return image
        if not self.fit:
            height, width = self.size
            raise DataError(f"{path} is {image.shape[1]}x{image.shape[0]}, "
                            f"expected {width}x{height}")
        from nnfs_cli.data.photos import fit_into
        return fit_into(np.ascontiguousarray(image), self.size)


def _say(reporter, message):
    if reporter is not None:
        reporter.line(message)
