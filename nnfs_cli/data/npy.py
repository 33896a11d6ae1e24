"""NumPy files read without trusting their headers: a .npy header that claims a shape of
(10**13, 2) would make `np.load` allocate it before reading a byte, so the shape is
checked against the bytes the file (or the .npz member) really holds first. Only regular
files are read, and never arrays of Python objects.

    x = load_npy(path)                       # one array
    with Npz(path) as archive:               # an .npz, one array at a time
        images = archive.read("x_train")
"""

import io
import math
import os
import struct
import zipfile

import numpy as np

from nnfs_cli import files, limits
from nnfs_cli.data.archive import open_zip
from nnfs_cli.errors import DataError

_READERS = {(1, 0): (np.lib.format.read_array_header_1_0, "<H"),
            (2, 0): (np.lib.format.read_array_header_2_0, "<I")}
HEADER_BYTES = 1 << 16   # NumPy itself refuses headers past 10,000 characters
# A compressed .npz member inflates to at most this many times its compressed size (past its
# first INFLATE_FLOOR bytes): data compresses by 2 to 20 times, a decompression bomb by 1,000
# (deflate) to millions (bzip2).
INFLATE_RATIO = 100
INFLATE_FLOOR = 16 << 20


def load_npy(path, limit=None, limit_name=None):
    """The array in the .npy file `path` (a regular file of at most `limit` bytes)."""
    with files.open_regular(path, limit, limit_name) as f:
        size = os.fstat(f.fileno()).st_size
        check_header(f, size, path)
        f.seek(0)
        try:
            return np.load(f, allow_pickle=False)
        except (OSError, ValueError, EOFError) as error:
            raise DataError(f"{path}: not a .npy array ({_first_line(error)})") from None


def check_header(stream, size, source, refuse=None):
    """Read the .npy header at the start of `stream`, which may hold `size` bytes in all;
    NnfsError unless it describes an array of numbers those bytes can hold (the message
    `refuse(shape, bytes needed)` when given). Returns the bytes the array's data needs."""
    try:
        version = np.lib.format.read_magic(stream)
        if version not in _READERS:
            raise ValueError(f"unsupported .npy version {version[0]}.{version[1]}")
        reader, length_format = _READERS[version]
        length_bytes = stream.read(struct.calcsize(length_format))
        if len(length_bytes) < struct.calcsize(length_format):
            raise EOFError("the header is cut short")
        (length,) = struct.unpack(length_format, length_bytes)
        header = 8 + len(length_bytes) + length
        if length > HEADER_BYTES or header > size:
            raise ValueError(f"a header of {length:,} bytes")   # read nothing of it
        shape, _, dtype = reader(io.BytesIO(length_bytes + _exactly(stream, length)))
    except (OSError, ValueError, EOFError, SyntaxError, struct.error) as error:
        raise DataError(f"{source}: not a .npy array ({_first_line(error)})") from None
    if dtype.hasobject:
        raise DataError(f"{source}: holds Python objects, not numbers")
    needed = math.prod(shape) * dtype.itemsize
    if needed > size - header or math.prod(shape) > size:
        raise DataError(f"{source}: " + (refuse(shape, needed) if refuse else
                                         f"its header claims an array of shape {shape} "
                                         f"({needed:,} bytes), but the file holds "
                                         f"{size - header:,}"))
    return needed


def _exactly(stream, size):
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the header is cut short")
    return data


class Npz:
    """An .npz file opened for reading its arrays one by one, each header checked against
    the bytes its member may hold: a stored member the bytes it has in the file, a
    compressed one at most INFLATE_RATIO times its compressed bytes, and all compressed
    members together at most NNFS_MAX_EXTRACT_BYTES once inflated (the declared sizes of a
    zip file are never trusted)."""

    def __init__(self, path, limit=None, limit_name=None):
        self.path = path
        self.file = files.open_regular(path, limit, limit_name)
        self.size = os.fstat(self.file.fileno()).st_size
        self.inflated = 0   # bytes of compressed members read so far
        try:
            self.zip = open_zip(self.file, path)
        except BaseException:
            self.file.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.zip.close()
        self.file.close()

    def names(self):
        return [name[:-4] for name in self.zip.namelist() if name.endswith(".npy")]

    def read(self, name):
        """The array `name`; KeyError if the file has none of that name."""
        source = f"{self.path}[{name}]"
        info = self.zip.getinfo(f"{name}.npy")
        stored = min(info.compress_size, self.size)
        compressed = info.compress_type != zipfile.ZIP_STORED
        if compressed:
            budget = limits.get("extract_bytes") - self.inflated
            room = min(budget, max(INFLATE_FLOOR, INFLATE_RATIO * stored))
        else:
            room = stored

        def refuse(shape, needed):
            claim = f"its header claims an array of shape {shape} ({needed:,} bytes)"
            if not compressed:
                return f"{claim}, but the file holds {stored:,}"
            if needed > max(INFLATE_FLOOR, INFLATE_RATIO * stored):
                return (f"{claim} from {stored:,} compressed bytes, more than {INFLATE_RATIO} "
                        "times as many (a decompression bomb?); save it with np.savez")
            return (f"{claim}, more than the limit of {limits.get('extract_bytes'):,} bytes "
                    f"inflated from a compressed .npz {limits.hint('extract_bytes')}")
        try:
            with self.zip.open(info) as member:
                needed = check_header(_Bounded(member, room, source), room, source, refuse)
            with self.zip.open(info) as member:
                array = np.lib.format.read_array(_Bounded(member, room, source),
                                                 allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise DataError(f"{source}: not a readable array ({_first_line(error)})") from None
        if compressed:
            self.inflated += needed
        return array


class _Bounded:
    """A member of a zip file read as a stream that refuses to give more than `room` bytes."""

    def __init__(self, stream, room, source):
        self.stream, self.room, self.source, self.position = stream, room, source, 0

    def read(self, size=-1):
        left = self.room - self.position
        size = left + 1 if size is None or size < 0 else min(size, left + 1)
        data = self.stream.read(size)
        self.position += len(data)
        if self.position > self.room:
            raise DataError(f"{self.source}: inflates to more than the {self.room:,} bytes "
                            "it may hold")
        return data

    def tell(self):
        return self.position


def _first_line(error):
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
