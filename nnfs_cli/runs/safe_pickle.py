"""Pickle files that hold only NumPy arrays and plain values: `params.pkl` and `checkpoint.pkl`.

Unpickling calls whatever a file names, so `load` admits a short allowlist of
callables, the ones NumPy arrays, dtypes and scalars (numpy 1.x and 2.x names) and
plain containers need, and refuses anything else before it is called.

Nor may a few bytes cost gigabytes: every count a file declares must fit in the file
(checked on the opcodes before unpickling), the callables that allocate (`bytes(n)`,
`bytearray(n)`, numpy's `_reconstruct`) may not make more bytes than the file holds,
`numpy.ndarray` cannot be called directly (its `strides` make a 4-byte buffer look like
gigabytes), and every array loaded has no more elements than the file has bytes.
"""

import functools
import io
import math
import os
import pickle
import pickletools

import numpy as np

from nnfs_cli import compat, files
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
        ("numpy", "ndarray"): _ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1,
    }
    # Array and scalar reducers under numpy 1.x and 2.x names; both load anywhere.
    table.update(compat.numpy_pickle_globals())
    for package in ("numpy.core", "numpy._core"):
        key = (f"{package}.multiarray", "_reconstruct")
        table[key] = _Sized(functools.partial(_reconstruct, table[key]))
    # Protocols 0-2 reduce these through builtins (spelled __builtin__ before protocol 3).
    for cls in (bytes, bytearray, set, frozenset, complex):
        maker = _Sized(functools.partial(_bytes, cls)) if cls in (bytes, bytearray) else cls
        table[("builtins", cls.__name__)] = maker
        table[("__builtin__", cls.__name__)] = maker
    return table


class _TooLarge(Exception):
    """A call would allocate more than the file could describe."""


class _Sized:
    """A callable that allocates: the unpickler passes it the file's size as a limit."""

    def __init__(self, make):
        self.make = make


def _ndarray(*args, **kwargs):
    """What `numpy.ndarray` names: passed to `_reconstruct` as numpy's own pickles do,
    never called (no pickle numpy writes calls it; called, its `buffer` and `strides`
    make any size from a few bytes)."""
    raise _TooLarge("numpy.ndarray may not be called directly")


def _reconstruct(reconstruct, limit, subtype, shape, dtype):
    """numpy's `reconstruct` (an empty array that __setstate__ then fills), for arrays
    no larger than the file's `limit` bytes."""
    if subtype is not _ndarray:
        raise _TooLarge("_reconstruct may only make numpy arrays")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if math.prod(shape) * max(np.dtype(dtype).itemsize, 1) > limit:
        raise _TooLarge(f"an array of shape {_printable(str(shape))} is larger than the file")
    return reconstruct(np.ndarray, shape, dtype)


def _bytes(cls, limit, *args):
    """`bytes` or `bytearray` as pickles call them: from bytes, a list of ints, latin-1
    text, or a size no larger than the file's `limit` bytes."""
    if args and isinstance(args[0], int) and args[0] > limit:
        raise _TooLarge(f"{cls.__name__}({args[0]}) is larger than the file")
    if len(args) > 1 and args[1] not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"codec {_printable(str(args[1]))!r} is not allowed")
    return cls(*args)


_ALLOWED = _allowed()


class _Refused(Exception):
    """find_class met a name outside the allowlist; the message is `module.name`."""


class _Unpickler(pickle.Unpickler):
    def __init__(self, data, classes=None):
        super().__init__(io.BytesIO(data))
        self.limit = len(data)
        self.classes = classes or {}

    def find_class(self, module, name):
        if name in self.classes:
            return self.classes[name]
        try:
            found = _ALLOWED[(module, name)]
        except KeyError:
            raise _Refused(f"{module}.{name}") from None
        return functools.partial(found.make, self.limit) if isinstance(found, _Sized) else found

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persistent ids are not allowed")


def _printable(text, limit=120):
    """One short line, whatever bytes a corrupt file put in a name or message."""
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_opcodes(data):
    """Walk the opcodes without running them. pickletools refuses a count (of bytes,
    text, digits) longer than what follows, which the unpickler would allocate first;
    memo indices far past the number of puts (picklers number them 0, 1, 2...) are
    refused here: pickle grows its memo to the index, so one flipped byte could cost
    gigabytes."""
    puts = 0
    for op, arg, position in pickletools.genops(data):
        if op.name == "FRAME" and arg > len(data) - position:
            raise pickle.UnpicklingError(f"frame of {arg} bytes is longer than the file")
        if op.name in ("PUT", "BINPUT", "LONG_BINPUT"):
            if int(arg) > puts + 1024:
                raise pickle.UnpicklingError(f"memo index {arg} out of range")
            puts += 1
        elif op.name == "MEMOIZE":
            puts += 1


def _check_arrays(obj, limit, classes=()):
    """Refuse arrays of Python objects, and arrays with more elements than the file has
    bytes (a zero-size dtype makes them from nothing); shared parts are visited once, and
    the attributes of stand-in objects (`classes`) too."""
    classes = tuple(classes)
    seen, stack = set(), [obj]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            if item.dtype.hasobject:
                raise _TooLarge("an array of Python objects")
            if item.size > limit:
                raise _TooLarge(f"an array of shape {_printable(str(item.shape))} "
                                "is larger than the file")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif classes and isinstance(item, classes):
            stack.extend(vars(item).values())


def _unpickle(data, path, classes=None, what="params and checkpoints"):
    """Unpickle `data`, read from `path`; any failure becomes a one-line NnfsError.
    `classes` ({name: class}) stand in for the classes of those names, whatever module the
    file names; `what` says what may be in such a file, for the refusal."""
    try:
        _check_opcodes(data)
        obj = _Unpickler(data, classes).load()
        _check_arrays(obj, len(data), (classes or {}).values())
        return obj
    except _Refused as e:
        raise NnfsError(
            f"{path}: refused to unpickle '{_printable(str(e))}': {what} "
            "may hold only NumPy arrays and plain values"
        ) from None
    except _TooLarge as e:
        raise NnfsError(f"{path}: refused: {e}; a pickle may not describe more data "
                        "than it holds") from None
    # Corrupt bytes raise anything from EOFError to numpy's RuntimeError; all mean the same.
    except Exception as e:
        detail = _printable(str(e) or type(e).__name__)
        raise NnfsError(f"{path}: not a readable pickle (truncated or corrupt): {detail}") from None


def load(path, classes=None, what="params and checkpoints"):
    """Unpickle `path`, admitting only NumPy arrays, dtypes, scalars and plain values (and
    the stand-ins `classes`, see _unpickle)."""
    return _unpickle(files.read_bytes(path), path, classes, what)


def dump(obj, path):
    """Pickle `obj` to `path` atomically and fsync'd.

    The bytes go through the restricted loader first, so what cannot be loaded back
    (a class instance, a lambda) fails here rather than at the next `load`.
    """
    data = pickle.dumps(obj, protocol=PROTOCOL)
    try:
        _Unpickler(data).load()
    except _Refused as e:
        raise TypeError(f"{path}: cannot save '{e}'; only NumPy arrays and plain values") from None
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
