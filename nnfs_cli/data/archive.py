"""Check a Fashion-MNIST zip (safe names, train/ and test/ with labels 0-9, 28x28 PNGs), then extract it."""

import re
import shutil
import stat
import struct
import zipfile
import zlib
from pathlib import Path

from nnfs_cli import limits
from nnfs_cli.errors import DataError

SPLITS = ("train", "test")
LABELS = tuple(str(label) for label in range(10))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_IMAGE_BYTES = 1 << 16  # a 28x28 PNG is under 1 KiB; a larger entry is a wrong file or a zip bomb
EXPECTED = "expected train/ and test/ holding <label 0-9>/<image>.png"


def extract_fashion(archive, target, source):
    """Check every entry of `archive`, then extract the images to `target`/{train,test}/<label>/.

    Nothing is written unless all checks pass. `source` names the archive in messages.
    Returns {"train": n, "test": n}.
    """
    try:
        with open(archive, "rb") as f, open_zip(f, source) as zf:
            plan = _plan(zf.infolist(), source)
            for info, *_ in plan:
                _check_png(zf, info, source)
            _extract(zf, plan, Path(target))
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise DataError(f"{source} is not a valid zip archive ({error})") from None
    return {split: sum(entry[1] == split for entry in plan) for split in SPLITS}


def open_zip(file, source):
    """zipfile.ZipFile on the open binary `file`, once its end record says it has at most
    ARCHIVE_ENTRIES entries: ZipFile reads every entry of the directory into memory, and
    a few megabytes of directory can list millions."""
    try:
        record = zipfile._EndRecData(file)   # what ZipFile itself reads first
    except (AttributeError, OSError):        # a future Python without it: ZipFile checks
        record = None
    if record and record[zipfile._ECD_ENTRIES_TOTAL] > limits.ARCHIVE_ENTRIES:
        raise DataError(f"{source} lists {record[zipfile._ECD_ENTRIES_TOTAL]:,} entries, more "
                        f"than the limit of {limits.ARCHIVE_ENTRIES:,}")
    file.seek(0)
    try:
        return zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise DataError(f"{source} is not a valid zip archive ({error})") from None


def _plan(infos, source):
    """Return [(info, split, label, file name)] for every image, or raise on the first problem."""
    for info in infos:
        _check_safe(info, source)
    strip = _wrapper_depth(infos)
    plan, seen, names = [], {split: set() for split in SPLITS}, set()
    for info in infos:
        parts = info.filename.rstrip("/").split("/")[strip:]
        if info.is_dir() or not parts or parts[0] not in SPLITS:
            continue
        if any(part.startswith(".") for part in parts):  # .DS_Store and friends
            continue
        if len(parts) != 3 or parts[1] not in LABELS or not parts[2].lower().endswith(".png"):
            raise DataError(f"unexpected entry {info.filename!r} in {source}; {EXPECTED}")
        if info.file_size > MAX_IMAGE_BYTES:
            raise DataError(f"entry {info.filename!r} in {source} is too large for a 28x28 image")
        key = "/".join(parts).lower()  # case-insensitive file systems would merge these
        if key in names:
            raise DataError(f"duplicate entry {info.filename!r} in {source}")
        names.add(key)
        seen[parts[0]].add(parts[1])
        plan.append((info, *parts))
    total, limit = sum(info.file_size for info, *_ in plan), limits.get("extract_bytes")
    if total > limit:
        raise DataError(f"{source} would extract {total:,} bytes, more than the limit of "
                        f"{limit:,} bytes {limits.hint('extract_bytes')}")
    for split in SPLITS:
        if not seen[split]:
            raise DataError(f"{source} has no {split}/ images; {EXPECTED}")
        missing = [label for label in LABELS if label not in seen[split]]
        if missing:
            raise DataError(f"{source} is missing label(s) {', '.join(missing)} in {split}/")
    return plan


def _check_safe(info, source):
    """Refuse zip-slip: absolute paths, `..` components, links and other special files."""
    name = info.filename
    mode = info.external_attr >> 16
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        reason = "absolute path"
    elif ".." in re.split(r"[/\\]", name):
        reason = "'..' in path"
    elif stat.S_ISLNK(mode):
        reason = "symbolic link"
    elif stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        reason = "not a regular file"
    elif info.flag_bits & 0x1:
        reason = "encrypted"
    else:
        return
    raise DataError(f"refusing unsafe entry {name!r} in {source} ({reason}); nothing was extracted")


def _wrapper_depth(infos):
    """1 if everything sits in one top-level folder (e.g. fashion_mnist_images/train/...), else 0."""
    tops = {info.filename.split("/")[0] for info in infos} - {"__MACOSX"}
    return 1 if len(tops) == 1 and not tops & set(SPLITS) else 0


def _check_png(zf, info, source):
    """Read only the signature and IHDR chunk: much faster than decoding 70,000 images."""
    with zf.open(info) as f:
        head = f.read(26)
    if len(head) < 26 or head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        raise DataError(f"{info.filename!r} in {source} is not a PNG image")
    width, height, depth, colour = struct.unpack(">IIBB", head[16:26])
    if (width, height, depth, colour) != (28, 28, 8, 0):
        raise DataError(f"{info.filename!r} in {source} is {width}x{height}, bit depth {depth}, "
                        f"colour type {colour}; expected a 28x28 8-bit grayscale PNG")


def _extract(zf, plan, target):
    # Paths are rebuilt from checked parts, never taken from the archive as they stand.
    for split in SPLITS:
        for label in LABELS:
            (target / split / label).mkdir(parents=True)
    for info, split, label, name in plan:
        with zf.open(info) as src, open(target / split / label / name, "wb") as out:
            shutil.copyfileobj(src, out)
