"""The limits that keep a few hostile bytes from costing gigabytes or hanging: each one is
named here, documented in the README's table, and those a user could need more of can be
raised through an environment variable (`NNFS_MAX_IMAGE_PIXELS=100000000 nnfs predict ...`).
"""

import os

from nnfs_cli.errors import ConfigError, show

KiB, MiB = 1 << 10, 1 << 20

# Fixed: no real config, summary or lock file comes near them.
CONFIG_BYTES = 1 * MiB          # a config file, or one --set value
YAML_NODES = 100_000            # values in a YAML document once its aliases are expanded
YAML_DEPTH = 100                # nested sequences and mappings
TEXT_CHARS = 4096               # a string option (a data set's path, say)
SUMMARY_BYTES = 16 * MiB        # summary.json, eval.json
LOG_BYTES = 256 * MiB           # train.log, read back on --resume
CLASSES = 10_000                # classes of a generated data set
SEED_MAX = 2**32 - 1            # what NumPy's RandomState takes
ARCHIVE_ENTRIES = 200_000       # entries of a zip file (Fashion-MNIST has 70,022)

# Overridable: name -> (environment variable, default, what it bounds).
_ADJUSTABLE = {
    "parameters": ("NNFS_MAX_PARAMETERS", 100_000_000, "model parameters"),
    "batch_values": ("NNFS_MAX_BATCH_VALUES", 250_000_000,
                     "values one batch produces in the layers (rows x outputs)"),
    "samples": ("NNFS_MAX_SAMPLES", 10_000_000, "samples of a generated data set split"),
    "image_pixels": ("NNFS_MAX_IMAGE_PIXELS", 50_000_000, "pixels of a picture"),
    "rows_bytes": ("NNFS_MAX_ROWS_BYTES", 256 * MiB, "bytes of a .npy or .csv file of rows"),
    "rows": ("NNFS_MAX_ROWS", 100_000, "rows of features in one file for predict"),
    "table_values": ("NNFS_MAX_TABLE_VALUES", 100_000_000,
                     "values of a csv table once encoded (rows x inputs, one-hot included)"),
    "download_bytes": ("NNFS_MAX_DOWNLOAD_BYTES", 256 * MiB, "bytes of a download"),
    "extract_bytes": ("NNFS_MAX_EXTRACT_BYTES", 256 * MiB,
                      "bytes extracted from an archive"),
    "download_seconds": ("NNFS_DOWNLOAD_SECONDS", 3600, "seconds a download may take"),
    "stall_seconds": ("NNFS_STALL_SECONDS", 60, "seconds a download may go without data"),
    "request_bytes": ("NNFS_MAX_REQUEST_BYTES", 8 * MiB,
                      "bytes of one request's body to nnfs serve"),
    "request_rows": ("NNFS_MAX_REQUEST_ROWS", 1_000,
                     "rows, pixel arrays or pictures in one request to nnfs serve"),
}


LARGEST = 2**63 - 1   # a larger value in the environment means this one (no real bound is near)


class BadLimit(ConfigError):
    """A limit's environment variable that is not a positive whole number: the caller's
    mistake (exit 2) in every command, never a file's or a trial's."""


def get(name):
    """The limit `name` (a key of _ADJUSTABLE), from its environment variable when set
    (values past LARGEST mean LARGEST)."""
    variable, default, _ = _ADJUSTABLE[name]
    text = os.environ.get(variable, "").strip().replace("_", "")
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or not text.strip("0"):
        raise BadLimit([f"{variable}: expected a positive whole number, "
                        f"got {show(os.environ[variable])}"])
    return LARGEST if len(text.lstrip("0")) > 19 else min(int(text), LARGEST)


def hint(name):
    """`(NNFS_MAX_...=N allows more)`, to end the message of a refusal."""
    return f"(set {_ADJUSTABLE[name][0]} to allow more)"


def image_file_bytes():
    """Bytes of a picture file: 8 per allowed pixel (16-bit RGBA, uncompressed) is plenty."""
    return 8 * get("image_pixels")


def configure_opencv():
    """Make OpenCV refuse pictures beyond the pixel limit before allocating them: the
    formats whose headers we do not read ourselves. OpenCV reads it when first imported."""
    try:
        pixels = get("image_pixels")
    except ConfigError:
        return   # reported when an image is read
    # OpenCV reads it as a 64-bit number and aborts the process on a larger one.
    os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(min(pixels, LARGEST)))


def table():
    """(variable, default, what) of every overridable limit, for tests and docs."""
    return list(_ADJUSTABLE.values())
