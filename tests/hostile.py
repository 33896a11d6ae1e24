"""Helpers for the hostile-input tests: the installed `nnfs` run under a memory limit and a
timeout, the checks every refusal must pass, and tiny hostile files built on the spot."""

import os
import pickle
import resource
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np

NNFS = str(Path(sys.executable).with_name("nnfs")) if Path(sys.executable).with_name(
    "nnfs").exists() else shutil.which("nnfs")
MEMORY = 1536 << 20   # far below what any of the hostile inputs cost unchecked
TIMEOUT = 180   # generous: 2 cores shared by many; a hang still fails


def nnfs(*args, cwd=None, env=None, memory=MEMORY, file_size=None, timeout=TIMEOUT,
         stdout=subprocess.PIPE, cpu_seconds=None):
    """Run the installed `nnfs ARGS...` with address space limited to `memory` bytes (and
    files to `file_size` bytes, CPU time to `cpu_seconds`: a bound on work that does not
    depend on how busy the machine is), killed after `timeout` seconds."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        if file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
        if cpu_seconds is not None:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))

    return subprocess.run([NNFS, *map(str, args)], cwd=cwd, env={**os.environ, **(env or {})},
                          preexec_fn=limit, stdout=stdout, stderr=subprocess.PIPE, text=True,
                          timeout=timeout)


def start(*args, cwd=None, env=None, memory=MEMORY):
    """`nnfs ARGS...` in the background, as in `nnfs`, under the memory limit."""
    return subprocess.Popen([NNFS, *map(str, args)], cwd=cwd, env={**os.environ, **(env or {})},
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS,
                                                                  (memory, memory)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def assert_one_line(result, code, *fragments):
    """Exit `code`, exactly one line on stderr holding every fragment, no traceback."""
    stderr = result.stderr
    assert result.returncode == code, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def tree(folder):
    """{relative path: bytes} of every file under `folder`, to show nothing changed."""
    return {p.relative_to(folder): p.read_bytes() for p in sorted(Path(folder).rglob("*"))
            if p.is_file()}


def leftovers(folder):
    """Temporary files and locks left anywhere under `folder`."""
    return [p for p in Path(folder).rglob("*")
            if p.name.endswith((".tmp", ".part")) or p.name == ".lock"]


def fifo(path):
    os.mkfifo(path)
    return path


def link_to_zero(path):
    os.symlink("/dev/zero", path)
    return path


# --- hostile pickles -----------------------------------------------------------------


class Call:
    """Pickles as `func(*args)` (then `__setstate__(state)` when given)."""

    def __init__(self, func, args, state=None):
        self.func, self.args, self.state = func, args, state

    def __reduce__(self):
        return (self.func, self.args) if self.state is None else (self.func, self.args,
                                                                   self.state)


def _core():
    """numpy._core under NumPy 2, numpy.core under 1.x: NumPy 1.26 has a `numpy._core` stub
    too (opencv-python 4.11 imports it), without `multiarray`, so the version decides."""
    import importlib
    name = "numpy._core" if int(np.__version__.split(".")[0]) >= 2 else "numpy.core"
    return importlib.import_module(name)


PICKLE_BOMBS = {
    # 3 GB from a 41-byte file, through the allowlisted bytearray.
    "bytearray": (lambda: pickle.dumps(Call(bytearray, (3_000_000_000,)), protocol=2),
                  "bytearray(3000000000) is larger than the file"),
    "bytes": (lambda: pickle.dumps(Call(bytes, (3_000_000_000,)), protocol=2),
              "bytes(3000000000) is larger than the file"),
    # numpy.ndarray((30000, 30000), 'f4', b'\0' * 4, 0, (0, 0)): stride 0, 3.6 GB logically.
    "stride-0": (lambda: pickle.dumps(Call(np.ndarray, ((30000, 30000), "f4", b"\0" * 4, 0,
                                                        (0, 0))), protocol=2),
                 "numpy.ndarray may not be called directly"),
    # _reconstruct allocates whatever shape it is given.
    "reconstruct": (lambda: pickle.dumps(Call(_core().multiarray._reconstruct,
                                              (np.ndarray, (30000, 30000), b"f")), protocol=2),
                    "an array of shape (30000, 30000) is larger than the file"),
    # __setstate__ with a zero-size dtype: 10**12 elements out of no bytes.
    "zero-itemsize": (lambda: pickle.dumps(Call(_core().multiarray._reconstruct,
                                                (np.ndarray, (0,), b"b"),
                                                (1, (10**12,), np.dtype(("f4", (0,))), False,
                                                 b"")), protocol=2),
                      "is larger than the file"),
    # BINBYTES8 declaring 3 GB: the unpickler allocates before reading.
    "bytes8": (lambda: b"\x80\x04\x8e" + struct.pack("<Q", 3_000_000_000) + b"abc.",
               "expected 3000000000 bytes in a bytes8"),
}


# --- hostile pictures ----------------------------------------------------------------


def png_bomb(width=30000, height=30000):
    """A PNG of a few hundred bytes whose header declares width x height 8-bit gray pixels."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    rows = zlib.compress(b"\0" * (width + 1) * 64, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                              0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def jpeg_bomb(width=60000, height=60000):
    """The start of a JPEG whose frame header declares width x height."""
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0" + sof


def pgm_bomb(width=40000, height=40000):
    """A binary PGM header (a format whose header we do not read; OpenCV's limit stops it)."""
    return f"P5\n{width} {height}\n255\n".encode() + b"\0" * 1024


def npy_header(shape, descr="<f8"):
    """The bytes of a version 1.0 .npy header for an array of `shape` and `descr`."""
    header = repr({"descr": descr, "fortran_order": False, "shape": tuple(shape)}).encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


def strict_json(text):
    """json.loads that refuses NaN and Infinity, which are not JSON."""
    import json

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)
