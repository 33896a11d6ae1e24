"""Turn any photo into a Fashion-MNIST sample: 784 float32 values, light item on black.

The pipeline is the one the book's last chapter applies (grayscale, 28x28, invert,
scale), done the way Fashion-MNIST itself was made (Xiao et al. 2017): trim the plain
background, shrink the long side to 28 px, centre on a 28x28 background so the item keeps
its aspect, and stretch levels so the background is 0 and the brightest pixel 255, as in
the data.
"""

from pathlib import Path

import cv2
import numpy as np

from nnfs_cli.compat import quiet_opencv
from nnfs_cli.data.image_limits import (OPENCV_REFUSAL, TooManyPixels, read_encoded,
                                        too_many_pixels)
from nnfs_cli.errors import DataError

SIZE = 28
TOLERANCE = 32  # grey levels from the background that still count as background (JPEG noise)
INVERT_CHOICES = ("auto", "yes", "no")
PREPARE_CHOICES = ("auto", "photo", "none")


def _to_uint8(img):
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.uint16:
        return ((img.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if img.dtype.kind == "f":
        return np.round(np.clip(img, 0.0, 1.0) * 255).astype(np.uint8)
    return cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)


def _frame(img, width=2):
    """The outer `width`-pixel frame of a 2-D array, as one flat array."""
    width = max(1, min(width, min(img.shape) // 4))
    return np.concatenate(
        [img[:width].ravel(), img[-width:].ravel(), img[:, :width].ravel(), img[:, -width:].ravel()]
    )


def _composite(gray, alpha):
    """Flatten a transparent image onto the colour its visible border shows; when the border
    is transparent (a cut-out), onto white for a dark item and black for a light one."""
    a = alpha.astype(np.float32) / 255
    if np.median(_frame(alpha)) >= 128:
        backdrop = float(np.median(_frame(gray)[_frame(alpha) >= 128]))
    else:
        item = float((gray * a).sum() / max(a.sum(), 1e-6))
        backdrop = 255.0 if item < 128 else 0.0
    return np.round(gray * a + backdrop * (1 - a)).astype(np.uint8)


def read_image(path):
    """Read any image OpenCV can decode, whatever its name, as 2-D uint8 grayscale; only
    regular files, and pictures within the pixel limit (image_limits.py)."""
    path = Path(path)
    return decode_image(read_encoded(path), path)


def decode_image(buf, where):
    """A picture file's bytes (a uint8 array that image_limits checked) decoded as
    read_image decodes a file; `where` names it in a message."""
    img = None
    if buf.size:
        # OpenCV logs its own complaint about a broken file; we report one line instead.
        with quiet_opencv():
            try:
                img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
                # IMREAD_UNCHANGED keeps alpha and 16 bits but ignores EXIF rotation
                # (phone photos); without alpha, decode again with the rotation applied.
                if img is not None and not (img.ndim == 3 and img.shape[2] in (2, 4)):
                    img = cv2.imdecode(buf, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
            except cv2.error as error:
                if OPENCV_REFUSAL in str(error):
                    raise TooManyPixels(where, too_many_pixels()) from None
                img = None
    if img is None or img.size == 0:
        raise DataError(f"{where}: not an image OpenCV can read")
    img = _to_uint8(img)
    if img.ndim == 2:
        return img
    channels = img.shape[2]
    if channels == 1:
        return img[:, :, 0]
    if channels == 2:
        return _composite(img[:, :, 0], img[:, :, 1])
    gray = cv2.cvtColor(img[:, :, :3], cv2.COLOR_BGR2GRAY)
    return _composite(gray, img[:, :, 3]) if channels == 4 else gray


def to_gray(image):
    """A decoded picture, 2-D gray or 3-D BGR uint8, as 2-D gray."""
    image = np.asarray(image)
    return image if image.ndim == 2 else cv2.cvtColor(image[:, :, :3], cv2.COLOR_BGR2GRAY)


def almost_blank(image, fraction=0.001):
    """True when fewer than `fraction` of the pixels differ from the background (the median
    of the border) by more than TOLERANCE grey levels: a blank or near-uniform picture."""
    gray = to_gray(image)
    background = int(np.median(_frame(gray)))
    differs = np.abs(gray.astype(np.int16) - background) > TOLERANCE
    return differs.mean() < fraction


def _trim(gray, background):
    """Crop to the item: drop rows and columns that are all background.

    No margin: Fashion-MNIST items touch the frame on their long side (measured on the test set).
    """
    differs = (np.abs(gray.astype(np.int16) - background) > TOLERANCE).astype(np.uint8)
    # A median filter drops lone specks (JPEG ringing, dust) that would stop the trim.
    mask = cv2.medianBlur(differs * 255, 3) > 0 if min(gray.shape) >= 3 else differs > 0
    if not mask.any():
        mask = differs > 0
    if not mask.any():
        return gray
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return gray[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _fit(gray, background):
    """Shrink the long side to SIZE, then centre on a SIZE x SIZE background."""
    return fit_into(gray, (SIZE, SIZE), background, cv2.INTER_AREA)


def fit_into(image, size, background=None, interpolation=None):
    """Scale a 2-D gray or (h, w, channels) picture to fit (height, width) = `size` without
    distorting it, then centre it on `background` (default: the median colour of its
    border); as in Fashion-MNIST, an odd leftover pixel goes above or to the left. A picture
    of that size already is returned as it is."""
    height, width = size
    h, w = image.shape[:2]
    if (h, w) == (height, width):
        return image
    scale = min(height / h, width / w)
    h, w = min(height, max(1, round(h * scale))), min(width, max(1, round(w * scale)))
    if interpolation is None:
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    if background is None:
        background = _border_colour(image)
    small = cv2.resize(image, (w, h), interpolation=interpolation)
    top, left = (height - h + 1) // 2, (width - w + 1) // 2
    return cv2.copyMakeBorder(small, top, height - h - top, left, width - w - left,
                              cv2.BORDER_CONSTANT, value=background)


def _border_colour(image):
    if image.ndim == 2:
        return int(np.median(_frame(image)))
    return [int(np.median(_frame(image[:, :, channel]))) for channel in range(image.shape[2])]


def in_data_set_form(gray, background):
    """Whether a gray picture is already as Fashion-MNIST's are: 28x28, its border dark."""
    return gray.shape == (SIZE, SIZE) and background <= TOLERANCE


def prepare_image(gray, invert="auto", prepare="auto"):
    """A 2-D uint8 grayscale image -> (784,) float32 in [-1, 1], light item on black.

    invert: "auto" inverts when the border is light (median > 127), "yes" always, "no" never.
    prepare: "photo" trims, fits and stretches the picture as Fashion-MNIST's were made;
    "none" takes a 28x28 picture as it is (only scaled, and inverted as `invert` says); "auto"
    does "none" for a picture already in the data set's form (28x28, dark background) and
    "photo" for any other, so the data set's own PNG files are predicted as evaluate sees them.
    """
    if invert not in INVERT_CHOICES:
        raise ValueError(f"invert must be one of {', '.join(INVERT_CHOICES)}, got {invert!r}")
    if prepare not in PREPARE_CHOICES:
        raise ValueError(f"prepare must be one of {', '.join(PREPARE_CHOICES)}, got {prepare!r}")
    gray = _to_uint8(np.asarray(gray))
    if gray.ndim != 2 or gray.size == 0:
        raise ValueError(f"expected a non-empty 2-D grayscale image, got shape {gray.shape}")
    background = int(np.median(_frame(gray)))
    if prepare == "none" and gray.shape != (SIZE, SIZE):
        raise DataError(f"--prepare none takes {SIZE}x{SIZE} pictures, not "
                        f"{gray.shape[1]}x{gray.shape[0]}")
    if prepare == "none" or prepare == "auto" and in_data_set_form(gray, background):
        small = gray.astype(np.float32)
        if invert == "yes" or invert == "auto" and background > 127:
            small = 255 - small
        return ((small - 127.5) / 127.5).astype(np.float32).reshape(SIZE * SIZE)
    small = _fit(_trim(gray, background), background).astype(np.float32)
    if invert == "yes" or (invert == "auto" and background > 127):
        small, background = 255 - small, 255 - background
    if background <= 127:
        # Fashion-MNIST backgrounds are 0 and nearly every item peaks at 254-255.
        span = small.max() - background
        scale = 255 / span if span > TOLERANCE else 1.0
        small = np.clip((small - background) * scale, 0, 255)
    return ((small - 127.5) / 127.5).astype(np.float32).reshape(SIZE * SIZE)
