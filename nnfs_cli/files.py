"""Reading input files: only regular files, never more than a size limit.

A FIFO blocks the reader forever, /dev/zero never ends, and a link to either looks like
any other name; so every file read as a config, data, parameters or a summary goes
through `open_regular`, which opens without blocking, checks what it opened and refuses
anything but a regular file (links to regular files are fine).
"""

import os
import stat

from nnfs_cli.errors import NnfsError

_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class UnreadableFile(NnfsError):
    """A file that cannot or may not be read; `reason` is the message without the path."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


def kind(mode):
    """What a non-regular file is, for a message: 'a FIFO', 'a character device'..."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path, limit=None, limit_name=None):
    """Open `path` for binary reading, if it is a regular file of at most `limit` bytes.

    `limit_name` (a key of limits.get) adds how to raise the limit to the message.
    Raises UnreadableFile with a one-line reason otherwise.
    """
    try:
        # Refuse what stat already shows, before opening it (opening a device can act);
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat checks again.
        _check(path, os.stat(path), limit, limit_name)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise UnreadableFile(path, "no such file") from None
    except IsADirectoryError:
        raise UnreadableFile(path, "is a directory, not a file") from None
    except OSError as error:
        raise UnreadableFile(path, f"cannot read: {error.strerror or error}") from None
    try:
        _check(path, os.fstat(fd), limit, limit_name)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check(path, info, limit, limit_name):
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableFile(path, "is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(path, f"is {kind(info.st_mode)}, not a regular file; "
                                   "only regular files are read")
    if limit is not None and info.st_size > limit:
        raise UnreadableFile(path, too_large(info.st_size, limit, limit_name))


def read_bytes(path, limit=None, limit_name=None):
    """The bytes of the regular file `path`, refusing more than `limit` (even if it grows)."""
    with open_regular(path, limit, limit_name) as f:
        try:
            if limit is None:
                data = f.read()
            else:
                # read(n) allocates n bytes first: ask for what the file holds, plus one
                # to notice a file that grew since it was measured.
                size = os.fstat(f.fileno()).st_size
                data = f.read(size + 1)
                while size < len(data) <= limit:
                    more = f.read(1 << 16)
                    if not more:
                        break
                    data += more
        except OSError as error:
            raise UnreadableFile(path, f"cannot read: {error.strerror or error}") from None
    if limit is not None and len(data) > limit:
        raise UnreadableFile(path, too_large(len(data), limit, limit_name))
    return data


def read_text(path, limit=None, limit_name=None):
    """The UTF-8 text of the regular file `path` (see read_bytes)."""
    data = read_bytes(path, limit, limit_name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableFile(path, f"not UTF-8 text (byte 0x{data[error.start]:02x} "
                                   f"at offset {error.start})") from None


def too_large(size, limit, limit_name=None):
    from nnfs_cli import limits
    hint = f" {limits.hint(limit_name)}" if limit_name else ""
    return f"{size:,} bytes, more than the limit of {limit:,}{hint}"
