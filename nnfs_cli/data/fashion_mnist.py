"""The `fashion_mnist` data set: the book's preprocessing, a seeded stratified validation
split, and a download on first use (NNFS ch. 19)."""

import os
from pathlib import Path

import numpy as np

from nnfs_cli import validators
from nnfs_cli.data.dataset import Dataset, InputPreprocessing, make_splits
from nnfs_cli.data.image_files import CENTRE, ImageTree, ScaledImages, scale_pixels  # noqa: F401
from nnfs_cli.errors import DataError
from nnfs_cli.registry import DATASETS

FASHION_URL = "https://nnfs.io/datasets/fashion_mnist_images.zip"
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
FOLDER = "fashion_mnist_images"
SPLITS = ("train", "test")
LABELS = tuple(str(label) for label in range(10))
SIZE = 28


def image_tree(path):
    """How Fashion-MNIST's folders are decoded: 28x28 gray PNGs in train/ and test/, labels 0-9."""
    return ImageTree(path, SPLITS, LABELS, (SIZE, SIZE), "gray", suffixes=(".png",), fit=False)


def dataset_ready(path):
    """True if `path` holds train/ and test/, each with labels 0-9 that contain PNG images."""
    return _problem(Path(path)) is None


def load_fashion(path, reporter=None):
    """(x_train, y_train, x_test, y_test): uint8 images (N, 28, 28), uint8 labels 0-9.
    Rows follow the folders: by label, then by file name."""
    path = Path(path)
    problem = _problem(path)
    if problem:
        raise DataError(problem)
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
    return scale_pixels(images.reshape(*images.shape[:-2], -1))


@DATASETS.register("fashion_mnist")
class FashionMNIST(Dataset):
    """60,000 training and 10,000 test images of clothing, 28x28 gray, 10 classes."""

    classes = 10
    class_names = CLASS_NAMES
    input_shape = (SIZE * SIZE,)
    image_shape = (1, SIZE, SIZE)
    predict_inputs = ("images", "rows")
    test_split = True
    path_options = ("path",)
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
            raise DataError(f"Fashion-MNIST not found at {path}; download it with "
                            f"`nnfs download-fashion --dest {path.parent}`")
        if path.name != FOLDER:
            raise DataError(f"Fashion-MNIST not found at {path}, and downloads always land in "
                            f"a folder named {FOLDER}; fix data.path or download it there")
        url = os.environ.get("NNFS_FASHION_URL", FASHION_URL)
        reporter.line(f"Fashion-MNIST not found at {path}: downloading it from {url}")
        download_fashion(url, path.parent, reporter=reporter)

    def load(self, seed, reporter=None):
        x_train, y_train, x_test, y_test = load_fashion(self.path, reporter)
        return make_splits(x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64),
                           seed, self.validation, self.validation_split, self.limit,
                           wrap=ScaledImages, noun="images")

    def input_preprocessing(self):
        """Pixels 0-255 of a 28x28 gray picture -> (x - 127.5) / 127.5, as `scale_images`."""
        return InputPreprocessing(
            raw_shape=(SIZE, SIZE), subtract=CENTRE, divide=CENTRE,
            layout=f"{SIZE}x{SIZE} gray pixel values 0-255 (height, width), light item on "
                   "dark, as the data set's PNG files hold them")

    def prepare_image(self, image, invert="auto", prepare="auto"):
        from nnfs_cli.data import photos
        return photos.prepare_image(photos.to_gray(image), invert, prepare)

    def read_rows(self, path, n_inputs):
        """Rows of 784 model inputs as training made them (scaled to -1..1), or raw pixel
        values 0-255 as the ONNX export takes them: a .npy of (n, 28, 28) or (28, 28)
        pictures, or rows with a value outside -1..1."""
        from nnfs_cli.data.rows import read_numbered_rows
        rows = read_numbered_rows(Path(path), n_inputs, sample_shape=(SIZE, SIZE))
        low, high = float(rows.x.min()), float(rows.x.max())
        if low >= -1 and high <= 1:
            return rows
        if low < 0 or high > 255:
            raise DataError(f"{path}: values from {low:g} to {high:g}: neither pixel values "
                            "0-255 nor inputs scaled to -1..1 as training scaled them")
        rows.x = self.input_preprocessing().apply(rows.x, (n_inputs,))
        return rows
