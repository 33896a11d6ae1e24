"""The `image_folder` data set: pictures in one folder per class (roses/, tulips/, ...), or
split folders each holding such class folders: train/, with val/ (or validation/) and test/
beside it (the Keras, PyTorch and Kaggle layout); any other folder beside train/ is refused,
never taken for a class. Any format OpenCV decodes (judged by content), EXIF rotation
applied, fitted into `size` without distortion, gray or RGB; decoded once and cached beside
the data (image_files.py). Scaled as the book scales Fashion-MNIST, (x - 127.5) / 127.5."""

import os
from pathlib import Path

import numpy as np

from nnfs_cli import limits, validators
from nnfs_cli.data.dataset import Dataset, InputPreprocessing, make_splits
from nnfs_cli.data.image_limits import check_encoded, too_many_pixels
from nnfs_cli.data.image_files import (CENTRE, ImageTree, ScaledImages, decode_picture,
                                       read_picture, scale_pixels)
from nnfs_cli.errors import ConfigError, DataError
from nnfs_cli.registry import DATASETS

# The split folders beside train/, by the split they hold.
SPLIT_FOLDERS = {"train": "train", "val": "validation", "validation": "validation",
                 "test": "test"}
EXPECTED = ("expected one folder of images per class (roses/, tulips/, ...), or a train/ "
            "folder of them (with val/ and test/ beside it)")


@DATASETS.register("image_folder")
class ImageFolder(Dataset):
    """Pictures sorted into class folders; the folder names are the class names."""

    predict_inputs = ("images",)
    path_options = ("path",)
    test_split = None   # a test/ folder beside train/ makes one
    refuses_blank_pictures = False
    constraints = {
        "path": validators.text,
        "size": validators.image_size,
        "color": validators.one_of("gray", "rgb"),
        "validation_split": validators.open_fraction,
        "validation": validators.one_of("auto", "folder", "split", "test"),
        "limit": validators.optional(validators.positive_int),
        "class_names": validators.optional(validators.list_of(validators.text, "a list of names")),
        "skip_unreadable": validators.boolean,
    }

    def __init__(self, path, size=(28, 28), color="gray", validation_split=0.1,
                 validation="auto", limit=None, class_names=None, skip_unreadable=False):
        self.path, self.size, self.color = path, tuple(size), color
        self.validation_split, self.validation, self.limit = validation_split, validation, limit
        self.names, self.skip_unreadable = class_names, skip_unreadable
        channels = 1 if color == "gray" else 3
        self.image_shape = (channels, *self.size)
        self.input_shape = (int(np.prod(self.image_shape)),)
        self.learnt = None

    def problems(self):
        height, width = self.size
        if height * width > limits.get("image_pixels"):
            return [f"data.size: {too_many_pixels(f'{height}x{width} pixels')}"]
        return []

    def load(self, seed, reporter=None):
        root = Path(self.path)
        splits = _split_folders(root)
        folders = _class_folders(root / splits["train"])
        if self.learnt is None:
            if len(folders) < 2:
                raise DataError(f"{root / splits['train']}: one class folder "
                                f"({folders[0]!r}); a classifier needs at least 2 classes")
            self._adopt({"folders": folders, "class_names": self._names(root, folders),
                         "size": list(self.size), "color": self.color,
                         "validation": self._validation(root, splits)})
        elif folders != self.learnt["folders"]:
            raise DataError(f"{root} has the class folders {', '.join(folders)}, but the run "
                            f"was trained on {', '.join(self.learnt['folders'])}")
        validation = self.learnt.get("validation") or self._validation(root, splits)
        if validation == "folder" and "validation" not in splits:
            raise DataError(f"{root}: no val/ folder beside train/, which this run validated on")
        if validation != "folder":
            splits.pop("validation", None)
        for split in ("validation", "test"):
            if split in splits:
                folder = root / splits[split]
                extra = sorted(set(_class_folders(folder, required=False)) - set(folders))
                if extra:
                    raise DataError(f"{folder / extra[0]}: a class folder that "
                                    f"{root / 'train'} does not have")
        for folder in folders:   # before decoding anything
            if not _has_files(root / splits["train"] / folder):
                raise DataError(f"{root / splits['train'] / folder}: no images in this class "
                                "folder")
        tree = ImageTree(root, splits, folders, self.size, self.color,
                         skip_unreadable=self.skip_unreadable,
                         cache_name=f".nnfs-cache-{self.size[0]}x{self.size[1]}-{self.color}.npz")
        arrays = tree.load(reporter)
        x, y = arrays["train"]
        counts = np.bincount(y, minlength=len(folders))
        if not counts.all():
            empty = root / splits["train"] / folders[int(np.argmin(counts))]
            raise DataError(f"{empty}: no readable images in this class folder")
        x_test, y_test = arrays.get("test", (None, None))
        x_val, y_val = arrays.get("validation", (None, None))
        if x_val is not None and not len(x_val):
            raise DataError(f"{root / splits['validation']}: no images in its class folders")
        self.notes = self._describe(tree, root, splits, validation, len(x), x_val, x_test)
        return make_splits(x, y, x_test, y_test, seed, validation, self.validation_split,
                           self.limit, wrap=ScaledImages, noun="images", x_val=x_val,
                           y_val=y_val)

    def _validation(self, root, splits):
        """What validates: `folder` (val/) when the option is auto and there is one, else the
        option (auto without a val/ folder: a split of the training pictures)."""
        if self.validation == "folder" and "validation" not in splits:
            raise ConfigError([f"data.validation: folder needs a val/ (or validation/) folder "
                               f"beside train/ in {root}"])
        if self.validation == "auto":
            return "folder" if "validation" in splits else "split"
        return self.validation

    def _names(self, root, folders):
        if self.names is None:
            return list(folders)
        if len(self.names) != len(folders):
            raise ConfigError([f"data.class_names: {len(self.names)} names for the "
                               f"{len(folders)} class folders of {root} ({', '.join(folders)})"])
        return list(self.names)

    def _adopt(self, learnt):
        self.learnt = learnt
        self.class_names = list(learnt["class_names"])
        self.classes = len(self.class_names)

    def _describe(self, tree, root, splits, validation, train, x_val, x_test):
        names = ", ".join(self.class_names[:10]) + (", ..." if self.classes > 10 else "")
        counts = [f"{train} training"] + (
            [f"{len(x_val)} validation"] if x_val is not None else []) + (
            [f"{len(x_test)} test"] if x_test is not None else [])
        notes = [f"{self.path}: {_and(counts)} images of {self.classes} classes "
                 f"({names}), fitted into {self.size[1]}x{self.size[0]} {self.color}"]
        if splits["train"]:
            found = _found_splits(root)
            used = {"folder": f"the pictures of {splits.get('validation')}/",
                    "split": f"a seeded {self.validation_split:g} of the training pictures",
                    "test": "the test pictures"}[validation]
            notes.append(f"split folders {_and([f'{name}/' for name in found])}; validating "
                         f"on {used} (data.validation: {self.validation})")
            unused = [name for name in found if SPLIT_FOLDERS[name] == "validation"]
            if validation != "folder" and unused:
                notes.append(f"the pictures of {unused[0]}/ are not used (data.validation: "
                             f"{validation})")
        if tree.skipped:
            path, reason = tree.skipped[0]
            notes.append(f"skipped {len(tree.skipped)} unreadable file(s) (skip_unreadable), "
                         f"e.g. {path}: {reason}")
        return notes

    def input_preprocessing(self):
        """Pixels 0-255 of the fitted picture, channels first -> (x - 127.5) / 127.5."""
        height, width = self.size
        if self.color == "gray":
            raw_shape, what = (height, width), "gray pixel values 0-255 (height, width)"
        else:
            raw_shape = (3, height, width)
            what = "RGB pixel values 0-255 (channels R, G, B; height; width)"
        return InputPreprocessing(
            raw_shape=raw_shape, subtract=CENTRE, divide=CENTRE,
            layout=f"{width}x{height} {what}, the picture fitted into that size without "
                   "distortion (scaled, then centred on its border colour)")

    def read_picture(self, path):
        return read_picture(path, self.color)

    def decode_picture(self, data, where):
        return decode_picture(check_encoded(data, where), self.color, where)

    def prepare_image(self, image, invert="auto", prepare="auto"):
        """A picture as `read_picture` gives it -> one flat input: fitted into `size`, in
        (channels, height, width) order, scaled as in training. `invert` yes turns it into
        its negative first (auto and no leave it: an image folder has no usual background);
        `prepare` none takes only pictures of `size` already."""
        from nnfs_cli.data.photos import fit_into
        image = np.ascontiguousarray(image)
        if prepare == "none" and image.shape[:2] != tuple(self.size):
            raise DataError(f"--prepare none takes pictures of {self.size[1]}x{self.size[0]} "
                            f"as the run's, not {image.shape[1]}x{image.shape[0]}")
        if invert == "yes":
            image = 255 - image
        picture = fit_into(image, self.size)
        if picture.ndim == 3:
            picture = picture.transpose(2, 0, 1)
        return scale_pixels(picture).reshape(-1)


def _split_folders(root):
    """{split: its folder}: {"train": "train", "validation": "val", "test": "test"} (those
    there) when root holds train/, else {"train": ""}, root being the class folders.
    ConfigError (data.path) for any other folder beside train/: a third folder must never
    become a class of which folder a picture is in."""
    if not root.exists():
        raise DataError(f"{root}: no such folder")
    if not root.is_dir():
        raise DataError(f"{root}: not a folder; {EXPECTED}")
    found = set(_subfolders(root))
    if not found:
        raise DataError(f"{root}: no class subfolders; {EXPECTED}")
    if "train" not in found:
        if found <= set(SPLIT_FOLDERS):
            have = ", ".join(f"{name}/" for name in sorted(found))
            raise DataError(f"{root}: has {have} but no train/; {EXPECTED}")
        return {"train": ""}
    splits = _found_splits(root)
    stray = sorted(found - set(SPLIT_FOLDERS))
    if stray:
        beside = _and([f"{name}/" for name in splits])
        raise ConfigError([f"data.path: found {beside} beside {stray[0] + '/'!r} in {root}; a "
                           "folder with train/ may hold only the split folders train/, val/ "
                           f"(or validation/) and test/: move {stray[0]}/ out of it (or point "
                           "data.path at a folder of class folders)"])
    if "val" in found and "validation" in found:
        raise ConfigError([f"data.path: {root} holds both val/ and validation/; keep one of "
                           "them as the validation split"])
    return {SPLIT_FOLDERS[name]: name for name in splits}


def _and(items):
    """`a`, `a and b`, `a, b and c`."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _found_splits(root):
    """The split folders in root, in the order train, val/validation, test."""
    found = set(_subfolders(root))
    return [name for name in SPLIT_FOLDERS if name in found]


def _class_folders(folder, required=True):
    """The class folder names in `folder`: sorted, as numbers when they all are."""
    names = _subfolders(folder)
    if not names and required:
        raise DataError(f"{folder}: no class subfolders; {EXPECTED}")
    if all(name.isdigit() for name in names):
        return sorted(names, key=lambda name: (int(name), name))
    return sorted(names)


def _has_files(folder):
    """Whether `folder` or a folder in it holds a visible file."""
    try:
        with os.scandir(folder) as entries:
            visible = [entry for entry in entries if not entry.name.startswith(".")]
    except OSError as error:
        raise DataError(f"cannot read {folder}: {error.strerror or error}") from None
    return (any(not entry.is_dir() for entry in visible)
            or any(_has_files(entry.path) for entry in visible if entry.is_dir()))


def _subfolders(folder):
    try:
        with os.scandir(folder) as entries:
            return [entry.name for entry in entries
                    if entry.is_dir() and not entry.name.startswith(".")]
    except OSError as error:
        raise DataError(f"cannot read {folder}: {error.strerror or error}") from None
