"""Atomic file writes: write to a temporary name beside the target, then rename."""

import contextlib
import os
import tempfile
from pathlib import Path

from nnfs_cli.errors import NnfsError


class WriteError(NnfsError, OSError):
    """A file could not be written (disk full, read-only folder...): one line naming the
    target, not the temporary file. Still an OSError for callers that can do without it."""

    def __init__(self, path, error):
        NnfsError.__init__(self, f"cannot write {path}: {error.strerror or error}")
        self.errno, self.strerror, self.filename = error.errno, error.strerror, str(path)

    def __str__(self):
        return self.args[0]


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds.

    A crash or kill at any instant leaves either the old file or the new one, never half of one.
    Any OSError on the way (disk full, read-only folder) becomes a WriteError naming `path`.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise WriteError(path, error) from None
    os.close(fd)
    tmp = Path(tmp)
    try:
        # mkstemp makes the file private (0600); give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        yield tmp
        os.replace(tmp, path)
    except WriteError:
        raise
    except OSError as error:
        raise WriteError(path, error) from None
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path, data):
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def write_text(path, text):
    write_bytes(path, text.encode("utf-8"))
