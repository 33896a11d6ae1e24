"""NumPy files read without trusting their headers: a .npy header that claims a shape of
(10**13, 2) would make `np.load` allocate it before reading a byte, so the shape is
checked against the bytes the file (or the .npz member) really holds first. Only regular
files are read, and never arrays of Python objects.

    x = load_npy(path)                       # one array
    with Npz(path) as archive:               # an .npz, one array at a time
        images = archive.read("x_train")
"""

import math
import os
import zipfile

import numpy as np

from nnfs_cli import files
from nnfs_cli.data.archive import open_zip
from nnfs_cli.errors import NnfsError

_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0}


def load_npy(path, limit=None, limit_name=None):
    """The array in the .npy file `path` (a regular file of at most `limit` bytes)."""
    with files.open_regular(path, limit, limit_name) as f:
        size = os.fstat(f.fileno()).st_size
        check_header(f, size, path)
        f.seek(0)
        try:
            return np.load(f, allow_pickle=False)
        except (OSError, ValueError, EOFError) as error:
            raise NnfsError(f"{path}: not a .npy array ({_first_line(error)})") from None


def check_header(stream, size, source):
    """Read the .npy header at the start of `stream`, which holds `size` bytes in all;
    NnfsError unless it describes an array of numbers those bytes can hold."""
    try:
        version = np.lib.format.read_magic(stream)
        reader = _READERS.get(version)
        if reader is None:
            raise ValueError(f"unsupported .npy version {version[0]}.{version[1]}")
        shape, _, dtype = reader(stream)
        header = stream.tell()
    except (OSError, ValueError, EOFError, SyntaxError) as error:
        raise NnfsError(f"{source}: not a .npy array ({_first_line(error)})") from None
    if dtype.hasobject:
        raise NnfsError(f"{source}: holds Python objects, not numbers")
    needed = math.prod(shape) * dtype.itemsize
    if needed > size - header or math.prod(shape) > size:
        raise NnfsError(f"{source}: its header claims an array of shape {shape} "
                        f"({needed:,} bytes), but the file holds {size - header:,}")


class Npz:
    """An .npz file opened for reading its arrays one by one, each header checked."""

    def __init__(self, path, limit=None, limit_name=None):
        self.path = path
        self.file = files.open_regular(path, limit, limit_name)
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
        try:
            info = self.zip.getinfo(f"{name}.npy")
            with self.zip.open(info) as member:
                check_header(member, info.file_size, source)
            with self.zip.open(info) as member:
                return np.lib.format.read_array(member, allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise NnfsError(f"{source}: not a readable array ({_first_line(error)})") from None


def _first_line(error):
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
