"""Atomic file writes: write to a temporary name beside the target, then rename; and the
outputs a user names (`--output`, `-o`), which are renamed only over regular files."""

import contextlib
import os
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nnfs_cli.errors import BadUsage, NnfsError


class WriteError(NnfsError, OSError):
    """A file could not be written (disk full, read-only folder...): one line naming the
    target, not the temporary file. Still an OSError for callers that can do without it."""

    def __init__(self, path, error):
        NnfsError.__init__(self, f"cannot write {path}: {error.strerror or error}")
        self.errno, self.strerror, self.filename = error.errno, error.strerror, str(path)

    def __str__(self):
        return self.args[0]


@contextlib.contextmanager
def atomic_path(path, name=None):
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds.

    A crash or kill at any instant leaves either the old file or the new one, never half of one.
    Any OSError on the way (disk full, read-only folder) becomes a WriteError naming `path`
    (or `name`, the name the user gave).
    """
    path = Path(path)
    name = path if name is None else name
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise WriteError(name, error) from None
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
        raise WriteError(name, error) from None
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path, data, name=None):
    with atomic_path(path, name) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def write_text(path, text):
    write_bytes(path, text.encode("utf-8"))


def write_to(output, data):
    """Write the bytes `data` to an Output (user_output), or atomically to a path."""
    if isinstance(output, Output):
        output.write(data)
    else:
        write_bytes(output, data)


# --- outputs the user names (--output, -o) ----------------------------------------------

STDOUT = "-"
_KERNEL = ("/proc/", "/sys/")   # kernel files: written into, never renamed over
_STANDARD = {1: "stdout", 2: "stderr"}


@dataclass(frozen=True)
class Output:
    """A checked place the user named for an output. `kind` is "file" (a regular file or
    nothing yet: written to a temporary name beside `target`, the file a link names, and
    renamed over it), "stream" (a FIFO, a character device such as /dev/null, a kernel
    file: written into directly), or "stdout" / "stderr" (`-`, /dev/stdout or another name
    of this process's standard output). `path` is the name as given, for messages."""

    path: Path
    target: Path
    kind: str
    option: str

    @property
    def to_stdout(self):
        return self.kind == "stdout"

    def write(self, data):
        """Write the bytes `data`; WriteError naming `path` if that fails."""
        if self.kind in _STANDARD.values():
            stream = getattr(sys, self.kind)
            stream.flush()
            stream.buffer.write(data)
            stream.buffer.flush()
            return
        # Looked at again: the path may have changed since the command began.
        again = user_output(self.path, self.option, force=True)
        if again.kind == "file":
            write_bytes(again.target, data, name=self.path)
            return
        if again.kind != "stream":
            return again.write(data)
        try:   # as the shell's `>` opens it (a FIFO or a device ignores O_TRUNC)
            fd = os.open(again.target, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOCTTY", 0))
        except FileNotFoundError as error:   # a new name in /proc: not "No such file"
            why = OSError(error.errno, f"{again.target.parent} takes no new files")
            raise WriteError(self.path, why) from None
        except OSError as error:
            raise WriteError(self.path, error) from None
        try:
            mode = os.fstat(fd).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
                raise BadUsage(f"{self.option} {self.path}: {_refusal(mode)}")
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        except OSError as error:
            raise WriteError(self.path, error) from None
        finally:
            os.close(fd)


def user_output(path, option="--output", force=False, protected=(), own=()):
    """Check the output `path` a user named with `option`, before any work is done; returns
    an Output. BadUsage (exit 2) for a directory, a block device, a socket, a link to
    nothing, one of the `protected` files ((path, why) pairs: the inputs, a run's files;
    compared by identity, so a link or a hard link to one counts), or an existing regular
    file unless `force` or it is one of `own` (files the command itself wrote there)."""
    if str(path) == STDOUT:
        return Output(Path(STDOUT), Path(STDOUT), "stdout", option)
    path = Path(path)
    where = f"{option} {path}"
    try:
        info = os.stat(path)   # through links: what would be written
    except FileNotFoundError:
        if os.path.islink(path):
            raise BadUsage(f"{where}: is a link to {os.readlink(path)}, which does not "
                           "exist") from None
        if not path.parent.is_dir():
            raise BadUsage(f"{where}: no such directory {path.parent}") from None
        target = Path(os.path.realpath(path))
        return Output(path, target, _kind(target), option)
    except NotADirectoryError:
        raise BadUsage(f"{where}: {path.parent} is not a directory") from None
    except OSError as error:
        raise BadUsage(f"{where}: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise BadUsage(f"{where}: is a directory; give a file name")
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)
            or stat.S_ISCHR(info.st_mode)):
        raise BadUsage(f"{where}: {_refusal(info.st_mode)}")
    identity = (info.st_dev, info.st_ino)
    for other, why in protected:
        if _identity(other) == identity:
            raise BadUsage(f"{where}: {why}; write the output elsewhere")
    for fd, name in _STANDARD.items():
        if _identity(fd) == identity:
            return Output(path, path, name, option)
    if not stat.S_ISREG(info.st_mode):
        return Output(path, path, "stream", option)
    if not force and not any(_identity(other) == identity for other in own):
        raise BadUsage(f"{where}: already exists; pass --force to replace it")
    target = Path(os.path.realpath(path))
    return Output(path, target, _kind(target), option)


def _kind(target):
    return "stream" if str(target).startswith(_KERNEL) else "file"


def _identity(path_or_fd):
    try:
        info = os.fstat(path_or_fd) if isinstance(path_or_fd, int) else os.stat(path_or_fd)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def _refusal(mode):
    from nnfs_cli.files import kind
    return (f"is {kind(mode)}; an output can be a regular file, a FIFO, a character device "
            "or - (standard output)")
