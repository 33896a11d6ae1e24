"""Pickle files that hold only NumPy arrays and plain values: `params.pkl` and `checkpoint.pkl`.

Unpickling calls whatever a file names, so `load` admits a short allowlist of
callables, the ones NumPy arrays, dtypes and scalars (numpy 1.x and 2.x names) and
plain containers need, and refuses anything else before it is called.
"""

import io
import os
import pickle
import pickletools

import numpy as np

from nnfs_cli import compat
from nnfs_cli.errors import NnfsError
from nnfs_cli.atomic import atomic_path

# 4 and not 5: protocol 5 rebuilds arrays through numpy's private `_frombuffer`;
# protocol 4 uses `_reconstruct`, which every numpy since 1.x writes and reads.
PROTOCOL = 4


def _latin1(text, encoding):
    """`_codecs.encode` as protocol 2 uses it for bytes; no other codec is reachable."""
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"codec '{encoding}' is not allowed")
    return text.encode("latin1")


def _allowed():
    table = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1,
    }
    # Array and scalar reducers under numpy 1.x and 2.x names; both load anywhere.
    table.update(compat.numpy_pickle_globals())
    # Protocols 0-2 reduce these through builtins (spelled __builtin__ before protocol 3).
    for cls in (bytes, bytearray, set, frozenset, complex):
        table[("builtins", cls.__name__)] = cls
        table[("__builtin__", cls.__name__)] = cls
    return table


_ALLOWED = _allowed()


class _Refused(Exception):
    """find_class met a name outside the allowlist; the message is `module.name`."""


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise _Refused(f"{module}.{name}") from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persistent ids are not allowed")


def _printable(text, limit=120):
    """One short line, whatever bytes a corrupt file put in a name or message."""
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_memo(data):
    """Refuse memo indices far past the number of puts (picklers number them 0, 1, 2...):
    pickle grows its memo to the index, so one flipped byte could cost gigabytes."""
    puts = 0
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("PUT", "BINPUT", "LONG_BINPUT"):
            if int(arg) > puts + 1024:
                raise pickle.UnpicklingError(f"memo index {arg} out of range")
            puts += 1
        elif op.name == "MEMOIZE":
            puts += 1


def _unpickle(data, path):
    """Unpickle `data`, read from `path`; any failure becomes a one-line NnfsError."""
    try:
        _check_memo(data)
        return _Unpickler(io.BytesIO(data)).load()
    except _Refused as e:
        raise NnfsError(
            f"{path}: refused to unpickle '{_printable(str(e))}': params and checkpoints "
            "may hold only NumPy arrays and plain values"
        ) from None
    # Corrupt bytes raise anything from EOFError to numpy's RuntimeError; all mean the same.
    except Exception as e:
        detail = _printable(str(e) or type(e).__name__)
        raise NnfsError(f"{path}: not a readable pickle (truncated or corrupt): {detail}") from None


def load(path):
    """Unpickle `path`, admitting only NumPy arrays, dtypes, scalars and plain values."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise NnfsError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NnfsError(f"{path}: is a directory, not a pickle file") from None
    except OSError as e:
        raise NnfsError(f"{path}: cannot read: {e.strerror or e}") from None
    return _unpickle(data, path)


def dump(obj, path):
    """Pickle `obj` to `path` atomically and fsync'd.

    The bytes go through the restricted loader first, so what cannot be loaded back
    (a class instance, a lambda) fails here rather than at the next `load`.
    """
    data = pickle.dumps(obj, protocol=PROTOCOL)
    try:
        _Unpickler(io.BytesIO(data)).load()
    except _Refused as e:
        raise TypeError(f"{path}: cannot save '{e}'; only NumPy arrays and plain values") from None
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
