"""The `fashion_mnist` data set: the book's preprocessing, a seeded stratified validation
split, and a download on first use (NNFS ch. 19)."""

import os
from pathlib import Path

import numpy as np

from nnfs_cli import validators
from nnfs_cli.data.dataset import Dataset, InputPreprocessing, Splits, stratified_indices
from nnfs_cli.data.image_files import ImageTree
from nnfs_cli.errors import ConfigError, NnfsError
from nnfs_cli.registry import DATASETS

FASHION_URL = "https://nnfs.io/datasets/fashion_mnist_images.zip"
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
FOLDER = "fashion_mnist_images"
SPLITS = ("train", "test")
LABELS = tuple(str(label) for label in range(10))
SIZE = 28
CENTRE = 127.5   # pixels 0-255 -> [-1, 1]: (x - 127.5) / 127.5, as the book scales them


def image_tree(path):
    """How Fashion-MNIST's folders are decoded: 28x28 gray PNGs in train/ and test/, labels 0-9."""
    return ImageTree(path, SPLITS, LABELS, (SIZE, SIZE), "gray", suffixes=(".png",))


def dataset_ready(path):
    """True if `path` holds train/ and test/, each with labels 0-9 that contain PNG images."""
    return _problem(Path(path)) is None


def load_fashion(path, reporter=None):
    """(x_train, y_train, x_test, y_test): uint8 images (N, 28, 28), uint8 labels 0-9.
    Rows follow the folders: by label, then by file name."""
    path = Path(path)
    problem = _problem(path)
    if problem:
        raise NnfsError(problem)
    arrays = image_tree(path).load(reporter)
    return tuple(array if key == 0 else array.astype(np.uint8)
                 for split in SPLITS for key, array in enumerate(arrays[split]))


def _problem(path):
    """Why `path` cannot be loaded, or None."""
    if not path.is_dir():
        return f"no Fashion-MNIST data set at {path}; run `nnfs download-fashion` first"
    tree = image_tree(path)
    for split in SPLITS:
        for label in LABELS:
            if not _has_png(tree, path / split / label):
                return (f"incomplete Fashion-MNIST data set at {path}: no images in "
                        f"{split}/{label}/; run `nnfs download-fashion --force`")
    return None


def _has_png(tree, folder):
    try:
        with os.scandir(folder) as entries:
            return any(tree._is_image(entry.name) for entry in entries)
    except OSError:
        return False


def scale_images(images):
    """uint8 (..., 28, 28) -> float32 rows of 784 in [-1, 1]: (x - 127.5) / 127.5, as the book does."""
    x = images.reshape(*images.shape[:-2], -1).astype(np.float32)
    x -= CENTRE
    x /= CENTRE
    return x


class ScaledImages:
    """uint8 images (N, 28, 28) that read as float32 samples of `shape` (default (784,))
    scaled by `scale_images`.

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
        x = scale_images(self.images[index])
        return x.reshape(*x.shape[:-1], *self.sample_shape)

    def __array__(self, dtype=None, copy=None):
        return self[:].astype(dtype or self.dtype, copy=False)


@DATASETS.register("fashion_mnist")
class FashionMNIST(Dataset):
    """60,000 training and 10,000 test images of clothing, 28x28 gray, 10 classes."""

    classes = 10
    class_names = CLASS_NAMES
    input_shape = (SIZE * SIZE,)
    image_shape = (1, SIZE, SIZE)
    predict_inputs = ("images", "rows")
    test_split = True
    constraints = {
        "path": validators.text,
        "validation_split": validators.open_fraction,
        "validation": validators.one_of("split", "test"),
        "limit": validators.optional(validators.positive_int),
    }

    def __init__(self, path="datasets/fashion_mnist_images", validation_split=0.1,
                 validation="split", limit=None):
        self.path, self.validation_split = path, validation_split
        self.validation, self.limit = validation, limit
        self.class_names = list(CLASS_NAMES)

    def ensure_available(self, download, reporter):
        """Download the data set when it is missing (unless `download` is false)."""
        from nnfs_cli.data.fashion_download import download_fashion
        path = Path(self.path)
        if dataset_ready(path):
            return
        if not download:
            raise NnfsError(f"Fashion-MNIST not found at {path}; download it with "
                            f"`nnfs download-fashion --dest {path.parent}`")
        if path.name != FOLDER:
            raise NnfsError(f"Fashion-MNIST not found at {path}, and downloads always land in "
                            f"a folder named {FOLDER}; fix data.path or download it there")
        url = os.environ.get("NNFS_FASHION_URL", FASHION_URL)
        reporter.line(f"Fashion-MNIST not found at {path}: downloading it from {url}")
        download_fashion(url, path.parent, reporter=reporter)

    def load(self, seed, reporter=None):
        x_train, y_train, x_test, y_test = load_fashion(self.path, reporter)
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(x_train))
        x_train, y_train = x_train[order], y_train[order].astype(np.int64)
        # The test folders are sorted by label: shuffle them too, so a `limit` keeps every class.
        test_order = rng.permutation(len(x_test))
        x_test, y_test = x_test[test_order], y_test[test_order].astype(np.int64)
        if self.validation == "test":
            x_val, y_val = x_test, y_test
        else:
            val = stratified_indices(y_train, self.validation_split, rng)
            if len(val) in (0, len(y_train)):
                side = "validation" if len(val) == 0 else "training"
                raise ConfigError([f"data.validation_split: {self.validation_split:g} of "
                                   f"{len(y_train):,} training images leaves no {side} images"])
            keep = np.ones(len(y_train), dtype=bool)
            keep[val] = False
            x_val, y_val = x_train[val], y_train[val]
            x_train, y_train = x_train[keep], y_train[keep]
        if self.limit:
            x_train, y_train = x_train[:self.limit], y_train[:self.limit]
            x_test, y_test = x_test[:self.limit], y_test[:self.limit]
            x_val, y_val = ((x_test, y_test) if self.validation == "test"
                            else (x_val[:self.limit], y_val[:self.limit]))
        x_test = ScaledImages(x_test)
        x_val = x_test if self.validation == "test" else ScaledImages(x_val)
        return Splits(ScaledImages(x_train), y_train, x_val, y_val, x_test, y_test)

    def input_preprocessing(self):
        """Pixels 0-255 of a 28x28 gray picture -> (x - 127.5) / 127.5, as `scale_images`."""
        return InputPreprocessing(
            raw_shape=(SIZE, SIZE), subtract=CENTRE, divide=CENTRE,
            layout=f"{SIZE}x{SIZE} gray pixel values 0-255 (height, width), light item on "
                   "dark, as the data set's PNG files hold them")

    def prepare_image(self, image, invert="auto"):
        from nnfs_cli.data import photos
        return photos.prepare_image(photos.to_gray(image), invert)
